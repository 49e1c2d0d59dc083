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
pub(crate) mod c2c;
pub(crate) mod contacts;
pub(crate) mod follow;
pub(crate) mod groups;
pub(crate) mod members;
pub(crate) mod messages;
pub(crate) mod profiles;
mod rows;
pub(crate) mod sns;
pub(crate) mod sweep;

use crate::sql::{ReadTx, WriteTx};
use crate::{DbError, StoreError};
use std::future::Future;
use timber_core::message::PageSink;

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
