//! Points lots in the ledger (invariant 9): every credit is a lot, every
//! debit records what it took from which lot (`lot_allocations`, points > 0)
//! and a claim's return gives back exactly that (the same rows, negated).

use super::customers::{Draw, EntryRow, Movement};
use super::error::{Error, Result};
use super::page::Keyset;
use super::schema::{ledger_entries, lot_allocations, lots, points_policies, shops};
use super::shops::ShopRow;
use super::AnyConnection;
use crate::domain::claim::EntryKind;
use crate::domain::ids::new_id;
use crate::domain::lots::{self as rules, ExpiryKind, OpenLot, PointsPolicy};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Matches the partial indexes `lots_open` and `lots_due` (a literal, so
/// SQLite's planner can prove the index applies). `open` is kept equal to
/// `remaining > 0` (a CHECK): indexing the flag rather than `remaining`
/// spares a debit that leaves points in its lot the rewrite of both indexes.
pub fn open() -> super::cached_sql::OpenLot {
    super::cached_sql::OpenLot
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lots)]
pub struct LotRow {
    pub shop_id: String,
    pub customer_id: String,
    pub id: String,
    pub points: i64,
    pub remaining: i64,
    pub expires_at: Option<NaiveDateTime>,
    pub entry_id: String,
    pub order_id: Option<String>,
    pub warned: bool,
    pub created_at: NaiveDateTime,
    pub open: bool,
}

type PolicyRow = (ExpiryKind, Option<i32>, i32, i32);

fn policy_columns() -> (
    points_policies::expiry_kind,
    points_policies::expiry_days,
    points_policies::pending_days,
    points_policies::expiry_warning_days,
) {
    (
        points_policies::expiry_kind,
        points_policies::expiry_days,
        points_policies::pending_days,
        points_policies::expiry_warning_days,
    )
}

fn policy_of(row: Option<PolicyRow>) -> PointsPolicy {
    row.map_or_else(PointsPolicy::default, |(kind, days, pending, warning)| PointsPolicy {
        expiry: kind,
        days: days.map(i64::from),
        pending_days: i64::from(pending),
        warning_days: i64::from(warning),
    })
}

/// The shop's policy (none, at once, no warnings until it sets one).
pub fn policy(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<PointsPolicy> {
    let row: Option<PolicyRow> =
        points_policies::table.find(shop_id).select(policy_columns()).get_result(conn).optional()?;
    Ok(policy_of(row))
}

/// The shop (created on first sight) with its points policy, in one query
/// when the shop exists: the claim reads both, and a separate policy lookup
/// was most of what the lots added to a claim.
pub fn shop_and_policy(conn: &mut AnyConnection, shop_id: &str) -> Result<(ShopRow, PointsPolicy)> {
    match find_shop_and_policy(conn, shop_id)? {
        Some(found) => Ok(found),
        None => Ok((super::shops::ensure(conn, shop_id)?, policy(conn, shop_id)?)),
    }
}

/// As [`shop_and_policy`], None when the shop is unknown.
pub fn find_shop_and_policy(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<Option<(ShopRow, PointsPolicy)>> {
    let row: Option<(ShopRow, Option<PolicyRow>)> = shops::table
        .left_join(points_policies::table)
        .filter(shops::id.eq(shop_id))
        .select((ShopRow::as_select(), policy_columns().nullable()))
        .get_result(conn)
        .optional()?;
    Ok(row.map(|(shop, policy)| (shop, policy_of(policy))))
}

pub fn save_policy(conn: &mut AnyConnection, shop_id: &str, policy: &PointsPolicy) -> QueryResult<()> {
    let now = crate::clock::now();
    let narrow = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let values = (
        points_policies::expiry_kind.eq(policy.expiry.as_str()),
        points_policies::expiry_days.eq(policy.days.map(narrow)),
        points_policies::pending_days.eq(narrow(policy.pending_days)),
        points_policies::expiry_warning_days.eq(narrow(policy.warning_days)),
        points_policies::updated_at.eq(now),
    );
    let updated = diesel::update(points_policies::table.find(shop_id)).set(values).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(points_policies::table)
            .values((points_policies::shop_id.eq(shop_id), values))
            .execute(conn)?;
    }
    Ok(())
}

/// A wallet's lots with points left.
pub fn open_lots(conn: &mut AnyConnection, shop_id: &str, customer_id: &str) -> QueryResult<Vec<LotRow>> {
    let query = lots::table.filter(lots::shop_id.eq(shop_id)).filter(lots::customer_id.eq(customer_id)).filter(open());
    super::on_backend!(conn, |c| query.select(LotRow::as_select()).load(c))
}

/// What a debit needs of a wallet's open lots (the `lots_open` index).
fn open_for_debit(conn: &mut AnyConnection, shop_id: &str, customer_id: &str) -> QueryResult<Vec<OpenLot>> {
    type Row = (String, i64, Option<NaiveDateTime>, NaiveDateTime, Option<String>);
    let rows: Vec<Row> = lots::table
        .filter(lots::shop_id.eq(shop_id))
        .filter(lots::customer_id.eq(customer_id))
        .filter(open())
        .select((lots::id, lots::remaining, lots::expires_at, lots::created_at, lots::order_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, remaining, expires_at, created_at, order_id)| OpenLot {
            id,
            remaining,
            expires_at,
            created_at,
            order_id,
        })
        .collect())
}

