//! Keyset paging: lists are ordered newest first by id, and a page starts
//! strictly after the last row of the previous one, so rows inserted between
//! two pages (always newer) neither repeat nor shift rows. Ids are UUIDv7
//! made under the wallet's row lock, so per customer they follow commit
//! order; `created_at` does not on PostgreSQL (it is read when the unit of
//! work starts, and a unit that waited for the lock commits later), so it is
//! carried in the cursor but not compared.

use super::claims::{self, ClaimRow};
use super::customers::{self, EntryRow};
use super::lots::{self, LotRow};
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::QueryResult;

/// The (created_at, id) of the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub(crate) created_at: NaiveDateTime,
    pub(crate) id: String,
}

/// Rows of one page (`limit` of them at most) and the keyset of the next
/// page, `None` at the end. Queries load `limit + 1` rows to know.
pub(crate) fn split<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Keyset) -> (Vec<T>, Option<Keyset>) {
    let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(key);
    (rows, next)
}

/// One page of a customer's list: its rows, newest first, and the keyset
/// the next page starts after (`None` on the last page).
#[derive(Debug)]
pub(crate) struct Paged<T> {
    pub(crate) rows: Vec<T>,
    pub(crate) next: Option<Keyset>,
}

/// Reads `limit + 1` rows with `query` and keeps `limit` of them: the extra
/// row only says whether a next page exists.
fn one_page<T>(
    limit: i64,
    query: impl FnOnce(i64) -> QueryResult<Vec<T>>,
    key: impl Fn(&T) -> Keyset,
) -> QueryResult<Paged<T>> {
    let (rows, next) = split(query(limit.saturating_add(1))?, limit, key);
    Ok(Paged { rows, next })
}

/// A page of a customer's ledger entries after `after`.
pub(crate) fn entries(
    conn: &mut AnyConnection,
    shop: &str,
    customer: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Paged<EntryRow>> {
    one_page(limit, |n| customers::entries(conn, shop, customer, after, n), customers::entry_key)
}

/// A page of a customer's claims after `after`.
pub(crate) fn claims(
    conn: &mut AnyConnection,
    shop: &str,
    customer: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Paged<ClaimRow>> {
    one_page(limit, |n| claims::for_customer(conn, shop, customer, after, n), claims::claim_key)
}

/// A page of a customer's lots after `after`.
pub(crate) fn lots(
    conn: &mut AnyConnection,
    shop: &str,
    customer: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Paged<LotRow>> {
    one_page(limit, |n| lots::newest(conn, shop, customer, after, n), lots::lot_key)
}
