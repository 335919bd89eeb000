//! Platform drain benchmark: a burst of N claims against the local Shopify
//! double at a given restore rate; prints the time until every code exists
//! at the double next to the theoretical minimum (N × cost ÷ restore rate),
//! and the throttled requests (the target is none).
//!
//! cargo run --release --example bench_platform -- [claims=500] [restore_rate=100] [bucket=1000]

#[path = "../tests/support/shopify_double.rs"]
mod shopify_double;

use loyalty_wallet::auth::{mint, MintRequest, Role};
use loyalty_wallet::config::Settings;
use loyalty_wallet::domain::ids::ShopDomain;
use loyalty_wallet::startup::Application;
use serde_json::json;
use shopify_double::{DoubleConfig, ShopifyDouble};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const SHOP: &str = "bench.myshopify.com";
const TOKEN: &str = "shpat_bench";
const CUSTOMERS: usize = 50;

fn arg(index: usize, default: f64) -> f64 {
    std::env::args().nth(index).and_then(|a| a.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (claims, restore_rate, bucket) = (arg(1, 500.0) as usize, arg(2, 100.0), arg(3, 1000.0));
    let double = ShopifyDouble::start(DoubleConfig {
        access_token: TOKEN.into(),
        restore_rate,
        bucket_size: bucket,
        ..DoubleConfig::default()
    })
    .await;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db").to_string_lossy().to_string();
    let vars: HashMap<String, String> = [
        ("DATABASE_URL", db.as_str()),
        ("LOYALTY_BIND", "127.0.0.1:0"),
        ("LOYALTY_APP_SECRET", "bench-secret-that-is-at-least-32-bytes"),
        ("LOYALTY_ALLOW_LOOPBACK_URLS", "1"),
        ("LOYALTY_CLIENT_ID", "bench"),
        ("LOYALTY_RELAY_INTERVAL_MS", "20"),
        ("LOYALTY_RELAY_CONCURRENCY", "16"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let settings = Settings::from_map(&vars)?;
    let app = Application::build(settings.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let shop = ShopDomain::parse(SHOP).map_err(anyhow::Error::msg)?;
    let token = |role, sub: &str| {
        mint(&settings, &MintRequest { shop: &shop, role, subject: sub, location_id: None, ttl_seconds: 3600 })
    };
    let admin = token(Role::Admin, "bench")?;
    let http = reqwest::Client::new();
    let put =
        |path: &str, body: serde_json::Value| http.put(format!("{base}{path}")).bearer_auth(&admin).json(&body).send();
    put("/api/v1/admin/programs/online", json!({"enabled": true, "points_per_unit": "100", "min_points": 100, "max_points": 100000, "purchase_type": "one_time"})).await?.error_for_status()?;
    put("/api/v1/admin/shop", json!({"currency": "USD", "earn_points_per_unit": "0", "platform": {"kind": "shopify", "access_token": TOKEN, "api_version": "2026-10", "base_url": double.base_url}})).await?.error_for_status()?;
    let per_customer = (claims / CUSTOMERS + 1) as i64 * 100;
    for c in 0..CUSTOMERS {
        http.post(format!("{base}/api/v1/admin/customers/{}/adjustments", 1000 + c))
            .bearer_auth(&admin)
            .header("Idempotency-Key", format!("grant-{c}"))
            .json(&json!({"points": per_customer, "reason": "bench"}))
            .send()
            .await?
            .error_for_status()?;
    }
    let tokens: Vec<String> =
        (0..CUSTOMERS).map(|c| token(Role::Customer, &(1000 + c).to_string())).collect::<Result<_, _>>()?;
    let started = Instant::now();
    let requests = (0..claims).map(|i| {
        let request = http
            .post(format!("{base}/api/v1/claims"))
            .bearer_auth(&tokens[i % CUSTOMERS])
            .header("Idempotency-Key", format!("claim-{i}"))
            .json(&json!({"points": 100}));
        async move { request.send().await.map(|r| r.status().is_success()).unwrap_or(false) }
    });
    let answered: Vec<bool> = futures_util::stream::iter(requests).buffer_unordered(32).collect().await;
    let accepted = answered.iter().filter(|ok| **ok).count();
    let all_answered = started.elapsed();
    while double.stats().creates < accepted as u64 && started.elapsed() < Duration::from_secs(3600) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained = started.elapsed().as_secs_f64();
    let stats = double.stats();
    let codes: Vec<String> = double.discounts().into_iter().map(|d| d.code).collect();
    let unique: HashSet<&String> = codes.iter().collect();
    let cost = DoubleConfig::default().mutation_cost;
    let minimum = claims as f64 * cost / restore_rate;
    let with_bucket = ((claims as f64 * cost - bucket) / restore_rate).max(0.0);
    println!("claims accepted          {accepted} of {claims} (all answered in {:.2} s)", all_answered.as_secs_f64());
    println!("restore rate / bucket    {restore_rate} points/s / {bucket} points, {cost} points per create");
    println!("drain time               {drained:.2} s");
    println!("theoretical minimum      {minimum:.2} s (N × cost ÷ restore rate)   ratio {:.3}", drained / minimum);
    println!(
        "minimum after the bucket {with_bucket:.2} s ((N × cost − bucket) ÷ restore rate)   ratio {:.3}",
        drained / with_bucket.max(f64::EPSILON)
    );
    println!("throttled requests       {}", stats.throttled);
    println!("platform requests        {} (creates {}, lookups {})", stats.requests, stats.creates, stats.lookups);
    println!("duplicate discounts      {}", codes.len() - unique.len());
    Ok(())
}

use futures_util::StreamExt;
