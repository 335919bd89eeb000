//! The shopper's door (role customer): always the token's own wallet.

use super::auth::CustomerAuth;
use super::claim_flow::{self, ClaimBody, QuoteQuery};
use super::extract::{fingerprint, IdempotencyKey, JsonBody, MaybeIdempotencyKey};
use super::idempotency::{self, Answer, Idempotent, Stored};
use super::paging::{self, PageQuery};
use super::views::{ClaimList, ClaimView, EntryList, QuoteView, RefundView, WalletView};
use crate::domain::claim::{CancelledBy, ClaimStatus};
use crate::domain::ids::parse_uuid;
use crate::domain::program::Channel;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::metrics::Metrics;
use crate::platform::Platform;
use crate::store::claims::{self, ClaimRequest};
use crate::store::outbox::OutboxAction;
use crate::store::{customers, AnyConnection, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

#[utoipa::path(get, path = "/api/v1/wallet", summary = "The shopper's balance and program", tag = "customer", security(("bearer" = [])),
    responses((status = 200, body = WalletView), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn get_wallet(
    auth: CustomerAuth,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
) -> AppResult<web::Json<WalletView>> {
    let wallet = claim_flow::load(&store, &auth.shop, &auth.customer, Channel::Online).await?;
    let member = claim_flow::display_membership(&platform, &wallet).await;
    Ok(web::Json(claim_flow::wallet_view(&wallet, member)?))
}

#[utoipa::path(get, path = "/api/v1/quote", summary = "What a number of points is worth", tag = "customer", security(("bearer" = [])), params(QuoteQuery),
    responses((status = 200, body = QuoteView), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub(crate) async fn get_quote(
    auth: CustomerAuth,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    query: web::Query<QuoteQuery>,
) -> AppResult<web::Json<QuoteView>> {
    let wallet = claim_flow::load(&store, &auth.shop, &auth.customer, Channel::Online).await?;
    let member = claim_flow::display_membership(&platform, &wallet).await;
    Ok(web::Json(claim_flow::quote(&wallet, query.points, member)?))
}

#[utoipa::path(post, path = "/api/v1/claims", summary = "Turn points into a discount code", tag = "customer", security(("bearer" = [])), request_body = ClaimBody,
    params(("Idempotency-Key" = String, Header, description = "required; replays the first response")),
    responses((status = 201, body = ClaimView), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "insufficient_points"),
        (status = 422, body = ErrorEnvelope, description = "below_minimum, above_maximum, not_eligible, program_disabled, purchase_type_not_allowed, zero_value, idempotency_conflict"),
        (status = 503, body = ErrorEnvelope, description = "unavailable: segment membership cannot be checked (platform down or answering nonsense)")))]
