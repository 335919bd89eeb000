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

    /// A request whose answer carried no bucket figures: if it surely never
    /// reached the platform (`refund`), its booking comes back; an unknown
    /// bucket lets the next probe go.
    pub fn release(&self, shop: &str, cost: f64, refund: bool) {
        if let Ok(mut buckets) = self.buckets.lock() {
            if let Some(bucket) = buckets.get_mut(shop) {
                if !bucket.observed {
                    bucket.available = 0.0;
                } else if refund {
                    bucket.available = (bucket.available + cost).min(bucket.maximum);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(available: f64) -> Bucket {
        Bucket { maximum: 1000.0, available, restore: 100.0, at: Instant::now(), observed: true }
    }

    #[test]
    fn books_cost_when_it_fits_and_waits_for_the_refill_when_not() {
        let now = Instant::now();
        let mut bucket = observed(25.0);
        assert_eq!(wait_for(&mut bucket, 10.0, now), None);
        assert_eq!(wait_for(&mut bucket, 10.0, now), None);
        let wait = wait_for(&mut bucket, 10.0, now).expect("5 left, 10 needed");
        // 5 points missing at 100 points/s = 50 ms.
        assert!((wait.as_secs_f64() - 0.05).abs() < 0.005, "{wait:?}");
    }

    #[test]
    fn an_unknown_bucket_lets_one_probe_through_at_a_time() {
        let now = Instant::now();
        let mut bucket = Bucket::unknown(now);
        assert_eq!(wait_for(&mut bucket, 10.0, now), None);
        assert!(wait_for(&mut bucket, 10.0, now).is_some());
    }

    #[test]
    fn the_lower_of_our_estimate_and_the_platforms_figure_wins() {
        let pacer = Pacer::default();
        let status = ThrottleStatus { maximum_available: 1000.0, currently_available: 500.0, restore_rate: 100.0 };
        pacer.observe("s", status);
        pacer.observe("s", ThrottleStatus { currently_available: 900.0, ..status });
        let available = pacer.buckets.lock().map(|b| b["s"].available).unwrap_or_default();
        assert!(available < 510.0, "kept the lower estimate, got {available}");
    }
}
