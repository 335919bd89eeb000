//! A campaign's report, aggregated in the database (GROUP BY, never every
//! offer in memory): offers by status and reason with their values, and
//! per group (treatment: an issued offer; control: held out) the customers
//! and those who paid an order within the attribution window after the
//! event of their offer.
//!
//! Money sums are taken in two halves (÷ 10⁹ and mod 10⁹) as text and put
//! together in i128, so neither SQLite's 64-bit SUM nor anything here can
//! overflow.

use super::offers::OfferStatus;
use super::AnyConnection;
use crate::domain::event::EventKind;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};
use std::collections::BTreeMap;

/// Offers that got a code (the treatment group counts these customers).
pub(crate) const ISSUED: [OfferStatus; 5] =
    [OfferStatus::Pending, OfferStatus::Active, OfferStatus::Used, OfferStatus::Expired, OfferStatus::Deleted];

/// The longest attribution window looked at (far beyond any campaign).
const MAX_WINDOW_SECS: i64 = 100 * 366 * 86_400;

/// What the report asks: one campaign, offers whose event is in [from, to).
#[derive(Debug, Clone)]
pub(crate) struct ReportQuery {
    pub(crate) shop_id: String,
    pub(crate) campaign_id: String,
    pub(crate) from: NaiveDateTime,
    pub(crate) to: NaiveDateTime,
    /// Attribution window after the event, in seconds.
    pub(crate) window_secs: i64,
}

/// One group's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GroupFigures {
    pub(crate) customers: i64,
    pub(crate) converted: i64,
    /// Σ subtotals (minor units) of the converting orders, each order once.
    pub(crate) revenue_minor: i128,
    /// Σ over the group's customers of (their revenue)², in minor units²
    /// (approximate: for the revenue interval's variance).
    pub(crate) revenue_sum_squares: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CampaignFigures {
    /// Offers per status.
    pub(crate) by_status: BTreeMap<OfferStatus, i64>,
    /// Refused offers per reason.
    pub(crate) refused: BTreeMap<String, i64>,
    /// Σ value of pending/active offers.
    pub(crate) outstanding_minor: i128,
    /// Σ value of issued offers.
    pub(crate) total_minor: i128,
    pub(crate) treatment: GroupFigures,
    pub(crate) control: GroupFigures,
}

impl CampaignFigures {
    pub(crate) fn count(&self, of: &[OfferStatus]) -> i64 {
        of.iter().map(|s| self.by_status.get(s).copied().unwrap_or(0)).sum()
    }
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    status: OfferStatus,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Text>)]
    value_hi: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    value_lo: Option<String>,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ConversionRow {
    #[diesel(sql_type = BigInt)]
    converted: i64,
    #[diesel(sql_type = Nullable<Text>)]
    revenue_hi: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    revenue_lo: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    revenue_sq: Option<f64>,
}

const STATUS_SQL: &str = "SELECT status, reason, COUNT(*) AS n, \
     CAST(SUM(value_minor / 1000000000) AS TEXT) AS value_hi, CAST(SUM(value_minor % 1000000000) AS TEXT) AS value_lo \
     FROM offers WHERE shop_id = $1 AND campaign_id = $2 AND occurred_at >= $3 AND occurred_at < $4 \
     GROUP BY status, reason";

/// `{IN}` is replaced by the group's statuses (words of `OfferStatus`).
const CUSTOMERS_SQL: &str = "SELECT COUNT(DISTINCT customer_id) AS n FROM offers \
     WHERE shop_id = $1 AND campaign_id = $2 AND occurred_at >= $3 AND occurred_at < $4 AND status IN ({IN})";

/// Orders of the group's customers after the event of one of their offers
/// and within the window (the offer's own triggering event is not its
/// conversion), each order once (x), summed per customer (y): the customers
/// who bought, the revenue (exact, in two halves) and Σ (revenue per
/// customer)² as a float for the interval; `{WITHIN}` is the dialect's time sum.
/// `DOUBLE PRECISION` is a float on both databases (SQLite: REAL affinity).
const CONVERSION_SQL: &str = "SELECT COUNT(*) AS converted, \
     CAST(SUM(y.hi) AS TEXT) AS revenue_hi, CAST(SUM(y.lo) AS TEXT) AS revenue_lo, SUM(y.rev * y.rev) AS revenue_sq \
     FROM (SELECT x.customer_id, SUM(x.sub / 1000000000) AS hi, SUM(x.sub % 1000000000) AS lo, \
       SUM(CAST(x.sub AS DOUBLE PRECISION)) AS rev \
     FROM (SELECT e.customer_id AS customer_id, MAX(COALESCE(e.subtotal_minor, 0)) AS sub \
       FROM offers o JOIN campaign_events e ON e.shop_id = o.shop_id AND e.customer_id = o.customer_id \
         AND e.kind = $6 AND e.id <> o.event_id AND e.occurred_at > o.occurred_at AND {WITHIN} \
       WHERE o.shop_id = $1 AND o.campaign_id = $2 AND o.occurred_at >= $3 AND o.occurred_at < $4 \
         AND o.status IN ({IN}) \
       GROUP BY e.customer_id, COALESCE(e.order_id, e.id)) x \
     GROUP BY x.customer_id) y";