/// The newest `limit` lots of a wallet, soonest expiry first (the admin page).
pub fn all_lots(conn: &mut AnyConnection, shop_id: &str, customer_id: &str, limit: i64) -> QueryResult<Vec<LotRow>> {
    Ok(spend_sorted(newest(conn, shop_id, customer_id, None, limit)?))
}

/// A wallet's lots, newest first, `limit` rows after `after` (keyset on the
/// id: UUIDv7 made with the credit under the wallet's row lock).
pub fn newest(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Vec<LotRow>> {
    let mut query = lots::table
        .filter(lots::shop_id.eq(shop_id))
        .filter(lots::customer_id.eq(customer_id))
        .order(lots::id.desc())
        .limit(limit)
        .select(LotRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(lots::id.lt(after.id.clone()));
    }
    query.load(conn)
}

/// The keyset of a lot, for the next page.
pub fn lot_key(row: &LotRow) -> Keyset {
    Keyset { created_at: row.created_at, id: row.id.clone() }
}

/// Lots in the order debits take them: soonest expiry first, then oldest.
pub fn spend_sorted(mut rows: Vec<LotRow>) -> Vec<LotRow> {
    rows.sort_by(|a, b| rules::spend_order(&as_open(a), &as_open(b)));
    rows
}

fn as_open(row: &LotRow) -> OpenLot {
    OpenLot {
        id: row.id.clone(),
        remaining: row.remaining,
        expires_at: row.expires_at,
        created_at: row.created_at,
        order_id: row.order_id.clone(),
    }
}

/// After a credit's ledger entry: a claim's points go back to the lots the
/// claim took them from; any other credit is a new lot.
pub fn after_credit(conn: &mut AnyConnection, entry: &EntryRow, movement: &Movement) -> Result<()> {
    let mut left = entry.delta;
    if let Some(claim_id) = movement.claim_id {
        left -= give_back(conn, entry, claim_id)?;
    }
    if left <= 0 {
        return Ok(());
    }
    let policy = policy(conn, &entry.shop_id)?;
    let expires_at = policy.expiry_at(entry.created_at, crate::clock::current().day_length());
    let lot = LotRow {
        shop_id: entry.shop_id.clone(),
        customer_id: entry.customer_id.clone(),
        id: new_id(),
        points: left,
        remaining: left,
        expires_at,
        entry_id: entry.id.clone(),
        order_id: entry.order_id.clone(),
        warned: false,
        created_at: entry.created_at,
        open: true,
    };
    diesel::insert_into(lots::table).values(&lot).execute(conn)?;
    if movement.claim_id.is_none() {
        touch(conn, &policy, &entry.shop_id, &entry.customer_id, entry.created_at)?;
    }
    Ok(())
}

/// After a debit's ledger entry: what it takes from which lot.
pub fn after_debit(conn: &mut AnyConnection, entry: &EntryRow, movement: &Movement) -> Result<()> {
    let points = -entry.delta;
    let folded = matches!(movement.draw, Draw::Soonest) && take_from_soonest(conn, entry, points)?;
    if !folded {
        let chosen = choose_lots(conn, entry, &movement.draw, points)?;
        allocate(conn, entry, &chosen)?;
    }
    if movement.kind == EntryKind::Redeem {
        // The claim passes the policy it read with its shop.
        let policy = match movement.policy {
            Some(policy) => *policy,
            None => policy(conn, &entry.shop_id)?,
        };
        touch(conn, &policy, &entry.shop_id, &entry.customer_id, entry.created_at)?;
    }
    Ok(())
}

/// The lots a debit of `points` takes from, as [`rules::choose`] picks them.
fn choose_lots(conn: &mut AnyConnection, entry: &EntryRow, draw: &Draw, points: i64) -> Result<Vec<(String, i64)>> {
    if let Draw::Lots(exact) = draw {
        return Ok(exact.to_vec());
    }
    let open = open_for_debit(conn, &entry.shop_id, &entry.customer_id)?;
    let prefer = if let Draw::OrderFirst(order) = draw { Some(*order) } else { None };
    rules::choose(&open, points, prefer)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("lots of {} hold less than the balance", entry.customer_id)))
}

