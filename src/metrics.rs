//! Prometheus metrics in text format, kept in process: request counts and
//! latency by route, claims, refunds and points redeemed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    pub(crate) claims_created: AtomicU64,
    pub(crate) claims_refused: AtomicU64,
    pub(crate) refunds: AtomicU64,
    pub(crate) points_redeemed: AtomicU64,
    pub(crate) points_refunded: AtomicU64,
}

/// Label values are bounded (no unbounded series): a method outside the
/// standard ones and a path no route matched are counted as `other`.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|known| *known == method).unwrap_or("other")
}

fn route_label(route: Option<&str>) -> &str {
    route.filter(|r| r.starts_with('/')).unwrap_or("other")
}

impl Metrics {
    /// `route` is the matched pattern (None when no route matched).
    pub(crate) fn observe_request(&self, method: &str, route: Option<&str>, status: u16, elapsed: Duration) {
        let (method, route) = (method_label(method), route_label(route));
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency.entry(route.to_string()).or_default();
            let seconds = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    histogram.counts[i] += 1;
                }
            }
            histogram.count += 1;
            histogram.sum += seconds;
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                let route = escape(route);
                for (bound, n) in BUCKETS.iter().zip(h.counts.iter()) {
                    let _ =
                        writeln!(out, "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
                }
                let _ =
                    writeln!(out, "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ = writeln!(out, "http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        for (name, help, counter) in [
            ("loyalty_claims_created_total", "Codes created.", &self.claims_created),
            ("loyalty_claims_refused_total", "Claims refused by a rule or the balance.", &self.claims_refused),
            ("loyalty_refunds_total", "Codes refunded.", &self.refunds),
            ("loyalty_points_redeemed_total", "Points turned into codes.", &self.points_redeemed),
            ("loyalty_points_refunded_total", "Points given back by refunds.", &self.points_refunded),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}
