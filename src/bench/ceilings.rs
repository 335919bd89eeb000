//! The claim ceilings of one `bench claims` run, measured right
//! after the HTTP load on the same database:
//!
//! * the old own-path ceiling (`claims::create` as the door wraps it), kept
//!   as a *diagnostic*;
//! * (a) the minimal durable unit, one transaction per claim (SQLite: one
//!   thread; PostgreSQL: K threads), with the lot allocation;
//! * (b) the same in batches of 64 per commit;
//! * then the invariants are checked, and the lot allocation's cost per
//!   claim is measured: (a) with and without it in [`ROUNDS`] paired rounds
//!   whose order alternates (with, without; without, with; …), so that
//!   neither side always runs later on a larger database; the cost is the
//!   median of the rounds' `rate without ÷ rate with − 1`; then (b) without
//!   it. Rows without lots are debits without allocations, so this runs
//!   last and only on a database this run created (`--reuse` skips it unless
//!   `--no-lots-too`);
//! * (c) PostgreSQL: `pgbench -b tpcb-like` with the same clients.

use super::ceiling::{self, Turns};
use super::load::{Kind, Plan};
use super::minimal::{self, Shape};
use super::report::{RunReport, Summary};
use super::{db, pgbench, verify, LoadArgs};

/// Claims per transaction of ceiling (b).
pub const BATCH: usize = 64;

pub async fn claims(args: &LoadArgs, url: &str, plan: &Plan, report: &mut RunReport) -> anyhow::Result<()> {
    let postgres = db::is_postgres(url);
    let turns = if postgres { Turns::Database } else { Turns::Serial };
    let (u, p, sync) = (url.to_string(), plan.clone(), args.ceiling_synchronous.clone());
    let own = tokio::task::spawn_blocking(move || ceiling::run(&u, &p, Kind::Claim, turns, sync.as_deref())).await??;
    push(report, own);
    let threads = if postgres { plan.clients } else { 1 };
    for batch in [1, BATCH] {
        phase(url, plan, Shape { threads, batch, lots: true }, report).await?;
    }
    if !args.no_verify {
        let u = url.to_string();
        let verdict = tokio::task::spawn_blocking(move || verify::check(&u, &[], false)).await??;
        verdict.print();
        report.violations.extend(verdict.violations);
    }
    if !args.reuse || args.no_lots_too {
        lot_cost_rounds(url, plan, threads, report).await?;
        phase(url, plan, Shape { threads, batch: BATCH, lots: false }, report).await?;
    } else {
        println!("minimal unit without lots: skipped on a reused database (it would leave debits without allocations)");
    }
    if postgres {
        let (u, clients, seconds) = (url.to_string(), plan.clients, plan.duration.as_secs());
        if let Some(tps) = tokio::task::spawn_blocking(move || pgbench::run(&u, clients, seconds)).await?? {
            let name = format!("pgbench tpcb-like {clients}c");
            println!("{name:<26} {tps:>9.0}/s");
            report.pgbench_tps = Some(tps);
        }
    }
    report.fill_ratios();
    Ok(())
}

/// Paired rounds of (a) for the lot cost.
pub const ROUNDS: usize = 3;

/// (a) with and without the lot allocation, [`ROUNDS`] times, alternating
/// which of the two runs first; each round's pair gives one cost.
async fn lot_cost_rounds(url: &str, plan: &Plan, threads: usize, report: &mut RunReport) -> anyhow::Result<()> {
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 { [false, true] } else { [true, false] };
        let mut rates = [0.0_f64; 2];
        for lots in order {
            rates[usize::from(lots)] = phase(url, plan, Shape { threads, batch: 1, lots }, report).await?;
        }
        let [bare, with] = rates;
        if with > 0.0 {
            report.lot_cost_rounds.push(bare / with - 1.0);
        }
    }
    Ok(())
}

/// Runs one minimal-unit phase; returns its claims/s.
async fn phase(url: &str, plan: &Plan, shape: Shape, report: &mut RunReport) -> anyhow::Result<f64> {
    let (u, p) = (url.to_string(), plan.clone());
    let summary = tokio::task::spawn_blocking(move || minimal::run(&u, &p, shape)).await??;
    let rate = summary.per_second;
    push(report, summary);
    Ok(rate)
}

fn push(report: &mut RunReport, summary: Summary) {
    summary.print();
    report.phases.push(summary);
}

/// The ratios the run prints (and writes as JSON).
pub fn print(report: &RunReport) {
    let show = |label: &str, value: Option<f64>| {
        if let Some(v) = value {
            println!("{label:<44} {v:.2}");
        }
    };
    show("service ÷ (a) minimal 1/commit +lots", report.ratio);
    show("service ÷ (a) minimal 1/commit no lots", report.ratio_minimal_no_lots);
    show(&format!("service ÷ (b) minimal {BATCH}/commit +lots"), report.ratio_batch);
    show("service ÷ (c) pgbench tpcb-like", report.ratio_pgbench);
    show("service ÷ diagnostic own path", report.ratio_own_path);
    if let Some(cost) = report.lot_cost {
        let rounds: Vec<String> = report.lot_cost_rounds.iter().map(|c| format!("{:+.0} %", c * 100.0)).collect();
        let label = "lot allocation cost per claim, (a)";
        println!("{label:<44} {:+.0} % (median of rounds: {})", cost * 100.0, rounds.join(", "));
    }
    if let Some(cost) = report.lot_cost_batch {
        println!("{:<44} {:+.0} %", "lot allocation cost per claim, (b)", cost * 100.0);
    }
}
