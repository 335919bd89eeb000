//! What can go wrong in the store: a refusal on business grounds, a row
//! that is not there, a database that is out of reach, or a failure of ours.

use crate::domain::refusal::Reason;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is refused on business grounds.
    #[error("refused: {0:?}")]
    Refused(Reason),
    /// What the caller asked for does not exist (`"claim"`, `"shop"`, …).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The database cannot be reached or is busy, or the writer stopped.
    #[error("unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// Any other failure reported by the database.
    #[error("database error: {0}")]
    Database(DieselError),
    /// Our own failure: corrupt stored data, a panicked write unit, ….
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Our own failure with its cause (e.g. stored JSON that does not parse).
    pub(crate) fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Error::Internal(cause.into())
    }

    /// An internal failure described by a message (e.g. corrupt stored data).
    pub(crate) fn internal_msg(message: impl Into<String>) -> Self {
        Error::Internal(anyhow::anyhow!(message.into()))
    }

    /// The database is out of reach for the reason given.
    pub(crate) fn unavailable_msg(message: impl Into<String>) -> Self {
        Error::Unavailable(anyhow::anyhow!(message.into()))
    }

    /// A unique index refused an insert (a concurrent writer won a race).
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Database(error) if super::is_unique_violation(error))
    }
}

impl From<Reason> for Error {
    fn from(reason: Reason) -> Self {
        Error::Refused(reason)
    }
}

impl From<DieselError> for Error {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Error::NotFound("resource"),
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction,
                _,
            ) => Error::Unavailable(error.into()),
            ref retryable if is_retryable(retryable) => Error::Unavailable(error.into()),
            DieselError::DatabaseError(_, ref info) if is_busy(info.message()) => Error::Unavailable(error.into()),
            other => Error::Database(other),
        }
    }
}

/// Busy, or a server that is stopping, starting or gone (a restart or a
/// failover in progress): the same request succeeds a moment later.
fn is_busy(message: &str) -> bool {
    [
        "database is locked",
        "statement timeout",
        "terminating connection",
        "the database system is",
        "server closed the connection",
        "no connection to the server",
        "SSL connection has been closed",
        "SSL SYSCALL error",
        "read-only transaction",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// PostgreSQL picked this statement's transaction as a deadlock victim
/// (40P01) or could not serialize it (40001): it was rolled back, and the
/// same work run again succeeds.
pub(crate) fn is_retryable(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Error::Unavailable(error.into())
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(error: tokio::task::JoinError) -> Self {
        Error::Internal(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_errors_land_in_their_variants() {
        assert!(matches!(Error::from(DieselError::NotFound), Error::NotFound("resource")));
        assert!(matches!(Error::from(DieselError::RollbackTransaction), Error::Database(_)));
        let closed = DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new("gone".to_string()));
        assert!(matches!(Error::from(closed), Error::Unavailable(_)));
        let busy = DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new("database is locked".to_string()));
        assert!(matches!(Error::from(busy), Error::Unavailable(_)));
        let deadlock =
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new("deadlock detected".to_string()));
        assert!(matches!(Error::from(deadlock), Error::Unavailable(_)));
        let restart = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("terminating connection due to administrator command".to_string()),
        );
        assert!(matches!(Error::from(restart), Error::Unavailable(_)));
        let standby = DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, Box::new("ro".to_string()));
        assert!(matches!(Error::from(standby), Error::Unavailable(_)));
    }

    #[test]
    fn only_a_unique_index_refusal_is_a_unique_violation() {
        let unique = DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new("dup".to_string()));
        assert!(Error::from(unique).is_unique_violation());
        assert!(!Error::from(DieselError::NotFound).is_unique_violation());
    }
}
