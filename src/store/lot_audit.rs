//! Invariant 9 for one wallet, read straight from the tables (the tests
//! call it after every step; `bench verify` checks the same over a whole
//! database in SQL).

use super::error::Result;
use super::schema::{customers, ledger_entries, lot_allocations, lots, pending_points};
use super::AnyConnection;
use crate::domain::claim::EntryKind;
use diesel::prelude::*;
use std::collections::BTreeMap;

/// What is wrong with the wallet's lots; empty when every invariant holds.
pub fn violations(conn: &mut AnyConnection, shop_id: &str, customer_id: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let balance: i64 = customers::table
        .find((shop_id, customer_id))
        .select(customers::points_balance)
        .first(conn)
        .optional()?
        .unwrap_or(0);
    type Entry = (String, i64, i64, EntryKind, Option<String>);
    let entries: Vec<Entry> = ledger_entries::table
        .filter(ledger_entries::shop_id.eq(shop_id))
        .filter(ledger_entries::customer_id.eq(customer_id))
        .select((
            ledger_entries::id,
            ledger_entries::delta,
            ledger_entries::pending_delta,
            ledger_entries::kind,
            ledger_entries::claim_id,
        ))
        .load(conn)?;
    let lot_rows: Vec<(String, i64, i64)> = lots::table
        .filter(lots::shop_id.eq(shop_id))
        .filter(lots::customer_id.eq(customer_id))
        .select((lots::id, lots::points, lots::remaining))
        .load(conn)?;
    let allocations: Vec<(String, String, i64)> = lot_allocations::table
        .filter(lot_allocations::shop_id.eq(shop_id))
        .filter(lot_allocations::customer_id.eq(customer_id))
        .select((lot_allocations::entry_id, lot_allocations::lot_id, lot_allocations::points))
        .load(conn)?;
    let pending: Vec<i64> = pending_points::table
        .filter(pending_points::shop_id.eq(shop_id))
        .filter(pending_points::customer_id.eq(customer_id))
        .select(pending_points::points)
        .load(conn)?;

    let ledger: i64 = entries.iter().map(|e| e.1).sum();
    let remaining: i64 = lot_rows.iter().map(|l| l.2).sum();
    if balance != ledger || balance != remaining {
        found.push(format!("balance {balance}, Σ ledger {ledger}, Σ lot remainders {remaining}"));
    }
    for (id, points, remaining) in &lot_rows {
        let drawn: i64 = allocations.iter().filter(|a| &a.1 == id).map(|a| a.2).sum();
        if *remaining < 0 || remaining > points || *remaining != points - drawn {
            found.push(format!("lot {id}: {remaining} of {points} left, {drawn} drawn"));
        }
    }
    let mut by_entry: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
    for (entry, lot, points) in &allocations {
        by_entry.entry(entry.as_str()).or_default().push((lot.as_str(), *points));
    }
    for (id, delta, _, kind, claim) in &entries {
        let drawn: i64 = by_entry.get(id.as_str()).map_or(0, |a| a.iter().map(|x| x.1).sum());
        let needs = *delta < 0 || (claim.is_some() && *delta > 0);
        if needs && drawn != -delta {
            found.push(format!("{kind} entry {id} of {delta}: allocations sum to {drawn}"));
        }
    }
    claim_returns(&entries, &by_entry, &mut found);
    let pending_sum: i64 = entries.iter().map(|e| e.2).sum();
    let held: i64 = pending.iter().sum();
    if pending_sum != held || held < 0 || pending.iter().any(|p| *p < 0) {
        found.push(format!("pending: Σ pending_delta {pending_sum}, held {held}"));
    }
    Ok(found)
}

/// A claim's return gives back exactly what its redeem entry took.
fn claim_returns(
    entries: &[(String, i64, i64, EntryKind, Option<String>)],
    by_entry: &BTreeMap<&str, Vec<(&str, i64)>>,
    found: &mut Vec<String>,
) {
    for (id, delta, _, _, claim) in entries.iter().filter(|e| e.1 > 0 && e.4.is_some()) {
        let Some(redeem) = entries.iter().find(|e| e.4 == *claim && e.3 == EntryKind::Redeem) else { continue };
        let mut taken: Vec<(&str, i64)> = by_entry.get(redeem.0.as_str()).cloned().unwrap_or_default();
        let mut back: Vec<(&str, i64)> =
            by_entry.get(id.as_str()).cloned().unwrap_or_default().into_iter().map(|(l, p)| (l, -p)).collect();
        taken.sort();
        back.sort();
        if taken != back {
            found.push(format!("return {id} of {delta} gives back {back:?}, the claim took {taken:?}"));
        }
    }
}
