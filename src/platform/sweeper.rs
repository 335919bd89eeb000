//! Periodic upkeep: expire unused codes past their lifetime (and a grace for
//! late order webhooks), prune closed claims past the retention so the hot
//! tables stay small (the ledger keeps every entry), and reconcile.

use super::error::Result;
use super::shopify::ShopCreds;
use super::supervise::catch;
use super::Platform;
use crate::domain::claim::{ClaimStatus, EntryKind};
use crate::store::claims::{self, ClaimRow};
use crate::store::outbox::OutboxAction;
use crate::store::{self, AnyConnection};
use crate::store::{reconcile, shops, upkeep};
use chrono::{Duration, NaiveDateTime};
use std::sync::Arc;

const BATCH: i64 = 500;

pub(crate) async fn run(platform: Arc<Platform>) {
    // A shortened day (LOYALTY_DAY_SECS) sweeps points often enough to see it.
    let day = platform.store.clock().day_length().num_seconds().max(1) as u64;
    let every = std::time::Duration::from_secs(platform.settings.sweep_interval_secs.min((day / 4).max(1)).max(1));
    let reconcile_every = platform.settings.reconcile_interval_secs;
    let mut last_reconcile = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(every).await;
        match catch(sweep_once(&platform)).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(?error, "sweep failed"),
            Err(panic) => tracing::error!(%panic, "sweep panicked; it runs again next interval"),
        }
        match super::points_sweep::sweep_points(&platform.store).await {
            Ok(report) if report.released + report.expired.lots + report.warnings.len() > 0 => {
                tracing::info!(
                    released = report.released,
                    expired_lots = report.expired.lots,
                    expired_points = report.expired.points,
                    warnings = report.warnings.len(),
                    "points swept"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "points sweep failed"),
        }
        if reconcile_every > 0 && last_reconcile.elapsed().as_secs() >= reconcile_every {
            last_reconcile = tokio::time::Instant::now();
            match catch(reconcile(&platform)).await {
                Ok(Ok(report)) => tracing::info!(?report, "reconciled with the platform"),
                Ok(Err(error)) => tracing::warn!(?error, "reconciliation failed"),
                Err(panic) => tracing::error!(%panic, "reconciliation panicked; it runs again next interval"),
            }
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub(crate) expired: usize,
    pub expiry_queued: usize,
    pub(crate) pruned_claims: usize,
}

/// One pass of expiry and pruning.
pub async fn sweep_once(platform: &Platform) -> Result<SweepReport> {
    let grace = platform.settings.expiry_grace_secs;
    let retention = platform.settings.retention_days;
    let report = platform
        .store
        .write(move |conn| {
            let now = crate::clock::now();
            let mut report = expire_due(conn, now - Duration::seconds(grace), now)?;
            report.pruned_claims = upkeep::prune(conn, now - Duration::days(retention), now)?;
            Ok::<_, store::Error>(report)
        })
        .await?;
    if report.expiry_queued > 0 {
        platform.wake.notify_one();
    }
    Ok(report)
}

fn expire_due(conn: &mut AnyConnection, cutoff: NaiveDateTime, now: NaiveDateTime) -> store::Result<SweepReport> {
    let due = upkeep::due_to_expire(conn, cutoff, BATCH)?;
    let mut report = SweepReport::default();
    for claim in due {
        let native = shops::find(conn, &claim.shop_id)?.is_none_or(|shop| shop.is_native());
        if native {
            let done = claims::close_with_credit(
                conn,
                &claim,
                &[ClaimStatus::Active],
                ClaimStatus::Expired,
                EntryKind::Expire,
                None,
            )?;
            report.expired += usize::from(done.is_some());
        } else if !upkeep::is_queued(conn, &claim, OutboxAction::Expire)? {
            claims::enqueue(conn, &claim.shop_id, &claim.id, OutboxAction::Expire, now)?;
            report.expiry_queued += 1;
        }
    }
    Ok(report)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileReport {
    pub checked: usize,
    pub missing_repushed: usize,
    pub stale_deleted: usize,
    pub errors: usize,
}

/// Claims read per query by the reconciliation job.
const RECONCILE_BATCH: i64 = 500;

/// Compares claims with the platform by code: an active code missing there
/// is pushed again; a code refunded, failed or expired here but present
/// there is deleted.
pub async fn reconcile(platform: &Platform) -> Result<ReconcileReport> {
    reconcile_in_batches(platform, RECONCILE_BATCH).await
}

/// As [`reconcile`], reading each shop's claims `batch` at a time.
pub async fn reconcile_in_batches(platform: &Platform, batch: i64) -> Result<ReconcileReport> {
    let since = platform.store.clock().now() - Duration::days(platform.settings.retention_days);
    let shops = platform.store.read(|conn| reconcile::platform_shops(conn).map_err(store::Error::from)).await?;
    let mut report = ReconcileReport::default();
    for shop in shops {
        let Some(creds) = ShopCreds::of(&shop, &platform.settings) else { continue };
        let mut after: Option<String> = None;
        loop {
            let (shop_id, from) = (shop.id.clone(), after.take());
            let page = platform
                .store
                .read(move |conn| {
                    reconcile::claims_to_check(conn, &shop_id, since, from.as_deref(), batch)
                        .map_err(store::Error::from)
                })
                .await?;
            let full = page.len() as i64 >= batch;
            after = page.last().map(|claim| claim.id.clone());
            reconcile_page(platform, &creds, page, &mut report).await?;
            if !full || after.is_none() {
                break;
            }
        }
    }
    platform.wake.notify_one();
    Ok(report)
}

/// Looks each claim of one page up at the platform and queues the repairs.
async fn reconcile_page(
    platform: &Platform,
    creds: &ShopCreds,
    page: Vec<ClaimRow>,
    report: &mut ReconcileReport,
) -> Result<()> {
    for claim in page {
        report.checked += 1;
        let present = match catch(platform.client.find_by_code(creds, &claim.code)).await {
            Ok(Ok(found)) => found.is_some(),
            Ok(Err(error)) => {
                tracing::warn!(shop = %claim.shop_id, claim = %claim.id, ?error, "reconcile lookup failed");
                report.errors += 1;
                continue;
            }
            Err(panic) => {
                tracing::error!(shop = %claim.shop_id, claim = %claim.id, %panic, "reconcile lookup panicked");
                report.errors += 1;
                continue;
            }
        };
        let work = match (claim.status == ClaimStatus::Active, present) {
            (true, false) => OutboxAction::Repush,
            (false, true) => OutboxAction::Cleanup,
            _ => continue,
        };
        if work == OutboxAction::Repush {
            report.missing_repushed += 1
        } else {
            report.stale_deleted += 1
        }
        platform
            .store
            .write(move |conn| {
                claims::enqueue(conn, &claim.shop_id, &claim.id, work, crate::clock::now()).map_err(store::Error::from)
            })
            .await?;
    }
    Ok(())
}
