//! The platform's door: `POST /webhooks/shopify`. The HMAC is checked over
//! the raw body in constant time before anything is parsed or stored; the
//! event's dedupe record and its effect commit together, then 200.

use super::extract::collect_body;
use crate::config::Settings;
use crate::domain::ids::ShopDomain;
use crate::error::{AppError, AppResult, ErrorCode, ErrorEnvelope};
use crate::platform::shopify::topic::Topic;
use crate::platform::shopify::webhooks::take_effect;
use crate::store::{webhooks, Store};
use actix_web::{web, HttpRequest};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;

/// Platform payloads (orders with many lines) are larger than API bodies.
const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookReceipt {
    /// processed, duplicate or ignored
    pub(crate) status: String,
    pub(crate) outcome: String,
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// base64(HMAC-SHA256(secret, body)) compared in constant time.
fn verify_hmac(secret: &[u8], body: &[u8], signature: Option<&str>) -> bool {
    let Some(decoded) = signature.and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&decoded).is_ok()
}

#[utoipa::path(post, path = "/webhooks/shopify", summary = "Platform webhooks (HMAC-signed)", tag = "platform",
    description = "Campaign events from webhooks: customers/create → a customer event, orders/paid → an \
order event stored once per order id (a guest order makes none), checkouts/create|update → a cart event whose \
cart id is the checkout token (an update replaces that checkout's pending offer; guest or completed checkouts \
make none). orders/create|paid carrying an offer's code mark it used; discounts/delete of an unused offer's code \
marks it deleted. Beyond API.md: several win_back campaigns all fire when the shortest inactive_days passes.",
    params(("X-Shopify-Hmac-Sha256" = String, Header), ("X-Shopify-Topic" = String, Header),
        ("X-Shopify-Shop-Domain" = String, Header), ("X-Shopify-Event-Id" = Option<String>, Header),
        ("X-Shopify-Webhook-Id" = Option<String>, Header)),
    request_body(content = Object, description = "the platform's payload for the topic"),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub(crate) async fn receive(
    req: HttpRequest,
    mut payload: web::Payload,
    settings: web::Data<Settings>,
    store: web::Data<Store>,
) -> AppResult<web::Json<WebhookReceipt>> {
    let body = collect_body(&mut payload, WEBHOOK_BODY_LIMIT).await?;
    if !verify_hmac(settings.app_secret.expose().as_bytes(), &body, header(&req, "x-shopify-hmac-sha256")) {
        return Err(AppError::new(ErrorCode::Unauthorized, "webhook signature does not match"));
    }
    let topic =
        header(&req, "x-shopify-topic").ok_or_else(|| AppError::invalid("X-Shopify-Topic is required"))?.to_string();
    let shop = ShopDomain::parse(header(&req, "x-shopify-shop-domain").unwrap_or(""))
        .map_err(|e| AppError::invalid(format!("X-Shopify-Shop-Domain: {e}")))?;
    let event_id = header(&req, "x-shopify-event-id")
        .or_else(|| header(&req, "x-shopify-webhook-id"))
        .filter(|id| id.len() <= 255)
        .ok_or_else(|| AppError::invalid("X-Shopify-Event-Id or X-Shopify-Webhook-Id is required"))?
        .to_string();
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| AppError::invalid(format!("invalid JSON body: {e}")))?;
    let receipt = store
        .write::<_, AppError, _>(move |conn| {
            let shop_id = shop.as_str();
            if !webhooks::record_event(conn, shop_id, &event_id, &topic)? {
                return Ok(WebhookReceipt { status: "duplicate".into(), outcome: "already processed".into() });
            }
            let (status, outcome) = match Topic::from_stored(&topic) {
                Some(handled) => ("processed", take_effect(conn, shop_id, handled, json)?),
                None => ("ignored", format!("topic {topic} is not handled")),
            };
            webhooks::set_outcome(conn, shop_id, &event_id, &outcome)?;
            Ok(WebhookReceipt { status: status.into(), outcome })
        })
        .await?;
    tracing::info!(status = %receipt.status, outcome = %receipt.outcome, "webhook");
    Ok(web::Json(receipt))
}
