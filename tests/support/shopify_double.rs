//! A local test double of the Shopify Admin API: one shop on 127.0.0.1:0,
//! served by hyper, so that tests control every fault. GraphQL at
//! `POST /admin/api/{YYYY-MM|unstable}/graphql.json` (wrong token → 401),
//! checked against Shopify's published Admin schema of that version (see
//! `shopify_double_schema.rs`; violations fail the test, see
//! `shopify_double_violations.rs`); OAuth at `/admin/oauth/*`. One leaky
//! bucket refilled at `restore_rate` up to `bucket_size`; every GraphQL
//! answer carries `extensions.cost`.
//!
//! Faults, in this order: `down` / `fail_next` / `error_rate` answer 5xx
//! before anything is done (not charged); `hostile` answers any authenticated
//! request; `segments_down` answers 503 to a segment query; then the request
//! is charged and executed; then `slow_ms` delays the answer; then
//! `drop_after_write_rate` closes the connection without answering a mutation
//! that was applied. The fault RNG has a fixed seed.
#![allow(dead_code)]

#[path = "shopify_double_discounts.rs"]
mod discounts;
#[path = "shopify_double_graphql.rs"]
mod graphql;
#[path = "shopify_double_http.rs"]
mod http;
#[path = "shopify_double_oauth.rs"]
mod oauth;
#[path = "shopify_double_schema.rs"]
mod schema;
#[path = "shopify_double_types.rs"]
mod types;
#[path = "shopify_double_violations.rs"]
mod violations;
#[allow(unused_imports)]
pub use oauth::{oauth_hmac, OAuthStats, Subscription};
#[allow(unused_imports)]
pub use types::{DiscountRecord, DoubleConfig, Faults, Hostile, Stats};
#[allow(unused_imports)]
pub use violations::{SchemaChecks, Violation, ViolationKind};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct ShopifyDouble {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    state: Arc<Mutex<State>>,
    /// Dropping it stops the server and its connections.
    _stop: tokio::sync::watch::Sender<()>,
}

