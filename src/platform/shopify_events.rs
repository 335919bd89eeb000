//! Shopify's webhook payloads turned into campaign events:
//! `customers/create` → a `customer` event, `orders/paid` → an `order`
//! event, `checkouts/create|update` → a `cart` event. Only the shapes live
//! here; storing and matching is the store's (`store::events`).

use crate::domain::code;
use crate::domain::event::{Event, EventKind};
use crate::domain::ids::CustomerId;
use crate::domain::money::Currency;
use chrono::NaiveDateTime;
use serde_json::Value;

/// Platform ids arrive as numbers or strings.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn customer_id(value: &Value) -> Option<String> {
    id_text(value).and_then(|raw| CustomerId::parse(&raw).ok()).map(CustomerId::into_string)
}

fn text(value: &Value, max: usize) -> Option<String> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty() && s.len() <= max).map(str::to_string)
}

/// An RFC 3339 time (Shopify's `created_at` etc.) as naive UTC.
fn time(value: &Value) -> Option<NaiveDateTime> {
    value.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.naive_utc())
}

fn money(value: &Value, currency: Currency) -> Option<i64> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    currency.parse_amount(&raw).ok()
}

/// `customers/create`: a `customer` event with the first name and e-mail
/// (welcome campaigns); None without a usable customer id.
pub fn customer_created(payload: &Value) -> Option<Event> {
    let mut event = Event::new(customer_id(&payload["id"])?, EventKind::Customer);
    event.first_name = text(&payload["first_name"], 100);
    event.email = text(&payload["email"], 254);
    event.occurred_at = time(&payload["created_at"]);
    Some(event)
}

/// `orders/paid`: an `order` event for the order's customer (first_order,
/// order_paid, nth_order; cancels the customer's pending carts). None for a
/// guest order (no customer) or an order without an id.
pub fn order_paid(payload: &Value, currency: Currency) -> Option<Event> {
    let customer = &payload["customer"];
    let mut event = Event::new(customer_id(&customer["id"])?, EventKind::Order);
    event.order_id = Some(id_text(&payload["id"])?);
    event.subtotal_minor = Some(money(&payload["subtotal_price"], currency).unwrap_or(0));
    event.first_name = text(&customer["first_name"], 100);
    event.email = text(&customer["email"], 254);
    event.occurred_at = time(&payload["processed_at"]).or_else(|| time(&payload["created_at"]));
    Some(event)
}

/// `checkouts/create` / `checkouts/update`: a `cart` event whose cart id is
/// the checkout token (or id). A later update of the same checkout replaces
/// its pending offer (the event cancels that cart first). None for a guest
/// checkout or one already completed (an order follows).
pub fn checkout(payload: &Value, currency: Currency) -> Option<Event> {
    if !payload["completed_at"].is_null() {
        return None;
    }
    let customer = &payload["customer"];
    let cart = text(&payload["token"], 255).or_else(|| id_text(&payload["id"]))?;
    let mut event = Event::new(customer_id(&customer["id"])?, EventKind::Cart);
    event.subtotal_minor = money(&payload["subtotal_price"], currency);
    event.first_name = text(&customer["first_name"], 100);
    event.email = text(&customer["email"], 254).or_else(|| text(&payload["email"], 254));
    event.occurred_at = time(&payload["updated_at"]).or_else(|| time(&payload["created_at"]));
    event.cancels = Some(cart.clone());
    event.cart_id = Some(cart);
    Some(event)
}

/// The codes an order used (`discount_codes[].code`), normalized.
pub fn order_codes(payload: &Value) -> Vec<String> {
    payload["discount_codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str())
        .filter_map(code::normalize)
        .collect()
}

/// The order's id and subtotal (minor units, 0 when absent).
pub fn order_ref(payload: &Value, currency: Currency) -> Option<(String, i64)> {
    Some((id_text(&payload["id"])?, money(&payload["subtotal_price"], currency).unwrap_or(0)))
}

/// `discounts/delete`: the deleted node's gid.
pub fn deleted_discount(payload: &Value) -> Option<String> {
    payload["admin_graphql_api_id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| id_text(&payload["id"]).map(|id| format!("gid://shopify/DiscountCodeNode/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_become_events() {
        let usd = Currency::parse("USD").expect("usd");
        let c = customer_created(&json!({"id": 7, "first_name": "Ada", "email": "a@x.io"})).expect("customer");
        assert_eq!((c.customer_id.as_str(), c.first_name.as_deref()), ("7", Some("Ada")));
        let o = order_paid(&json!({"id": 9, "customer": {"id": "7"}, "subtotal_price": "12.50"}), usd).expect("order");
        assert_eq!((o.order_id.as_deref(), o.subtotal_minor), (Some("9"), Some(1250)));
        assert!(order_paid(&json!({"id": 9, "customer": null, "subtotal_price": "1.00"}), usd).is_none(), "guest");
        let k = checkout(&json!({"id": 3, "token": "tok", "customer": {"id": 7}, "subtotal_price": "5.00"}), usd)
            .expect("cart");
        assert_eq!((k.cart_id.as_deref(), k.cancels.as_deref()), (Some("tok"), Some("tok")));
        let done = json!({"id": 3, "token": "t", "customer": {"id": 7}, "completed_at": "2026-01-01T00:00:00Z"});
        assert!(checkout(&done, usd).is_none(), "completed checkouts are not carts");
        assert_eq!(order_codes(&json!({"discount_codes": [{"code": " ada-xyz "}, {"code": ""}]})), ["ADA-XYZ"]);
    }
}
