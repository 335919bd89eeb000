//! The lean claim write. Everything a claim only *reads* —
//! the shop and its points policy, whether the customer is blocked or
//! exists, the program (parsed once per version, `programs::Cache`), the
//! rules' verdict, the snapshot and event JSON — is prepared on a pooled
//! read connection *before* the write, with a freshly drawn code. The write
//! itself (on SQLite: inside the group writer) re-checks what matters and
//! only writes: the program version is still the newest (else the full path
//! runs), the conditional debit re-checks the balance, then the lot
//! allocation, the claim row (a code the shop already has is drawn again
//! there: `claims::insert_row`), the outbox row of a platform shop and the
//! prepared event.
//!
//! A stale pre-read is therefore safe where it matters (balance, program);
//! settings that change between the read and the write (a shop disabling
//! its platform connection, blocking the customer, adding a webhook target)
//! take effect from the next claim, a few milliseconds later.

use super::claims::{self, event_data, fresh_code, ClaimRequest, ClaimRow};
use super::customers::{self, Movement};
use super::error::{Error, Result};
use super::notify::{self, NotificationRow};
use super::outbox::OutboxAction;
use super::{lots, offer_settings, programs, AnyConnection};
use crate::domain::claim::{self, ClaimStatus, EntryKind};
use crate::domain::ids::new_id;
use crate::domain::lots::PointsPolicy;
use crate::domain::money::Currency;
use crate::domain::notify::EventType;

/// A claim ready to be written.
pub(crate) struct Prepared {
    request: ClaimRequest,
    row: ClaimRow,
    policy: PointsPolicy,
    customer_exists: bool,
    event: Option<NotificationRow>,
}

/// Reads and decides everything before the write. None when the claim
/// should take the full path inside the write instead: an unknown shop
/// (created on first sight), any refusal (the write answers it, after the
/// idempotency replay check), or a read error.
pub(crate) fn prepare(conn: &mut AnyConnection, request: &ClaimRequest, cache: &programs::Cache) -> Option<Prepared> {
    try_prepare(conn, request, cache).ok().flatten()
}

fn try_prepare(conn: &mut AnyConnection, request: &ClaimRequest, cache: &programs::Cache) -> Result<Option<Prepared>> {
    let (shop_id, customer_id) = (request.shop.as_str(), request.customer.as_str());
    let Some((shop, policy)) = lots::find_shop_and_policy(conn, shop_id)? else { return Ok(None) };
    let refused =
        (!shop.is_native() && !shop.platform_enabled) || offer_settings::get(conn, shop_id)?.blocks(customer_id);
    if refused {
        return Ok(None);
    }
    let customer_exists = customers::find(conn, shop_id, customer_id)?.is_some();
    let program = cache.current(conn, shop_id, request.channel)?;
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
    let status = if shop.is_native() { ClaimStatus::Active } else { ClaimStatus::Pending };
    let row = ClaimRow {
        shop_id: shop_id.into(),
        id: new_id(),
        customer_id: customer_id.into(),
        channel: request.channel,
        code: fresh_code(program.settings.code_prefix.as_deref()),
        points: terms.points.get(),
        value_minor: terms.value_minor,
        currency: currency.code().into(),
        purchase_type: terms.purchase_type,
        status,
        program_version: program.version,
        program_snapshot: program.json.clone(),
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
    let event = notify::build(conn, shop_id, EventType::ClaimCreated, event_data(&row, currency), now)?;
    Ok(Some(Prepared { request: request.clone(), row, policy, customer_exists, event }))
}

/// The write: re-check the program version, then the debit (balance
/// re-checked by the conditional UPDATE), lots, claim row, outbox, event.
pub(crate) fn write(conn: &mut AnyConnection, prepared: &Prepared) -> Result<ClaimRow> {
    let mut row = prepared.row.clone();
    let channel = prepared.request.channel;
    if programs::current_version(conn, &row.shop_id, channel)? != row.program_version {
        return claims::create(conn, &prepared.request);
    }
    if !prepared.customer_exists {
        customers::ensure(conn, &row.shop_id, &row.customer_id)?;
    }
    let movement =
        Movement { claim_id: Some(&row.id), policy: Some(&prepared.policy), ..Movement::of(EntryKind::Redeem) };
    customers::debit(conn, &row.shop_id, &row.customer_id, row.points, movement)?;
    let redrawn = claims::insert_row(conn, &mut row)?;
    if row.status == ClaimStatus::Pending {
        claims::enqueue(conn, &row.shop_id, &row.id, OutboxAction::Create, row.created_at)?;
    }
    // The prepared event names the drawn code: a redrawn code needs its own.
    let rebuilt;
    let event = match (redrawn, &prepared.event) {
        (true, Some(_)) => {
            let currency = Currency::parse(&row.currency).map_err(Error::internal_msg)?;
            let data = event_data(&row, currency);
            rebuilt = notify::build(conn, &row.shop_id, EventType::ClaimCreated, data, row.created_at)?;
            rebuilt.as_ref()
        }
        (_, prepared) => prepared.as_ref(),
    };
    if let Some(event) = event {
        notify::insert(conn, event)?;
    }
    Ok(row)
}
