//! The POS terminal's door (role pos): find a customer, quote, claim with
//! the `pos` program.

use super::admin::{search_customers, CustomerQuery};
use super::auth::PosAuth;
use super::campaign_views::CustomerOfferList;
use super::claim_flow::{self, QuoteQuery};
use super::customer::{refund, RefundRequest};
use super::events::offers_of;
use super::extract::{fingerprint, IdempotencyKey, JsonBody, MaybeIdempotencyKey};
use super::idempotency::Idempotent;
use super::views::{ClaimList, ClaimView, CustomerPage, QuoteView, RefundView, WalletView};
use crate::domain::ids::CustomerId;
use crate::domain::program::{Channel, PurchaseType};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::metrics::Metrics;
use crate::platform::Platform;
use crate::store::claims::{self, ClaimRequest};
use crate::store::Store;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

fn customer_id(raw: &str) -> AppResult<CustomerId> {
    CustomerId::parse(raw)
        .map_err(|e| AppError::invalid_fields("invalid customer id", serde_json::json!({"customer_id": e})))
}

#[utoipa::path(get, path = "/api/v1/pos/customers", summary = "Find a customer at the till", operation_id = "pos_list_customers", tag = "pos", security(("bearer" = [])), params(CustomerQuery),
    responses((status = 200, body = CustomerPage), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_customers(
    auth: PosAuth,
    store: web::Data<Store>,
    query: web::Query<CustomerQuery>,
) -> AppResult<web::Json<CustomerPage>> {
    let query = query.into_inner();
    // At the till a clerk looks one shopper up; an empty search lists no one.
    if query.query.as_deref().unwrap_or("").trim().is_empty() {
        return Ok(web::Json(CustomerPage { customers: vec![], next_cursor: None }));
    }
    Ok(web::Json(search_customers(&store, auth.shop.as_str(), query).await?))
}

#[utoipa::path(get, path = "/api/v1/pos/customers/{id}/wallet", summary = "A customer's wallet at the till", operation_id = "pos_get_wallet", tag = "pos", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = WalletView), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn get_wallet(
    auth: PosAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
) -> AppResult<web::Json<WalletView>> {
    let customer = CustomerId::parse(&path).map_err(|_| AppError::not_found("customer"))?;
    let wallet = claim_flow::load(&store, &auth.shop, &customer, Channel::Pos).await?;
    let member = claim_flow::display_membership(&platform, &wallet).await;
    Ok(web::Json(claim_flow::wallet_view(&wallet, member)?))
}

#[utoipa::path(get, path = "/api/v1/pos/quote", summary = "What points are worth at the till", operation_id = "pos_get_quote", tag = "pos", security(("bearer" = [])), params(QuoteQuery),
    responses((status = 200, body = QuoteView), (status = 400, body = ErrorEnvelope, description = "invalid_request: customer_id missing, or points not a whole number from 1 up"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope, description = "invalid_request: customer_id is not a customer id (details.fields.customer_id)")))]
pub(crate) async fn get_quote(
    auth: PosAuth,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    query: web::Query<QuoteQuery>,
) -> AppResult<web::Json<QuoteView>> {
    let raw = query.customer_id.as_deref().ok_or_else(|| AppError::invalid("customer_id is required"))?;
    let wallet = claim_flow::load(&store, &auth.shop, &customer_id(raw)?, Channel::Pos).await?;
    let member = claim_flow::display_membership(&platform, &wallet).await;
    Ok(web::Json(claim_flow::quote(&wallet, query.points, member)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PosClaimBody {
    pub(crate) customer_id: String,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub(crate) points: i64,
    #[serde(default)]
    pub(crate) purchase_type: Option<PurchaseType>,
}

#[utoipa::path(post, path = "/api/v1/pos/claims", summary = "Turn a customer's points into a code at the till", operation_id = "pos_post_claim", tag = "pos", security(("bearer" = [])), request_body = PosClaimBody,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = ClaimView), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub(crate) async fn post_claim(
    req: HttpRequest,
    auth: PosAuth,
    key: IdempotencyKey,
    body: JsonBody<PosClaimBody>,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let request = ClaimRequest {
        customer: customer_id(&body.value.customer_id)?,
        points: claim_flow::parse_points(body.value.points)?,
        purchase_type: body.value.purchase_type,
        shop: auth.shop.clone(),
        channel: Channel::Pos,
        segment_member: None,
    };
    let idempotent = Idempotent {
        owner: claim_flow::owner(&auth.shop, "pos", &auth.subject),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    tracing::info!(location = auth.location_id.as_deref().unwrap_or("-"), "pos claim");
    claim_flow::create_claim(&store, &platform, &metrics, request, idempotent).await
}

/// Open codes (pending or active, online and POS) listed at the till; at
/// most this many, newest first.
const OPEN_CODES: i64 = 50;

#[utoipa::path(get, path = "/api/v1/pos/customers/{id}/claims", summary = "A customer's open codes at the till", tag = "pos", security(("bearer" = [])),
    params(("id" = String, Path)),
    description = "Addition (not in API.md): the customer's open codes (status pending or active, channels online and pos), newest first, at most 50; `next_cursor` is always null.",
    responses((status = 200, body = ClaimList), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn list_open_claims(
    auth: PosAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> AppResult<web::Json<ClaimList>> {
    let customer = CustomerId::parse(&path).map_err(|_| AppError::not_found("customer"))?.into_string();
    let shop = auth.shop.as_str().to_string();
    let rows = store.read_query(move |conn| claims::open_for_customer(conn, &shop, &customer, OPEN_CODES)).await?;
    Ok(web::Json(ClaimList { claims: rows.iter().map(ClaimView::from).collect(), next_cursor: None }))
}

#[utoipa::path(post, path = "/api/v1/pos/claims/{id}/refund", operation_id = "pos_refund_claim", summary = "Cancel a code at the till (points back)", tag = "pos", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    description = "Addition (not in API.md): cancel a mistaken code at the till, points back. The same rules as the admin refund, limited to the token's shop.",
    responses((status = 200, body = RefundView), (status = 202, body = RefundView, description = "refund_pending while the platform deletes the code"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope, description = "claim_not_refundable")))]
pub(crate) async fn refund_claim(
    req: HttpRequest,
    auth: PosAuth,
    path: web::Path<String>,
    key: MaybeIdempotencyKey,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    tracing::info!(location = auth.location_id.as_deref().unwrap_or("-"), "pos refund");
    let request = RefundRequest {
        owner: claim_flow::owner(&auth.shop, "pos", &auth.subject),
        key: key.0,
        fingerprint: fingerprint(&req, b""),
        claim_id: path.into_inner(),
        customer: None,
        by: crate::domain::claim::CancelledBy::Clerk,
    };
    refund(&store, &platform, &metrics, request).await
}

#[utoipa::path(get, path = "/api/v1/pos/customers/{id}/offers", summary = "A customer's campaign offers at the till", operation_id = "pos_list_offers", tag = "pos", security(("bearer" = [])),
    params(("id" = String, Path)),
    description = "Addition (not in API.md): the customer's campaign offers, as `GET /api/v1/offers` shows them to the shopper, so the clerk can read or copy a code the shopper cannot find. Offers give no points back, so the till cannot cancel them.",
    responses((status = 200, body = CustomerOfferList), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn list_offers(
    auth: PosAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> AppResult<web::Json<CustomerOfferList>> {
    let customer = CustomerId::parse(&path).map_err(|_| AppError::not_found("customer"))?;
    Ok(web::Json(offers_of(&store, auth.shop.as_str(), customer.as_str()).await?))
}
