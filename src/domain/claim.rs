//! The claim rules: may this customer turn these points into a code, and
//! what is the code worth. Also the claim's life cycle.

use super::money::Currency;
use super::points::Points;
use super::program::{EligibilityKind, ProgramSettings, PurchaseType};
use super::refusal::Reason;
use super::state::stored_state;
use chrono::{Duration, NaiveDateTime};

/// What a granted claim is: its points, value and purchase type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimTerms {
    pub(crate) points: Points,
    pub value_minor: i64,
    pub(crate) purchase_type: PurchaseType,
}

/// Whether a customer may redeem under the program, ignoring the amount.
pub fn eligibility(program: &ProgramSettings, customer_id: &str, segment_member: Option<bool>) -> Result<(), Reason> {
    if !program.enabled {
        return Err(Reason::ProgramDisabled);
    }
    match program.eligibility.kind {
        EligibilityKind::All => Ok(()),
        EligibilityKind::Customers => {
            let listed = program.eligibility.ids.binary_search_by(|id| id.as_str().cmp(customer_id));
            listed.map(|_| ()).map_err(|_| Reason::NotEligible)
        }
        EligibilityKind::Segments => match segment_member {
            Some(true) => Ok(()),
            Some(false) => Err(Reason::NotEligible),
            None => Err(Reason::SegmentsUnavailable),
        },
    }
}

/// Applies every rule of a claim except the balance, which the conditional
/// debit checks atomically (the quote checks it too, for the shopper's sake).
pub fn terms(
    program: &ProgramSettings,
    currency: Currency,
    customer_id: &str,
    segment_member: Option<bool>,
    points: Points,
    purchase_type: Option<PurchaseType>,
) -> Result<ClaimTerms, Reason> {
    eligibility(program, customer_id, segment_member)?;
    let purchase_type = purchase_type.unwrap_or(program.purchase_type.default_purchase());
    if !program.purchase_type.allows(purchase_type) {
        return Err(Reason::PurchaseTypeNotAllowed(purchase_type));
    }
    if points.get() < program.min_points {
        return Err(Reason::BelowMinimum { min: program.min_points });
    }
    if points.get() > program.max_points {
        return Err(Reason::AboveMaximum { max: program.max_points });
    }
    let value_minor = program
        .ratio()
        .checked_value_minor(points.get(), currency)
        .ok_or(Reason::AboveMaximum { max: program.max_points })?;
    if value_minor <= 0 {
        return Err(Reason::ZeroValue);
    }
    Ok(ClaimTerms { points, value_minor, purchase_type })
}

/// When a code made now stops being usable, if the program limits it.
pub(crate) fn expiry(program: &ProgramSettings, now: NaiveDateTime) -> Option<NaiveDateTime> {
    program.code_lifetime_hours.map(|hours| now + Duration::hours(hours))
}

stored_state! {
    /// The states of a claim (see docs/DESIGN.md, "The claim").
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ClaimStatus("claim status") {
        Pending = "pending",
        Active = "active",
        Used = "used",
        RefundPending = "refund_pending",
        Refunded = "refunded",
        Failed = "failed",
        Expired = "expired",
    }
}

impl ClaimStatus {
    /// Closed for good: the code can no longer be used nor refunded.
    pub(crate) const CLOSED: [ClaimStatus; 4] =
        [ClaimStatus::Used, ClaimStatus::Refunded, ClaimStatus::Expired, ClaimStatus::Failed];

    /// A claim in this state must leave no usable code at the platform
    /// (being refunded, refunded, failed or expired; a used code is spent).
    pub(crate) fn code_must_go(self) -> bool {
        matches!(self, ClaimStatus::RefundPending | ClaimStatus::Refunded | ClaimStatus::Failed | ClaimStatus::Expired)
    }
}

stored_state! {
    /// Who cancelled a code, so every screen and export can say it (the
    /// points came back): the shopper, the merchant (admin), a clerk (POS),
    /// the code's expiry, or the platform (the discount deleted at Shopify).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum CancelledBy("cancelled by") {
        Shopper = "shopper",
        Merchant = "merchant",
        Clerk = "clerk",
        Expiry = "expiry",
        Platform = "platform",
    }
}

stored_state! {
    /// What a ledger entry records.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum EntryKind("ledger entry kind") {
        Earn = "earn",
        Redeem = "redeem",
        Refund = "refund",
        Adjust = "adjust",
        Expire = "expire",
        /// Earned on an order inside the return window: delta 0, pending_delta +N.
        Pending = "pending",
        /// Pending points becoming available: delta +N, pending_delta -N.
        Release = "release",
    }
}
