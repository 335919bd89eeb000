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
use crate::platform::Platform;
use crate::store::claims::{self, ClaimRequest};
use crate::store::outbox::action;
use crate::store::{customers, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

/// Default and largest page of the shopper's lists (`?limit=`).
pub const LIST_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[utoipa::path(get, path = "/api/v1/wallet", tag = "customer", security(("bearer" = [])),
    responses((status = 200, body = WalletView), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn get_wallet(
    auth: CustomerAuth,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
) -> AppResult<web::Json<WalletView>> {
    let wallet = wallet::load(&store, &auth.shop, &auth.customer, Channel::Online).await?;
    let member = wallet::display_membership(&platform, &wallet).await;
    Ok(web::Json(wallet::wallet_view(&wallet, member)?))
}

#[utoipa::path(get, path = "/api/v1/quote", tag = "customer", security(("bearer" = [])), params(QuoteQuery),
    responses((status = 200, body = QuoteView), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub async fn get_quote(
    auth: CustomerAuth,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    query: web::Query<QuoteQuery>,
) -> AppResult<web::Json<QuoteView>> {
    let wallet = wallet::load(&store, &auth.shop, &auth.customer, Channel::Online).await?;
    let member = wallet::display_membership(&platform, &wallet).await;
    Ok(web::Json(wallet::quote(&wallet, query.points, member)?))
}

#[utoipa::path(post, path = "/api/v1/claims", tag = "customer", security(("bearer" = [])), request_body = ClaimBody,
    params(("Idempotency-Key" = String, Header, description = "required; replays the first response")),
    responses((status = 201, body = ClaimView), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "insufficient_points"),
        (status = 422, body = ErrorEnvelope, description = "below_minimum, above_maximum, not_eligible, program_disabled, purchase_type_not_allowed, zero_value, idempotency_conflict"),
        (status = 503, body = ErrorEnvelope, description = "unavailable: segment membership cannot be checked (platform down or answering nonsense)")))]
pub async fn post_claim(
    req: HttpRequest,
    auth: CustomerAuth,
    key: IdempotencyKey,
    body: JsonBody<ClaimBody>,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
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
    wallet::create_claim(&store, &platform, &metrics, request, idempotent).await
}

#[utoipa::path(get, path = "/api/v1/claims", tag = "customer", security(("bearer" = [])), params(ListQuery),
    description = "Newest first, in pages (addition to API.md: `?limit=&cursor=` and `next_cursor`; default 50 rows, at most 500). The cursor is the last row's id (UUIDv7, so id order is creation order).",
    responses((status = 200, body = ClaimList), (status = 400, body = ErrorEnvelope, description = "invalid_request: a cursor that is not an id"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list_claims(
    auth: CustomerAuth,
    store: web::Data<Store>,
    query: web::Query<ListQuery>,
) -> AppResult<web::Json<ClaimList>> {
    let (limit, before) = query.page()?;
    let (shop, customer) = (auth.shop.as_str().to_string(), auth.customer.into_string());
    let mut rows =
        store.read(move |conn| Ok(claims::for_customer(conn, &shop, &customer, before.as_deref(), limit + 1)?)).await?;
    let next_cursor = next_cursor(&mut rows, limit, |c| c.id.clone());
    Ok(web::Json(ClaimList { claims: rows.iter().map(ClaimView::from).collect(), next_cursor }))
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
    platform: web::Data<Arc<Platform>>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let request = RefundRequest {
        owner: wallet::owner(&auth.shop, "customer", auth.customer.as_str()),
        key: key.0,
        fingerprint: fingerprint(&req, b""),
        claim_id: path.into_inner(),
        customer: Some(auth.customer.into_string()),
    };
    refund(&store, &platform, &metrics, request).await
}

/// A refund as the shopper's and the merchant's doors ask for it.
pub struct RefundRequest {
    pub owner: idempotency::KeyOwner,
    pub key: Option<IdempotencyKey>,
    pub fingerprint: String,
    pub claim_id: String,
    /// The shopper's door limits the refund to their own claims.
    pub customer: Option<String>,
}

/// Refunds through the idempotency layer: 200 once credited, 202 while the
/// platform still deletes the code (tried within the push window first).
pub async fn refund(
    store: &Store,
    platform: &Arc<Platform>,
    metrics: &Metrics,
    request: RefundRequest,
) -> AppResult<HttpResponse> {
    let claim_id = parse_uuid(&request.claim_id).map_err(|_| AppError::not_found("claim"))?;
    let shop = request.owner.shop_id.clone();
    let (owner, key) = (request.owner.clone(), request.key.clone());
    let idempotent = Idempotent { owner: request.owner, key: request.key, fingerprint: request.fingerprint };
    let (s, customer) = (shop.clone(), request.customer);
    let status =
        |view: &RefundView| if view.claim.status == "refund_pending" { StatusCode::ACCEPTED } else { StatusCode::OK };
    let mut answer = idempotency::answer(store, idempotent, status, move |conn| {
        let refund = claims::refund(conn, &s, &claim_id, customer.as_deref())?;
        Ok(RefundView {
            claim: ClaimView::from(&refund.claim),
            points_refunded: refund.points_refunded,
            points_balance: refund.points_balance,
        })
    })
    .await?;
    if answer.replayed {
        return answer.into_response();
    }
    Metrics::add(&metrics.refunds, 1);
    if let Some(id) = wallet::pending_claim(&answer.body, "refund_pending") {
        if let Some(view) =
            wallet::settle_within_window(store, platform, &shop, &id, action::REFUND, "refund_pending").await?
        {
            if view.status == "refunded" {
                let (s, customer) = (shop.clone(), view.customer_id.clone());
                let balance = store.read(move |conn| Ok(customers::balance(conn, &s, &customer)?)).await?;
                let settled = RefundView { points_refunded: view.points, points_balance: balance, claim: view };
                answer.status = StatusCode::OK.as_u16();
                answer.body = serde_json::to_string(&settled).map_err(AppError::internal)?;
                idempotency::restate(store, &owner, &key, answer.status, &answer.body).await?;
            }
        }
    }
    if answer.status == StatusCode::OK.as_u16() {
        let refunded: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        Metrics::add(&metrics.points_refunded, refunded["points_refunded"].as_u64().unwrap_or(0));
    }
    answer.into_response()
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Rows per page, 1-500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (older rows follow).
    pub cursor: Option<String>,
}

impl ListQuery {
    /// The page size and the id to continue below; a bad cursor is a 400.
    pub fn page(&self) -> AppResult<(i64, Option<String>)> {
        let limit = self.limit.unwrap_or(LIST_LIMIT).clamp(1, MAX_LIMIT);
        let before = match self.cursor.as_deref() {
            None => None,
            Some(raw) => {
                Some(parse_uuid(raw).map_err(|_| AppError::invalid("cursor: not a cursor from a previous page"))?)
            }
        };
        Ok((limit, before))
    }
}

/// Trims the extra row fetched to see whether another page follows and
/// returns the cursor to it (the last row's id), or None at the end.
pub fn next_cursor<T>(rows: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(id)
}

#[utoipa::path(get, path = "/api/v1/transactions", tag = "customer", security(("bearer" = [])), params(ListQuery),
    description = "Newest first, in pages (addition to API.md: `?limit=&cursor=` and `next_cursor`; default 50 rows, at most 500). The cursor is the last entry's id (UUIDv7, so id order is creation order).",
    responses((status = 200, body = EntryList), (status = 400, body = ErrorEnvelope, description = "invalid_request: a cursor that is not an id"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list_transactions(
    auth: CustomerAuth,
    store: web::Data<Store>,
    query: web::Query<ListQuery>,
) -> AppResult<web::Json<EntryList>> {
    let (limit, before) = query.page()?;
    let (shop, customer) = (auth.shop.as_str().to_string(), auth.customer.into_string());
    let mut rows =
        store.read(move |conn| Ok(customers::entries(conn, &shop, &customer, before.as_deref(), limit + 1)?)).await?;
    let next_cursor = next_cursor(&mut rows, limit, |e| e.id.clone());
    Ok(web::Json(EntryList { entries: rows.iter().map(EntryView::from).collect(), next_cursor }))
}
