//! Events from the merchant's systems (`POST /api/v1/admin/events`) and the
//! shopper's own offers (`GET /api/v1/offers`).

use super::admin::currency_of;
use super::auth::{AdminAuth, CustomerAuth};
use super::campaign_views::{discount_json, CustomerOfferList, CustomerOfferView};
use super::claim_flow::owner;
use super::extract::{fingerprint, IdempotencyKey, JsonBody};
use super::idempotency::{self, Idempotent};
use super::views::utc;
use crate::domain::event::{Event, EventSource};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::store::{campaigns, events, offers, shops, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::ToSchema;

/// `{customer_id, kind: custom|cart|order|customer, name?, occurred_at?, cancels?, data}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = Object, example = json!({
    "customer_id": "207119551", "kind": "cart", "data": {"cart_id": "c-1", "subtotal": "52.00", "first_name": "Ada"}
}))]
pub struct EventInput(pub Value);

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventReceipt {
    pub(crate) event_id: String,
    /// How many enabled campaigns scheduled an offer for this event.
    pub(crate) matched_campaigns: usize,
}

#[utoipa::path(post, path = "/api/v1/admin/events", summary = "Report a customer event to the campaigns", tag = "campaigns", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)), request_body = EventInput,
    responses((status = 202, body = EventReceipt), (status = 400, body = ErrorEnvelope),
        (status = 413, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope, description = "invalid_request with details.fields")))]
pub(crate) async fn post_event(
    req: HttpRequest,
    auth: AdminAuth,
    key: IdempotencyKey,
    body: JsonBody<Value>,
    store: web::Data<Store>,
) -> AppResult<HttpResponse> {
    let shop = auth.shop.as_str().to_string();
    let idempotent = Idempotent {
        owner: owner(&auth.shop, "admin", &auth.subject),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    let input = body.value;
    idempotency::run(&store, idempotent, StatusCode::ACCEPTED, move |conn| {
        let currency = currency_of(&shops::ensure(conn, &shop)?)?;
        let event = Event::parse(&input, currency)
            .map_err(|fields| AppError::invalid_fields("the event is not valid", fields))?;
        let done = events::ingest(conn, &shop, &event, EventSource::Api, Utc::now().naive_utc())?;
        Ok(EventReceipt { event_id: done.event_id, matched_campaigns: done.matched_campaigns })
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/offers", summary = "The shopper's personal offers", tag = "customer", security(("bearer" = [])),
    responses((status = 200, body = CustomerOfferList), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_my_offers(
    auth: CustomerAuth,
    store: web::Data<Store>,
) -> AppResult<web::Json<CustomerOfferList>> {
    let list = offers_of(&store, auth.shop.as_str(), auth.customer.as_str()).await?;
    Ok(web::Json(list))
}

/// A customer's offers as they see them (the shopper's door and the till).
pub(crate) async fn offers_of(store: &Store, shop: &str, customer: &str) -> AppResult<CustomerOfferList> {
    let (shop, customer) = (shop.to_string(), customer.to_string());
    store
        .read::<_, AppError, _>(move |conn| {
            let rows = offers::visible_for_customer(conn, &shop, &customer, 100)?;
            let mut titles: HashMap<String, (String, String)> = HashMap::new();
            let mut views = Vec::with_capacity(rows.len());
            for row in &rows {
                if !titles.contains_key(&row.campaign_id) {
                    let found = campaigns::find(conn, &shop, &row.campaign_id)?;
                    let names = found.map(|c| (c.settings.name.clone(), c.settings.shopper_title().to_string()));
                    titles.insert(row.campaign_id.clone(), names.unwrap_or_default());
                }
                let (campaign, title) = titles.get(&row.campaign_id).cloned().unwrap_or_default();
                views.push(CustomerOfferView {
                    id: row.id.clone(),
                    campaign,
                    title,
                    code: row.code.clone(),
                    discount: row.discount().map_or(Value::Null, |d| discount_json(&d)),
                    status: row.status.as_str().to_string(),
                    expires_at: row.expires_at.map(utc),
                });
            }
            Ok(CustomerOfferList { offers: views })
        })
        .await
}
