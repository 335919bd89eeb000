//! The campaign worker: issues due offers, one transaction each, until
//! none is due; then sleeps. Several instances share the queue (SKIP LOCKED).

use super::error::Result;
use super::Platform;
use crate::store::issue::Outcome;
use crate::store::issue_queue;
use crate::store::{self, Store};
use chrono::{NaiveDateTime, Utc};
use std::sync::Arc;

/// Offers issued per pass before the loop yields (bounded work per pass).
const PASS: usize = 1_000;

pub(crate) async fn run(platform: Arc<Platform>) {
    let every = std::time::Duration::from_millis(platform.settings.issue_interval_ms.max(10));
    loop {
        tokio::time::sleep(every).await;
        match issue_due_once(&platform.store, Utc::now().naive_utc(), PASS).await {
            Ok(outcomes) if outcomes.iter().any(|o| matches!(o, Outcome::Issued { pending: true, .. })) => {
                platform.wake.notify_one();
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "issuing offers failed"),
        }
        let grace = chrono::Duration::seconds(platform.settings.expiry_grace_secs.max(0));
        if let Err(error) = expire_offers_once(&platform.store, Utc::now().naive_utc(), grace).await {
            tracing::warn!(?error, "expiring offers failed");
        }
        let clock = platform.store.clock();
        if let Err(error) = scan_once(&platform.store, clock.now(), clock.day_length(), SCAN_PAGES).await {
            tracing::warn!(?error, "win-back / birthday scan failed");
        }
    }
}

/// Customers per scan page (one transaction) and pages per shop per pass:
/// a pass visits at most 20,000 customers of a shop, then yields.
const SCAN_PAGE: i64 = 1_000;
const SCAN_PAGES: usize = 20;

/// What one scan pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanReport {
    pub visited: usize,
    pub found: usize,
}

/// One bounded pass of the win-back / birthday scan at `now` over every
/// shop that has such a campaign: at most `pages` pages per shop, resuming
/// where the last pass stopped. Tests call it with the injected clock.
pub async fn scan_once(store: &Store, now: NaiveDateTime, day: chrono::Duration, pages: usize) -> Result<ScanReport> {
    let shops = store.read(crate::store::scan::shops_to_scan).await?;
    let mut report = ScanReport::default();
    for shop in shops {
        for _ in 0..pages {
            let shop = shop.clone();
            let page = store.write(move |conn| crate::store::scan::page(conn, &shop, now, day, SCAN_PAGE)).await?;
            report.visited += page.visited;
            report.found += page.found;
            if page.done {
                break;
            }
        }
    }
    Ok(report)
}

/// Offers expired per transaction (bounded work per unit).
const EXPIRY_BATCH: i64 = 500;

/// Expires every open offer past its expiry plus `grace` at `now` and gives
/// its reservation back. Tests call this with a `now` in the future.
pub async fn expire_offers_once(store: &Store, now: NaiveDateTime, grace: chrono::Duration) -> Result<usize> {
    let mut total = 0;
    loop {
        let done = store
            .write(move |conn| {
                crate::store::offers::expire_due(conn, now - grace, now, EXPIRY_BATCH).map_err(store::Error::from)
            })
            .await?;
        total += done;
        if done < EXPIRY_BATCH as usize {
            return Ok(total);
        }
    }
}

/// Issues every offer due at `now` (at most `max`). Tests call this with a
/// `now` in the future to let delays pass without sleeping.
pub async fn issue_due_once(store: &Store, now: NaiveDateTime, max: usize) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    while outcomes.len() < max {
        let next = store.write(move |conn| issue_queue::issue_next(conn, now)).await?;
        match next {
            Some(outcome) => outcomes.push(outcome),
            None => break,
        }
    }
    Ok(outcomes)
}
