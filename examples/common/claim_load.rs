//! The claim load: K clients for T seconds, each request sent to the next
//! service URL in turn (round-robin), with fresh JWTs and Idempotency-Keys;
//! every n-th accepted claim is refunded at once through the next URL.
#![allow(dead_code)]

use super::shop::{customer_id, token, POINTS_PER_CLAIM};
use loyalty_wallet::auth::Role;
use loyalty_wallet::config::Settings;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct LoadPlan {
    pub urls: Vec<String>,
    pub shop: String,
    pub customers: usize,
    pub clients: usize,
    pub duration: Duration,
    /// Refund every n-th accepted claim (None: no refunds).
    pub refund_every: Option<usize>,
}

/// A claim whose 201 was received.
#[derive(Clone, Debug)]
pub struct AcceptedClaim {
    pub id: String,
    pub code: String,
    /// The refund was accepted (200 or 202).
    pub refunded: bool,
}

#[derive(Default)]
pub struct LoadReport {
    pub accepted: Vec<AcceptedClaim>,
    /// Claim latencies in ms.
    pub latencies: Vec<f64>,
    /// Accepted claims per whole second of the run.
    pub per_second: BTreeMap<u64, u64>,
    /// Failed claims and refunds by "what: status code".
    pub errors: BTreeMap<String, u64>,
    pub elapsed: Duration,
}

impl LoadReport {
    pub fn claims_per_second(&self) -> f64 {
        self.accepted.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The median of the whole one-second windows (the last, partial one left out).
    pub fn median_window_rate(&self) -> f64 {
        let whole = self.elapsed.as_secs();
        let mut rates: Vec<f64> = (0..whole).map(|s| *self.per_second.get(&s).unwrap_or(&0) as f64).collect();
        median(&mut rates)
    }

    /// Latency percentile in ms (p in 0–100).
    pub fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    pub fn refunds(&self) -> usize {
        self.accepted.iter().filter(|c| c.refunded).count()
    }

    fn merge(&mut self, other: LoadReport) {
        self.accepted.extend(other.accepted);
        self.latencies.extend(other.latencies);
        for (second, n) in other.per_second {
            *self.per_second.entry(second).or_default() += n;
        }
        for (error, n) in other.errors {
            *self.errors.entry(error).or_default() += n;
        }
    }
}

pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

struct Shared {
    http: reqwest::Client,
    settings: Settings,
    plan: LoadPlan,
    next_url: AtomicUsize,
    accepted_count: AtomicUsize,
    started: Instant,
}

impl Shared {
    fn url(&self) -> &str {
        &self.plan.urls[self.next_url.fetch_add(1, Ordering::Relaxed) % self.plan.urls.len()]
    }
}

/// Runs the load until its duration has passed.
pub async fn run(settings: &Settings, plan: LoadPlan) -> anyhow::Result<LoadReport> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.clients)
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()?;
    let clients = plan.clients;
    let shared = Arc::new(Shared {
        http,
        settings: settings.clone(),
        plan,
        next_url: AtomicUsize::new(0),
        accepted_count: AtomicUsize::new(0),
        started: Instant::now(),
    });
    let tasks: Vec<_> = (0..clients).map(|_| tokio::spawn(client_loop(shared.clone()))).collect();
    let mut report = LoadReport::default();
    for task in tasks {
        report.merge(task.await??);
    }
    report.elapsed = shared.started.elapsed();
    Ok(report)
}

async fn client_loop(shared: Arc<Shared>) -> anyhow::Result<LoadReport> {
    let mut report = LoadReport::default();
    let deadline = shared.started + shared.plan.duration;
    while Instant::now() < deadline {
        let customer = customer_id(rand::thread_rng().gen_range(0..shared.plan.customers));
        let customer_token = token(&shared.settings, &shared.plan.shop, Role::Customer, &customer)?;
        let sent = Instant::now();
        let answer = claim(&shared, &customer_token).await;
        report.latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        let (id, code) = match answer {
            Ok(claim) => claim,
            Err(error) => {
                *report.errors.entry(format!("claim: {error}")).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        *report.per_second.entry(shared.started.elapsed().as_secs()).or_default() += 1;
        let nth = shared.accepted_count.fetch_add(1, Ordering::Relaxed) + 1;
        let refunded = match shared.plan.refund_every {
            Some(every) if nth.is_multiple_of(every) => refund(&shared, &customer_token, &id, &mut report).await,
            _ => false,
        };
        report.accepted.push(AcceptedClaim { id, code, refunded });
    }
    Ok(report)
}

/// One claim: its id and code, or what went wrong ("status code" or transport).
async fn claim(shared: &Shared, customer_token: &str) -> Result<(String, String), String> {
    let response = shared
        .http
        .post(format!("{}/api/v1/claims", shared.url()))
        .bearer_auth(customer_token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&serde_json::json!({ "points": POINTS_PER_CLAIM }))
        .send()
        .await
        .map_err(transport)?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.map_err(transport)?;
    if status != 201 {
        return Err(format!("{status} {}", body["error"]["code"].as_str().unwrap_or("(no code)")));
    }
    match (body["id"].as_str(), body["code"].as_str()) {
        (Some(id), Some(code)) => Ok((id.to_string(), code.to_string())),
        _ => Err("201 without id or code".into()),
    }
}

async fn refund(shared: &Shared, customer_token: &str, id: &str, report: &mut LoadReport) -> bool {
    let sent = shared
        .http
        .post(format!("{}/api/v1/claims/{id}/refund", shared.url()))
        .bearer_auth(customer_token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&serde_json::json!({}))
        .send()
        .await;
    let outcome = match sent {
        Ok(response) if matches!(response.status().as_u16(), 200 | 202) => return true,
        Ok(response) => response.status().as_u16().to_string(),
        Err(error) => transport(error),
    };
    *report.errors.entry(format!("refund: {outcome}")).or_default() += 1;
    false
}

fn transport(error: reqwest::Error) -> String {
    match () {
        _ if error.is_timeout() => "transport: timeout".into(),
        _ if error.is_connect() => "transport: connect".into(),
        _ => format!("transport: {error}"),
    }
}