const WITHIN_PG: &str = "e.occurred_at <= o.occurred_at + $5 * INTERVAL '1 second'";
const WITHIN_SQLITE: &str = "julianday(e.occurred_at) <= julianday(o.occurred_at) + $5 / 86400.0";

/// Runs `$body` with `$c` bound to the dialect's own connection.
macro_rules! on_dialect {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            AnyConnection::Postgresql($c) => $body,
            AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// The SQL with `$n` as PostgreSQL writes it, or `?n` for SQLite.
fn dialect(conn: &AnyConnection, sql: &str) -> String {
    match conn {
        AnyConnection::Postgresql(_) => sql.to_string(),
        AnyConnection::Sqlite(_) => sql.replace('$', "?"),
    }
}

fn in_list(statuses: &[OfferStatus]) -> String {
    statuses.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// Two text halves (÷ 10⁹, mod 10⁹) back into one wide sum.
fn wide(hi: Option<&str>, lo: Option<&str>) -> i128 {
    let parse = |s: Option<&str>| s.and_then(|s| s.split('.').next()?.parse::<i128>().ok()).unwrap_or(0);
    parse(hi).saturating_mul(1_000_000_000).saturating_add(parse(lo))
}

pub(crate) fn campaign_figures(conn: &mut AnyConnection, q: &ReportQuery) -> QueryResult<CampaignFigures> {
    let sql = dialect(conn, STATUS_SQL);
    let rows: Vec<StatusRow> = on_dialect!(conn, c => diesel::sql_query(&sql)
        .bind::<Text, _>(&q.shop_id)
        .bind::<Text, _>(&q.campaign_id)
        .bind::<Timestamp, _>(q.from)
        .bind::<Timestamp, _>(q.to)
        .load(c)?);
    let mut figures = CampaignFigures::default();
    for row in rows {
        let value = wide(row.value_hi.as_deref(), row.value_lo.as_deref());
        if OfferStatus::OPEN.contains(&row.status) {
            figures.outstanding_minor = figures.outstanding_minor.saturating_add(value);
        }
        if ISSUED.contains(&row.status) {
            figures.total_minor = figures.total_minor.saturating_add(value);
        }
        if row.status == OfferStatus::Refused {
            *figures.refused.entry(row.reason.clone().unwrap_or_else(|| "unknown".into())).or_default() += row.n;
        }
        *figures.by_status.entry(row.status).or_default() += row.n;
    }
    figures.treatment = group(conn, q, &ISSUED)?;
    figures.control = group(conn, q, &[OfferStatus::HeldOut])?;
    Ok(figures)
}

fn group(conn: &mut AnyConnection, q: &ReportQuery, statuses: &[OfferStatus]) -> QueryResult<GroupFigures> {
    let list = in_list(statuses);
    let customers_sql = dialect(conn, &CUSTOMERS_SQL.replace("{IN}", &list));
    let within = match conn {
        AnyConnection::Postgresql(_) => WITHIN_PG,
        AnyConnection::Sqlite(_) => WITHIN_SQLITE,
    };
    let conversion_sql = dialect(conn, &CONVERSION_SQL.replace("{IN}", &list).replace("{WITHIN}", within));
    let window = q.window_secs.clamp(0, MAX_WINDOW_SECS) as f64;
    let customers: CountRow = on_dialect!(conn, c => diesel::sql_query(&customers_sql)
        .bind::<Text, _>(&q.shop_id)
        .bind::<Text, _>(&q.campaign_id)
        .bind::<Timestamp, _>(q.from)
        .bind::<Timestamp, _>(q.to)
        .get_result(c)?);
    let conversion: ConversionRow = on_dialect!(conn, c => diesel::sql_query(&conversion_sql)
        .bind::<Text, _>(&q.shop_id)
        .bind::<Text, _>(&q.campaign_id)
        .bind::<Timestamp, _>(q.from)
        .bind::<Timestamp, _>(q.to)
        .bind::<Double, _>(window)
        .bind::<Text, _>(EventKind::Order)
        .get_result(c)?);
    Ok(GroupFigures {
        customers: customers.n,
        converted: conversion.converted,
        revenue_minor: wide(conversion.revenue_hi.as_deref(), conversion.revenue_lo.as_deref()),
        revenue_sum_squares: conversion.revenue_sq.unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::wide;

    #[test]
    fn halves_make_one_wide_sum() {
        assert_eq!(wide(None, None), 0);
        assert_eq!(wide(Some("3"), Some("7")), 3_000_000_007);
        // PostgreSQL's numeric SUM may print a scale.
        assert_eq!(wide(Some("9223372036"), Some("854775807.000")), i128::from(i64::MAX));
        assert_eq!(wide(Some("18446744073"), Some("0")), 18_446_744_073_000_000_000);
    }
}
