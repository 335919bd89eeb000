//! Shopify Admin API versions: `YYYY-MM`, one release a quarter (01, 04, 07,
//! 10), or `unstable`. Shopify serves a stable version for 12 months from
//! its release, then answers requests to it as the oldest supported version
//! (whose schema may differ). The service pins the newest stable version and
//! warns at start when the configured one is past that window. Pure: today
//! is given.

use chrono::NaiveDate;

/// The newest stable Admin API version: the service default, and the one
/// pinned in `shopify.app.toml` (`[webhooks] api_version`) and every
/// extension. Bump it each quarter (see README, "Shopify API version").
pub const CURRENT: &str = "2026-10";

/// How Shopify serves a version on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Served until `retires` (the 1st of its month, a year after release).
    Supported { retires: NaiveDate },
    /// Retired on `retired`: answered as the oldest supported version.
    Retired { retired: NaiveDate },
    /// Not released until `released`.
    Unreleased { released: NaiveDate },
    /// `unstable`: changes without notice.
    Unstable,
}

/// How `version` is served on `today`; Err says why it is no version.
pub fn support(version: &str, today: NaiveDate) -> Result<Support, String> {
    if version == "unstable" {
        return Ok(Support::Unstable);
    }
    let malformed =
        || format!("{version:?} is not a Shopify API version (YYYY-MM with month 01, 04, 07 or 10, or unstable)");
    let (year, month) = version.split_once('-').ok_or_else(malformed)?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) {
        return Err(malformed());
    }
    let (year, month): (i32, u32) = (year.parse().map_err(|_| malformed())?, month.parse().map_err(|_| malformed())?);
    if ![1, 4, 7, 10].contains(&month) {
        return Err(malformed());
    }
    let released = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(malformed)?;
    let retires = NaiveDate::from_ymd_opt(year + 1, month, 1).ok_or_else(malformed)?;
    Ok(if today < released {
        Support::Unreleased { released }
    } else if today < retires {
        Support::Supported { retires }
    } else {
        Support::Retired { retired: retires }
    })
}

/// The WARN to log at start for this configured version, if any.
pub fn warning(version: &str, today: NaiveDate) -> Option<String> {
    let bump = format!("set LOYALTY_SHOPIFY_API_VERSION to a supported version (the service default is {CURRENT})");
    match support(version, today) {
        Ok(Support::Supported { .. }) => None,
        Ok(Support::Retired { retired }) => Some(format!(
            "Shopify API version {version} is past Shopify's 12-month support window (retired {retired}): Shopify \
             answers it as the oldest supported version, whose schema may differ; {bump}"
        )),
        Ok(Support::Unreleased { released }) => {
            Some(format!("Shopify API version {version} is not released until {released}; {bump}"))
        }
        Ok(Support::Unstable) => Some(format!("Shopify API version unstable changes without notice; {bump}")),
        Err(why) => Some(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn a_version_is_supported_for_twelve_months_from_its_release() {
        let today = day("2026-12-07");
        assert_eq!(support("2026-10", today), Ok(Support::Supported { retires: day("2027-10-01") }));
        assert_eq!(support("2026-01", today), Ok(Support::Supported { retires: day("2027-01-01") }));
        assert_eq!(support("2025-10", today), Ok(Support::Retired { retired: day("2026-10-01") }));
        assert_eq!(support("2025-01", today), Ok(Support::Retired { retired: day("2026-01-01") }));
        assert_eq!(support("2027-01", today), Ok(Support::Unreleased { released: day("2027-01-01") }));
        assert_eq!(support("unstable", today), Ok(Support::Unstable));
        // The last day and the day of retirement.
        assert!(matches!(support("2026-01", day("2026-12-31")), Ok(Support::Supported { .. })));
        assert!(matches!(support("2026-01", day("2027-01-01")), Ok(Support::Retired { .. })));
        assert!(matches!(support("2026-10", day("2026-10-01")), Ok(Support::Supported { .. })));
        assert!(matches!(support("2026-10", day("2026-09-30")), Ok(Support::Unreleased { .. })));
    }

    #[test]
    fn malformed_versions_are_refused() {
        let today = day("2026-12-07");
        for bad in
            ["", "2026", "2026-1", "2026-13", "2026-02", "26-10", "2026-10-01", "latest", "2026_10", "２０２６-10"]
        {
            assert!(support(bad, today).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_a_version_outside_the_window_warns() {
        let today = day("2026-12-07");
        assert_eq!(warning(CURRENT, today), None);
        assert_eq!(warning("2026-01", today), None);
        let retired = warning("2025-01", today).expect("a warning");
        assert!(retired.contains("past Shopify's 12-month support window") && retired.contains(CURRENT), "{retired}");
        assert!(warning("2027-04", today).expect("a warning").contains("not released"));
        assert!(warning("unstable", today).is_some());
        // The pinned version itself warns once it is a year old: bump it each quarter.
        assert!(warning(CURRENT, day("2027-10-01")).is_some());
    }
}
