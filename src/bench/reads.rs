//! The read comparisons of `bench wallet`, in the same run as its main
//! phase: `GET /healthz` on the same service (the HTTP floor: routing,
//! middleware, no token and no database), and the wallet read again with
//! the service logging at `warn` (no line per request), to show what the
//! request log costs.

use super::load::{Kind, Plan};
use super::measure::http_phase;
use super::report::RunReport;
use super::server::Service;
use super::LoadArgs;
use crate::config::Settings;
use std::sync::Arc;

const HEALTHZ_PHASE: &str = "healthz (HTTP, same service)";
const QUIET_PHASE: &str = "service (HTTP), log warn";

/// Runs both comparison phases, each on a fresh child service.
pub(crate) async fn compare(
    args: &LoadArgs,
    settings: &Arc<Settings>,
    url: &str,
    plan: &Plan,
    report: &mut RunReport,
) -> anyhow::Result<()> {
    let phases = [(HEALTHZ_PHASE, Kind::Healthz, args.service_log.as_str()), (QUIET_PHASE, Kind::Wallet, "warn")];
    for (name, kind, log_level) in phases {
        let service = Service::start(url, settings, log_level).await?;
        http_phase(service, name, settings, plan, kind, report).await?;
    }
    Ok(())
}

/// "wallet ÷ healthz" and "log info ÷ log warn", when the phases ran.
pub(crate) fn print_ratios(report: &RunReport, service_phase: &str) {
    let rate = |name: &str| report.phases.iter().find(|p| p.phase == name).map(|p| p.per_second);
    let (Some(wallet), Some(healthz), Some(quiet)) = (rate(service_phase), rate(HEALTHZ_PHASE), rate(QUIET_PHASE))
    else {
        return;
    };
    if healthz > 0.0 {
        println!("wallet reads ÷ /healthz (same run):      {:.2}", wallet / healthz);
    }
    if quiet > 0.0 {
        println!("wallet reads, log info ÷ log warn:       {:.2}", wallet / quiet);
    }
}
