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
    /// Per-claim cost the lot allocation adds to (a) and (b): rate without
    /// lots ÷ rate with lots − 1.
    pub lot_cost: Option<f64>,
    /// The lot cost of (a) in each paired round (`ceilings::ROUNDS`); when
    /// present, `lot_cost` is their median.
    pub lot_cost_rounds: Vec<f64>,
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
        let a = self.phases.iter().find(|p| p.phase.starts_with("minimal 1/commit") && p.phase.ends_with("+lots"));
        let a = a.map(|p| p.per_second);
        let a_bare =
            self.phases.iter().find(|p| p.phase.starts_with("minimal 1/commit") && p.phase.ends_with("no lots"));
        let a_bare = a_bare.map(|p| p.per_second);
        let batch = |lots: &str| {
            self.phases
                .iter()
                .find(|p| p.phase.starts_with("minimal") && !p.phase.contains(" 1/commit") && p.phase.ends_with(lots))
                .map(|p| p.per_second)
        };
        let (b, b_bare) = (batch("+lots"), batch("no lots"));
        self.ratio = over(a);
        self.ratio_minimal_no_lots = over(a_bare);
        self.ratio_batch = over(b);
        self.ratio_pgbench = over(self.pgbench_tps);
        self.ratio_own_path = over(self.rate("diagnostic own path"));
        self.lot_cost = median(&self.lot_cost_rounds).or_else(|| a_bare.zip(a).map(|(bare, with)| bare / with - 1.0));
        self.lot_cost_batch = b_bare.zip(b).map(|(bare, with)| bare / with - 1.0);
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[0.3, -0.1, 0.2]), Some(0.2));
        assert_eq!(median(&[0.4, 0.1, 0.2, 0.3]), Some(0.25));
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
