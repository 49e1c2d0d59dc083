//! The store's operations, written once over [`crate::sql`] and run by both backends
//! (`crate::backend::Backend`). Each is a small struct holding its request, and one
//! transaction when it runs.
//!
//! A write is *load → decide → apply*: [`WriteOp::check`] loads the rows its decision needs
//! and calls the `timber_core` function that decides, which returns the writes to make or a
//! refusal; [`WriteOp::apply`] makes those writes. `check` only gets a [`ReadTx`], and `apply`
//! can only fail with a [`DbError`]: so every refusal comes before the first write. That is
//! what lets the SQLite writer commit many writes in one transaction without a savepoint for
//! each (`sqlite/writer.rs`), and no rule or error code of the API is chosen here.

pub(crate) mod accounts;
mod append;
pub(crate) mod appinfo;
pub(crate) mod applications;
pub(crate) mod c2c;
pub(crate) mod console;
pub(crate) mod contacts;
pub(crate) mod extensions;
pub(crate) mod follow;
pub(crate) mod group_more;
pub(crate) mod group_receipts;
pub(crate) mod groups;
pub(crate) mod kit;
pub(crate) mod member;
pub(crate) mod members;
pub(crate) mod messages;
pub(crate) mod moderation;
pub(crate) mod msglog;
pub(crate) mod official;
pub(crate) mod outbox;
pub(crate) mod profiles;
pub(crate) mod push;
pub(crate) mod robots;
pub(crate) mod room_admins;
mod rows;
pub(crate) mod sns;
pub(crate) mod sweep;
pub(crate) mod topics;

use crate::outbox::CallbackFilter;
use crate::sql::{ReadTx, WriteTx};
use crate::{DbError, StoreError};
use std::future::Future;
use timber_core::callback::Event;
use timber_core::member::{Change, ChangeSink};
use timber_core::message::PageSink;
use timber_core::AppId;

/// An operation that writes: its checks, then its writes, in one transaction.
pub(crate) trait WriteOp: Send + Sync + 'static {
    /// What the checks decided: the writes to make.
    type Plan: Send;
    type Out: Send + 'static;

    /// Loads what the decision needs and decides. It cannot change anything.
    fn check<R: ReadTx>(
        &self,
        r: &mut R,
    ) -> impl Future<Output = Result<Self::Plan, StoreError>> + Send;

    /// Makes the planned writes; fails only when the database does.
    fn apply<W: WriteTx>(
        &self,
        plan: Self::Plan,
        w: &mut W,
    ) -> impl Future<Output = Result<Self::Out, DbError>> + Send;

    /// The app this write belongs to and the after-callbacks it may record
    /// (`timber_core::callback`). Asked first: a write of an app that wants none of them
    /// builds and reads nothing more.
    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        None
    }

    /// The events of `wanted` (those of [`WriteOp::callbacks`] the app wants) this write
    /// made, read after its writes in the same transaction, which records them.
    fn events<W: WriteTx>(
        &self,
        _out: &Self::Out,
        _wanted: &[&'static str],
        _w: &mut W,
    ) -> impl Future<Output = Result<Vec<Event>, DbError>> + Send {
        async { Ok(Vec::new()) }
    }

    /// What connected members hear of this write once it commits (`timber_core::member`):
    /// asked only while some member is connected (`ChangeSink::active`), before the commit,
    /// and published after it. An op asks `sink.wants(app)` before building anything.
    fn changes(&self, _out: &Self::Out, _sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        None
    }

    /// The group whose row this write locks first, when it is short and locks nothing
    /// outside that group: writes waiting for the same group on one PostgreSQL node then
    /// share one transaction and one commit (`postgres/commit.rs`). Keyed by group, a batch
    /// takes one group's row lock, as each of its writes alone would: batches on two nodes
    /// cannot deadlock over the order of several groups' locks. `None` (long writes, the
    /// kit, migrations, writes across groups): the write runs alone.
    fn batch_key(&self) -> Option<(AppId, &str)> {
        None
    }

    /// What this committed write changed of the data PostgreSQL nodes cache
    /// (`postgres/cache.rs`: kick times, replacing keywords); the transaction records it for
    /// every node.
    fn invalidates(&self, _out: &Self::Out) -> Option<Invalidation> {
        None
    }
}

/// What a committed write changed of the cached data: the kick times of `users` of `app`,
/// or (`None`: a reset, an import, a keyword change) everything cached of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalidation {
    pub app: AppId,
    pub users: Option<Vec<String>>,
}

/// One change of a write to `app`, built only when a member of the app is connected.
pub(crate) fn one_change(
    app: AppId,
    sink: &dyn ChangeSink,
    change: impl FnOnce() -> Change,
) -> Option<(AppId, Vec<Change>)> {
    sink.wants(app).then(|| (app, vec![change()]))
}

/// The changes of `op`'s output, if a member is connected to hear them.
pub(crate) fn changes_of<O: WriteOp>(
    op: &O,
    out: &O::Out,
    sink: Option<&dyn ChangeSink>,
) -> Option<(AppId, Vec<Change>)> {
    let sink = sink.filter(|s| s.active())?;
    op.changes(out, sink).filter(|(_, c)| !c.is_empty())
}

/// Runs `op` in the open transaction `w`: its checks, its writes, then the after-events the
/// app wants into the outbox (same transaction: an event exists exactly when its change
/// committed). Returns the output and whether any event was recorded.
pub(crate) async fn run<O: WriteOp, W: WriteTx>(
    op: &O,
    w: &mut W,
    filter: Option<&dyn CallbackFilter>,
    client_ip: &str,
) -> Result<(O::Out, bool), StoreError> {
    let plan = op.check(w).await?;
    let out = op.apply(plan, w).await?;
    let mut recorded = false;
    if let (Some(filter), Some((app, commands))) = (filter, op.callbacks()) {
        let wanted: Vec<&'static str> = commands
            .iter()
            .copied()
            .filter(|c| filter.wants(app, c))
            .collect();
        if !wanted.is_empty() {
            let events = op.events(&out, &wanted, w).await?;
            outbox::insert(w, app, &events, client_ip).await?;
            recorded = !events.is_empty();
        }
    }
    Ok((out, recorded))
}

/// An operation that only reads, in one snapshot.
pub(crate) trait ReadOp: Send + 'static {
    type Out: Send + 'static;

    fn read<R: ReadTx>(
        &self,
        r: &mut R,
    ) -> impl Future<Output = Result<Self::Out, StoreError>> + Send;
}

/// A read that hands what it reads to a sink as it goes (a history page, written into the
/// answer row by row: BENCHMARKS.md, ledger: history rows read in place).
pub(crate) trait SinkOp: Send + 'static {
    type Out: Send + 'static;

    fn read_into<R: ReadTx>(
        &self,
        r: &mut R,
        sink: &mut dyn PageSink,
    ) -> impl Future<Output = Result<Self::Out, StoreError>> + Send;
}
