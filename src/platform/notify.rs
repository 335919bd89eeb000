//! Delivers outgoing merchant webhooks: leases due rows, POSTs each body as
//! stored (same `id` on every retry) with `X-Loyalty-Signature`, 5 s
//! timeout, no redirects; backs off 1 s → 1 h and dead-letters a delivery
//! still failing after the retry window (24 h by default).

use super::Platform;
use crate::domain::notify::{self, HEADER_SIGNATURE};
use crate::store;
use crate::store::notify::{self as queue, NotificationRow};
use chrono::{Duration as Span, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

const LEASE_SECONDS: i64 = 60;
const BATCH: i64 = 32;
/// A delivery is dead only after the window and at least this many tries.
const MIN_ATTEMPTS: i32 = 3;

/// The HTTP client for merchant endpoints: short timeouts, no redirects.
pub(crate) fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

pub(crate) async fn run(platform: Arc<Platform>) {
    let idle = Duration::from_millis(platform.settings.relay_interval_ms.clamp(10, 5_000));
    loop {
        let leased = platform
            .store
            .write(|conn| {
                queue::lease_due(conn, Utc::now().naive_utc(), Span::seconds(LEASE_SECONDS), BATCH)
                    .map_err(store::Error::from)
            })
            .await;
        match leased {
            Ok(rows) if !rows.is_empty() => deliver_all(&platform, rows).await,
            Ok(_) => tokio::time::sleep(idle).await,
            Err(error) => {
                tracing::warn!(?error, "notification lease failed");
                tokio::time::sleep(idle).await;
            }
        }
    }
}

/// Each delivery in its own task: a panic or a slow merchant endpoint
/// affects only that row (its lease runs out and it is tried again).
async fn deliver_all(platform: &Arc<Platform>, rows: Vec<NotificationRow>) {
    let tasks: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let platform = platform.clone();
            let (shop, id) = (row.shop_id.clone(), row.id.clone());
            (shop, id, tokio::spawn(async move { deliver(&platform, row).await }))
        })
        .collect();
    for (shop, id, task) in tasks {
        if let Err(error) = task.await {
            tracing::error!(shop = %shop, notification = %id, %error, "notification delivery panicked");
        }
    }
}

async fn deliver(platform: &Platform, row: NotificationRow) {
    let (shop, now) = (row.shop_id.clone(), Utc::now().naive_utc());
    let target = platform.store.read_query(move |conn| queue::target(conn, &shop)).await;
    let outcome = match target {
        Ok(Some(target)) => post(platform, &target.url, &target.secret, &row).await,
        Ok(None) => Err("the shop has no notify target any more".to_string()),
        Err(_) => return, // database trouble: the lease runs out, tried again
    };
    let retry_at = match &outcome {
        Ok(()) => None,
        Err(_) => next_try(platform, &row, now),
    };
    let error = outcome.err();
    match (&error, retry_at) {
        (Some(error), None) => {
            tracing::warn!(shop = %row.shop_id, notification = %row.id, event_type = row.event_type.as_str(),
            attempts = row.attempts, %error, "notification dead-lettered: no more tries; the admin can retry it")
        }
        (Some(error), Some(_)) => tracing::info!(shop = %row.shop_id, notification = %row.id, attempts = row.attempts,
            %error, "notification not delivered; will try again"),
        (None, _) => {}
    }
    let stored = platform
        .store
        .write(move |conn| {
            queue::record_attempt(conn, &row, error.as_deref(), retry_at, Utc::now().naive_utc())
                .map_err(store::Error::from)
        })
        .await;
    if let Err(error) = stored {
        tracing::warn!(?error, "notification outcome not stored; the lease will expire");
    }
}

/// When to try again, or None (dead) once the retry window has passed.
fn next_try(platform: &Platform, row: &NotificationRow, now: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
    let window = Span::seconds(platform.settings.notify_retry_window_secs);
    if now - row.created_at >= window && row.attempts >= MIN_ATTEMPTS {
        return None;
    }
    let wait = notify::backoff(row.attempts, rand::thread_rng().gen::<f64>());
    let cap = Span::milliseconds(platform.settings.notify_retry_max_ms.max(1));
    Some(now + wait.min(cap))
}

async fn post(platform: &Platform, url: &str, secret: &str, row: &NotificationRow) -> Result<(), String> {
    let answer = platform
        .notify_client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(HEADER_SIGNATURE, notify::signature(secret, row.body.as_bytes()))
        .header("X-Loyalty-Event-Id", &row.id)
        .header("X-Loyalty-Event-Type", row.event_type.as_str())
        .body(row.body.clone())
        .send()
        .await
        .map_err(|e| if e.is_timeout() { "timed out".to_string() } else { "no answer".to_string() })?;
    match answer.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("answered HTTP {}", status.as_u16())),
    }
}
