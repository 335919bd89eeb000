//! The flow the shopper's and the POS doors share: wallet, quote and claim
//! for one customer on one channel, and settling a claim (or a refund) with
//! the platform within the response window.

use super::idempotency::{self, Answer, Idempotent, KeyOwner, Stored};
use super::views::{ClaimView, ProgramSummary, QuoteView, WalletView};
use crate::domain::claim::{self, ClaimStatus};
use crate::domain::ids::{CustomerId, ShopDomain};
use crate::domain::money::Currency;
use crate::domain::points::Points;
use crate::domain::program::Channel;
use crate::domain::program::EligibilityKind;
use crate::domain::refusal::Reason;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::metrics::Metrics;
use crate::platform::relay;
use crate::platform::shopify::PlatformError;
use crate::platform::Platform;
use crate::store::claim_write;
use crate::store::claims::{self, ClaimRequest, ClaimRow};
use crate::store::outbox::OutboxAction;
use crate::store::wallets::{self, Wallet};
use crate::store::{AnyConnection, Store};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Reads the wallet, creating shop and customer on first sight.
pub(crate) async fn load(
    store: &Store,
    shop: &ShopDomain,
    customer: &CustomerId,
    channel: Channel,
) -> AppResult<Wallet> {
    let (shop_id, customer_id) = (shop.as_str().to_string(), customer.as_str().to_string());
    let cache = store.programs().clone();
    let found = store.read(move |conn| wallets::find(conn, &shop_id, &customer_id, channel, &cache)).await?;
    if let Some(wallet) = found {
        return Ok(wallet);
    }
    let (shop_id, customer_id) = (shop.as_str().to_string(), customer.as_str().to_string());
    Ok(store.write(move |conn| wallets::ensure(conn, &shop_id, &customer_id, channel)).await?)
}

fn currency(wallet: &Wallet) -> AppResult<Currency> {
    Currency::parse(&wallet.shop.currency).map_err(AppError::internal_msg)
}

