//! Points inside the return window: earned on an order, visible, not
//! spendable; released into a lot when the window passes. A refund inside
//! the window takes them back from here, never from the balance.

use super::customers::{self, Movement};
use super::error::Result;
use super::schema::pending_points;
use super::AnyConnection;
use crate::domain::claim::EntryKind;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Points of `order_id` become pending until `release_at` (entry kind
/// `pending`: delta 0, pending_delta +points).
pub(crate) fn hold(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    order_id: &str,
    points: i64,
    release_at: NaiveDateTime,
) -> Result<()> {
    let now = crate::clock::now();
    let movement = Movement { order_id: Some(order_id), pending_delta: points, ..Movement::of(EntryKind::Pending) };
    customers::record_pending(conn, shop_id, customer_id, movement)?;
    diesel::insert_into(pending_points::table)
        .values((
            pending_points::shop_id.eq(shop_id),
            pending_points::order_id.eq(order_id),
            pending_points::customer_id.eq(customer_id),
            pending_points::points.eq(points),
            pending_points::release_at.eq(release_at),
            pending_points::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The points of `order_id` still pending, if any.
fn of_order(conn: &mut AnyConnection, shop_id: &str, order_id: &str) -> QueryResult<Option<(String, i64)>> {
    pending_points::table
        .find((shop_id, order_id))
        .select((pending_points::customer_id, pending_points::points))
        .first(conn)
        .optional()
}

/// A refund inside the window: up to `points` leave the order's pending
/// amount (delta 0, negative pending_delta). Returns the points taken.
pub(crate) fn take_back(
    conn: &mut AnyConnection,
    shop_id: &str,
    order_id: &str,
    points: i64,
    reason: &str,
) -> Result<i64> {
    let Some((customer_id, held)) = of_order(conn, shop_id, order_id)? else { return Ok(0) };
    let taken = points.min(held);
    if taken <= 0 {
        return Ok(0);
    }
    let row = pending_points::table.find((shop_id, order_id));
    let changed = if taken == held {
        diesel::delete(row.filter(pending_points::points.eq(held))).execute(conn)?
    } else {
        diesel::update(row.filter(pending_points::points.eq(held)))
            .set(pending_points::points.eq(held - taken))
            .execute(conn)?
    };
    if changed != 1 {
        return Ok(0);
    }
    let movement = Movement { reason: Some(reason), pending_delta: -taken, ..Movement::of(EntryKind::Adjust) };
    customers::record_pending(conn, shop_id, &customer_id, movement)?;
    Ok(taken)
}

/// A customer's pending points.
pub(crate) fn total(conn: &mut AnyConnection, shop_id: &str, customer_id: &str) -> QueryResult<i64> {
    let query = pending_points::table
        .filter(pending_points::shop_id.eq(shop_id))
        .filter(pending_points::customer_id.eq(customer_id))
        .select(pending_points::points);
    let points: Vec<i64> = super::on_backend!(conn, |c| query.load(c))?;
    Ok(points.iter().sum())
}

/// Releases up to `limit` orders whose window has passed, each into a new
/// lot whose expiry clock starts now. Returns how many were released.
pub(crate) fn release_due(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> Result<usize> {
    type Due = (String, String, String, i64);
    let due: Vec<Due> = pending_points::table
        .filter(pending_points::release_at.le(now))
        .order(pending_points::release_at.asc())
        .limit(limit)
        .select((
            pending_points::shop_id,
            pending_points::order_id,
            pending_points::customer_id,
            pending_points::points,
        ))
        .load(conn)?;
    let mut released = 0;
    for (shop_id, order_id, customer_id, points) in due {
        let gone =
            diesel::delete(pending_points::table.find((&shop_id, &order_id)).filter(pending_points::points.eq(points)))
                .execute(conn)?;
        if gone != 1 {
            continue;
        }
        let movement =
            Movement { order_id: Some(&order_id), pending_delta: -points, ..Movement::of(EntryKind::Release) };
        customers::credit(conn, &shop_id, &customer_id, points, movement)?;
        released += 1;
    }
    Ok(released)
}
