//! A local test double of the Shopify Admin GraphQL API (issue 3, point 8).
//!
//! One shop, served over a hand-written HTTP/1.1 server on 127.0.0.1:0
//! (keep-alive, Content-Length and chunked bodies) so that tests control
//! every fault: 5xx, slow answers, a connection dropped after the mutation
//! was applied, THROTTLED as HTTP 200 or 429 + Retry-After, user errors.
//!
//! What it implements, as `../shared/PLATFORM.md` describes Shopify:
//! - `POST /admin/api/{YYYY-MM|unstable}/graphql.json`, `X-Shopify-Access-Token`
//!   (wrong or missing → 401), body `{"query", "variables", "operationName"}`.
//! - A small GraphQL front end: the query is parsed (operations, variables
//!   with non-null checks and defaults, aliases, inline fragments, named
//!   fragments, literal arguments), input objects are coerced against the
//!   2025-01 input types (an unknown field or a wrong scalar is a top-level
//!   error, as Shopify does, and nothing is executed or charged), and the
//!   answer holds exactly the fields selected (an unknown field is an error).
//! - Root fields: `discountCodeBasicCreate`, `discountCodeDelete`,
//!   `codeDiscountNodeByCode`, `codeDiscountNode(id)` and
//!   `customerSegmentMembership`.
//! - One leaky bucket: refilled continuously at `restore_rate` up to
//!   `bucket_size`; a mutation root field costs `mutation_cost`, a query
//!   root field `query_cost`. Every GraphQL answer (data, user errors,
//!   validation errors, THROTTLED) carries `extensions.cost`; non-GraphQL
//!   answers (401, 400, 404, injected 5xx, dropped connections) do not, like
//!   the real service, whose 5xx pages are not GraphQL.
//!
//! Faults, in this order: `down` / `fail_next` / `error_rate` answer 5xx
//! before anything is done (not charged); `segments_down` answers 503 to a
//! segment query; then the request is charged and executed; then `slow_ms`
//! delays the answer; then `drop_after_write_rate` closes the socket without
//! answering a mutation that was applied. Randomness comes from a seeded RNG
//! (`set_seed`), so a sequential test sees the same faults every run.
#![allow(dead_code)]

#[path = "shopify_double_oauth.rs"]
mod oauth;
#[path = "shopify_double_offers.rs"]
mod offers;
#[allow(unused_imports)]
pub use oauth::{callback_query, oauth_hmac, OAuthStats, Subscription};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct DoubleConfig {
    pub access_token: String,
    /// Bucket size in points (Shopify: 1,000 on older standard plans).
    pub bucket_size: f64,
    /// Points restored per second (Shopify: 100 standard, 1,000 Plus).
    pub restore_rate: f64,
    pub mutation_cost: f64,
    pub query_cost: f64,
    /// The app at the OAuth endpoint (issue 11) and the one shop it serves.
    pub client_id: String,
    pub client_secret: String,
    pub shop: String,
}

impl Default for DoubleConfig {
    fn default() -> Self {
        Self {
            access_token: "shpat_test_double_token".to_string(),
            bucket_size: 1000.0,
            restore_rate: 100.0,
            mutation_cost: 10.0,
            query_cost: 1.0,
            client_id: "test-client".to_string(),
            client_secret: "test-secret-that-is-at-least-32-bytes-long".to_string(),
            shop: "test-shop.myshopify.com".to_string(),
        }
    }
}

#[derive(Clone, Default, Debug)]
pub struct Faults {
    /// Every request answers 503.
    pub down: bool,
    /// The next N requests answer 502.
    pub fail_next: u32,
    /// Share of requests answered with a random 5xx (before doing anything).
    pub error_rate: f64,
    /// Share of mutations applied and then answered by closing the socket.
    pub drop_after_write_rate: f64,
    /// Delay before answering (after applying).
    pub slow_ms: u64,
    /// THROTTLED as HTTP 429 + Retry-After instead of HTTP 200.
    pub throttle_as_429: bool,
    /// The next create answers `userErrors [{code: <this>}]` and creates nothing.
    pub reject_next_create: Option<String>,
    /// `customerSegmentMembership` answers 503.
    pub segments_down: bool,
    /// A hostile or broken platform: every authenticated request is
    /// answered this way, before anything is done.
    pub hostile: Option<Hostile>,
}

