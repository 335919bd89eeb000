//! Every reason the service refuses a request on business grounds. The
//! store and the platform layer name a refusal by its variant; the HTTP
//! layer decides how each one is answered.

use super::claim::ClaimStatus;
use super::program::PurchaseType;

/// Why a claim, a quote, a refund, a checkout or an input is refused; the
/// data the answer needs travels in the variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
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
    /// The shop's connection to its commerce platform is switched off.
    PlatformDisabled,
    /// The shop blocked this customer.
    CustomerBlocked,
    /// The claim is in a state from which its points cannot come back.
    ClaimNotRefundable {
        status: ClaimStatus,
    },
    /// The code cannot be used; the message says why.
    CodeNotValid(String),
    /// The cart is below the code's minimum subtotal (formatted amount).
    BelowMinimumSubtotal {
        minimum: String,
    },
    /// A cart subtotal that is not an amount of the shop's currency.
    InvalidSubtotal(String),
    /// Input that cannot be accepted as given; the message says why.
    InvalidInput(String),
}
