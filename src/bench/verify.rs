//! The invariants of docs/DESIGN.md checked straight in the database, in one
//! snapshot: balance = Σ ledger ≥ 0, one redeem entry of its points per
//! claim (and a credit only for a closed claim), no half-written
//! idempotency record, every acknowledged claim present, the lot
//! invariants (invariant 9); on SQLite also
//! `PRAGMA integrity_check`.

use super::db::{self, SHOP};
use super::VerifyArgs;
use crate::store::AnyConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use std::collections::BTreeSet;

const CHECKS: &[(&str, &str)] = &[
    (
        "balance differs from the sum of its ledger",
        "SELECT COUNT(*) AS n FROM customers c WHERE c.points_balance <> COALESCE((SELECT SUM(e.delta) \
         FROM ledger_entries e WHERE e.shop_id = c.shop_id AND e.customer_id = c.id), 0)",
    ),
    ("negative balance", "SELECT COUNT(*) AS n FROM customers WHERE points_balance < 0"),
    ("negative balance_after", "SELECT COUNT(*) AS n FROM ledger_entries WHERE balance_after < 0"),
    (
        "claim without exactly one redeem entry of its points",
        "SELECT COUNT(*) AS n FROM claims c WHERE (SELECT COUNT(*) FROM ledger_entries e WHERE \
         e.shop_id = c.shop_id AND e.claim_id = c.id AND e.kind = 'redeem' AND e.delta = -c.points) <> 1",
    ),
    (
        "redeem entry without its claim",
        "SELECT COUNT(*) AS n FROM ledger_entries e WHERE e.kind = 'redeem' AND NOT EXISTS \
         (SELECT 1 FROM claims c WHERE c.shop_id = e.shop_id AND c.id = e.claim_id)",
    ),
    (
        "closed claim without one credit of its points (or an open one with any)",
        "SELECT COUNT(*) AS n FROM claims c WHERE (SELECT COUNT(*) FROM ledger_entries e WHERE \
         e.shop_id = c.shop_id AND e.claim_id = c.id AND e.delta > 0) <> CASE WHEN c.status IN \
         ('refunded', 'failed', 'expired') THEN 1 ELSE 0 END",
    ),
    ("idempotency key reserved but never answered", "SELECT COUNT(*) AS n FROM idempotency_keys WHERE status_code = 0"),
    (
        "balance differs from the sum of its lots' remainders",
        "SELECT COUNT(*) AS n FROM customers c WHERE c.points_balance <> COALESCE((SELECT SUM(l.remaining) \
         FROM lots l WHERE l.shop_id = c.shop_id AND l.customer_id = c.id), 0)",
    ),
    (
        "lot remainder below 0 or above its points",
        "SELECT COUNT(*) AS n FROM lots WHERE remaining < 0 OR remaining > points",
    ),
    ("lot open flag differs from remainder > 0", "SELECT COUNT(*) AS n FROM lots WHERE open <> (remaining > 0)"),
    (
        "lot remainder differs from its points less its allocations",
        "SELECT COUNT(*) AS n FROM lots l LEFT JOIN (SELECT shop_id, lot_id, SUM(points) AS taken FROM \
         lot_allocations GROUP BY shop_id, lot_id) a ON a.shop_id = l.shop_id AND a.lot_id = l.id \
         WHERE l.remaining <> l.points - COALESCE(a.taken, 0)",
    ),
    (
        "entry whose allocations do not sum to its points",
        "SELECT COUNT(*) AS n FROM ledger_entries e WHERE EXISTS (SELECT 1 FROM lot_allocations a WHERE \
         a.shop_id = e.shop_id AND a.entry_id = e.id) AND (SELECT SUM(a.points) FROM lot_allocations a WHERE \
         a.shop_id = e.shop_id AND a.entry_id = e.id) <> -e.delta",
    ),
    (
        "debit without allocations (after lots began)",
        "SELECT COUNT(*) AS n FROM ledger_entries e WHERE e.delta < 0 AND NOT EXISTS (SELECT 1 FROM \
         lot_allocations a WHERE a.shop_id = e.shop_id AND a.entry_id = e.id) AND NOT EXISTS (SELECT 1 FROM lots m \
         WHERE m.shop_id = e.shop_id AND m.customer_id = e.customer_id AND m.id = 'migrated-' || e.customer_id \
         AND m.entry_id >= e.id)",
    ),
    (
        "pending points differ from the sum of pending_delta, or are negative",
        "SELECT COUNT(*) AS n FROM customers c WHERE COALESCE((SELECT SUM(e.pending_delta) FROM ledger_entries e \
         WHERE e.shop_id = c.shop_id AND e.customer_id = c.id), 0) <> COALESCE((SELECT SUM(p.points) FROM \
         pending_points p WHERE p.shop_id = c.shop_id AND p.customer_id = c.id), 0) OR EXISTS (SELECT 1 FROM \
         pending_points p WHERE p.shop_id = c.shop_id AND p.customer_id = c.id AND p.points < 0)",
    ),
    (
        "claim return that does not restore exactly the claim's allocations",
        "SELECT COUNT(*) AS n FROM ledger_entries r JOIN ledger_entries d ON d.shop_id = r.shop_id AND \
         d.claim_id = r.claim_id AND d.kind = 'redeem' WHERE r.claim_id IS NOT NULL AND r.delta > 0 AND \
         EXISTS (SELECT 1 FROM lot_allocations a WHERE a.shop_id = d.shop_id AND a.entry_id = d.id) AND (\
         EXISTS (SELECT 1 FROM lot_allocations a WHERE a.shop_id = d.shop_id AND a.entry_id = d.id AND NOT EXISTS \
         (SELECT 1 FROM lot_allocations b WHERE b.shop_id = r.shop_id AND b.entry_id = r.id AND b.lot_id = a.lot_id \
         AND b.points = -a.points)) OR (SELECT COUNT(*) FROM lot_allocations b WHERE b.shop_id = r.shop_id AND \
         b.entry_id = r.id) <> (SELECT COUNT(*) FROM lot_allocations a WHERE a.shop_id = d.shop_id AND \
         a.entry_id = d.id))",
    ),
];

