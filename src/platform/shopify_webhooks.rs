//! The campaign side of Shopify's webhooks: each topic's payload
//! parsed by `shopify_events`, its effect written in the caller's
//! transaction (the one holding the webhook's dedupe record, so the same
//! delivery three times is one event).

use super::shopify_events as parse;
use crate::domain::money::Currency;
use crate::error::{AppError, AppResult};
use crate::store::{events, offer_life, shops, AnyConnection};
use serde_json::Value;

/// Where an event from a webhook says it came from (`campaign_events.source`).
const SOURCE: &str = "shopify";

fn currency(conn: &mut AnyConnection, shop_id: &str) -> AppResult<Currency> {
    let shop = shops::ensure(conn, shop_id)?;
    Currency::parse(&shop.currency).map_err(AppError::internal_msg)
}

/// `customers/create` → a `customer` event (welcome campaigns).
pub fn customer_created(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> AppResult<String> {
    let Some(event) = parse::customer_created(payload) else {
        return Ok("no usable customer id; no event".into());
    };
    let done = events::ingest(conn, shop_id, &event, SOURCE, crate::clock::now())?;
    Ok(format!("customer event {}, campaigns matched: {}", done.event_id, done.matched_campaigns))
}

/// `orders/create` and `orders/paid`: offer codes in the order become used
/// (with the order id and subtotal); a paid order with a customer is also an
/// `order` event, stored once per order id.
pub fn order(conn: &mut AnyConnection, shop_id: &str, payload: &Value, paid: bool) -> AppResult<String> {
    let currency = currency(conn, shop_id)?;
    let now = crate::clock::now();
    let mut used = 0;
    if let Some((order_id, subtotal)) = parse::order_ref(payload, currency) {
        for code in parse::order_codes(payload) {
            used += usize::from(offer_life::use_code(conn, shop_id, &code, &order_id, subtotal, now)?);
        }
    }
    let mut outcome = format!("offers used: {used}");
    if paid {
        match parse::order_paid(payload, currency) {
            Some(event) => match events::ingest_order_once(conn, shop_id, &event, SOURCE, now)? {
                Some(done) => {
                    outcome.push_str(&format!(", order event, campaigns matched: {}", done.matched_campaigns))
                }
                None => outcome.push_str(", order event already stored"),
            },
            None => outcome.push_str(", guest order: no event"),
        }
    }
    Ok(outcome)
}

/// `checkouts/create` / `checkouts/update` → a `cart` event (replacing the
/// same checkout's pending cart offer).
pub fn checkout(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> AppResult<String> {
    let currency = currency(conn, shop_id)?;
    let Some(event) = parse::checkout(payload, currency) else {
        return Ok("guest or completed checkout; no event".into());
    };
    let done = events::ingest(conn, shop_id, &event, SOURCE, crate::clock::now())?;
    Ok(format!("cart event {}, campaigns matched: {}", done.event_id, done.matched_campaigns))
}

/// `discounts/delete` of an offer's code: the unused offer becomes
/// `deleted`. None when the node is not one of our offers.
pub fn discount_deleted(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> AppResult<Option<String>> {
    let Some(node) = parse::deleted_discount(payload) else { return Ok(None) };
    Ok(offer_life::deleted_at_platform(conn, shop_id, &node, crate::clock::now())?.map(|moved| {
        if moved {
            "offer deleted, reservation released".to_string()
        } else {
            "offer already closed".to_string()
        }
    }))
}
