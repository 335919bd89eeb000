//! Keyset paging: lists are ordered newest first by id, and a page starts
//! strictly after the last row of the previous one, so rows inserted between
//! two pages (always newer) neither repeat nor shift rows. Ids are UUIDv7
//! made under the wallet's row lock, so per customer they follow commit
//! order; `created_at` does not on PostgreSQL (it is read when the unit of
//! work starts, and a unit that waited for the lock commits later), so it is
//! carried in the cursor but not compared.

use chrono::NaiveDateTime;

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
