//! Field-by-field reading of a campaign body: each reader records what is
//! wrong under the field's dotted name and carries on, so one 422 lists all.

use super::campaign::{CodeTemplate, Discount, DiscountKind, Limits, Trigger, TriggerKind};
use super::code_template;
use super::money::Currency;
use super::program::{CombinesWith, Eligibility, EligibilityKind, PurchaseTypes};
use chrono::{DateTime, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

pub(crate) type FieldErrors = BTreeMap<String, String>;

pub(crate) struct Fields<'a> {
    body: &'a Value,
    pub(crate) currency: Currency,
    errors: FieldErrors,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Fields<'a> {
    pub(crate) fn new(body: &'a Value, currency: Currency) -> Self {
        Self { body, currency, errors: FieldErrors::new() }
    }

    pub(crate) fn into_errors(self) -> FieldErrors {
        self.errors
    }

    pub(crate) fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.to_string()).or_insert_with(|| message.into());
    }

    /// The value at a dotted path; None when absent or null.
    pub(crate) fn get(&self, path: &str) -> Option<&'a Value> {
        let mut value = self.body;
        for key in path.split('.') {
            value = value.get(key)?;
        }
        (!value.is_null()).then_some(value)
    }

    /// Refuses keys of the object at `path` that are not in `allowed`.
    pub(crate) fn known(&mut self, path: &str, allowed: &[&str]) {
        let value = if path.is_empty() { Some(self.body) } else { self.get(path) };
        let Some(object) = value.and_then(Value::as_object) else { return };
        let unknown: Vec<String> = object.keys().filter(|k| !allowed.contains(&k.as_str())).cloned().collect();
        for key in unknown {
            self.error(&join(path, &key), "unknown field");
        }
    }

    pub(crate) fn object(&mut self, path: &str) -> bool {
        match self.get(path) {
            Some(Value::Object(_)) => true,
            Some(_) => {
                self.error(path, "must be an object");
                false
            }
            None => false,
        }
    }

    pub(crate) fn text(&mut self, path: &str, min: usize, max: usize) -> Option<String> {
        match self.get(path) {
            Some(Value::String(s)) if (min..=max).contains(&s.trim().chars().count()) => Some(s.trim().to_string()),
            None if min == 0 => None,
            _ => {
                self.error(path, format!("must be a string of {min}-{max} characters"));
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, path: &str) -> Option<bool> {
        match self.get(path) {
            Some(Value::Bool(b)) => Some(*b),
            None => None,
            Some(_) => {
                self.error(path, "must be true or false");
                None
            }
        }
    }

    /// An optional integer within `min..=max`.
    pub(crate) fn integer(&mut self, path: &str, min: i64, max: i64) -> Option<i64> {
        let value = self.get(path)?;
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(path, format!("must be a whole number between {min} and {max}"));
                None
            }
        }
    }

    fn decimal(&mut self, path: &str) -> Option<Decimal> {
        let value = self.get(path)?;
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let parsed = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok();
        if parsed.is_none() {
            self.error(path, "must be a decimal number");
        }
        parsed
    }

    /// An optional amount of money (decimal string or number) in minor units, > 0.
    fn money(&mut self, path: &str) -> Option<i64> {
        let value = self.get(path)?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        match self.currency.parse_amount(&text) {
            Ok(minor) if minor > 0 => Some(minor),
            Ok(_) => {
                self.error(path, "must be greater than 0");
                None
            }
            Err(e) => {
                self.error(path, e);
                None
            }
        }
    }

    pub(crate) fn time(&mut self, path: &str) -> Option<NaiveDateTime> {
        let value = self.get(path)?;
        match value.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
            Some(time) => Some(time.naive_utc()),
            None => {
                self.error(path, "must be an RFC 3339 time or null");
                None
            }
        }
    }
}

