//! The merchant's analytics: claims, points and orders over any period,
//! bucketed by day, week or month so "All time" works on a long history.

use super::auth::AdminAuth;
use super::views::money;
use crate::domain::claim::ClaimStatus;
use crate::domain::money::Currency;
use crate::domain::time;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::store::shops;
use crate::store::{analytics, Store};
use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnalyticsQuery {
    /// RFC 3339; default 30 days before `to`.
    pub(crate) from: Option<DateTime<Utc>>,
    /// RFC 3339; default now.
    pub(crate) to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Bucket {
    pub(crate) min: i64,
    pub(crate) max: Option<i64>,
    pub(crate) count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DayView {
    pub(crate) date: String,
    pub(crate) count: i64,
    pub(crate) points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PerCustomer {
    pub(crate) customers: i64,
    pub(crate) average: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CountPoints {
    pub(crate) count: i64,
    pub(crate) points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrdersView {
    pub(crate) count: i64,
    pub(crate) total_value: String,
    pub(crate) average_value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AnalyticsView {
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) currency: String,
    pub(crate) claims_count: i64,
    pub(crate) points_redeemed: i64,
    pub(crate) average_points_per_claim: f64,
    /// Codes not refunded, and their points (points that stayed redeemed).
    pub(crate) net_claims_count: i64,
    pub(crate) net_points_redeemed: i64,
    pub(crate) average_points_per_net_claim: f64,
    /// Codes refunded (points returned to the customer).
    pub(crate) refunded: CountPoints,
    /// online / pos → codes and points, refunded ones left out.
    #[schema(value_type = Object)]
    pub(crate) by_channel: BTreeMap<String, CountPoints>,
    pub(crate) distribution: Vec<Bucket>,
    /// day, week or month: the size of each `claims_per_day` row (by span:
    /// up to 92 days by day, up to 3 years by week, longer by month).
    pub(crate) period: String,
    /// One row per period with claims; `date` is its first day.
    pub(crate) claims_per_day: Vec<DayView>,
    pub(crate) claims_per_customer: PerCustomer,
    /// open (pending+active+refund_pending), used, refunded, expired, failed
    #[schema(value_type = Object)]
    pub(crate) status: BTreeMap<String, i64>,
    pub(crate) orders: OrdersView,
}

/// Spans up to this many days are reported per day, then per week.
const DAILY_DAYS: i64 = 92;
const WEEKLY_DAYS: i64 = 3 * 366;

fn period_for(span: Duration) -> analytics::Period {
    match span.num_days() {
        d if d <= DAILY_DAYS => analytics::Period::Day,
        d if d <= WEEKLY_DAYS => analytics::Period::Week,
        _ => analytics::Period::Month,
    }
}

#[utoipa::path(get, path = "/api/v1/admin/analytics", summary = "Points and codes over a time window", tag = "admin", security(("bearer" = [])), params(AnalyticsQuery),
    responses((status = 200, body = AnalyticsView), (status = 400, body = ErrorEnvelope)))]
pub(crate) async fn get_analytics(
    auth: AdminAuth,
    store: web::Data<Store>,
    query: web::Query<AnalyticsQuery>,
) -> AppResult<web::Json<AnalyticsView>> {
    let to = query.to.map(|at| in_range(at, "to")).transpose()?.unwrap_or_else(Utc::now);
    let default_from = to.checked_sub_signed(Duration::days(30)).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let from = in_range(query.from.unwrap_or(default_from), "from")?;
    if from >= to {
        return Err(AppError::invalid("from must be before to"));
    }
    let period = period_for(to - from);
    let shop = auth.shop.as_str().to_string();
    let (currency, report) = store
        .read::<_, AppError, _>(move |conn| {
            let currency = shops::currency(conn, &shop)?.code();
            let report = analytics::report(conn, &shop, from.naive_utc(), to.naive_utc(), period)?;
            Ok((currency, report))
        })
        .await?;
    Ok(web::Json(view(Window { from, to, period }, currency, report)))
}

/// A query time within the years RFC 3339 can write, or 400.
fn in_range(at: DateTime<Utc>, field: &str) -> AppResult<DateTime<Utc>> {
    time::in_range(at).map_err(|rule| {
        AppError::invalid(format!("{field} {rule}")).with_details(serde_json::json!({"fields": {field: rule}}))
    })
}

fn wide_money(minor: i128, currency: &str) -> String {
    let formatted = Currency::parse(currency).ok().and_then(|c| c.format_wide(minor));
    formatted.unwrap_or_else(|| minor.to_string())
}

/// The time window asked for and the period its rows are grouped by.
struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    period: analytics::Period,
}

fn view(Window { from, to, period }: Window, currency: &str, r: analytics::Report) -> AnalyticsView {
    let ratio = |a: i64, b: i64| {
        if b == 0 {
            0.0
        } else {
            ((a as f64 / b as f64) * 100.0).round() / 100.0
        }
    };
    let count = |s: ClaimStatus| r.status.get(s.as_str()).copied().unwrap_or(0);
    let open = count(ClaimStatus::Pending) + count(ClaimStatus::Active) + count(ClaimStatus::RefundPending);
    let closed = ClaimStatus::CLOSED.map(|s| (s.as_str().to_string(), count(s)));
    let status = BTreeMap::from_iter(std::iter::once(("open".to_string(), open)).chain(closed));
    // The mean of i64 subtotals fits an i64.
    let average_minor = if r.orders == 0 { 0 } else { (r.order_value_minor / i128::from(r.orders)) as i64 };
    let (net_count, net_points) = (r.claims_count - r.refunded.claims, r.points_redeemed - r.refunded.points);
    let pair = |tally: &analytics::Tally| CountPoints { count: tally.claims, points: tally.points };
    AnalyticsView {
        from,
        to,
        currency: currency.to_string(),
        claims_count: r.claims_count,
        points_redeemed: r.points_redeemed,
        average_points_per_claim: ratio(r.points_redeemed, r.claims_count),
        net_claims_count: net_count,
        net_points_redeemed: net_points,
        average_points_per_net_claim: ratio(net_points, net_count),
        refunded: pair(&r.refunded),
        by_channel: r.by_channel.iter().map(|(k, v)| (k.clone(), pair(v))).collect(),
        period: period.name().to_string(),
        distribution: r
            .distribution
            .iter()
            .map(|band| Bucket { min: band.lowest, max: band.highest, count: band.claims })
            .collect(),
        claims_per_day: r
            .per_day
            .iter()
            .map(|(date, tally)| DayView { date: date.clone(), count: tally.claims, points: tally.points })
            .collect(),
        claims_per_customer: PerCustomer { customers: r.customers, average: ratio(r.claims_count, r.customers) },
        status,
        orders: OrdersView {
            count: r.orders,
            total_value: wide_money(r.order_value_minor, currency),
            average_value: money(average_minor, currency),
        },
    }
}
