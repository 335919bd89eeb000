//! Offers: one row per (event, campaign), from `scheduled` to its end state.

use super::schema::offers;
use super::AnyConnection;
use crate::domain::campaign::{Discount, TriggerKind};
use crate::domain::state::stored_state;
use chrono::NaiveDateTime;
use diesel::prelude::*;

stored_state! {
    /// Where an offer is (see DESIGN.md, "Campaigns and offers").
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum OfferStatus("offer status") {
        Scheduled = "scheduled",
        HeldOut = "held_out",
        Refused = "refused",
        Cancelled = "cancelled",
        Pending = "pending",
        Active = "active",
        Used = "used",
        Expired = "expired",
        Deleted = "deleted",
        Failed = "failed",
    }
}

impl OfferStatus {
    /// Statuses the customer sees.
    const VISIBLE: [OfferStatus; 4] =
        [OfferStatus::Pending, OfferStatus::Active, OfferStatus::Used, OfferStatus::Expired];
    /// Issued and still holding budget.
    pub const OPEN: [OfferStatus; 2] = [OfferStatus::Pending, OfferStatus::Active];
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offers)]
pub struct OfferRow {
    pub shop_id: String,
    pub id: String,
    pub campaign_id: String,
    pub(crate) campaign_version: i64,
    pub customer_id: String,
    pub(crate) event_id: String,
    pub(crate) trigger_kind: TriggerKind,
    pub(crate) cart_id: Option<String>,
    pub status: OfferStatus,
    pub(crate) reason: Option<String>,
    pub code: Option<String>,
    pub(crate) discount: Option<String>,
    pub reserved_minor: i64,
    pub value_minor: i64,
    pub platform_id: Option<String>,
    pub(crate) order_id: Option<String>,
    pub order_subtotal_minor: Option<i64>,
    pub(crate) due_at: NaiveDateTime,
    pub(crate) occurred_at: NaiveDateTime,
    pub issued_at: Option<NaiveDateTime>,
    pub(crate) expires_at: Option<NaiveDateTime>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

impl OfferRow {
    /// The discount this offer was issued with (from its campaign version).
    pub(crate) fn discount(&self) -> Option<Discount> {
        self.discount.as_deref().and_then(|json| serde_json::from_str(json).ok())
    }
}

pub(crate) fn insert(conn: &mut AnyConnection, row: &OfferRow) -> QueryResult<()> {
    diesel::insert_into(offers::table).values(row).execute(conn).map(|_| ())
}

pub(crate) fn find(conn: &mut AnyConnection, shop_id: &str, id: &str) -> QueryResult<Option<OfferRow>> {
    offers::table.find((shop_id, id)).select(OfferRow::as_select()).get_result(conn).optional()
}

pub fn find_by_code(conn: &mut AnyConnection, shop_id: &str, code: &str) -> QueryResult<Option<OfferRow>> {
    offers::table
        .filter(offers::shop_id.eq(shop_id))
        .filter(offers::code.eq(code))
        .select(OfferRow::as_select())
        .get_result(conn)
        .optional()
}

/// A page of a campaign's offers, oldest first, after `cursor` (an offer id).
pub fn for_campaign(
    conn: &mut AnyConnection,
    shop_id: &str,
    campaign_id: &str,
    status: Option<OfferStatus>,
    cursor: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OfferRow>> {
    let mut query = offers::table
        .filter(offers::shop_id.eq(shop_id))
        .filter(offers::campaign_id.eq(campaign_id))
        .order(offers::id.asc())
        .limit(limit)
        .select(OfferRow::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(offers::status.eq(status));
    }
    if let Some(cursor) = cursor {
        query = query.filter(offers::id.gt(cursor.to_string()));
    }
    query.load(conn)
}

/// A customer's offers they may see, newest first.
pub(crate) fn visible_for_customer(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    limit: i64,
) -> QueryResult<Vec<OfferRow>> {
    offers::table
        .filter(offers::shop_id.eq(shop_id))
        .filter(offers::customer_id.eq(customer_id))
        .filter(offers::status.eq_any(OfferStatus::VISIBLE))
        .order(offers::id.desc())
        .limit(limit)
        .select(OfferRow::as_select())
        .load(conn)
}

/// Moves an offer from one of `from` to `to`; false when it was not there.
pub fn transition(
    conn: &mut AnyConnection,
    row: &OfferRow,
    from: &[OfferStatus],
    to: OfferStatus,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(offers::table.find((&row.shop_id, &row.id)))
        .filter(offers::status.eq_any(from))
        .set((offers::status.eq(to), offers::reason.eq(reason), offers::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Cancels a customer's scheduled cart offers (an order arrived), or only
/// those of one cart; returns how many.
pub(crate) fn cancel_carts(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    cart_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut query = diesel::update(offers::table)
        .filter(offers::shop_id.eq(shop_id))
        .filter(offers::customer_id.eq(customer_id))
        .filter(offers::trigger_kind.eq(TriggerKind::CartAbandoned))
        .filter(offers::status.eq(OfferStatus::Scheduled))
        .into_boxed();
    if let Some(cart) = cart_id {
        query = query.filter(offers::cart_id.eq(cart.to_string()));
    }
    query.set((offers::status.eq(OfferStatus::Cancelled), offers::updated_at.eq(now))).execute(conn)
}

/// Expires open offers whose `expires_at` is at or before `before` (the
/// caller adds the grace late orders get), at most `limit`; each offer's
/// reservation is released exactly once, because only the writer that moves
/// it out of `pending|active` releases. A code that reached the platform is
/// queued for deletion there. Returns how many expired.
pub(crate) fn expire_due(
    conn: &mut AnyConnection,
    before: NaiveDateTime,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    let due: Vec<OfferRow> = offers::table
        .filter(offers::status.eq_any(OfferStatus::OPEN))
        .filter(offers::expires_at.le(before))
        .order(offers::expires_at.asc())
        .limit(limit)
        .select(OfferRow::as_select())
        .load(conn)?;
    let mut expired = 0;
    for row in due {
        if transition(conn, &row, &OfferStatus::OPEN, OfferStatus::Expired, None, now)? {
            super::limits::release(conn, &row.shop_id, &row.campaign_id, row.reserved_minor)?;
            if row.platform_id.is_some() || row.status == OfferStatus::Pending {
                // Shopify caps a store's codes: a dead code is deleted there too.
                super::offer_life::queue_platform_delete(conn, &row)?;
            }
            expired += 1;
        }
    }
    Ok(expired)
}