pub(crate) fn trigger(f: &mut Fields) -> Option<Trigger> {
    if !f.object("trigger") {
        f.error("trigger", "required: an object with kind");
        return None;
    }
    f.known("trigger", &["kind", "delay_minutes", "n", "inactive_days", "min_subtotal", "event", "segment_id"]);
    let kind = match f.get("trigger.kind").and_then(Value::as_str).and_then(TriggerKind::from_stored) {
        Some(kind) => kind,
        None => {
            f.error(
                "trigger.kind",
                "one of welcome, first_order, order_paid, nth_order, cart_abandoned, win_back, birthday, custom",
            );
            return None;
        }
    };
    let delay_minutes = f.integer("trigger.delay_minutes", 0, 60 * 24 * 365).unwrap_or(0);
    let mut trigger =
        Trigger { kind, delay_minutes, n: None, inactive_days: None, min_subtotal_minor: None, event: None };
    match kind {
        TriggerKind::NthOrder => {
            trigger.n = f.integer("trigger.n", 1, 10_000);
            if trigger.n.is_none() {
                f.error("trigger.n", "required for nth_order: 1-10000");
            }
        }
        TriggerKind::WinBack => {
            trigger.inactive_days = f.integer("trigger.inactive_days", 1, 3650);
            if trigger.inactive_days.is_none() {
                f.error("trigger.inactive_days", "required for win_back: 1-3650");
            }
        }
        TriggerKind::OrderPaid => trigger.min_subtotal_minor = f.money("trigger.min_subtotal"),
        TriggerKind::Custom => {
            trigger.event = f.text("trigger.event", 1, 100);
            if trigger.event.is_none() {
                f.error("trigger.event", "required for custom: the event name");
            }
        }
        _ => {}
    }
    Some(trigger)
}

pub(crate) fn discount(f: &mut Fields) -> Option<Discount> {
    if !f.object("discount") {
        f.error("discount", "required: an object with kind");
        return None;
    }
    f.known("discount", &["kind", "value", "min_subtotal", "max_shipping", "purchase_type", "combines_with"]);
    let Some(kind) = f.get("discount.kind").and_then(Value::as_str).and_then(DiscountKind::parse) else {
        f.error("discount.kind", "one of fixed_amount, percentage, free_shipping");
        return None;
    };
    let mut discount = Discount {
        kind,
        amount_minor: None,
        percentage: None,
        max_shipping_minor: None,
        min_subtotal_minor: f.money("discount.min_subtotal"),
        purchase_type: purchase_type(f),
        combines_with: combines_with(f),
        currency: f.currency.code().to_string(),
    };
    match kind {
        DiscountKind::FixedAmount => {
            discount.amount_minor = f.money("discount.value");
            if discount.amount_minor.is_none() {
                f.error("discount.value", "required: an amount greater than 0");
            }
        }
        DiscountKind::Percentage => {
            let value = f.decimal("discount.value").map(|d| d.normalize());
            match value {
                Some(v) if v >= Decimal::ONE && v <= Decimal::ONE_HUNDRED && v.scale() <= 2 => {
                    discount.percentage = Some(v)
                }
                _ => f.error("discount.value", "required: a percentage from 1 to 100 (at most 2 decimals)"),
            }
        }
        DiscountKind::FreeShipping => {
            if f.get("discount.value").is_some() {
                f.error("discount.value", "free_shipping has no value; use max_shipping");
            }
            discount.max_shipping_minor = f.money("discount.max_shipping");
        }
    }
    Some(discount)
}

fn purchase_type(f: &mut Fields) -> PurchaseTypes {
    match f.get("discount.purchase_type").map(|v| v.as_str()) {
        None | Some(Some("one_time")) => PurchaseTypes::OneTime,
        Some(Some("subscription")) => PurchaseTypes::Subscription,
        Some(Some("both")) => PurchaseTypes::Both,
        Some(_) => {
            f.error("discount.purchase_type", "one_time, subscription or both");
            PurchaseTypes::OneTime
        }
    }
}

fn combines_with(f: &mut Fields) -> CombinesWith {
    if !f.object("discount.combines_with") {
        return CombinesWith::default();
    }
    f.known("discount.combines_with", &["order", "product", "shipping"]);
    CombinesWith {
        order: f.boolean("discount.combines_with.order").unwrap_or(false),
        product: f.boolean("discount.combines_with.product").unwrap_or(false),
        shipping: f.boolean("discount.combines_with.shipping").unwrap_or(false),
    }
}

