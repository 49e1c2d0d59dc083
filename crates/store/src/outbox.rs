//! The callback outbox (callbacks.md; ARCHITECTURE.md, Callbacks): after-events recorded by the
//! transaction that made the change, claimed and deleted by the HTTP layer's dispatcher once
//! delivered. An event whose change rolled back was never written; one that committed stays
//! until a node has delivered it, whatever happens to the node that wrote it.

use crate::backend::Backend;
use crate::ops::outbox::{After, Claim, Finish, Pending, Release};
use crate::Result;
use timber_core::AppId;

tokio::task_local! {
    /// The address of the client whose request is making a change: the `ClientIP` of the
    /// events it records (callbacks.md §1). The HTTP layer sets it around each request, so
    /// that no store method needs a parameter for it; writes made outside a request (the
    /// sweeper) record an empty one.
    pub static CLIENT_IP: String;
}

/// The [`CLIENT_IP`] of the running request, or empty.
pub(crate) fn client_ip() -> String {
    CLIENT_IP.try_with(Clone::clone).unwrap_or_default()
}

/// Which after-events an app wants recorded: asked by each write before it builds any, so an
/// app without callbacks costs a write nothing but this question.
pub trait CallbackFilter: Send + Sync + 'static {
    fn wants(&self, app: AppId, command: &str) -> bool;

    /// Told after a write that recorded events has committed (the dispatcher of this node
    /// wakes up instead of waiting for its next poll).
    fn recorded(&self);
}

/// One outbox row a node has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub app: AppId,
    pub command: String,
    pub ordering: String,
    pub body: String,
    /// The address of the client that caused the event ("" when none did).
    pub client_ip: String,
}

#[async_trait::async_trait]
pub trait OutboxStore {
    /// From now on every write asks `filter` which events to record. Set once, at start.
    fn set_callback_filter(&self, filter: std::sync::Arc<dyn CallbackFilter>);

    /// Claims for `owner` until `lease_until` (Unix ms) up to `limit` rows whose lease ran out
    /// before `now` (ms), oldest first, skipping every row that follows, in its ordering, a
    /// row another claim still holds. Rows of one ordering come back in event order.
    async fn claim_events(
        &self,
        owner: String,
        now: i64,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<OutboxRow>>;

    /// For a store only this process uses (SQLite): up to `limit` rows with an id above
    /// `after`, oldest first, read without a claim (no other node could send them, and its
    /// single writer numbers rows in commit order, so none can appear below `after` later).
    /// The SQLite writer then stores each event once and deletes it once, with no lease
    /// written in between (BENCHMARKS.md, ledger: *outbox read past a cursor*).
    async fn events_after(&self, after: i64, limit: u64) -> Result<Vec<OutboxRow>>;

    /// Deletes delivered (or given up) rows.
    async fn finish_events(&self, ids: Vec<i64>) -> Result<()>;

    /// Frees every lease: for a store only this process uses (SQLite), at start, so that what
    /// a killed process had claimed is sent again at once.
    async fn release_events(&self) -> Result<()>;

    /// Whether any row is claimable at `now` (ms): a read, so an idle poll writes nothing.
    async fn events_pending(&self, now: i64) -> Result<bool>;
}

#[async_trait::async_trait]
impl<B: Backend> OutboxStore for B {
    fn set_callback_filter(&self, filter: std::sync::Arc<dyn CallbackFilter>) {
        self.install_callback_filter(filter);
    }

    async fn claim_events(
        &self,
        owner: String,
        now: i64,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<OutboxRow>> {
        self.write(Claim {
            owner,
            now,
            lease_until,
            limit,
        })
        .await
    }

    async fn events_after(&self, after: i64, limit: u64) -> Result<Vec<OutboxRow>> {
        self.read(After { after, limit }).await
    }

    async fn finish_events(&self, ids: Vec<i64>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write(Finish { ids }).await
    }

    async fn release_events(&self) -> Result<()> {
        self.write(Release).await
    }

    async fn events_pending(&self, now: i64) -> Result<bool> {
        self.read(Pending { now }).await
    }
}
