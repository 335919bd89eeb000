//! The points sweep: releases pending points whose window passed, expires
//! due lots and finds lots to warn about, in bounded batches (each its own
//! short write, so claims keep flowing between them).

use super::error::Result;
use crate::domain::notify::EventType;
use crate::store::expiry::{self, Expired, Warning};
use crate::store::{self, pending, Store};

/// Rows per batch, and batches per kind of work per shop per pass.
const BATCH: i64 = 500;
const MAX_BATCHES: usize = 200;
/// Expiry is a debit per customer (entry, allocations, lot updates): 500 of
/// them held the single SQLite writer ≈ 110 ms, so claims queued behind
/// each batch (claims ran at 0.23× during a 100,000-lot sweep). Batches of
/// 100 keep a claim's wait near 20 ms; the bound per pass stays 100,000.
const EXPIRE_BATCH: i64 = 100;
const MAX_EXPIRE_BATCHES: usize = 1000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PointsReport {
    pub released: usize,
    pub expired: Expired,
    pub warnings: Vec<(String, Warning)>,
    /// True when a bound was reached: the next pass goes on.
    pub(crate) more: bool,
}

/// One pass over every shop.
pub async fn sweep_points(store: &Store) -> Result<PointsReport> {
    let mut report = PointsReport::default();
    for _ in 0..MAX_BATCHES {
        let released = store.write(|conn| pending::release_due(conn, crate::clock::now(), BATCH)).await?;
        report.released += released;
        report.more = released as i64 == BATCH;
        if !report.more {
            break;
        }
    }
    let shops = store.read_query(expiry::policy_shops).await?;
    for (shop, warning_days) in shops {
        expire_shop(store, &shop, &mut report).await?;
        if warning_days > 0 {
            warn_shop(store, &shop, i64::from(warning_days), &mut report).await?;
        }
    }
    Ok(report)
}

async fn expire_shop(store: &Store, shop: &str, report: &mut PointsReport) -> Result<()> {
    for _ in 0..MAX_EXPIRE_BATCHES {
        let s = shop.to_string();
        let done = store.write(move |conn| expiry::expire_batch(conn, &s, crate::clock::now(), EXPIRE_BATCH)).await?;
        report.expired.customers += done.customers;
        report.expired.lots += done.lots;
        report.expired.points += done.points;
        if done.customers == 0 {
            return Ok(());
        }
    }
    report.more = true;
    Ok(())
}

async fn warn_shop(store: &Store, shop: &str, days: i64, report: &mut PointsReport) -> Result<()> {
    let lead = store.clock().days(days);
    for _ in 0..MAX_BATCHES {
        let s = shop.to_string();
        let found = store
            .write(move |conn| {
                let now = crate::clock::now();
                let warnings = expiry::warn_batch(conn, &s, now, lead, BATCH)?;
                // Queued with the warning mark in one transaction: sent once.
                for w in &warnings {
                    let at = chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(w.expires_at, chrono::Utc);
                    let data = serde_json::json!({"customer_id": w.customer_id, "points": w.points, "expires_at": at});
                    crate::store::notify::enqueue(conn, &s, EventType::PointsExpiring, data, now)?;
                }
                Ok::<_, store::Error>(warnings)
            })
            .await?;
        if found.is_empty() {
            return Ok(());
        }
        report.warnings.extend(found.into_iter().map(|w| (shop.to_string(), w)));
    }
    report.more = true;
    Ok(())
}
