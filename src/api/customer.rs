//! The shopper's door (role customer): always the token's own wallet.

use super::auth::CustomerAuth;
use super::extract::{fingerprint, IdempotencyKey, JsonBody, MaybeIdempotencyKey};
use super::idempotency::{self, Idempotent};
use super::views::{ClaimList, ClaimView, EntryList, EntryView, QuoteView, RefundView, WalletView};
use super::wallet::{self, ClaimBody, QuoteQuery};
use crate::domain::ids::parse_uuid;
use crate::domain::program::Channel;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::metrics::Metrics;
use crate::store::claims::{self, ClaimRequest};
use crate::store::{customers, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub const LIST_LIMIT: i64 = 100;

#[utoipa::path(get, path = "/api/v1/wallet", tag = "customer", security(("bearer" = [])),
    responses((status = 200, body = WalletView), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn get_wallet(
    auth: CustomerAuth,
    store: web::Data<Store>,
) -> AppResult<web::Json<WalletView>> {
    let wallet = wallet::load(&store, &auth.shop, &auth.customer, Channel::Online).await?;
    Ok(web::Json(wallet::wallet_view(&wallet)?))
}

#[utoipa::path(get, path = "/api/v1/quote", tag = "customer", security(("bearer" = [])), params(QuoteQuery),
    responses((status = 200, body = QuoteView), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub async fn get_quote(
    auth: CustomerAuth,
    store: web::Data<Store>,
    query: web::Query<QuoteQuery>,
) -> AppResult<web::Json<QuoteView>> {
    let wallet = wallet::load(&store, &auth.shop, &auth.customer, Channel::Online).await?;
    Ok(web::Json(wallet::quote(&wallet, query.points)?))
}

#[utoipa::path(post, path = "/api/v1/claims", tag = "customer", security(("bearer" = [])), request_body = ClaimBody,
    params(("Idempotency-Key" = String, Header, description = "required; replays the first response")),
    responses((status = 201, body = ClaimView), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "insufficient_points"),
        (status = 422, body = ErrorEnvelope, description = "below_minimum, above_maximum, not_eligible, program_disabled, purchase_type_not_allowed, zero_value, idempotency_conflict")))]
pub async fn post_claim(
    req: HttpRequest,
    auth: CustomerAuth,
    key: IdempotencyKey,
    body: JsonBody<ClaimBody>,
    store: web::Data<Store>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let request = ClaimRequest {
        points: wallet::parse_points(body.value.points)?,
        purchase_type: body.value.purchase_type,
        shop: auth.shop.clone(),
        customer: auth.customer.clone(),
        channel: Channel::Online,
        segment_member: None,
    };
    let idempotent = Idempotent {
        owner: wallet::owner(&auth.shop, "customer", auth.customer.as_str()),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    wallet::create_claim(&store, &metrics, request, idempotent).await
}

#[utoipa::path(get, path = "/api/v1/claims", tag = "customer", security(("bearer" = [])),
    responses((status = 200, body = ClaimList), (status = 401, body = ErrorEnvelope)))]
pub async fn list_claims(
    auth: CustomerAuth,
    store: web::Data<Store>,
) -> AppResult<web::Json<ClaimList>> {
    let (shop, customer) = (auth.shop.as_str().to_string(), auth.customer.into_string());
    let rows = store
        .read(move |conn| Ok(claims::for_customer(conn, &shop, &customer, LIST_LIMIT)?))
        .await?;
    Ok(web::Json(ClaimList {
        claims: rows.iter().map(ClaimView::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/claims/{id}/refund", tag = "customer", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = RefundView), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "claim_not_refundable")))]
pub async fn refund_claim(
    req: HttpRequest,
    auth: CustomerAuth,
    path: web::Path<String>,
    key: MaybeIdempotencyKey,
    store: web::Data<Store>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let owner = wallet::owner(&auth.shop, "customer", auth.customer.as_str());
    refund(
        &req,
        &store,
        &metrics,
        owner,
        key,
        &path,
        Some(auth.customer.into_string()),
    )
    .await
}

/// Shared by the shopper's and the merchant's refund doors.
pub async fn refund(
    req: &HttpRequest,
    store: &Store,
    metrics: &Metrics,
    owner: idempotency::KeyOwner,
    key: MaybeIdempotencyKey,
    claim_id: &str,
    customer: Option<String>,
) -> AppResult<HttpResponse> {
    let claim_id = parse_uuid(claim_id).map_err(|_| AppError::not_found("claim"))?;
    let shop = owner.shop_id.clone();
    let idempotent = Idempotent {
        owner,
        key: key.0,
        fingerprint: fingerprint(req, b""),
    };
    let response = idempotency::run(store, idempotent, StatusCode::OK, move |conn| {
        let refund = claims::refund(conn, &shop, &claim_id, customer.as_deref())?;
        Ok(RefundView {
            claim: ClaimView::from(&refund.claim),
            points_refunded: refund.points_refunded,
            points_balance: refund.points_balance,
        })
    })
    .await?;
    Metrics::add(&metrics.refunds, 1);
    Ok(response)
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most 500; default 100.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/transactions", tag = "customer", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = EntryList), (status = 401, body = ErrorEnvelope)))]
pub async fn list_transactions(
    auth: CustomerAuth,
    store: web::Data<Store>,
    query: web::Query<ListQuery>,
) -> AppResult<web::Json<EntryList>> {
    let limit = query.limit.unwrap_or(LIST_LIMIT).clamp(1, 500);
    let (shop, customer) = (auth.shop.as_str().to_string(), auth.customer.into_string());
    let rows = store
        .read(move |conn| Ok(customers::entries(conn, &shop, &customer, limit)?))
        .await?;
    Ok(web::Json(EntryList {
        entries: rows.iter().map(EntryView::from).collect(),
    }))
}
