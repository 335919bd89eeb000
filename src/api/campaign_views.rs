//! Campaign and offer bodies as docs/API.md shows them.

use super::views::{money, utc};
use crate::domain::campaign::{CampaignSettings, Discount, DiscountKind};
use crate::domain::program::Eligibility;
use crate::store::campaigns::Campaign;
use crate::store::offers::OfferRow;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignView {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) name: String,
    /// What shoppers see as the offer's title (null: the name).
    pub(crate) title: Option<String>,
    /// False when disabled by the admin or paused by the kill switch.
    pub(crate) enabled: bool,
    /// Why the campaign paused itself (null when it did not).
    pub(crate) paused_reason: Option<String>,
    #[schema(value_type = Object)]
    pub(crate) trigger: Value,
    #[schema(value_type = Object)]
    pub(crate) discount: Value,
    #[schema(value_type = Object)]
    pub(crate) code: Value,
    #[schema(value_type = f64)]
    pub(crate) expires_after_hours: Value,
    pub(crate) starts_at: Option<DateTime<Utc>>,
    pub(crate) ends_at: Option<DateTime<Utc>>,
    pub(crate) eligibility: Eligibility,
    #[schema(value_type = Object)]
    pub(crate) limits: Value,
    pub(crate) holdout_percent: i64,
    pub(crate) currency: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignList {
    /// Oldest first.
    pub(crate) campaigns: Vec<CampaignView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub(crate) next_cursor: Option<String>,
}

fn opt_money(minor: Option<i64>, currency: &str) -> Value {
    minor.map_or(Value::Null, |m| Value::String(money(m, currency)))
}

/// `{kind, value, min_subtotal, max_shipping, ...}` of a discount.
pub(crate) fn discount_json(d: &Discount) -> Value {
    let value = match d.kind {
        DiscountKind::FixedAmount => opt_money(d.amount_minor, &d.currency),
        DiscountKind::Percentage => d.percentage.map_or(Value::Null, |p| Value::String(p.normalize().to_string())),
        DiscountKind::FreeShipping => Value::Null,
    };
    json!({
        "kind": d.kind.as_str(),
        "value": value,
        "min_subtotal": opt_money(d.min_subtotal_minor, &d.currency),
        "max_shipping": opt_money(d.max_shipping_minor, &d.currency),
        "purchase_type": serde_json::to_value(d.purchase_type).unwrap_or(Value::Null),
        "combines_with": serde_json::to_value(d.combines_with).unwrap_or(Value::Null),
        "currency": d.currency,
    })
}

fn hours(s: &CampaignSettings) -> Value {
    let text = s.expires_after_hours.normalize().to_string();
    serde_json::from_str::<serde_json::Number>(&text).map_or(Value::String(text), Value::Number)
}

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        let s = &c.settings;
        let currency = s.discount.currency.clone();
        let t = &s.trigger;
        let l = &s.limits;
        Self {
            id: c.row.id.clone(),
            version: c.row.version,
            name: s.name.clone(),
            title: s.title.clone(),
            enabled: c.row.enabled,
            paused_reason: c.row.paused_reason.clone(),
            trigger: json!({
                "kind": t.kind.as_str(), "delay_minutes": t.delay_minutes, "n": t.n,
                "inactive_days": t.inactive_days, "min_subtotal": opt_money(t.min_subtotal_minor, &currency),
                "event": t.event,
            }),
            discount: discount_json(&s.discount),
            code: json!({"template": s.code.template, "random_length": s.code.random_length, "prefix": s.code.prefix}),
            expires_after_hours: hours(s),
            starts_at: s.starts_at.map(utc),
            ends_at: s.ends_at.map(utc),
            eligibility: s.eligibility.clone(),
            limits: json!({
                "per_customer": l.per_customer, "per_customer_days": l.per_customer_days,
                "daily_codes": l.daily_codes,
                "max_outstanding_value": opt_money(l.max_outstanding_value_minor, &currency),
                "max_total_value": opt_money(l.max_total_value_minor, &currency),
                "assumed_value": opt_money(l.assumed_value_minor, &currency),
                "max_codes_per_hour": l.max_codes_per_hour,
            }),
            holdout_percent: s.holdout_percent,
            currency,
            created_at: utc(c.row.created_at),
            updated_at: utc(c.row.updated_at),
        }
    }
}

/// An offer as the admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfferView {
    pub(crate) id: String,
    pub(crate) campaign_id: String,
    pub(crate) campaign_version: i64,
    pub(crate) customer_id: String,
    pub(crate) event_id: String,
    /// scheduled, held_out, refused, cancelled, pending, active, used, expired, deleted, failed
    pub(crate) status: String,
    /// For refused: limit_reached, budget_exhausted, customer_blocked, campaign_inactive,
    /// campaign_paused (the campaign paused itself; its paused_reason says why), not_eligible, too_soon
    pub(crate) reason: Option<String>,
    pub(crate) code: Option<String>,
    #[schema(value_type = Object)]
    pub(crate) discount: Value,
    pub(crate) issued_at: Option<DateTime<Utc>>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) order_id: Option<String>,
    pub(crate) due_at: DateTime<Utc>,
}

impl From<&OfferRow> for OfferView {
    fn from(o: &OfferRow) -> Self {
        Self {
            id: o.id.clone(),
            campaign_id: o.campaign_id.clone(),
            campaign_version: o.campaign_version,
            customer_id: o.customer_id.clone(),
            event_id: o.event_id.clone(),
            status: o.status.as_str().to_string(),
            reason: o.reason.clone(),
            code: o.code.clone(),
            discount: o.discount().map_or(Value::Null, |d| discount_json(&d)),
            issued_at: o.issued_at.map(utc),
            expires_at: o.expires_at.map(utc),
            order_id: o.order_id.clone(),
            due_at: utc(o.due_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfferPage {
    pub(crate) offers: Vec<OfferView>,
    pub(crate) next_cursor: Option<String>,
}

/// An offer as its customer sees it (`GET /api/v1/offers`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CustomerOfferView {
    pub(crate) id: String,
    /// The campaign's name.
    pub(crate) campaign: String,
    /// The offer's title for the shopper: the campaign's title, else its name.
    pub(crate) title: String,
    pub(crate) code: Option<String>,
    #[schema(value_type = Object)]
    pub(crate) discount: Value,
    /// pending, active, used, expired
    pub(crate) status: String,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CustomerOfferList {
    pub(crate) offers: Vec<CustomerOfferView>,
}
