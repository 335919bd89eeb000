//! `bench seed`: fills a database with the bench shop, its enabled online
//! program, C customers and E ledger entries (with a claim, its stored
//! idempotent answer and its finished outbox row for every redeem), in big
//! transactions, consistent by construction: balance = Σ entries.

use super::db::{self, POINTS_PER_CLAIM, SHOP};
use super::seed_sql as sql;
use super::SeedArgs;
use crate::domain::money::Currency;
use crate::domain::program::{Channel, ProgramSettings};
use crate::store::pool::Backend;
use crate::store::{programs, shops, write_transaction, AnyConnection};
use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::time::Instant;

/// Every wallet opens with this many points: enough for any benchmark,
/// even all clients claiming from one wallet.
const OPENING_BALANCE: i64 = 1_000_000_000;
/// Customers per transaction.
const CHUNK: u64 = 20_000;

/// What to generate. Every customer gets `per_customer` entries.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) customers: u64,
    pub(crate) per_customer: u64,
    pub(crate) opening: i64,
    pub(crate) value_minor: i64,
}

impl Plan {
    pub(crate) fn new(customers: u64, entries: u64) -> anyhow::Result<Self> {
        anyhow::ensure!(customers > 0, "--customers must be at least 1");
        let per_customer = entries / customers;
        anyhow::ensure!(per_customer >= 1, "--entries must be at least --customers (one opening entry each)");
        Ok(Self { customers, per_customer, opening: OPENING_BALANCE, value_minor: 0 })
    }

    /// Entries k in 1..E with k % 10 = 5.
    pub(crate) fn redeems_per_customer(&self) -> u64 {
        (self.per_customer + 4) / 10
    }

    pub(crate) fn final_balance(&self) -> i64 {
        let entries = i64::try_from(self.per_customer).unwrap_or(i64::MAX);
        let redeems = i64::try_from(self.redeems_per_customer()).unwrap_or(0);
        self.opening + sql::EARN * (entries - 1 - redeems) - POINTS_PER_CLAIM * redeems
    }
}

