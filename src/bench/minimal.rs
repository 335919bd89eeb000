//! The honest ceiling: the *minimal durable unit* of a claim,
//! written straight to the database as prepared statements (diesel's DSL,
//! cached per connection) — the conditional debit, the ledger entry, the
//! claim row, an outbox row and the idempotency row, and optionally the lot
//! allocation (the claim's own `lots::after_debit`: when the soonest lot
//! keeps points, one guarded update that picks it, then the allocation row)
//! — one transaction per claim, or `batch` claims per transaction.
//!
//! No rule checks, no JSON beyond a fixed snapshot, no HTTP: what the disk
//! and the database engine allow for the rows a claim must write.

use super::db::{POINTS_PER_CLAIM, SHOP};
use super::load::Plan;
use super::report::{Summary, Tally};
use crate::domain::claim::{self, ClaimStatus, EntryKind};
use crate::domain::ids::new_id;
use crate::domain::lots::PointsPolicy;
use crate::domain::money::Currency;
use crate::domain::points::Points;
use crate::domain::program::Channel;
use crate::error::{AppError, AppResult};
use crate::store::cached_sql::DebitBalance;
use crate::store::customers::{EntryRow, Movement};
use crate::store::schema::{claims, idempotency_keys, ledger_entries, outbox};
use crate::store::{lots, on_backend, pool, programs, shops, write_transaction, AnyConnection};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::{Duration, Instant};

/// How one ceiling phase runs.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// OS threads, each on its own connection.
    pub threads: usize,
    /// Claims per transaction (1: one transaction per claim).
    pub batch: usize,
    /// With or without the lot allocation, or both in turn.
    pub lots: Lots,
}

/// Whether a phase's claims allocate lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lots {
    /// Every claim (what a claim costs since points lots).
    With,
    /// No claim (the unit before points lots).
    Without,
    /// Every other transaction of each thread, so that both kinds see the
    /// same disk, cache and database size at the same moment: the pairing
    /// that makes the lot cost measurable on a disk whose fsync time drifts
    /// by several times within a minute. Gives one summary per kind.
    Interleaved,
}

impl Shape {
    fn name(&self, with_lots: bool) -> String {
        let per = if self.batch == 1 { "1/commit".to_string() } else { format!("{}/commit", self.batch) };
        let lots = if with_lots { "+lots" } else { "no lots" };
        let paired = if self.lots == Lots::Interleaved { " (interleaved)" } else { "" };
        format!("minimal {per} {}t {lots}{paired}", self.threads)
    }

    /// Whether the `n`th transaction of a thread allocates lots.
    fn with_lots(&self, n: u64) -> bool {
        match self.lots {
            Lots::With => true,
            Lots::Without => false,
            Lots::Interleaved => n % 2 == 1,
        }
    }
}

/// What every claim of the phase shares (read once per thread).
struct Template {
    version: i64,
    snapshot: String,
    value_minor: i64,
    currency: String,
    purchase_type: String,
    policy: PointsPolicy,
}

fn template(conn: &mut AnyConnection) -> AppResult<Template> {
    let shop = shops::find(conn, SHOP)?.ok_or_else(|| AppError::not_found("bench shop"))?;
    let program = programs::current(conn, SHOP, Channel::Online)?;
    let currency = Currency::parse(&shop.currency).map_err(AppError::internal_msg)?;
    let points = Points::parse(POINTS_PER_CLAIM).map_err(AppError::internal_msg)?;
    let terms = claim::terms(&program.settings, currency, "c00000000", None, points, None)?;
    Ok(Template {
        version: program.version,
        snapshot: serde_json::to_string(&program.settings).map_err(AppError::internal)?,
        value_minor: terms.value_minor,
        currency: currency.code().into(),
        purchase_type: terms.purchase_type.as_str().into(),
        policy: lots::policy(conn, SHOP)?,
    })
}

/// Runs one phase for the plan's duration (blocking): one summary, or for
/// [`Lots::Interleaved`] one per kind (without lots first), each with its
/// rate over the time its own transactions took.
pub fn run(url: &str, plan: &Plan, shape: Shape) -> anyhow::Result<Vec<Summary>> {
    let (pool, _) = pool::build(url, u32::try_from(shape.threads)?)?;
    let started = Instant::now();
    let deadline = started + plan.duration;
    let handles: Vec<_> = (0..shape.threads)
        .map(|_| {
            let (pool, plan) = (pool.clone(), plan.clone());
            std::thread::spawn(move || -> anyhow::Result<[Tally; 2]> {
                let mut conn = pool.get()?;
                let template = template(&mut conn).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                Ok(thread_loop(&mut conn, &plan, shape, &template, deadline))
            })
        })
        .collect();
    let mut totals = [Tally::default(), Tally::default()];
    for handle in handles {
        let [without, with] = handle.join().map_err(|_| anyhow::anyhow!("a ceiling thread panicked"))??;
        totals[0].merge(without);
        totals[1].merge(with);
    }
    let elapsed = started.elapsed();
    let kinds: &[bool] = match shape.lots {
        Lots::With => &[true],
        Lots::Without => &[false],
        Lots::Interleaved => &[false, true],
    };
    let summaries = kinds.iter().map(|&with_lots| {
        let tally = &mut totals[usize::from(with_lots)];
        let spent = match shape.lots {
            Lots::Interleaved => busy_time(tally, shape.threads),
            Lots::With | Lots::Without => elapsed,
        };
        Summary::of(&shape.name(with_lots), tally, spent)
    });
    Ok(summaries.collect())
}

