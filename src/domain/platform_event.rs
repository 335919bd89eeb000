//! Facts the commerce platform reports (orders, refunds, deleted codes,
//! privacy requests) in the service's own terms: the connector turns each
//! webhook body into one of these before the store sees it.

use super::ids::CustomerId;
use super::money::Money;
use chrono::NaiveDateTime;
use std::fmt;

/// An amount the platform sent that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableAmount {
    /// Where in the payload, e.g. `subtotal_price`.
    pub field: String,
    pub problem: String,
}

impl fmt::Display for UnreadableAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// An amount from a payload: the money, or why there is none.
pub type Amount = Result<Money, UnreadableAmount>;

/// An order was placed (or paid): the codes it used, and what it earns on.
#[derive(Debug, Clone)]
pub struct Order {
    pub order_id: String,
    /// The buyer's platform id as sent; None for a guest order.
    pub buyer: Option<String>,
    /// Who earns points on it: the buyer of a paid order.
    pub earner: Option<CustomerId>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub occurred_at: Option<NaiveDateTime>,
    pub subtotal: Amount,
    /// Discount codes the order used, normalized.
    pub codes: Vec<String>,
    pub paid: bool,
}

/// Money went back to the buyer of an order.
#[derive(Debug, Clone)]
pub struct OrderRefunded {
    pub order_id: String,
    /// What the readable amounts add up to.
    pub refunded: Money,
    /// Amounts that could not be read (the refund may be larger than `refunded`).
    pub unreadable: Vec<UnreadableAmount>,
}

/// A discount was deleted on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountDeleted {
    /// The platform's id of the discount (what a pushed claim records).
    pub platform_id: String,
}

/// A customer asked the merchant for their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequest {
    pub customer_id: String,
    /// The order ids the customer asked about, as JSON.
    pub orders_requested_json: String,
}
