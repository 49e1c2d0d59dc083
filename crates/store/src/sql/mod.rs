//! One SQL interface over both databases, so every store operation is written once.
//!
//! The operations in `ops` speak to a [`ReadTx`] (an open transaction or snapshot that runs
//! queries with `$1`-style parameters and returns owned rows, or hands each row, borrowed, to
//! a function) or a [`WriteTx`], which can also change rows. An operation's checks get only a
//! `ReadTx`, so they cannot write (see `ops::WriteOp`). `sqlite::SqliteTx` runs SQL on a
//! rusqlite connection (its futures are always ready: SQLite is called synchronously on the
//! writer or a reader thread), `postgres::PgTx` on a tokio-postgres transaction or
//! connection. The SQL is the common subset of SQLite, PostgreSQL and the
//! PostgreSQL-compatible distributed engines; the few differences are methods of the traits
//! (`for_update`, `next_group_key`).
//!
//! The traits' futures are `Send`, so that an operation written once over them runs inside
//! the PostgreSQL store's `Send` futures; that is also why `SqliteTx` holds its connection
//! by `&mut` (a `&Connection` is not `Send`).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use crate::DbError;
use std::borrow::Cow;
use std::future::Future;

type Result<T, E = DbError> = std::result::Result<T, E>;

/// A statement parameter. Integers are always 64-bit (`BIGINT` columns).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    I64(i64),
    OptI64(Option<i64>),
    Str(&'a str),
    OptStr(Option<&'a str>),
    Bool(bool),
    OptBool(Option<bool>),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::I64(v)
    }
}
impl From<u64> for Param<'_> {
    /// Stored values (seqs, counts, SDKAppIDs) stay far below `i64::MAX`; a bound meaning
    /// "no limit" (`u64::MAX`) becomes `i64::MAX` rather than a negative number.
    fn from(v: u64) -> Self {
        Param::I64(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Param<'_> {
    fn from(v: u32) -> Self {
        Param::I64(i64::from(v))
    }
}
impl From<u8> for Param<'_> {
    fn from(v: u8) -> Self {
        Param::I64(i64::from(v))
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl From<Option<bool>> for Param<'_> {
    fn from(v: Option<bool>) -> Self {
        Param::OptBool(v)
    }
}
impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Str(v)
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Str(v)
    }
}
impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Param::OptStr(v)
    }
}
impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Param::OptStr(v.as_deref())
    }
}

/// `params![a, b, …]`: a parameter list for [`Tx`] methods.
macro_rules! params {
    ($($p:expr),* $(,)?) => { &[$($crate::sql::Param::from($p)),*][..] };
}
pub(crate) use params;

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    I64(i64),
    Text(String),
}

/// One value of a result row, borrowed from the database's own row buffer.
pub(crate) enum Value<'a> {
    Null,
    I64(i64),
    /// Text (invalid UTF-8, which timber never stores, is replaced, not refused).
    Text(Cow<'a, str>),
}

/// A result row as the database hands it over, valid until the next row is read.
pub(crate) trait RowRef {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> Result<Value<'_>>;

    /// An integer cell (0 for NULL or text), as [`Row::i64`].
    fn i64(&self, i: usize) -> Result<i64> {
        Ok(match self.get(i)? {
            Value::I64(v) => v,
            _ => 0,
        })
    }
    /// A text cell; `None` for NULL.
    fn opt_str(&self, i: usize) -> Result<Option<Cow<'_, str>>> {
        Ok(match self.get(i)? {
            Value::Text(t) => Some(t),
            _ => None,
        })
    }
    /// A text cell ("" for NULL).
    fn str(&self, i: usize) -> Result<Cow<'_, str>> {
        Ok(self.opt_str(i)?.unwrap_or_default())
    }
}

/// A result row, owned. Booleans arrive as 0/1 from both databases.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Cell>);

