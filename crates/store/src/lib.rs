//! The `Store` trait — timber's storage spoken in domain operations, never in SQL — and its
//! implementations: SQLite (the embedded default, also used for `memory`) and PostgreSQL.
//!
//! Every operation that checks state and then writes does both in one transaction, so two
//! timber nodes on one database can never both take the same MsgSeq (DESIGN.md, Storage).

mod accounts;
pub mod groups;
pub mod messages;
mod ops;
pub mod postgres;
mod sql;
pub mod sqlite;

pub use accounts::{AccountStore, NewAccount};
pub use groups::GroupStore;
pub use messages::MessageStore;

use timber_core::{Error, ErrorCode};

/// A store failure: either a documented refusal from the domain rules, or something broken
/// underneath (the handler answers the service's internal-error code and logs the cause).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] Error),
    #[error("storage failure: {0}")]
    Internal(String),
    /// The transaction lost a race with another node (a serialization failure or deadlock).
    /// The PostgreSQL store retries these itself; one only escapes when retries ran out.
    #[error("transaction conflict: {0}")]
    Conflict(String),
}

impl StoreError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        StoreError::Internal(e.to_string())
    }
}

impl From<ErrorCode> for StoreError {
    fn from(code: ErrorCode) -> Self {
        StoreError::Domain(code.into())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything timber keeps. One trait object per process, shared by every request.
#[async_trait::async_trait]
pub trait Store: AccountStore + GroupStore + MessageStore + Send + Sync + 'static {
    /// Answers when the store can serve requests (`/readyz`).
    async fn ping(&self) -> Result<()>;
    /// Finishes queued writes and closes the store; later calls fail.
    async fn close(&self);
}
