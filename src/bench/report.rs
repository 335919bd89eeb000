//! What a load phase measured (successes, latencies, errors by kind) and
//! how it is printed.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Raw results of one client or thread.
#[derive(Debug, Default)]
pub struct Tally {
    pub ok: u64,
    /// Latency of every request (successful or not), in microseconds.
    pub latencies_us: Vec<u32>,
    /// "409 insufficient_points", "transport", … → count.
    pub errors: BTreeMap<String, u64>,
    /// Ids of the claims whose success was received.
    pub acked: Vec<String>,
}

impl Tally {
    pub fn latency(&mut self, elapsed: Duration) {
        self.latencies_us.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn error(&mut self, label: String) {
        *self.errors.entry(label).or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.latencies_us.extend(other.latencies_us);
        for (label, n) in other.errors {
            *self.errors.entry(label).or_default() += n;
        }
        self.acked.extend(other.acked);
    }
}

/// One phase, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub phase: String,
    pub ok: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: BTreeMap<String, u64>,
    /// 1-minute load average at the end of the phase (2 shared cores).
    pub load_average: Option<f64>,
}

impl Summary {
    pub fn of(phase: &str, tally: &mut Tally, elapsed: Duration) -> Self {
        tally.latencies_us.sort_unstable();
        let at = |q: f64| percentile_ms(&tally.latencies_us, q);
        let seconds = elapsed.as_secs_f64();
        Self {
            phase: phase.to_string(),
            ok: tally.ok,
            seconds,
            per_second: if seconds > 0.0 { tally.ok as f64 / seconds } else { 0.0 },
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            max_ms: at(1.0),
            errors: tally.errors.clone(),
            load_average: super::rss::load_average(),
        }
    }

    pub fn print(&self) {
        println!(
            "{:<30} {:>9.0}/s  ok {:>8}  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  load {}",
            self.phase,
            self.per_second,
            self.ok,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms,
            self.load_average.map_or("?".to_string(), |l| format!("{l:.1}"))
        );
        for (label, n) in &self.errors {
            println!("{:<26}   error {label}: {n}", "");
        }
    }
}

fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((sorted_us.len() as f64 * q).ceil() as usize).clamp(1, sorted_us.len());
    f64::from(sorted_us[rank - 1]) / 1000.0
}

/// Everything one `bench claims|wallet` run reports (also as JSON).
#[derive(Debug, Default, Serialize)]
pub struct RunReport {
    pub mode: String,
    pub database: String,
    pub customers: u64,
    pub clients: usize,
    pub seconds: u64,
    pub phases: Vec<Summary>,
    /// Claims: service ÷ (a), the minimal unit with lots, one transaction
    /// per claim. Wallet reads: service ÷ the read ceiling.
    pub ratio: Option<f64>,
    /// service ÷ (a) without the lot allocation.
    pub ratio_minimal_no_lots: Option<f64>,
    /// service ÷ (b), the minimal unit with lots in batches of 64.
    pub ratio_batch: Option<f64>,
    /// service ÷ (c), pgbench tpcb-like (PostgreSQL).
    pub ratio_pgbench: Option<f64>,
    /// service ÷ the old own-path ceiling (a diagnostic).
    pub ratio_own_path: Option<f64>,
    pub pgbench_tps: Option<f64>,
    /// Per-claim cost the lot allocation adds to (a), from the interleaved
    /// phase when it ran: mean time per claim with lots ÷ without − 1
    /// (rate without ÷ rate with − 1).
    pub lot_cost: Option<f64>,
    /// The same of the interleaved phase's median latencies.
    pub lot_cost_p50: Option<f64>,
    /// The same for (b): rate without ÷ rate with − 1 (separate phases).
    pub lot_cost_batch: Option<f64>,
    pub service_peak_rss_mib: Option<f64>,
    pub bench_peak_rss_mib: Option<f64>,
    /// CPU cores busy during the HTTP load, per process.
    pub service_cpu_cores: Option<f64>,
    pub bench_cpu_cores: Option<f64>,
    /// 1-minute load average before and after the run (2 shared cores).
    pub load_average: Vec<f64>,
    pub violations: Vec<String>,
}

