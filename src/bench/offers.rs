//! `loyalty-wallet bench offers`: a burst of events
//! ingested through the store (the unit of work `POST /admin/events` runs),
//! the offers issued by concurrent issuers (as several instances would),
//! then the win-back scan over a database of N customers' facts (1 % of
//! them quiet long enough to be found). The drain to the Shopify double is
//! `examples/bench_offers_drain.rs` (the double lives in tests/support).

use super::db;
use crate::domain::campaign::CampaignSettings;
use crate::domain::event::{Event, EventKind, EventSource};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::platform::issuer::{issue_due_once, scan_once};
use crate::store::issue::Outcome;
use crate::store::{campaigns, events, shops, AnyConnection, Store, Writes};
use chrono::{Duration, NaiveDateTime};
use clap::Args;
use diesel::prelude::*;
use futures_util::StreamExt;
use serde_json::json;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct OffersArgs {
    /// Events in the burst (one offer each).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) events: usize,
    /// Customers whose facts the win-back scan walks.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) scan_customers: u64,
    /// Concurrent event writers.
    #[arg(long, default_value_t = 32)]
    pub(crate) clients: usize,
    /// Concurrent issuers (like service instances).
    #[arg(long, default_value_t = 4)]
    pub(crate) issuers: usize,
    /// `sqlite` (a temp file) or a PostgreSQL server URL (a fresh database).
    #[arg(long, default_value = "sqlite")]
    pub(crate) database: String,
}

fn campaign(trigger: serde_json::Value) -> anyhow::Result<CampaignSettings> {
    let body = json!({"name": "bench", "enabled": true, "trigger": trigger,
        "discount": {"kind": "fixed_amount", "value": "5.00"},
        "code": {"template": "{RANDOM}", "random_length": 10}, "expires_after_hours": 48});
    let usd = Currency::parse("USD").map_err(anyhow::Error::msg)?;
    CampaignSettings::parse(&body, usd).map_err(|e| anyhow::anyhow!("campaign: {e:?}"))
}

async fn add_campaign(store: &Store, settings: CampaignSettings, now: NaiveDateTime) -> anyhow::Result<()> {
    store
        .write(move |conn| {
            shops::ensure(conn, db::SHOP)?;
            campaigns::create(conn, db::SHOP, &settings, now).map(|_| ())
        })
        .await
        .map_err(app)?;
    Ok(())
}

/// The store's errors as a bench failure.
fn app(error: impl std::fmt::Debug) -> anyhow::Error {
    anyhow::anyhow!("{error:?}")
}

pub(crate) async fn run(args: OffersArgs) -> anyhow::Result<()> {
    let temp = std::env::temp_dir().join(format!("lw_bench_offers_{}.db", uuid::Uuid::new_v4().simple()));
    let url = if args.database == "sqlite" {
        temp.to_string_lossy().to_string()
    } else {
        let url = db::database_url(&args.database, &format!("lw_bench_offers_{}", uuid::Uuid::new_v4().simple()));
        db::ensure_database(&url)?;
        url
    };
    let store = Store::open(&url, (args.clients as u32).clamp(4, 32), Writes::default())?;
    let now = chrono::Utc::now().naive_utc();
    add_campaign(&store, campaign(json!({"kind": "custom", "event": "burst"}))?, now).await?;
    burst(&store, &args, now).await?;
    issue(&store, &args, now).await?;
    scan(&store, &args, now).await?;
    if db::is_postgres(&url) {
        println!("database                 postgresql (kept: {url})");
    } else {
        println!("database                 sqlite");
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", temp.to_string_lossy()));
    }
    Ok(())
}

