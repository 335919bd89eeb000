//! The merchant's numbers: claims in a time window, aggregated in memory
//! from the few columns needed, per day, ISO week or month.

use super::schema::claims;
use super::AnyConnection;
use crate::domain::claim::ClaimStatus;
use crate::domain::program::Channel;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub claims_count: i64,
    pub points_redeemed: i64,
    pub customers: i64,
    /// (lowest, highest or None for open-ended, count)
    pub distribution: Vec<(i64, Option<i64>, i64)>,
    /// Start of the day, week (Monday) or month, "YYYY-MM-DD" → (claims, points)
    pub per_day: BTreeMap<String, (i64, i64)>,
    /// Codes refunded (points back): count and points.
    pub refunded: (i64, i64),
    /// "online" / "pos" → (claims, points), refunded ones left out.
    pub by_channel: BTreeMap<String, (i64, i64)>,
    pub status: HashMap<ClaimStatus, i64>,
    pub orders: i64,
    /// Wide: the sum of many i64 subtotals does not fit an i64.
    pub order_value_minor: i128,
}

/// Bucket lower bounds of the points-per-claim distribution.
const BUCKETS: [i64; 8] = [1, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// How claims over time are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The first day of the period holding `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }
}

type Row = (NaiveDateTime, i64, ClaimStatus, String, Option<i64>, Channel);

pub fn report(
    conn: &mut AnyConnection,
    shop_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    period: Period,
) -> QueryResult<Report> {
    let rows: Vec<Row> = claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(claims::created_at.ge(from))
        .filter(claims::created_at.lt(to))
        .select((
            claims::created_at,
            claims::points,
            claims::status,
            claims::customer_id,
            claims::order_subtotal_minor,
            claims::channel,
        ))
        .load(conn)?;
    let mut report = Report {
        distribution: BUCKETS
            .iter()
            .enumerate()
            .map(|(i, &low)| (low, BUCKETS.get(i + 1).map(|next| next - 1), 0))
            .collect(),
        ..Report::default()
    };
    let mut customers = HashSet::new();
    for (created_at, points, status, customer, order_minor, channel) in rows {
        report.claims_count += 1;
        report.points_redeemed = report.points_redeemed.saturating_add(points);
        customers.insert(customer);
        let bucket = BUCKETS.iter().rposition(|&low| points >= low).unwrap_or(0);
        report.distribution[bucket].2 += 1;
        let day = report.per_day.entry(period.start(created_at.date()).to_string()).or_default();
        day.0 += 1;
        day.1 = day.1.saturating_add(points);
        if status == ClaimStatus::Refunded {
            report.refunded.0 += 1;
            report.refunded.1 = report.refunded.1.saturating_add(points);
        } else {
            let split = report.by_channel.entry(channel.as_str().to_string()).or_default();
            split.0 += 1;
            split.1 = split.1.saturating_add(points);
        }
        *report.status.entry(status).or_default() += 1;
        if let Some(minor) = order_minor {
            report.orders += 1;
            report.order_value_minor += i128::from(minor);
        }
    }
    report.customers = customers.len() as i64;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::Period;
    use chrono::NaiveDate;

    #[test]
    fn periods_start_on_monday_and_the_first() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(Period::Week.start(d(2026, 12, 3)), d(2026, 11, 30));
        assert_eq!(Period::Week.start(d(2026, 11, 30)), d(2026, 11, 30));
        assert_eq!(Period::Month.start(d(2026, 12, 31)), d(2026, 12, 1));
        assert_eq!(Period::Day.start(d(2026, 2, 28)), d(2026, 2, 28));
    }
}