/// The wall time a kind's transactions took, per thread.
fn busy_time(tally: &Tally, threads: usize) -> Duration {
    let micros: u64 = tally.latencies_us.iter().map(|&us| u64::from(us)).sum();
    Duration::from_micros(micros / threads.max(1) as u64)
}

/// Runs transactions until the deadline; returns the tallies of those
/// without and with lots.
fn thread_loop(conn: &mut AnyConnection, plan: &Plan, shape: Shape, t: &Template, deadline: Instant) -> [Tally; 2] {
    let mut rng = StdRng::from_entropy();
    let mut tallies = [Tally::default(), Tally::default()];
    let mut n = 0_u64;
    while Instant::now() < deadline {
        let with_lots = shape.with_lots(n);
        n += 1;
        let tally = &mut tallies[usize::from(with_lots)];
        // Sorted, so that concurrent batches lock wallets in one order.
        let mut wallets: Vec<String> = (0..shape.batch.max(1)).map(|_| plan.pick(&mut rng)).collect();
        wallets.sort_unstable();
        let started = Instant::now();
        let outcome = write_transaction(conn, |c| {
            for customer in &wallets {
                unit(c, customer, with_lots, t)?;
            }
            Ok::<(), AppError>(())
        });
        // One latency per transaction (per batch when batched).
        tally.latency(started.elapsed());
        match outcome {
            Ok(()) => tally.ok += wallets.len() as u64,
            Err(e) => {
                if tally.errors.is_empty() {
                    eprintln!("{}: first error: {e:?}", shape.name(with_lots));
                }
                tally.error(format!("{} {}", e.status.as_u16(), e.code.as_str()))
            }
        }
    }
    tallies
}

/// One claim's rows.
fn unit(conn: &mut AnyConnection, customer: &str, with_lots: bool, t: &Template) -> AppResult<()> {
    let now = crate::clock::now();
    let p = POINTS_PER_CLAIM;
    // Every statement on the backend's own connection, as the service's
    // claim path runs them (store::on_backend!).
    let debit = DebitBalance { shop_id: SHOP, customer_id: customer, points: p, now };
    let debited = on_backend!(conn, |c| debit.get_result::<i64>(c).optional())?;
    let Some(balance) = debited else {
        return Err(AppError::internal_msg("the bench wallet ran dry"));
    };
    let claim_id = new_id();
    let entry = EntryRow {
        shop_id: SHOP.into(),
        id: new_id(),
        customer_id: customer.into(),
        delta: -p,
        balance_after: balance,
        kind: EntryKind::Redeem,
        claim_id: Some(claim_id.clone()),
        order_id: None,
        reason: None,
        created_at: now,
        pending_delta: 0,
    };
    on_backend!(conn, |c| diesel::insert_into(ledger_entries::table).values(&entry).execute(c))?;
    if with_lots {
        let movement =
            Movement { claim_id: Some(&claim_id), policy: Some(&t.policy), ..Movement::of(EntryKind::Redeem) };
        lots::after_debit(conn, &entry, &movement)?;
    }
    claim_row(conn, customer, &claim_id, t, now)?;
    let outbox_row = diesel::insert_into(outbox::table).values((
        outbox::shop_id.eq(SHOP),
        outbox::id.eq(new_id()),
        outbox::claim_id.eq(&claim_id),
        outbox::action.eq("create"),
        outbox::status.eq("done"),
        outbox::attempts.eq(1),
        outbox::next_attempt_at.eq(now),
        outbox::created_at.eq(now),
        outbox::updated_at.eq(now),
    ));
    on_backend!(conn, |c| outbox_row.execute(c))?;
    let key_row = diesel::insert_into(idempotency_keys::table).values((
        idempotency_keys::shop_id.eq(SHOP),
        idempotency_keys::principal.eq(format!("customer:{customer}")),
        idempotency_keys::key.eq(&claim_id),
        idempotency_keys::request_hash.eq("minimal"),
        idempotency_keys::status_code.eq(201),
        idempotency_keys::response_body.eq("{}"),
        idempotency_keys::created_at.eq(now),
    ));
    on_backend!(conn, |c| key_row.execute(c))?;
    Ok(())
}

fn claim_row(
    conn: &mut AnyConnection,
    customer: &str,
    claim_id: &str,
    t: &Template,
    now: chrono::NaiveDateTime,
) -> AppResult<()> {
    let row = diesel::insert_into(claims::table).values((
        claims::shop_id.eq(SHOP),
        claims::id.eq(claim_id),
        claims::customer_id.eq(customer),
        claims::channel.eq("online"),
        claims::code.eq(format!("MIN{}", claim_id.replace('-', ""))),
        claims::points.eq(POINTS_PER_CLAIM),
        claims::value_minor.eq(t.value_minor),
        claims::currency.eq(&t.currency),
        claims::purchase_type.eq(&t.purchase_type),
        claims::status.eq(ClaimStatus::Active.as_str()),
        claims::program_version.eq(t.version),
        claims::program_snapshot.eq(&t.snapshot),
        claims::created_at.eq(now),
        claims::updated_at.eq(now),
    ));
    on_backend!(conn, |c| row.execute(c))?;
    Ok(())
}
