//! The outbox: platform work written in the same transaction as the claim,
//! leased by relays. PostgreSQL leases with `FOR UPDATE SKIP LOCKED` so
//! several service instances share the queue; SQLite has one writer.

use super::schema::outbox;
use super::AnyConnection;
use crate::domain::state::stored_state;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub(crate) struct OutboxRow {
    pub(crate) shop_id: String,
    pub(crate) id: String,
    pub(crate) claim_id: String,
    pub(crate) action: OutboxAction,
    pub(crate) attempts: i32,
    /// Why the last attempt did not finish the row (or a marker the work
    /// left for its next attempt, see the relay's cleanup).
    pub(crate) last_error: Option<String>,
}

stored_state! {
    /// The platform work an outbox row asks for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub(crate) enum OutboxAction("outbox action") {
        /// Push a new code.
        Create = "create",
        /// Delete an active code, then refund it (status refund_pending).
        Refund = "refund",
        /// Delete an expired code, then credit it (kind expire).
        Expire = "expire",
        /// Make sure a code refunded or failed here does not live there.
        Cleanup = "cleanup",
        /// Re-push a code the platform lost (reconciliation).
        Repush = "repush",
        /// Push a campaign offer's code (the row's `claim_id` holds the offer id).
        OfferCreate = "offer_create",
        /// Delete an offer's code at the platform (expired, or landed too late).
        OfferDelete = "offer_delete",
    }
}

stored_state! {
    /// Where an outbox row is: waiting (or leased), or ended one way.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub(crate) enum OutboxState("outbox state") {
        Pending = "pending",
        Done = "done",
        /// Given up.
        Dead = "dead",
        Cancelled = "cancelled",
    }
}

/// Queues platform work for a claim (or an offer, for the `offer_*`
/// actions), inside the caller's transaction.
pub(crate) fn enqueue(
    conn: &mut AnyConnection,
    shop_id: &str,
    claim_id: &str,
    work: OutboxAction,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::shop_id.eq(shop_id),
            outbox::id.eq(crate::domain::ids::new_id()),
            outbox::claim_id.eq(claim_id),
            outbox::action.eq(work),
            outbox::status.eq(OutboxState::Pending),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
            outbox::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// As [`enqueue`], due at once by the relay's clock (the system clock):
/// work queued by a pass run "in the future" (tests, catch-up) is not
/// held back until then.
pub(crate) fn enqueue_due_now(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    work: OutboxAction,
) -> QueryResult<()> {
    let now = chrono::Utc::now().naive_utc();
    enqueue(conn, shop_id, id, work, now)
}

const LEASE_PG: &str = "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2 \
     WHERE (shop_id, id) IN (SELECT shop_id, id FROM outbox WHERE status = $4 AND next_attempt_at <= $2 \
     ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *";

/// Leases up to `limit` due rows for `lease`: nobody else takes them until
/// it runs out (a crashed relay's rows come back by themselves).
pub(crate) fn lease_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let until = now + lease;
    match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(LEASE_PG)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(OutboxState::Pending)
            .load(pg),
        AnyConnection::Sqlite(_) => {
            let due: Vec<OutboxRow> = outbox::table
                .filter(outbox::status.eq(OutboxState::Pending))
                .filter(outbox::next_attempt_at.le(now))
                .order(outbox::next_attempt_at.asc())
                .limit(limit)
                .select(OutboxRow::as_select())
                .load(conn)?;
            let mut leased = Vec::with_capacity(due.len());
            for row in due {
                if let Some(row) = lease_row(conn, &row, now, until)? {
                    leased.push(row);
                }
            }
            Ok(leased)
        }
    }
}

fn lease_row(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    let updated = diesel::update(outbox::table.find((&row.shop_id, &row.id)))
        .filter(outbox::status.eq(OutboxState::Pending))
        .filter(outbox::next_attempt_at.le(now))
        .set((outbox::next_attempt_at.eq(until), outbox::attempts.eq(outbox::attempts + 1), outbox::updated_at.eq(now)))
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    outbox::table.find((&row.shop_id, &row.id)).select(OutboxRow::as_select()).get_result(conn).optional()
}

/// Leases the claim's pending row of `action` now, if nobody holds it.
pub(crate) fn lease_for_claim(
    conn: &mut AnyConnection,
    shop_id: &str,
    claim_id: &str,
    action: OutboxAction,
    now: NaiveDateTime,
    lease: Duration,
) -> QueryResult<Option<OutboxRow>> {
    let row = outbox::table
        .filter(outbox::shop_id.eq(shop_id))
        .filter(outbox::claim_id.eq(claim_id))
        .filter(outbox::action.eq(action))
        .filter(outbox::status.eq(OutboxState::Pending))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => lease_row(conn, &row, now, now + lease),
        None => Ok(None),
    }
}

/// Ends a row: done, dead (gave up) or cancelled.
pub(crate) fn finish(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    status: OutboxState,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find((&row.shop_id, &row.id)))
        .set((outbox::status.eq(status), outbox::last_error.eq(error), outbox::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

/// Tries again at `at`; `counted` false gives the attempt back (throttled).
/// False when the row is no longer pending (cancelled while it was worked).
pub(crate) fn retry_at(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    at: NaiveDateTime,
    error: &str,
    counted: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let attempts = if counted { row.attempts } else { (row.attempts - 1).max(0) };
    diesel::update(outbox::table.find((&row.shop_id, &row.id)))
        .filter(outbox::status.eq(OutboxState::Pending))
        .set((
            outbox::next_attempt_at.eq(at),
            outbox::attempts.eq(attempts),
            outbox::last_error.eq(error),
            outbox::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|updated| updated > 0)
}

/// Cancels the claim's pending rows of `action`; returns how many had been
/// tried already (a push that may have reached the platform).
pub(crate) fn cancel_for_claim(
    conn: &mut AnyConnection,
    shop_id: &str,
    claim_id: &str,
    action: OutboxAction,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let tried: i64 = outbox::table
        .filter(outbox::shop_id.eq(shop_id))
        .filter(outbox::claim_id.eq(claim_id))
        .filter(outbox::action.eq(action))
        .filter(outbox::attempts.gt(0))
        .count()
        .get_result(conn)?;
    diesel::update(outbox::table)
        .filter(outbox::shop_id.eq(shop_id))
        .filter(outbox::claim_id.eq(claim_id))
        .filter(outbox::action.eq(action))
        .filter(outbox::status.eq(OutboxState::Pending))
        .set((outbox::status.eq(OutboxState::Cancelled), outbox::updated_at.eq(now)))
        .execute(conn)?;
    Ok(tried)
}

/// Pending work, for tests, metrics and the benchmark.
pub fn pending_count(conn: &mut AnyConnection) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq(OutboxState::Pending)).count().get_result(conn)
}
