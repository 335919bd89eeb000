//! PostgreSQL going away under a claim load (issue 27.4 and 27.5): the
//! service (`loyalty-wallet serve`, workers on) runs on DATABASE_URL while
//! K clients claim; each round a control script takes the database away
//! (`down`), brings it back (`up`) and tidies after (`reset`, e.g. a new
//! standby after a failover). Recorded for every request: status, code,
//! `Retry-After`, latency; `/readyz` is polled every 100 ms. Checked: no
//! 5xx other than 503 `unavailable` with `Retry-After`, each 503 answered
//! within 1 s, `/readyz` not ready during a longer outage, claims
//! succeeding again within `--recover-within` of the database accepting
//! connections, and at the end every acknowledged claim stored and the
//! ledger invariants holding (`bench verify`). Prints the recovery time
//! of each round and their median.
//!
//!     pg_outage <db server url> <control script> <scenario> [rounds=5] [clients=32] [recover-within-s=5]
//!
//! The control script is run as `<script> control down|up|reset <scenario> <round>`;
//! `up` returns once the server accepts connections (pg_ctl -w).

#[path = "common/audit.rs"]
mod audit;
#[path = "common/claim_load.rs"]
mod claim_load;
#[path = "common/fleet.rs"]
mod fleet;
#[path = "common/shop.rs"]
mod shop;
#[path = "../tests/support/shopify_double.rs"]
mod shopify_double;

use claim_load::{median, AcceptedClaim};
use fleet::ScratchDatabase;
use loyalty_wallet::auth::Role;
use loyalty_wallet::bench::db::SHOP;
use loyalty_wallet::config::Settings;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 500;
const LOAD_BEFORE: Duration = Duration::from_secs(2);
const LOAD_AFTER: Duration = Duration::from_secs(6);
const FAST_ANSWER: Duration = Duration::from_secs(1);

/// One answer the load or the readiness probe received.
#[derive(Clone, Debug)]
struct Answer {
    sent: Instant,
    took: Duration,
    /// HTTP status, 0 for a transport error.
    status: u16,
    code: String,
    retry_after: bool,
}

#[derive(Default)]
struct Log {
    claims: Vec<Answer>,
    ready: Vec<Answer>,
    accepted: Vec<AcceptedClaim>,
}

struct Round {
    recovery: Option<Duration>,
    /// From the moment the database was taken away to the first claim after.
    outage_seen: Option<Duration>,
    problems: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(
        args.len() >= 3,
        "usage: pg_outage <server url> <control script> <scenario> [rounds] [clients] [s]"
    );
    let (server, control, scenario) = (&args[0], args[1].clone(), args[2].clone());
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |a| a.parse::<u64>());
    let (rounds, clients, within) = (number(3, 5)?, number(4, 32)? as usize, Duration::from_secs(number(5, 5)?));
    let database = ScratchDatabase::create(server)?;
    let settings = fleet::token_settings(&database.url)?;
    let binary = fleet::service_binary()?;
    let service = fleet::start_service(&binary, &database.url, &[("RUST_LOG", "warn".into())]).await?;
    shop::prepare(&service.base, &settings, SHOP, shop::Platform::Native, CUSTOMERS, 100_000_000).await?;
    let (mut recoveries, mut problems, mut accepted, mut outages) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (outcome, log) = one_round(&service.base, &settings, &control, &scenario, round, clients, within).await?;
        let secs = |d: Option<Duration>| d.map_or("never".into(), |d| format!("{:.2} s", d.as_secs_f64()));
        println!(
            "{scenario} round {round}: claims succeed again {} after the database accepts connections ({} after it went away); {}",
            secs(outcome.recovery),
            secs(outcome.outage_seen),
            summary(&log)
        );
        outages.extend(outcome.outage_seen.map(|d| d.as_secs_f64()));
        recoveries.extend(outcome.recovery.map(|d| d.as_secs_f64()));
        problems.extend(outcome.problems.into_iter().map(|p| format!("round {round}: {p}")));
        accepted.extend(log.accepted);
    }
    let lost = audit::acknowledged_violations(&database.url, SHOP, &accepted)?;
    let verified = audit::verify_passes(&binary, &database.url, &accepted)?;
    println!(
        "{scenario}: median recovery {:.2} s over {} rounds ({:.2} s from the database going away); {} acknowledged claims, {} lost",
        median(&mut recoveries),
        recoveries.len(),
        median(&mut outages),
        accepted.len(),
        lost.len()
    );
    let mut service = service;
    service.stop().await;
    if let Some(log) = &service.log {
        println!("service log: {}", log.display());
    }
    problems.extend(lost);
    if !verified {
        problems.push("bench verify failed (ledger invariants or an acknowledged claim missing)".into());
    }
    anyhow::ensure!(problems.is_empty(), "{scenario}: {} problems:\n{}", problems.len(), problems.join("\n"));
    Ok(())
}

