//! The admin's CSV exports read the shop's customers and ledger in keyset
//! pages (by id), and the ledger's `actor`: which staff member made a manual
//! adjustment.

use super::customers::{CustomerRow, EntryRow};
use super::schema::ledger_entries;
use super::AnyConnection;
use diesel::prelude::*;
use std::collections::HashMap;

/// A page of the shop's customers after `after`, by id.
pub(crate) fn customers_page(
    conn: &mut AnyConnection,
    shop_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CustomerRow>> {
    super::profiles::search(conn, shop_id, "", after, limit)
}

/// A page of the shop's ledger after `after`, by id (ids are UUIDv7, so
/// this is creation order), each entry with its actor.
pub(crate) fn ledger_page(
    conn: &mut AnyConnection,
    shop_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(EntryRow, Option<String>)>> {
    let mut select = ledger_entries::table
        .filter(ledger_entries::shop_id.eq(shop_id))
        .order(ledger_entries::id.asc())
        .limit(limit)
        .select((EntryRow::as_select(), ledger_entries::actor))
        .into_boxed();
    if let Some(after) = after {
        select = select.filter(ledger_entries::id.gt(after.to_string()));
    }
    select.load(conn)
}

/// Records who made an entry (in the transaction that wrote it).
pub(crate) fn set_actor(conn: &mut AnyConnection, shop_id: &str, entry_id: &str, actor: &str) -> QueryResult<()> {
    diesel::update(ledger_entries::table.find((shop_id, entry_id)))
        .set(ledger_entries::actor.eq(Some(actor)))
        .execute(conn)
        .map(drop)
}

/// Actors of the given entries that have one (entry id → actor).
pub(crate) fn actors(
    conn: &mut AnyConnection,
    shop_id: &str,
    entry_ids: &[String],
) -> QueryResult<HashMap<String, String>> {
    let rows: Vec<(String, Option<String>)> = ledger_entries::table
        .filter(ledger_entries::shop_id.eq(shop_id))
        .filter(ledger_entries::id.eq_any(entry_ids))
        .filter(ledger_entries::actor.is_not_null())
        .select((ledger_entries::id, ledger_entries::actor))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, actor)| actor.map(|a| (id, a))).collect())
}