pub(crate) fn wallet_view(wallet: &Wallet, segment_member: Option<bool>) -> AppResult<WalletView> {
    let eligibility = claim::eligibility(&wallet.program.settings, &wallet.customer.id, segment_member);
    let currency = currency(wallet)?;
    let balance = wallet.customer.points_balance;
    Ok(WalletView {
        customer_id: wallet.customer.id.clone(),
        points_balance: balance,
        points_value: currency.format_minor(wallet.program.settings.ratio().value_minor(balance.max(0), currency)),
        pending_points: wallet.points.pending,
        expiring: wallet
            .points
            .expiring
            .iter()
            .map(|&(points, at)| super::views::ExpiringView { points, expires_at: super::views::utc(at) })
            .collect(),
        currency: currency.code().into(),
        earn_points_per_unit: wallet.shop.earn_points_per_unit.clone(),
        locale: wallet.shop.locale.clone(),
        program: ProgramSummary::new(&wallet.program, eligibility),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuoteQuery {
    /// Points to turn into a code.
    pub(crate) points: i64,
    /// POS only: the customer at the counter.
    pub(crate) customer_id: Option<String>,
}

/// Same rules as a claim, nothing written; refusals are `valid: false`.
pub(crate) fn quote(wallet: &Wallet, raw_points: i64, segment_member: Option<bool>) -> AppResult<QuoteView> {
    let points = Points::parse(raw_points).map_err(AppError::invalid)?;
    let currency = currency(wallet)?;
    let settings = &wallet.program.settings;
    let value = settings.ratio().value_minor(points.get(), currency);
    let verdict = claim::terms(settings, currency, &wallet.customer.id, segment_member, points, None)
        .map_err(AppError::from)
        .and_then(|_| match wallet.customer.points_balance >= points.get() {
            true => Ok(()),
            false => Err(Reason::InsufficientPoints { balance: wallet.customer.points_balance }.into()),
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
pub(crate) struct ClaimBody {
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub(crate) points: i64,
    /// one_time (default when allowed) or subscription
    #[serde(default)]
    pub(crate) purchase_type: Option<crate::domain::program::PurchaseType>,
}

/// Creates a claim through the idempotency layer and counts it. A claim
/// for a platform shop is answered once pushed, or after the push window
/// with status `pending` (the relay finishes the push in the background).
pub(crate) async fn create_claim(
    store: &Store,
    platform: &Arc<Platform>,
    metrics: &Metrics,
    request: ClaimRequest,
    idempotent: Idempotent,
) -> AppResult<HttpResponse> {
    let points = request.points.get();
    let (owner, key) = (idempotent.owner.clone(), idempotent.key.clone());
    let shop = request.shop.as_str().to_string();
    // Only a segment program needs the platform's answer: ask it after the
    // store says so (the refused attempt wrote nothing), not before every claim.
    let mut result = claim_once(store, request.clone(), idempotent.clone()).await;
    if matches!(&result, Err(e) if needs_segments(e)) {
        if let Some(member) = segment_member(store, platform, &request).await? {
            result = claim_once(store, ClaimRequest { segment_member: Some(member), ..request }, idempotent).await;
        }
    }
    match &result {
        Ok(Answer::Fresh { .. }) => {
            Metrics::add(&metrics.claims_created, 1);
            Metrics::add(&metrics.points_redeemed, points.unsigned_abs());
        }
        Err(e) if !e.is_server_error() => Metrics::add(&metrics.claims_refused, 1),
        _ => {}
    }
    let answer = result?;
    // A claim made just now for a platform shop waits for its push.
    let claim_id = match &answer {
        Answer::Fresh { result: claim, .. } if claim.status == ClaimStatus::Pending => claim.id.clone(),
        _ => return Ok(answer.into_response()),
    };
    let pushed = settle_within_window(store, platform, &shop, &claim_id, OutboxAction::Create, ClaimStatus::Pending);
    let Some(pushed) = pushed.await? else { return Ok(answer.into_response()) };
    let response = Stored::new(StatusCode::CREATED, &ClaimView::from(&pushed))?;
    idempotency::restate(store, &owner, &key, &response).await?;
    Ok(response.into_response())
}

/// Reads and decides on a pooled read connection first (`claim_write`), so
/// that the write (SQLite: the single writer thread) only re-checks and
/// writes; anything unusual takes the full path inside the write.
async fn claim_once(store: &Store, request: ClaimRequest, idempotent: Idempotent) -> AppResult<Answer<ClaimRow>> {
    let (cache, ahead) = (store.programs().clone(), request.clone());
    let prepared =
        store.read::<_, AppError, _>(move |conn| Ok(claim_write::prepare(conn, &ahead, &cache))).await.ok().flatten();
    // Shared, not copied, by a write that must run again (a deadlock victim).
    let prepared = prepared.map(Arc::new);
    let write = move |conn: &mut AnyConnection| {
        let claim = match &prepared {
            Some(prepared) => claim_write::write(conn, prepared),
            None => claims::create(conn, &request),
        };
        claim.map_err(AppError::from)
    };
    idempotency::answer(store, idempotent, write, |claim| Stored::new(StatusCode::CREATED, &ClaimView::from(claim)))
        .await
}

fn needs_segments(error: &AppError) -> bool {
    matches!(error.reason(), Some(Reason::SegmentsUnavailable))
}

/// Works the claim's outbox row now and waits up to the push window for
/// the claim to leave `from` (the background relay may hold the row: then
/// we watch). The claim as it then is, if it moved on. With no window, or
/// when the shop's rate-limit bucket cannot take the call within it, the
/// row is left to the background relay and None comes back at once: the
/// caller answers `pending` now instead of after a window spent waiting,
/// and the row is not leased and rescheduled for nothing.
pub(crate) async fn settle_within_window(
    store: &Store,
    platform: &Arc<Platform>,
    shop: &str,
    claim_id: &str,
    work: OutboxAction,
    from: ClaimStatus,
) -> AppResult<Option<ClaimRow>> {
    let window = std::time::Duration::from_millis(platform.settings.push_window_ms);
    if window.is_zero() || platform.client.mutation_wait(shop).is_some_and(|wait| wait >= window) {
        platform.wake.notify_one();
        return Ok(None);
    }
    let deadline = tokio::time::Instant::now() + window;
    let (relay_platform, relay_shop, relay_claim) = (platform.clone(), shop.to_string(), claim_id.to_string());
    let task = tokio::spawn(async move { relay::run_now(&relay_platform, &relay_shop, &relay_claim, work).await });
    let _ = tokio::time::timeout_at(deadline, task).await;
    loop {
        let (shop_id, id) = (shop.to_string(), claim_id.to_string());
        let claim = store.read_query(move |conn| claims::find(conn, &shop_id, &id)).await?;
        match claim {
            Some(row) if row.status != from => return Ok(Some(row)),
            None => return Ok(None),
            Some(_) if tokio::time::Instant::now() >= deadline => {
                platform.wake.notify_one();
                return Ok(None);
            }
            Some(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

/// Segment membership when the program needs it: asked of the platform
/// (cached); a platform that cannot answer refuses the claim (503).
async fn segment_member(store: &Store, platform: &Platform, request: &ClaimRequest) -> AppResult<Option<bool>> {
    let (shop, customer, channel) =
        (request.shop.as_str().to_string(), request.customer.as_str().to_string(), request.channel);
    let cache = store.programs().clone();
    let found = store.read(move |conn| wallets::find(conn, &shop, &customer, channel, &cache)).await?;
    let Some(wallet) = found else { return Ok(None) };
    checked_membership(platform, &wallet).await
}

/// Membership that must be known (a claim): a platform
/// that cannot answer is 503 `unavailable`; what it said goes to the log
/// (with the request id), never to the body.
async fn checked_membership(platform: &Platform, wallet: &Wallet) -> AppResult<Option<bool>> {
    membership(platform, wallet).await.map_err(|error| {
        let mut refusal = AppError::unavailable(anyhow::anyhow!("segment membership: {error:?}"));
        refusal.message = "segment membership cannot be checked right now".into();
        refusal
    })
}

/// Membership for display (wallet, quote, POS lookups): a platform that
/// cannot answer shows the program as unavailable (`segments_unavailable`)
/// rather than failing the page, so the balance stays readable.
pub(crate) async fn display_membership(platform: &Platform, wallet: &Wallet) -> Option<bool> {
    membership(platform, wallet).await.unwrap_or(None)
}

/// None when the program is not by segment or the shop has no platform. A
/// panic while asking is caught and reported as a transient failure.
async fn membership(platform: &Platform, wallet: &Wallet) -> Result<Option<bool>, PlatformError> {
    let eligibility = &wallet.program.settings.eligibility;
    if eligibility.kind != EligibilityKind::Segments {
        return Ok(None);
    }
    let Some(creds) = crate::platform::shopify::ShopCreds::of(&wallet.shop, &platform.settings) else {
        return Ok(None);
    };
    let asked = platform.segments.is_member(&platform.client, &creds, &wallet.customer.id, &eligibility.ids);
    match crate::platform::supervise::catch(asked).await {
        Ok(answer) => answer.map(Some),
        Err(panic) => Err(PlatformError::Transient(format!("segment check panicked: {panic}"))),
    }
}

pub(crate) fn parse_points(raw: i64) -> AppResult<Points> {
    Points::parse(raw).map_err(|e| {
        AppError::new(ErrorCode::InvalidRequest, e)
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .with_details(serde_json::json!({"fields": {"points": "must be a positive whole number"}}))
    })
}

pub(crate) fn owner(shop: &ShopDomain, role: &str, subject: &str) -> KeyOwner {
    KeyOwner { shop_id: shop.as_str().into(), principal: format!("{role}:{subject}") }
}
