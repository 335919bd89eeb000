//! A customer's wallet as one read: shop, balance and the channel's program.

use super::customers::{self, CustomerRow};
use super::error::Result;
use super::programs::{self, Program};
use super::shops::{self, ShopRow};
use super::{pending, AnyConnection};
use crate::domain::program::Channel;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub(crate) struct Wallet {
    pub(crate) shop: ShopRow,
    pub(crate) customer: CustomerRow,
    pub(crate) program: Program,
    pub(crate) points: PointsOutlook,
}

/// Points not yet spendable, and the next expiry dates, soonest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct PointsOutlook {
    pub(crate) pending: i64,
    pub(crate) expiring: Vec<(i64, NaiveDateTime)>,
}

/// Up to this many next expiry dates are shown.
const EXPIRING_DATES: i64 = 5;

fn outlook(conn: &mut AnyConnection, shop_id: &str, customer_id: &str) -> Result<PointsOutlook> {
    Ok(PointsOutlook {
        pending: pending::total(conn, shop_id, customer_id)?,
        expiring: expiring(conn, shop_id, customer_id)?,
    })
}

/// The soonest `dates` expiry dates of a wallet's open lots, with the
/// points expiring on each: one row per date, however many lots the wallet
/// holds. Grouped and ordered as the `lots_open` index is, so that index
/// is searched: grouped by `expires_at` alone, SQLite searched the whole
/// shop's lots by `lots_due` instead. The never-expiring group comes last
/// and is dropped. A macro because diesel's type for it cannot be named
/// briefly; `bench explain` plans this very statement.
macro_rules! expiring_dates {
    ($shop:expr, $customer:expr, $dates:expr) => {{
        use diesel::prelude::*;
        use $crate::store::schema::lots;
        lots::table
            .filter(lots::shop_id.eq($shop))
            .filter(lots::customer_id.eq($customer))
            .filter($crate::store::lots::open())
            .group_by(($crate::store::cached_sql::NeverExpires, lots::expires_at))
            .select((lots::expires_at, $crate::store::cached_sql::RemainingSum))
            .order(($crate::store::cached_sql::NeverExpires.asc(), lots::expires_at.asc()))
            .limit($dates)
    }};
}
pub(crate) use expiring_dates;

fn expiring(conn: &mut AnyConnection, shop: &str, customer: &str) -> QueryResult<Vec<(i64, NaiveDateTime)>> {
    let query = expiring_dates!(shop, customer, EXPIRING_DATES);
    let rows: Vec<(Option<NaiveDateTime>, i64)> = super::on_backend!(conn, |c| query.load(c))?;
    Ok(rows.into_iter().filter_map(|(at, points)| Some((points, at?))).collect())
}

/// The wallet, or None when the shop or customer has not been seen yet.
/// The program comes parsed from `cache` (checked against the newest
/// version number, so a saved program shows at once).
pub(crate) fn find(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    channel: Channel,
    cache: &programs::Cache,
) -> Result<Option<Wallet>> {
    let Some(shop) = shops::find(conn, shop_id)? else {
        return Ok(None);
    };
    let Some(customer) = customers::find(conn, shop_id, customer_id)? else {
        return Ok(None);
    };
    let program = cache.current(conn, shop_id, channel)?.program(channel);
    let points = outlook(conn, shop_id, customer_id)?;
    Ok(Some(Wallet { shop, customer, program, points }))
}

/// Creates what is missing (write transaction), then reads the wallet.
pub(crate) fn ensure(conn: &mut AnyConnection, shop_id: &str, customer_id: &str, channel: Channel) -> Result<Wallet> {
    let shop = shops::ensure(conn, shop_id)?;
    let customer = customers::ensure(conn, shop_id, customer_id)?;
    let program = programs::current(conn, shop_id, channel)?;
    let points = outlook(conn, shop_id, customer_id)?;
    Ok(Wallet { shop, customer, program, points })
}
