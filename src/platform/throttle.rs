//! Client-side pacing from Shopify's leaky bucket: every response tells us
//! what is available and how fast it refills, so a request that would be
//! throttled is delayed instead of sent.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ThrottleStatus {
    pub(crate) maximum_available: f64,
    pub(crate) currently_available: f64,
    pub(crate) restore_rate: f64,
}

/// The largest bucket and refill rate believed (Shopify's are 1,000-20,000
/// points and 50-1,000 points/s); anything beyond is a hostile answer.
const MAX_POINTS: f64 = 1.0e6;

impl ThrottleStatus {
    /// The figures made safe: every one finite and within sane bounds, or
    /// None when they cannot describe a bucket at all (a hostile answer).
    pub(crate) fn sanitized(self) -> Option<Self> {
        let finite =
            [self.maximum_available, self.currently_available, self.restore_rate].iter().all(|v| v.is_finite());
        if !finite {
            return None;
        }
        let maximum = self.maximum_available.clamp(1.0, MAX_POINTS);
        Some(Self {
            maximum_available: maximum,
            currently_available: self.currently_available.clamp(-maximum, maximum),
            restore_rate: self.restore_rate.clamp(1.0, MAX_POINTS),
        })
    }
}

/// A wait in seconds taken from a platform answer (Retry-After, a throttle
/// computation) as a Duration between 0 and `max`: NaN, infinities,
/// negative and huge figures never reach `Duration::from_secs_f64`.
pub(crate) fn clamp_wait(seconds: f64, max: Duration) -> Duration {
    if seconds.is_nan() {
        return max;
    }
    let bounded = seconds.clamp(0.0, max.as_secs_f64());
    Duration::try_from_secs_f64(bounded).unwrap_or(max)
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

pub(crate) struct Pacer {
    buckets: Mutex<HashMap<String, Bucket>>,
    /// No wait computed from the platform's figures is longer.
    max_wait: Duration,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new(Duration::from_secs(60))
    }
}

/// How long to wait before a request of `cost` fits in the bucket.
fn wait_for(bucket: &mut Bucket, cost: f64, now: Instant, max: Duration) -> Option<Duration> {
    if !bucket.observed {
        // One probe request at a time until the first answer arrives.
        if bucket.available >= 0.0 {
            bucket.available = -1.0;
            return None;
        }
        return Some(Duration::from_millis(20));
    }
    bucket.refill(now);
    // A request dearer than the whole bucket goes when the bucket is full.
    let need = cost.min(bucket.maximum);
    if bucket.available >= need {
        bucket.available -= cost;
        None
    } else {
        let missing = need - bucket.available;
        Some(clamp_wait((missing / bucket.restore.max(1.0)).max(0.001), max))
    }
}

impl Pacer {
    pub(crate) fn new(max_wait: Duration) -> Self {
        Self { buckets: Mutex::new(HashMap::new()), max_wait }
    }

