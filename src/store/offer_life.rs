//! An issued offer's life after the code exists: pushed to the platform
//! (`pending → active`), refused there (`→ failed`), used by an order,
//! deleted at the platform. Every move is one conditional UPDATE out of
//! `pending|active`, and only the writer that moved it releases the
//! campaign's reservation, so it is released exactly once.

use super::offers::{self, OfferRow, OfferStatus};
use super::outbox::{self, OutboxAction};
use super::schema::offers as offers_table;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Releases the reservation of an offer this writer just closed.
fn release(conn: &mut AnyConnection, row: &OfferRow) -> QueryResult<()> {
    super::limits::release(conn, &row.shop_id, &row.campaign_id, row.reserved_minor)
}

/// An order used the offer's code: `used` with the order id and subtotal
/// (None when the platform sent none that could be read),
/// reservation released once. False when the code is not an open offer
/// (not ours, or already used / expired / deleted).
pub(crate) fn use_code(
    conn: &mut AnyConnection,
    shop_id: &str,
    code: &str,
    order_id: &str,
    subtotal: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(row) = offers::find_by_code(conn, shop_id, code)? else { return Ok(false) };
    let moved = diesel::update(offers_table::table.find((&row.shop_id, &row.id)))
        .filter(offers_table::status.eq_any(OfferStatus::OPEN))
        .set((
            offers_table::status.eq(OfferStatus::Used),
            offers_table::order_id.eq(order_id),
            offers_table::order_subtotal_minor.eq(subtotal),
            offers_table::updated_at.eq(now),
        ))
        .execute(conn)?
        == 1;
    if moved {
        release(conn, &row)?;
    } else if row.order_id.as_deref() != Some(order_id) {
        tracing::warn!(offer = %row.id, order = order_id, status = %row.status, "offer code used while not open");
    }
    Ok(moved)
}

/// `discounts/delete` of an offer's code: an unused offer becomes `deleted`,
/// reservation released once. None when the node is not one of our offers.
pub(crate) fn deleted_at_platform(
    conn: &mut AnyConnection,
    shop_id: &str,
    node: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<bool>> {
    let row: Option<OfferRow> = offers_table::table
        .filter(offers_table::shop_id.eq(shop_id))
        .filter(offers_table::platform_id.eq(node))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let moved =
        offers::transition(conn, &row, &OfferStatus::OPEN, OfferStatus::Deleted, Some("deleted on the platform"), now)?;
    if moved {
        release(conn, &row)?;
    }
    Ok(Some(moved))
}

/// The push landed: `pending → active` with the platform's id. False when
/// the offer left `pending` meanwhile (used, expired): then the code must
/// not live on at the platform, so a delete is queued.
pub(crate) fn activate(
    conn: &mut AnyConnection,
    row: &OfferRow,
    platform_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let moved = diesel::update(offers_table::table.find((&row.shop_id, &row.id)))
        .filter(offers_table::status.eq(OfferStatus::Pending))
        .set((
            offers_table::status.eq(OfferStatus::Active),
            offers_table::platform_id.eq(platform_id),
            offers_table::updated_at.eq(now),
        ))
        .execute(conn)?
        == 1;
    if !moved {
        diesel::update(offers_table::table.find((&row.shop_id, &row.id)))
            .set(offers_table::platform_id.eq(platform_id))
            .execute(conn)?;
        if row.status != OfferStatus::Used {
            outbox::enqueue_due_now(conn, &row.shop_id, &row.id, OutboxAction::OfferDelete)?;
        }
    }
    Ok(moved)
}

/// The platform refused the code for good: `pending → failed`, reservation
/// released once.
pub(crate) fn fail(conn: &mut AnyConnection, row: &OfferRow, reason: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let moved = offers::transition(conn, row, &[OfferStatus::Pending], OfferStatus::Failed, Some(reason), now)?;
    if moved {
        release(conn, row)?;
    }
    Ok(moved)
}

/// An offer expired here on a platform shop: delete its code there too.
pub(crate) fn queue_platform_delete(conn: &mut AnyConnection, row: &OfferRow) -> QueryResult<()> {
    outbox::enqueue_due_now(conn, &row.shop_id, &row.id, OutboxAction::OfferDelete)
}
