//! The `Store` trait — timber's storage spoken in domain operations, never in SQL — and its
//! implementations: SQLite (the embedded default, also used for `memory`) and PostgreSQL.
//!
//! Every operation that checks state and then writes is *load → decide → apply* in one
//! transaction: the store loads the rows the decision needs, a pure function of
//! `timber_core` decides (the writes to make, or a refusal), and the store applies them
//! (`ops::WriteOp`). So two timber nodes on one database can never both take the same
//! MsgSeq (DESIGN.md, Storage), and no rule of the API is written in this crate.

mod accounts;
mod backend;
pub mod c2c;
pub mod console;
pub mod contacts;
pub mod extensions;
pub mod follow;
pub mod group_more;
pub mod groups;
pub mod kit;
pub mod member;
pub mod messages;
pub mod official;
mod ops;
pub mod outbox;
pub mod postgres;
mod profiles;
mod publish;
pub mod push;
mod schema;
pub mod sns;
mod sql;
pub mod sqlite;
pub mod topics;

pub use accounts::{AccountStore, NewAccount};
pub use c2c::C2cStore;
pub use console::ConsoleStore;
pub use contacts::ContactStore;
pub use extensions::ExtensionStore;
pub use follow::FollowStore;
pub use group_more::{GroupMoreStore, NewBroadcast};
pub use groups::GroupStore;
pub use kit::{AppDump, DumpRow, KitStore};
pub use member::MemberStore;
pub use messages::MessageStore;
pub use official::OfficialStore;
pub use outbox::OutboxStore;
pub use profiles::ProfileStore;
pub use push::PushStore;
pub use sns::SnsStore;
pub use topics::TopicStore;

use timber_core::Error;

/// A store failure: either a documented refusal from the domain rules, or the database
/// failing underneath (the handler answers the service's internal-error code and logs the
/// cause).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The database failing: never a refusal of the API, so it is all that applying a decided
/// write can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("storage failure: {0}")]
    Internal(String),
    /// The transaction lost a race with another node (a serialization failure, a deadlock,
    /// or a key another transaction took since the check). The PostgreSQL store retries the
    /// whole operation, checks included; one only escapes when retries ran out.
    #[error("transaction conflict: {0}")]
    Conflict(String),
}

impl DbError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        DbError::Internal(e.to_string())
    }
}

impl StoreError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        StoreError::Db(DbError::internal(e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything timber keeps. One trait object per process, shared by every request.
#[async_trait::async_trait]
pub trait Store:
    AccountStore
    + GroupStore
    + GroupMoreStore
    + MessageStore
    + C2cStore
    + ContactStore
    + ProfileStore
    + SnsStore
    + FollowStore
    + ExtensionStore
    + TopicStore
    + OutboxStore
    + PushStore
    + MemberStore
    + OfficialStore
    + KitStore
    + ConsoleStore
    + Send
    + Sync
    + 'static
{
    /// Answers when the store can serve requests (`/readyz`).
    async fn ping(&self) -> Result<()>;
    /// Finishes queued writes and closes the store; later calls fail.
    async fn close(&self);

    /// What the store's writer or connection pool is doing now (`/metrics`).
    fn gauges(&self) -> StoreGauges {
        StoreGauges::default()
    }
}

/// The store's load as `/metrics` shows it; a backend fills in what it has (`None`: not
/// this backend's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// SQLite: writes waiting for the writer thread. PostgreSQL with group commit: writes
    /// waiting for their group's next batch.
    pub writer_queue: Option<u64>,
    /// SQLite, PostgreSQL with group commit: writes committed by the last group commit.
    pub writer_last_batch: Option<u64>,
    /// SQLite, PostgreSQL with group commit: group commits so far.
    pub writer_batches: Option<u64>,
    /// PostgreSQL: connections of the pool lent out now.
    pub pool_in_use: Option<u64>,
    /// PostgreSQL: connections the pool holds (lent out or idle).
    pub pool_size: Option<u64>,
    /// PostgreSQL: the pool's capacity.
    pub pool_max: Option<u64>,
    /// PostgreSQL: requests waiting for a connection.
    pub pool_waiting: Option<u64>,
}
