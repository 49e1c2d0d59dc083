//! One SQL interface over both databases, so every store operation is written once.
//!
//! The operations in `ops` speak to a [`Tx`]: an open transaction that runs SQL with `$1`-style
//! parameters and returns owned rows, or hands each row, borrowed, to a function.
//! `sqlite::SqliteTx` runs it on a rusqlite connection (its futures are always ready: SQLite
//! is called synchronously on the writer or a reader thread), `postgres::PgTx` on a
//! tokio-postgres transaction. The SQL is the common subset of SQLite, PostgreSQL and the
//! PostgreSQL-compatible distributed engines; the few differences are methods of [`Tx`]
//! (`for_update`, `next_group_key`).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use crate::Result;
use std::borrow::Cow;

/// A statement parameter. Integers are always 64-bit (`BIGINT` columns).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    I64(i64),
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
    fn from(v: u64) -> Self {
        // Stored values (seqs, counts, SDKAppIDs) stay far below i64::MAX.
        Param::I64(v as i64)
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

/// An open transaction (or, for reads, a consistent snapshot).
#[allow(async_fn_in_trait)]
pub(crate) trait Tx {
    /// Runs a statement; returns the number of rows it changed.
    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64>;
    /// Runs a query and hands each row to `f`, which sees it only while it runs: rows
    /// read this way are never copied into owned cells.
    async fn query_each(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        f: impl FnMut(&dyn RowRef) -> Result<()> + Send,
    ) -> Result<()>;
    /// `" FOR UPDATE OF g"` (the group row, aliased `g`) where row locks exist (PostgreSQL);
    /// empty on SQLite, whose single writer already serializes every write.
    fn for_update(&self) -> &'static str;
    /// A new group key, never handed out before (even for a group since destroyed).
    async fn next_group_key(&mut self) -> Result<i64>;

    /// Runs a query and returns all rows.
    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
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
    /// Runs a query that returns at most one row.
    async fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }
    /// Runs a query that returns exactly one row.
    async fn query_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row> {
        self.query_opt(sql, params)
            .await?
            .ok_or_else(|| crate::StoreError::internal(format!("no row returned by: {sql}")))
    }
}
