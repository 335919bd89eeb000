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
pub struct CampaignView {
    pub id: String,
    pub version: i64,
    pub name: String,
    /// False when disabled by the admin or paused by the kill switch.
    pub enabled: bool,
    /// Why the campaign paused itself (null when it did not).
    pub paused_reason: Option<String>,
    #[schema(value_type = Object)]
    pub trigger: Value,
    #[schema(value_type = Object)]
    pub discount: Value,
    #[schema(value_type = Object)]
    pub code: Value,
    #[schema(value_type = f64)]
    pub expires_after_hours: Value,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub eligibility: Eligibility,
    #[schema(value_type = Object)]
    pub limits: Value,
    pub holdout_percent: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

fn opt_money(minor: Option<i64>, currency: &str) -> Value {
    minor.map_or(Value::Null, |m| Value::String(money(m, currency)))
}

/// `{kind, value, min_subtotal, max_shipping, ...}` of a discount.
pub fn discount_json(d: &Discount) -> Value {
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
pub struct OfferView {
    pub id: String,
    pub campaign_id: String,
    pub campaign_version: i64,
    pub customer_id: String,
    pub event_id: String,
    /// scheduled, held_out, refused, cancelled, pending, active, used, expired, deleted, failed
    pub status: String,
    /// For refused: limit_reached, budget_exhausted, customer_blocked, campaign_inactive, not_eligible, too_soon
    pub reason: Option<String>,
    pub code: Option<String>,
    #[schema(value_type = Object)]
    pub discount: Value,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub order_id: Option<String>,
    pub due_at: DateTime<Utc>,
}

impl From<&OfferRow> for OfferView {
    fn from(o: &OfferRow) -> Self {
        Self {
            id: o.id.clone(),
            campaign_id: o.campaign_id.clone(),
            campaign_version: o.campaign_version,
            customer_id: o.customer_id.clone(),
            event_id: o.event_id.clone(),
            status: o.status.clone(),
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
pub struct OfferPage {
    pub offers: Vec<OfferView>,
    pub next_cursor: Option<String>,
}

/// An offer as its customer sees it (`GET /api/v1/offers`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOfferView {
    pub id: String,
    /// The campaign's name.
    pub campaign: String,
    pub code: Option<String>,
    #[schema(value_type = Object)]
    pub discount: Value,
    /// pending, active, used, expired
    pub status: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOfferList {
    pub offers: Vec<CustomerOfferView>,
}
