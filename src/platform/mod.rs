//! The commerce platform: the Shopify Admin API client, the outbox relay
//! that pushes and deletes codes exactly once, the sweeper (expiry,
//! retention, reconciliation) and the segment membership cache.
//!
//! Fast tests set short timings through the environment (see
//! `config::PlatformSettings`): LOYALTY_RELAY_INTERVAL_MS=50,
//! LOYALTY_RETRY_BASE_MS=50, LOYALTY_RETRY_MAX_MS=500,
//! LOYALTY_PLATFORM_TIMEOUT_MS=500, LOYALTY_PUSH_DEADLINE_SECS as needed.

mod claim_discount;
pub(crate) mod error;
pub(crate) mod install;
pub mod issuer;
pub(crate) mod notify;
pub mod oauth;
pub(crate) mod offer_push;
pub mod points_sweep;
pub(crate) mod relay;
pub(crate) mod segments;
pub mod shopify;
pub mod subscriptions;
pub(crate) mod supervise;
pub mod sweeper;
pub(crate) mod throttle;

use crate::config::PlatformSettings;
use crate::store::Store;
pub(crate) use error::Error;
use shopify::ShopifyClient;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Everything the background workers and the doors share.
pub struct Platform {
    pub(crate) client: ShopifyClient,
    pub(crate) settings: PlatformSettings,
    pub(crate) store: Store,
    /// Wakes the relay when new work is written.
    pub(crate) wake: Notify,
    pub(crate) segments: segments::SegmentCache,
    /// Client for the merchant's own endpoints (outgoing webhooks).
    pub(crate) notify_client: reqwest::Client,
}

impl Platform {
    pub fn new(store: Store, settings: PlatformSettings) -> anyhow::Result<Arc<Self>> {
        let client = ShopifyClient::new(
            Duration::from_millis(settings.connect_timeout_ms),
            Duration::from_millis(settings.request_timeout_ms),
            Duration::from_secs(settings.max_wait_secs),
        )?;
        let segments = segments::SegmentCache::new(Duration::from_secs(settings.segment_ttl_secs));
        let notify_client = notify::client()?;
        Ok(Arc::new(Self { client, settings, store, wake: Notify::new(), segments, notify_client }))
    }

    /// Starts the relay and the sweeper on the current runtime.
    pub(crate) fn spawn_workers(self: &Arc<Self>) {
        if !self.settings.workers {
            return;
        }
        let pause = Duration::from_secs(1);
        supervise::keep_running("relay", self.clone(), pause, relay::run);
        supervise::keep_running("sweeper", self.clone(), pause, sweeper::run);
        supervise::keep_running("notify", self.clone(), pause, notify::run);
        supervise::keep_running("issuer", self.clone(), pause, issuer::run);
    }
}