async fn one_round(
    base: &str,
    settings: &Settings,
    control: &str,
    scenario: &str,
    round: u64,
    clients: usize,
    within: Duration,
) -> anyhow::Result<(Round, Log)> {
    let log = Arc::new(Mutex::new(Log::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let mut tasks: Vec<_> = (0..clients)
        .map(|c| tokio::spawn(claimer(http.clone(), base.to_string(), settings.clone(), c, log.clone(), stop.clone())))
        .collect();
    tasks.push(tokio::spawn(prober(http.clone(), base.to_string(), log.clone(), stop.clone())));
    tokio::time::sleep(LOAD_BEFORE).await;
    let down_at = Instant::now();
    run_control(control, "down", scenario, round).await?;
    run_control(control, "up", scenario, round).await?;
    let up_at = Instant::now();
    tokio::time::sleep(LOAD_AFTER).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    run_control(control, "reset", scenario, round).await?;
    let log = Arc::try_unwrap(log).map_err(|_| anyhow::anyhow!("log still shared"))?.into_inner().expect("log");
    Ok((judge(&log, down_at, up_at, within), log))
}

async fn run_control(control: &str, action: &str, scenario: &str, round: u64) -> anyhow::Result<()> {
    let mut command = std::process::Command::new("bash");
    command.arg(control).args(["control", action, scenario, &round.to_string()]);
    let status = tokio::task::spawn_blocking(move || command.status()).await??;
    anyhow::ensure!(status.success(), "{control} control {action} {scenario} {round} failed: {status}");
    Ok(())
}

/// What a round's answers show.
fn judge(log: &Log, down_at: Instant, up_at: Instant, within: Duration) -> Round {
    let mut problems = Vec::new();
    let claims = log.claims.iter().map(|a| ("claim", a));
    for (what, answer) in claims.chain(log.ready.iter().map(|a| ("/readyz", a))) {
        let is_503 = answer.status == 503;
        if answer.status >= 500 && !(is_503 && answer.code == "unavailable" && answer.retry_after) {
            problems.push(format!("{} {} (Retry-After: {})", answer.status, answer.code, answer.retry_after));
        }
        if is_503 && answer.took > FAST_ANSWER {
            let at = answer.sent.saturating_duration_since(down_at).as_secs_f64();
            problems.push(format!(
                "a {what} 503 took {:.2} s (sent {at:.2} s after the outage began)",
                answer.took.as_secs_f64()
            ));
        }
        if answer.status == 0 {
            problems.push(format!("transport error: {}", answer.code));
        }
    }
    let outage = up_at.duration_since(down_at);
    let not_ready = log.ready.iter().any(|a| a.sent >= down_at && a.sent <= up_at && a.status == 503);
    if outage > Duration::from_secs(2) && !not_ready {
        problems.push(format!("/readyz never said not ready during a {:.1} s outage", outage.as_secs_f64()));
    }
    let recovery = log
        .claims
        .iter()
        .filter(|a| a.status == 201 && a.sent >= up_at)
        .map(|a| (a.sent + a.took).duration_since(up_at))
        .min();
    match recovery {
        Some(d) if d <= within => {}
        Some(d) => problems.push(format!("claims succeeded again only {:.2} s after the database", d.as_secs_f64())),
        None => problems.push("no claim succeeded after the database came back".into()),
    }
    let outage_seen = recovery.map(|d| d + outage);
    Round { recovery, outage_seen, problems }
}

fn summary(log: &Log) -> String {
    let count = |f: &dyn Fn(&Answer) -> bool| log.claims.iter().filter(|a| f(a)).count();
    let slowest_503 = log.claims.iter().filter(|a| a.status == 503).map(|a| a.took).max().unwrap_or_default();
    format!(
        "{} claims: {} 201, {} 503 unavailable (slowest {:.0} ms), {} other; /readyz not ready {} times",
        log.claims.len(),
        count(&|a| a.status == 201),
        count(&|a| a.status == 503),
        slowest_503.as_secs_f64() * 1e3,
        count(&|a| a.status != 201 && a.status != 503),
        log.ready.iter().filter(|a| a.status == 503).count()
    )
}

async fn claimer(
    http: reqwest::Client,
    base: String,
    settings: Settings,
    client: usize,
    log: Arc<Mutex<Log>>,
    stop: Arc<AtomicBool>,
) {
    let mut n = client;
    while !stop.load(Ordering::Relaxed) {
        n += 7919;
        let customer = shop::customer_id(n % CUSTOMERS);
        let Ok(token) = shop::token(&settings, SHOP, Role::Customer, &customer) else { return };
        let request = http
            .post(format!("{base}/api/v1/claims"))
            .bearer_auth(token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&serde_json::json!({ "points": shop::POINTS_PER_CLAIM }));
        let (answer, body) = send(request).await;
        let pause = answer.status != 201;
        {
            let mut log = log.lock().expect("log");
            if answer.status == 201 {
                let claim: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let field = |k: &str| claim[k].as_str().unwrap_or_default().to_string();
                log.accepted.push(AcceptedClaim { id: field("id"), code: field("code"), refunded: false });
            }
            log.claims.push(answer);
        }
        if pause {
            // As a client told Retry-After would, briefly (not the full second: recovery is measured).
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn prober(http: reqwest::Client, base: String, log: Arc<Mutex<Log>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let (answer, _) = send(http.get(format!("{base}/readyz"))).await;
        log.lock().expect("log").ready.push(answer);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn send(request: reqwest::RequestBuilder) -> (Answer, String) {
    let sent = Instant::now();
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            let body = response.text().await.unwrap_or_default();
            let code = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            (Answer { sent, took: sent.elapsed(), status, code, retry_after }, body)
        }
        Err(error) => (
            Answer { sent, took: sent.elapsed(), status: 0, code: error.to_string(), retry_after: false },
            String::new(),
        ),
    }
}
