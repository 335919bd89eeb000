//! The claim ceilings of one `bench claims` run, measured right
//! after the HTTP load on the same database:
//!
//! * the old own-path ceiling (`claims::create` as the door wraps it), kept
//!   as a *diagnostic*;
//! * (a) the minimal durable unit, one transaction per claim (SQLite: one
//!   thread; PostgreSQL: K threads), with the lot allocation;
//! * (b) the same in batches of 64 per commit;
//! * then the invariants are checked, and (a) and (b) run again *without*
//!   the lot allocation (its cost per claim = rate without ÷ rate with − 1).
//!   Those rows are debits without allocations, so this runs last and only
//!   on a database this run created (`--reuse` skips it unless `--no-lots-too`);
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
        for batch in [1, BATCH] {
            phase(url, plan, Shape { threads, batch, lots: false }, report).await?;
        }
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

async fn phase(url: &str, plan: &Plan, shape: Shape, report: &mut RunReport) -> anyhow::Result<()> {
    let (u, p) = (url.to_string(), plan.clone());
    let summary = tokio::task::spawn_blocking(move || minimal::run(&u, &p, shape)).await??;
    push(report, summary);
    Ok(())
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
        println!("{:<44} {:+.0} %", "lot allocation cost per claim, (a)", cost * 100.0);
    }
    if let Some(cost) = report.lot_cost_batch {
        println!("{:<44} {:+.0} %", "lot allocation cost per claim, (b)", cost * 100.0);
    }
}
