//! Shopify's webhook bodies for orders, refunds, deleted discounts and
//! privacy requests, turned into the domain's platform events. Shapes only,
//! nothing is read or written here. A body without the expected shape is
//! refused with a message (the door answers 400); an amount that does not
//! parse is kept as unreadable, for the store to report, never read as 0.

use crate::domain::code;
use crate::domain::ids::CustomerId;
use crate::domain::money::{Currency, Money};
use crate::domain::platform_event::{Amount, DataRequest, DiscountDeleted, Order, OrderRefunded, UnreadableAmount};
use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Platform ids arrive as numbers or strings.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An RFC 3339 time (Shopify's `created_at` etc.) as naive UTC.
pub(super) fn time(value: &Value) -> Option<NaiveDateTime> {
    value.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.naive_utc())
}

fn shaped<T: DeserializeOwned>(json: Value) -> Result<T, String> {
    serde_json::from_value(json).map_err(|e| format!("unexpected payload: {e}"))
}

/// An amount sent as a decimal string or a number, in the shop's currency.
fn amount(value: Option<&Value>, field: impl Into<String>, currency: Currency) -> Amount {
    let unreadable = |problem: String| UnreadableAmount { field: field.into(), problem };
    let raw = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) | None => return Err(unreadable("missing".into())),
        Some(_) => return Err(unreadable("not a string or a number".into())),
    };
    Money::parse(&raw, currency).map_err(unreadable)
}

/// The sum of the readable amounts; the others are added to `unreadable`.
fn total(amounts: impl Iterator<Item = Amount>, unreadable: &mut Vec<UnreadableAmount>) -> Money {
    amounts.fold(Money::ZERO, |sum, amount| match amount {
        Ok(money) => sum.saturating_add(money),
        Err(bad) => {
            unreadable.push(bad);
            sum
        }
    })
}

#[derive(Debug, Deserialize)]
struct DiscountCodeRef {
    code: String,
}

#[derive(Debug, Deserialize)]
struct CustomerRef {
    id: Value,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Value,
}

#[derive(Debug, Deserialize)]
struct OrderPayload {
    id: Value,
    #[serde(default)]
    customer: Option<CustomerRef>,
    #[serde(default)]
    subtotal_price: Option<String>,
    #[serde(default)]
    discount_codes: Vec<DiscountCodeRef>,
    #[serde(default)]
    processed_at: Value,
    #[serde(default)]
    created_at: Value,
}

/// `orders/create` and `orders/paid`. The buyer of a paid order must be a
/// valid customer id (they earn points); a guest order has no buyer.
pub fn order(json: Value, currency: Currency, paid: bool) -> Result<Order, String> {
    let payload: OrderPayload = shaped(json)?;
    let order_id = id_text(&payload.id).ok_or("order id missing")?;
    let buyer = payload.customer.as_ref().and_then(|c| id_text(&c.id));
    let earner = match (&buyer, paid) {
        (Some(buyer), true) => Some(CustomerId::parse(buyer)?),
        _ => None,
    };
    let subtotal = match &payload.subtotal_price {
        Some(raw) => {
            Money::parse(raw, currency).map_err(|problem| UnreadableAmount { field: "subtotal_price".into(), problem })
        }
        None => Err(UnreadableAmount { field: "subtotal_price".into(), problem: "missing".into() }),
    };
    let customer = payload.customer.as_ref();
    Ok(Order {
        order_id,
        buyer,
        earner,
        email: customer.and_then(|c| c.email.clone()),
        first_name: customer.and_then(|c| c.first_name.as_str()).map(str::to_string),
        occurred_at: time(&payload.processed_at).or_else(|| time(&payload.created_at)),
        subtotal,
        codes: payload.discount_codes.iter().filter_map(|d| code::normalize(&d.code)).collect(),
        paid,
    })
}

#[derive(Debug, Deserialize)]
struct RefundLine {
    #[serde(default)]
    subtotal: Option<Value>,
}

/// A transaction's kind, as far as a refund needs it.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TransactionKind {
    Refund,
    #[serde(other)]
    Other,
}

