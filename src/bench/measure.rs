//! `bench claims` and `bench wallet`: prepare the database, load the
//! service over HTTP, check the invariants, then run the same unit of work
//! directly against the database (the ceiling) and compare.

use super::ceiling::{self, Turns};
use super::db::Target;
use super::load::{self, Kind, Plan};
use super::report::{RunReport, Summary, Tally};
use super::server::{bench_settings, Service};
use super::{rss, verify, LoadArgs};
use crate::config::Settings;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

const SERVICE_PHASE: &str = "service (HTTP)";

pub(crate) async fn run(args: LoadArgs, env: Settings, kind: Kind) -> anyhow::Result<()> {
    let settings = Arc::new(bench_settings(&env)?);
    let prepare = args.clone();
    let target = tokio::task::spawn_blocking(move || Target::prepare(&prepare)).await??;
    let result = measure(&args, settings, &target, kind).await;
    let url = target.url.clone();
    let cleaned = tokio::task::spawn_blocking(move || target.cleanup(args.keep)).await?;
    if let Err(e) = cleaned {
        eprintln!("could not remove the bench database {url}: {e}");
    }
    let report = result?;
    anyhow::ensure!(report.violations.is_empty(), "invariants violated: {:?}", report.violations);
    Ok(())
}

async fn measure(args: &LoadArgs, settings: Arc<Settings>, target: &Target, kind: Kind) -> anyhow::Result<RunReport> {
    let plan = Plan {
        customers: target.customers,
        skip: 0,
        hot: args.hot,
        clients: args.clients,
        duration: Duration::from_secs(args.seconds),
    };
    let mut report = RunReport {
        mode: format!("{:?}{}", kind, if args.hot { " hot" } else { "" }).to_lowercase(),
        database: if super::db::is_postgres(&target.url) { "postgres".into() } else { "sqlite".into() },
        customers: plan.customers,
        clients: plan.clients,
        seconds: args.seconds,
        load_average: rss::load_average().into_iter().collect(),
        ..RunReport::default()
    };
    println!(
        "bench {}: {} customers, {} clients, {} s, {} ({})",
        report.mode, plan.customers, plan.clients, args.seconds, report.database, target.url
    );
    if !args.no_service {
        let acked = service_phase(args, &settings, &target.url, &plan, kind, &mut report).await?;
        if kind == Kind::Claim && !args.no_verify {
            check(&target.url, acked, &mut report).await?;
        }
        if kind == Kind::Wallet && args.url.is_none() {
            super::reads::compare(args, &settings, &target.url, &plan, &mut report).await?;
        }
    }
    if !args.no_ceiling && kind == Kind::Claim {
        super::ceilings::claims(args, &target.url, &plan, &mut report).await?;
    } else if !args.no_ceiling {
        ceiling_phases(&target.url, &plan, kind, &args.ceiling_synchronous, &mut report).await?;
        report.ratio = ratio(&report);
    }
    report.bench_peak_rss_mib = rss::peak_kib(None).map(rss::mib);
    report.load_average.extend(rss::load_average());
    print_footer(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report)
}

/// The HTTP load against a child service (or `--url`); returns the
/// acknowledged claim ids.
async fn service_phase(
    args: &LoadArgs,
    settings: &Arc<Settings>,
    url: &str,
    plan: &Plan,
    kind: Kind,
    report: &mut RunReport,
) -> anyhow::Result<Vec<String>> {
    let service = match &args.url {
        Some(base) => Service::attach(base, args.server_pid),
        None => Service::start(url, settings, &args.service_log).await?,
    };
    let (tally, usage) = http_phase(service, SERVICE_PHASE, settings, plan, kind, report).await?;
    report.service_peak_rss_mib = usage.service_peak_rss_kib.map(rss::mib);
    report.service_cpu_cores = usage.service_cores;
    report.bench_cpu_cores = usage.bench_cores;
    if let Some(path) = &args.record {
        record(path, &tally)?;
    }
    Ok(tally.acked)
}

