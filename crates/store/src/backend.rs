//! What a database must do to serve the store: run its operations (`crate::ops`). The
//! `AccountStore`, `GroupStore`, `MessageStore`, `C2cStore` and `ProfileStore` traits are
//! implemented once, over this trait, for both databases (in `accounts.rs`, `groups.rs`,
//! `messages.rs`, `c2c.rs`, `profiles.rs`).

use crate::ops::{ReadOp, SinkOp, WriteOp};
use crate::outbox::CallbackFilter;
use crate::{DbError, Result};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use timber_core::message::PageSink;
use timber_core::AppId;

pub(crate) trait Backend: Send + Sync + 'static {
    /// Runs `op` in one transaction: its checks, then, unless they refused, its writes.
    /// Answers once the transaction is durable.
    fn write<O: WriteOp>(&self, op: O) -> impl Future<Output = Result<O::Out>> + Send;

    /// Runs a short read (a few indexed lookups) in one snapshot of committed data.
    fn read<O: ReadOp>(&self, op: O) -> impl Future<Output = Result<O::Out>> + Send;

    /// Runs a long read (it may touch thousands of rows) in one snapshot, where it cannot hold
    /// up the async workers.
    fn scan<O: ReadOp>(&self, op: O) -> impl Future<Output = Result<O::Out>> + Send;

    /// Runs a short read that hands what it reads to `sink` as it goes.
    fn read_into<O: SinkOp>(
        &self,
        op: O,
        sink: &mut dyn PageSink,
    ) -> impl Future<Output = Result<O::Out>> + Send;

    /// The kick times, when this process is the only one that can change them and so keeps
    /// them in memory (SQLite: one process owns the file); `None` reads the database.
    fn revoked_cache(&self) -> Option<&RevokedCache>;

    /// A per-node cache of kick times, used only while its lease says no other node's write
    /// can have changed them unseen (several PostgreSQL nodes, `postgres/cache.rs`).
    fn node_cache(&self) -> Option<&crate::postgres::cache::NodeCache> {
        None
    }

    /// Sets the filter every later write asks which after-events to record.
    fn install_callback_filter(&self, filter: Arc<dyn CallbackFilter>);

    /// Sets where every later write publishes its changes once committed (members).
    fn install_change_sink(&self, sink: Arc<dyn timber_core::member::ChangeSink>);

    /// A member connection of this node opened: other nodes may ask for it (several nodes on
    /// PostgreSQL; one process has nobody to tell).
    fn member_connected(
        &self,
        _app: AppId,
        _conn: u64,
        _account: &str,
        _platform: &str,
    ) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// A member connection of this node ended.
    fn member_disconnected(&self, _conn: u64) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// (account, platform) of each connection of `accounts` on the other live nodes.
    fn remote_platforms(
        &self,
        _app: AppId,
        _accounts: &[String],
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send {
        async { Ok(Vec::new()) }
    }

    /// `account` came into the AVChatRoom `group_id` through this node (other nodes count
    /// it; one process has nobody to tell).
    fn room_entered(
        &self,
        _app: AppId,
        _group_id: &str,
        _account: &str,
        _join_time: i64,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// `accounts` left the room through this node, or through any (`everywhere`).
    fn room_left(
        &self,
        _app: AppId,
        _group_id: &str,
        _accounts: &[String],
        _everywhere: bool,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// (account, join time) of the room's members present through the other live nodes.
    fn remote_room_members(
        &self,
        _app: AppId,
        _group_id: &str,
    ) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// Kick times of the accounts that have one, kept by the only process that writes them.
#[derive(Default)]
pub(crate) struct RevokedCache {
    times: RwLock<HashMap<(AppId, String), i64>>,
}

impl RevokedCache {
    pub(crate) fn new(all: Vec<(AppId, String, i64)>) -> RevokedCache {
        let times = all
            .into_iter()
            .map(|(app, user, at)| ((app, user), at))
            .collect();
        RevokedCache {
            times: RwLock::new(times),
        }
    }

    /// Read on every request: most apps never kick anyone, so an empty map costs no lookup.
    /// A poisoned lock fails the request rather than forget a kick.
    pub(crate) fn get(&self, app: AppId, user: &str) -> Result<Option<i64>, DbError> {
        let times = self.times.read().map_err(DbError::internal)?;
        if times.is_empty() {
            return Ok(None);
        }
        Ok(times.get(&(app, user.to_owned())).copied())
    }

    pub(crate) fn set(&self, app: AppId, user: String, at: i64) {
        if let Ok(mut times) = self.times.write() {
            times.insert((app, user), at);
        }
    }

    /// Forgets every kick of `app` (its accounts were reset or replaced).
    pub(crate) fn forget_app(&self, app: AppId) {
        if let Ok(mut times) = self.times.write() {
            times.retain(|(a, _), _| *a != app);
        }
    }

    pub(crate) fn forget(&self, app: AppId, user: String) {
        if let Ok(mut times) = self.times.write() {
            times.remove(&(app, user));
        }
    }
}
