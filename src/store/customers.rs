//! Wallets and their ledger. A balance only ever moves together with a
//! ledger entry carrying the balance after it (invariant 1).

use super::error::{Error, Result};
use super::page::Keyset;
use super::schema::{customers, ledger_entries};
use super::{is_unique_violation, AnyConnection};
use crate::domain::claim::EntryKind;
use crate::domain::ids::new_id;
use crate::domain::refusal::Reason;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = customers)]
pub struct CustomerRow {
    pub(crate) shop_id: String,
    pub(crate) id: String,
    pub points_balance: i64,
    pub(crate) email: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    /// Set when the platform asked to erase the customer's personal data.
    pub(crate) redacted_at: Option<NaiveDateTime>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    /// Digits only.
    pub(crate) phone: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct EntryRow {
    pub shop_id: String,
    pub id: String,
    pub(crate) customer_id: String,
    pub delta: i64,
    pub balance_after: i64,
    pub kind: EntryKind,
    pub claim_id: Option<String>,
    pub order_id: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) created_at: NaiveDateTime,
    /// Change of the points pending in the return window (0 for most entries).
    pub(crate) pending_delta: i64,
}

/// What a balance change is for; becomes the ledger entry.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub(crate) kind: EntryKind,
    pub(crate) claim_id: Option<&'a str>,
    pub(crate) order_id: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    /// Which lots a debit draws on.
    pub(crate) draw: Draw<'a>,
    /// Points leaving (< 0) or entering (> 0) the pending amount.
    pub(crate) pending_delta: i64,
    /// The shop's points policy when the caller has read it already (a
    /// claim reads it with its shop), so the lots need not read it again.
    pub(crate) policy: Option<&'a crate::domain::lots::PointsPolicy>,
}

impl Movement<'_> {
    /// A movement of `kind` with nothing else said.
    pub(crate) fn of(kind: EntryKind) -> Self {
        Movement {
            kind,
            claim_id: None,
            order_id: None,
            reason: None,
            draw: Draw::default(),
            pending_delta: 0,
            policy: None,
        }
    }
}

