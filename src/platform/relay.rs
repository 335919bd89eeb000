//! The outbox relay: leases due rows and drives the platform until each is
//! done. Never two discounts for one claim: a retry first asks the platform
//! whether the code exists (`codeDiscountNodeByCode`), `TAKEN` is resolved
//! the same way, and codes are unique per shop at the platform anyway.

use super::error::{Error, Result};
use super::shopify::{PlatformError, ShopCreds};
use super::{claim_discount, Platform};
use crate::domain::claim::{ClaimStatus, EntryKind};
use crate::store::claims::{self, ClaimRow};
use crate::store::outbox::{self, OutboxAction, OutboxRow, OutboxState};
use crate::store::shops::{self, ShopRow};
use crate::store::{self, AnyConnection};
use chrono::{Duration as Span, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

/// How a row's attempt ended.
#[derive(Debug, Clone)]
pub(super) enum RowOutcome {
    Done,
    Retry { after: Duration, error: String, counted: bool },
    Dead(String),
}

const LEASE_SECONDS: i64 = 120;

/// Leases due rows and works up to `relay_concurrency` at once, each in its
/// own task: a slow row (up to the request timeout) holds one slot while the
/// others, other shops' too, go on; more are leased as those held run low.
pub(crate) async fn run(platform: Arc<Platform>) {
    let idle = Duration::from_millis(platform.settings.relay_interval_ms.max(10));
    let concurrency = platform.settings.relay_concurrency.max(1);
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut held = tokio::task::JoinSet::new();
    loop {
        while held.try_join_next().is_some() {}
        if held.len() > concurrency {
            held.join_next().await;
            continue;
        }
        let limit = (concurrency * 4 - held.len()) as i64;
        let leased = platform
            .store
            .write_query(move |conn| {
                outbox::lease_due(conn, Utc::now().naive_utc(), Span::seconds(LEASE_SECONDS), limit)
            })
            .await;
        match leased {
            Ok(rows) if !rows.is_empty() => {
                for row in rows {
                    let (platform, slots) = (platform.clone(), slots.clone());
                    held.spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else { return };
                        work_supervised(&platform, row).await;
                    });
                }
            }
            Ok(_) => {
                let _ = tokio::time::timeout(idle, platform.wake.notified()).await;
            }
            Err(error) => {
                tracing::warn!(?error, "outbox lease failed");
                tokio::time::sleep(idle).await;
            }
        }
    }
}

/// Works the claim's pending row of `action` right now (the claim and
/// refund doors call this to answer with the settled state when it is fast).
pub(crate) async fn run_now(platform: &Platform, shop_id: &str, claim_id: &str, action: OutboxAction) {
    let (shop, claim) = (shop_id.to_string(), claim_id.to_string());
    let leased = platform
        .store
        .write_query(move |conn| {
            outbox::lease_for_claim(conn, &shop, &claim, action, Utc::now().naive_utc(), Span::seconds(LEASE_SECONDS))
        })
        .await;
    match leased {
        Ok(Some(row)) => work_supervised(platform, row).await,
        Ok(None) => {}
        Err(error) => tracing::warn!(?error, "outbox lease failed"),
    }
}

/// Works one row. A panic while doing so is caught and logged with the shop
/// and row, and the row is tried again after a back-off.
async fn work_supervised(platform: &Platform, row: OutboxRow) {
    let held = row.clone();
    let Err(panic) = super::supervise::catch(work_row(platform, row)).await else { return };
    tracing::error!(shop = %held.shop_id, row = %held.id, claim = %held.claim_id, action = %held.action, %panic,
        "outbox row panicked; it is retried later");
    let after = backoff(platform, held.attempts);
    let recorded = platform
        .store
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let at = now + Span::from_std(after).unwrap_or(Span::seconds(1));
            outbox::retry_at(conn, &held, at, "panicked while working the row", true, now).map_err(store::Error::from)
        })
        .await;
    if let Err(error) = recorded {
        tracing::warn!(?error, "could not reschedule the row; its lease will expire and retry");
    }
}

