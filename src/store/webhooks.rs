//! Webhook effects, each applied in the same transaction as the event's
//! dedupe record, so a redelivered event changes nothing. The platform's
//! payloads arrive as domain events (`domain::platform_event`); amounts
//! that could not be read earn nothing and are reported, never taken as 0.

use super::checkout;
use super::claims::{self, ClaimRow};
use super::customers::{self, Movement};
use super::error::{Error, Result};
use super::page::Keyset;
use super::schema::{claims as claims_table, customers as customers_table, data_requests};
use super::schema::{order_earnings, shops as shops_table, webhook_events};
use super::shops::{self, ShopRow};
use super::{is_unique_violation, AnyConnection};
use crate::domain::claim::{CancelledBy, ClaimStatus, EntryKind};
use crate::domain::earning::{self, EarnRate, OrderEarning};
use crate::domain::ids::{new_id, CustomerId};
use crate::domain::money::{Currency, Money};
use crate::domain::platform_event::{DataRequest, DiscountDeleted, Order, OrderRefunded};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::fmt;

/// The outcome of an event recorded but not yet applied; the effect, in the
/// same transaction, replaces it (`set_outcome`), so it is never committed.
const RECEIVED: &str = "received";

/// Records the event with its topic as sent (handled or not); false when
/// it was seen before (a duplicate delivery).
pub(crate) fn record_event(conn: &mut AnyConnection, shop_id: &str, event_id: &str, topic: &str) -> QueryResult<bool> {
    let now = crate::clock::now();
    let inserted = conn.transaction(|c| {
        diesel::insert_into(webhook_events::table)
            .values((
                webhook_events::shop_id.eq(shop_id),
                webhook_events::event_id.eq(event_id),
                webhook_events::topic.eq(topic),
                webhook_events::outcome.eq(RECEIVED),
                webhook_events::received_at.eq(now),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Keeps what the event did (a line for the record), replacing `RECEIVED`.
pub(crate) fn set_outcome(conn: &mut AnyConnection, shop_id: &str, event_id: &str, outcome: &str) -> QueryResult<()> {
    diesel::update(webhook_events::table.find((shop_id, event_id)))
        .set(webhook_events::outcome.eq(outcome))
        .execute(conn)?;
    Ok(())
}

/// What a paid order earned: points, or nothing and why.
enum Earned {
    Points(i64),
    Nothing(String),
}

impl fmt::Display for Earned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Earned::Points(points) => write!(f, "{points}"),
            Earned::Nothing(why) => write!(f, "0 ({why})"),
        }
    }
}

/// orders/create and orders/paid: our codes in the order become used (an
/// order beats a pending refund); a paid order earns points once.
pub fn apply_order(conn: &mut AnyConnection, shop_id: &str, order: &Order) -> Result<String> {
    let shop = shops::ensure(conn, shop_id)?;
    let currency = Currency::parse(&shop.currency).map_err(Error::internal_msg)?;
    if let Err(bad) = &order.subtotal {
        tracing::warn!(shop = shop_id, order = %order.order_id, problem = %bad, "order subtotal unreadable: it earns no points");
    }
    let subtotal = order.subtotal.as_ref().ok().map(|money| money.minor());
    let now = crate::clock::now();
    let mut used = 0;
    for code in &order.codes {
        let Some(claim) = claims::find_by_code(conn, shop_id, code)? else { continue };
        used += usize::from(mark_used(conn, &claim, &order.order_id, order.buyer.as_deref(), subtotal, now)?);
    }
    let earned = match &order.earner {
        Some(customer) => earn_on_order(conn, &shop, currency, customer, order, now)?,
        None => Earned::Points(0),
    };
    Ok(format!("codes used: {used}, points earned: {earned}"))
}

/// The buyer of a paid order: known (with their e-mail) and credited once.
fn earn_on_order(
    conn: &mut AnyConnection,
    shop: &ShopRow,
    currency: Currency,
    customer: &CustomerId,
    order: &Order,
    now: NaiveDateTime,
) -> Result<Earned> {
    customers::ensure(conn, &shop.id, customer.as_str())?;
    if let Some(email) = &order.email {
        diesel::update(customers_table::table.find((&shop.id, customer.as_str())))
            .filter(customers_table::redacted_at.is_null())
            .set(customers_table::email.eq(email))
            .execute(conn)?;
    }
    let subtotal = match &order.subtotal {
        Ok(subtotal) => *subtotal,
        Err(bad) => return Ok(Earned::Nothing(format!("unreadable {bad}"))),
    };
    let rate = match checkout::earn_rate(shop, &order.order_id) {
        Ok(rate) => rate,
        Err(problem) => return Ok(Earned::Nothing(problem)),
    };
    let earning = Earning { rate, currency, customer_id: customer.as_str(), order_id: &order.order_id, subtotal };
    earn_once(conn, &shop.id, &earning, now).map(Earned::Points)
}

/// An order's points about to be credited.
#[derive(Clone, Copy)]
struct Earning<'a> {
    rate: EarnRate,
    currency: Currency,
    customer_id: &'a str,
    order_id: &'a str,
    subtotal: Money,
}

fn mark_used(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    order_id: &str,
    buyer: Option<&str>,
    subtotal: Option<i64>,
    now: NaiveDateTime,
) -> Result<bool> {
    let usable = [ClaimStatus::Pending, ClaimStatus::Active, ClaimStatus::RefundPending];
    let flag = match buyer {
        Some(buyer) if buyer != claim.customer_id => {
            Some(format!("used by order {order_id} of another customer ({buyer})"))
        }
        _ => None,
    };
    let updated = diesel::update(claims_table::table.find((&claim.shop_id, &claim.id)))
        .filter(claims_table::status.eq_any(usable))
        .set((
            claims_table::status.eq(ClaimStatus::Used),
            claims_table::order_id.eq(order_id),
            claims_table::order_subtotal_minor.eq(subtotal),
            claims_table::used_at.eq(now),
            claims_table::updated_at.eq(now),
            claims_table::flag.eq(&flag),
        ))
        .execute(conn)?;
    if updated == 0 && claim.order_id.as_deref() != Some(order_id) && claim.status != ClaimStatus::Used {
        // Refunded, expired or failed here, yet an order used it.
        let note = format!("used by order {order_id} after it was {}", claim.status);
        diesel::update(claims_table::table.find((&claim.shop_id, &claim.id)))
            .set(claims_table::flag.eq(note))
            .execute(conn)?;
        tracing::warn!(claim = %claim.id, order = order_id, status = %claim.status, "code used after it was closed");
    }
    Ok(updated == 1)
}

fn earn_once(conn: &mut AnyConnection, shop_id: &str, earning: &Earning, now: NaiveDateTime) -> Result<i64> {
    let Earning { rate, currency, customer_id, order_id, subtotal } = *earning;
    let seen = order_earnings::table.find((shop_id, order_id)).count().get_result::<i64>(conn)? > 0;
    if seen {
        return Ok(0);
    }
    let points = checkout::earn(conn, rate, currency, shop_id, customer_id, order_id, subtotal.minor())?;
    diesel::insert_into(order_earnings::table)
        .values((
            order_earnings::shop_id.eq(shop_id),
            order_earnings::order_id.eq(order_id),
            order_earnings::customer_id.eq(customer_id),
            order_earnings::subtotal_minor.eq(subtotal.minor()),
            order_earnings::refunded_minor.eq(0_i64),
            order_earnings::points_earned.eq(points),
            order_earnings::points_reversed.eq(0_i64),
            order_earnings::points_unrecovered.eq(0_i64),
            order_earnings::created_at.eq(now),
            order_earnings::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(points)
}

/// The order's earning and who earned it; None when it earned nothing here.
fn find_earning(
    conn: &mut AnyConnection,
    shop_id: &str,
    order_id: &str,
) -> QueryResult<Option<(String, OrderEarning)>> {
    type Row = (String, i64, i64, i64, i64, i64);
    let row = order_earnings::table
        .find((shop_id, order_id))
        .select((
            order_earnings::customer_id,
            order_earnings::subtotal_minor,
            order_earnings::refunded_minor,
            order_earnings::points_earned,
            order_earnings::points_reversed,
            order_earnings::points_unrecovered,
        ))
        .first::<Row>(conn)
        .optional()?;
    Ok(row.map(|(customer, subtotal_minor, refunded_minor, points_earned, points_reversed, points_unrecovered)| {
        (customer, OrderEarning { subtotal_minor, refunded_minor, points_earned, points_reversed, points_unrecovered })
    }))
}

/// refunds/create: earned points are reversed in proportion to the amount
/// refunded, never below zero; what could not be taken back is recorded.
/// Amounts the platform sent that could not be read are reported.
pub fn apply_refund(conn: &mut AnyConnection, shop_id: &str, refund: &OrderRefunded) -> Result<String> {
    let order_id = refund.order_id.as_str();
    let mut unreadable = String::new();
    if !refund.unreadable.is_empty() {
        let list = refund.unreadable.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        tracing::warn!(shop = shop_id, order = order_id, problems = %list, "refund amounts unreadable: only the readable part is reversed");
        unreadable = format!("; unreadable amounts: {list}");
    }
    let Some((customer, before)) = find_earning(conn, shop_id, order_id)? else {
        return Ok(format!("no points were earned on this order{unreadable}"));
    };
    let reversal = earning::reversal(&before, refund.refunded);
    let reason = format!("order {order_id} refunded");
    // Inside the return window the points come out of the pending amount.
    let from_pending = super::pending::take_back(conn, shop_id, order_id, reversal.owed, &reason)?;
    let balance = customers::balance(conn, shop_id, &customer)?;
    let recovery = earning::recovery(reversal.owed, from_pending, balance);
    if recovery.from_balance > 0 {
        let movement = Movement {
            reason: Some(&reason),
            draw: customers::Draw::OrderFirst(order_id),
            ..Movement::of(EntryKind::Adjust)
        };
        customers::debit(conn, shop_id, &customer, recovery.from_balance, movement)?;
    }
    diesel::update(order_earnings::table.find((shop_id, order_id)))
        .set((
            order_earnings::refunded_minor.eq(reversal.refunded_total),
            order_earnings::points_reversed.eq(before.points_reversed + recovery.taken),
            order_earnings::points_unrecovered.eq(before.points_unrecovered + recovery.shortfall),
            order_earnings::updated_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(format!("points reversed: {}, not recoverable: {}{unreadable}", recovery.taken, recovery.shortfall))
}

/// discounts/delete: an unused code deleted on the platform gives its points back.
pub(crate) fn apply_discount_deleted(
    conn: &mut AnyConnection,
    shop_id: &str,
    deleted: &DiscountDeleted,
) -> Result<String> {
    let claim: Option<ClaimRow> = claims_table::table
        .filter(claims_table::shop_id.eq(shop_id))
        .filter(claims_table::platform_id.eq(&deleted.platform_id))
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()?;
    let Some(claim) = claim else { return Ok("not one of our codes".into()) };
    let open = [ClaimStatus::Pending, ClaimStatus::Active, ClaimStatus::RefundPending];
    let reason = Some("deleted on the platform");
    let credited = claims::close_with_credit(conn, &claim, &open, ClaimStatus::Refunded, EntryKind::Refund, reason)?;
    if credited.is_some() {
        claims::mark_cancelled(conn, &claim, CancelledBy::Platform)?;
    }
    Ok(if credited.is_some() { "points refunded".into() } else { format!("claim already {}", claim.status) })
}

/// customers/data_request: recorded for the merchant to export.
pub fn record_data_request(conn: &mut AnyConnection, shop_id: &str, request: &DataRequest) -> Result<String> {
    diesel::insert_into(data_requests::table)
        .values((
            data_requests::shop_id.eq(shop_id),
            data_requests::id.eq(new_id()),
            data_requests::customer_id.eq(&request.customer_id),
            data_requests::orders_requested.eq(&request.orders_requested_json),
            data_requests::created_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(format!("data request recorded for customer {}", request.customer_id))
}

pub(crate) use super::redact::redact;

/// app/uninstalled: the connector stops; codes already made stay valid.
pub(crate) fn uninstall(conn: &mut AnyConnection, shop_id: &str) -> Result<String> {
    diesel::update(shops_table::table.find(shop_id))
        .set((
            shops_table::platform_enabled.eq(false),
            shops_table::platform_access_token.eq(None::<String>),
            shops_table::updated_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok("platform connection disabled".into())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = data_requests)]
pub struct DataRequestRow {
    pub id: String,
    pub(crate) customer_id: String,
    pub(crate) orders_requested: String,
    pub(crate) created_at: NaiveDateTime,
}

/// The shop's recorded data requests, newest first, `limit` after `after`.
pub fn data_requests(
    conn: &mut AnyConnection,
    shop_id: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> QueryResult<Vec<DataRequestRow>> {
    let mut query = data_requests::table
        .filter(data_requests::shop_id.eq(shop_id))
        .order(data_requests::id.desc())
        .limit(limit)
        .select(DataRequestRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(data_requests::id.lt(after.id.clone()));
    }
    query.load(conn)
}

/// The keyset of a data request, for the next page.
pub(crate) fn data_request_key(row: &DataRequestRow) -> Keyset {
    Keyset { created_at: row.created_at, id: row.id.clone() }
}
