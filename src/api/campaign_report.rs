//! A campaign's report: what it issued and refused, what it holds in
//! budget, and whether it made customers buy — treatment against the
//! held-out control, with the lift's 95 % interval (Newcombe's hybrid score
//! method, see `domain::lift`).

use super::auth::AdminAuth;
use crate::domain::incremental::{incremental_revenue_ci95, RevenueSums};
use crate::domain::lift::{self, Group};
use crate::domain::money::Currency;
use crate::domain::time;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::store::offers::OfferStatus;
use crate::store::report::{self, CampaignFigures, GroupFigures, ReportQuery};
use crate::store::{campaigns, shops, Store};
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Attribution window when a campaign has no expiry window (7 days).
const DEFAULT_WINDOW_SECS: i64 = 7 * 86_400;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportParams {
    /// RFC 3339: offers whose event happened at or after this time (default: the beginning).
    pub(crate) from: Option<DateTime<Utc>>,
    /// RFC 3339: offers whose event happened before this time (default: the end of year 9999).
    pub(crate) to: Option<DateTime<Utc>>,
}

/// One group of the experiment.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupView {
    /// Distinct customers in the group (treatment: with an issued offer — pending, active, used,
    /// expired or deleted; control: held out).
    pub(crate) customers: i64,
    /// Customers with a paid order within the attribution window after the event of their offer.
    pub(crate) converted: i64,
    /// converted ÷ customers, a JSON number 0–1 (0 for an empty group).
    pub(crate) rate: f64,
    /// Σ subtotals of those orders (each order once), decimal string in the shop currency.
    pub(crate) revenue: String,
}

/// Lift of treatment over control. All null while either group is empty.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LiftView {
    /// treatment.rate − control.rate, a JSON number −1..1.
    pub(crate) absolute: Option<f64>,
    /// absolute ÷ control.rate; null when the control rate is 0.
    pub(crate) relative: Option<f64>,
    /// [lo, hi]: 95 % confidence interval of `absolute` by Newcombe's hybrid score method
    /// (method 10, from Wilson score intervals), JSON numbers within −1..1.
    pub(crate) ci95: Option<[f64; 2]>,
    /// The tooltip text naming the interval's method.
    pub(crate) method: String,
    /// True when `ci95` excludes 0 (the campaign has shown an effect); null with `ci95`.
    pub(crate) significant: Option<bool>,
}

/// `GET /api/v1/admin/campaigns/{id}/report`. Counts are integers, rates and
/// lifts JSON numbers (fractions), money decimal strings in `currency`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReportView {
    pub(crate) campaign_id: String,
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) currency: String,
    /// The attribution window in hours (the campaign's `expires_after_hours`, else 168).
    pub(crate) attribution_window_hours: f64,
    /// Offers that got a code: pending, active, used, expired, deleted.
    pub(crate) issued: i64,
    pub(crate) held_out: i64,
    /// Refused offers per reason (limit_reached, budget_exhausted, customer_blocked, campaign_inactive,
    /// campaign_paused, not_eligible, too_soon).
    #[schema(value_type = Object)]
    pub(crate) refused: BTreeMap<String, i64>,
    pub(crate) used: i64,
    pub(crate) expired: i64,
    /// Value reserved by pending and active offers (decimal string).
    pub(crate) outstanding_value: String,
    /// Value of every issued offer (decimal string).
    pub(crate) total_value: String,
    pub(crate) treatment: GroupView,
    pub(crate) control: GroupView,
    pub(crate) lift: LiftView,
    /// treatment.revenue − control.revenue × treatment.customers ÷ control.customers (rounded down to
    /// the minor unit), decimal string; null when the control group is empty.
    pub(crate) incremental_revenue: Option<String>,
    /// [lo, hi]: 95 % interval of `incremental_revenue` (decimal strings, rounded outwards), from each
    /// customer's revenue in the window (delta method, see `domain::incremental`); null with fewer than
    /// 2 customers in either group.
    pub(crate) incremental_revenue_ci95: Option<[String; 2]>,
    /// True when `incremental_revenue_ci95` excludes 0; null with it.
    pub(crate) incremental_revenue_significant: Option<bool>,
}

fn in_range(at: DateTime<Utc>, field: &str) -> AppResult<DateTime<Utc>> {
    time::in_range(at).map_err(|rule| {
        AppError::invalid(format!("{field} {rule}")).with_details(serde_json::json!({"fields": {field: rule}}))
    })
}

/// The [from, to) window of the report, validated (400 with fields).
fn window(params: &ReportParams) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).ok();
    let earliest = parse("0000-01-01T00:00:00Z").unwrap_or(DateTime::<Utc>::MIN_UTC);
    let latest = parse("9999-12-31T23:59:59Z").unwrap_or(DateTime::<Utc>::MAX_UTC);
    let from = in_range(params.from.unwrap_or(earliest), "from")?;
    let to = in_range(params.to.unwrap_or(latest), "to")?;
    if from >= to {
        return Err(AppError::invalid("from must be before to")
            .with_details(serde_json::json!({"fields": {"to": "must be after from"}})));
    }
    Ok((from, to))
}

