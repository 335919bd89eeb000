//! A customer's wallet as one read: shop, balance and the channel's program.

use super::customers::{self, CustomerRow};
use super::programs::{self, Program};
use super::shops::{self, ShopRow};
use super::AnyConnection;
use crate::domain::program::Channel;
use crate::error::AppResult;

pub struct Wallet {
    pub shop: ShopRow,
    pub customer: CustomerRow,
    pub program: Program,
}

/// The wallet, or None when the shop or customer has not been seen yet.
pub fn find(conn: &mut AnyConnection, shop_id: &str, customer_id: &str, channel: Channel) -> AppResult<Option<Wallet>> {
    let Some(shop) = shops::find(conn, shop_id)? else {
        return Ok(None);
    };
    let Some(customer) = customers::find(conn, shop_id, customer_id)? else {
        return Ok(None);
    };
    let program = programs::current(conn, shop_id, channel)?;
    Ok(Some(Wallet { shop, customer, program }))
}

/// Creates what is missing (write transaction), then reads the wallet.
pub fn ensure(conn: &mut AnyConnection, shop_id: &str, customer_id: &str, channel: Channel) -> AppResult<Wallet> {
    let shop = shops::ensure(conn, shop_id)?;
    let customer = customers::ensure(conn, shop_id, customer_id)?;
    let program = programs::current(conn, shop_id, channel)?;
    Ok(Wallet { shop, customer, program })
}
