//! Facts the commerce platform reports (orders, refunds, deleted codes,
//! privacy requests) in the service's own terms: the connector turns each
//! webhook body into one of these before the store sees it.

use super::ids::CustomerId;
use super::money::Money;
use chrono::NaiveDateTime;
use std::fmt;

/// An amount the platform sent that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnreadableAmount {
    /// Where in the payload, e.g. `subtotal_price`.
    pub(crate) field: String,
    pub(crate) problem: String,
}

impl fmt::Display for UnreadableAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// An amount from a payload: the money, or why there is none.
pub(crate) type Amount = Result<Money, UnreadableAmount>;

/// An order was placed (or paid): the codes it used, and what it earns on.
#[derive(Debug, Clone)]
pub struct Order {
    pub(crate) order_id: String,
    /// The buyer's platform id as sent; None for a guest order.
    pub(crate) buyer: Option<String>,
    /// Who earns points on it: the buyer of a paid order.
    pub(crate) earner: Option<CustomerId>,
    pub(crate) email: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) occurred_at: Option<NaiveDateTime>,
    pub(crate) subtotal: Amount,
    /// Discount codes the order used, normalized.
    pub(crate) codes: Vec<String>,
    pub(crate) paid: bool,
}

/// Money went back to the buyer of an order.
#[derive(Debug, Clone)]
pub struct OrderRefunded {
    pub(crate) order_id: String,
    /// What the readable amounts add up to.
    pub(crate) refunded: Money,
    /// Amounts that could not be read (the refund may be larger than `refunded`).
    pub(crate) unreadable: Vec<UnreadableAmount>,
}

/// A discount was deleted on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiscountDeleted {
    /// The platform's id of the discount (what a pushed claim records).
    pub(crate) platform_id: String,
}

/// A customer asked the merchant for their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequest {
    pub(crate) customer_id: String,
    /// The order ids the customer asked about, as JSON.
    pub(crate) orders_requested_json: String,
}
