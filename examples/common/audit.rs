//! What must hold once the relays are done: every claim's code at the
//! platform exactly once while it is usable and never after its refund, no
//! code the database does not know, every acknowledged claim stored, and
//! the ledger invariants (`loyalty-wallet bench verify`, by its exit code).
#![allow(dead_code)]

use super::claim_load::AcceptedClaim;
use super::shopify_double::DiscountRecord;
use diesel::prelude::*;
use diesel::sql_types::Text;
use loyalty_wallet::bench::db;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(QueryableByName, Debug)]
struct StoredClaim {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    status: String,
}

/// Waits until no outbox row is pending and no claim of `shop` waits for
/// the platform; returns how long that took.
pub async fn wait_drained(url: &str, shop: &str, within: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let waiting = format!(
        "SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending') + (SELECT COUNT(*) FROM claims \
         WHERE shop_id = '{shop}' AND status IN ('pending', 'refund_pending')) AS n"
    );
    loop {
        let (url, sql) = (url.to_string(), waiting.clone());
        let left = tokio::task::spawn_blocking(move || -> anyhow::Result<i64> {
            Ok(db::count(&mut db::connect(&url)?, &sql)?)
        })
        .await??;
        if left == 0 {
            return Ok(started.elapsed());
        }
        anyhow::ensure!(started.elapsed() < within, "{left} outbox rows or claims still waiting after {within:?}");
        if std::env::var_os("DRAIN_PROGRESS").is_some() {
            eprintln!("  {:.1} s: {left} outbox rows and claims waiting", started.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn stored_claims(conn: &mut loyalty_wallet::store::AnyConnection, shop: &str) -> QueryResult<Vec<StoredClaim>> {
    diesel::sql_query(format!("SELECT id, code, status FROM claims WHERE shop_id = '{shop}'")).load(conn)
}

/// Violations between what the load was told and the database.
pub fn acknowledged_violations(url: &str, shop: &str, accepted: &[AcceptedClaim]) -> anyhow::Result<Vec<String>> {
    let stored = stored_claims(&mut db::connect(url)?, shop)?;
    let by_id: HashMap<&str, &StoredClaim> = stored.iter().map(|c| (c.id.as_str(), c)).collect();
    Ok(answered_violations(accepted, &by_id))
}

/// Violations between the database and the discounts at the double.
pub fn platform_violations(url: &str, shop: &str, discounts: &[DiscountRecord]) -> anyhow::Result<Vec<String>> {
    let mut conn = db::connect(url)?;
    let stored = stored_claims(&mut conn, shop)?;
    let dead = db::count(&mut conn, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'dead'")?;
    let mut violations = Vec::new();
    if dead > 0 {
        violations.push(format!("{dead} outbox rows given up (dead)"));
    }
    let mut at_platform: HashMap<String, Vec<&DiscountRecord>> = HashMap::new();
    for discount in discounts {
        at_platform.entry(discount.code.to_lowercase()).or_default().push(discount);
    }
    for claim in &stored {
        let records = at_platform.get(&claim.code.to_lowercase()).map_or(&[][..], Vec::as_slice);
        violations.extend(claim_violation(claim, records));
    }
    let known: HashSet<String> = stored.iter().map(|c| c.code.to_lowercase()).collect();
    let strays = at_platform.keys().filter(|code| !known.contains(*code)).count();
    if strays > 0 {
        violations.push(format!("{strays} codes at the platform that no claim has"));
    }
    Ok(violations)
}

/// Each acknowledged claim is stored with the code the shopper was given,
/// and refunded when its refund was accepted.
fn answered_violations(accepted: &[AcceptedClaim], stored: &HashMap<&str, &StoredClaim>) -> Vec<String> {
    let mut violations = Vec::new();
    for claim in accepted {
        match stored.get(claim.id.as_str()) {
            None => violations.push(format!("claim {} was acknowledged but is not stored", claim.id)),
            Some(row) if row.code != claim.code => {
                violations.push(format!("claim {}: answered code {} but stored {}", claim.id, claim.code, row.code))
            }
            Some(row) if claim.refunded && row.status != "refunded" => {
                violations.push(format!("claim {}: refund accepted but the claim is {}", claim.id, row.status))
            }
            Some(_) => {}
        }
    }
    violations
}

/// An active claim: exactly one discount with its code, live. A refunded
/// one: at most one discount ever, none live. Nothing else is expected.
fn claim_violation(claim: &StoredClaim, records: &[&DiscountRecord]) -> Option<String> {
    let live = records.iter().filter(|d| !d.deleted).count();
    let problem = match claim.status.as_str() {
        "active" if records.len() != 1 || live != 1 => {
            format!("active, {} discounts at the platform ({live} live)", records.len())
        }
        "refunded" if records.len() > 1 || live > 0 => {
            format!("refunded, {} discounts at the platform ({live} live)", records.len())
        }
        "active" | "refunded" => return None,
        other => format!("ended {other}"),
    };
    Some(format!("claim {} (code {}): {problem}", claim.id, claim.code))
}

/// `loyalty-wallet bench verify --database url --acked file`: true when it exits 0.
pub fn verify_passes(binary: &Path, url: &str, accepted: &[AcceptedClaim]) -> anyhow::Result<bool> {
    let acked = tempfile::NamedTempFile::new()?;
    let ids: Vec<&str> = accepted.iter().map(|c| c.id.as_str()).collect();
    std::fs::write(acked.path(), ids.join("\n"))?;
    let output = std::process::Command::new(binary)
        .args(["bench", "verify", "--database", url, "--acked"])
        .arg(acked.path())
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .output()?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    Ok(output.status.success())
}
