//! Shopify's webhook payloads turned into campaign events:
//! `customers/create` → a `customer` event, `orders/paid` → an `order`
//! event, `checkouts/create|update` → a `cart` event. Only the shapes live
//! here; storing and matching is the store's (`store::events`).

use super::payloads::{id_text, time};
use crate::domain::event::{Event, EventKind};
use crate::domain::ids::CustomerId;
use crate::domain::money::Currency;
use crate::domain::platform_event::Order;
use crate::domain::profile::phone_digits;
use serde_json::Value;

fn customer_id(value: &Value) -> Option<String> {
    id_text(value).and_then(|raw| CustomerId::parse(&raw).ok()).map(CustomerId::into_string)
}

fn text(value: &Value, max: usize) -> Option<String> {
    value.as_str().and_then(|s| bounded(s, max))
}

fn bounded(value: &str, max: usize) -> Option<String> {
    Some(value.trim()).filter(|s| !s.is_empty() && s.len() <= max).map(str::to_string)
}

fn money(value: &Value, currency: Currency) -> Option<i64> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    currency.parse_amount(&raw).ok()
}

/// `customers/create`: a `customer` event with the names, e-mail and phone
/// (welcome campaigns, the customer search); None without a usable customer id.
pub(crate) fn customer_created(payload: &Value) -> Option<Event> {
    let mut event = Event::new(customer_id(&payload["id"])?, EventKind::Customer);
    event.first_name = text(&payload["first_name"], 100);
    event.last_name = text(&payload["last_name"], 100);
    event.email = text(&payload["email"], 254);
    event.phone = payload["phone"].as_str().and_then(phone_digits);
    event.occurred_at = time(&payload["created_at"]);
    Some(event)
}

/// `orders/paid`: an `order` event for the order's customer (first_order,
/// order_paid, nth_order; cancels the customer's pending carts). None for a
/// guest order (no customer). An unreadable subtotal is no subtotal.
pub(crate) fn order_paid(order: &Order) -> Option<Event> {
    let customer = order.earner.as_ref()?;
    let mut event = Event::new(customer.as_str().to_string(), EventKind::Order);
    event.order_id = Some(order.order_id.clone());
    event.subtotal_minor = order.subtotal.as_ref().ok().map(|money| money.minor());
    event.first_name = order.first_name.as_deref().and_then(|name| bounded(name, 100));
    event.email = order.email.as_deref().and_then(|email| bounded(email, 254));
    event.occurred_at = order.occurred_at;
    Some(event)
}

/// `checkouts/create` / `checkouts/update`: a `cart` event whose cart id is
/// the checkout token (or id). A later update of the same checkout replaces
/// its pending offer (the event cancels that cart first). None for a guest
/// checkout or one already completed (an order follows).
pub(crate) fn checkout(payload: &Value, currency: Currency) -> Option<Event> {
    if !payload["completed_at"].is_null() {
        return None;
    }
    let customer = &payload["customer"];
    let cart = text(&payload["token"], 255).or_else(|| id_text(&payload["id"]))?;
    let mut event = Event::new(customer_id(&customer["id"])?, EventKind::Cart);
    event.subtotal_minor = money(&payload["subtotal_price"], currency);
    event.first_name = text(&customer["first_name"], 100);
    event.last_name = text(&customer["last_name"], 100);
    event.email = text(&customer["email"], 254).or_else(|| text(&payload["email"], 254));
    event.occurred_at = time(&payload["updated_at"]).or_else(|| time(&payload["created_at"]));
    event.cancels = Some(cart.clone());
    event.cart_id = Some(cart);
    Some(event)
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
        let paid = |body: Value| super::super::payloads::order(body, usd, true).expect("order");
        let o = order_paid(&paid(
            json!({"id": 9, "customer": {"id": "7", "first_name": " Ada "}, "subtotal_price": "12.50"}),
        ))
        .expect("order");
        assert_eq!(
            (o.order_id.as_deref(), o.subtotal_minor, o.first_name.as_deref()),
            (Some("9"), Some(1250), Some("Ada"))
        );
        assert!(order_paid(&paid(json!({"id": 9, "customer": null, "subtotal_price": "1.00"}))).is_none(), "guest");
        let bad = order_paid(&paid(json!({"id": 9, "customer": {"id": 7}, "subtotal_price": "abc"}))).expect("order");
        assert_eq!(bad.subtotal_minor, None, "an unreadable subtotal is not 0");
        let k = checkout(&json!({"id": 3, "token": "tok", "customer": {"id": 7}, "subtotal_price": "5.00"}), usd)
            .expect("cart");
        assert_eq!((k.cart_id.as_deref(), k.cancels.as_deref()), (Some("tok"), Some("tok")));
        let done = json!({"id": 3, "token": "t", "customer": {"id": 7}, "completed_at": "2026-01-01T00:00:00Z"});
        assert!(checkout(&done, usd).is_none(), "completed checkouts are not carts");
    }
}
