//! A customer's wallet as one read: shop, balance and the channel's program.

use super::customers::{self, CustomerRow};
use super::error::Result;
use super::programs::{self, Program};
use super::shops::{self, ShopRow};
use super::{lots, pending, AnyConnection};
use crate::domain::program::Channel;
use chrono::NaiveDateTime;
use std::collections::BTreeMap;

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
const EXPIRING_DATES: usize = 5;

fn outlook(conn: &mut AnyConnection, shop_id: &str, customer_id: &str) -> Result<PointsOutlook> {
    let mut dates: BTreeMap<NaiveDateTime, i64> = BTreeMap::new();
    for lot in lots::open_lots(conn, shop_id, customer_id)? {
        if let Some(at) = lot.expires_at {
            *dates.entry(at).or_default() += lot.remaining;
        }
    }
    Ok(PointsOutlook {
        pending: pending::total(conn, shop_id, customer_id)?,
        expiring: dates.into_iter().take(EXPIRING_DATES).map(|(at, points)| (points, at)).collect(),
    })
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