pub(crate) fn run(args: &SeedArgs) -> anyhow::Result<()> {
    let plan = Plan::new(args.customers, args.entries)?;
    let started = Instant::now();
    fill(&args.database, &plan, true)?;
    let claims = plan.customers * plan.redeems_per_customer();
    println!(
        "seeded {} customers, {} ledger entries, {claims} claims in {:.1} s",
        plan.customers,
        plan.customers * plan.per_customer,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Creates the shop and program, then the rows, chunk by chunk.
pub(crate) fn fill(url: &str, plan: &Plan, progress: bool) -> anyhow::Result<()> {
    db::ensure_database(url)?;
    let backend = Backend::of_url(url);
    let mut conn = db::connect(url)?;
    anyhow::ensure!(db::bench_customers(&mut conn)? == 0, "{url} already holds bench customers");
    if backend == Backend::Sqlite {
        // A bulk load, not a claim: no fsync per chunk; the checkpoint at the end makes it durable.
        conn.batch_execute("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144;")?;
    }
    let (version, snapshot, value_minor) = enable_program(&mut conn)?;
    let plan = Plan { value_minor, ..plan.clone() };
    let started = Instant::now();
    let mut lo = 0;
    while lo < plan.customers {
        let hi = (lo + CHUNK).min(plan.customers);
        write_transaction(&mut conn, |c| insert_chunk(c, backend, lo, hi, &plan, version, &snapshot))
            .map_err(|e| anyhow::anyhow!("seeding customers {lo}..{hi}: {e:?}"))?;
        if progress && (hi.is_multiple_of(CHUNK * 10) || hi == plan.customers) {
            println!("  {hi} customers ({:.0} s)", started.elapsed().as_secs_f64());
        }
        lo = hi;
    }
    settle(&mut conn, backend, &plan)
}

fn insert_chunk(
    conn: &mut AnyConnection,
    backend: Backend,
    lo: u64,
    hi: u64,
    plan: &Plan,
    version: i64,
    snapshot: &str,
) -> crate::error::AppResult<()> {
    diesel::sql_query(sql::customers(backend, lo, hi, plan)).execute(conn)?;
    diesel::sql_query(sql::ledger(backend, lo, hi, plan)).execute(conn)?;
    diesel::sql_query(sql::lots(backend, lo, hi, plan)).execute(conn)?;
    if plan.redeems_per_customer() > 0 {
        diesel::sql_query(sql::claims(backend, lo, hi, plan, version, snapshot)).execute(conn)?;
        diesel::sql_query(sql::idempotency(backend, lo, hi, plan)).execute(conn)?;
        diesel::sql_query(sql::outbox(backend, lo, hi, plan)).execute(conn)?;
    }
    Ok(())
}

/// The bench shop (native, USD) with an enabled online program:
/// 100 points = 1.00, 100..10,000 points a claim. Returns the program's
/// version, its stored settings and the value of one claim.
fn enable_program(conn: &mut AnyConnection) -> anyhow::Result<(i64, String, i64)> {
    let settings = ProgramSettings { enabled: true, ..ProgramSettings::initial() };
    let program = write_transaction(conn, |c| {
        shops::ensure(c, SHOP)?;
        programs::save_new_version(c, SHOP, Channel::Online, &settings, Utc::now().naive_utc())
    })
    .map_err(|e| anyhow::anyhow!("enabling the bench program: {e:?}"))?;
    let snapshot = serde_json::to_string(&program.settings)?;
    let currency = Currency::parse("USD").map_err(anyhow::Error::msg)?;
    let value_minor = program.settings.ratio().value_minor(POINTS_PER_CLAIM, currency);
    Ok((program.version, snapshot, value_minor))
}

/// Makes the load durable and the planner informed about what was loaded,
/// as a settled database is. On PostgreSQL only the tables written here are
/// analyzed: a table analyzed while empty makes every connection's cached
/// generic plan for a key lookup on it a sequential scan (the planner then
/// trusts the table's size at planning time, one page), kept until the next
/// autoanalyze, up to a minute later. A new installation never analyzes its
/// empty tables (autovacuum waits for 50 changed rows), so neither does the
/// bench: analyzing them all made idempotency and code lookups scan the
/// growing tables for the whole run (-30 % claims/s, BENCHMARKS.md).
fn settle(conn: &mut AnyConnection, backend: Backend, plan: &Plan) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?,
        Backend::Postgres => conn.batch_execute(&format!("VACUUM ANALYZE {};", seeded_tables(plan).join(", ")))?,
    }
    Ok(())
}

/// The tables `insert_chunk` and `enable_program` write for this plan.
fn seeded_tables(plan: &Plan) -> Vec<&'static str> {
    let mut tables = vec!["shops", "programs", "customers", "ledger_entries", "lots"];
    if plan.redeems_per_customer() > 0 {
        tables.extend(["claims", "idempotency_keys", "outbox"]);
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_balance_matches_the_entries() {
        for per_customer in [1, 4, 5, 6, 10, 15, 16, 25] {
            let plan = Plan::new(1, per_customer).expect("plan");
            let mut balance = 0;
            let mut redeems = 0;
            for k in 0..per_customer {
                balance += match k {
                    0 => OPENING_BALANCE,
                    k if k % 10 == 5 => {
                        redeems += 1;
                        -POINTS_PER_CLAIM
                    }
                    _ => sql::EARN,
                };
            }
            assert_eq!(plan.final_balance(), balance, "E = {per_customer}");
            assert_eq!(plan.redeems_per_customer(), redeems, "E = {per_customer}");
        }
    }

    #[test]
    fn a_seeded_database_keeps_every_invariant_and_a_broken_one_is_caught() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("seed.db").to_string_lossy().to_string();
        fill(&url, &Plan::new(40, 40 * 25).expect("plan"), false).expect("seed");
        let verdict = super::super::verify::check(&url, &[], true).expect("verify");
        assert!(verdict.violations.is_empty(), "{:?}", verdict.violations);
        assert_eq!((verdict.customers, verdict.entries, verdict.claims), (40, 1000, 40 * 2));
        let mut conn = db::connect(&url).expect("connect");
        conn.batch_execute("UPDATE customers SET points_balance = points_balance + 1 WHERE id = 'c00000003'")
            .expect("tamper");
        let verdict = super::super::verify::check(&url, &[], false).expect("verify");
        assert_eq!(verdict.violations.len(), 2, "ledger and lots both disagree: {:?}", verdict.violations);
    }
}