async fn burst(store: &Store, args: &OffersArgs, now: NaiveDateTime) -> anyhow::Result<()> {
    let started = Instant::now();
    let writes = (0..args.events).map(|i| {
        let store = store.clone();
        async move {
            let mut event = Event::new(format!("b{i:07}"), EventKind::Custom);
            event.name = Some("burst".into());
            store.write(move |conn| events::ingest(conn, db::SHOP, &event, EventSource::Bench, now)).await.is_ok()
        }
    });
    let done: Vec<bool> = futures_util::stream::iter(writes).buffer_unordered(args.clients).collect().await;
    let secs = started.elapsed().as_secs_f64();
    let ok = done.iter().filter(|ok| **ok).count();
    println!("events ingested          {ok} of {} in {secs:.2} s = {:.0} events/s", args.events, ok as f64 / secs);
    Ok(())
}

async fn issue(store: &Store, args: &OffersArgs, now: NaiveDateTime) -> anyhow::Result<()> {
    let started = Instant::now();
    let at = now + Duration::seconds(1);
    let issuers = (0..args.issuers.max(1)).map(|_| issue_due_once(store, at, usize::MAX));
    let mut issued = 0;
    for outcomes in futures_util::future::join_all(issuers).await {
        issued += outcomes.map_err(app)?.iter().filter(|o| matches!(o, Outcome::Issued { .. })).count();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "offers issued            {issued} in {secs:.2} s = {:.0} offers/s ({} issuers)",
        issued as f64 / secs,
        args.issuers
    );
    Ok(())
}

/// Customers' facts in bulk: one in a hundred last ordered 100 days ago
/// (found by a 90-day win-back), the rest 5 days ago.
fn seed_facts(conn: &mut AnyConnection, customers: u64, now: NaiveDateTime) -> anyhow::Result<()> {
    let (quiet, recent) = (now - Duration::days(100), now - Duration::days(5));
    let fmt = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let (quiet, recent, now) = (fmt(quiet), fmt(recent), fmt(now));
    let sql = match conn {
        AnyConnection::Postgresql(_) => format!(
            "INSERT INTO customer_facts (shop_id, customer_id, order_count, last_order_at, created_at, updated_at) \
             SELECT '{shop}', 'f' || lpad(i::text, 8, '0'), 1, \
             CASE WHEN i % 100 = 0 THEN TIMESTAMP '{quiet}' ELSE TIMESTAMP '{recent}' END, \
             TIMESTAMP '{now}', TIMESTAMP '{now}' FROM generate_series(0, {last}) AS i",
            shop = db::SHOP,
            last = customers.saturating_sub(1)
        ),
        AnyConnection::Sqlite(_) => format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO customer_facts (shop_id, customer_id, order_count, last_order_at, created_at, updated_at) \
             SELECT '{shop}', 'f' || substr('00000000' || i, -8, 8), 1, \
             CASE WHEN i % 100 = 0 THEN '{quiet}' ELSE '{recent}' END, '{now}', '{now}' FROM n",
            shop = db::SHOP,
            last = customers.saturating_sub(1)
        ),
    };
    diesel::sql_query(sql).execute(conn)?;
    Ok(())
}

async fn scan(store: &Store, args: &OffersArgs, now: NaiveDateTime) -> anyhow::Result<()> {
    let customers = args.scan_customers;
    let started = Instant::now();
    store
        .write(move |conn| seed_facts(conn, customers, now).map_err(|e| AppError::internal_msg(e.to_string())))
        .await
        .map_err(app)?;
    println!("facts seeded             {customers} customers in {:.1} s", started.elapsed().as_secs_f64());
    add_campaign(&store.clone(), campaign(json!({"kind": "win_back", "inactive_days": 90}))?, now).await?;
    let started = Instant::now();
    let (mut visited, mut found, mut passes) = (0, 0, 0);
    loop {
        // The issuer loop's own bound: 20 pages of 1,000 customers per pass.
        let report = scan_once(store, now, Duration::days(1), 20).await.map_err(app)?;
        passes += 1;
        visited += report.visited;
        found += report.found;
        if report.visited < 20_000 {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "win-back scan            {visited} customers in {passes} passes, {found} found, {secs:.2} s = {:.0} customers/s",
        visited as f64 / secs
    );
    Ok(())
}
