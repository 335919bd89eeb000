//! Stored responses of idempotent requests, keyed by shop, caller and key.

use super::schema::idempotency_keys as keys;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = keys)]
pub(crate) struct StoredResponse {
    pub(crate) request_hash: String,
    pub(crate) status_code: i32,
    pub(crate) response_body: String,
}

pub(crate) struct Scope<'a> {
    pub(crate) shop_id: &'a str,
    pub(crate) principal: &'a str,
    pub(crate) key: &'a str,
}

pub(crate) fn find(conn: &mut AnyConnection, scope: &Scope) -> QueryResult<Option<StoredResponse>> {
    let query = keys::table.find((scope.shop_id, scope.principal, scope.key));
    super::on_backend!(conn, |c| query.select(StoredResponse::as_select()).get_result(c).optional())
}

/// Reserves the key before any work: a concurrent request with the same key
/// blocks here (PostgreSQL) or queues behind us (SQLite writer) and then sees
/// our committed response. Returns false when the key is already taken: the
/// caller then replays what is stored. One statement, no savepoint
/// (`ON CONFLICT DO NOTHING` instead of catching the unique violation), and
/// no lookup before it: a fresh key, the common case, costs this insert and
/// `complete`; only a taken key is read.
pub(crate) fn reserve(
    conn: &mut AnyConnection,
    scope: &Scope,
    request_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let insert = diesel::insert_into(keys::table)
        .values((
            keys::shop_id.eq(scope.shop_id),
            keys::principal.eq(scope.principal),
            keys::key.eq(scope.key),
            keys::request_hash.eq(request_hash),
            keys::status_code.eq(0),
            keys::response_body.eq(""),
            keys::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    let inserted = super::on_backend!(conn, |n| insert.execute(n))?;
    Ok(inserted == 1)
}

pub(crate) fn complete(conn: &mut AnyConnection, scope: &Scope, status: u16, body: &str) -> QueryResult<()> {
    let (shop_id, principal, key) = (scope.shop_id, scope.principal, scope.key);
    let update = super::cached_sql::CompleteKey { shop_id, principal, key, status: i32::from(status), body };
    super::on_backend!(conn, |c| update.execute(c)).map(|_| ())
}
