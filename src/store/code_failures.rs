//! Failed code checks per customer per clock hour (abuse): a
//! brute force on codes is counted, visible and slowed. More than
//! [`MAX_FAILURES_PER_HOUR`] failures in one hour and every check of that
//! customer is refused (429 `rate_limited`) until the hour ends.
//!
//! The counter is one row per (shop, customer, hour) in
//! `checkout_failures`, changed only by `UPDATE … SET failures = failures + 1`
//! (created first by an insert that ignores a concurrent twin). On
//! PostgreSQL the UPDATE takes the row lock, so concurrent failures queue and
//! each adds exactly one; on SQLite writes are serial. The limit is decided
//! from the value the same transaction wrote, under that lock.

use super::is_unique_violation;
use super::schema::checkout_failures as failures_table;
use super::AnyConnection;
use chrono::{Duration, DurationRound, NaiveDateTime};
use diesel::prelude::*;

/// Failed validations a customer may make per clock hour; the next one is refused.
pub(crate) const MAX_FAILURES_PER_HOUR: i64 = 20;

/// The hour `now` falls in ("h:YYYY-MM-DDTHH", UTC) and the seconds until it ends (≥ 1).
pub(crate) fn hour_of(now: NaiveDateTime) -> (String, i64) {
    let start = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let left = ((start + Duration::hours(1) - now).num_milliseconds() + 999).div_euclid(1000).max(1);
    (format!("h:{}", now.format("%Y-%m-%dT%H")), left)
}

fn row<'a>(
    shop_id: &'a str,
    customer: &'a str,
    bucket: &'a str,
) -> diesel::dsl::Find<failures_table::table, (&'a str, &'a str, &'a str)> {
    failures_table::table.find((shop_id, customer, bucket))
}

/// The customer is over the limit this hour: the attempt is refused and
/// counted too (one conditional UPDATE; zero rows = not limited).
pub(crate) fn refuse_if_limited(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let (bucket, _) = hour_of(now);
    let counted = diesel::update(row(shop_id, customer, &bucket))
        .filter(failures_table::failures.gt(MAX_FAILURES_PER_HOUR))
        .set(failures_table::failures.eq(failures_table::failures + 1))
        .execute(conn)?;
    Ok(counted == 1)
}

/// Is the customer over the limit this hour? (A read: the count only grows
/// within an hour, so a stale "no" is corrected by the next failure.)
pub(crate) fn is_limited(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    Ok(failures(conn, shop_id, customer, now)? > MAX_FAILURES_PER_HOUR)
}

/// Failures counted for the customer this hour.
pub fn failures(conn: &mut AnyConnection, shop_id: &str, customer: &str, now: NaiveDateTime) -> QueryResult<i64> {
    let (bucket, _) = hour_of(now);
    let found = row(shop_id, customer, &bucket).select(failures_table::failures).first::<i64>(conn).optional()?;
    Ok(found.unwrap_or(0))
}

/// Counts one failed check; true when this one went over the limit (the
/// 21st and later in the hour), so the caller answers 429 instead.
pub(crate) fn record(conn: &mut AnyConnection, shop_id: &str, customer: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let (bucket, _) = hour_of(now);
    let created = conn.transaction(|c| {
        diesel::insert_into(failures_table::table)
            .values((
                failures_table::shop_id.eq(shop_id),
                failures_table::customer_id.eq(customer),
                failures_table::bucket.eq(&bucket),
                failures_table::failures.eq(0_i64),
            ))
            .execute(c)
    });
    match created {
        Err(e) if !is_unique_violation(&e) => return Err(e),
        _ => {}
    }
    diesel::update(row(shop_id, customer, &bucket))
        .set(failures_table::failures.eq(failures_table::failures + 1))
        .execute(conn)?;
    // The row is locked by this transaction until commit: this is our own count.
    let now_counted = row(shop_id, customer, &bucket).select(failures_table::failures).first::<i64>(conn)?;
    Ok(now_counted > MAX_FAILURES_PER_HOUR)
}

#[cfg(test)]
mod tests {
    use super::hour_of;
    use chrono::NaiveDate;

    #[test]
    fn hours_are_utc_clock_hours_and_retry_after_reaches_their_end() {
        let at = NaiveDate::from_ymd_opt(2026, 12, 2).and_then(|d| d.and_hms_milli_opt(7, 59, 30, 500)).expect("time");
        assert_eq!(hour_of(at), ("h:2026-12-02T07".to_string(), 30));
        let start = NaiveDate::from_ymd_opt(2026, 12, 2).and_then(|d| d.and_hms_opt(8, 0, 0)).expect("time");
        assert_eq!(hour_of(start), ("h:2026-12-02T08".to_string(), 3600));
    }
}
