//! Events about one customer (from the merchant or the platform), parsed
//! once; the trigger kinds an event can start.

use super::campaign_parse::{FieldErrors, Fields};
use super::ids::CustomerId;
use super::money::Currency;
use super::profile::{phone_digits, Profile};
use super::state::stored_state;
use chrono::NaiveDateTime;
use serde_json::Value;

stored_state! {
    /// What an event is (`campaign_events.kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum EventKind("event kind") {
        Custom = "custom",
        Cart = "cart",
        Order = "order",
        Customer = "customer",
        /// Made by the scheduled scan, never posted.
        WinBack = "win_back",
        Birthday = "birthday",
    }
}

stored_state! {
    /// Who reported an event (`campaign_events.source`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum EventSource("event source") {
        /// The merchant's `POST /api/v1/admin/events`.
        Api = "api",
        /// A platform webhook.
        Shopify = "shopify",
        /// The scheduled scan (win-back, birthday).
        Scan = "scan",
        /// The offers benchmark's seed.
        Bench = "bench",
    }
}

impl EventKind {
    /// The kinds a merchant may post.
    fn parse_posted(raw: &str) -> Option<Self> {
        [EventKind::Custom, EventKind::Cart, EventKind::Order, EventKind::Customer]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// A parsed event, ready to be stored and matched.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) customer_id: String,
    pub(crate) kind: EventKind,
    pub(crate) name: Option<String>,
    pub(crate) occurred_at: Option<NaiveDateTime>,
    /// A cart id whose scheduled offers this event cancels.
    pub(crate) cancels: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) email: Option<String>,
    /// Digits only (`data.phone`, webhooks' `phone`).
    pub(crate) phone: Option<String>,
    /// `MM-DD`.
    pub(crate) birthday: Option<String>,
    pub(crate) cart_id: Option<String>,
    pub(crate) order_id: Option<String>,
    pub(crate) subtotal_minor: Option<i64>,
}

impl Event {
    pub(crate) fn new(customer_id: String, kind: EventKind) -> Self {
        Self {
            customer_id,
            kind,
            name: None,
            occurred_at: None,
            cancels: None,
            first_name: None,
            last_name: None,
            email: None,
            phone: None,
            birthday: None,
            cart_id: None,
            order_id: None,
            subtotal_minor: None,
        }
    }

    /// Parses `POST /api/v1/admin/events`; every problem under its field.
    pub(crate) fn parse(body: &Value, currency: Currency) -> Result<Self, FieldErrors> {
        let mut f = Fields::new(body, currency);
        f.known("", &["customer_id", "kind", "name", "occurred_at", "cancels", "data"]);
        let customer = f.text("customer_id", 1, 64).and_then(|raw| match CustomerId::parse(&raw) {
            Ok(id) => Some(id.into_string()),
            Err(e) => {
                f.error("customer_id", e);
                None
            }
        });
        if customer.is_none() {
            f.error("customer_id", "required: the customer's id");
        }
        let kind = f.get("kind").and_then(Value::as_str).and_then(EventKind::parse_posted);
        if kind.is_none() {
            f.error("kind", "one of custom, cart, order, customer");
        }
        let name = f.text("name", 0, 100);
        if kind == Some(EventKind::Custom) && name.is_none() {
            f.error("name", "required for custom events");
        }
        let occurred_at = f.time("occurred_at");
        let cancels = f.text("cancels", 0, 255);
        if f.get("data").is_some() && !f.object("data") {
            f.error("data", "must be an object");
        }
        f.known("data", &["first_name", "last_name", "email", "phone", "birthday", "cart_id", "order_id", "subtotal"]);
        let first_name = f.text("data.first_name", 0, 100);
        let last_name = f.text("data.last_name", 0, 100);
        let email = f.text("data.email", 0, 254);
        let phone = f.text("data.phone", 0, 40).and_then(|raw| match phone_digits(&raw) {
            Some(digits) => Some(digits),
            None => {
                f.error("data.phone", "a phone number of 3 to 20 digits");
                None
            }
        });
        let birthday = f.text("data.birthday", 0, 10).and_then(|raw| match parse_birthday(&raw) {
            Some(day) => Some(day),
            None => {
                f.error("data.birthday", "MM-DD or YYYY-MM-DD");
                None
            }
        });
        let cart_id = f.text("data.cart_id", 0, 255);
        let order_id = f.text("data.order_id", 0, 255);
        let subtotal_minor = subtotal(&mut f);
        if kind == Some(EventKind::Order) && order_id.is_none() {
            f.error("data.order_id", "required for order events");
        }
        let errors = f.into_errors();
        match (customer, kind) {
            (Some(customer_id), Some(kind)) if errors.is_empty() => Ok(Self {
                customer_id,
                kind,
                name,
                occurred_at,
                cancels,
                first_name,
                last_name,
                email,
                phone,
                birthday,
                cart_id,
                order_id,
                subtotal_minor,
            }),
            _ => Err(errors),
        }
    }
}

impl Event {
    /// What the event tells about who the customer is.
    pub(crate) fn profile(&self) -> Profile {
        Profile {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// A subtotal may be zero (unlike campaign money).
fn subtotal(f: &mut Fields) -> Option<i64> {
    let value = f.get("data.subtotal")?;
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    match f.currency.parse_amount(&text) {
        Ok(minor) => Some(minor),
        Err(e) => {
            f.error("data.subtotal", e);
            None
        }
    }
}

/// `MM-DD` or `YYYY-MM-DD` → `MM-DD` (a real day of a leap year).
fn parse_birthday(raw: &str) -> Option<String> {
    let day = match raw.len() {
        5 => raw,
        10 if raw.as_bytes()[4] == b'-' && raw[..4].bytes().all(|b| b.is_ascii_digit()) => &raw[5..],
        _ => return None,
    };
    let (month, dom) = day.split_once('-')?;
    if month.len() != 2 || dom.len() != 2 {
        return None;
    }
    let (month, dom): (u32, u32) = (month.parse().ok()?, dom.parse().ok()?);
    chrono::NaiveDate::from_ymd_opt(2000, month, dom)?;
    Some(format!("{month:02}-{dom:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays() {
        assert_eq!(parse_birthday("02-29").as_deref(), Some("02-29"));
        assert_eq!(parse_birthday("1990-07-04").as_deref(), Some("07-04"));
        assert_eq!(parse_birthday("13-01"), None);
        assert_eq!(parse_birthday("02-30"), None);
        assert_eq!(parse_birthday("7-4"), None);
    }
}
