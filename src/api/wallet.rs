//! What the shopper's and the POS doors share: wallet, quote and claim for
//! one customer on one channel.

use super::idempotency::{self, Idempotent, KeyOwner};
use super::views::{ClaimView, ProgramSummary, QuoteView, WalletView};
use crate::domain::claim;
use crate::domain::ids::{CustomerId, ShopDomain};
use crate::domain::money::Currency;
use crate::domain::points::Points;
use crate::domain::program::Channel;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::metrics::Metrics;
use crate::store::claims::{self, ClaimRequest};
use crate::store::wallets::{self, Wallet};
use crate::store::Store;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Reads the wallet, creating shop and customer on first sight.
pub async fn load(
    store: &Store,
    shop: &ShopDomain,
    customer: &CustomerId,
    channel: Channel,
) -> AppResult<Wallet> {
    let (s, c) = (shop.as_str().to_string(), customer.as_str().to_string());
    let found = store
        .read(move |conn| wallets::find(conn, &s, &c, channel))
        .await?;
    if let Some(wallet) = found {
        return Ok(wallet);
    }
    let (s, c) = (shop.as_str().to_string(), customer.as_str().to_string());
    store
        .write(move |conn| wallets::ensure(conn, &s, &c, channel))
        .await
}

fn currency(wallet: &Wallet) -> AppResult<Currency> {
    Currency::parse(&wallet.shop.currency).map_err(AppError::internal_msg)
}

pub fn wallet_view(wallet: &Wallet) -> AppResult<WalletView> {
    let eligibility = claim::eligibility(&wallet.program.settings, &wallet.customer.id, None);
    Ok(WalletView {
        customer_id: wallet.customer.id.clone(),
        points_balance: wallet.customer.points_balance,
        currency: currency(wallet)?.code().into(),
        program: ProgramSummary::new(&wallet.program, eligibility),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QuoteQuery {
    /// Points to turn into a code.
    pub points: i64,
    /// POS only: the customer at the counter.
    pub customer_id: Option<String>,
}

/// Same rules as a claim, nothing written; refusals are `valid: false`.
pub fn quote(wallet: &Wallet, raw_points: i64) -> AppResult<QuoteView> {
    let points = Points::parse(raw_points).map_err(AppError::invalid)?;
    let currency = currency(wallet)?;
    let settings = &wallet.program.settings;
    let value = settings.ratio().value_minor(points.get(), currency);
    let verdict = claim::terms(settings, currency, &wallet.customer.id, None, points, None)
        .map_err(AppError::from)
        .and_then(|_| match wallet.customer.points_balance >= points.get() {
            true => Ok(()),
            false => Err(claim::Refusal::InsufficientPoints {
                balance: wallet.customer.points_balance,
            }
            .into()),
        });
    Ok(QuoteView {
        points: points.get(),
        value: currency.format_minor(value),
        currency: currency.code().into(),
        valid: verdict.is_ok(),
        error: verdict.err().map(Into::into),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    pub points: i64,
    /// one_time (default when allowed) or subscription
    #[serde(default)]
    pub purchase_type: Option<crate::domain::program::PurchaseType>,
}

/// Creates a claim through the idempotency layer and counts it.
pub async fn create_claim(
    store: &Store,
    metrics: &Metrics,
    request: ClaimRequest,
    idempotent: Idempotent,
) -> AppResult<HttpResponse> {
    let points = request.points.get();
    let result = idempotency::run(store, idempotent, StatusCode::CREATED, move |conn| {
        claims::create(conn, &request).map(|row| ClaimView::from(&row))
    })
    .await;
    match &result {
        Ok(_) => {
            Metrics::add(&metrics.claims_created, 1);
            Metrics::add(&metrics.points_redeemed, points.unsigned_abs());
        }
        Err(e) if !e.is_server_error() => Metrics::add(&metrics.claims_refused, 1),
        Err(_) => {}
    }
    result
}

pub fn parse_points(raw: i64) -> AppResult<Points> {
    Points::parse(raw).map_err(|e| {
        AppError::new(ErrorCode::InvalidRequest, e)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .with_details(
                serde_json::json!({"fields": {"points": "must be a positive whole number"}}),
            )
    })
}

pub fn owner(shop: &ShopDomain, role: &str, subject: &str) -> KeyOwner {
    KeyOwner {
        shop_id: shop.as_str().into(),
        principal: format!("{role}:{subject}"),
    }
}
