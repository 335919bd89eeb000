//! One error type for the service and the policy that maps it to HTTP.
//!
//! Policy: an error is either the client's or ours.
//! - Client errors (4xx) carry a stable machine `code`, a human message and
//!   optional `details`; they are logged at debug level only.
//! - Our errors (5xx) answer with a generic message and no internals; the
//!   cause is logged at error level inside the request span (so with its
//!   request id). A lost database (pool timeout, connection refused, a
//!   server restarting or read-only after a failover) is 503 `unavailable`
//!   with `Retry-After`, logged at warn level; anything else 500 `internal`.
//! - Diesel's `NotFound` is a 404: a row the caller asked for is not there.

mod from_layers;

use crate::domain::refusal::Reason;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    InvalidRequest,
    ProgramDisabled,
    NotEligible,
    PurchaseTypeNotAllowed,
    BelowMinimum,
    AboveMaximum,
    InsufficientPoints,
    ZeroValue,
    ClaimNotRefundable,
    IdempotencyConflict,
    CodeNotValid,
    RateLimited,
    BudgetExhausted,
    LimitReached,
    CustomerBlocked,
    CampaignInactive,
    BelowMinimumSubtotal,
    Unavailable,
    Internal,
}

impl ErrorCode {
    fn default_status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            Unauthorized => StatusCode::UNAUTHORIZED,
            Forbidden => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            InvalidRequest => StatusCode::BAD_REQUEST,
            ProgramDisabled
            | NotEligible
            | PurchaseTypeNotAllowed
            | BelowMinimum
            | AboveMaximum
            | ZeroValue
            | IdempotencyConflict
            | BudgetExhausted
            | LimitReached
            | CustomerBlocked
            | CampaignInactive
            | BelowMinimumSubtotal => StatusCode::UNPROCESSABLE_ENTITY,
            InsufficientPoints | ClaimNotRefundable | CodeNotValid => StatusCode::CONFLICT,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "internal".into())
    }
}

/// The error envelope every 4xx/5xx body carries.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorEnvelope {
    pub(crate) error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    #[schema(value_type = Object)]
    pub(crate) details: Value,
}

pub struct AppError {
    pub code: ErrorCode,
    pub(crate) status: StatusCode,
    pub message: String,
    pub(crate) details: Value,
    /// Our own failures keep their cause for the log, never for the client.
    cause: Option<anyhow::Error>,
    /// The business reason of a refusal, for callers that act on it.
    reason: Option<Reason>,
    /// `Retry-After` seconds of a 503 (a 429's come in `details.retry_after`).
    retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

/// Seconds a client is told to wait after a 503 `unavailable`: a restart or
/// failover of PostgreSQL takes a few seconds, and a second apart keeps
/// retries from piling onto a database that is coming back.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

impl AppError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status: code.default_status(),
            message: message.into(),
            details: json!({}),
            cause: None,
            reason: None,
            retry_after: None,
        }
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// A semantically invalid body (parsed fine, rules refused it): 422.
    pub(crate) fn invalid_fields(message: impl Into<String>, fields: impl Serialize) -> Self {
        Self::invalid(message).with_status(StatusCode::UNPROCESSABLE_ENTITY).with_details(json!({ "fields": fields }))
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub(crate) fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut error = Self::new(ErrorCode::Internal, "internal error");
        error.cause = Some(cause.into());
        error
    }

    /// An internal failure described by a message (e.g. corrupt stored data).
    pub(crate) fn internal_msg(message: impl Into<String>) -> Self {
        Self::internal(anyhow::anyhow!(message.into()))
    }

    /// The database is out of reach or restarting: the client may come back
    /// in a second (`Retry-After: 1`; the body stays generic), and the same
    /// `Idempotency-Key` makes that retry safe.
    pub(crate) fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut error = Self::new(ErrorCode::Unavailable, "service temporarily unavailable");
        error.cause = Some(cause.into());
        error.retry_after = Some(UNAVAILABLE_RETRY_AFTER_SECS);
        error
    }

    /// The business reason, when this error is a refusal.
    pub(crate) fn reason(&self) -> Option<&Reason> {
        self.reason.as_ref()
    }

    /// The envelope as a response, for code paths outside `Result`.
    pub(crate) fn error_response_json(&self) -> HttpResponse {
        ResponseError::error_response(self)
    }

    pub(crate) fn is_server_error(&self) -> bool {
        self.status.is_server_error()
    }

    pub(crate) fn body(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody { code: self.code, message: self.message.clone(), details: self.details.clone() },
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.status, self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.code == ErrorCode::Unavailable {
            // A database restart answers many requests so; each is not an error of ours.
            tracing::warn!(code = ?self.code, error = ?self, "request answered unavailable");
        } else if self.is_server_error() {
            tracing::error!(code = ?self.code, error = ?self, "request failed");
        } else {
            tracing::debug!(code = ?self.code, message = %self.message, "request refused");
        }
        let mut response = HttpResponse::build(self.status);
        // A 429 or 503 says when to come back (`details.retry_after`, seconds).
        if let Some(seconds) = self.details.get("retry_after").and_then(Value::as_u64).or(self.retry_after) {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self.body())
    }
}