/// What the checks found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub customers: i64,
    pub claims: i64,
    pub entries: i64,
    pub acked: usize,
    pub violations: Vec<String>,
}

impl Verdict {
    pub fn print(&self) {
        println!(
            "invariants: {} customers, {} claims, {} ledger entries, {} acknowledged claims checked: {}",
            self.customers,
            self.claims,
            self.entries,
            self.acked,
            if self.violations.is_empty() { "all hold".to_string() } else { "VIOLATED".to_string() }
        );
        for violation in &self.violations {
            println!("  VIOLATION: {violation}");
        }
    }
}

/// `bench verify`: the full integrity check on SQLite; fails on any violation.
pub fn run_command(args: &VerifyArgs) -> anyhow::Result<()> {
    let acked = match &args.acked {
        Some(path) => std::fs::read_to_string(path)?.lines().map(str::trim).map(str::to_string).collect(),
        None => Vec::new(),
    };
    let verdict = check(&args.database, &acked, true)?;
    verdict.print();
    anyhow::ensure!(verdict.violations.is_empty(), "{} invariant violation(s)", verdict.violations.len());
    Ok(())
}

/// Runs every check (blocking). `full` = `integrity_check` rather than `quick_check`.
pub fn check(url: &str, acked: &[String], full: bool) -> anyhow::Result<Verdict> {
    let mut conn = db::connect(url)?;
    // The audit reads every row: the service's statement timeout does not apply.
    let begin = match db::is_postgres(url) {
        true => "SET statement_timeout = 0; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        false => "BEGIN",
    };
    conn.batch_execute(begin)?;
    let verdict = snapshot_checks(&mut conn, acked);
    conn.batch_execute("COMMIT")?;
    let mut verdict = verdict?;
    if !db::is_postgres(url) {
        let integrity = integrity(&mut conn, full)?;
        if integrity != "ok" {
            verdict.violations.push(format!("SQLite integrity check: {integrity}"));
        }
    }
    Ok(verdict)
}

fn snapshot_checks(conn: &mut AnyConnection, acked: &[String]) -> anyhow::Result<Verdict> {
    let mut verdict = Verdict {
        customers: db::count(conn, "SELECT COUNT(*) AS n FROM customers")?,
        claims: db::count(conn, "SELECT COUNT(*) AS n FROM claims")?,
        entries: db::count(conn, "SELECT COUNT(*) AS n FROM ledger_entries")?,
        ..Verdict::default()
    };
    for (name, sql) in CHECKS {
        let n = db::count(conn, sql)?;
        if n > 0 {
            verdict.violations.push(format!("{name}: {n}"));
        }
    }
    let (checked, missing) = missing_acked(conn, acked)?;
    verdict.acked = checked;
    if missing > 0 {
        verdict.violations.push(format!("acknowledged claims missing from the database: {missing}"));
    }
    Ok(verdict)
}

/// How many distinct acknowledged ids were checked, and how many are absent.
fn missing_acked(conn: &mut AnyConnection, acked: &[String]) -> anyhow::Result<(usize, i64)> {
    let mut ids = BTreeSet::new();
    for raw in acked.iter().filter(|line| !line.is_empty()) {
        let id = uuid::Uuid::parse_str(raw).map_err(|_| anyhow::anyhow!("{raw:?} is not a claim id"))?;
        ids.insert(id.hyphenated().to_string());
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let mut missing = 0;
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT COUNT(*) AS n FROM claims WHERE shop_id = '{SHOP}' AND id IN ({list})");
        missing += i64::try_from(chunk.len())? - db::count(conn, &sql)?;
    }
    Ok((ids.len(), missing))
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    result: String,
}

fn integrity(conn: &mut AnyConnection, full: bool) -> anyhow::Result<String> {
    let pragma = if full { "integrity_check" } else { "quick_check" };
    let lines: Vec<Line> = diesel::sql_query(format!("SELECT {pragma} AS result FROM pragma_{pragma}()")).load(conn)?;
    Ok(lines.into_iter().map(|l| l.result).collect::<Vec<_>>().join("; "))
}
