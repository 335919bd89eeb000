//! Campaigns: the settings an event is turned into a personal code with,
//! parsed once from the admin's JSON with every problem named by its field.

use super::campaign_parse::{self as p, Fields};
use super::money::Currency;
use super::program::{CombinesWith, Eligibility, EligibilityKind, PurchaseTypes};
use super::state::stored_state;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) use super::campaign_parse::FieldErrors;

stored_state! {
    /// What starts a campaign's offer.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TriggerKind("trigger kind") {
        Welcome = "welcome",
        FirstOrder = "first_order",
        OrderPaid = "order_paid",
        NthOrder = "nth_order",
        CartAbandoned = "cart_abandoned",
        WinBack = "win_back",
        Birthday = "birthday",
        Custom = "custom",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DiscountKind {
    FixedAmount,
    Percentage,
    FreeShipping,
}

impl DiscountKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DiscountKind::FixedAmount => "fixed_amount",
            DiscountKind::Percentage => "percentage",
            DiscountKind::FreeShipping => "free_shipping",
        }
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        [DiscountKind::FixedAmount, DiscountKind::Percentage, DiscountKind::FreeShipping]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Trigger {
    pub(crate) kind: TriggerKind,
    pub(crate) delay_minutes: i64,
    pub(crate) n: Option<i64>,
    pub(crate) inactive_days: Option<i64>,
    pub(crate) min_subtotal_minor: Option<i64>,
    pub(crate) event: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Discount {
    pub(crate) kind: DiscountKind,
    /// fixed_amount: minor units.
    pub(crate) amount_minor: Option<i64>,
    /// percentage: 1-100.
    pub(crate) percentage: Option<Decimal>,
    pub(crate) max_shipping_minor: Option<i64>,
    pub(crate) min_subtotal_minor: Option<i64>,
    pub(crate) purchase_type: PurchaseTypes,
    pub(crate) combines_with: CombinesWith,
    pub(crate) currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CodeTemplate {
    pub(crate) template: String,
    pub(crate) random_length: usize,
    pub(crate) prefix: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Limits {
    pub(crate) per_customer: Option<i64>,
    pub(crate) per_customer_days: Option<i64>,
    pub(crate) daily_codes: Option<i64>,
    pub(crate) max_outstanding_value_minor: Option<i64>,
    pub(crate) max_total_value_minor: Option<i64>,
    pub(crate) assumed_value_minor: Option<i64>,
    pub(crate) max_codes_per_hour: Option<i64>,
}

/// Validated campaign settings, stored per version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CampaignSettings {
    pub(crate) name: String,
    /// What shoppers see as the offer's title; the name when absent (the
    /// name is often internal: "Cart wave 2, test B").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) trigger: Trigger,
    pub(crate) discount: Discount,
    pub(crate) code: CodeTemplate,
    pub(crate) expires_after_hours: Decimal,
    pub(crate) starts_at: Option<NaiveDateTime>,
    pub(crate) ends_at: Option<NaiveDateTime>,
    pub(crate) eligibility: Eligibility,
    pub(crate) limits: Limits,
    pub(crate) holdout_percent: i64,
}

impl CampaignSettings {
    /// Parses an admin body in the shop's currency.
    pub(crate) fn parse(body: &Value, currency: Currency) -> Result<Self, FieldErrors> {
        let mut f = Fields::new(body, currency);
        if !body.is_object() {
            f.error("", "the body must be a JSON object");
            return Err(f.into_errors());
        }
        f.known(
            "",
            &[
                "name",
                "title",
                "enabled",
                "trigger",
                "discount",
                "code",
                "expires_after_hours",
                "starts_at",
                "ends_at",
                "eligibility",
                "limits",
                "holdout_percent",
            ],
        );
        let name = f.text("name", 1, 200).unwrap_or_default();
        let title = match body.get("title") {
            None | Some(Value::Null) => None,
            Some(_) => f.text("title", 1, 80),
        };
        let enabled = f.boolean("enabled").unwrap_or(false);
        let trigger = p::trigger(&mut f);
        let discount = p::discount(&mut f);
        let code = p::code(&mut f);
        let expires_after_hours = p::expiry(&mut f);
        let starts_at = f.time("starts_at");
        let ends_at = f.time("ends_at");
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                f.error("ends_at", "must be after starts_at");
            }
        }
        let eligibility = p::eligibility(&mut f);
        let limits = p::limits(&mut f, discount.as_ref());
        let holdout_percent = f.integer("holdout_percent", 0, 50).unwrap_or(0);
        let errors = f.into_errors();
        match (trigger, discount, code, expires_after_hours) {
            (Some(trigger), Some(discount), Some(code), Some(expires_after_hours)) if errors.is_empty() => Ok(Self {
                name,
                title,
                enabled,
                trigger,
                discount,
                code,
                expires_after_hours,
                starts_at,
                ends_at,
                eligibility,
                limits,
                holdout_percent,
            }),
            _ => Err(errors),
        }
    }

    /// The offer's title as shoppers see it.
    pub(crate) fn shopper_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    /// Whether the schedule admits an offer at `now`.
    pub(crate) fn in_schedule(&self, now: NaiveDateTime) -> bool {
        self.starts_at.is_none_or(|start| now >= start) && self.ends_at.is_none_or(|end| now < end)
    }

    /// What an offer reserves against the money caps, in minor units:
    /// a fixed amount's face value; otherwise `limits.assumed_value`, or for
    /// free shipping `max_shipping`; 0 when neither is set (no cap then).
    pub(crate) fn reserve_minor(&self) -> i64 {
        match self.discount.kind {
            DiscountKind::FixedAmount => self.discount.amount_minor.unwrap_or(0),
            DiscountKind::Percentage => self.limits.assumed_value_minor.unwrap_or(0),
            DiscountKind::FreeShipping => {
                self.limits.assumed_value_minor.or(self.discount.max_shipping_minor).unwrap_or(0)
            }
        }
    }

    /// The code's lifetime in whole seconds (at least 36 s: 0.01 h).
    pub(crate) fn lifetime_seconds(&self) -> i64 {
        let seconds = self.expires_after_hours * Decimal::from(3600);
        i64::try_from(seconds.trunc()).unwrap_or(i64::MAX / 2).max(1)
    }

    /// The customer is in the campaign's audience (segments are resolved by
    /// the caller and passed as `in_segment`).
    pub(crate) fn eligible(&self, customer: &str, in_segment: bool) -> bool {
        match self.eligibility.kind {
            EligibilityKind::All => true,
            EligibilityKind::Customers => self.eligibility.ids.binary_search(&customer.to_string()).is_ok(),
            EligibilityKind::Segments => in_segment,
        }
    }
}
