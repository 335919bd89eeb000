//! Claims: points turned into a code. Creation and refund are each one
//! unit of work (debit or credit, ledger entry, claim row, outbox row).

use super::customers::{self, Movement};
use super::error::{Error, Result};
use super::notify;
use super::outbox::{self, OutboxAction};
use super::page::Keyset;
use super::schema::claims;
use super::{programs, AnyConnection};
use crate::domain::claim::{self, CancelledBy, ClaimStatus, EntryKind};
use crate::domain::code;
use crate::domain::ids::{new_id, CustomerId, ShopDomain};
use crate::domain::money::Currency;
use crate::domain::notify::EventType;
use crate::domain::points::Points;
use crate::domain::program::{Channel, ProgramSettings, PurchaseType};
use crate::domain::refusal::Reason;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = claims)]
pub struct ClaimRow {
    pub shop_id: String,
    pub id: String,
    pub customer_id: String,
    pub channel: Channel,
    pub code: String,
    pub points: i64,
    pub value_minor: i64,
    pub currency: String,
    pub(crate) purchase_type: PurchaseType,
    pub status: ClaimStatus,
    pub program_version: i64,
    pub(crate) program_snapshot: String,
    pub platform_id: Option<String>,
    pub order_id: Option<String>,
    pub order_subtotal_minor: Option<i64>,
    pub failure_reason: Option<String>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) expires_at: Option<NaiveDateTime>,
    pub(crate) used_at: Option<NaiveDateTime>,
    pub(crate) refunded_at: Option<NaiveDateTime>,
    /// Something the merchant should look at (e.g. used by another customer).
    pub flag: Option<String>,
    /// Who cancelled the code (set once, by the first who asked).
    pub cancelled_by: Option<CancelledBy>,
}

impl ClaimRow {
    /// The program settings this claim was made under (invariant 3).
    pub fn snapshot(&self) -> Result<ProgramSettings> {
        programs::parse_settings(&self.program_snapshot)
    }
}

/// A claim request that passed the door.
#[derive(Clone)]
pub struct ClaimRequest {
    pub shop: ShopDomain,
    pub customer: CustomerId,
    pub channel: Channel,
    pub points: Points,
    pub purchase_type: Option<PurchaseType>,
    /// Segment membership, when the program needs it and it is known.
    pub segment_member: Option<bool>,
}

pub fn find(conn: &mut AnyConnection, shop_id: &str, id: &str) -> QueryResult<Option<ClaimRow>> {
    claims::table.find((shop_id, id)).select(ClaimRow::as_select()).get_result(conn).optional()
}

pub(crate) fn find_by_code(conn: &mut AnyConnection, shop_id: &str, code: &str) -> QueryResult<Option<ClaimRow>> {
    claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(claims::code.eq(code))
        .select(ClaimRow::as_select())
        .get_result(conn)
        .optional()
}

/// A customer's claims, newest first, `limit` rows after `after` (keyset on
/// the id: UUIDv7, so id order is creation order, index `claims_customer`,
/// and claims created meanwhile never shift a page).
pub fn for_customer(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    let mut query = claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(claims::customer_id.eq(customer_id))
        .order(claims::id.desc())
        .limit(limit)
        .select(ClaimRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(claims::id.lt(after.id.clone()));
    }
    query.load(conn)
}

/// A customer's open codes (pending or active), newest first.
pub(crate) fn open_for_customer(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer_id: &str,
    limit: i64,
) -> QueryResult<Vec<ClaimRow>> {
    claims::table
        .filter(claims::shop_id.eq(shop_id))
        .filter(claims::customer_id.eq(customer_id))
        .filter(claims::status.eq_any([ClaimStatus::Pending, ClaimStatus::Active]))
        .order(claims::id.desc())
        .limit(limit)
        .select(ClaimRow::as_select())
        .load(conn)
}

/// The keyset of a claim, for the next page.
pub(crate) fn claim_key(row: &ClaimRow) -> Keyset {
    Keyset { created_at: row.created_at, id: row.id.clone() }
}