    /// Waits until a request of `cost` can be sent without being throttled,
    /// and books its cost. When that would take longer than `patience` in
    /// all, nothing is booked and the wait is returned instead (a shopper's
    /// request does not sit for a minute, a relay slot is not held).
    pub(crate) async fn acquire(&self, shop: &str, cost: f64, patience: Duration) -> Result<(), Duration> {
        let deadline = Instant::now() + patience;
        loop {
            let wait = {
                let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
                let now = Instant::now();
                let bucket = buckets.entry(shop.to_string()).or_insert_with(|| Bucket::unknown(now));
                wait_for(bucket, cost, now, self.max_wait)
            };
            match wait {
                None => return Ok(()),
                // Nothing was booked: the bucket is as it was.
                Some(wait) if Instant::now() + wait > deadline => return Err(wait),
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// How long a request of `cost` would wait now, without booking it:
    /// None when it could go at once (an unknown bucket's probe included).
    pub(crate) fn wait_now(&self, shop: &str, cost: f64) -> Option<Duration> {
        let Ok(buckets) = self.buckets.lock() else { return None };
        let mut bucket = *buckets.get(shop)?;
        wait_for(&mut bucket, cost, Instant::now(), self.max_wait)
    }

    /// Learns the bucket from a response. The platform's figure already
    /// counts requests it has answered; ours also counts those in flight,
    /// so the lower of the two is the safe one.
    pub(crate) fn observe(&self, shop: &str, status: ThrottleStatus) {
        let Some(status) = status.sanitized() else {
            self.release(shop, 0.0, false);
            return;
        };
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
        // However deep the platform says the bucket is, it refills within
        // the longest wait we accept.
        bucket.available = bucket.available.max(-bucket.restore * self.max_wait.as_secs_f64());
        bucket.at = now;
        bucket.observed = true;
    }

    /// A request whose answer carried no bucket figures: if it surely never
    /// reached the platform (`refund`), its booking comes back; an unknown
    /// bucket lets the next probe go.
    pub(crate) fn release(&self, shop: &str, cost: f64, refund: bool) {
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

    const MAX: Duration = Duration::from_secs(60);

    fn observed(available: f64) -> Bucket {
        Bucket { maximum: 1000.0, available, restore: 100.0, at: Instant::now(), observed: true }
    }

    #[test]
    fn books_cost_when_it_fits_and_waits_for_the_refill_when_not() {
        let now = Instant::now();
        let mut bucket = observed(25.0);
        assert_eq!(wait_for(&mut bucket, 10.0, now, MAX), None);
        assert_eq!(wait_for(&mut bucket, 10.0, now, MAX), None);
        let wait = wait_for(&mut bucket, 10.0, now, MAX).expect("5 left, 10 needed");
        // 5 points missing at 100 points/s = 50 ms.
        assert!((wait.as_secs_f64() - 0.05).abs() < 0.005, "{wait:?}");
    }

    #[test]
    fn a_look_at_the_wait_books_nothing() {
        let pacer = Pacer::new(MAX);
        assert_eq!(pacer.wait_now("s", 10.0), None, "a shop never seen: its probe may go");
        let status = ThrottleStatus { maximum_available: 1000.0, currently_available: 15.0, restore_rate: 50.0 };
        pacer.observe("s", status);
        for _ in 0..3 {
            assert_eq!(pacer.wait_now("s", 10.0), None, "15 available: a create of 10 fits, and stays fitting");
        }
        let wait = pacer.wait_now("s", 20.0).expect("20 does not fit in 15");
        assert!(wait > Duration::from_millis(50) && wait <= Duration::from_millis(150), "{wait:?}: 5 missing at 50/s");
    }

    #[test]
    fn an_unknown_bucket_lets_one_probe_through_at_a_time() {
        let now = Instant::now();
        let mut bucket = Bucket::unknown(now);
        assert_eq!(wait_for(&mut bucket, 10.0, now, MAX), None);
        assert!(wait_for(&mut bucket, 10.0, now, MAX).is_some());
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

    #[test]
    fn hostile_figures_never_make_an_unrepresentable_wait() {
        for seconds in [f64::INFINITY, f64::NAN, 1e300, -1.0, -1e308, f64::NEG_INFINITY] {
            let wait = clamp_wait(seconds, MAX);
            assert!(wait <= MAX, "{seconds} gave {wait:?}");
        }
        assert_eq!(clamp_wait(2.5, MAX), Duration::from_millis(2_500));
        let pacer = Pacer::new(MAX);
        for available in [-1e308, f64::MIN, 1e308] {
            let status =
                ThrottleStatus { maximum_available: 1e308, currently_available: available, restore_rate: 1e-300 };
            pacer.observe("s", status);
            let now = Instant::now();
            let wait = pacer.buckets.lock().map(|mut b| b.get_mut("s").and_then(|b| wait_for(b, 10.0, now, MAX)));
            assert!(wait.is_ok_and(|w| w.is_none_or(|w| w <= MAX)), "pacer survived {available}");
        }
        let nan = ThrottleStatus { maximum_available: f64::NAN, currently_available: 1.0, restore_rate: 1.0 };
        assert_eq!(nan.sanitized(), None);
    }
}
