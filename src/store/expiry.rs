//! Points expiry: due lots leave the balance in bounded batches, one
//! `expire` entry per customer per pass; warnings before a lot expires.

use super::customers::{self, Draw, Movement};
use super::error::Result;
use super::lots::open;
use super::schema::{expiry_warnings, lots, points_policies};
use super::{is_unique_violation, AnyConnection};
use crate::domain::claim::EntryKind;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use std::collections::BTreeMap;

/// Shops that ever set a policy (only their lots can carry an expiry).
pub(crate) fn policy_shops(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i32)>> {
    points_policies::table
        .order(points_policies::shop_id.asc())
        .select((points_policies::shop_id, points_policies::expiry_warning_days))
        .load(conn)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    pub customers: usize,
    pub(crate) lots: usize,
    pub points: i64,
}

/// One batch: up to `limit` due lots of the shop pick the customers; each
/// of them loses every due lot in one `expire` entry. Resumable: what is
/// done is no longer due, so the next batch goes on from there.
pub(crate) fn expire_batch(conn: &mut AnyConnection, shop_id: &str, now: NaiveDateTime, limit: i64) -> Result<Expired> {
    let due: Vec<String> = lots::table
        .filter(lots::shop_id.eq(shop_id))
        .filter(open())
        .filter(lots::expires_at.le(now))
        .order(lots::expires_at.asc())
        .limit(limit)
        .select(lots::customer_id)
        .load(conn)?;
    let mut customers: Vec<String> = due;
    customers.sort();
    customers.dedup();
    let mut done = Expired::default();
    for customer in customers {
        // `(expires_at IS NULL) = false` names `lots_open`'s third column, so
        // the wallet's lots are found by (shop, customer); without it SQLite
        // prefers `lots_due` and walks every due lot of the shop per customer
        // (a 100,000-lot sweep then took > 15 min instead of seconds).
        let drawn: Vec<(String, i64)> = lots::table
            .filter(lots::shop_id.eq(shop_id))
            .filter(lots::customer_id.eq(&customer))
            .filter(open())
            .filter(lots::expires_at.is_null().eq(false))
            .filter(lots::expires_at.le(now))
            .select((lots::id, lots::remaining))
            .load(conn)?;
        let points: i64 = drawn.iter().map(|(_, p)| p).sum();
        if points == 0 {
            continue;
        }
        let movement = Movement { draw: Draw::Lots(&drawn), ..Movement::of(EntryKind::Expire) };
        customers::debit(conn, shop_id, &customer, points, movement)?;
        done.customers += 1;
        done.lots += drawn.len();
        done.points += points;
    }
    Ok(done)
}

/// A `points.expiring` warning to send: once per customer per expiry date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub customer_id: String,
    pub points: i64,
    pub(crate) expires_at: NaiveDateTime,
}

/// Up to `limit` lots expiring within `lead` that were not warned about:
/// marks them warned and returns the warnings not given before.
pub(crate) fn warn_batch(
    conn: &mut AnyConnection,
    shop_id: &str,
    now: NaiveDateTime,
    lead: Duration,
    limit: i64,
) -> Result<Vec<Warning>> {
    let rows: Vec<(String, String, i64, Option<NaiveDateTime>)> = lots::table
        .filter(lots::shop_id.eq(shop_id))
        .filter(open())
        .filter(lots::expires_at.gt(now))
        .filter(lots::expires_at.le(now + lead))
        .filter(lots::warned.eq(false))
        .order(lots::expires_at.asc())
        .limit(limit)
        .select((lots::customer_id, lots::id, lots::remaining, lots::expires_at))
        .load(conn)?;
    let mut groups: BTreeMap<(String, NaiveDateTime), i64> = BTreeMap::new();
    for (customer, id, remaining, expires_at) in &rows {
        let Some(expires_at) = expires_at else { continue };
        *groups.entry((customer.clone(), *expires_at)).or_default() += remaining;
        diesel::update(lots::table.find((shop_id, customer, id))).set(lots::warned.eq(true)).execute(conn)?;
    }
    let mut fresh = Vec::new();
    for ((customer_id, expires_at), points) in groups {
        if record_warning(conn, shop_id, &customer_id, expires_at, points, now)? {
            fresh.push(Warning { customer_id, points, expires_at });
        }
    }
    Ok(fresh)
}

fn record_warning(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    expires_at: NaiveDateTime,
    points: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(expiry_warnings::table)
            .values((
                expiry_warnings::shop_id.eq(shop_id),
                expiry_warnings::customer_id.eq(customer_id),
                expiry_warnings::expires_at.eq(expires_at),
                expiry_warnings::points.eq(points),
                expiry_warnings::created_at.eq(now),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
