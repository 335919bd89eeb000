//! The service's sense of time: the system clock moved by an offset that
//! tests advance (no sleeping), and the length of a "day" for expiry,
//! pending windows and warnings (`LOYALTY_DAY_SECS`, shorter in demos).

use chrono::{Duration, NaiveDateTime, Utc};
use std::cell::RefCell;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub(crate) const DEFAULT_DAY_SECS: i64 = 86_400;

/// One per application: the store carries it into every unit of work.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    day_secs: i64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new(DEFAULT_DAY_SECS)
    }
}

impl Clock {
    pub(crate) fn new(day_secs: i64) -> Self {
        Self { offset_ms: Arc::new(AtomicI64::new(0)), day_secs: day_secs.max(1) }
    }

    pub fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and everything reading it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }

    /// Moves the clock forward by whole "days" of this clock.
    pub fn advance_days(&self, days: i64) {
        self.advance(self.days(days));
    }

    pub(crate) fn day_length(&self) -> Duration {
        Duration::seconds(self.day_secs)
    }

    /// `n` days of this clock.
    pub fn days(&self, n: i64) -> Duration {
        Duration::seconds(self.day_secs.saturating_mul(n))
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Clock>> = const { RefCell::new(None) };
}

/// Runs `work` with `clock` as this thread's clock (a store unit of work).
pub(crate) fn scoped<T>(clock: &Clock, work: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(Some(clock.clone())));
    let result = work();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    result
}

/// Makes `clock` this thread's clock for good (the SQLite writer thread).
pub(crate) fn install(clock: &Clock) {
    CURRENT.with(|c| *c.borrow_mut() = Some(clock.clone()));
}

/// The current clock of this thread (the system clock outside a unit of work).
pub(crate) fn current() -> Clock {
    CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
}

/// Now, by this thread's clock.
pub fn now() -> NaiveDateTime {
    CURRENT.with(|c| c.borrow().as_ref().map(Clock::now)).unwrap_or_else(|| Utc::now().naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_clock_moves_only_inside_its_scope() {
        let clock = Clock::new(10);
        clock.advance_days(3);
        let inside = scoped(&clock, now);
        assert!(inside - Utc::now().naive_utc() >= Duration::seconds(29));
        assert!(now() - Utc::now().naive_utc() < Duration::seconds(1));
        assert_eq!(clock.days(2), Duration::seconds(20));
    }
}
