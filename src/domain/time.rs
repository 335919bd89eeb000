//! Times the service accepts: RFC 3339 can only write years 0000-9999, so a
//! time outside them is refused wherever one is accepted
//! and every time the service returns stays RFC 3339.

use chrono::{DateTime, Datelike, Utc};

const MIN_YEAR: i32 = 0;
const MAX_YEAR: i32 = 9999;

/// The time if its year is 0000-9999.
pub(crate) fn in_range(at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if (MIN_YEAR..=MAX_YEAR).contains(&at.year()) {
        Ok(at)
    } else {
        Err(format!("must be an RFC 3339 time in the years {MIN_YEAR:04}-{MAX_YEAR}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_rfc_3339_are_refused() {
        let parse = |s: &str| DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc));
        assert!(in_range(parse("0000-01-01T00:00:00Z").expect("parse")).is_ok());
        assert!(in_range(parse("9999-12-31T23:59:59Z").expect("parse")).is_ok());
        assert!(in_range(DateTime::<Utc>::MIN_UTC).is_err());
        assert!(in_range(DateTime::<Utc>::MAX_UTC).is_err());
    }
}