impl RunReport {
    /// Requests per second of the first phase whose name starts with `prefix`.
    pub fn rate(&self, prefix: &str) -> Option<f64> {
        self.phases.iter().find(|p| p.phase.starts_with(prefix)).map(|p| p.per_second).filter(|r| *r > 0.0)
    }

    /// The claim ratios, from the phases measured (names from `minimal::Shape`).
    pub fn fill_ratios(&mut self) {
        let service = self.rate("service");
        let over = |ceiling: Option<f64>| service.zip(ceiling).map(|(s, c)| s / c);
        let one = |name: &dyn Fn(&str) -> bool| self.phases.iter().find(|p| name(&p.phase));
        let single = |lots: &'static str| move |n: &str| n.starts_with("minimal 1/commit") && n.ends_with(lots);
        let paired = |lots: &'static str| move |n: &str| n.starts_with("minimal 1/commit") && n.contains(lots);
        let batch = |lots: &'static str| {
            move |n: &str| n.starts_with("minimal") && !n.contains(" 1/commit") && n.ends_with(lots)
        };
        let a = one(&single("+lots")).map(|p| p.per_second);
        let paired = one(&paired("no lots (interleaved)")).zip(one(&paired("+lots (interleaved)")));
        let (b, b_bare) = (one(&batch("+lots")).map(|p| p.per_second), one(&batch("no lots")).map(|p| p.per_second));
        self.ratio = over(a);
        self.ratio_minimal_no_lots = over(paired.map(|(bare, _)| bare.per_second));
        self.ratio_batch = over(b);
        self.ratio_pgbench = over(self.pgbench_tps);
        self.ratio_own_path = over(self.rate("diagnostic own path"));
        let cost = |bare: f64, with: f64| (bare > 0.0 && with > 0.0).then(|| bare / with - 1.0);
        self.lot_cost = paired.and_then(|(bare, with)| cost(bare.per_second, with.per_second));
        self.lot_cost_p50 = paired.and_then(|(bare, with)| cost(with.p50_ms, bare.p50_ms));
        self.lot_cost_batch = b_bare.zip(b).and_then(|(bare, with)| cost(bare, with));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(name: &str, per_second: f64, p50_ms: f64) -> Summary {
        let mut tally = Tally { ok: 1, ..Tally::default() };
        let mut summary = Summary::of(name, &mut tally, Duration::from_secs(1));
        (summary.per_second, summary.p50_ms) = (per_second, p50_ms);
        summary
    }

    #[test]
    fn the_lot_cost_comes_from_the_interleaved_pair() {
        let mut report = RunReport {
            phases: vec![
                phase("service (HTTP)", 1500.0, 20.0),
                phase("minimal 1/commit 1t +lots", 1200.0, 0.8),
                phase("minimal 64/commit 1t +lots", 3000.0, 20.0),
                phase("minimal 1/commit 1t no lots (interleaved)", 1000.0, 1.0),
                phase("minimal 1/commit 1t +lots (interleaved)", 800.0, 1.1),
                phase("minimal 64/commit 1t no lots", 4000.0, 15.0),
            ],
            ..RunReport::default()
        };
        report.fill_ratios();
        assert_eq!(report.ratio, Some(1.25), "service ÷ the separate (a) with lots");
        assert_eq!(report.ratio_minimal_no_lots, Some(1.5));
        assert_eq!(report.lot_cost, Some(0.25), "1000/800 − 1");
        let near = |value: Option<f64>, expected: f64| value.is_some_and(|v| (v - expected).abs() < 1e-9);
        assert!(near(report.lot_cost_p50, 0.1), "1.1/1.0 − 1: {:?}", report.lot_cost_p50);
        assert!(near(report.lot_cost_batch, 1.0 / 3.0), "{:?}", report.lot_cost_batch);
    }

    #[test]
    fn percentiles_by_rank() {
        let mut tally = Tally::default();
        for ms in 1..=100 {
            tally.latency(Duration::from_millis(ms));
        }
        tally.ok = 100;
        let summary = Summary::of("x", &mut tally, Duration::from_secs(2));
        assert_eq!(summary.p50_ms, 50.0);
        assert_eq!(summary.p99_ms, 99.0);
        assert_eq!(summary.max_ms, 100.0);
        assert_eq!(summary.per_second, 50.0);
    }
}