async fn work_row(platform: &Platform, row: OutboxRow) {
    let step = match row.action {
        OutboxAction::Create | OutboxAction::Repush => push(platform, &row).await,
        OutboxAction::Refund | OutboxAction::Expire => delete(platform, &row).await,
        OutboxAction::Cleanup => cleanup(platform, &row).await,
        OutboxAction::OfferCreate => super::offer_push::push(platform, &row).await,
        OutboxAction::OfferDelete => super::offer_push::delete(platform, &row).await,
    };
    let step = step.unwrap_or_else(|error| match error {
        Error::Store(store::Error::NotFound(_)) => RowOutcome::Dead("claim or shop no longer exists".into()),
        _ => RowOutcome::Retry { after: backoff(platform, row.attempts), error: format!("{error:?}"), counted: true },
    });
    if let RowOutcome::Dead(reason) | RowOutcome::Retry { error: reason, .. } = &step {
        tracing::warn!(claim = %row.claim_id, action = %row.action, attempts = row.attempts, %reason, "platform work not done");
    }
    let finished = platform
        .store
        .write(move |conn: &mut AnyConnection| -> store::Result<()> {
            let now = Utc::now().naive_utc();
            match step {
                RowOutcome::Done => outbox::finish(conn, &row, OutboxState::Done, None, now)?,
                RowOutcome::Dead(reason) => outbox::finish(conn, &row, OutboxState::Dead, Some(&reason), now)?,
                RowOutcome::Retry { after, error, counted } => {
                    let at = now + Span::from_std(after).unwrap_or(Span::seconds(1));
                    let still_pending = outbox::retry_at(conn, &row, at, &error, counted, now)?;
                    if !still_pending && row.action == OutboxAction::Create {
                        // Refunded while this attempt was out: its create may
                        // have landed after the refund's cleanup looked (an
                        // answer lost, a slow server). Look again from now.
                        claims::enqueue(conn, &row.shop_id, &row.claim_id, OutboxAction::Cleanup, now)?;
                    }
                }
            }
            Ok(())
        })
        .await;
    if let Err(error) = finished {
        tracing::error!(?error, "could not record outbox progress; the lease will expire and retry");
    }
}

pub(super) fn backoff(platform: &Platform, attempts: i32) -> Duration {
    let settings = &platform.settings;
    let exponent = attempts.clamp(1, 20) as u32 - 1;
    let full = settings.retry_base_ms.saturating_mul(1u64 << exponent).min(settings.retry_max_ms);
    let jittered = rand::thread_rng().gen_range(full / 2..=full.max(1));
    Duration::from_millis(jittered)
}

pub(super) fn retry_for(platform: &Platform, row: &OutboxRow, error: PlatformError) -> RowOutcome {
    match error {
        PlatformError::Throttled(after) => RowOutcome::Retry { after, error: "throttled".into(), counted: false },
        other => {
            RowOutcome::Retry { after: backoff(platform, row.attempts), error: format!("{other:?}"), counted: true }
        }
    }
}

async fn load(platform: &Platform, row: &OutboxRow) -> Result<(ClaimRow, ShopRow)> {
    let (shop_id, claim_id) = (row.shop_id.clone(), row.claim_id.clone());
    platform
        .store
        .read(move |conn| {
            let claim = claims::find(conn, &shop_id, &claim_id)?.ok_or(store::Error::NotFound("claim"))?;
            let shop = shops::find(conn, &shop_id)?.ok_or(store::Error::NotFound("shop"))?;
            Ok::<_, store::Error>((claim, shop))
        })
        .await
        .map_err(Error::from)
}

