//! What the reconciliation job compares with the platform, one shop and one
//! bounded page at a time, so a large shop never loads every claim at once.

use super::claims::ClaimRow;
use super::schema::{claims, shops};
use super::shops::{PlatformKind, ShopRow};
use super::AnyConnection;
use crate::domain::claim::ClaimStatus;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Closed here, so their codes must not live at the platform.
const GONE: [ClaimStatus; 3] = [ClaimStatus::Refunded, ClaimStatus::Failed, ClaimStatus::Expired];

/// The shop's claims to compare, in id order, at most `limit` after the id
/// `after` (keyset: claims created or closed meanwhile never shift a page):
/// every active claim, and those closed for good since `closed_since`.
pub fn claims_to_check(
    conn: &mut AnyConnection,
    shop_id: &str,
    closed_since: NaiveDateTime,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    let mut query = claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(
            claims::status
                .eq(ClaimStatus::Active)
                .or(claims::status.eq_any(GONE).and(claims::updated_at.ge(closed_since))),
        )
        .order(claims::id.asc())
        .limit(limit)
        .select(ClaimRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(claims::id.gt(after.to_string()));
    }
    query.load(conn)
}

/// The shops whose codes live at a platform.
pub(crate) fn platform_shops(conn: &mut AnyConnection) -> QueryResult<Vec<ShopRow>> {
    shops::table.filter(shops::platform_kind.eq(PlatformKind::Shopify)).select(ShopRow::as_select()).load(conn)
}
