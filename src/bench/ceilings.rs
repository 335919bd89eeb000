//! The claim ceilings of one `bench claims` run, measured right
//! after the HTTP load on the same database:
//!
//! * the old own-path ceiling (`claims::create` as the door wraps it), kept
//!   as a *diagnostic*;
//! * (a) the minimal durable unit, one transaction per claim (SQLite: one
//!   thread; PostgreSQL: K threads), with the lot allocation;
//! * (b) the same in batches of 64 per commit;
//! * then the invariants are checked, and the lot allocation's cost per
//!   claim is measured: (a) with and without it *interleaved* — each thread
//!   alternates a transaction with lots and one without, for twice the
//!   phase length — so that both kinds meet the same fsync times, cache and
//!   database size (separate phases on this disk drifted by up to 3× between
//!   runs seconds apart, which no number of rounds averaged out); the cost is
//!   the mean time per claim with lots ÷ without − 1, and the same of the
//!   medians; then (b) without it. Rows without lots are debits without
//!   allocations, so this runs last and only on a database this run created
//!   (`--reuse` skips it unless `--no-lots-too`);
//! * (c) PostgreSQL: `pgbench -b tpcb-like` with the same clients.

use super::ceiling::{self, Turns};
use super::load::{Kind, Plan};
use super::minimal::{self, Lots, Shape};
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
        phase(url, plan, Shape { threads, batch, lots: Lots::With }, report).await?;
    }
    if !args.no_verify {
        let u = url.to_string();
        let verdict = tokio::task::spawn_blocking(move || verify::check(&u, &[], false)).await??;
        verdict.print();
        report.violations.extend(verdict.violations);
    }
    if !args.reuse || args.no_lots_too {
        let paired = Plan { duration: plan.duration * 2, ..plan.clone() };
        phase(url, &paired, Shape { threads, batch: 1, lots: Lots::Interleaved }, report).await?;
        phase(url, plan, Shape { threads, batch: BATCH, lots: Lots::Without }, report).await?;
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

/// Runs one minimal-unit phase.
async fn phase(url: &str, plan: &Plan, shape: Shape, report: &mut RunReport) -> anyhow::Result<()> {
    let (u, p) = (url.to_string(), plan.clone());
    let summaries = tokio::task::spawn_blocking(move || minimal::run(&u, &p, shape)).await??;
    for summary in summaries {
        push(report, summary);
    }
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
    if let (Some(mean), Some(median)) = (report.lot_cost, report.lot_cost_p50) {
        let label = "lot allocation cost per claim, (a)";
        println!("{label:<44} {:+.1} % (interleaved; of the p50s: {:+.1} %)", mean * 100.0, median * 100.0);
    }
    if let Some(cost) = report.lot_cost_batch {
        println!("{:<44} {:+.0} %", "lot allocation cost per claim, (b)", cost * 100.0);
    }
}
