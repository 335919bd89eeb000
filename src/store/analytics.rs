//! The merchant's numbers: claims in a time window, aggregated in memory
//! from the few columns needed, per day, ISO week or month.

use super::schema::claims;
use super::AnyConnection;
use crate::domain::claim::ClaimStatus;
use crate::domain::program::Channel;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Report {
    pub(crate) claims_count: i64,
    pub(crate) points_redeemed: i64,
    pub(crate) customers: i64,
    pub(crate) distribution: Vec<Band>,
    /// Start of the day, week (Monday) or month, "YYYY-MM-DD" → its claims.
    pub(crate) per_day: BTreeMap<String, Tally>,
    /// Codes refunded (points back).
    pub(crate) refunded: Tally,
    /// "online" / "pos" → its claims, refunded ones left out.
    pub(crate) by_channel: BTreeMap<String, Tally>,
    pub(crate) status: BTreeMap<String, i64>,
    pub(crate) orders: i64,
    /// Wide: the sum of many i64 subtotals does not fit an i64.
    pub(crate) order_value_minor: i128,
}

/// A number of claims and the points they took.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Tally {
    pub(crate) claims: i64,
    pub(crate) points: i64,
}

impl Tally {
    fn add(&mut self, points: i64) {
        self.claims += 1;
        self.points = self.points.saturating_add(points);
    }
}

/// One bucket of the points-per-claim distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Band {
    pub(crate) lowest: i64,
    /// None for the open-ended last bucket.
    pub(crate) highest: Option<i64>,
    pub(crate) claims: i64,
}

/// Bucket lower bounds of the points-per-claim distribution.
const BUCKETS: [i64; 8] = [1, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// How claims over time are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The first day of the period holding `date`.
    fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }
}

/// The columns of a claim the report reads.
#[derive(Queryable)]
struct ClaimFacts {
    created_at: NaiveDateTime,
    points: i64,
    status: ClaimStatus,
    customer_id: String,
    order_subtotal_minor: Option<i64>,
    channel: Channel,
}

pub(crate) fn report(
    conn: &mut AnyConnection,
    shop_id: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    period: Period,
) -> QueryResult<Report> {
    let rows: Vec<ClaimFacts> = claims::table
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
            .map(|(i, &lowest)| Band { lowest, highest: BUCKETS.get(i + 1).map(|next| next - 1), claims: 0 })
            .collect(),
        ..Report::default()
    };
    let mut customers = HashSet::new();
    for claim in rows {
        let points = claim.points;
        report.claims_count += 1;
        report.points_redeemed = report.points_redeemed.saturating_add(points);
        customers.insert(claim.customer_id);
        let bucket = BUCKETS.iter().rposition(|&low| points >= low).unwrap_or(0);
        report.distribution[bucket].claims += 1;
        report.per_day.entry(period.start(claim.created_at.date()).to_string()).or_default().add(points);
        if claim.status == ClaimStatus::Refunded {
            report.refunded.add(points);
        } else {
            report.by_channel.entry(claim.channel.as_str().to_string()).or_default().add(points);
        }
        *report.status.entry(claim.status.as_str().to_string()).or_default() += 1;
        if let Some(minor) = claim.order_subtotal_minor {
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
