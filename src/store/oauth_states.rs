//! OAuth `state` values of the install flow: single use, bound to the
//! shop, with an expiry. Consuming one is one conditional DELETE, so two
//! callbacks racing with the same state cannot both pass.

use super::schema::oauth_states;
use super::AnyConnection;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Records a fresh state for the shop (and drops expired ones).
pub fn issue(
    conn: &mut AnyConnection,
    shop_id: &str,
    state: &str,
    now: NaiveDateTime,
    ttl: Duration,
) -> QueryResult<()> {
    diesel::delete(oauth_states::table.filter(oauth_states::expires_at.le(now))).execute(conn)?;
    diesel::insert_into(oauth_states::table)
        .values((
            oauth_states::shop_id.eq(shop_id),
            oauth_states::state.eq(state),
            oauth_states::expires_at.eq(now + ttl),
            oauth_states::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// True once for a state issued for this shop and not expired.
pub(crate) fn consume(conn: &mut AnyConnection, shop_id: &str, state: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let deleted = diesel::delete(
        oauth_states::table
            .filter(oauth_states::shop_id.eq(shop_id))
            .filter(oauth_states::state.eq(state))
            .filter(oauth_states::expires_at.gt(now)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// States of a shop still stored (tests check nothing is left behind).
pub fn count(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<i64> {
    oauth_states::table.filter(oauth_states::shop_id.eq(shop_id)).count().get_result(conn)
}