/// The claim (docs/DESIGN.md): rules, conditional debit, ledger entry, claim row
/// with the program snapshot and, for a platform shop, the outbox row.
pub fn create(conn: &mut AnyConnection, request: &ClaimRequest) -> Result<ClaimRow> {
    let shop_id = request.shop.as_str();
    let customer_id = request.customer.as_str();
    let (shop, policy) = super::lots::shop_and_policy(conn, shop_id)?;
    if !shop.is_native() && !shop.platform_enabled {
        return Err(Reason::PlatformDisabled.into());
    }
    if super::offer_settings::get(conn, shop_id)?.blocks(customer_id) {
        return Err(Reason::CustomerBlocked.into());
    }
    customers::ensure(conn, shop_id, customer_id)?;
    let program = programs::current(conn, shop_id, request.channel)?;
    let currency = Currency::parse(&shop.currency).map_err(Error::internal_msg)?;
    let terms = claim::terms(
        &program.settings,
        currency,
        customer_id,
        request.segment_member,
        request.points,
        request.purchase_type,
    )?;
    let now = crate::clock::now();
    let id = new_id();
    let movement = Movement { claim_id: Some(&id), policy: Some(&policy), ..Movement::of(EntryKind::Redeem) };
    customers::debit(conn, shop_id, customer_id, terms.points.get(), movement)?;
    let status = if shop.is_native() { ClaimStatus::Active } else { ClaimStatus::Pending };
    let mut row = ClaimRow {
        shop_id: shop_id.into(),
        id: id.clone(),
        customer_id: customer_id.into(),
        channel: request.channel,
        code: fresh_code(program.settings.code_prefix.as_deref()),
        points: terms.points.get(),
        value_minor: terms.value_minor,
        currency: currency.code().into(),
        purchase_type: terms.purchase_type,
        status,
        program_version: program.version,
        program_snapshot: serde_json::to_string(&program.settings).map_err(Error::internal)?,
        platform_id: None,
        order_id: None,
        order_subtotal_minor: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
        expires_at: claim::expiry(&program.settings, now),
        used_at: None,
        refunded_at: None,
        flag: None,
        cancelled_by: None,
    };
    insert_row(conn, &mut row)?;
    if status == ClaimStatus::Pending {
        enqueue(conn, shop_id, &id, OutboxAction::Create, now)?;
    }
    notify::enqueue(conn, shop_id, EventType::ClaimCreated, event_data(&row, currency), now)?;
    Ok(row)
}

/// A fresh random code (`code::generate`); whether the shop already has
/// it is found out by the insert (`insert_row`), not by a lookup before.
pub(super) fn fresh_code(prefix: Option<&str>) -> String {
    code::generate(prefix, &mut rand::thread_rng())
}

/// Inserts the claim row. A code the shop already has (the unique index
/// `claims_code`; 49.5 random bits make it astronomically rare) is drawn
/// again, prefix kept (`code::redraw`), and the insert tried again:
/// `ON CONFLICT DO NOTHING` reports the collision without failing the
/// statement, so there is no lookup before the insert and no savepoint
/// around it. True when the code was redrawn (what was built from the old
/// code must be built again).
pub fn insert_row(conn: &mut AnyConnection, row: &mut ClaimRow) -> Result<bool> {
    for attempt in 0..8 {
        let insert = diesel::insert_into(claims::table).values(&*row).on_conflict_do_nothing();
        if super::on_backend!(conn, |c| insert.execute(c))? == 1 {
            return Ok(attempt > 0);
        }
        row.code = code::redraw(&row.code, &mut rand::thread_rng());
    }
    Err(Error::Internal(anyhow::anyhow!("no unused code after 8 draws")))
}

pub(crate) use super::outbox::enqueue;

