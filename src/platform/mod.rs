//! The commerce platform: the Shopify Admin API client, the outbox relay
//! that pushes and deletes codes exactly once, the sweeper (expiry,
//! retention, reconciliation) and the segment membership cache.
//!
//! Fast tests set short timings through the environment (see
//! `config::PlatformSettings`): LOYALTY_RELAY_INTERVAL_MS=50,
//! LOYALTY_RETRY_BASE_MS=50, LOYALTY_RETRY_MAX_MS=500,
//! LOYALTY_PLATFORM_TIMEOUT_MS=500, LOYALTY_PUSH_DEADLINE_SECS as needed.

pub mod error;
pub mod install;
pub mod issuer;
pub mod notify;
pub mod oauth;
pub mod offer_push;
pub mod points_sweep;
pub mod relay;
pub mod segments;
pub mod shopify;
pub mod subscriptions;
pub mod supervise;
pub mod sweeper;
pub mod throttle;

use crate::config::PlatformSettings;
use crate::store::Store;
pub use error::{Error, Result};
use shopify::ShopifyClient;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Everything the background workers and the doors share.
pub struct Platform {
    pub client: ShopifyClient,
    pub settings: PlatformSettings,
    pub store: Store,
    /// Wakes the relay when new work is written.
    pub wake: Notify,
    pub segments: segments::SegmentCache,
    /// Client for the merchant's own endpoints (outgoing webhooks).
    pub notify_client: reqwest::Client,
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
    pub fn spawn_workers(self: &Arc<Self>) {
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
