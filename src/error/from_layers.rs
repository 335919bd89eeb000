//! How the errors of the inner layers are answered: each store, platform
//! and domain error becomes the status, code, message and details the API
//! has always given for it.

use super::{AppError, ErrorCode};
use crate::domain::refusal::Reason;
use crate::{platform, store};
use serde_json::json;

impl From<Reason> for AppError {
    fn from(reason: Reason) -> Self {
        let mut error = refusal(&reason);
        error.reason = Some(reason);
        error
    }
}

fn refusal(reason: &Reason) -> AppError {
    use ErrorCode::*;
    match reason {
        Reason::ProgramDisabled => AppError::new(ProgramDisabled, "the program is not enabled"),
        Reason::NotEligible => AppError::new(NotEligible, "this customer may not redeem points in this program"),
        Reason::SegmentsUnavailable => {
            AppError::new(NotEligible, "segment membership cannot be established for this shop")
                .with_details(json!({"reason": "segments_unavailable"}))
        }
        Reason::PurchaseTypeNotAllowed(p) => AppError::new(
            PurchaseTypeNotAllowed,
            format!("codes of this program do not apply to {} purchases", p.as_str()),
        ),
        Reason::BelowMinimum { min } => AppError::new(BelowMinimum, format!("redeem at least {min} points"))
            .with_details(json!({"min_points": min})),
        Reason::AboveMaximum { max } => {
            AppError::new(AboveMaximum, format!("redeem at most {max} points")).with_details(json!({"max_points": max}))
        }
        Reason::ZeroValue => AppError::new(ZeroValue, "these points are worth less than the smallest coin"),
        Reason::InsufficientPoints { balance } => {
            AppError::new(InsufficientPoints, "not enough points").with_details(json!({"points_balance": balance}))
        }
        Reason::PlatformDisabled => AppError::new(Unavailable, "the shop's platform connection is disabled"),
        Reason::CustomerBlocked => AppError::new(CustomerBlocked, "this customer is blocked by the shop"),
        Reason::ClaimNotRefundable { status } => {
            AppError::new(ClaimNotRefundable, format!("a {status} code cannot be refunded"))
                .with_details(json!({ "status": status.as_str() }))
        }
        Reason::CodeNotValid(message) => AppError::new(CodeNotValid, message.clone()),
        Reason::BelowMinimumSubtotal { minimum } => {
            AppError::new(BelowMinimumSubtotal, format!("the cart is below the code's minimum of {minimum}"))
        }
        Reason::InvalidSubtotal(problem) => {
            AppError::invalid_fields("invalid subtotal", json!({ "subtotal": problem }))
        }
        Reason::InvalidInput(message) => AppError::invalid(message.clone()),
    }
}

impl From<store::Error> for AppError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::Refused(reason) => reason.into(),
            store::Error::NotFound(what) => AppError::not_found(what),
            store::Error::Unavailable(cause) => AppError::unavailable(cause),
            store::Error::Database(cause) => AppError::internal(cause),
            store::Error::Internal(cause) => AppError::internal(cause),
        }
    }
}

impl From<platform::Error> for AppError {
    fn from(error: platform::Error) -> Self {
        match error {
            platform::Error::Store(error) => error.into(),
            platform::Error::Payload(message) => AppError::invalid(message),
            platform::Error::Internal(cause) => AppError::internal(cause),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        store::Error::from(error).into()
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        store::Error::from(error).into()
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        store::Error::from(error).into()
    }
}