pub(crate) fn code(f: &mut Fields) -> Option<CodeTemplate> {
    if !f.object("code") {
        f.error("code", "required: an object with template");
        return None;
    }
    f.known("code", &["template", "random_length", "prefix"]);
    let length = f.get("code.random_length").map_or(Some(8), Value::as_i64);
    let random_length = match length {
        Some(n @ 8..=16) => n as usize,
        _ => {
            f.error("code.random_length", "must be a whole number from 8 to 16");
            8
        }
    };
    let prefix = f.text("code.prefix", 0, 12).map(|p| p.to_ascii_uppercase());
    if let Some(prefix) = &prefix {
        if !prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
            f.error("code.prefix", "1-12 characters of A-Z, 0-9, - and _");
        }
    }
    // Codes compare case-insensitively: literal text is stored upper-case.
    let template = f.text("code.template", 1, 40)?.to_ascii_uppercase();
    if let Err(e) = code_template::check(&template, random_length) {
        f.error("code.template", e);
    }
    Some(CodeTemplate { template, random_length, prefix })
}

pub(crate) fn expiry(f: &mut Fields) -> Option<Decimal> {
    let Some(hours) = f.decimal("expires_after_hours") else {
        f.error("expires_after_hours", "required: hours, at least 0.01");
        return None;
    };
    let max = Decimal::from(24 * 366);
    if hours < Decimal::new(1, 2) || hours > max {
        f.error("expires_after_hours", "must be from 0.01 to 8784 hours");
        return None;
    }
    Some(hours.normalize())
}

pub(crate) fn eligibility(f: &mut Fields) -> Eligibility {
    let all = Eligibility { kind: EligibilityKind::All, ids: vec![] };
    let Some(value) = f.get("eligibility") else { return all };
    match serde_json::from_value::<Eligibility>(value.clone()) {
        Ok(parsed) => {
            let mut errors = FieldErrors::new();
            let parsed = super::program::parse_eligibility(parsed, &mut errors);
            for (field, message) in errors {
                f.error(&field, message);
            }
            parsed
        }
        Err(e) => {
            f.error("eligibility", format!("{{kind: all|customers|segments, ids: [...]}}: {e}"));
            all
        }
    }
}

pub(crate) fn limits(f: &mut Fields, discount: Option<&Discount>) -> Limits {
    if !f.object("limits") {
        return Limits::default();
    }
    let keys = [
        "per_customer",
        "per_customer_days",
        "daily_codes",
        "max_outstanding_value",
        "max_total_value",
        "assumed_value",
        "max_codes_per_hour",
    ];
    f.known("limits", &keys);
    let limits = Limits {
        per_customer: f.integer("limits.per_customer", 1, 1_000_000),
        per_customer_days: f.integer("limits.per_customer_days", 1, 3650),
        daily_codes: f.integer("limits.daily_codes", 1, 100_000_000),
        max_outstanding_value_minor: f.money("limits.max_outstanding_value"),
        max_total_value_minor: f.money("limits.max_total_value"),
        assumed_value_minor: f.money("limits.assumed_value"),
        max_codes_per_hour: f.integer("limits.max_codes_per_hour", 1, 100_000_000),
    };
    let capped = limits.max_outstanding_value_minor.is_some() || limits.max_total_value_minor.is_some();
    let needs_assumed = matches!(
        discount.map(|d| (d.kind, d.max_shipping_minor)),
        Some((DiscountKind::Percentage, _)) | Some((DiscountKind::FreeShipping, None))
    );
    if capped && needs_assumed && limits.assumed_value_minor.is_none() {
        f.error("limits.assumed_value", "required when a money cap is set for percentage or free shipping");
    }
    if limits.per_customer_days.is_some() && limits.per_customer.is_none() {
        f.error("limits.per_customer", "required when per_customer_days is set");
    }
    limits
}