/// A transaction's status, as far as a refund needs it.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TransactionStatus {
    Success,
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct Transaction {
    #[serde(default)]
    kind: Option<TransactionKind>,
    #[serde(default)]
    status: Option<TransactionStatus>,
    #[serde(default)]
    amount: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RefundPayload {
    order_id: Value,
    #[serde(default)]
    refund_line_items: Vec<RefundLine>,
    #[serde(default)]
    transactions: Vec<Transaction>,
}

/// `refunds/create`: the refunded amount is the sum of the refunded lines'
/// subtotals; a refund without lines (shipping, a goodwill amount) counts
/// its successful refund transactions instead.
pub fn refund(json: Value, currency: Currency) -> Result<OrderRefunded, String> {
    let payload: RefundPayload = shaped(json)?;
    let order_id = id_text(&payload.order_id).ok_or("order_id missing")?;
    let mut unreadable = Vec::new();
    let lines = payload.refund_line_items.iter().enumerate();
    let lines =
        lines.map(|(i, line)| amount(line.subtotal.as_ref(), format!("refund_line_items[{i}].subtotal"), currency));
    let mut refunded = total(lines, &mut unreadable);
    if refunded == Money::ZERO {
        let paid_back = payload.transactions.iter().enumerate().filter(|(_, t)| {
            t.kind == Some(TransactionKind::Refund)
                && t.status.as_ref().is_none_or(|s| *s == TransactionStatus::Success)
        });
        let amounts = paid_back.map(|(i, t)| amount(t.amount.as_ref(), format!("transactions[{i}].amount"), currency));
        refunded = total(amounts, &mut unreadable);
    }
    Ok(OrderRefunded { order_id, refunded, unreadable })
}

/// `discounts/delete`: the deleted node's gid.
pub(crate) fn discount_deleted(payload: &Value) -> Result<DiscountDeleted, String> {
    payload["admin_graphql_api_id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| id_text(&payload["id"]).map(|id| format!("gid://shopify/DiscountCodeNode/{id}")))
        .map(|platform_id| DiscountDeleted { platform_id })
        .ok_or_else(|| "admin_graphql_api_id missing".to_string())
}

/// `customers/redact` (and the customer of a data request): the customer's id.
pub(crate) fn privacy_customer(payload: &Value) -> Result<String, String> {
    id_text(&payload["customer"]["id"]).ok_or_else(|| "customer.id missing".to_string())
}

/// `customers/data_request`: who asked, and about which orders.
pub fn data_request(payload: &Value) -> Result<DataRequest, String> {
    let customer_id = privacy_customer(payload)?;
    Ok(DataRequest { customer_id, orders_requested_json: payload["orders_requested"].to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn usd() -> Currency {
        Currency::parse("USD").expect("usd")
    }

    #[test]
    fn an_unreadable_subtotal_is_kept_as_such_not_as_zero() {
        let body =
            json!({"id": 9, "customer": {"id": 7}, "subtotal_price": "abc", "discount_codes": [{"code": " ab-c "}]});
        let order = order(body, usd(), true).expect("order");
        let bad = order.subtotal.expect_err("unreadable");
        assert_eq!(bad.to_string(), "subtotal_price: \"abc\" is not a decimal amount");
        assert_eq!((order.order_id.as_str(), order.codes.as_slice()), ("9", ["AB-C".to_string()].as_slice()));
        assert_eq!(order.earner.map(CustomerId::into_string).as_deref(), Some("7"));
        let missing = super::order(json!({"id": 9}), usd(), false).expect("order");
        assert_eq!(missing.subtotal.expect_err("missing").problem, "missing");
        let paid = super::order(json!({"id": 1, "customer": {"id": 7}, "subtotal_price": "12.50"}), usd(), true);
        assert_eq!(paid.expect("order").subtotal.map(Money::minor), Ok(1250));
        assert_eq!(super::order(json!({"id": null}), usd(), false).expect_err("no id"), "order id missing");
        assert!(super::order(json!({"id": 1, "customer": {"id": "a/b"}}), usd(), true).is_err(), "bad earner");
    }

    #[test]
    fn refunds_add_their_lines_or_else_their_transactions_and_report_what_they_cannot_read() {
        let lines = json!({"order_id": 5, "refund_line_items": [{"subtotal": "10.00"}, {"subtotal": 5}, {"subtotal": "x"}],
            "transactions": [{"kind": "refund", "amount": "99.00"}]});
        let refund = refund(lines, usd()).expect("refund");
        assert_eq!(refund.refunded.minor(), 1_500);
        assert_eq!(refund.unreadable.len(), 1);
        assert_eq!(refund.unreadable[0].field, "refund_line_items[2].subtotal");
        let by_transaction = json!({"order_id": "5", "transactions": [
            {"kind": "refund", "status": "success", "amount": "3.00"}, {"kind": "refund", "status": "failure", "amount": "7.00"},
            {"kind": "sale", "amount": "1.00"}, {"kind": "refund", "amount": "abc"}]});
        let refund = super::refund(by_transaction, usd()).expect("refund");
        assert_eq!(refund.refunded.minor(), 300);
        assert_eq!(refund.unreadable[0].to_string(), "transactions[3].amount: \"abc\" is not a decimal amount");
        assert_eq!(super::refund(json!({"order_id": null}), usd()).expect_err("no id"), "order_id missing");
    }

    #[test]
    fn deleted_discounts_and_privacy_requests_name_their_subject() {
        assert_eq!(
            discount_deleted(&json!({"id": 12})).map(|d| d.platform_id).as_deref(),
            Ok("gid://shopify/DiscountCodeNode/12")
        );
        assert!(discount_deleted(&json!({})).is_err());
        let request = data_request(&json!({"customer": {"id": 5}, "orders_requested": [1, 2]})).expect("request");
        assert_eq!((request.customer_id.as_str(), request.orders_requested_json.as_str()), ("5", "[1,2]"));
        assert_eq!(privacy_customer(&json!({"customer": {}})).expect_err("no id"), "customer.id missing");
    }
}
