//! Who the scheduled scan finds: pure rules over one
//! customer's facts. `win_back`: a paid order exists, the last one at least
//! the inactivity window ago, and no win-back in this inactivity period (an
//! order clears the stamp). `birthday`: the birthday's month and day has
//! come in the shop's calendar (at its midnight), at most `BIRTHDAY_SLACK_DAYS`
//! ago (a scan cycle that ran late still finds it), once a calendar year.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

/// A birthday is still found this many days after it (a late scan).
const BIRTHDAY_SLACK_DAYS: i64 = 2;

/// The pause between two complete scan cycles of a shop: an hour, or a
/// 24th of a shortened day (LOYALTY_DAY_SECS), at least a second.
pub(crate) fn cycle_pause(day: Duration) -> Duration {
    (day / 24).clamp(Duration::seconds(1), Duration::hours(1))
}

pub(crate) fn win_back_due(
    last_order_at: Option<NaiveDateTime>,
    win_back_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
    inactive: Duration,
) -> bool {
    win_back_at.is_none() && last_order_at.is_some_and(|last| last <= now - inactive)
}

/// This year's date of an `MM-DD` birthday (29 February → 28 February in
/// common years).
fn birthday_in(year: i32, birthday: &str) -> Option<NaiveDate> {
    let (month, day) = birthday.split_once('-')?;
    let (month, day): (u32, u32) = (month.parse().ok()?, day.parse().ok()?);
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| (month == 2 && day == 29).then(|| NaiveDate::from_ymd_opt(year, 2, 28)).flatten())
}

/// Whether the birthday fires on `today` (the shop's local date).
pub(crate) fn birthday_due(birthday: Option<&str>, birthday_year: Option<i32>, today: NaiveDate) -> bool {
    let Some(date) = birthday.and_then(|b| birthday_in(today.year(), b)) else { return false };
    birthday_year != Some(today.year()) && date <= today && today - date <= Duration::days(BIRTHDAY_SLACK_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn birthdays_fire_on_the_day_once_a_year() {
        assert!(birthday_due(Some("07-04"), None, day(2026, 7, 4)));
        assert!(birthday_due(Some("07-04"), Some(2025), day(2026, 7, 5)), "a late scan still finds it");
        assert!(!birthday_due(Some("07-04"), Some(2026), day(2026, 7, 4)), "once a year");
        assert!(!birthday_due(Some("07-04"), None, day(2026, 7, 3)), "not before");
        assert!(!birthday_due(Some("07-04"), None, day(2026, 7, 8)), "not days later");
        assert!(birthday_due(Some("02-29"), None, day(2027, 2, 28)), "leap-day birthdays in common years");
        assert!(!birthday_due(None, None, day(2026, 7, 4)));
    }

    #[test]
    fn win_back_needs_an_old_last_order_and_no_stamp() {
        let now = day(2026, 6, 1).and_hms_opt(0, 0, 0).expect("time");
        let window = Duration::days(30);
        assert!(win_back_due(Some(now - Duration::days(31)), None, now, window));
        assert!(!win_back_due(Some(now - Duration::days(29)), None, now, window));
        assert!(!win_back_due(None, None, now, window), "never ordered: not a win-back");
        assert!(!win_back_due(Some(now - Duration::days(90)), Some(now), now, window), "once per period");
        assert_eq!(cycle_pause(Duration::days(1)), Duration::hours(1));
        assert_eq!(cycle_pause(Duration::seconds(48)), Duration::seconds(2));
    }

    proptest! {
        /// Every valid birthday fires on exactly one day of any year, by the
        /// daily scan with a stamp (never twice, never missed).
        #[test]
        fn a_daily_scan_fires_each_birthday_once_a_year(month in 1u32..=12, dom in 1u32..=31, year in 2000i32..2100) {
            prop_assume!(NaiveDate::from_ymd_opt(2000, month, dom).is_some());
            let birthday = format!("{month:02}-{dom:02}");
            let mut stamp = None;
            let mut fired = 0;
            let mut today = day(year, 1, 1);
            while today.year() == year {
                if birthday_due(Some(&birthday), stamp, today) {
                    fired += 1;
                    stamp = Some(today.year());
                }
                today = today.succ_opt().expect("next day");
            }
            prop_assert_eq!(fired, 1);
        }
    }
}