pub(crate) async fn post_claim(
    req: HttpRequest,
    auth: CustomerAuth,
    key: IdempotencyKey,
    body: JsonBody<ClaimBody>,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let request = ClaimRequest {
        points: claim_flow::parse_points(body.value.points)?,
        purchase_type: body.value.purchase_type,
        shop: auth.shop.clone(),
        customer: auth.customer.clone(),
        channel: Channel::Online,
        segment_member: None,
    };
    let idempotent = Idempotent {
        owner: claim_flow::owner(&auth.shop, "customer", auth.customer.as_str()),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    claim_flow::create_claim(&store, &platform, &metrics, request, idempotent).await
}

#[utoipa::path(get, path = "/api/v1/claims", summary = "The shopper's codes, newest first, one page at a time", tag = "customer", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = ClaimList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_claims(
    auth: CustomerAuth,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<ClaimList>> {
    let page = query.check()?;
    let (shop, customer) = (auth.shop.as_str().to_string(), auth.customer.into_string());
    Ok(web::Json(store.read(move |conn| paging::claim_page(conn, &shop, &customer, &page)).await?))
}

#[utoipa::path(post, path = "/api/v1/claims/{id}/refund", summary = "Give back an unused code for its points", tag = "customer", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = RefundView), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "claim_not_refundable")))]
pub(crate) async fn refund_claim(
    req: HttpRequest,
    auth: CustomerAuth,
    path: web::Path<String>,
    key: MaybeIdempotencyKey,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let request = RefundRequest {
        owner: claim_flow::owner(&auth.shop, "customer", auth.customer.as_str()),
        key: key.0,
        fingerprint: fingerprint(&req, b""),
        claim_id: path.into_inner(),
        customer: Some(auth.customer.into_string()),
        by: CancelledBy::Shopper,
    };
    refund(&store, &platform, &metrics, request).await
}

/// A refund as the shopper's and the merchant's doors ask for it.
pub(crate) struct RefundRequest {
    pub(crate) owner: idempotency::KeyOwner,
    pub(crate) key: Option<IdempotencyKey>,
    pub(crate) fingerprint: String,
    pub(crate) claim_id: String,
    /// The shopper's door limits the refund to their own claims.
    pub(crate) customer: Option<String>,
    /// Who is cancelling the code: the door says (shopper, merchant, clerk).
    pub(crate) by: CancelledBy,
}

/// Refunds through the idempotency layer: 200 once credited, 202 while the
/// platform still deletes the code (tried within the push window first).
pub(crate) async fn refund(
    store: &Store,
    platform: &Arc<Platform>,
    metrics: &Metrics,
    request: RefundRequest,
) -> AppResult<HttpResponse> {
    let claim_id = parse_uuid(&request.claim_id).map_err(|_| AppError::not_found("claim"))?;
    let shop = request.owner.shop_id.clone();
    let (owner, key) = (request.owner.clone(), request.key.clone());
    let idempotent = Idempotent { owner: request.owner, key: request.key, fingerprint: request.fingerprint };
    let (shop_id, customer, by) = (shop.clone(), request.customer, request.by);
    let work = move |conn: &mut AnyConnection| {
        claims::refund_by(conn, &shop_id, &claim_id, customer.as_deref(), by).map_err(AppError::from)
    };
    let answer = idempotency::answer(store, idempotent, work, refund_response).await?;
    let Answer::Fresh { result: refund, .. } = &answer else { return Ok(answer.into_response()) };
    Metrics::add(&metrics.refunds, 1);
    if refund.claim.status != ClaimStatus::RefundPending {
        Metrics::add(&metrics.points_refunded, refund.points_refunded.unsigned_abs());
        return Ok(answer.into_response());
    }
    let claim = &refund.claim.id;
    let settled = claim_flow::settle_within_window(
        store,
        platform,
        &shop,
        claim,
        OutboxAction::Refund,
        ClaimStatus::RefundPending,
    );
    let Some(row) = settled.await?.filter(|row| row.status == ClaimStatus::Refunded) else {
        return Ok(answer.into_response());
    };
    let (shop_id, customer) = (shop.clone(), row.customer_id.clone());
    let balance = store.read_query(move |conn| customers::balance(conn, &shop_id, &customer)).await?;
    let settled = RefundView { points_refunded: row.points, points_balance: balance, claim: ClaimView::from(&row) };
    let response = Stored::new(StatusCode::OK, &settled)?;
    idempotency::restate(store, &owner, &key, &response).await?;
    Metrics::add(&metrics.points_refunded, row.points.unsigned_abs());
    Ok(response.into_response())
}

/// 202 while the platform still deletes the code, 200 once credited.
fn refund_response(refund: &claims::Refund) -> AppResult<Stored> {
    let status = match refund.claim.status {
        ClaimStatus::RefundPending => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    };
    let view = RefundView {
        claim: ClaimView::from(&refund.claim),
        points_refunded: refund.points_refunded,
        points_balance: refund.points_balance,
    };
    Stored::new(status, &view)
}

#[utoipa::path(get, path = "/api/v1/transactions", summary = "The shopper's ledger, newest first, one page at a time", tag = "customer", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = EntryList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_transactions(
    auth: CustomerAuth,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<EntryList>> {
    let page = query.check()?;
    let (shop, customer) = (auth.shop.as_str().to_string(), auth.customer.into_string());
    Ok(web::Json(store.read(move |conn| paging::entry_page(conn, &shop, &customer, &page)).await?))
}