async fn push(platform: &Platform, row: &OutboxRow) -> Result<RowOutcome> {
    let (claim, shop) = load(platform, row).await?;
    let repush = row.action == OutboxAction::Repush;
    let expected = if repush { ClaimStatus::Active } else { ClaimStatus::Pending };
    if claim.status != expected {
        if row.attempts > 1 && claim.status.code_must_go() {
            // An earlier attempt of this row may have created the code.
            queue_cleanup(platform, &claim).await?;
        }
        return Ok(RowOutcome::Done);
    }
    let deadline = claim.created_at + Span::seconds(platform.settings.push_deadline_secs);
    let Some(creds) = ShopCreds::of(&shop, &platform.settings) else {
        if !repush && Utc::now().naive_utc() > deadline {
            return fail(platform, &claim, "the shop's platform connection is disabled").await;
        }
        return Ok(RowOutcome::Retry {
            after: backoff(platform, row.attempts),
            error: "platform disconnected".into(),
            counted: true,
        });
    };
    if !repush && Utc::now().naive_utc() > deadline {
        return fail(platform, &claim, "not pushed to the platform before the deadline").await;
    }
    if row.attempts > 1 || repush {
        // An earlier attempt may have reached the platform: look before sending.
        match platform.client.find_by_code(&creds, &claim.code).await {
            Ok(Some(id)) => return activated(platform, &claim, &id, repush).await,
            Ok(None) => {}
            Err(error) => return Ok(retry_for(platform, row, error)),
        }
    }
    match platform.client.create_discount(&creds, &claim_discount::discount_input(&claim)?).await {
        Ok(id) => activated(platform, &claim, &id, repush).await,
        Err(PlatformError::Taken) => match platform.client.find_by_code(&creds, &claim.code).await {
            Ok(Some(id)) => activated(platform, &claim, &id, repush).await,
            Ok(None) => Ok(RowOutcome::Retry {
                after: backoff(platform, row.attempts),
                error: "TAKEN but not found".into(),
                counted: true,
            }),
            Err(error) => Ok(retry_for(platform, row, error)),
        },
        Err(PlatformError::Rejected(reason)) if !repush => {
            // The platform's own words go to the log only: the claim's
            // failure reason is shown to shoppers.
            tracing::warn!(shop = %claim.shop_id, claim = %claim.id, %reason, "the platform refused the code");
            fail(platform, &claim, "the platform refused the code").await
        }
        Err(error) => Ok(retry_for(platform, row, error)),
    }
}

async fn activated(platform: &Platform, claim: &ClaimRow, platform_id: &str, repush: bool) -> Result<RowOutcome> {
    let (claim, platform_id) = (claim.clone(), platform_id.to_string());
    platform
        .store
        .write(move |conn| {
            let moved_on = if repush {
                claims::set_platform_id(conn, &claim, &platform_id)?;
                claims::find(conn, &claim.shop_id, &claim.id)?.is_some_and(|c| c.status.code_must_go())
            } else {
                !claims::activate(conn, &claim, &platform_id)?
            };
            if moved_on {
                // Refunded, failed or expired while we pushed: the code must not live on.
                claims::enqueue(conn, &claim.shop_id, &claim.id, OutboxAction::Cleanup, Utc::now().naive_utc())?;
            }
            Ok::<_, store::Error>(RowOutcome::Done)
        })
        .await
        .map_err(Error::from)
}

async fn queue_cleanup(platform: &Platform, claim: &ClaimRow) -> Result<()> {
    let (shop_id, claim_id) = (claim.shop_id.clone(), claim.id.clone());
    platform
        .store
        .write(move |conn| {
            claims::enqueue(conn, &shop_id, &claim_id, OutboxAction::Cleanup, Utc::now().naive_utc())
                .map_err(store::Error::from)
        })
        .await?;
    Ok(())
}

/// The platform refused for good: the claim fails and its points come back,
/// and a cleanup makes sure no earlier attempt left the code alive there.
async fn fail(platform: &Platform, claim: &ClaimRow, reason: &str) -> Result<RowOutcome> {
    let (claim, reason) = (claim.clone(), reason.to_string());
    platform
        .store
        .write(move |conn| {
            let credited = claims::close_with_credit(
                conn,
                &claim,
                &[ClaimStatus::Pending],
                ClaimStatus::Failed,
                EntryKind::Refund,
                Some(&reason),
            )?;
            if credited.is_some() {
                claims::enqueue(conn, &claim.shop_id, &claim.id, OutboxAction::Cleanup, Utc::now().naive_utc())?;
            }
            Ok::<_, store::Error>(RowOutcome::Dead(reason))
        })
        .await
        .map_err(Error::from)
}