/// A wallet's open lot spent first ([`rules::spend_order`]: soonest expiry,
/// no expiry last, then the oldest), with its remainder: read from the
/// `lots_open` index, whose key is that order, with LIMIT 1 and no sort. A
/// macro rather than a function because diesel's type for it cannot be named
/// briefly; `bench explain` plans this very statement.
macro_rules! soonest_open_lot {
    ($shop:expr, $customer:expr) => {{
        use diesel::prelude::*;
        use $crate::store::schema::lots;
        lots::table
            .filter(lots::shop_id.eq($shop))
            .filter(lots::customer_id.eq($customer))
            .filter($crate::store::lots::open())
            .order((lots::expires_at.is_null().asc(), lots::expires_at.asc(), lots::created_at.asc(), lots::id.asc()))
            .select((lots::id, lots::remaining))
            .limit(1)
    }};
}
pub(crate) use soonest_open_lot;

/// The common debit: when the lot spent first holds more than `points`,
/// [`rules::choose`] takes everything from it, so one indexed read finds it
/// and a plain guarded UPDATE by primary key moves it; the allocation
/// follows. False (nothing written) when that lot holds `points` or fewer:
/// the debit then spans or empties lots and takes the general path.
fn take_from_soonest(conn: &mut AnyConnection, entry: &EntryRow, points: i64) -> QueryResult<bool> {
    if points <= 0 {
        return Ok(false);
    }
    let query = soonest_open_lot!(&entry.shop_id, &entry.customer_id);
    let soonest: Option<(String, i64)> = super::on_backend!(conn, |c| query.get_result(c).optional())?;
    let Some((lot_id, remaining)) = soonest else { return Ok(false) };
    if remaining <= points || !move_lot(conn, entry, &lot_id, points)? {
        return Ok(false);
    }
    record_allocation(conn, entry, &lot_id, points)?;
    Ok(true)
}

/// Takes `points` from each lot (never below zero: the guard refuses) and
/// records the allocations; negative points give back (never above the lot).
fn allocate(conn: &mut AnyConnection, entry: &EntryRow, chosen: &[(String, i64)]) -> Result<()> {
    for (lot_id, points) in chosen {
        if !move_lot(conn, entry, lot_id, *points)? {
            return Err(Error::Internal(anyhow::anyhow!("lot {lot_id} cannot move by {points}")));
        }
        // One row at a time: the multi-backend connection has no batch insert.
        record_allocation(conn, entry, lot_id, *points)?;
    }
    Ok(())
}

