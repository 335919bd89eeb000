//! Outgoing merchant webhooks: the shop's target, and deliveries queued in
//! the caller's transaction (so an event is sent iff its effect committed),
//! leased by the delivery worker like the outbox (`SKIP LOCKED` on PostgreSQL).

use super::schema::{notifications, shop_notify};
use super::AnyConnection;
use crate::domain::ids::new_id;
use crate::domain::notify::{self, EventType};
use crate::domain::state::stored_state;
use chrono::{DateTime, Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

stored_state! {
    /// Where a delivery is: waiting (or leased), delivered, or given up.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub(crate) enum DeliveryState("delivery state") {
        Pending = "pending",
        Delivered = "delivered",
        Dead = "dead",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shop_notify)]
pub(crate) struct NotifyTarget {
    pub(crate) shop_id: String,
    pub(crate) url: String,
    pub(crate) secret: String,
    pub(crate) updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub(crate) struct NotificationRow {
    pub(crate) shop_id: String,
    pub(crate) id: String,
    pub(crate) event_type: EventType,
    pub(crate) body: String,
    pub(crate) status: DeliveryState,
    pub(crate) attempts: i32,
    pub(crate) next_attempt_at: NaiveDateTime,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) delivered_at: Option<NaiveDateTime>,
}

pub(crate) fn target(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<Option<NotifyTarget>> {
    shop_notify::table.find(shop_id).select(NotifyTarget::as_select()).first(conn).optional()
}

/// Sets (or with `None` removes) the shop's target; a missing secret keeps
/// the stored one. Returns false when a secret is needed but none is stored.
pub(crate) fn set_target(
    conn: &mut AnyConnection,
    shop_id: &str,
    target: Option<(String, Option<String>)>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some((url, secret)) = target else {
        diesel::delete(shop_notify::table.find(shop_id)).execute(conn)?;
        return Ok(true);
    };
    let secret = match secret {
        Some(secret) => secret,
        None => match self::target(conn, shop_id)? {
            Some(stored) => stored.secret,
            None => return Ok(false),
        },
    };
    diesel::delete(shop_notify::table.find(shop_id)).execute(conn)?;
    let row = NotifyTarget { shop_id: shop_id.into(), url, secret, updated_at: now };
    diesel::insert_into(shop_notify::table).values(&row).execute(conn)?;
    Ok(true)
}

/// Queues `event_type` with `data` for the shop's target, inside the
/// caller's transaction; a no-op when the shop has no target.
pub(crate) fn enqueue(
    conn: &mut AnyConnection,
    shop_id: &str,
    event_type: EventType,
    data: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    match build(conn, shop_id, event_type, data, now)? {
        Some(row) => insert(conn, &row),
        None => Ok(()),
    }
}

/// The delivery `enqueue` would queue (None without a target), built
/// before the write: the claim's lean write path only inserts it.
pub(crate) fn build(
    conn: &mut AnyConnection,
    shop_id: &str,
    event_type: EventType,
    data: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<Option<NotificationRow>> {
    if target(conn, shop_id)?.is_none() {
        return Ok(None);
    }
    let id = new_id();
    let body = notify::body(&id, event_type, DateTime::from_naive_utc_and_offset(now, chrono::Utc), data);
    Ok(Some(NotificationRow {
        shop_id: shop_id.into(),
        id,
        event_type,
        body,
        status: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        created_at: now,
        updated_at: now,
        delivered_at: None,
    }))
}

pub(crate) fn insert(conn: &mut AnyConnection, row: &NotificationRow) -> QueryResult<()> {
    super::on_backend!(conn, |c| diesel::insert_into(notifications::table).values(row).execute(c)).map(|_| ())
}

const LEASE_PG: &str = "UPDATE notifications SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2 \
     WHERE (shop_id, id) IN (SELECT shop_id, id FROM notifications WHERE status = $4 \
     AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *";

/// Leases up to `limit` due deliveries for `lease` (a crashed worker's rows
/// come back when the lease runs out).
pub(crate) fn lease_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let until = now + lease;
    if let AnyConnection::Postgresql(pg) = conn {
        return diesel::sql_query(LEASE_PG)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(DeliveryState::Pending)
            .load(pg);
    }
    let due: Vec<NotificationRow> = notifications::table
        .filter(notifications::status.eq(DeliveryState::Pending))
        .filter(notifications::next_attempt_at.le(now))
        .order(notifications::next_attempt_at.asc())
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)?;
    let mut leased = Vec::with_capacity(due.len());
    for mut row in due {
        let updated = diesel::update(notifications::table.find((&row.shop_id, &row.id)))
            .filter(notifications::status.eq(DeliveryState::Pending))
            .filter(notifications::next_attempt_at.le(now))
            .set((
                notifications::next_attempt_at.eq(until),
                notifications::attempts.eq(notifications::attempts + 1),
                notifications::updated_at.eq(now),
            ))
            .execute(conn)?;
        if updated == 1 {
            row.attempts += 1;
            leased.push(row);
        }
    }
    Ok(leased)
}

/// Records how a leased attempt ended: delivered, retry at `retry_at`, or
/// dead (`retry_at` None with an error).
pub(crate) fn record_attempt(
    conn: &mut AnyConnection,
    row: &NotificationRow,
    error: Option<&str>,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let target = notifications::table.find((&row.shop_id, &row.id));
    let query = diesel::update(target).filter(notifications::status.eq(DeliveryState::Pending));
    match (error, retry_at) {
        (None, _) => query
            .set((
                notifications::status.eq(DeliveryState::Delivered),
                notifications::delivered_at.eq(now),
                notifications::last_error.eq(None::<String>),
                notifications::updated_at.eq(now),
            ))
            .execute(conn),
        (Some(error), Some(at)) => query
            .set((
                notifications::next_attempt_at.eq(at),
                notifications::last_error.eq(error),
                notifications::updated_at.eq(now),
            ))
            .execute(conn),
        (Some(error), None) => query
            .set((
                notifications::status.eq(DeliveryState::Dead),
                notifications::last_error.eq(error),
                notifications::updated_at.eq(now),
            ))
            .execute(conn),
    }
    .map(|_| ())
}

/// A page of the shop's deliveries, newest first (ids are UUIDv7, so id
/// order is creation order), optionally one status, after cursor `before`.
pub(crate) fn list(
    conn: &mut AnyConnection,
    shop_id: &str,
    only: Option<DeliveryState>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut query = notifications::table.filter(notifications::shop_id.eq(shop_id)).into_boxed();
    if let Some(only) = only {
        query = query.filter(notifications::status.eq(only));
    }
    if let Some(before) = before {
        query = query.filter(notifications::id.lt(before.to_string()));
    }
    query.order(notifications::id.desc()).limit(limit).select(NotificationRow::as_select()).load(conn)
}

/// Puts a dead delivery back in the queue (the admin's "retry": a few more
/// tries); false when the row is not dead. The event keeps its id and body.
pub(crate) fn requeue(conn: &mut AnyConnection, shop_id: &str, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(notifications::table.find((shop_id, id)))
        .filter(notifications::status.eq(DeliveryState::Dead))
        .set((
            notifications::status.eq(DeliveryState::Pending),
            notifications::attempts.eq(0),
            notifications::next_attempt_at.eq(now),
            notifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

pub(crate) fn find(conn: &mut AnyConnection, shop_id: &str, id: &str) -> QueryResult<Option<NotificationRow>> {
    notifications::table.find((shop_id, id)).select(NotificationRow::as_select()).first(conn).optional()
}
