//! The queue of due offers: the next one is locked for this transaction
//! (PostgreSQL instances share the queue with SKIP LOCKED) and issued in a
//! savepoint; an offer that cannot be issued for an internal reason is
//! marked failed instead of blocking the queue.

use super::error::{Error, Result};
use super::issue::{self, Outcome};
use super::offers::{self, OfferRow, OfferStatus};
use super::schema::offers as offers_table;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

/// One unit of work: claim the next offer due at `now` and issue it;
/// `None` when none is due.
pub(crate) fn issue_next(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<Option<Outcome>> {
    let Some(offer) = claim_due(conn, now)? else { return Ok(None) };
    match conn.transaction(|c| issue::issue(c, &offer, now)) {
        Ok(outcome) => Ok(Some(outcome)),
        Err(error @ (Error::Database(_) | Error::Internal(_))) => {
            tracing::error!(offer = %offer.id, ?error, "offer could not be issued");
            offers::transition(conn, &offer, &[OfferStatus::Scheduled], OfferStatus::Failed, Some("internal"), now)?;
            Ok(Some(Outcome::Refused("internal")))
        }
        Err(error) => Err(error),
    }
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    shop_id: String,
    #[diesel(sql_type = Text)]
    id: String,
}

const CLAIM_PG: &str = "SELECT shop_id, id FROM offers WHERE status = $2 AND due_at <= $1 \
     ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED";

/// Locks the next due offer for this transaction (others skip it).
fn claim_due(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<Option<OfferRow>> {
    let key = match conn {
        AnyConnection::Postgresql(pg) => {
            let scheduled = OfferStatus::Scheduled;
            diesel::sql_query(CLAIM_PG)
                .bind::<Timestamp, _>(now)
                .bind::<Text, _>(scheduled)
                .get_result::<Key>(pg)
                .optional()?
        }
        AnyConnection::Sqlite(_) => offers_table::table
            .filter(offers_table::status.eq(OfferStatus::Scheduled))
            .filter(offers_table::due_at.le(now))
            .order(offers_table::due_at.asc())
            .select((offers_table::shop_id, offers_table::id))
            .first::<(String, String)>(conn)
            .optional()?
            .map(|(shop_id, id)| Key { shop_id, id }),
    };
    match key {
        Some(key) => offers::find(conn, &key.shop_id, &key.id),
        None => Ok(None),
    }
}