impl ShopifyDouble {
    /// Binds 127.0.0.1:0 and serves until dropped. Reads the newest
    /// supported schema first (once per process), so that no request waits
    /// for it; panics saying what to run when the schemas are missing.
    pub async fn start(config: DoubleConfig) -> Self {
        let preload = tokio::task::spawn_blocking(|| {
            let today = schema::today();
            let newest = schema::versions()?.into_iter().rfind(|v| schema::supported(v, today));
            newest.map_or(Ok(()), |version| schema::schema(&version).map(drop))
        });
        if let Err(why) = preload.await.expect("the schema preload") {
            panic!("the Shopify double cannot read Shopify's published schemas: {why}");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the Shopify double");
        let port = listener.local_addr().expect("double address").port();
        let state = Arc::new(Mutex::new(State::new(config)));
        let (stop, stopped) = tokio::sync::watch::channel(());
        tokio::spawn(http::serve(listener, state.clone(), stopped));
        Self { base_url: format!("http://127.0.0.1:{port}"), state, _stop: stop }
    }

    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Share of requests that `Faults::slow_ms` delays (default 1.0: all).
    pub fn set_slow_share(&self, share: f64) {
        self.lock().slow_share = share;
    }

    /// Share of requests executed and then answered HTTP 200 with a top-level
    /// `INTERNAL_SERVER_ERROR` and no data, as Shopify does "instead of 500
    /// in most circumstances": an ambiguous outcome, not a refusal.
    pub fn set_internal_error_rate(&self, rate: f64) {
        self.lock().internal_error_rate = rate;
    }

    /// All discounts ever created, in creation order, deleted ones included.
    pub fn discounts(&self) -> Vec<DiscountRecord> {
        self.lock().discounts.clone()
    }

    pub fn live_codes(&self) -> Vec<String> {
        self.lock().discounts.iter().filter(|d| !d.deleted).map(|d| d.code.clone()).collect()
    }

    /// The live discount with this code (case-insensitive).
    pub fn find_code(&self, code: &str) -> Option<DiscountRecord> {
        let state = self.lock();
        state.live_index(code).map(|i| state.discounts[i].clone())
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// TCP connections accepted so far (to check keep-alive).
    pub fn connections_accepted(&self) -> u64 {
        self.lock().connections
    }

    pub fn currently_available(&self) -> f64 {
        let mut state = self.lock();
        state.refill();
        state.available
    }

    /// Replaces the members (customer gids) of a segment (`gid://shopify/Segment/N`).
    pub fn set_segment_members(&self, segment_id: &str, customer_gids: &[&str]) {
        let members = customer_gids.iter().map(|g| g.to_string()).collect();
        self.lock().segments.insert(segment_id.to_string(), members);
    }

    /// Names a segment for the `segments(first:)` listing.
    pub fn name_segment(&self, segment_id: &str, name: &str) {
        self.lock().segment_names.insert(segment_id.to_string(), name.to_string());
    }

    /// The merchant deletes the code in the admin; returns the node id.
    pub fn delete_out_of_band(&self, code: &str) -> Option<String> {
        let mut state = self.lock();
        let index = state.live_index(code)?;
        state.discounts[index].deleted = true;
        Some(state.discounts[index].id.clone())
    }

    pub fn oauth_stats(&self) -> OAuthStats {
        self.lock().oauth.stats.clone()
    }

    /// Webhook subscriptions made, in order.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.lock().oauth.subscriptions.clone()
    }

    /// Delays every `access_token` answer.
    pub fn set_oauth_delay(&self, delay: Duration) {
        self.lock().oauth.delay = delay;
    }

    /// The schema violations seen so far (they stay, and fail the test when
    /// the double is dropped).
    pub fn violations(&self) -> Vec<Violation> {
        self.lock().violations.clone()
    }

    /// The violations seen so far, which the caller now answers for.
    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut self.lock().violations)
    }

    /// Figures of the schema checks: requests, operations, versions.
    pub fn schema_checks(&self) -> SchemaChecks {
        self.lock().checks.clone()
    }

    /// Reads the schema a request to `version` is answered with now, so
    /// that no request waits for it (once per process, about a second).
    pub async fn preload(version: &str) {
        let version = version.to_string();
        tokio::task::spawn_blocking(move || schema::warm(&version)).await.expect("the schema preload");
    }

    /// The package the schemas come from (`@shopify/dev-mcp@1.16.0`), its
    /// versions, and how long each one read so far took to parse.
    pub fn published_schemas() -> (String, Vec<String>, Vec<(String, Duration)>) {
        let package = schema::package().unwrap_or_else(|e| e);
        (package, schema::versions().unwrap_or_default(), schema::parse_times())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for ShopifyDouble {
    /// A test that made a request Shopify's schema refuses (and did not take
    /// the violation) fails here.
    fn drop(&mut self) {
        let violations = std::mem::take(&mut self.lock().violations);
        if !violations.is_empty() && !std::thread::panicking() {
            panic!("{}", violations::report(&violations));
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct State {
    config: DoubleConfig,
    faults: Faults,
    stats: Stats,
    discounts: Vec<DiscountRecord>,
    segments: HashMap<String, HashSet<String>>,
    segment_names: BTreeMap<String, String>,
    available: f64,
    refilled_at: Instant,
    rng: StdRng,
    next_id: u64,
    connections: u64,
    slow_share: f64,
    internal_error_rate: f64,
    oauth: oauth::OAuthState,
    violations: Vec<Violation>,
    checks: SchemaChecks,
}

impl State {
    fn new(config: DoubleConfig) -> Self {
        Self {
            available: config.bucket_size,
            config,
            faults: Faults::default(),
            stats: Stats::default(),
            discounts: Vec::new(),
            segments: HashMap::new(),
            segment_names: BTreeMap::new(),
            refilled_at: Instant::now(),
            rng: StdRng::seed_from_u64(0x5eed_cafe),
            next_id: 1_057_371_001,
            connections: 0,
            slow_share: 1.0,
            internal_error_rate: 0.0,
            oauth: oauth::OAuthState::default(),
            violations: Vec::new(),
            checks: SchemaChecks::default(),
        }
    }

    /// The leaky bucket: points flow back at `restore_rate`, up to `bucket_size`.
    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.available = (self.available + elapsed * self.config.restore_rate).min(self.config.bucket_size);
        self.refilled_at = now;
    }

    /// True with this probability (drawn only when it is above 0).
    fn chance(&mut self, rate: f64) -> bool {
        rate > 0.0 && self.rng.gen::<f64>() < rate
    }

    /// Counts an injected fault and passes its answer on.
    fn fault<T>(&mut self, answer: T) -> T {
        self.stats.faults_injected += 1;
        answer
    }

    fn live_index(&self, code: &str) -> Option<usize> {
        let code = code.to_lowercase();
        self.discounts.iter().position(|d| !d.deleted && d.code.to_lowercase() == code)
    }

    fn cost_json(&self, requested: f64, actual: Option<f64>) -> Value {
        let (maximum, restore, current) = (self.config.bucket_size, self.config.restore_rate, self.available.floor());
        json!({"cost": {"requestedQueryCost": number(requested), "actualQueryCost": actual.map(number),
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": number(current), "restoreRate": restore}}})
    }
}

/// Integral costs as JSON integers, like Shopify.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}
