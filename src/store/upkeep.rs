//! The sweeper's queries: claims due to expire, whether work for a claim is
//! already queued, and pruning of rows past their usefulness.

use super::claims::ClaimRow;
use super::outbox::{OutboxAction, OutboxState};
use super::schema::{claims as claims_table, idempotency_keys, outbox, webhook_events};
use super::AnyConnection;
use crate::domain::claim::ClaimStatus;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Active claims whose code expired before `cutoff`, at most `limit`.
pub(crate) fn due_to_expire(conn: &mut AnyConnection, cutoff: NaiveDateTime, limit: i64) -> QueryResult<Vec<ClaimRow>> {
    claims_table::table
        .filter(claims_table::status.eq(ClaimStatus::Active))
        .filter(claims_table::expires_at.lt(cutoff))
        .limit(limit)
        .select(ClaimRow::as_select())
        .load(conn)
}

/// Whether `work` for the claim waits in the outbox already.
pub(crate) fn is_queued(conn: &mut AnyConnection, claim: &ClaimRow, work: OutboxAction) -> QueryResult<bool> {
    let count: i64 = outbox::table
        .filter(outbox::shop_id.eq(&claim.shop_id))
        .filter(outbox::claim_id.eq(&claim.id))
        .filter(outbox::action.eq(work))
        .filter(outbox::status.eq(OutboxState::Pending))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Deletes closed claims and finished outbox rows older than `before`, and
/// idempotency records and webhook ids past their usefulness.
pub(crate) fn prune(conn: &mut AnyConnection, before: NaiveDateTime, now: NaiveDateTime) -> QueryResult<usize> {
    let pruned = diesel::delete(
        claims_table::table
            .filter(claims_table::status.eq_any(ClaimStatus::CLOSED))
            .filter(claims_table::updated_at.lt(before)),
    )
    .execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::status.ne(OutboxState::Pending)).filter(outbox::updated_at.lt(before)))
        .execute(conn)?;
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(now - Duration::days(7))))
        .execute(conn)?;
    diesel::delete(webhook_events::table.filter(webhook_events::received_at.lt(now - Duration::days(30))))
        .execute(conn)?;
    Ok(pruned)
}
