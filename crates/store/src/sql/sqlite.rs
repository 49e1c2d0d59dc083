//! [`ReadTx`] and [`WriteTx`] on a rusqlite connection.

use super::{Param, ReadTx, Result, RowRef, Value, WriteTx};
use crate::DbError;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;
use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// A transaction on a connection the caller has begun (the writer's batch, or a reader's
/// snapshot).
pub(crate) struct SqliteTx<'c> {
    conn: &'c mut Connection,
}

impl<'c> SqliteTx<'c> {
    pub(crate) fn new(conn: &'c mut Connection) -> Self {
        SqliteTx { conn }
    }
}

/// Runs an operation on SQLite to completion. Its only awaits are `SqliteTx` calls, which
/// never wait, so one poll finishes it.
pub(crate) fn run_sync<T, E: From<DbError>>(
    op: impl Future<Output = std::result::Result<T, E>>,
) -> std::result::Result<T, E> {
    match pin!(op).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => {
            Err(DbError::internal("a SQLite operation waited on something else").into())
        }
    }
}

/// `$1` → `?1`: PostgreSQL's numbered parameters in SQLite's spelling.
fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    Cow::Owned(sql.replace('$', "?"))
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::I64(v) | Param::OptI64(Some(v)) => ToSqlOutput::from(v),
            Param::Str(s) => ToSqlOutput::from(s),
            Param::OptStr(Some(s)) => ToSqlOutput::from(s),
            Param::Bool(b) | Param::OptBool(Some(b)) => ToSqlOutput::from(b),
            Param::OptStr(None) | Param::OptBool(None) | Param::OptI64(None) => {
                ToSqlOutput::from(rusqlite::types::Null)
            }
        })
    }
}

/// A text cell's bytes as text (invalid UTF-8, which timber never stores, replaced).
/// `from_utf8` first: on valid text, which is all there is, it is faster than
/// `from_utf8_lossy`, which walks the bytes in chunks.
fn text(t: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(t) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(t),
    }
}

/// `i64` and `opt_str` read the cell they want directly rather than through a [`Value`]: a
/// history page reads 183 cells.
impl RowRef for rusqlite::Row<'_> {
    fn len(&self) -> usize {
        self.as_ref().column_count()
    }

    fn get(&self, i: usize) -> Result<Value<'_>> {
        Ok(match self.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::I64(v),
            ValueRef::Real(v) => Value::I64(v as i64),
            ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(text(t)),
        })
    }

    fn i64(&self, i: usize) -> Result<i64> {
        Ok(match self.get_ref(i)? {
            ValueRef::Integer(v) => v,
            ValueRef::Real(v) => v as i64,
            _ => 0,
        })
    }

    fn opt_str(&self, i: usize) -> Result<Option<Cow<'_, str>>> {
        Ok(match self.get_ref(i)? {
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(text(t)),
            _ => None,
        })
    }
}

impl ReadTx for SqliteTx<'_> {
    async fn query_each<F>(&mut self, sql: &str, params: &[Param<'_>], mut f: F) -> Result<()>
    where
        F: FnMut(&dyn RowRef) -> Result<()> + Send,
    {
        let mut stmt = self.conn.prepare_cached(&sqlite_sql(sql))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            f(r)?;
        }
        Ok(())
    }

    fn for_update(&self) -> &'static str {
        ""
    }

    fn skip_locked(&self) -> &'static str {
        ""
    }

    fn claims_lock(&self) -> Option<&'static str> {
        None
    }

    fn round_trips(&self) -> bool {
        false
    }

    fn columns_sql(&self) -> &'static str {
        "SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
    }

    fn resync_keys_sql(&self) -> &'static [&'static str] {
        &[]
    }
}

impl WriteTx for SqliteTx<'_> {
    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(&sqlite_sql(sql))?;
        Ok(stmt.execute(rusqlite::params_from_iter(params))? as u64)
    }

    async fn next_group_key(&mut self) -> Result<i64> {
        // AUTOINCREMENT's high-water mark; inserting this key explicitly raises it.
        let row = self
            .query_one(
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'groups'), 0) + 1",
                &[],
            )
            .await?;
        Ok(row.i64(0))
    }
}
