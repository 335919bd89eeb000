//! Claims of a platform shop next to claims of a native shop, in one run on
//! one service process: the platform shop's claims write outbox rows and
//! the relay pushes them to the Shopify double at Plus-plan pacing (1,000
//! points/s, 10 points a create: 100 creates/s). Phases alternate native /
//! platform for a number of rounds; prints claims/s, p50 and p99 of each,
//! their medians and the platform ÷ native ratios, then checks every code
//! reached the double once and the ledger invariants (exit non-zero if not).
//!
//! cargo build --release && cargo run --release --example bench_platform_claims -- \
//!     [sqlite | postgres://server] [seconds=5] [rounds=3] [clients=32]
//!
//! The service runs with its defaults (push window 1 s) unless the
//! environment sets LOYALTY_* (the child inherits it), e.g.
//! LOYALTY_PUSH_WINDOW_MS=0 to answer claims before their push.

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

use claim_load::{median, AcceptedClaim, LoadPlan, LoadReport};
use fleet::ScratchDatabase;
use loyalty_wallet::bench::db::SHOP as PLATFORM_SHOP;
use shopify_double::{DoubleConfig, ShopifyDouble};
use std::time::Duration;

const NATIVE_SHOP: &str = "native-bench.myshopify.com";
const CUSTOMERS: usize = 1000;
const POINTS_EACH: i64 = 100_000_000;
const DRAIN_WITHIN: Duration = Duration::from_secs(600);

/// One figure of a phase, to take the median of.
type Pick = fn(&Figures) -> f64;

struct Figures {
    rate: f64,
    p50: f64,
    p99: f64,
}

impl Figures {
    fn of(load: &LoadReport) -> Self {
        Self { rate: load.claims_per_second(), p50: load.percentile(50.0), p99: load.percentile(99.0) }
    }
}

#[derive(Default)]
struct Results {
    native: Vec<Figures>,
    platform: Vec<Figures>,
    native_claims: Vec<AcceptedClaim>,
    platform_claims: Vec<AcceptedClaim>,
    errors: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = args.first().map_or("sqlite", String::as_str);
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |a| a.parse::<u64>());
    let (seconds, rounds, clients) = (number(1, 5)?, number(2, 3)?, number(3, 32)? as usize);
    let database = ScratchDatabase::create(target)?;
    let double = ShopifyDouble::start(DoubleConfig {
        access_token: shop::DOUBLE_TOKEN.into(),
        restore_rate: 1000.0,
        bucket_size: 1000.0,
        ..DoubleConfig::default()
    })
    .await;
    let settings = fleet::token_settings(&database.url)?;
    let binary = fleet::service_binary()?;
    let service = fleet::start_service(&binary, &database.url, &[]).await?;
    let platform = shop::Platform::Shopify { base_url: &double.base_url };
    shop::prepare(&service.base, &settings, PLATFORM_SHOP, platform, CUSTOMERS, POINTS_EACH).await?;
    shop::prepare(&service.base, &settings, NATIVE_SHOP, shop::Platform::Native, CUSTOMERS, POINTS_EACH).await?;
    let mut results = Results::default();
    for round in 0..rounds {
        let native_first = round.is_multiple_of(2);
        for platform_phase in [!native_first, native_first] {
            let shop = if platform_phase { PLATFORM_SHOP } else { NATIVE_SHOP };
            let plan = LoadPlan {
                urls: vec![service.base.clone()],
                shop: shop.into(),
                customers: CUSTOMERS,
                clients,
                duration: Duration::from_secs(seconds),
                refund_every: None,
            };
            let load = claim_load::run(&settings, plan).await?;
            let drained = audit::wait_drained(&database.url, PLATFORM_SHOP, DRAIN_WITHIN).await?;
            print_phase(round, shop, &load, drained);
            results.add(platform_phase, load);
        }
    }
    fleet::stop_service(service).await;
    results.summary();
    let violations = results.violations(&binary, &database, &double)?;
    for violation in violations.iter().take(30) {
        eprintln!("VIOLATION: {violation}");
    }
    anyhow::ensure!(violations.is_empty(), "{} violation(s)", violations.len());
    println!("checks passed: every platform claim's code at the double exactly once; invariants hold");
    Ok(())
}

fn print_phase(round: u64, shop: &str, load: &LoadReport, drained: Duration) {
    let figures = Figures::of(load);
    println!(
        "round {} {shop:<30} {:>7.0} claims/s  p50 {:>6.1} ms  p99 {:>7.1} ms  errors {}  outbox drained {:.1} s \
         after the load",
        round + 1,
        figures.rate,
        figures.p50,
        figures.p99,
        load.errors.values().sum::<u64>(),
        drained.as_secs_f64()
    );
}

impl Results {
    fn add(&mut self, platform: bool, load: LoadReport) {
        let shop = if platform { PLATFORM_SHOP } else { NATIVE_SHOP };
        self.errors.extend(load.errors.iter().map(|(what, n)| format!("{shop}: {n} × {what}")));
        let (figures, claims) = match platform {
            true => (&mut self.platform, &mut self.platform_claims),
            false => (&mut self.native, &mut self.native_claims),
        };
        figures.push(Figures::of(&load));
        claims.extend(load.accepted);
    }

    fn summary(&self) {
        let medians = |of: &[Figures], pick: Pick| median(&mut of.iter().map(pick).collect::<Vec<_>>());
        let rows: [(&str, Pick); 3] = [("claims/s", |f| f.rate), ("p50 ms", |f| f.p50), ("p99 ms", |f| f.p99)];
        println!("medians of {} rounds      native   platform   platform ÷ native", self.native.len());
        for (name, pick) in rows {
            let (native, platform) = (medians(&self.native, pick), medians(&self.platform, pick));
            println!("  {name:<22} {native:>8.1} {platform:>10.1}   {:>8.2}", platform / native);
        }
    }

    fn violations(
        &self,
        binary: &std::path::Path,
        database: &ScratchDatabase,
        double: &ShopifyDouble,
    ) -> anyhow::Result<Vec<String>> {
        let url = &database.url;
        let mut violations = self.errors.clone();
        violations.extend(audit::acknowledged_violations(url, NATIVE_SHOP, &self.native_claims)?);
        violations.extend(audit::acknowledged_violations(url, PLATFORM_SHOP, &self.platform_claims)?);
        violations.extend(audit::platform_violations(url, PLATFORM_SHOP, &double.discounts())?);
        if !audit::verify_passes(binary, url, &self.platform_claims)? {
            violations.push("`bench verify` failed".into());
        }
        Ok(violations)
    }
}
