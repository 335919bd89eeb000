//! Checkout of a store without a platform connector (role admin, server to
//! server): validate a code for a cart, then redeem it exactly once.

use super::auth::AdminAuth;
use super::claim_flow::owner;
use super::extract::{fingerprint, IdempotencyKey, JsonBody};
use super::idempotency::{self, Idempotent};
use super::views::{money, ClaimView};
use crate::domain::campaign::DiscountKind;
use crate::domain::code;
use crate::domain::ids::CustomerId;
use crate::domain::offer_value::OfferValue;
use crate::domain::program::PurchaseType;
use crate::error::{AppError, AppResult, ErrorCode, ErrorEnvelope};
use crate::store::checkout::{self, RedeemRequest};
use crate::store::claims::ClaimRow;
use crate::store::Store;
use crate::store::{code_failures, offer_settings, shops};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateBody {
    pub(crate) code: String,
    pub(crate) customer_id: String,
    #[serde(default)]
    pub(crate) purchase_type: Option<PurchaseType>,
    /// Cart subtotal, decimal string in the shop's currency.
    pub(crate) subtotal: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ValidateView {
    pub(crate) valid: bool,
    /// fixed_amount (points codes and fixed offers), percentage or free_shipping
    pub(crate) kind: Option<String>,
    /// What the code takes off this subtotal; for free shipping its cap (null: unlimited).
    pub(crate) value: Option<String>,
    pub(crate) currency: String,
    /// code_not_valid with a reason, when not valid
    pub(crate) error: Option<super::views::QuoteError>,
}

fn parse_code(raw: &str) -> AppResult<String> {
    code::normalize(raw)
        .ok_or_else(|| AppError::invalid_fields("invalid code", serde_json::json!({"code": "1-64 of A-Z 0-9 - _"})))
}

fn parse_customer(raw: &str) -> AppResult<String> {
    CustomerId::parse(raw)
        .map(CustomerId::into_string)
        .map_err(|e| AppError::invalid_fields("invalid customer id", serde_json::json!({"customer_id": e})))
}

#[utoipa::path(post, path = "/api/v1/checkout/validate", summary = "Check a code at the native checkout", tag = "checkout", security(("bearer" = [])), request_body = ValidateBody,
    responses((status = 200, body = ValidateView, description = "valid, or not with error.code code_not_valid, below_minimum_subtotal or customer_blocked"),
        (status = 400, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope, description = "rate_limited: more than 20 failed code checks by this customer this clock hour; Retry-After (seconds) and details.retry_after say when the hour ends",
            headers(("Retry-After" = u64, description = "seconds until the limit resets")))))]
pub(crate) async fn validate(
    auth: AdminAuth,
    body: JsonBody<ValidateBody>,
    store: web::Data<Store>,
) -> AppResult<HttpResponse> {
    let input = body.value;
    let code = parse_code(&input.code)?;
    let customer = parse_customer(&input.customer_id)?;
    let shop = auth.shop.as_str().to_string();
    refuse_if_limited(&store, &shop, &customer).await?;
    let (who, code_shop) = (customer.clone(), shop.clone());
    let view = store
        .read::<_, AppError, _>(move |conn| {
            let (purchase, subtotal) = (input.purchase_type, input.subtotal);
            if offer_settings::get(conn, &code_shop)?.blocks(&who) {
                let currency = shops::currency(conn, &code_shop)?;
                let message = "the shop has blocked this customer's codes".to_string();
                return Ok(refused(currency.code(), ErrorCode::CustomerBlocked, message));
            }
            if let Some((currency, verdict)) =
                checkout::usable_offer(conn, &code_shop, &code, &who, purchase, &subtotal)?
            {
                return Ok(offer_view(currency.code(), verdict));
            }
            let (currency, verdict) = checkout::validate(conn, &code_shop, &code, &who, purchase, &subtotal)?;
            Ok(claim_view(currency.code(), verdict))
        })
        .await?;
    if view.error.as_ref().is_some_and(|e| e.code == ErrorCode::CodeNotValid) {
        count_failure(&store, &shop, &customer).await?;
    }
    Ok(HttpResponse::Ok().json(view))
}

/// 429 `rate_limited` with `Retry-After` (seconds to the end of the hour).
fn rate_limited(store: &Store) -> AppError {
    let (_, retry_after) = code_failures::hour_of(store.clock().now());
    AppError::new(ErrorCode::RateLimited, "too many failed code checks; try again later").with_details(
        serde_json::json!({"retry_after": retry_after, "limit_per_hour": code_failures::MAX_FAILURES_PER_HOUR}),
    )
}

/// A customer over the hourly limit is refused before anything is checked
/// (and the attempt counted).
async fn refuse_if_limited(store: &Store, shop: &str, customer: &str) -> AppResult<()> {
    let (s, c) = (shop.to_string(), customer.to_string());
    let limited = store.read_query(move |conn| code_failures::is_limited(conn, &s, &c, crate::clock::now())).await?;
    if !limited {
        return Ok(());
    }
    let (s, c) = (shop.to_string(), customer.to_string());
    store.write_query(move |conn| code_failures::refuse_if_limited(conn, &s, &c, crate::clock::now())).await?;
    Err(rate_limited(store))
}

