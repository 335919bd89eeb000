//! What can go wrong in the platform layer: the store's errors, a payload
//! the commerce platform sent that cannot be read, or a failure of ours.

use crate::store;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A payload of the commerce platform that cannot be read as what it claims to be.
    #[error("unreadable payload: {0}")]
    Payload(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An internal failure described by a message (e.g. corrupt stored data).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Error::Internal(anyhow::anyhow!(message.into()))
    }
}
