//! Currencies, exact money in minor units, and the points → money rounding.

use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency the service knows the minor unit of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    digits: u32,
}

const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, String> {
        CURRENCIES
            .iter()
            .find(|(code, _)| *code == raw)
            .map(|&(code, digits)| Self { code, digits })
            .ok_or_else(|| format!("unknown currency {raw:?}; use an ISO 4217 code such as \"USD\""))
    }

    pub(crate) fn code(self) -> &'static str {
        self.code
    }

    /// Number of digits of the minor unit (USD 2, JPY 0, KWD 3).
    pub fn digits(self) -> u32 {
        self.digits
    }

    /// Formats minor units as the API's decimal string ("5.00", JPY "500").
    pub fn format_minor(self, minor: i64) -> String {
        Decimal::new(minor, self.digits).to_string()
    }

    /// A sum of amounts (analytics totals), exact up to 28 digits.
    pub(crate) fn format_wide(self, minor: i128) -> Option<String> {
        Decimal::try_from_i128_with_scale(minor, self.digits).ok().map(|d| d.to_string())
    }

    /// Parses a decimal amount string into minor units; more digits than the
    /// currency has, negative amounts and garbage are refused.
    pub fn parse_amount(self, raw: &str) -> Result<i64, String> {
        let text = raw.trim();
        if text.starts_with('-') {
            return Err("amount must not be negative".into());
        }
        // Plain decimal notation only: rust_decimal would also take "1e3" or "+5".
        let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
        let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !(plain(whole) && plain(fraction)) {
            return Err(format!("{raw:?} is not a decimal amount"));
        }
        let value = Decimal::from_str(text).map_err(|_| format!("{raw:?} is not a decimal amount"))?;
        if value.normalize().scale() > self.digits {
            return Err(format!("{} has at most {} decimal digits", self.code, self.digits));
        }
        // Checked: a 29-digit amount times 10^digits overflows Decimal (a panic).
        let too_large = || "amount is too large".to_string();
        let minor = value.checked_mul(Decimal::from(10_i64.pow(self.digits))).ok_or_else(too_large)?;
        i64::try_from(minor.trunc()).map_err(|_| too_large())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// How many points buy one unit of the currency (100 → 100 points = $1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsPerUnit(Decimal);

/// The finest ratio accepted; keeps the rounding arithmetic exact in i128.
pub const MAX_RATIO_SCALE: u32 = 6;

impl PointsPerUnit {
    pub fn parse(value: Decimal) -> Result<Self, String> {
        let value = value.normalize();
        if value <= Decimal::ZERO {
            return Err("must be greater than 0".into());
        }
        if value.scale() > MAX_RATIO_SCALE {
            return Err(format!("at most {MAX_RATIO_SCALE} decimal places"));
        }
        if value > Decimal::from(1_000_000_000_i64) {
            return Err("must be at most 1000000000".into());
        }
        Ok(Self(value))
    }

    pub fn get(self) -> Decimal {
        self.0
    }

    /// Value of `points` in minor units of `currency`, rounded DOWN: the
    /// shopper never gets more than the points buy. Exact integer arithmetic:
    /// floor(points × 10^digits ÷ ratio) with ratio = mantissa ÷ 10^scale.
    /// Saturates at i64::MAX for display; claims use `checked_value_minor`.
    pub fn value_minor(self, points: i64, currency: Currency) -> i64 {
        self.checked_value_minor(points, currency).unwrap_or(i64::MAX)
    }

    /// None when the value does not fit in i64 minor units (a tiny ratio
    /// with a huge number of points): such a claim is refused, never capped.
    pub(crate) fn checked_value_minor(self, points: i64, currency: Currency) -> Option<i64> {
        let mantissa = self.0.mantissa();
        let scale = self.0.scale();
        let numerator = i128::from(points) * 10_i128.pow(currency.digits() + scale);
        i64::try_from(numerator.div_euclid(mantissa)).ok()
    }
}

/// An exact, non-negative amount in minor units of the shop's currency
/// (an order's subtotal, a refunded amount).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Money(i64);

impl Money {
    pub(crate) const ZERO: Money = Money(0);

    /// A decimal amount in `currency` ("45.00"); see [`Currency::parse_amount`].
    pub(crate) fn parse(raw: &str, currency: Currency) -> Result<Self, String> {
        currency.parse_amount(raw).map(Self)
    }

    pub(crate) fn minor(self) -> i64 {
        self.0
    }

    /// A sum of amounts: more than i64 holds is more than any order, so it caps.
    pub(crate) fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }
}
