//! The claim rules: may this customer turn these points into a code, and
//! what is the code worth. Also the claim's life cycle.

use super::money::Currency;
use super::points::Points;
use super::program::{EligibilityKind, ProgramSettings, PurchaseType};
use chrono::{Duration, NaiveDateTime};

/// Why a claim (or a quote) is refused. Each maps to one API error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ProgramDisabled,
    NotEligible,
    /// Segment membership could not be established: never granted by default.
    SegmentsUnavailable,
    PurchaseTypeNotAllowed(PurchaseType),
    BelowMinimum {
        min: i64,
    },
    AboveMaximum {
        max: i64,
    },
    ZeroValue,
    InsufficientPoints {
        balance: i64,
    },
}

/// What a granted claim is: its points, value and purchase type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimTerms {
    pub points: Points,
    pub value_minor: i64,
    pub purchase_type: PurchaseType,
}

/// Whether a customer may redeem under the program, ignoring the amount.
pub fn eligibility(program: &ProgramSettings, customer_id: &str, segment_member: Option<bool>) -> Result<(), Refusal> {
    if !program.enabled {
        return Err(Refusal::ProgramDisabled);
    }
    match program.eligibility.kind {
        EligibilityKind::All => Ok(()),
        EligibilityKind::Customers => {
            let listed = program.eligibility.ids.binary_search_by(|id| id.as_str().cmp(customer_id));
            listed.map(|_| ()).map_err(|_| Refusal::NotEligible)
        }
        EligibilityKind::Segments => match segment_member {
            Some(true) => Ok(()),
            Some(false) => Err(Refusal::NotEligible),
            None => Err(Refusal::SegmentsUnavailable),
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
) -> Result<ClaimTerms, Refusal> {
    eligibility(program, customer_id, segment_member)?;
    let purchase_type = purchase_type.unwrap_or(program.purchase_type.default_purchase());
    if !program.purchase_type.allows(purchase_type) {
        return Err(Refusal::PurchaseTypeNotAllowed(purchase_type));
    }
    if points.get() < program.min_points {
        return Err(Refusal::BelowMinimum { min: program.min_points });
    }
    if points.get() > program.max_points {
        return Err(Refusal::AboveMaximum { max: program.max_points });
    }
    let value_minor = program
        .ratio()
        .checked_value_minor(points.get(), currency)
        .ok_or(Refusal::AboveMaximum { max: program.max_points })?;
    if value_minor <= 0 {
        return Err(Refusal::ZeroValue);
    }
    Ok(ClaimTerms { points, value_minor, purchase_type })
}

/// When a code made now stops being usable, if the program limits it.
pub fn expiry(program: &ProgramSettings, now: NaiveDateTime) -> Option<NaiveDateTime> {
    program.code_lifetime_hours.map(|hours| now + Duration::hours(hours))
}

/// The states of a claim (see docs/DESIGN.md, "The claim").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    Pending,
    Active,
    Used,
    RefundPending,
    Refunded,
    Failed,
    Expired,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Active => "active",
            ClaimStatus::Used => "used",
            ClaimStatus::RefundPending => "refund_pending",
            ClaimStatus::Refunded => "refunded",
            ClaimStatus::Failed => "failed",
            ClaimStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            ClaimStatus::Pending,
            ClaimStatus::Active,
            ClaimStatus::Used,
            ClaimStatus::RefundPending,
            ClaimStatus::Refunded,
            ClaimStatus::Failed,
            ClaimStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// Ledger entry kinds.
pub mod entry_kind {
    pub const EARN: &str = "earn";
    pub const REDEEM: &str = "redeem";
    pub const REFUND: &str = "refund";
    pub const ADJUST: &str = "adjust";
    pub const EXPIRE: &str = "expire";
    /// Earned on an order inside the return window: delta 0, pending_delta +N.
    pub const PENDING: &str = "pending";
    /// Pending points becoming available: delta +N, pending_delta -N.
    pub const RELEASE: &str = "release";
}
