//! Shopify's webhooks taking effect: each topic's body becomes a domain
//! event (`payloads` for points and codes, `events` for campaigns), then the
//! store applies it in the caller's transaction — the one holding the
//! delivery's dedupe record, so the same delivery three times is one effect.

use super::events as campaign;
use super::payloads;
use super::topic::Topic;
use crate::domain::event::EventSource;
use crate::domain::money::Currency;
use crate::domain::platform_event::Order;
use crate::platform::error::{Error, Result};
use crate::store::{self, events, offer_life, shops, webhooks, AnyConnection};
use serde_json::Value;

/// Where an event from a webhook says it came from (`campaign_events.source`).
const SOURCE: EventSource = EventSource::Shopify;

fn currency(conn: &mut AnyConnection, shop_id: &str) -> Result<Currency> {
    let shop = shops::ensure(conn, shop_id)?;
    Currency::parse(&shop.currency).map_err(Error::internal)
}

/// The effect of one handled topic, as a line for the receipt. A body
/// without the topic's shape is 400.
pub(crate) fn take_effect(conn: &mut AnyConnection, shop_id: &str, topic: Topic, json: Value) -> Result<String> {
    Ok(match topic {
        Topic::OrdersCreate | Topic::OrdersPaid => {
            let currency = currency(conn, shop_id)?;
            let order = payloads::order(json, currency, topic == Topic::OrdersPaid).map_err(Error::Payload)?;
            let offers = order_offers(conn, shop_id, &order)?;
            let points = webhooks::apply_order(conn, shop_id, &order)?;
            format!("{points}; {offers}")
        }
        Topic::CustomersCreate => customer_created(conn, shop_id, &json)?,
        Topic::CheckoutsCreate | Topic::CheckoutsUpdate => checkout(conn, shop_id, &json)?,
        Topic::RefundsCreate => {
            let currency = currency(conn, shop_id)?;
            webhooks::apply_refund(conn, shop_id, &payloads::refund(json, currency).map_err(Error::Payload)?)?
        }
        Topic::DiscountsDelete => discount_deleted(conn, shop_id, &json)?,
        Topic::CustomersDataRequest => {
            webhooks::record_data_request(conn, shop_id, &payloads::data_request(&json).map_err(Error::Payload)?)?
        }
        Topic::CustomersRedact => {
            let customer = payloads::privacy_customer(&json).map_err(Error::Payload)?;
            webhooks::redact(conn, shop_id, Some(&customer))?
        }
        Topic::ShopRedact => webhooks::redact(conn, shop_id, None)?,
        Topic::AppUninstalled => webhooks::uninstall(conn, shop_id)?,
    })
}

/// `customers/create` → a `customer` event (welcome campaigns).
fn customer_created(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> Result<String> {
    let Some(event) = campaign::customer_created(payload) else {
        return Ok("no usable customer id; no event".into());
    };
    let done = events::ingest(conn, shop_id, &event, SOURCE, crate::clock::now())?;
    Ok(format!("customer event {}, campaigns matched: {}", done.event_id, done.matched_campaigns))
}

/// `orders/create` and `orders/paid`: offer codes in the order become used
/// (with the order id and subtotal); a paid order with a customer is also an
/// `order` event, stored once per order id.
fn order_offers(conn: &mut AnyConnection, shop_id: &str, order: &Order) -> Result<String> {
    let now = crate::clock::now();
    let subtotal = order.subtotal.as_ref().ok().map(|money| money.minor());
    let mut used = 0;
    for code in &order.codes {
        used += usize::from(
            offer_life::use_code(conn, shop_id, code, &order.order_id, subtotal, now).map_err(store::Error::from)?,
        );
    }
    let mut outcome = format!("offers used: {used}");
    if order.paid {
        match campaign::order_paid(order) {
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
fn checkout(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> Result<String> {
    let currency = currency(conn, shop_id)?;
    let Some(event) = campaign::checkout(payload, currency) else {
        return Ok("guest or completed checkout; no event".into());
    };
    let done = events::ingest(conn, shop_id, &event, SOURCE, crate::clock::now())?;
    Ok(format!("cart event {}, campaigns matched: {}", done.event_id, done.matched_campaigns))
}

/// `discounts/delete`: an unused offer's code becomes `deleted`; otherwise
/// an unused claim's code gives its points back.
fn discount_deleted(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> Result<String> {
    let deleted = payloads::discount_deleted(payload).map_err(Error::Payload)?;
    match offer_life::deleted_at_platform(conn, shop_id, &deleted.platform_id, crate::clock::now())
        .map_err(store::Error::from)?
    {
        Some(true) => Ok("offer deleted, reservation released".into()),
        Some(false) => Ok("offer already closed".into()),
        None => Ok(webhooks::apply_discount_deleted(conn, shop_id, &deleted)?),
    }
}