/// Counts a failed check; the one that goes over the limit is answered 429.
async fn count_failure(store: &Store, shop: &str, customer: &str) -> AppResult<()> {
    let (s, c) = (shop.to_string(), customer.to_string());
    let over = store.write_query(move |conn| code_failures::record(conn, &s, &c, crate::clock::now())).await?;
    if over {
        return Err(rate_limited(store));
    }
    Ok(())
}

fn refused(currency: &str, code: ErrorCode, message: String) -> ValidateView {
    let error = Some(super::views::QuoteError { code, message });
    ValidateView { valid: false, kind: None, value: None, currency: currency.to_string(), error }
}

fn claim_view(currency: &str, verdict: Result<ClaimRow, checkout::CodeRefusal>) -> ValidateView {
    match verdict {
        Ok(claim) => ValidateView {
            valid: true,
            kind: Some(DiscountKind::FixedAmount.as_str().into()),
            value: Some(money(claim.value_minor, &claim.currency)),
            currency: currency.to_string(),
            error: None,
        },
        Err(refusal) => refused(currency, ErrorCode::CodeNotValid, refusal.0),
    }
}

fn offer_view(currency: &str, verdict: checkout::OfferVerdict) -> ValidateView {
    let (offer, value) = match verdict {
        Ok(found) => found,
        Err(reason) => {
            let refusal = AppError::from(reason);
            return refused(currency, refusal.code, refusal.message);
        }
    };
    let kind = offer.discount().map(|d| d.kind.as_str().to_string());
    let value = match value {
        OfferValue::Amount(minor) | OfferValue::Shipping(Some(minor)) => Some(money(minor, currency)),
        OfferValue::Shipping(None) => None,
    };
    ValidateView { valid: true, kind, value, currency: currency.to_string(), error: None }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedeemBody {
    pub(crate) code: String,
    pub(crate) customer_id: String,
    pub(crate) order_id: String,
    pub(crate) subtotal: String,
}

/// A redeemed offer code (campaigns): the offer, now `used`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfferRedeemView {
    pub(crate) offer_id: String,
    pub(crate) code: Option<String>,
    pub(crate) status: String,
    pub(crate) order_id: Option<String>,
    pub(crate) points_earned: i64,
}

/// A points code's claim or an offer, whichever the code is.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Redeemed {
    Claim(Box<RedeemView>),
    Offer(OfferRedeemView),
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RedeemView {
    #[serde(flatten)]
    pub(crate) claim: ClaimView,
    /// Points earned on the order at the shop's earn rate.
    pub(crate) points_earned: i64,
}

#[utoipa::path(post, path = "/api/v1/checkout/redeem", summary = "Redeem a code at the native checkout", tag = "checkout", security(("bearer" = [])), request_body = RedeemBody,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 200, body = RedeemView, description = "the claim, now used; for an offer code an OfferRedeemView"), (status = 409, body = ErrorEnvelope, description = "code_not_valid (counts as a failed code check)"), (status = 422, body = ErrorEnvelope, description = "customer_blocked, below_minimum_subtotal, invalid_request"),
        (status = 429, body = ErrorEnvelope, description = "rate_limited, as for validate", headers(("Retry-After" = u64, description = "seconds until the limit resets")))))]
pub(crate) async fn redeem(
    req: HttpRequest,
    auth: AdminAuth,
    key: IdempotencyKey,
    body: JsonBody<RedeemBody>,
    store: web::Data<Store>,
) -> AppResult<HttpResponse> {
    let code = parse_code(&body.value.code)?;
    let customer = parse_customer(&body.value.customer_id)?;
    let order_id = body.value.order_id.trim().to_string();
    if order_id.is_empty() || order_id.len() > 64 {
        return Err(AppError::invalid_fields("invalid order id", serde_json::json!({"order_id": "1-64 characters"})));
    }
    let subtotal = body.value.subtotal.clone();
    let shop = auth.shop.as_str().to_string();
    let shop_id = shop.clone();
    let idempotent = Idempotent {
        owner: owner(&auth.shop, "admin", &auth.subject),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    refuse_if_limited(&store, &shop, &customer).await?;
    let who = customer.clone();
    let answer = idempotency::run(&store, idempotent, StatusCode::OK, move |conn| {
        if offer_settings::get(conn, &shop)?.blocks(&customer) {
            return Err(AppError::new(ErrorCode::CustomerBlocked, "the shop has blocked this customer's codes"));
        }
        let request = RedeemRequest {
            shop_id: &shop,
            code: &code,
            customer_id: &customer,
            order_id: &order_id,
            subtotal: &subtotal,
        };
        if let Some((offer, points_earned)) = checkout::redeem_offer(conn, &request)? {
            let (offer_id, code, status, order_id) =
                (offer.id, offer.code, offer.status.as_str().into(), offer.order_id);
            return Ok(Redeemed::Offer(OfferRedeemView { offer_id, code, status, order_id, points_earned }));
        }
        let redemption = checkout::redeem(conn, &request)?;
        let claim = ClaimView::from(&redemption.claim);
        Ok(Redeemed::Claim(Box::new(RedeemView { claim, points_earned: redemption.points_earned })))
    })
    .await;
    if let Err(error) = &answer {
        if error.code == ErrorCode::CodeNotValid {
            count_failure(&store, &shop_id, &who).await?;
        }
    }
    answer
}
