//! The admin's CSV exports read the shop's customers and ledger in keyset
//! pages (by id), and the ledger's `actor`: which staff member made a manual
//! adjustment; a cancelled code's credit says who cancelled it.

use super::customers::{CustomerRow, EntryRow};
use super::schema::{claims, ledger_entries};
use super::AnyConnection;
use crate::domain::claim::{CancelledBy, EntryKind};
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

/// One exported ledger line: the entry, the staff member who made it (manual
/// adjustments) and, for the credit of a cancelled code, who cancelled it.
pub(crate) type LedgerLine = (EntryRow, Option<String>, Option<CancelledBy>);

/// A page of the shop's ledger after `after`, by id (ids are UUIDv7, so
/// this is creation order), each entry with its actor and canceller.
pub(crate) fn ledger_page(
    conn: &mut AnyConnection,
    shop_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<LedgerLine>> {
    let mut select = ledger_entries::table
        .filter(ledger_entries::shop_id.eq(shop_id))
        .order(ledger_entries::id.asc())
        .limit(limit)
        .select((EntryRow::as_select(), ledger_entries::actor))
        .into_boxed();
    if let Some(after) = after {
        select = select.filter(ledger_entries::id.gt(after.to_string()));
    }
    let rows: Vec<(EntryRow, Option<String>)> = select.load(conn)?;
    let credits = |e: &EntryRow| matches!(e.kind, EntryKind::Refund | EntryKind::Expire);
    let ids: Vec<&str> = rows.iter().filter(|(e, _)| credits(e)).filter_map(|(e, _)| e.claim_id.as_deref()).collect();
    let by = cancellers(conn, shop_id, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(e, actor)| {
            let cancelled = e.claim_id.as_ref().filter(|_| credits(&e)).and_then(|id| by.get(id).copied());
            (e, actor, cancelled)
        })
        .collect())
}

/// Who cancelled each of the given claims, for those where it is known.
fn cancellers(
    conn: &mut AnyConnection,
    shop_id: &str,
    claim_ids: &[&str],
) -> QueryResult<HashMap<String, CancelledBy>> {
    if claim_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<CancelledBy>)> = claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(claims::id.eq_any(claim_ids))
        .select((claims::id, claims::cancelled_by))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, by)| by.map(|b| (id, b))).collect())
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
