//! Points: whole, positive numbers of loyalty points, and signed adjustments.

use std::fmt;

/// The largest number of points one operation may move. Far above any real
/// balance, and small enough that points × 10^(digits + scale) fits in i128.
pub const MAX_POINTS: i64 = 1_000_000_000_000;

/// A strictly positive number of points, at most [`MAX_POINTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(i64);

impl Points {
    pub fn parse(raw: i64) -> Result<Self, String> {
        if raw <= 0 {
            return Err("points must be a positive whole number".into());
        }
        if raw > MAX_POINTS {
            return Err(format!("points must be at most {MAX_POINTS}"));
        }
        Ok(Self(raw))
    }

    pub(crate) fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A non-zero signed change of a balance (admin adjustments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsDelta(i64);

impl PointsDelta {
    pub fn parse(raw: i64) -> Result<Self, String> {
        if raw == 0 {
            return Err("points must not be zero".into());
        }
        if raw.unsigned_abs() > MAX_POINTS as u64 {
            return Err(format!("points must be between -{MAX_POINTS} and {MAX_POINTS}"));
        }
        Ok(Self(raw))
    }

    pub(crate) fn get(self) -> i64 {
        self.0
    }
}