/// Deletes a live code, then credits it: refund (refund_pending → refunded)
/// or expiry (active → expired). An order that used it first wins.
async fn delete(platform: &Platform, row: &OutboxRow) -> Result<RowOutcome> {
    let (claim, shop) = load(platform, row).await?;
    let (from, to, kind) = if row.action == OutboxAction::Refund {
        (ClaimStatus::RefundPending, ClaimStatus::Refunded, EntryKind::Refund)
    } else {
        (ClaimStatus::Active, ClaimStatus::Expired, EntryKind::Expire)
    };
    if claim.status != from {
        return Ok(RowOutcome::Done);
    }
    let Some(creds) = ShopCreds::of(&shop, &platform.settings) else {
        return Ok(RowOutcome::Retry {
            after: backoff(platform, row.attempts),
            error: "platform disconnected".into(),
            counted: true,
        });
    };
    match remove_code(platform, &creds, claim.platform_id.as_deref(), &claim.code).await {
        Ok(()) => {}
        Err(error) => return Ok(retry_for(platform, row, error)),
    }
    platform
        .store
        .write(move |conn| {
            claims::close_with_credit(conn, &claim, &[from], to, kind, None)?;
            Ok::<_, Error>(RowOutcome::Done)
        })
        .await
}

/// Deletes a code at the platform if it is there: by its known node id,
/// else (or when that id is gone: a re-push gave the code a new one) by
/// looking the code up.
pub(super) async fn remove_code(
    platform: &Platform,
    creds: &ShopCreds,
    known_id: Option<&str>,
    code: &str,
) -> std::result::Result<(), PlatformError> {
    let client = &platform.client;
    if let Some(id) = known_id {
        match client.delete_discount(creds, id).await {
            Ok(true) => return Ok(()),
            Ok(false) => return Err(PlatformError::Transient("delete answered without an id".into())),
            Err(PlatformError::Rejected(_)) => {}
            Err(error) => return Err(error),
        }
    }
    let Some(id) = client.find_by_code(creds, code).await? else { return Ok(()) };
    match client.delete_discount(creds, &id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(PlatformError::Transient("delete answered without an id".into())),
        Err(PlatformError::Rejected(reason)) => match client.find_by_code(creds, code).await? {
            None => Ok(()),
            Some(_) => Err(PlatformError::Transient(reason)),
        },
        Err(error) => Err(error),
    }
}

/// The marker a cleanup leaves for its second look.
const SECOND_LOOK: &str = "second look after in-flight requests time out";

/// A code refunded or failed here must not be usable there. A create still
/// in flight may land after a look, so the row ends only after two looks in
/// a row that succeeded, the second one a whole request timeout after the
/// first (a failed look in between starts the pair again).
async fn cleanup(platform: &Platform, row: &OutboxRow) -> Result<RowOutcome> {
    let (claim, shop) = load(platform, row).await?;
    let Some(creds) = ShopCreds::of(&shop, &platform.settings) else {
        return Ok(RowOutcome::Retry {
            after: backoff(platform, row.attempts),
            error: "platform disconnected".into(),
            counted: true,
        });
    };
    // Always look the code up: the stored id may be stale.
    match remove_code(platform, &creds, None, &claim.code).await {
        Ok(()) if row.last_error.as_deref() == Some(SECOND_LOOK) => Ok(RowOutcome::Done),
        Ok(()) => Ok(RowOutcome::Retry {
            after: Duration::from_millis(platform.settings.request_timeout_ms + platform.settings.connect_timeout_ms),
            error: SECOND_LOOK.into(),
            counted: true,
        }),
        Err(error) => Ok(retry_for(platform, row, error)),
    }
}
