//! Two OS processes of `loyalty-wallet serve` on one PostgreSQL database,
//! relays and sweepers running in both, against the Shopify double with
//! faults at Plus-plan pacing; the load goes round-robin over both. Then
//! the same load against one of them. After each phase, once the outbox has
//! drained: every acknowledged claim stored with the code it was given,
//! every active claim's code at the double exactly once and live, every
//! refunded one's not live, no stray or duplicate code, and the ledger
//! invariants (`bench verify`). Prints claims/s of two processes and of
//! one; exits non-zero on any violation.
//!
//! cargo build --release && cargo run --release --example two_processes -- \
//!     postgres://postgres@127.0.0.1:55432/postgres [seconds=5] [clients=16]
//!
//! The service binary is the `loyalty-wallet` next to this example's
//! profile directory, or LOYALTY_BIN. KEEP=1 keeps the database.

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

use claim_load::{AcceptedClaim, LoadPlan, LoadReport};
use fleet::ScratchDatabase;
use loyalty_wallet::bench::db::SHOP;
use loyalty_wallet::bench::rss;
use loyalty_wallet::bench::server::Service;
use loyalty_wallet::config::Settings;
use shopify_double::{DoubleConfig, Faults, ShopifyDouble};
use std::path::PathBuf;
use std::time::Duration;

const CUSTOMERS: usize = 200;
const POINTS_EACH: i64 = 100_000_000;
const REFUND_EVERY: usize = 10;
const DRAIN_WITHIN: Duration = Duration::from_secs(150);
/// Shopify Plus: 1,000 points/s restored; the bucket size PLATFORM.md gives (1,000).
const PLUS_RESTORE_RATE: f64 = 1000.0;
const BUCKET: f64 = 1000.0;

struct Run {
    binary: PathBuf,
    database: ScratchDatabase,
    settings: Settings,
    double: ShopifyDouble,
    seconds: u64,
    clients: usize,
    accepted: Vec<AcceptedClaim>,
}

/// What one phase measured.
struct Phase {
    name: &'static str,
    load: LoadReport,
    service_cores: f64,
    own_cores: f64,
    drained_in: Duration,
    load_average: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let server = args.next().ok_or_else(|| anyhow::anyhow!("usage: two_processes <postgres server url> [s] [k]"))?;
    let seconds = args.next().map_or(Ok(5), |a| a.parse())?;
    let clients = args.next().map_or(Ok(16), |a| a.parse())?;
    let database = ScratchDatabase::create(&server)?;
    anyhow::ensure!(database.is_postgres(), "two processes need PostgreSQL (SQLite is one process, one node)");
    let double = faulty_double().await;
    let settings = fleet::token_settings(&database.url)?;
    let binary = fleet::service_binary()?;
    let mut run = Run { binary, database, settings, double, seconds, clients, accepted: Vec::new() };
    let mut first = fleet::start_service(&run.binary, &run.database.url, &service_env()).await?;
    let mut second = fleet::start_service(&run.binary, &run.database.url, &service_env()).await?;
    let platform = shop::Platform::Shopify { base_url: &run.double.base_url };
    shop::prepare(&first.base, &run.settings, SHOP, platform, CUSTOMERS, POINTS_EACH).await?;
    println!("two processes: {} and {} on {}", first.base, second.base, run.database.url);
    let two = run.phase("two processes", &mut [&mut first, &mut second]).await?;
    let mut violations = run.audit(&two).await?;
    fleet::stop_service(second).await;
    let one = run.phase("one process", &mut [&mut first]).await?;
    violations.extend(run.audit(&one).await?);
    compare(&two, &one);
    fleet::stop_service(first).await;
    if !violations.is_empty() {
        for violation in violations.iter().take(30) {
            eprintln!("VIOLATION: {violation}");
        }
        anyhow::bail!("{} violation(s)", violations.len());
    }
    println!("all checks passed");
    Ok(())
}

/// The double at Plus-plan pacing with 5xx, writes whose answer is lost,
/// ambiguous internal errors, THROTTLED as 429, and a few slow answers.
async fn faulty_double() -> ShopifyDouble {
    let double = ShopifyDouble::start(DoubleConfig {
        access_token: shop::DOUBLE_TOKEN.into(),
        restore_rate: PLUS_RESTORE_RATE,
        bucket_size: BUCKET,
        ..DoubleConfig::default()
    })
    .await;
    double.set_faults(Faults {
        error_rate: 0.05,
        drop_after_write_rate: 0.05,
        throttle_as_429: true,
        slow_ms: 200,
        ..Faults::default()
    });
    double.set_slow_share(0.02);
    double.set_internal_error_rate(0.02);
    double
}

