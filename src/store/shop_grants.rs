//! The access scopes Shopify granted each shop (comma-separated, as the
//! OAuth answer gives them); written at install and token exchange.

use super::error::Result;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

diesel::table! {
    shop_grants (shop_id) {
        shop_id -> Text,
        scope -> Text,
        updated_at -> Timestamp,
    }
}

/// Records the shop's granted scope (one upsert, so an install callback and
/// a token exchange racing for one shop both succeed, the last one winning);
/// `None` (the answer named none) forgets any earlier one, so the admin says
/// "not known" rather than something old.
pub(crate) fn record(conn: &mut AnyConnection, shop_id: &str, scope: Option<&str>, now: NaiveDateTime) -> Result<()> {
    let Some(scope) = scope else {
        diesel::delete(shop_grants::table.find(shop_id)).execute(conn)?;
        return Ok(());
    };
    let row = (shop_grants::shop_id.eq(shop_id), shop_grants::scope.eq(scope), shop_grants::updated_at.eq(now));
    super::on_backend!(conn, |c| diesel::insert_into(shop_grants::table)
        .values(row)
        .on_conflict(shop_grants::shop_id)
        .do_update()
        .set((shop_grants::scope.eq(scope), shop_grants::updated_at.eq(now)))
        .execute(c))?;
    Ok(())
}

/// The granted scope, if known.
pub(crate) fn find(conn: &mut AnyConnection, shop_id: &str) -> Result<Option<String>> {
    Ok(shop_grants::table.find(shop_id).select(shop_grants::scope).first(conn).optional()?)
}