/// Which lots a debit takes its points from.
#[derive(Debug, Clone, Default)]
pub(crate) enum Draw<'a> {
    /// Soonest to expire first, then the oldest.
    #[default]
    Soonest,
    /// That order's own lots first, then as `Soonest`.
    OrderFirst(&'a str),
    /// Exactly these (lot id, points): the expiry sweep.
    Lots(&'a [(String, i64)]),
}

pub fn find(conn: &mut AnyConnection, shop_id: &str, id: &str) -> QueryResult<Option<CustomerRow>> {
    super::on_backend!(conn, |c| customers::table
        .find((shop_id, id))
        .select(CustomerRow::as_select())
        .get_result(c)
        .optional())
}

/// Returns the wallet, creating it with 0 points on first sight.
pub(crate) fn ensure(conn: &mut AnyConnection, shop_id: &str, id: &str) -> Result<CustomerRow> {
    if let Some(row) = find(conn, shop_id, id)? {
        return Ok(row);
    }
    let now = crate::clock::now();
    let row = CustomerRow {
        shop_id: shop_id.into(),
        id: id.into(),
        points_balance: 0,
        email: None,
        display_name: None,
        created_at: now,
        updated_at: now,
        redacted_at: None,
        first_name: None,
        last_name: None,
        phone: None,
    };
    match conn.transaction(|c| diesel::insert_into(customers::table).values(&row).execute(c)) {
        Ok(_) => Ok(row),
        Err(e) if is_unique_violation(&e) => Ok(find(conn, shop_id, id)?.ok_or(e)?),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn balance(conn: &mut AnyConnection, shop_id: &str, id: &str) -> QueryResult<i64> {
    let query = customers::table.find((shop_id, id)).select(customers::points_balance);
    super::on_backend!(conn, |c| query.get_result(c))
}

/// Conditional debit: succeeds only if the balance covers `points`, checked
/// and applied in one statement so concurrent debits cannot overdraw.
pub(crate) fn debit(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    points: i64,
    movement: Movement,
) -> Result<EntryRow> {
    let now = crate::clock::now();
    let debit = super::cached_sql::DebitBalance { shop_id, customer_id: id, points, now };
    let Some(after) = super::on_backend!(conn, |c| debit.get_result::<i64>(c).optional())? else {
        let balance = balance(conn, shop_id, id).optional()?.unwrap_or(0);
        return Err(Reason::InsufficientPoints { balance }.into());
    };
    let entry = record_after(conn, shop_id, id, -points, after, &movement, now)?;
    super::lots::after_debit(conn, &entry, &movement)?;
    Ok(entry)
}

pub(crate) fn credit(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    points: i64,
    movement: Movement,
) -> Result<EntryRow> {
    let now = crate::clock::now();
    let updated = diesel::update(customers::table.find((shop_id, id)))
        .set((customers::points_balance.eq(customers::points_balance + points), customers::updated_at.eq(now)))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::NotFound("customer"));
    }
    let entry = record(conn, shop_id, id, points, &movement, now)?;
    super::lots::after_credit(conn, &entry, &movement)?;
    Ok(entry)
}

/// An entry that moves only pending points (delta 0): earned inside the
/// return window, or taken back by a refund inside it.
pub(crate) fn record_pending(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    movement: Movement,
) -> Result<EntryRow> {
    let now = crate::clock::now();
    diesel::update(customers::table.find((shop_id, id))).set(customers::updated_at.eq(now)).execute(conn)?;
    record(conn, shop_id, id, 0, &movement, now)
}

fn record(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    delta: i64,
    movement: &Movement,
    now: NaiveDateTime,
) -> Result<EntryRow> {
    let balance_after = balance(conn, shop_id, id)?;
    record_after(conn, shop_id, id, delta, balance_after, movement, now)
}

/// The ledger entry of a movement whose balance after is known.
fn record_after(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    delta: i64,
    balance_after: i64,
    movement: &Movement,
    now: NaiveDateTime,
) -> Result<EntryRow> {
    let entry = EntryRow {
        shop_id: shop_id.into(),
        id: new_id(),
        customer_id: id.into(),
        delta,
        balance_after,
        kind: movement.kind,
        claim_id: movement.claim_id.map(str::to_string),
        order_id: movement.order_id.map(str::to_string),
        reason: movement.reason.map(str::to_string),
        created_at: now,
        pending_delta: movement.pending_delta,
    };
    super::on_backend!(conn, |c| diesel::insert_into(ledger_entries::table).values(&entry).execute(c))?;
    Ok(entry)
}

/// A customer's ledger, newest first, `limit` rows after `after` (keyset).
pub fn entries(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Vec<EntryRow>> {
    let mut query = ledger_entries::table
        .filter(ledger_entries::shop_id.eq(shop_id))
        .filter(ledger_entries::customer_id.eq(id))
        .order(ledger_entries::id.desc())
        .limit(limit)
        .select(EntryRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(ledger_entries::id.lt(after.id.clone()));
    }
    query.load(conn)
}

/// The keyset of an entry, for the next page.
pub(crate) fn entry_key(row: &EntryRow) -> Keyset {
    Keyset { created_at: row.created_at, id: row.id.clone() }
}

/// An admin's manual change of a balance, with its reason; never below zero.
pub fn adjust(conn: &mut AnyConnection, shop_id: &str, id: &str, delta: i64, reason: &str) -> Result<EntryRow> {
    super::shops::ensure(conn, shop_id)?;
    ensure(conn, shop_id, id)?;
    let movement = Movement { reason: Some(reason), ..Movement::of(EntryKind::Adjust) };
    if delta > 0 {
        credit(conn, shop_id, id, delta, movement)
    } else {
        debit(conn, shop_id, id, -delta, movement)
    }
}
