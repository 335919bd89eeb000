//! Ceiling (c) on PostgreSQL: `pgbench -b tpcb-like` (five statements a
//! transaction) with the same client count, on the same server, in a
//! scratch database created and dropped here. Skipped when pgbench is not
//! installed.

use super::db::{connect, database_url};
use diesel::RunQueryDsl;
use std::process::Command;

/// Runs pgbench for `seconds` with `clients`; its tps (excluding the
/// initial connection time), or None when pgbench is missing.
pub(crate) fn run(server_url: &str, clients: usize, seconds: u64) -> anyhow::Result<Option<f64>> {
    if Command::new("pgbench").arg("--version").output().is_err() {
        println!("pgbench not installed: ceiling (c) skipped");
        return Ok(None);
    }
    let name = format!("lw_pgbench_{}", uuid::Uuid::new_v4().simple());
    let admin_url = database_url(server_url, "postgres");
    let mut admin = connect(&admin_url)?;
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
    let url = database_url(server_url, &name);
    let outcome = measure(&url, clients, seconds);
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin)?;
    outcome.map(Some)
}

fn measure(url: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    // Scale = clients, so that branches (one row each) are not the contention.
    let init = Command::new("pgbench").args(["-i", "-q", "-s", &clients.to_string(), url]).output()?;
    anyhow::ensure!(init.status.success(), "pgbench -i failed: {}", String::from_utf8_lossy(&init.stderr));
    let threads = clients.min(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let out = Command::new("pgbench")
        .args(["-b", "tpcb-like", "-c", &clients.to_string(), "-j", &threads.to_string()])
        .args(["-T", &seconds.to_string(), "-n", url])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(out.status.success(), "pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
    tps(&text).ok_or_else(|| anyhow::anyhow!("no tps in pgbench's output: {text}"))
}

/// `tps = 2803.123456 (without initial connection time)`.
fn tps(output: &str) -> Option<f64> {
    let line = output.lines().find(|l| l.starts_with("tps = ") && l.contains("without"))?;
    line["tps = ".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_tps() {
        let out = "number of transactions actually processed: 28000\n\
                   latency average = 11.4 ms\n\
                   initial connection time = 20.1 ms\n\
                   tps = 2803.123456 (without initial connection time)\n";
        assert_eq!(super::tps(out), Some(2803.123456));
        assert_eq!(super::tps("nothing"), None);
    }
}
