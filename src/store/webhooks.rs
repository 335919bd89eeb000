//! Webhook effects, each applied in the same transaction as the event's
//! dedupe record, so a redelivered event changes nothing.

use super::checkout;
use super::claims::{self, ClaimRow};
use super::customers::{self, Movement};
use super::schema::{claims as claims_table, customers as customers_table, data_requests};
use super::schema::{order_earnings, shops as shops_table, webhook_events};
use super::{is_unique_violation, shops, AnyConnection};
use crate::domain::claim::{ClaimStatus, EntryKind};
use crate::domain::code;
use crate::domain::ids::new_id;
use crate::domain::money::Currency;
use crate::error::{AppError, AppResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::Value;

/// Records the event; false when it was seen before (a duplicate delivery).
pub fn record_event(
    conn: &mut AnyConnection,
    shop_id: &str,
    event_id: &str,
    topic: &str,
    outcome: &str,
) -> QueryResult<bool> {
    let now = crate::clock::now();
    let inserted = conn.transaction(|c| {
        diesel::insert_into(webhook_events::table)
            .values((
                webhook_events::shop_id.eq(shop_id),
                webhook_events::event_id.eq(event_id),
                webhook_events::topic.eq(topic),
                webhook_events::outcome.eq(outcome),
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

/// Platform ids arrive as numbers or strings.
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct DiscountCodeRef {
    pub code: String,
}

#[derive(Debug, Deserialize)]
pub struct CustomerRef {
    pub id: Value,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: Value,
    #[serde(default)]
    pub customer: Option<CustomerRef>,
    #[serde(default)]
    pub subtotal_price: Option<String>,
    #[serde(default)]
    pub discount_codes: Vec<DiscountCodeRef>,
}

/// orders/create and orders/paid: our codes in the order become used (an
/// order beats a pending refund); a paid order earns points once.
pub fn apply_order(conn: &mut AnyConnection, shop_id: &str, order: &Order, paid: bool) -> AppResult<String> {
    let shop = shops::ensure(conn, shop_id)?;
    let currency = Currency::parse(&shop.currency).map_err(AppError::internal_msg)?;
    let order_id = id_text(&order.id).ok_or_else(|| AppError::invalid("order id missing"))?;
    let buyer = order.customer.as_ref().and_then(|c| id_text(&c.id));
    let subtotal = order.subtotal_price.as_deref().and_then(|s| currency.parse_amount(s).ok()).unwrap_or(0);
    let now = crate::clock::now();
    let mut used = 0;
    for reference in &order.discount_codes {
        let Some(code) = code::normalize(&reference.code) else { continue };
        let Some(claim) = claims::find_by_code(conn, shop_id, &code)? else { continue };
        used += usize::from(mark_used(conn, &claim, &order_id, buyer.as_deref(), subtotal, now)?);
    }
    let mut earned = 0;
    if let (true, Some(buyer)) = (paid, buyer) {
        let customer = crate::domain::ids::CustomerId::parse(&buyer).map_err(AppError::invalid)?;
        customers::ensure(conn, shop_id, customer.as_str())?;
        if let Some(email) = order.customer.as_ref().and_then(|c| c.email.clone()) {
            diesel::update(customers_table::table.find((shop_id, customer.as_str())))
                .filter(customers_table::redacted_at.is_null())
                .set(customers_table::email.eq(email))
                .execute(conn)?;
        }
        earned = earn_once(
            conn,
            &shop.earn_points_per_unit,
            currency,
            shop_id,
            customer.as_str(),
            &order_id,
            subtotal,
            now,
        )?;
    }
    Ok(format!("codes used: {used}, points earned: {earned}"))
}

fn mark_used(
    conn: &mut AnyConnection,
    claim: &ClaimRow,
    order_id: &str,
    buyer: Option<&str>,
    subtotal: i64,
    now: NaiveDateTime,
) -> AppResult<bool> {
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

#[allow(clippy::too_many_arguments)]
fn earn_once(
    conn: &mut AnyConnection,
    rate: &str,
    currency: Currency,
    shop_id: &str,
    customer_id: &str,
    order_id: &str,
    subtotal: i64,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let seen = order_earnings::table.find((shop_id, order_id)).count().get_result::<i64>(conn)? > 0;
    if seen {
        return Ok(0);
    }
    let points = checkout::earn(conn, rate, currency, shop_id, customer_id, order_id, subtotal)?;
    diesel::insert_into(order_earnings::table)
        .values((
            order_earnings::shop_id.eq(shop_id),
            order_earnings::order_id.eq(order_id),
            order_earnings::customer_id.eq(customer_id),
            order_earnings::subtotal_minor.eq(subtotal),
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

#[derive(Debug, Deserialize)]
pub struct RefundLine {
    #[serde(default)]
    pub subtotal: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Transaction {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub amount: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct OrderRefund {
    pub order_id: Value,
    #[serde(default)]
    pub refund_line_items: Vec<RefundLine>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

/// A sum of refunded amounts: more than i64 holds is more than any order,
/// so it caps (the result is capped at the order's subtotal anyway).
fn sum_capped(amounts: impl Iterator<Item = i64>) -> i64 {
    amounts.fold(0i64, i64::saturating_add)
}

fn amount(currency: Currency, value: &Option<Value>) -> i64 {
    let text = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return 0,
    };
    currency.parse_amount(&text).unwrap_or(0)
}

/// refunds/create: earned points are reversed in proportion to the amount
/// refunded, never below zero; what could not be taken back is recorded.
pub fn apply_refund(conn: &mut AnyConnection, shop_id: &str, refund: &OrderRefund) -> AppResult<String> {
    let shop = shops::ensure(conn, shop_id)?;
    let currency = Currency::parse(&shop.currency).map_err(AppError::internal_msg)?;
    let order_id = id_text(&refund.order_id).ok_or_else(|| AppError::invalid("order_id missing"))?;
    let lines = sum_capped(refund.refund_line_items.iter().map(|l| amount(currency, &l.subtotal)));
    let refunded = if lines > 0 {
        lines
    } else {
        let amounts = refund
            .transactions
            .iter()
            .filter(|t| t.kind.as_deref() == Some("refund") && t.status.as_deref().is_none_or(|s| s == "success"))
            .map(|t| amount(currency, &t.amount));
        sum_capped(amounts)
    };
    type Earning = (String, i64, i64, i64, i64, i64);
    let Some((customer, subtotal, refunded_before, earned, reversed, unrecovered)) = order_earnings::table
        .find((shop_id, &order_id))
        .select((
            order_earnings::customer_id,
            order_earnings::subtotal_minor,
            order_earnings::refunded_minor,
            order_earnings::points_earned,
            order_earnings::points_reversed,
            order_earnings::points_unrecovered,
        ))
        .first::<Earning>(conn)
        .optional()?
    else {
        return Ok("no points were earned on this order".into());
    };
    let refunded_total = refunded_before.saturating_add(refunded).min(subtotal);
    let target =
        if subtotal == 0 { 0 } else { (i128::from(earned) * i128::from(refunded_total) / i128::from(subtotal)) as i64 };
    let owed = (target - reversed - unrecovered).max(0);
    let reason = format!("order {order_id} refunded");
    // Inside the return window the points come out of the pending amount.
    let from_pending = super::pending::take_back(conn, shop_id, &order_id, owed, &reason)?;
    let balance = customers::balance(conn, shop_id, &customer)?;
    let from_balance = (owed - from_pending).min(balance);
    if from_balance > 0 {
        let movement = Movement {
            reason: Some(&reason),
            draw: customers::Draw::OrderFirst(&order_id),
            ..Movement::of(EntryKind::Adjust)
        };
        customers::debit(conn, shop_id, &customer, from_balance, movement)?;
    }
    let taken = from_pending + from_balance;
    diesel::update(order_earnings::table.find((shop_id, &order_id)))
        .set((
            order_earnings::refunded_minor.eq(refunded_total),
            order_earnings::points_reversed.eq(reversed + taken),
            order_earnings::points_unrecovered.eq(unrecovered + owed - taken),
            order_earnings::updated_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(format!("points reversed: {taken}, not recoverable: {}", owed - taken))
}

/// discounts/delete: an unused code deleted on the platform gives its points back.
pub fn apply_discount_deleted(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> AppResult<String> {
    let node = payload["admin_graphql_api_id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| id_text(&payload["id"]).map(|id| format!("gid://shopify/DiscountCodeNode/{id}")))
        .ok_or_else(|| AppError::invalid("admin_graphql_api_id missing"))?;
    let claim: Option<ClaimRow> = claims_table::table
        .filter(claims_table::shop_id.eq(shop_id))
        .filter(claims_table::platform_id.eq(&node))
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()?;
    let Some(claim) = claim else { return Ok("not one of our codes".into()) };
    let open = [ClaimStatus::Pending, ClaimStatus::Active, ClaimStatus::RefundPending];
    let reason = Some("deleted on the platform");
    let credited = claims::close_with_credit(conn, &claim, &open, ClaimStatus::Refunded, EntryKind::Refund, reason)?;
    Ok(if credited.is_some() { "points refunded".into() } else { format!("claim already {}", claim.status) })
}

/// customers/data_request: recorded for the merchant to export.
pub fn record_data_request(conn: &mut AnyConnection, shop_id: &str, payload: &Value) -> AppResult<String> {
    let customer = id_text(&payload["customer"]["id"]).ok_or_else(|| AppError::invalid("customer.id missing"))?;
    diesel::insert_into(data_requests::table)
        .values((
            data_requests::shop_id.eq(shop_id),
            data_requests::id.eq(new_id()),
            data_requests::customer_id.eq(&customer),
            data_requests::orders_requested.eq(payload["orders_requested"].to_string()),
            data_requests::created_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(format!("data request recorded for customer {customer}"))
}

pub use super::redact::redact;

/// app/uninstalled: the connector stops; codes already made stay valid.
pub fn uninstall(conn: &mut AnyConnection, shop_id: &str) -> AppResult<String> {
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
    pub customer_id: String,
    pub orders_requested: String,
    pub created_at: NaiveDateTime,
}

/// The shop's recorded data requests, newest first.
pub fn data_requests(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<Vec<DataRequestRow>> {
    data_requests::table
        .filter(data_requests::shop_id.eq(shop_id))
        .order(data_requests::id.desc())
        .limit(500)
        .select(DataRequestRow::as_select())
        .load(conn)
}
