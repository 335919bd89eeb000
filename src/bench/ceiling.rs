//! The ceiling: the service's unit of work run straight against the
//! database from K OS threads, each on its own pooled connection, one
//! transaction per claim (`write_transaction`), no HTTP, no group writer.
//! A claim is what `api::idempotency::answer` wraps around `claims::create`:
//! look the key up, reserve it, create the claim, store the answer.

use super::db::{POINTS_PER_CLAIM, SHOP};
use super::load::{Kind, Plan};
use super::report::{Summary, Tally};
use crate::api::claim_flow::wallet_view;
use crate::api::views::ClaimView;
use crate::domain::ids::{CustomerId, ShopDomain};
use crate::domain::points::Points;
use crate::domain::program::Channel;
use crate::error::{AppError, AppResult};
use crate::store::claims::{self, ClaimRequest};
use crate::store::idempotency::{self as stored, Scope};
use crate::store::programs;
use crate::store::{pool, wallets, write_transaction, AnyConnection};
use chrono::Utc;
use diesel::connection::SimpleConnection;
use rand::rngs::StdRng;
use rand::SeedableRng;
use sha2::{Digest, Sha256};
use std::time::Instant;

/// Who issues the transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turns {
    /// K threads, as the database arbitrates (SQLite: BEGIN IMMEDIATE and
    /// busy_timeout sleeps; PostgreSQL: row locks).
    Database,
    /// One thread: SQLite runs one write transaction at a time anyway, so
    /// this is its one-transaction-per-claim rate without hand-overs.
    Serial,
}

/// Runs the ceiling for the plan's duration (blocking). `synchronous`
/// overrides SQLite's durability setting (a diagnostic, never the default).
pub(crate) fn run(
    url: &str,
    plan: &Plan,
    kind: Kind,
    turns: Turns,
    synchronous: Option<&str>,
) -> anyhow::Result<Summary> {
    let threads = if turns == Turns::Serial { 1 } else { plan.clients };
    let (pool, _) = pool::build(url, u32::try_from(threads)?)?;
    let started = Instant::now();
    let deadline = started + plan.duration;
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (pool, plan) = (pool.clone(), plan.clone());
            let pragma = synchronous.map(|mode| format!("PRAGMA synchronous = {mode}"));
            std::thread::spawn(move || -> anyhow::Result<Tally> {
                let mut conn = pool.get()?;
                if let (Some(pragma), AnyConnection::Sqlite(_)) = (&pragma, &mut *conn) {
                    conn.batch_execute(pragma)?;
                }
                Ok(thread_loop(&mut conn, &plan, kind, deadline))
            })
        })
        .collect();
    let mut total = Tally::default();
    for handle in handles {
        let tally = handle.join().map_err(|_| anyhow::anyhow!("a ceiling thread panicked"))??;
        total.merge(tally);
    }
    let name = match (kind, turns) {
        (Kind::Claim, Turns::Database) => format!("diagnostic own path {threads}t"),
        (Kind::Claim, Turns::Serial) => "diagnostic own path 1t".to_string(),
        (Kind::Wallet | Kind::Healthz, _) => format!("ceiling ({threads} threads, reads)"),
    };
    let name = match synchronous {
        Some(mode) => format!("{name} sync={mode}"),
        None => name.to_string(),
    };
    Ok(Summary::of(&name, &mut total, started.elapsed()))
}

fn thread_loop(conn: &mut AnyConnection, plan: &Plan, kind: Kind, deadline: Instant) -> Tally {
    let mut rng = StdRng::from_entropy();
    let mut tally = Tally::default();
    while Instant::now() < deadline {
        let customer = plan.pick(&mut rng);
        let started = Instant::now();
        let outcome = match kind {
            Kind::Claim => write_transaction(conn, |c| claim_unit(c, &customer)),
            Kind::Wallet | Kind::Healthz => wallet_unit(conn, &customer),
        };
        tally.latency(started.elapsed());
        match outcome {
            Ok(id) => {
                tally.ok += 1;
                tally.acked.extend(id);
            }
            Err(e) => tally.error(format!("{} {}", e.status.as_u16(), e.code.as_str())),
        }
    }
    tally
}

/// One claim with its idempotency record, as the service's claim door does it.
fn claim_unit(conn: &mut AnyConnection, customer: &str) -> AppResult<Option<String>> {
    let request = ClaimRequest {
        shop: ShopDomain::parse(SHOP).map_err(AppError::internal_msg)?,
        customer: CustomerId::parse(customer).map_err(AppError::internal_msg)?,
        channel: Channel::Online,
        points: Points::parse(POINTS_PER_CLAIM).map_err(AppError::internal_msg)?,
        purchase_type: None,
        segment_member: None,
    };
    let (principal, key) = (format!("customer:{customer}"), uuid::Uuid::new_v4().to_string());
    let scope = Scope { shop_id: SHOP, principal: &principal, key: &key };
    let fingerprint = hex::encode(Sha256::digest(format!("POST /api/v1/claims\n{{\"points\":{POINTS_PER_CLAIM}}}")));
    if !stored::reserve(conn, &scope, &fingerprint, Utc::now().naive_utc())? {
        return Err(AppError::internal_msg("a fresh key was already reserved"));
    }
    let row = claims::create(conn, &request)?;
    let body = serde_json::to_string(&ClaimView::from(&row)).map_err(AppError::internal)?;
    stored::complete(conn, &scope, 201, &body)?;
    Ok(Some(row.id))
}

/// The wallet read behind GET /api/v1/wallet, rendered as its JSON.
fn wallet_unit(conn: &mut AnyConnection, customer: &str) -> AppResult<Option<String>> {
    static PROGRAMS: std::sync::LazyLock<programs::Cache> = std::sync::LazyLock::new(programs::Cache::default);
    let wallet = wallets::find(conn, SHOP, customer, Channel::Online, &PROGRAMS)?
        .ok_or_else(|| AppError::not_found("wallet"))?;
    serde_json::to_string(&wallet_view(&wallet, None)?).map_err(AppError::internal)?;
    Ok(None)
}