/// Workers on (relay, sweeper every second), quick retries, a 2 s platform
/// timeout (a refund before the push looks again once in-flight requests
/// have timed out: timeout + connect timeout later). Claims are
/// answered without waiting for their push (LOYALTY_PUSH_WINDOW_MS, 0
/// unless set), so the claim rate measures the services, not the
/// platform's 100 creates/s.
fn service_env() -> Vec<(&'static str, String)> {
    let window = std::env::var("LOYALTY_PUSH_WINDOW_MS").unwrap_or_else(|_| "0".into());
    [
        ("LOYALTY_PUSH_WINDOW_MS", window),
        ("LOYALTY_RELAY_INTERVAL_MS", "100".into()),
        ("LOYALTY_SWEEP_INTERVAL_SECS", "1".into()),
        ("LOYALTY_RETRY_BASE_MS", "100".into()),
        ("LOYALTY_RETRY_MAX_MS", "2000".into()),
        ("LOYALTY_PLATFORM_TIMEOUT_MS", "2000".into()),
        ("LOYALTY_PLATFORM_CONNECT_TIMEOUT_MS", "500".into()),
    ]
    .into()
}

impl Run {
    async fn phase(&mut self, name: &'static str, services: &mut [&mut Service]) -> anyhow::Result<Phase> {
        let urls = services.iter().map(|s| s.base.clone()).collect();
        let plan = LoadPlan {
            urls,
            shop: SHOP.into(),
            customers: CUSTOMERS,
            clients: self.clients,
            duration: Duration::from_secs(self.seconds),
            refund_every: Some(REFUND_EVERY),
        };
        let cpu_before: f64 = services.iter().filter_map(|s| s.cpu_seconds()).sum();
        let own_before = rss::cpu_seconds(None).unwrap_or(0.0);
        let load = claim_load::run(&self.settings, plan).await?;
        let wall = load.elapsed.as_secs_f64();
        let service_cores = (services.iter().filter_map(|s| s.cpu_seconds()).sum::<f64>() - cpu_before) / wall;
        let own_cores = (rss::cpu_seconds(None).unwrap_or(0.0) - own_before) / wall;
        let load_average = rss::load_average().unwrap_or(f64::NAN);
        let drained_in = audit::wait_drained(&self.database.url, SHOP, DRAIN_WITHIN).await?;
        for service in services.iter_mut() {
            anyhow::ensure!(service.is_running(), "{} died; log {:?}", service.base, service.log);
        }
        self.accepted.extend(load.accepted.iter().cloned());
        let phase = Phase { name, load, service_cores, own_cores, drained_in, load_average };
        phase.print(&self.double);
        Ok(phase)
    }

    /// Every check over all claims so far.
    async fn audit(&self, phase: &Phase) -> anyhow::Result<Vec<String>> {
        let mut violations: Vec<String> =
            phase.load.errors.iter().map(|(what, n)| format!("{}: {n} × {what}", phase.name)).collect();
        let url = &self.database.url;
        violations.extend(audit::acknowledged_violations(url, SHOP, &self.accepted)?);
        violations.extend(audit::platform_violations(url, SHOP, &self.double.discounts())?);
        if !audit::verify_passes(&self.binary, url, &self.accepted)? {
            violations.push(format!("{}: `bench verify` failed", phase.name));
        }
        println!("{}: {} violation(s) after {} claims in all", phase.name, violations.len(), self.accepted.len());
        Ok(violations)
    }
}

impl Phase {
    fn print(&self, double: &ShopifyDouble) {
        let load = &self.load;
        let stats = double.stats();
        println!(
            "{}: {} claims in {:.1} s = {:.0}/s (median 1 s window {:.0}/s), p50 {:.1} ms, p99 {:.1} ms, {} refunds, \
             {} errors",
            self.name,
            load.accepted.len(),
            load.elapsed.as_secs_f64(),
            load.claims_per_second(),
            load.median_window_rate(),
            load.percentile(50.0),
            load.percentile(99.0),
            load.refunds(),
            load.errors.values().sum::<u64>()
        );
        println!(
            "  CPU: services {:.2} cores, load generator + double {:.2} cores, 1-min load {:.1}; outbox drained {:.1} s \
             after the load",
            self.service_cores,
            self.own_cores,
            self.load_average,
            self.drained_in.as_secs_f64()
        );
        println!(
            "  double so far: {} requests, {} creates, {} deletes, {} TAKEN, {} lookups, {} throttled, {} faults",
            stats.requests,
            stats.creates,
            stats.deletes,
            stats.taken,
            stats.lookups,
            stats.throttled,
            stats.faults_injected
        );
    }
}

fn compare(two: &Phase, one: &Phase) {
    let (rate_two, rate_one) = (two.load.claims_per_second(), one.load.claims_per_second());
    let (window_two, window_one) = (two.load.median_window_rate(), one.load.median_window_rate());
    println!(
        "claims/s: two processes {rate_two:.0} (median window {window_two:.0}), one process {rate_one:.0} \
         (median window {window_one:.0}): ×{:.2} (windows ×{:.2})",
        rate_two / rate_one,
        window_two / window_one
    );
    println!(
        "why not ×2 here: both services, PostgreSQL and the load generator with the double share this machine's {} \
         cores (services used {:.2} cores with two processes, {:.2} with one; this process {:.2}); a second process \
         adds no CPU, only more connections contending for the same cores and the same WAL fsyncs",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        two.service_cores,
        one.service_cores,
        two.own_cores
    );
}
