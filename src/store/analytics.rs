//! The merchant's numbers: claims in a time window, aggregated in memory
//! from the few columns needed (windows are bounded by the caller).

use super::schema::claims;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub claims_count: i64,
    pub points_redeemed: i64,
    pub customers: i64,
    /// (lowest, highest or None for open-ended, count)
    pub distribution: Vec<(i64, Option<i64>, i64)>,
    /// "YYYY-MM-DD" → (claims, points)
    pub per_day: BTreeMap<String, (i64, i64)>,
    pub status: BTreeMap<String, i64>,
    pub orders: i64,
    /// Wide: the sum of many i64 subtotals does not fit an i64.
    pub order_value_minor: i128,
}

/// Bucket lower bounds of the points-per-claim distribution.
const BUCKETS: [i64; 8] = [1, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

pub fn report(conn: &mut AnyConnection, shop_id: &str, from: NaiveDateTime, to: NaiveDateTime) -> QueryResult<Report> {
    let rows: Vec<(NaiveDateTime, i64, String, String, Option<i64>)> = claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(claims::created_at.ge(from))
        .filter(claims::created_at.lt(to))
        .select((claims::created_at, claims::points, claims::status, claims::customer_id, claims::order_subtotal_minor))
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
    for (created_at, points, status, customer, order_minor) in rows {
        report.claims_count += 1;
        report.points_redeemed = report.points_redeemed.saturating_add(points);
        customers.insert(customer);
        let bucket = BUCKETS.iter().rposition(|&low| points >= low).unwrap_or(0);
        report.distribution[bucket].2 += 1;
        let day = report.per_day.entry(created_at.date().to_string()).or_default();
        day.0 += 1;
        day.1 = day.1.saturating_add(points);
        *report.status.entry(status).or_default() += 1;
        if let Some(minor) = order_minor {
            report.orders += 1;
            report.order_value_minor += i128::from(minor);
        }
    }
    report.customers = customers.len() as i64;
    Ok(report)
}