/// A rate or lift rounded to 6 decimals (order is kept: rounding is monotone).
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn wide_money(minor: i128, currency: &str) -> String {
    let formatted = Currency::parse(currency).ok().and_then(|c| c.format_wide(minor));
    formatted.unwrap_or_else(|| minor.to_string())
}

fn as_group(g: &GroupFigures) -> Group {
    Group { customers: g.customers.max(0) as u64, converted: g.converted.max(0) as u64 }
}

fn group_view(g: &GroupFigures, currency: &str) -> GroupView {
    GroupView {
        customers: g.customers,
        converted: g.converted,
        rate: round6(as_group(g).rate()),
        revenue: wide_money(g.revenue_minor, currency),
    }
}

fn lift_view(f: &CampaignFigures) -> LiftView {
    let found = lift::lift(as_group(&f.treatment), as_group(&f.control));
    LiftView {
        absolute: found.map(|l| round6(l.absolute)),
        relative: found.and_then(|l| l.relative).map(round6),
        ci95: found.map(|l| [round6(l.ci95.0), round6(l.ci95.1)]),
        method: lift::METHOD.to_string(),
        significant: found.map(|l| l.ci95.0 > 0.0 || l.ci95.1 < 0.0),
    }
}

fn revenue_sums(g: &GroupFigures) -> RevenueSums {
    RevenueSums {
        customers: g.customers.max(0) as u64,
        sum: g.revenue_minor as f64,
        sum_squares: g.revenue_sum_squares,
    }
}

fn view(
    id: String,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    currency: String,
    window: i64,
    f: CampaignFigures,
) -> ReportView {
    let incremental = lift::incremental_revenue(
        f.treatment.revenue_minor,
        f.treatment.customers.max(0) as u64,
        f.control.revenue_minor,
        f.control.customers.max(0) as u64,
    );
    let interval = incremental_revenue_ci95(revenue_sums(&f.treatment), revenue_sums(&f.control));
    ReportView {
        campaign_id: id,
        from,
        to,
        attribution_window_hours: round6(window as f64 / 3600.0),
        issued: f.count(&report::ISSUED),
        held_out: f.count(&[OfferStatus::HeldOut]),
        used: f.count(&[OfferStatus::Used]),
        expired: f.count(&[OfferStatus::Expired]),
        outstanding_value: wide_money(f.outstanding_minor, &currency),
        total_value: wide_money(f.total_minor, &currency),
        treatment: group_view(&f.treatment, &currency),
        control: group_view(&f.control, &currency),
        lift: lift_view(&f),
        incremental_revenue: incremental.map(|minor| wide_money(minor, &currency)),
        incremental_revenue_ci95: interval.map(|i| [wide_money(i.lo, &currency), wide_money(i.hi, &currency)]),
        incremental_revenue_significant: interval.map(|i| i.significant),
        refused: f.refused,
        currency,
    }
}

#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/report", summary = "A campaign's outcome and measured lift", tag = "campaigns", security(("bearer" = [])),
    params(("id" = String, Path), ReportParams),
    responses((status = 200, body = ReportView), (status = 400, body = ErrorEnvelope, description = "invalid_request with details.fields (from, to)"),
        (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn get_report(
    auth: AdminAuth,
    path: web::Path<String>,
    params: web::Query<ReportParams>,
    store: web::Data<Store>,
) -> AppResult<web::Json<ReportView>> {
    let id = crate::domain::ids::parse_uuid(&path).map_err(|_| AppError::not_found("campaign"))?;
    let span = window(&params)?;
    let shop = auth.shop.as_str().to_string();
    let (campaign_id, currency, window_secs, figures) = store
        .read::<_, AppError, _>(move |conn| {
            let campaign = campaigns::find(conn, &shop, &id)?.ok_or_else(|| AppError::not_found("campaign"))?;
            let lifetime = campaign.settings.lifetime_seconds();
            let window_secs = if lifetime > 0 { lifetime } else { DEFAULT_WINDOW_SECS };
            let query = ReportQuery {
                shop_id: shop,
                campaign_id: id.clone(),
                from: span.0.naive_utc(),
                to: span.1.naive_utc(),
                window_secs,
            };
            let figures = report::campaign_figures(conn, &query)?;
            let currency = shops::find(conn, &query.shop_id)?
                .map_or_else(|| campaign.settings.discount.currency.clone(), |row| row.currency);
            Ok((id, currency, window_secs, figures))
        })
        .await?;
    Ok(web::Json(view(campaign_id, span, currency, window_secs, figures)))
}