/// What `entry` took from (points > 0) or gave back to (points < 0) a lot.
fn record_allocation(conn: &mut AnyConnection, entry: &EntryRow, lot_id: &str, points: i64) -> QueryResult<()> {
    let insert = diesel::insert_into(lot_allocations::table).values((
        lot_allocations::shop_id.eq(&entry.shop_id),
        lot_allocations::entry_id.eq(&entry.id),
        lot_allocations::lot_id.eq(lot_id),
        lot_allocations::customer_id.eq(&entry.customer_id),
        lot_allocations::points.eq(points),
    ));
    super::on_backend!(conn, |c| insert.execute(c)).map(|_| ())
}

/// Moves one lot by `points`; false when the guard refuses. A take that
/// leaves points in the lot (the common claim) sets `remaining` only, so the
/// open-lot indexes stay as they are; only a take that empties the lot or a
/// give-back changes `open`.
fn move_lot(conn: &mut AnyConnection, entry: &EntryRow, lot_id: &str, points: i64) -> QueryResult<bool> {
    let target = lots::table.find((&entry.shop_id, &entry.customer_id, lot_id));
    let moved = if points > 0 {
        let (shop_id, customer_id) = (entry.shop_id.as_str(), entry.customer_id.as_str());
        let take = super::cached_sql::TakeKeeping { shop_id, customer_id, lot_id, points };
        let kept = super::on_backend!(conn, |c| take.execute(c))?;
        if kept == 1 {
            return Ok(true);
        }
        diesel::update(target.filter(lots::remaining.eq(points)))
            .set((lots::remaining.eq(0_i64), lots::open.eq(false)))
            .execute(conn)?
    } else {
        diesel::update(target.filter((lots::remaining - points).le(lots::points)))
            .set((lots::remaining.eq(lots::remaining - points), lots::open.eq(true)))
            .execute(conn)?
    };
    Ok(moved == 1)
}

/// Gives a claim's points back to the lots its redeem entry took them from,
/// with their original expiry. Returns the points given back (less than the
/// claim's only for a claim made before lots existed).
fn give_back(conn: &mut AnyConnection, entry: &EntryRow, claim_id: &str) -> Result<i64> {
    let redeem: Option<String> = ledger_entries::table
        .filter(ledger_entries::shop_id.eq(&entry.shop_id))
        .filter(ledger_entries::claim_id.eq(claim_id))
        .filter(ledger_entries::kind.eq(EntryKind::Redeem))
        .select(ledger_entries::id)
        .first(conn)
        .optional()?;
    let Some(redeem) = redeem else { return Ok(0) };
    let taken = allocations(conn, &entry.shop_id, &redeem)?;
    let back: Vec<(String, i64)> = taken.iter().map(|(lot, points)| (lot.clone(), -points)).collect();
    if !back.is_empty() {
        allocate(conn, entry, &back)?;
    }
    Ok(taken.iter().map(|(_, p)| p).sum())
}

/// An entry's allocations: (lot id, points taken; negative = given back).
pub fn allocations(conn: &mut AnyConnection, shop_id: &str, entry_id: &str) -> QueryResult<Vec<(String, i64)>> {
    lot_allocations::table
        .filter(lot_allocations::shop_id.eq(shop_id))
        .filter(lot_allocations::entry_id.eq(entry_id))
        .order(lot_allocations::lot_id.asc())
        .select((lot_allocations::lot_id, lot_allocations::points))
        .load(conn)
}

/// `inactivity`: activity moves the whole balance's expiry to now + days.
fn touch(
    conn: &mut AnyConnection,
    policy: &PointsPolicy,
    shop_id: &str,
    customer_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if policy.expiry != ExpiryKind::Inactivity {
        return Ok(());
    }
    let expires_at = policy.expiry_at(now, crate::clock::current().day_length());
    diesel::update(
        lots::table.filter(lots::shop_id.eq(shop_id)).filter(lots::customer_id.eq(customer_id)).filter(open()),
    )
    .set((lots::expires_at.eq(expires_at), lots::warned.eq(false)))
    .execute(conn)
    .map(|_| ())
}
