//! The HTTP load: K clients, each on its own keep-alive connection, making
//! real requests with real JWTs until the deadline. A claim carries a fresh
//! Idempotency-Key; a client that loses the server backs off briefly and
//! keeps trying (the crash test kills the server under it).

use super::db::{customer_id, POINTS_PER_CLAIM, SHOP};
use super::report::Tally;
use crate::auth::{mint, MintRequest, Role};
use crate::config::Settings;
use crate::domain::ids::ShopDomain;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Claim,
    Wallet,
    /// `GET /healthz`: the HTTP floor (no token, no database), for comparing reads.
    Healthz,
}

/// Who is asked, how hard and how long.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) customers: u64,
    /// Wallets below this index are left alone (`bench sweep` expires them).
    pub(crate) skip: u64,
    pub(crate) hot: bool,
    pub(crate) clients: usize,
    pub(crate) duration: Duration,
}

impl Plan {
    /// The wallet of the next request: customer 0 when hot, else uniform.
    pub(crate) fn pick(&self, rng: &mut impl Rng) -> String {
        if self.hot {
            customer_id(self.skip)
        } else {
            customer_id(rng.gen_range(self.skip..self.customers.max(self.skip + 1)))
        }
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    settings: Arc<Settings>,
    shop: ShopDomain,
    kind: Kind,
}

/// Runs the load; returns the merged tally and how long it took.
pub(crate) async fn run(
    base: &str,
    settings: Arc<Settings>,
    plan: &Plan,
    kind: Kind,
) -> anyhow::Result<(Tally, Duration)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.clients)
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()?;
    let shop = ShopDomain::parse(SHOP).map_err(anyhow::Error::msg)?;
    let client = Arc::new(Client { http, base: base.to_string(), settings, shop, kind });
    let started = Instant::now();
    let deadline = started + plan.duration;
    let tasks: Vec<_> =
        (0..plan.clients).map(|_| tokio::spawn(client_loop(client.clone(), plan.clone(), deadline))).collect();
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await?);
    }
    Ok((total, started.elapsed()))
}

async fn client_loop(client: Arc<Client>, plan: Plan, deadline: Instant) -> Tally {
    let mut rng = StdRng::from_entropy();
    let mut tally = Tally::default();
    while Instant::now() < deadline {
        let customer = plan.pick(&mut rng);
        let started = Instant::now();
        let outcome = client.request(&customer).await;
        tally.latency(started.elapsed());
        match outcome {
            Ok((201 | 200, body)) => {
                tally.ok += 1;
                if client.kind == Kind::Claim {
                    match claim_id(&body) {
                        Some(id) => tally.acked.push(id),
                        None => tally.error("2xx without a claim id".into()),
                    }
                }
            }
            Ok((status, body)) => tally.error(format!("{status} {}", error_code(&body))),
            Err(e) => {
                tally.error(transport_label(&e));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    tally
}

impl Client {
    async fn request(&self, customer: &str) -> anyhow::Result<(u16, String)> {
        if self.kind == Kind::Healthz {
            let response = self.http.get(format!("{}/healthz", self.base)).send().await?;
            return Ok((response.status().as_u16(), response.text().await?));
        }
        let mint_request = MintRequest {
            shop: &self.shop,
            role: Role::Customer,
            subject: customer,
            location_id: None,
            ttl_seconds: 900,
        };
        let token = mint(&self.settings, &mint_request)?;
        let request = match self.kind {
            Kind::Claim => self
                .http
                .post(format!("{}/api/v1/claims", self.base))
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&serde_json::json!({ "points": POINTS_PER_CLAIM })),
            Kind::Wallet | Kind::Healthz => self.http.get(format!("{}/api/v1/wallet", self.base)),
        };
        let response = request.bearer_auth(token).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

fn claim_id(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value["id"].as_str().map(str::to_string)
}

fn error_code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| "(no error code)".into())
}

fn transport_label(error: &anyhow::Error) -> String {
    match error.downcast_ref::<reqwest::Error>() {
        Some(e) if e.is_timeout() => "transport: timeout".into(),
        Some(e) if e.is_connect() => "transport: connect".into(),
        Some(_) => "transport: other".into(),
        None => format!("client: {error}"),
    }
}
