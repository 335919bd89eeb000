//! How a shop's outgoing webhook deliveries are doing, for the admin's
//! warning: how many wait, how many failed at least once and wait for
//! another try, how many were given up (dead), and the newest failure.
//! Read through the (shop_id, status, id) index: delivered rows are not read.

use super::notify::DeliveryState;
use super::schema::notifications;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) id: String,
    pub(crate) event_type: String,
    pub(crate) error: String,
    pub(crate) at: NaiveDateTime,
    pub(crate) status: DeliveryState,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) pending: i64,
    /// Pending after at least one failed try.
    pub(crate) retrying: i64,
    pub(crate) dead: i64,
    pub(crate) last_failure: Option<Failure>,
}

fn count(conn: &mut AnyConnection, shop_id: &str, state: DeliveryState, failed_only: bool) -> QueryResult<i64> {
    let mut query = notifications::table
        .filter(notifications::shop_id.eq(shop_id))
        .filter(notifications::status.eq(state))
        .into_boxed();
    if failed_only {
        query = query.filter(notifications::last_error.is_not_null());
    }
    query.count().get_result(conn)
}

pub(crate) fn summary(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<Summary> {
    let last = notifications::table
        .filter(notifications::shop_id.eq(shop_id))
        .filter(notifications::status.eq_any([DeliveryState::Pending, DeliveryState::Dead]))
        .filter(notifications::last_error.is_not_null())
        .order((notifications::updated_at.desc(), notifications::id.desc()))
        .select((
            notifications::id,
            notifications::event_type,
            notifications::last_error,
            notifications::updated_at,
            notifications::status,
        ))
        .first::<(String, String, Option<String>, NaiveDateTime, DeliveryState)>(conn)
        .optional()?;
    Ok(Summary {
        pending: count(conn, shop_id, DeliveryState::Pending, false)?,
        retrying: count(conn, shop_id, DeliveryState::Pending, true)?,
        dead: count(conn, shop_id, DeliveryState::Dead, false)?,
        last_failure: last.map(|(id, event_type, error, at, status)| Failure {
            id,
            event_type,
            error: error.unwrap_or_default(),
            at,
            status,
        }),
    })
}
