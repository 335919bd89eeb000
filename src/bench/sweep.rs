//! `bench sweep`: the expiry sweep at scale. Gives `--lots`
//! wallets (the first ones) a lot of 100 points whose expiry has passed,
//! then, with the same binary in the same run:
//!
//! 1. claims over HTTP for `--seconds` against a service without workers
//!    (no sweep) — the baseline;
//! 2. the same load against a service with its workers on and a 1 s sweep
//!    interval, in 1 s slices until every due lot is expired; a thread polls
//!    the number of due lots every 100 ms to time the sweep.
//!
//! The load never touches the wallets being expired (they are excluded from
//! its choice), so the due count falls only by the sweep. The sweep runs
//! inside the service, through its writer, as in production.

use super::db::{self, Target, SHOP};
use super::load::{self, Kind, Plan};
use super::report::{Summary, Tally};
use super::server::{bench_settings, Service};
use super::{rss, verify, SweepArgs};
use crate::config::Settings;
use crate::store::schema::lots;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Points in each due lot (moved out of the wallet's seeded lot).
const DUE_POINTS: i64 = 100;
/// The expiry given to the due lots: long past.
const DUE_AT: &str = "2025-06-01 00:00:00";
/// The sweep must finish within this.
const SWEEP_LIMIT: Duration = Duration::from_secs(900);

pub(crate) async fn run(args: SweepArgs, env: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(bench_settings(&env)?);
    let prepare = args.load.clone();
    let target = tokio::task::spawn_blocking(move || Target::prepare(&prepare)).await??;
    let result = measure(&args, settings, &target).await;
    let keep = args.load.keep;
    tokio::task::spawn_blocking(move || target.cleanup(keep)).await??;
    result
}

async fn measure(args: &SweepArgs, settings: Arc<Settings>, target: &Target) -> anyhow::Result<()> {
    anyhow::ensure!(args.lots < target.customers, "--lots must be below the number of customers");
    let url = target.url.clone();
    let lots = args.lots;
    let started = Instant::now();
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let seeded = tokio::task::spawn_blocking(move || seed_due(&url, lots, &tag)).await??;
    println!("bench sweep: {} customers, {seeded} due lots seeded in {:.1} s", target.customers, secs(started));
    let plan = Plan {
        customers: target.customers,
        skip: args.lots,
        hot: false,
        clients: args.load.clients,
        duration: Duration::from_secs(args.load.seconds),
    };
    let log = args.load.service_log.as_str();
    let mut service = Service::start(&target.url, &settings, log).await?;
    let loaded = load::run(&service.base, settings.clone(), &plan, Kind::Claim).await;
    service.stop().await;
    let (mut tally, elapsed) = loaded?;
    let quiet = Summary::of("claims, no sweep", &mut tally, elapsed);
    quiet.print();

    let due_before = due_count(&target.url)?;
    let watch = Watch::start(&target.url, due_before);
    let extra = [("LOYALTY_WORKERS", "1"), ("LOYALTY_SWEEP_INTERVAL_SECS", "1"), ("LOYALTY_RETENTION_DAYS", "36500")];
    let mut service = Service::start_with(&target.url, &settings, log, &extra).await?;
    let (busy, sweep) = during_sweep(&service.base, settings.clone(), &plan, &watch).await;
    service.stop().await;
    let busy = busy?;
    busy.print();
    let (first, last, left) = watch.finish();
    let expired = due_before - left;
    match (first, last) {
        (Some(first), Some(last)) => println!(
            "sweep: {expired} lots expired in {:.1} s (first to last seen, 100 ms polls; {:.0} lots/s), {left} left",
            (last - first).as_secs_f64(),
            expired as f64 / (last - first).as_secs_f64().max(0.1),
        ),
        _ => println!("sweep: {expired} lots expired, {left} left (not finished within {SWEEP_LIMIT:?})"),
    }
    if quiet.per_second > 0.0 {
        println!("claims/s during the sweep ÷ without: {:.2}", busy.per_second / quiet.per_second);
    }
    println!("load average (1 min) now: {:?}; sweep phase {:.1} s", rss::load_average(), sweep.as_secs_f64());
    if !args.load.no_verify {
        let url = target.url.clone();
        let verdict = tokio::task::spawn_blocking(move || verify::check(&url, &[], false)).await??;
        verdict.print();
        anyhow::ensure!(verdict.violations.is_empty(), "invariants violated: {:?}", verdict.violations);
    }
    anyhow::ensure!(left == 0, "{left} due lots left after the sweep");
    Ok(())
}

/// Claims in 1 s slices until the watch sees no due lot left.
async fn during_sweep(
    base: &str,
    settings: Arc<Settings>,
    plan: &Plan,
    watch: &Watch,
) -> (anyhow::Result<Summary>, Duration) {
    let slice = Plan { duration: Duration::from_secs(1), ..plan.clone() };
    let started = Instant::now();
    let mut total = Tally::default();
    while !watch.done() && started.elapsed() < SWEEP_LIMIT {
        match load::run(base, settings.clone(), &slice, Kind::Claim).await {
            Ok((tally, _)) => total.merge(tally),
            Err(e) => return (Err(e), started.elapsed()),
        }
    }
    let elapsed = started.elapsed();
    (Ok(Summary::of("claims during the sweep", &mut total, elapsed)), elapsed)
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

/// Lots of the bench shop with points left whose expiry has passed.
fn due_count(url: &str) -> anyhow::Result<i64> {
    let mut conn = db::connect(url)?;
    let now = chrono::Utc::now().naive_utc();
    Ok(lots::table
        .filter(lots::shop_id.eq(SHOP))
        .filter(lots::expires_at.lt(now))
        .filter(crate::store::lots::open())
        .count()
        .get_result(&mut conn)?)
}

/// Polls the due count; remembers when it first fell and when it hit zero.
struct Watch {
    stop: Arc<AtomicBool>,
    left: Arc<AtomicI64>,
    times: Arc<Mutex<(Option<Instant>, Option<Instant>)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    fn start(url: &str, before: i64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let left = Arc::new(AtomicI64::new(before));
        let times = Arc::new(Mutex::new((None, None)));
        let (s, l, t, url) = (stop.clone(), left.clone(), times.clone(), url.to_string());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok(n) = due_count(&url) {
                    l.store(n, Ordering::Relaxed);
                    if let Ok(mut times) = t.lock() {
                        if n < before && times.0.is_none() {
                            times.0 = Some(Instant::now());
                        }
                        if n == 0 && times.1.is_none() {
                            times.1 = Some(Instant::now());
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { stop, left, times, thread: Some(thread) }
    }

    fn done(&self) -> bool {
        self.left.load(Ordering::Relaxed) == 0
    }

    fn finish(mut self) -> (Option<Instant>, Option<Instant>, i64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let (first, last) = self.times.lock().map(|t| *t).unwrap_or((None, None));
        (first, last, self.left.load(Ordering::Relaxed))
    }
}

/// Moves DUE_POINTS of each of the first `count` wallets' seeded lot into a
/// new lot that expired long ago (balances and Σ lots unchanged), and gives
/// the shop an `after_days` policy so that the sweep visits it.
fn seed_due(url: &str, count: u64, tag: &str) -> anyhow::Result<usize> {
    let mut conn = db::connect(url)?;
    let postgres = db::is_postgres(url);
    let at = if postgres { format!("TIMESTAMP '{DUE_AT}'") } else { format!("'{DUE_AT}'") };
    let limit = db::customer_id(count);
    let due = format!("'due-{tag}-' || customer_id");
    let policy = format!(
        "INSERT INTO points_policies (shop_id, expiry_kind, expiry_days, pending_days, expiry_warning_days, \
         updated_at) VALUES ('{SHOP}', 'after_days', 365, 0, 0, {at}) ON CONFLICT (shop_id) DO UPDATE SET \
         expiry_kind = 'after_days', expiry_days = 365"
    );
    let insert = format!(
        "INSERT INTO lots (shop_id, customer_id, id, points, remaining, expires_at, entry_id, order_id, warned, \
         created_at, open) SELECT shop_id, customer_id, {due}, {DUE_POINTS}, {DUE_POINTS}, {at}, entry_id, NULL, \
         FALSE, created_at, TRUE FROM lots WHERE shop_id = '{SHOP}' AND customer_id < '{limit}' AND id = 'migrated-' || \
         customer_id AND remaining >= {DUE_POINTS} + 1000"
    );
    let shrink = format!(
        "UPDATE lots SET points = points - {DUE_POINTS}, remaining = remaining - {DUE_POINTS} WHERE shop_id = \
         '{SHOP}' AND customer_id < '{limit}' AND id = 'migrated-' || customer_id AND EXISTS (SELECT 1 FROM lots d \
         WHERE d.shop_id = lots.shop_id AND d.customer_id = lots.customer_id AND d.id = 'due-{tag}-' || \
         lots.customer_id)"
    );
    let seeded = crate::store::write_transaction(&mut conn, |c| {
        diesel::sql_query(&policy).execute(c)?;
        let seeded = diesel::sql_query(&insert).execute(c)?;
        let shrunk = diesel::sql_query(&shrink).execute(c)?;
        if seeded != shrunk {
            return Err(crate::error::AppError::internal_msg(format!("{seeded} due lots but {shrunk} shrunk")));
        }
        Ok(seeded)
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if postgres {
        conn.batch_execute("ANALYZE lots")?;
    }
    Ok(seeded)
}
