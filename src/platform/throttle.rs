//! Client-side pacing from Shopify's leaky bucket: every response tells us
//! what is available and how fast it refills, so a request that would be
//! throttled is delayed instead of sent.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    maximum: f64,
    available: f64,
    restore: f64,
    at: Instant,
    /// Until the platform has told us its bucket, send one request at a time.
    observed: bool,
}

impl Bucket {
    fn unknown(now: Instant) -> Self {
        Self { maximum: 0.0, available: 0.0, restore: 0.0, at: now, observed: false }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.available = (self.available + elapsed * self.restore).min(self.maximum);
        self.at = now;
    }
}

#[derive(Default)]
pub struct Pacer {
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// How long to wait before a request of `cost` fits in the bucket.
fn wait_for(bucket: &mut Bucket, cost: f64, now: Instant) -> Option<Duration> {
    if !bucket.observed {
        // One probe request at a time until the first answer arrives.
        if bucket.available >= 0.0 {
            bucket.available = -1.0;
            return None;
        }
        return Some(Duration::from_millis(20));
    }
    bucket.refill(now);
    if bucket.available >= cost {
        bucket.available -= cost;
        None
    } else {
        let missing = cost - bucket.available;
        Some(Duration::from_secs_f64((missing / bucket.restore.max(1.0)).max(0.001)))
    }
}

impl Pacer {
    /// Waits until a request of `cost` can be sent without being throttled,
    /// and books its cost.
    pub async fn acquire(&self, shop: &str, cost: f64) {
        loop {
            let wait = {
                let Ok(mut buckets) = self.buckets.lock() else { return };
                let now = Instant::now();
                let bucket = buckets.entry(shop.to_string()).or_insert_with(|| Bucket::unknown(now));
                wait_for(bucket, cost, now)
            };
            match wait {
                None => return,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Learns the bucket from a response. The platform's figure already
    /// counts requests it has answered; ours also counts those in flight,
    /// so the lower of the two is the safe one.
    pub fn observe(&self, shop: &str, status: ThrottleStatus) {
        let Ok(mut buckets) = self.buckets.lock() else { return };
        let now = Instant::now();
        let bucket = buckets.entry(shop.to_string()).or_insert_with(|| Bucket::unknown(now));
        if bucket.observed {
            bucket.refill(now);
            bucket.available = bucket.available.min(status.currently_available);
        } else {
            bucket.available = status.currently_available;
        }
        bucket.maximum = status.maximum_available;
        bucket.restore = status.restore_rate;
        bucket.at = now;
        bucket.observed = true;
    }

    /// A request that never reached the platform gives its booking back.
    pub fn release(&self, shop: &str, cost: f64) {
        if let Ok(mut buckets) = self.buckets.lock() {
            if let Some(bucket) = buckets.get_mut(shop) {
                if bucket.observed {
                    bucket.available = (bucket.available + cost).min(bucket.maximum);
                } else {
                    bucket.available = 0.0;
                }
            }
        }
    }
}