/// Answers no real Shopify gives, which a merchant-chosen `base_url` can.
#[derive(Clone, Debug)]
pub enum Hostile {
    /// HTTP 429 THROTTLED with this `Retry-After` text (`inf`, `1e300`, `-1`, `NaN`).
    RetryAfter(String),
    /// HTTP 200 THROTTLED whose `extensions.cost.throttleStatus` holds these
    /// raw JSON number texts (maximumAvailable, currentlyAvailable, restoreRate).
    ThrottleStatus(String, String, String),
    /// HTTP 200 with this raw body (e.g. a GraphQL error carrying text).
    Body(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct DiscountRecord {
    /// `gid://shopify/DiscountCodeNode/N`
    pub id: String,
    pub code: String,
    pub title: String,
    /// The amount as sent (a decimal string).
    pub amount: String,
    /// Customer gids from `customerSelection.customers.add` (or `context`).
    pub customer_ids: Vec<String>,
    pub applies_on_one_time_purchase: bool,
    pub applies_on_subscription: bool,
    pub recurring_cycle_limit: Option<i64>,
    pub usage_limit: Option<i64>,
    pub applies_once_per_customer: bool,
    /// (order, product, shipping)
    pub combines_with: (bool, bool, bool),
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub deleted: bool,
    /// `customerGets.value.percentage` as sent (a fraction 0–1).
    pub percentage: Option<f64>,
    /// `minimumRequirement.subtotal.greaterThanOrEqualToSubtotal`.
    pub min_subtotal: Option<String>,
    /// Made by `discountCodeFreeShippingCreate`.
    pub free_shipping: bool,
    /// `maximumShippingPrice` (free shipping).
    pub max_shipping: Option<String>,
}

#[derive(Default, Clone, Debug)]
pub struct Stats {
    /// Every HTTP request received, whatever its fate.
    pub requests: u64,
    /// Discounts actually created.
    pub creates: u64,
    /// Creates refused with TAKEN.
    pub taken: u64,
    /// Discounts deleted through the API (not `delete_out_of_band`).
    pub deletes: u64,
    /// `codeDiscountNodeByCode` executions.
    pub lookups: u64,
    /// Requests refused with THROTTLED (200 or 429).
    pub throttled: u64,
    /// Injected faults: 5xx (down, fail_next, error_rate, segments_down),
    /// slow answers and dropped connections.
    pub faults_injected: u64,
}

pub struct ShopifyDouble {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    state: Arc<Mutex<State>>,
    connections: Arc<AtomicU64>,
    shutdown: watch::Sender<bool>,
}

impl ShopifyDouble {
    /// Binds 127.0.0.1:0 and serves until dropped.
    pub async fn start(config: DoubleConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the Shopify double");
        let port = listener.local_addr().expect("double address").port();
        let state = Arc::new(Mutex::new(State::new(config)));
        let connections = Arc::new(AtomicU64::new(0));
        let (shutdown, mut stop) = watch::channel(false);
        {
            let state = state.clone();
            let connections = connections.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            connections.fetch_add(1, Ordering::Relaxed);
                            tokio::spawn(serve_connection(stream, state.clone(), stop.clone()));
                        }
                        _ = stop.changed() => break,
                    }
                }
            });
        }
        Self { base_url: format!("http://127.0.0.1:{port}"), state, connections, shutdown }
    }

    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Share of requests that `Faults::slow_ms` delays (default 1.0: all),
    /// for random slow answers mixed with other faults.
    pub fn set_slow_share(&self, share: f64) {
        self.lock().slow_share = share;
    }

    /// Share of requests executed (mutations applied) and then answered
    /// HTTP 200 with a top-level `INTERNAL_SERVER_ERROR` and no data, as
    /// Shopify does "instead of 500 Internal Server Error in most
    /// circumstances": an ambiguous outcome, not a refusal.
    pub fn set_internal_error_rate(&self, rate: f64) {
        self.lock().internal_error_rate = rate;
    }

    /// Reseeds the fault RNG (the default seed is fixed).
    pub fn set_seed(&self, seed: u64) {
        self.lock().rng = StdRng::seed_from_u64(seed);
    }

    /// All discounts ever created, in creation order, deleted ones included.
    pub fn discounts(&self) -> Vec<DiscountRecord> {
        self.lock().discounts.clone()
    }

    /// Codes of the discounts not deleted.
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
        self.connections.load(Ordering::Relaxed)
    }

    /// Points available in the bucket right now.
    pub fn currently_available(&self) -> f64 {
        let mut state = self.lock();
        state.refill();
        state.available
    }

    /// Replaces the members of a segment (`gid://shopify/Segment/N` as the
    /// client will send it; members as customer gids).
    pub fn set_segment_members(&self, segment_id: &str, customer_gids: &[&str]) {
        let members = customer_gids.iter().map(|g| g.to_string()).collect();
        self.lock().segments.insert(segment_id.to_string(), members);
    }

    /// Names a segment for the `segments(first:)` listing (admin picker).
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

    /// OAuth calls seen (authorize redirects, grants, refusals).
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

    /// A code as the merchant's approval makes it, and the signed callback
    /// query Shopify would send with it.
    pub fn approve(&self, oauth_state: &str) -> Vec<(String, String)> {
        let mut state = self.lock();
        let code = oauth::issue_code(&mut state);
        callback_query(&state.config.client_secret, &state.config.shop, &code, oauth_state)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for ShopifyDouble {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

struct State {
    config: DoubleConfig,
    faults: Faults,
    stats: Stats,
    discounts: Vec<DiscountRecord>,
    segments: HashMap<String, HashSet<String>>,
    /// Segment names for the `segments` listing (gid → name).
    segment_names: std::collections::BTreeMap<String, String>,
    available: f64,
    refilled_at: Instant,
    rng: StdRng,
    next_id: u64,
    slow_share: f64,
    internal_error_rate: f64,
    oauth: oauth::OAuthState,
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
            segment_names: Default::default(),
            refilled_at: Instant::now(),
            rng: StdRng::seed_from_u64(0x5eed_cafe),
            next_id: 1_057_371_001,
            slow_share: 1.0,
            internal_error_rate: 0.0,
            oauth: oauth::OAuthState::default(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.available = (self.available + elapsed * self.config.restore_rate).min(self.config.bucket_size);
        self.refilled_at = now;
    }

    fn live_index(&self, code: &str) -> Option<usize> {
        let code = code.to_lowercase();
        self.discounts.iter().position(|d| !d.deleted && d.code.to_lowercase() == code)
    }

    fn cost_json(&self, requested: f64, actual: Option<f64>) -> Value {
        json!({"cost": {
            "requestedQueryCost": number(requested),
            "actualQueryCost": actual.map(number),
            "throttleStatus": {
                "maximumAvailable": self.config.bucket_size,
                "currentlyAvailable": number(self.available.floor()),
                "restoreRate": self.config.restore_rate,
            }
        }})
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

// ---------------------------------------------------------------------------
// HTTP/1.1
// ---------------------------------------------------------------------------

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct Response {
    status: u16,
    content_type: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: serde_json::to_vec(body).expect("serialize"),
        }
    }

    fn html(status: u16, body: &str) -> Self {
        Self { status, content_type: "text/html; charset=utf-8", headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_string(), value));
        self
    }
}

enum Outcome {
    Respond(Response),
    /// The mutation was applied; close without answering.
    Drop,
}

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 8 * 1024 * 1024;

async fn serve_connection(mut stream: TcpStream, state: Arc<Mutex<State>>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let mut buffer: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let read = tokio::select! {
            read = read_request(&mut stream, &mut buffer) => read,
            _ = stop.changed() => return,
        };
        let request = match read {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err((status, message)) => {
                let response = Response::json(status, &json!({"errors": message}));
                let _ = write_response(&mut stream, &response, false).await;
                return;
            }
        };
        let keep_alive = request.keep_alive;
        let (outcome, delay) = {
            let mut guard = state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            handle(&mut guard, &request)
        };
        if !delay.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stop.changed() => return,
            }
        }
        match outcome {
            Outcome::Drop => {
                let _ = stream.shutdown().await;
                return;
            }
            Outcome::Respond(response) => {
                if write_response(&mut stream, &response, keep_alive).await.is_err() || !keep_alive {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<bool, (u16, String)> {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => Ok(false),
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Ok(true)
        }
    }
}

/// Reads one request; `Ok(None)` when the peer closed between requests.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Option<Request>, (u16, String)> {
    let head_end = loop {
        if let Some(at) = find(buffer, b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > MAX_HEAD {
            return Err((431, "Request Header Fields Too Large".into()));
        }
        if !fill(stream, buffer).await? {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err((400, "Bad Request".into()));
    };
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { return Err((400, "Bad Request".into())) };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let connection = header("connection").unwrap_or_default().to_ascii_lowercase();
    let keep_alive = if version.eq_ignore_ascii_case("HTTP/1.0") {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    let chunked = header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let mut position = head_end + 4;
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(at) = find(&buffer[position..], b"\r\n") {
                    break position + at;
                }
                if !fill(stream, buffer).await? {
                    return Err((400, "truncated chunked body".into()));
                }
            };
            let size_text = String::from_utf8_lossy(&buffer[position..line_end]).to_string();
            let size_text = size_text.split(';').next().unwrap_or("").trim().to_string();
            let size = usize::from_str_radix(&size_text, 16).map_err(|_| (400, "bad chunk size".to_string()))?;
            position = line_end + 2;
            if size == 0 {
                // Trailers end with an empty line.
                loop {
                    if let Some(at) = find(&buffer[position..], b"\r\n") {
                        let empty = at == 0;
                        position += at + 2;
                        if empty {
                            break;
                        }
                    } else if !fill(stream, buffer).await? {
                        return Err((400, "truncated chunked body".into()));
                    }
                }
                break body;
            }
            if body.len() + size > MAX_BODY {
                return Err((413, "Payload Too Large".into()));
            }
            while buffer.len() < position + size + 2 {
                if !fill(stream, buffer).await? {
                    return Err((400, "truncated chunked body".into()));
                }
            }
            body.extend_from_slice(&buffer[position..position + size]);
            position += size + 2;
        }
    } else {
        let length = match header("content-length") {
            Some(value) => value.trim().parse::<usize>().map_err(|_| (400, "bad Content-Length".to_string()))?,
            None => 0,
        };
        if length > MAX_BODY {
            return Err((413, "Payload Too Large".into()));
        }
        while buffer.len() < position + length {
            if !fill(stream, buffer).await? {
                return Err((400, "truncated body".into()));
            }
        }
        let body = buffer[position..position + length].to_vec();
        position += length;
        body
    };
    buffer.drain(..position);
    Ok(Some(Request { method: method.to_string(), path: target.to_string(), headers, body, keep_alive }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

async fn write_response(stream: &mut TcpStream, response: &Response, keep_alive: bool) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nX-Request-Id: {}\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len(),
        uuid_like(),
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(if keep_alive { "Connection: keep-alive\r\n\r\n" } else { "Connection: close\r\n\r\n" });
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes).await?;
    stream.flush().await
}

fn uuid_like() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    format!("double-{:016x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

// ---------------------------------------------------------------------------
// Request handling
// ---------------------------------------------------------------------------

fn api_version(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let rest = path.strip_prefix("/admin/api/")?;
    let (version, tail) = rest.split_once('/')?;
    if tail != "graphql.json" {
        return None;
    }
    let bytes = version.as_bytes();
    let dated =
        bytes.len() == 7 && bytes[4] == b'-' && bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit());
    (dated || version == "unstable").then(|| version.to_string())
}

fn server_error(state: &mut State) -> Response {
    let status = [500u16, 502, 503, 504][state.rng.gen_range(0..4)];
    five_hundred(status)
}

fn five_hundred(status: u16) -> Response {
    match status {
        500 => Response::json(
            500,
            &json!({"errors": [{"message": "Internal error. Looks like something went wrong on our end.",
                                "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}),
        ),
        502 => Response::html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        504 => Response::html(504, "<html><body><h1>504 Gateway Time-out</h1></body></html>"),
        _ => Response::json(503, &json!({"errors": "Unavailable Shop"})),
    }
}

fn hostile_answer(hostile: &Hostile) -> Response {
    let throttled = r#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]"#;
    let raw = |status: u16, body: String| Response {
        status,
        content_type: "application/json; charset=utf-8",
        headers: Vec::new(),
        body: body.into_bytes(),
    };
    match hostile {
        Hostile::RetryAfter(after) => raw(429, format!("{throttled}}}")).with_header("Retry-After", after.clone()),
        Hostile::ThrottleStatus(maximum, current, restore) => raw(
            200,
            format!(
                r#"{throttled},"extensions":{{"cost":{{"requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{{"maximumAvailable":{maximum},"currentlyAvailable":{current},"restoreRate":{restore}}}}}}}}}"#
            ),
        ),
        Hostile::Body(body) => raw(200, body.clone()),
    }
}

/// Decides the answer under the lock; the delay is applied after.
fn handle(state: &mut State, request: &Request) -> (Outcome, Duration) {
    state.stats.requests += 1;
    let respond = |response| (Outcome::Respond(response), Duration::ZERO);
    if let Some(answer) = oauth::handle(state, request) {
        return answer;
    }

    let Some(version) = api_version(&request.path) else {
        return respond(Response::json(404, &json!({"errors": "Not Found"})));
    };
    if request.method != "POST" {
        return respond(Response::json(405, &json!({"errors": "Method Not Allowed"})));
    }

    // Faults that answer before anything is done.
    if state.faults.down {
        state.stats.faults_injected += 1;
        return respond(five_hundred(503));
    }
    if state.faults.fail_next > 0 {
        state.faults.fail_next -= 1;
        state.stats.faults_injected += 1;
        return respond(five_hundred(502));
    }
    if state.faults.error_rate > 0.0 && state.rng.gen::<f64>() < state.faults.error_rate {
        state.stats.faults_injected += 1;
        let response = server_error(state);
        return respond(response);
    }

    if request.header("x-shopify-access-token") != Some(state.config.access_token.as_str()) {
        return respond(Response::json(
            401,
            &json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        ));
    }

    if let Some(hostile) = state.faults.hostile.clone() {
        state.stats.faults_injected += 1;
        return respond(hostile_answer(&hostile));
    }

    let body: Value = match serde_json::from_slice(&request.body) {
        Ok(body @ Value::Object(_)) => body,
        _ => {
            return respond(Response::json(400, &json!({"errors": {"query": "Required parameter missing or invalid"}})))
        }
    };
    let Some(query) = body["query"].as_str() else {
        return respond(Response::json(400, &json!({"errors": {"query": "Required parameter missing or invalid"}})));
    };
    let variables = match &body["variables"] {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return respond(Response::json(400, &json!({"errors": {"variables": "must be an object"}}))),
    };

    let with_version = |response: Response| response.with_header("X-Shopify-API-Version", version.clone());
    let graphql_errors = |state: &State, errors: Vec<Value>, cost: f64| {
        Response::json(200, &json!({"errors": errors, "extensions": state.cost_json(cost, None)}))
    };

    // Parse and validate: nothing is executed or charged when this fails.
    let plan = match plan(query, body["operationName"].as_str(), &variables, &version) {
        Ok(plan) => plan,
        Err(errors) => {
            state.refill();
            return respond(with_version(graphql_errors(state, errors, 0.0)));
        }
    };

    if state.faults.segments_down
        && plan.fields.iter().any(|f| matches!(f.call, Call::Segments { .. } | Call::SegmentList(_)))
    {
        state.stats.faults_injected += 1;
        return respond(five_hundred(503));
    }

    let unit = if plan.mutation { state.config.mutation_cost } else { state.config.query_cost };
    let cost = unit * plan.fields.iter().filter(|f| !matches!(f.call, Call::Typename)).count() as f64;
    state.refill();
    if state.available < cost {
        state.stats.throttled += 1;
        let body = json!({
            "errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": state.cost_json(cost, None),
        });
        if state.faults.throttle_as_429 {
            let wait = ((cost - state.available) / state.config.restore_rate.max(f64::MIN_POSITIVE)).ceil().max(1.0);
            let response = Response::json(429, &body).with_header("Retry-After", format!("{}", wait as u64));
            return respond(with_version(response));
        }
        return respond(with_version(Response::json(200, &body)));
    }
    state.available -= cost;

    let mut data = Map::new();
    for field in &plan.fields {
        let full = execute(state, &field.call, plan.mutation);
        let projected = project(&full, &field.selection, &plan.fragments, false).unwrap_or(Value::Null);
        data.insert(field.key.clone(), projected);
    }
    let internal_error = state.internal_error_rate > 0.0 && state.rng.gen::<f64>() < state.internal_error_rate;
    let body = if internal_error {
        state.stats.faults_injected += 1;
        let request_id = uuid_like();
        json!({"errors": [{
            "message": format!("Internal error. Looks like something went wrong on our end. Request ID: {request_id} (include this in support requests)."),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}],
            "extensions": state.cost_json(cost, Some(cost))})
    } else {
        json!({"data": data, "extensions": state.cost_json(cost, Some(cost))})
    };
    let response = with_version(Response::json(200, &body));

    let mut delay = Duration::ZERO;
    if state.faults.slow_ms > 0 && (state.slow_share >= 1.0 || state.rng.gen::<f64>() < state.slow_share) {
        state.stats.faults_injected += 1;
        delay = Duration::from_millis(state.faults.slow_ms);
    }
    if plan.mutation
        && state.faults.drop_after_write_rate > 0.0
        && state.rng.gen::<f64>() < state.faults.drop_after_write_rate
    {
        state.stats.faults_injected += 1;
        return (Outcome::Drop, delay);
    }
    (Outcome::Respond(response), delay)
}

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

enum Call {
    Create(Value),
    CreateFreeShipping(Value),
    Delete(String),
    ByCode(String),
    ById(String),
    Segments {
        customer: String,
        segments: Vec<String>,
    },
    /// `segments(first:)`: the named segments, by id, as one page of nodes.
    SegmentList(usize),
    Subscribe {
        topic: String,
        input: Value,
    },
    Typename,
}

struct PlannedField {
    key: String,
    call: Call,
    selection: Vec<Sel>,
}

fn user_error(field: &[&str], code: &str, message: &str) -> Value {
    json!({"__typename": "DiscountUserError", "field": field, "code": code, "message": message, "extraInfo": null})
}

fn execute(state: &mut State, call: &Call, mutation: bool) -> Value {
    match call {
        Call::Typename => json!(if mutation { "Mutation" } else { "QueryRoot" }),
        Call::Create(input) => {
            let (node, errors) = create(state, input);
            json!({"__typename": "DiscountCodeBasicCreatePayload",
                   "codeDiscountNode": node.map(|i| node_json(&state.discounts[i])),
                   "userErrors": errors})
        }
        Call::CreateFreeShipping(input) => {
            let (node, errors) = offers::create_free_shipping(state, input);
            json!({"__typename": "DiscountCodeFreeShippingCreatePayload",
                   "codeDiscountNode": node.map(|i| node_json(&state.discounts[i])),
                   "userErrors": errors})
        }
        Call::Delete(id) => {
            let found = state.discounts.iter_mut().find(|d| &d.id == id && !d.deleted);
            match found {
                Some(discount) => {
                    discount.deleted = true;
                    state.stats.deletes += 1;
                    json!({"__typename": "DiscountCodeDeletePayload", "deletedCodeDiscountId": id, "userErrors": []})
                }
                None => json!({"__typename": "DiscountCodeDeletePayload", "deletedCodeDiscountId": null,
                               "userErrors": [user_error(&["id"], "INVALID", "Discount does not exist")]}),
            }
        }
        Call::ByCode(code) => {
            state.stats.lookups += 1;
            state.live_index(code).map_or(Value::Null, |i| node_json(&state.discounts[i]))
        }
        Call::Subscribe { topic, input } => oauth::subscribe(state, topic, input),
        Call::ById(id) => state.discounts.iter().find(|d| &d.id == id && !d.deleted).map_or(Value::Null, node_json),
        Call::SegmentList(first) => {
            let nodes: Vec<Value> = state
                .segment_names
                .iter()
                .take(*first)
                .map(|(id, name)| json!({"__typename": "Segment", "id": id, "name": name, "query": ""}))
                .collect();
            let more = state.segment_names.len() > *first;
            json!({"__typename": "SegmentConnection", "nodes": nodes,
                   "pageInfo": {"__typename": "PageInfo", "hasNextPage": more, "endCursor": null}})
        }
        Call::Segments { customer, segments } => {
            let memberships: Vec<Value> = segments
                .iter()
                .map(|segment| {
                    let member = state.segments.get(segment).is_some_and(|m| m.contains(customer));
                    json!({"__typename": "SegmentMembership", "segmentId": segment, "isMember": member})
                })
                .collect();
            json!({"__typename": "SegmentMembershipResponse", "memberships": memberships})
        }
    }
}

fn is_customer_gid(id: &str) -> bool {
    id.strip_prefix("gid://shopify/Customer/").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_datetime(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(text).ok()
}

/// Creates a discount from a coerced `DiscountCodeBasicInput`.
fn create(state: &mut State, input: &Value) -> (Option<usize>, Vec<Value>) {
    const ROOT: &str = "basicCodeDiscount";
    let text = |v: &Value| v.as_str().map(str::to_string);
    let mut errors = Vec::new();

    let code = text(&input["code"]).unwrap_or_default();
    let title = text(&input["title"]).unwrap_or_default();
    if title.trim().is_empty() {
        errors.push(user_error(&[ROOT, "title"], "INVALID", "Title can't be blank"));
    }
    if code.trim().is_empty() {
        errors.push(user_error(&[ROOT, "code"], "INVALID", "Code can't be blank"));
    } else if code.chars().count() > 255 {
        errors.push(user_error(&[ROOT, "code"], "INVALID", "Code is too long (maximum is 255 characters)"));
    } else if code.contains(['\n', '\r']) {
        errors.push(user_error(&[ROOT, "code"], "INVALID", "Code cannot contain newline characters."));
    }

    let gets = &input["customerGets"];
    let mut amount = String::new();
    if gets.is_null() {
        errors.push(user_error(&[ROOT, "customerGets"], "INVALID", "Customer gets can't be blank"));
    } else {
        let value = &gets["value"];
        let given =
            ["discountAmount", "percentage", "discountOnQuantity"].iter().filter(|k| !value[**k].is_null()).count();
        if given != 1 {
            errors.push(user_error(&[ROOT, "customerGets", "value"], "INVALID", "Exactly one value must be given"));
        }
        if let Some(raw) = value["discountAmount"]["amount"].as_str() {
            amount = raw.to_string();
            if !raw.parse::<f64>().is_ok_and(|a| a > 0.0) {
                errors.push(user_error(
                    &[ROOT, "customerGets", "value", "discountAmount", "amount"],
                    "INVALID",
                    "Value must be greater than 0",
                ));
            }
        } else if !value["discountAmount"].is_null() {
            errors.push(user_error(
                &[ROOT, "customerGets", "value", "discountAmount", "amount"],
                "INVALID",
                "Amount can't be blank",
            ));
        }
        if let Some(p) = value["percentage"].as_f64() {
            if !(0.0..=1.0).contains(&p) || p == 0.0 {
                errors.push(user_error(
                    &[ROOT, "customerGets", "value", "percentage"],
                    "INVALID",
                    "Percentage must be between 0 and 1",
                ));
            }
        }
        if gets["items"].is_null() {
            errors.push(user_error(&[ROOT, "customerGets", "items"], "INVALID", "Items can't be blank"));
        }
    }

    let selection = if !input["customerSelection"].is_null() { &input["customerSelection"] } else { &input["context"] };
    let selection_name = if !input["customerSelection"].is_null() { "customerSelection" } else { "context" };
    let mut customers = Vec::new();
    for id in selection["customers"]["add"].as_array().into_iter().flatten() {
        let id = id.as_str().unwrap_or_default().to_string();
        if !is_customer_gid(&id) {
            errors.push(user_error(&[ROOT, selection_name, "customers", "add"], "INVALID", "Customer does not exist"));
        }
        customers.push(id);
    }

    let starts_at = text(&input["startsAt"]);
    let ends_at = text(&input["endsAt"]);
    if let (Some(start), Some(end)) =
        (starts_at.as_deref().and_then(parse_datetime), ends_at.as_deref().and_then(parse_datetime))
    {
        if end <= start {
            errors.push(user_error(&[ROOT, "endsAt"], "INVALID", "Ends at needs to be after starts_at"));
        }
    }
    let usage_limit = input["usageLimit"].as_i64();
    if usage_limit.is_some_and(|u| u < 1) {
        errors.push(user_error(&[ROOT, "usageLimit"], "INVALID", "Usage limit must be greater than 0"));
    }
    let recurring_cycle_limit = input["recurringCycleLimit"].as_i64();
    if recurring_cycle_limit.is_some_and(|r| r < 0) {
        errors.push(user_error(&[ROOT, "recurringCycleLimit"], "INVALID", "Recurring cycle limit must be 0 or more"));
    }
    let min_subtotal = offers::minimum(input, ROOT, &mut errors);

    if !errors.is_empty() {
        return (None, errors);
    }
    if let Some(rejection) = state.faults.reject_next_create.take() {
        state.stats.faults_injected += 1;
        let field: &[&str] = if rejection == "TAKEN" { &[ROOT, "code"] } else { &[ROOT] };
        return (None, vec![user_error(field, &rejection, "Rejected by the test double")]);
    }
    if state.live_index(&code).is_some() {
        state.stats.taken += 1;
        return (None, vec![user_error(&[ROOT, "code"], "TAKEN", "Code must be unique. Please try a different code.")]);
    }

    let combines = &input["combinesWith"];
    let flag = |v: &Value| v.as_bool().unwrap_or(false);
    let percentage = gets["value"]["percentage"].as_f64();
    let record = DiscountRecord {
        id: format!("gid://shopify/DiscountCodeNode/{}", state.next_id),
        code,
        title,
        amount,
        customer_ids: customers,
        applies_on_one_time_purchase: gets["appliesOnOneTimePurchase"].as_bool().unwrap_or(true),
        applies_on_subscription: flag(&gets["appliesOnSubscription"]),
        recurring_cycle_limit,
        usage_limit,
        applies_once_per_customer: flag(&input["appliesOncePerCustomer"]),
        combines_with: (
            flag(&combines["orderDiscounts"]),
            flag(&combines["productDiscounts"]),
            flag(&combines["shippingDiscounts"]),
        ),
        starts_at,
        ends_at,
        deleted: false,
        percentage,
        min_subtotal,
        free_shipping: false,
        max_shipping: None,
    };
    state.next_id += 1;
    state.stats.creates += 1;
    state.discounts.push(record);
    (Some(state.discounts.len() - 1), Vec::new())
}

fn status_of(record: &DiscountRecord) -> &'static str {
    let now = chrono::Utc::now();
    if record.starts_at.as_deref().and_then(parse_datetime).is_some_and(|s| s > now) {
        "SCHEDULED"
    } else if record.ends_at.as_deref().and_then(parse_datetime).is_some_and(|e| e <= now) {
        "EXPIRED"
    } else {
        "ACTIVE"
    }
}

/// The whole `DiscountCodeNode` as the double knows it; answers are
/// projections of this onto the selection. `__union` marks an abstract type
/// whose fields can only be selected through a fragment.
fn node_json(record: &DiscountRecord) -> Value {
    let number = record.id.rsplit('/').next().unwrap_or("0");
    let (order, product, shipping) = record.combines_with;
    let customers: Vec<Value> =
        record.customer_ids.iter().map(|id| json!({"__typename": "Customer", "id": id})).collect();
    let redeem = json!({"__typename": "DiscountRedeemCode", "id": format!("gid://shopify/DiscountRedeemCode/{number}"),
                        "code": record.code, "asyncUsageCount": 0});
    json!({
        "__typename": "DiscountCodeNode",
        "id": record.id,
        "codeDiscount": {
            "__typename": if record.free_shipping { "DiscountCodeFreeShipping" } else { "DiscountCodeBasic" },
            "__union": "DiscountCode",
            "title": record.title,
            "status": status_of(record),
            "summary": format!("${} off entire order • One use per customer", record.amount),
            "startsAt": record.starts_at,
            "endsAt": record.ends_at,
            "usageLimit": record.usage_limit,
            "appliesOncePerCustomer": record.applies_once_per_customer,
            "asyncUsageCount": 0,
            "recurringCycleLimit": record.recurring_cycle_limit,
            "discountClass": "ORDER",
            "codesCount": {"__typename": "Count", "count": 1, "precision": "EXACT"},
            "codes": {"__typename": "DiscountRedeemCodeConnection",
                      "nodes": [redeem.clone()],
                      "edges": [{"__typename": "DiscountRedeemCodeEdge", "node": redeem}]},
            "combinesWith": {"__typename": "DiscountCombinesWith", "orderDiscounts": order,
                             "productDiscounts": product, "shippingDiscounts": shipping},
            "customerGets": {
                "__typename": "DiscountCustomerGets",
                "appliesOnOneTimePurchase": record.applies_on_one_time_purchase,
                "appliesOnSubscription": record.applies_on_subscription,
                "items": {"__typename": "AllDiscountItems", "__union": "DiscountItems", "allItems": true},
                "value": {"__typename": "DiscountAmount", "__union": "DiscountCustomerGetsValue",
                          "amount": {"__typename": "MoneyV2", "amount": record.amount, "currencyCode": "USD"},
                          "appliesOnEachItem": false},
            },
            "customerSelection": {"__typename": "DiscountCustomers", "__union": "DiscountCustomerSelection",
                                  "customers": customers},
        }
    })
}

fn sample_record() -> DiscountRecord {
    DiscountRecord {
        id: "gid://shopify/DiscountCodeNode/1".into(),
        code: "SAMPLE".into(),
        title: "sample".into(),
        amount: "1.00".into(),
        customer_ids: vec!["gid://shopify/Customer/1".into()],
        applies_on_one_time_purchase: true,
        applies_on_subscription: false,
        recurring_cycle_limit: Some(1),
        usage_limit: Some(1),
        applies_once_per_customer: true,
        combines_with: (false, false, false),
        starts_at: Some("2025-01-01T00:00:00Z".into()),
        ends_at: Some("2025-01-02T00:00:00Z".into()),
        deleted: false,
        percentage: None,
        min_subtotal: None,
        free_shipping: false,
        max_shipping: None,
    }
}

/// The shape each root field answers, fully populated, to validate selections.
fn sample_payload(name: &str) -> Value {
    let node = node_json(&sample_record());
    match name {
        "discountCodeBasicCreate" => json!({"__typename": "DiscountCodeBasicCreatePayload", "codeDiscountNode": node,
                                           "userErrors": [user_error(&["x"], "INVALID", "x")]}),
        "discountCodeFreeShippingCreate" => json!({"__typename": "DiscountCodeFreeShippingCreatePayload",
                                                  "codeDiscountNode": node,
                                                  "userErrors": [user_error(&["x"], "INVALID", "x")]}),
        "discountCodeDelete" => json!({"__typename": "DiscountCodeDeletePayload", "deletedCodeDiscountId": "x",
                                      "userErrors": [user_error(&["x"], "INVALID", "x")]}),
        "webhookSubscriptionCreate" => oauth::sample_subscription(),
        "customerSegmentMembership" => json!({"__typename": "SegmentMembershipResponse", "memberships": [
            {"__typename": "SegmentMembership", "segmentId": "x", "isMember": true}]}),
        "segments" => json!({"__typename": "SegmentConnection",
            "nodes": [{"__typename": "Segment", "id": "x", "name": "x", "query": "x"}],
            "pageInfo": {"__typename": "PageInfo", "hasNextPage": false, "endCursor": null}}),
        _ => node,
    }
}

const KNOWN_TYPES: &[&str] = &[
    "DiscountCodeNode",
    "DiscountCode",
    "DiscountCodeBasic",
    "DiscountCodeBxgy",
    "DiscountCodeFreeShipping",
    "DiscountCodeApp",
    "DiscountCustomerGets",
    "DiscountCustomerGetsValue",
    "DiscountAmount",
    "DiscountPercentage",
    "DiscountOnQuantity",
    "DiscountItems",
    "AllDiscountItems",
    "DiscountProducts",
    "DiscountCollections",
    "DiscountCustomerSelection",
    "DiscountCustomers",
    "DiscountCustomerAll",
    "DiscountCustomerSegments",
    "DiscountCombinesWith",
    "DiscountRedeemCode",
    "DiscountRedeemCodeConnection",
    "DiscountRedeemCodeEdge",
    "DiscountUserError",
    "DisplayableError",
    "UserError",
    "DiscountCodeBasicCreatePayload",
    "DiscountCodeFreeShippingCreatePayload",
    "DiscountCodeDeletePayload",
    "SegmentMembershipResponse",
    "WebhookSubscription",
    "WebhookSubscriptionCreatePayload",
    "WebhookHttpEndpoint",
    "SegmentMembership",
    "MoneyV2",
    "Count",
    "Customer",
    "Node",
    "Mutation",
    "QueryRoot",
];

/// Interfaces each concrete type implements, for fragment conditions.
fn implements(typename: &str, condition: &str) -> bool {
    typename == condition
        || matches!(
            (typename, condition),
            ("DiscountCodeNode", "Node")
                | ("DiscountUserError", "DisplayableError")
                | ("Customer", "Node")
                | ("DiscountCodeBasic", "DiscountCode")
                | ("DiscountCodeFreeShipping", "DiscountCode")
                | ("DiscountAmount", "DiscountCustomerGetsValue")
                | ("AllDiscountItems", "DiscountItems")
                | ("DiscountCustomers", "DiscountCustomerSelection")
        )
}

/// Keeps the selected fields of `full`; errors name unknown fields.
fn project(
    full: &Value,
    selection: &[Sel],
    fragments: &HashMap<String, (String, Vec<Sel>)>,
    via_fragment: bool,
) -> Result<Value, String> {
    match full {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => items
            .iter()
            .map(|i| project(i, selection, fragments, via_fragment))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(object) => {
            let typename = object.get("__typename").and_then(Value::as_str).unwrap_or("Object");
            let mut out = Map::new();
            for sel in selection {
                match sel {
                    Sel::Field(field) => {
                        let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
                        if field.name == "__typename" {
                            merge_into(&mut out, key, json!(typename));
                            continue;
                        }
                        if let Some(union) = object.get("__union").and_then(Value::as_str) {
                            if !via_fragment {
                                return Err(format!(
                                    "Selections can't be made directly on unions (see selections on {union})"
                                ));
                            }
                        }
                        let Some(value) = object.get(&field.name).filter(|_| !field.name.starts_with("__")) else {
                            return Err(format!("Field '{}' doesn't exist on type '{}'", field.name, typename));
                        };
                        let composite = match value {
                            Value::Object(_) => true,
                            // Shapes were checked against the sample; an empty
                            // list of objects is still a list of objects.
                            Value::Array(items) => items.first().map_or(!field.selection.is_empty(), Value::is_object),
                            _ => false,
                        };
                        if composite && field.selection.is_empty() {
                            return Err(format!(
                                "Field must have selections (field '{}' returns an object but has no selections.)",
                                field.name
                            ));
                        }
                        if !composite && !value.is_null() && !field.selection.is_empty() {
                            return Err(format!("Selections can't be made on scalars (field '{}')", field.name));
                        }
                        let projected =
                            if composite { project(value, &field.selection, fragments, false)? } else { value.clone() };
                        merge_into(&mut out, key, projected);
                    }
                    Sel::Inline(condition, inner) => {
                        if let Some(condition) = condition {
                            if !KNOWN_TYPES.contains(&condition.as_str()) {
                                return Err(format!("No such type {condition}, so it can't be a fragment condition"));
                            }
                        }
                        if condition.as_deref().is_none_or(|c| implements(typename, c)) {
                            let Value::Object(part) = project(full, inner, fragments, condition.is_some())? else {
                                continue;
                            };
                            for (k, v) in part {
                                merge_into(&mut out, k, v);
                            }
                        }
                    }
                    Sel::Spread(name) => {
                        let Some((condition, inner)) = fragments.get(name) else {
                            return Err(format!("Fragment {name} was used, but not defined"));
                        };
                        if !KNOWN_TYPES.contains(&condition.as_str()) {
                            return Err(format!("No such type {condition}, so it can't be a fragment condition"));
                        }
                        if implements(typename, condition) {
                            let Value::Object(part) = project(full, inner, fragments, true)? else { continue };
                            for (k, v) in part {
                                merge_into(&mut out, k, v);
                            }
                        }
                    }
                }
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn merge_into(out: &mut Map<String, Value>, key: String, value: Value) {
    match (out.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(more)) => {
            for (k, v) in more {
                merge_into(existing, k, v);
            }
        }
        (_, value) => {
            out.insert(key, value);
        }
    }
}

// ---------------------------------------------------------------------------
// Planning: parse, pick the operation, coerce arguments, check selections
// ---------------------------------------------------------------------------

struct Plan {
    mutation: bool,
    fields: Vec<PlannedField>,
    fragments: HashMap<String, (String, Vec<Sel>)>,
}

fn gql_error(message: impl Into<String>) -> Value {
    json!({"message": message.into(), "locations": [{"line": 1, "column": 1}]})
}

fn plan(
    query: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
    version: &str,
) -> Result<Plan, Vec<Value>> {
    let document = parse_document(query).map_err(|e| vec![gql_error(format!("syntax error, {e}"))])?;
    let operation = match operation_name {
        Some(name) => document.operations.iter().find(|o| o.name.as_deref() == Some(name)),
        None if document.operations.len() == 1 => document.operations.first(),
        None => None,
    };
    let Some(operation) = operation else {
        return Err(vec![gql_error(match operation_name {
            Some(name) => format!("No operation named \"{name}\""),
            None => "An operation name is required".to_string(),
        })]);
    };
    let root = if operation.mutation { "Mutation" } else { "QueryRoot" };
    let mut errors = Vec::new();
    let mut fields = Vec::new();

    // Variables: declared non-null ones must be given; defaults apply.
    let mut values: HashMap<String, Value> = HashMap::new();
    for def in &operation.variables {
        let given = variables.get(&def.name).cloned().filter(|v| !v.is_null());
        let value = given.or_else(|| def.default.as_ref().and_then(|d| literal_json(d, &HashMap::new()).ok()));
        match value {
            Some(value) => {
                values.insert(def.name.clone(), value);
            }
            None if def.non_null => errors.push(json!({
                "message": format!("Variable ${} of type {} was provided invalid value", def.name, def.type_text),
                "extensions": {"value": null, "problems": [{"path": [], "explanation": "Expected value to not be null"}]}
            })),
            None => {
                values.insert(def.name.clone(), Value::Null);
            }
        }
    }

    let mut selections = Vec::new();
    if let Err(e) = flatten_root(&operation.selection, &document.fragments, root, &mut selections) {
        errors.push(gql_error(e));
    }
    for field in selections {
        let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
        if field.name == "__typename" {
            fields.push(PlannedField { key, call: Call::Typename, selection: Vec::new() });
            continue;
        }
        let spec: &[(&str, &str)] = match (operation.mutation, field.name.as_str()) {
            (true, "discountCodeBasicCreate") => &[("basicCodeDiscount", "DiscountCodeBasicInput!")],
            (true, "discountCodeFreeShippingCreate") => {
                &[("freeShippingCodeDiscount", "DiscountCodeFreeShippingInput!")]
            }
            (true, "discountCodeDelete") => &[("id", "ID!")],
            (false, "codeDiscountNodeByCode") => &[("code", "String!")],
            (false, "codeDiscountNode") => &[("id", "ID!")],
            (false, "customerSegmentMembership") => &[("customerId", "ID!"), ("segmentIds", "[ID!]!")],
            (false, "segments") => &[("first", "Int")],
            (true, "webhookSubscriptionCreate") => {
                &[("topic", "WebhookSubscriptionTopic!"), ("webhookSubscription", "WebhookSubscriptionInput!")]
            }
            _ => {
                errors.push(gql_error(format!("Field '{}' doesn't exist on type '{root}'", field.name)));
                continue;
            }
        };
        let mut args: HashMap<&str, Value> = HashMap::new();
        for (name, literal) in &field.arguments {
            let Some((_, ty)) = spec.iter().find(|(n, _)| n == name) else {
                errors.push(gql_error(format!("Field '{}' doesn't accept argument '{name}'", field.name)));
                continue;
            };
            let value = match literal_json(literal, &values) {
                Ok(value) => value,
                Err(undeclared) => {
                    let op = operation.name.clone().unwrap_or_else(|| "anonymous query".into());
                    errors.push(gql_error(format!("Variable ${undeclared} is used by {op} but not declared")));
                    continue;
                }
            };
            let mut path = Vec::new();
            match coerce(&value, ty, version, &mut path) {
                Ok(value) => {
                    args.insert(name, value);
                }
                Err((path, explanation)) => {
                    let variable = match literal {
                        Literal::Var(v) => Some(v.clone()),
                        _ => None,
                    };
                    let message = match &variable {
                        Some(v) if path.is_empty() => format!("Variable ${v} of type {ty} was provided invalid value"),
                        Some(v) => format!(
                            "Variable ${v} of type {ty} was provided invalid value for {} ({explanation})",
                            path.join(".")
                        ),
                        None => {
                            format!("Argument '{name}' on Field '{}' has an invalid value ({explanation})", field.name)
                        }
                    };
                    errors.push(json!({"message": message, "locations": [{"line": 1, "column": 1}],
                                       "extensions": {"value": value, "problems": [{"path": path, "explanation": explanation}]}}));
                }
            }
        }
        let missing: Vec<&str> = spec
            .iter()
            .filter(|(n, ty)| ty.ends_with('!') && !field.arguments.iter().any(|(a, _)| a == n))
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            errors.push(gql_error(format!(
                "Field '{}' is missing required arguments: {}",
                field.name,
                missing.join(", ")
            )));
        }
        if let Err(e) = project(&sample_payload(&field.name), &field.selection, &document.fragments, false) {
            errors.push(gql_error(e));
        }
        if field.selection.is_empty() {
            errors.push(gql_error(format!(
                "Field must have selections (field '{}' returns an object but has no selections.)",
                field.name
            )));
        }
        if !errors.is_empty() {
            continue;
        }
        let text = |name: &str| args.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        let call = match field.name.as_str() {
            "discountCodeBasicCreate" => Call::Create(args.remove("basicCodeDiscount").unwrap_or(Value::Null)),
            "discountCodeFreeShippingCreate" => {
                Call::CreateFreeShipping(args.remove("freeShippingCodeDiscount").unwrap_or(Value::Null))
            }
            "discountCodeDelete" => Call::Delete(text("id")),
            "codeDiscountNodeByCode" => Call::ByCode(text("code")),
            "codeDiscountNode" => Call::ById(text("id")),
            "segments" => Call::SegmentList(args.get("first").and_then(Value::as_u64).unwrap_or(0) as usize),
            "webhookSubscriptionCreate" => Call::Subscribe {
                topic: text("topic"),
                input: args.remove("webhookSubscription").unwrap_or(Value::Null),
            },
            _ => Call::Segments {
                customer: text("customerId"),
                segments: args
                    .get("segmentIds")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
            },
        };
        fields.push(PlannedField { key, call, selection: field.selection.clone() });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Plan { mutation: operation.mutation, fields, fragments: document.fragments })
}

/// Root selections with fragments on the root type expanded.
fn flatten_root(
    selection: &[Sel],
    fragments: &HashMap<String, (String, Vec<Sel>)>,
    root: &str,
    out: &mut Vec<Field>,
) -> Result<(), String> {
    for sel in selection {
        match sel {
            Sel::Field(field) => out.push(field.clone()),
            Sel::Inline(condition, inner) => {
                if condition.as_deref().is_none_or(|c| c == root) {
                    flatten_root(inner, fragments, root, out)?;
                }
            }
            Sel::Spread(name) => {
                let (condition, inner) =
                    fragments.get(name).ok_or_else(|| format!("Fragment {name} was used, but not defined"))?;
                if condition == root {
                    flatten_root(inner, fragments, root, out)?;
                }
            }
        }
    }
    Ok(())
}

/// Input object types of the Admin API 2025-01 that these operations use:
/// (type, field, field type, first version that has the field).
const INPUT_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("DiscountCodeBasicInput", "appliesOncePerCustomer", "Boolean", ""),
    ("DiscountCodeBasicInput", "code", "String", ""),
    ("DiscountCodeBasicInput", "combinesWith", "DiscountCombinesWithInput", ""),
    ("DiscountCodeBasicInput", "context", "DiscountContextInput", "2025-04"),
    ("DiscountCodeBasicInput", "customerGets", "DiscountCustomerGetsInput", ""),
    ("DiscountCodeBasicInput", "customerSelection", "DiscountCustomerSelectionInput", ""),
    ("DiscountCodeBasicInput", "endsAt", "DateTime", ""),
    ("DiscountCodeBasicInput", "minimumRequirement", "DiscountMinimumRequirementInput", ""),
    ("DiscountCodeBasicInput", "recurringCycleLimit", "Int", ""),
    ("DiscountCodeBasicInput", "startsAt", "DateTime", ""),
    ("DiscountCodeBasicInput", "title", "String", ""),
    ("DiscountCodeBasicInput", "usageLimit", "Int", ""),
    ("DiscountCombinesWithInput", "orderDiscounts", "Boolean", ""),
    ("DiscountCombinesWithInput", "productDiscounts", "Boolean", ""),
    ("DiscountCombinesWithInput", "shippingDiscounts", "Boolean", ""),
    ("DiscountContextInput", "all", "DiscountBuyerSelection", ""),
    ("DiscountContextInput", "customers", "DiscountCustomersInput", ""),
    ("DiscountContextInput", "customerSegments", "DiscountCustomerSegmentsInput", ""),
    ("DiscountCustomerGetsInput", "appliesOnOneTimePurchase", "Boolean", ""),
    ("DiscountCustomerGetsInput", "appliesOnSubscription", "Boolean", ""),
    ("DiscountCustomerGetsInput", "items", "DiscountItemsInput", ""),
    ("DiscountCustomerGetsInput", "value", "DiscountCustomerGetsValueInput", ""),
    ("DiscountCustomerGetsValueInput", "discountAmount", "DiscountAmountInput", ""),
    ("DiscountCustomerGetsValueInput", "discountOnQuantity", "Any", ""),
    ("DiscountCustomerGetsValueInput", "percentage", "Float", ""),
    ("DiscountAmountInput", "amount", "Decimal", ""),
    ("DiscountAmountInput", "appliesOnEachItem", "Boolean", ""),
    ("DiscountItemsInput", "all", "Boolean", ""),
    ("DiscountItemsInput", "collections", "DiscountCollectionsInput", ""),
    ("DiscountItemsInput", "products", "DiscountProductsInput", ""),
    ("DiscountCollectionsInput", "add", "[ID!]", ""),
    ("DiscountCollectionsInput", "remove", "[ID!]", ""),
    ("DiscountProductsInput", "productsToAdd", "[ID!]", ""),
    ("DiscountProductsInput", "productsToRemove", "[ID!]", ""),
    ("DiscountProductsInput", "productVariantsToAdd", "[ID!]", ""),
    ("DiscountProductsInput", "productVariantsToRemove", "[ID!]", ""),
    ("DiscountCustomerSelectionInput", "all", "Boolean", ""),
    ("DiscountCustomerSelectionInput", "customers", "DiscountCustomersInput", ""),
    ("DiscountCustomerSelectionInput", "customerSegments", "DiscountCustomerSegmentsInput", ""),
    ("DiscountCustomersInput", "add", "[ID!]", ""),
    ("DiscountCustomersInput", "remove", "[ID!]", ""),
    ("DiscountCustomerSegmentsInput", "add", "[ID!]", ""),
    ("DiscountCustomerSegmentsInput", "remove", "[ID!]", ""),
    ("WebhookSubscriptionInput", "callbackUrl", "URL", ""),
    ("WebhookSubscriptionInput", "format", "WebhookSubscriptionFormat", ""),
    ("WebhookSubscriptionInput", "includeFields", "[String!]", ""),
    ("WebhookSubscriptionInput", "metafieldNamespaces", "[String!]", ""),
    ("WebhookSubscriptionInput", "filter", "String", ""),
];

type CoerceError = (Vec<String>, String);

/// Coerces a JSON value to a GraphQL input type, as Shopify's executor does
/// before running anything.
fn coerce(value: &Value, ty: &str, version: &str, path: &mut Vec<String>) -> Result<Value, CoerceError> {
    let fail = |path: &Vec<String>, why: String| Err((path.clone(), why));
    if let Some(inner) = ty.strip_suffix('!') {
        if value.is_null() {
            return fail(path, "Expected value to not be null".into());
        }
        return coerce(value, inner, version, path);
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items: Vec<Value> = match value {
            Value::Array(items) => items.clone(),
            single => vec![single.clone()],
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            path.push(i.to_string());
            out.push(coerce(item, inner, version, path)?);
            path.pop();
        }
        return Ok(Value::Array(out));
    }
    let shown = |v: &Value| v.to_string();
    match ty {
        "Any" => Ok(value.clone()),
        "String" => match value {
            Value::String(_) => Ok(value.clone()),
            other => fail(path, format!("Could not coerce value {} to String", shown(other))),
        },
        "ID" => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) if n.is_i64() => Ok(json!(n.to_string())),
            other => fail(path, format!("Could not coerce value {} to ID", shown(other))),
        },
        "Boolean" => match value {
            Value::Bool(_) => Ok(value.clone()),
            other => fail(path, format!("Could not coerce value {} to Boolean", shown(other))),
        },
        "Int" => match value.as_i64() {
            Some(n) if value.is_i64() && i32::try_from(n).is_ok() => Ok(value.clone()),
            _ => fail(path, format!("Could not coerce value {} to Int", shown(value))),
        },
        "Float" => match value.as_f64() {
            Some(_) => Ok(value.clone()),
            None => fail(path, format!("Could not coerce value {} to Float", shown(value))),
        },
        "Decimal" => match value {
            Value::String(s) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => Ok(value.clone()),
            Value::Number(n) => Ok(json!(n.to_string())),
            other => fail(path, format!("Could not coerce value {} to Decimal", shown(other))),
        },
        "DateTime" => match value {
            Value::String(s) if parse_datetime(s).is_some() => Ok(value.clone()),
            other => fail(path, format!("Could not coerce value {} to DateTime", shown(other))),
        },
        "URL" => match value.as_str() {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => Ok(value.clone()),
            _ => fail(path, format!("Could not coerce value {} to URL", shown(value))),
        },
        "WebhookSubscriptionFormat" => match value.as_str() {
            Some("JSON" | "XML") => Ok(value.clone()),
            _ => fail(path, format!("Expected {} to be one of: JSON, XML", shown(value))),
        },
        "WebhookSubscriptionTopic" => match value.as_str() {
            Some(topic) if oauth::WEBHOOK_TOPICS.contains(&topic) => Ok(value.clone()),
            _ => fail(path, format!("Expected {} to be one of: {}", shown(value), oauth::WEBHOOK_TOPICS.join(", "))),
        },
        "DiscountBuyerSelection" => match value.as_str() {
            Some("ALL") => Ok(value.clone()),
            _ => fail(path, format!("Expected {} to be one of: ALL", shown(value))),
        },
        object_type => {
            let Value::Object(given) = value else {
                return fail(path, format!("Expected {} to be a key-value object", shown(value)));
            };
            let mut out = Map::new();
            for (key, item) in given {
                let field = INPUT_FIELDS
                    .iter()
                    .chain(offers::INPUT_FIELDS)
                    .find(|(t, f, _, since)| *t == object_type && f == key && (since.is_empty() || version >= *since));
                let Some((_, _, field_type, _)) = field else {
                    path.push(key.clone());
                    return fail(path, format!("Field is not defined on {object_type}"));
                };
                path.push(key.clone());
                out.insert(key.clone(), coerce(item, field_type, version, path)?);
                path.pop();
            }
            Ok(Value::Object(out))
        }
    }
}

// ---------------------------------------------------------------------------
// A small GraphQL parser (executable documents only)
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Punct(char),
    Spread,
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Clone, Debug)]
enum Literal {
    Var(String),
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Enum(String),
    List(Vec<Literal>),
    Object(Vec<(String, Literal)>),
}

#[derive(Clone, Debug)]
struct Field {
    alias: Option<String>,
    name: String,
    arguments: Vec<(String, Literal)>,
    selection: Vec<Sel>,
}

#[derive(Clone, Debug)]
enum Sel {
    Field(Field),
    Inline(Option<String>, Vec<Sel>),
    Spread(String),
}

struct VariableDef {
    name: String,
    type_text: String,
    non_null: bool,
    default: Option<Literal>,
}

struct Operation {
    mutation: bool,
    name: Option<String>,
    variables: Vec<VariableDef>,
    selection: Vec<Sel>,
}

struct Document {
    operations: Vec<Operation>,
    fragments: HashMap<String, (String, Vec<Sel>)>,
}

/// Literal → JSON; `Err(name)` for an undeclared variable.
fn literal_json(literal: &Literal, variables: &HashMap<String, Value>) -> Result<Value, String> {
    Ok(match literal {
        Literal::Var(name) => variables.get(name).cloned().ok_or_else(|| name.clone())?,
        Literal::Null => Value::Null,
        Literal::Bool(b) => json!(b),
        Literal::Int(i) => json!(i),
        Literal::Float(f) => json!(f),
        Literal::Str(s) | Literal::Enum(s) => json!(s),
        Literal::List(items) => {
            Value::Array(items.iter().map(|i| literal_json(i, variables)).collect::<Result<_, _>>()?)
        }
        Literal::Object(fields) => {
            let mut map = Map::new();
            for (k, v) in fields {
                map.insert(k.clone(), literal_json(v, variables)?);
            }
            Value::Object(map)
        }
    })
}

fn lex(source: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | '$' | '!' | '=' | '@' | '|' | '&' => {
                tokens.push(Token::Punct(c));
                i += 1;
            }
            '.' => {
                if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
                    tokens.push(Token::Spread);
                    i += 3;
                } else {
                    return Err("unexpected '.'".into());
                }
            }
            '"' => {
                if chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                    let start = i + 3;
                    let mut j = start;
                    while j + 2 < chars.len() && !(chars[j] == '"' && chars[j + 1] == '"' && chars[j + 2] == '"') {
                        j += 1;
                    }
                    if j + 2 >= chars.len() {
                        return Err("unterminated block string".into());
                    }
                    tokens.push(Token::Str(chars[start..j].iter().collect::<String>().trim().to_string()));
                    i = j + 3;
                    continue;
                }
                let mut text = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else { return Err("unterminated string".into()) };
                    i += 1;
                    match c {
                        '"' => break,
                        '\\' => {
                            let Some(&e) = chars.get(i) else { return Err("unterminated string".into()) };
                            i += 1;
                            match e {
                                'n' => text.push('\n'),
                                't' => text.push('\t'),
                                'r' => text.push('\r'),
                                'b' => text.push('\u{8}'),
                                'f' => text.push('\u{c}'),
                                'u' => {
                                    let hex: String = chars.get(i..i + 4).ok_or("bad escape")?.iter().collect();
                                    let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad escape")?;
                                    text.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                                    i += 4;
                                }
                                other => text.push(other),
                            }
                        }
                        '\n' => return Err("unterminated string".into()),
                        c => text.push(c),
                    }
                }
                tokens.push(Token::Str(text));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                let mut float = false;
                while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    if matches!(chars[i], '.' | 'e' | 'E') {
                        float = true;
                    }
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                if float {
                    tokens.push(Token::Float(text.parse().map_err(|_| format!("bad number {text}"))?));
                } else {
                    tokens.push(Token::Int(text.parse().map_err(|_| format!("bad number {text}"))?));
                }
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                tokens.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self.tokens.get(self.at).cloned().ok_or("unexpected end of document")?;
        self.at += 1;
        Ok(token)
    }

    fn is(&self, c: char) -> bool {
        self.peek() == Some(&Token::Punct(c))
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.is(c);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next()? {
            Token::Punct(p) if p == c => Ok(()),
            other => Err(format!("unexpected {other:?}, expecting '{c}'")),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Name(n) => Ok(n),
            other => Err(format!("unexpected {other:?}, expecting a name")),
        }
    }

    fn document(&mut self) -> Result<Document, String> {
        let mut operations = Vec::new();
        let mut fragments = HashMap::new();
        while self.peek().is_some() {
            if self.is('{') {
                operations.push(Operation {
                    mutation: false,
                    name: None,
                    variables: Vec::new(),
                    selection: self.selection_set()?,
                });
                continue;
            }
            let keyword = self.name()?;
            match keyword.as_str() {
                "query" | "mutation" => {
                    let name = match self.peek() {
                        Some(Token::Name(_)) => Some(self.name()?),
                        _ => None,
                    };
                    let variables = if self.is('(') { self.variable_defs()? } else { Vec::new() };
                    self.directives()?;
                    let selection = self.selection_set()?;
                    operations.push(Operation { mutation: keyword == "mutation", name, variables, selection });
                }
                "fragment" => {
                    let name = self.name()?;
                    if self.name()? != "on" {
                        return Err("expecting 'on'".into());
                    }
                    let condition = self.name()?;
                    self.directives()?;
                    let selection = self.selection_set()?;
                    fragments.insert(name, (condition, selection));
                }
                "subscription" => return Err("subscriptions are not supported".into()),
                other => return Err(format!("unexpected '{other}'")),
            }
        }
        if operations.is_empty() {
            return Err("no operation".into());
        }
        Ok(Document { operations, fragments })
    }

    fn variable_defs(&mut self) -> Result<Vec<VariableDef>, String> {
        self.expect('(')?;
        let mut defs = Vec::new();
        while !self.eat(')') {
            self.expect('$')?;
            let name = self.name()?;
            self.expect(':')?;
            let type_text = self.type_ref()?;
            let default = if self.eat('=') { Some(self.literal(true)?) } else { None };
            self.directives()?;
            defs.push(VariableDef { non_null: type_text.ends_with('!'), name, type_text, default });
        }
        Ok(defs)
    }

    fn type_ref(&mut self) -> Result<String, String> {
        let mut text = if self.eat('[') {
            let inner = self.type_ref()?;
            self.expect(']')?;
            format!("[{inner}]")
        } else {
            self.name()?
        };
        if self.eat('!') {
            text.push('!');
        }
        Ok(text)
    }

    fn directives(&mut self) -> Result<(), String> {
        while self.eat('@') {
            self.name()?;
            if self.is('(') {
                self.arguments()?;
            }
        }
        Ok(())
    }

    fn selection_set(&mut self) -> Result<Vec<Sel>, String> {
        self.expect('{')?;
        let mut selection = Vec::new();
        while !self.eat('}') {
            if self.peek() == Some(&Token::Spread) {
                self.at += 1;
                match self.peek() {
                    Some(Token::Name(n)) if n == "on" => {
                        self.at += 1;
                        let condition = self.name()?;
                        self.directives()?;
                        selection.push(Sel::Inline(Some(condition), self.selection_set()?));
                    }
                    Some(Token::Name(_)) => {
                        let name = self.name()?;
                        self.directives()?;
                        selection.push(Sel::Spread(name));
                    }
                    _ => {
                        self.directives()?;
                        selection.push(Sel::Inline(None, self.selection_set()?));
                    }
                }
                continue;
            }
            let first = self.name()?;
            let (alias, name) = if self.eat(':') { (Some(first), self.name()?) } else { (None, first) };
            let arguments = if self.is('(') { self.arguments()? } else { Vec::new() };
            self.directives()?;
            let sub = if self.is('{') { self.selection_set()? } else { Vec::new() };
            selection.push(Sel::Field(Field { alias, name, arguments, selection: sub }));
        }
        if selection.is_empty() {
            return Err("empty selection set".into());
        }
        Ok(selection)
    }

    fn arguments(&mut self) -> Result<Vec<(String, Literal)>, String> {
        self.expect('(')?;
        let mut arguments = Vec::new();
        while !self.eat(')') {
            let name = self.name()?;
            self.expect(':')?;
            arguments.push((name, self.literal(false)?));
        }
        Ok(arguments)
    }

    fn literal(&mut self, constant: bool) -> Result<Literal, String> {
        Ok(match self.next()? {
            Token::Punct('$') if !constant => Literal::Var(self.name()?),
            Token::Punct('[') => {
                let mut items = Vec::new();
                while !self.eat(']') {
                    items.push(self.literal(constant)?);
                }
                Literal::List(items)
            }
            Token::Punct('{') => {
                let mut fields = Vec::new();
                while !self.eat('}') {
                    let name = self.name()?;
                    self.expect(':')?;
                    fields.push((name, self.literal(constant)?));
                }
                Literal::Object(fields)
            }
            Token::Int(i) => Literal::Int(i),
            Token::Float(f) => Literal::Float(f),
            Token::Str(s) => Literal::Str(s),
            Token::Name(n) => match n.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "null" => Literal::Null,
                _ => Literal::Enum(n),
            },
            other => return Err(format!("unexpected {other:?} in a value")),
        })
    }
}

fn parse_document(source: &str) -> Result<Document, String> {
    let tokens = lex(source)?;
    Parser { tokens, at: 0 }.document()
}