impl Row {
    pub(crate) fn i64(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Cell::I64(v)) => *v,
            _ => 0,
        }
    }
    pub(crate) fn opt_i64(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Cell::I64(v)) => Some(*v),
            _ => None,
        }
    }
    pub(crate) fn u64(&self, i: usize) -> u64 {
        self.i64(i).max(0) as u64
    }
    pub(crate) fn bool(&self, i: usize) -> bool {
        self.i64(i) != 0
    }
    pub(crate) fn opt_bool(&self, i: usize) -> Option<bool> {
        self.opt_i64(i).map(|v| v != 0)
    }
    /// Moves a text cell out (an empty string for NULL).
    pub(crate) fn take_str(&mut self, i: usize) -> String {
        self.take_opt_str(i).unwrap_or_default()
    }
    pub(crate) fn take_opt_str(&mut self, i: usize) -> Option<String> {
        match self.0.get_mut(i).map(|c| std::mem::replace(c, Cell::Null)) {
            Some(Cell::Text(s)) => Some(s),
            _ => None,
        }
    }
}

/// An open transaction (or, for reads, a consistent snapshot): queries only.
pub(crate) trait ReadTx: Send {
    /// Runs a query and hands each row to `f`, which sees it only while it runs: rows
    /// read this way are never copied into owned cells.
    fn query_each<F>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        f: F,
    ) -> impl Future<Output = Result<()>> + Send
    where
        F: FnMut(&dyn RowRef) -> Result<()> + Send;

    /// `" FOR UPDATE OF g"` (the group row, aliased `g`) where row locks exist (PostgreSQL);
    /// empty on SQLite, whose single writer already serializes every write.
    fn for_update(&self) -> &'static str;

    /// `" FOR UPDATE SKIP LOCKED"` where row locks exist (PostgreSQL: an outbox row another
    /// node is claiming right now is passed over); empty on SQLite.
    fn skip_locked(&self) -> &'static str;

    /// A statement that makes claims of outbox rows take turns across nodes (PostgreSQL: a
    /// transaction-scoped advisory lock), so that no two nodes claim events of one group at
    /// once; `None` on SQLite, whose single writer already does.
    fn claims_lock(&self) -> Option<&'static str>;

    /// Whether every statement is a round trip to a server process (PostgreSQL), so that a
    /// read folded into one statement saves a wait on the network; on SQLite a statement is
    /// a call into the process's own library, and two plain ones cost less than one join.
    fn round_trips(&self) -> bool;

    /// A query listing every column of every table of the schema as (table, column, type)
    /// rows, in table order then column order (the emulator kit's export, reset and import
    /// read the schema rather than keep a list of tables that could fall behind it).
    fn columns_sql(&self) -> &'static str;

    /// Statements that move the key sequences past the keys present (PostgreSQL, after rows
    /// were inserted with their keys given); none on SQLite, whose AUTOINCREMENT moves itself.
    fn resync_keys_sql(&self) -> &'static [&'static str];

    /// Runs a query and returns all rows.
    fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        async move {
            let mut out = Vec::new();
            self.query_each(sql, params, |r| {
                let n = r.len();
                let mut cells = Vec::with_capacity(n);
                for i in 0..n {
                    cells.push(match r.get(i)? {
                        Value::Null => Cell::Null,
                        Value::I64(v) => Cell::I64(v),
                        Value::Text(t) => Cell::Text(t.into_owned()),
                    });
                }
                out.push(Row(cells));
                Ok(())
            })
            .await?;
            Ok(out)
        }
    }

    /// Runs a query that returns at most one row.
    fn query_opt(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Option<Row>>> + Send {
        async move { Ok(self.query(sql, params).await?.into_iter().next()) }
    }

    /// Runs a statement that only takes a row lock (`SELECT … FOR UPDATE`, its rows unread).
    /// PostgreSQL sends it with the next statement, in one round trip; that statement still
    /// starts only once the lock is granted (`sql::postgres`).
    fn lock_row(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<()>> + Send {
        async move { self.query_opt(sql, params).await.map(drop) }
    }

    /// Runs a query that returns exactly one row.
    fn query_one(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Row>> + Send {
        async move {
            self.query_opt(sql, params)
                .await?
                .ok_or_else(|| DbError::internal(format!("no row returned by: {sql}")))
        }
    }
}

/// An open transaction that may also change rows.
pub(crate) trait WriteTx: ReadTx {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Runs a statement whose changed-row count is not looked at. PostgreSQL sends it with
    /// the next statement or the commit, in one round trip; its error, if any, fails the
    /// operation there.
    fn write(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<()>> + Send {
        async move { self.execute(sql, params).await.map(drop) }
    }

    /// A new group key, never handed out before (even for a group since destroyed).
    fn next_group_key(&mut self) -> impl Future<Output = Result<i64>> + Send;
}