/// What a phase's load used: CPU cores of the service and of this process
/// over the load, and the service's peak RSS so far.
pub(crate) struct Usage {
    pub(crate) service_cores: Option<f64>,
    pub(crate) bench_cores: Option<f64>,
    pub(crate) service_peak_rss_kib: Option<u64>,
}

/// One HTTP phase on `service`: `plan`'s load of `kind`, then the service
/// stopped (its log removed when the load went through) and the phase's
/// summary printed and kept in `report`.
pub(crate) async fn http_phase(
    mut service: Service,
    name: &str,
    settings: &Arc<Settings>,
    plan: &Plan,
    kind: Kind,
    report: &mut RunReport,
) -> anyhow::Result<(Tally, Usage)> {
    let cpu_before = (service.cpu_seconds(), rss::cpu_seconds(None));
    let loaded = load::run(&service.base, settings.clone(), plan, kind).await;
    let cpu_after = (service.cpu_seconds(), rss::cpu_seconds(None));
    let seconds = plan.duration.as_secs_f64().max(1e-3);
    let usage = Usage {
        service_cores: cpu_after.0.zip(cpu_before.0).map(|(a, b)| (a - b) / seconds),
        bench_cores: cpu_after.1.zip(cpu_before.1).map(|(a, b)| (a - b) / seconds),
        service_peak_rss_kib: service.peak_rss_kib(),
    };
    service.stop().await;
    let (mut tally, elapsed) = loaded?;
    service.discard_log();
    let summary = Summary::of(name, &mut tally, elapsed);
    summary.print();
    report.phases.push(summary);
    Ok((tally, usage))
}

fn record(path: &std::path::Path, tally: &Tally) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::OpenOptions::new().create(true).append(true).open(path)?);
    for id in &tally.acked {
        writeln!(file, "{id}")?;
    }
    file.flush()?;
    file.get_ref().sync_all()?;
    Ok(())
}

async fn check(url: &str, acked: Vec<String>, report: &mut RunReport) -> anyhow::Result<()> {
    let url = url.to_string();
    let verdict = tokio::task::spawn_blocking(move || verify::check(&url, &acked, false)).await??;
    verdict.print();
    report.violations.extend(verdict.violations);
    Ok(())
}

/// The direct read ceiling: K threads.
async fn ceiling_phases(
    url: &str,
    plan: &Plan,
    kind: Kind,
    synchronous: &Option<String>,
    report: &mut RunReport,
) -> anyhow::Result<()> {
    let (url, plan, sync) = (url.to_string(), plan.clone(), synchronous.clone());
    let summary =
        tokio::task::spawn_blocking(move || ceiling::run(&url, &plan, kind, Turns::Database, sync.as_deref()))
            .await??;
    summary.print();
    report.phases.push(summary);
    Ok(())
}

/// service ÷ the best durable ceiling.
fn ratio(report: &RunReport) -> Option<f64> {
    let service = report.phases.iter().find(|p| p.phase == SERVICE_PHASE)?.per_second;
    let best =
        report.phases.iter().filter(|p| p.phase.starts_with("ceiling")).map(|p| p.per_second).reduce(f64::max)?;
    (best > 0.0).then(|| service / best)
}

fn print_footer(report: &RunReport) {
    if report.mode.starts_with("claim") {
        super::ceilings::print(report);
    } else {
        if let Some(ratio) = report.ratio {
            println!("service ÷ read ceiling: {ratio:.2}");
        }
        super::reads::print_ratios(report, SERVICE_PHASE);
    }
    match report.service_peak_rss_mib {
        Some(mib) => println!("service peak RSS (VmHWM of its process): {mib:.1} MiB"),
        None => println!("service peak RSS: unknown (pass --server-pid with --url)"),
    }
    if let (Some(service), Some(bench)) = (report.service_cpu_cores, report.bench_cpu_cores) {
        println!("CPU during the HTTP load: service {service:.2} cores, load generator {bench:.2} cores");
    }
    if let Some(mib) = report.bench_peak_rss_mib {
        println!("bench process peak RSS: {mib:.1} MiB");
    }
    println!("load average (1 min) before, after: {:?} (2 cores, shared)", report.load_average);
}