/// What a merchant's system hears about a claim (`claim.*` webhooks).
pub(super) fn event_data(claim: &ClaimRow, currency: Currency) -> serde_json::Value {
    serde_json::json!({
        "claim_id": claim.id,
        "customer_id": claim.customer_id,
        "code": claim.code,
        "points": claim.points,
        "value": currency.format_minor(claim.value_minor),
        "currency": claim.currency,
        "channel": claim.channel,
        "expires_at": claim.expires_at.map(|at| at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    })
}

/// Moves a claim from one of `from` to `to`; false when another writer got
/// there first (the status is the lock: each transition happens once).
fn transition(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    from: &[ClaimStatus],
    to: ClaimStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let refunded_at = matches!(to, ClaimStatus::Refunded | ClaimStatus::Failed | ClaimStatus::Expired).then_some(now);
    let updated = diesel::update(claims::table.find((&claim.shop_id, &claim.id)))
        .filter(claims::status.eq_any(from))
        .set((claims::status.eq(to), claims::updated_at.eq(now), claims::refunded_at.eq(refunded_at)))
        .execute(conn)?;
    Ok(updated == 1)
}

pub struct Refund {
    pub claim: ClaimRow,
    /// 0 while the platform is still deleting the code (refund_pending).
    pub points_refunded: i64,
    pub(crate) points_balance: i64,
}

/// Closes a claim from one of `from` into `to` and credits its points with a
/// ledger entry of `kind`: once, because only one writer wins the status.
pub(crate) fn close_with_credit(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    from: &[ClaimStatus],
    to: ClaimStatus,
    kind: EntryKind,
    reason: Option<&str>,
) -> Result<Option<customers::EntryRow>> {
    let now = crate::clock::now();
    if !transition(conn, claim, from, to, now)? {
        return Ok(None);
    }
    if to == ClaimStatus::Expired {
        mark_cancelled(conn, claim, CancelledBy::Expiry)?;
    }
    if to == ClaimStatus::Failed {
        diesel::update(claims::table.find((&claim.shop_id, &claim.id)))
            .set(claims::failure_reason.eq(reason))
            .execute(conn)?;
    }
    let movement = Movement { claim_id: Some(&claim.id), reason, ..Movement::of(kind) };
    let entry = customers::credit(conn, &claim.shop_id, &claim.customer_id, claim.points, movement)?;
    if to == ClaimStatus::Refunded {
        let currency = Currency::parse(&claim.currency).map_err(Error::internal_msg)?;
        let mut data = event_data(claim, currency);
        data["points_refunded"] = claim.points.into();
        data["points_balance"] = entry.balance_after.into();
        notify::enqueue(conn, &claim.shop_id, EventType::ClaimRefunded, data, now)?;
    }
    Ok(Some(entry))
}

/// Gives an unused code's points back, exactly once. A code live at the
/// platform is deleted there first (refund_pending, finished by the relay);
/// a code not yet pushed is cancelled and credited at once. `owner` limits
/// the refund to that customer's claims (the shopper's own door).
pub fn refund(conn: &mut AnyConnection, shop_id: &str, claim_id: &str, owner: Option<&str>) -> Result<Refund> {
    let by = if owner.is_some() { CancelledBy::Shopper } else { CancelledBy::Merchant };
    refund_by(conn, shop_id, claim_id, owner, by)
}

/// `refund`, saying who asked for it (recorded on the claim).
pub fn refund_by(
    conn: &mut AnyConnection,
    shop_id: &str,
    claim_id: &str,
    owner: Option<&str>,
    by: CancelledBy,
) -> Result<Refund> {
    let claim = find(conn, shop_id, claim_id)?
        .filter(|c| owner.is_none_or(|o| o == c.customer_id))
        .ok_or_else(|| Error::NotFound("claim"))?;
    let now = crate::clock::now();
    let live_at_platform = claim.status == ClaimStatus::Active && claim.platform_id.is_some();
    if live_at_platform {
        if !transition(conn, &claim, &[ClaimStatus::Active], ClaimStatus::RefundPending, now)? {
            return Err(not_refundable(&claim));
        }
        mark_cancelled(conn, &claim, by)?;
        enqueue(conn, shop_id, &claim.id, OutboxAction::Refund, now)?;
        let balance = customers::balance(conn, shop_id, &claim.customer_id)?;
        let claim = reload(conn, &claim)?;
        return Ok(Refund { claim, points_refunded: 0, points_balance: balance });
    }
    let refundable = [ClaimStatus::Pending, ClaimStatus::Active];
    let entry = close_with_credit(conn, &claim, &refundable, ClaimStatus::Refunded, EntryKind::Refund, None)?
        .ok_or_else(|| not_refundable(&claim))?;
    mark_cancelled(conn, &claim, by)?;
    if outbox::cancel_for_claim(conn, shop_id, &claim.id, OutboxAction::Create, now)? > 0 {
        // A push was attempted: the code may exist at the platform after all.
        enqueue(conn, shop_id, &claim.id, OutboxAction::Cleanup, now)?;
    }
    let claim = reload(conn, &claim)?;
    Ok(Refund { points_refunded: claim.points, points_balance: entry.balance_after, claim })
}

/// Records who cancelled a code, in the transaction that cancels it. Only
/// the first is kept: a discount deleted at the platform while the shopper's
/// own refund deletes it is still the shopper's cancellation.
pub(crate) fn mark_cancelled(conn: &mut AnyConnection, claim: &ClaimRow, by: CancelledBy) -> QueryResult<()> {
    diesel::update(claims::table.find((&claim.shop_id, &claim.id)))
        .filter(claims::cancelled_by.is_null())
        .set(claims::cancelled_by.eq(by))
        .execute(conn)
        .map(drop)
}

fn reload(conn: &mut AnyConnection, claim: &ClaimRow) -> Result<ClaimRow> {
    find(conn, &claim.shop_id, &claim.id)?.ok_or_else(|| Error::NotFound("claim"))
}

/// The platform holds the code now: pending → active with its node id.
/// False when the claim moved on meanwhile (e.g. refunded while pushing).
pub(crate) fn activate(conn: &mut AnyConnection, claim: &ClaimRow, platform_id: &str) -> QueryResult<bool> {
    let now = crate::clock::now();
    diesel::update(claims::table.find((&claim.shop_id, &claim.id)))
        .set(claims::platform_id.eq(platform_id))
        .execute(conn)?;
    transition(conn, claim, &[ClaimStatus::Pending], ClaimStatus::Active, now)
}

/// Records the platform's node id (reconciliation re-push).
pub(crate) fn set_platform_id(conn: &mut AnyConnection, claim: &ClaimRow, platform_id: &str) -> QueryResult<()> {
    diesel::update(claims::table.find((&claim.shop_id, &claim.id)))
        .set((claims::platform_id.eq(platform_id), claims::updated_at.eq(crate::clock::now())))
        .execute(conn)
        .map(|_| ())
}

fn not_refundable(claim: &ClaimRow) -> Error {
    Reason::ClaimNotRefundable { status: claim.status }.into()
}
