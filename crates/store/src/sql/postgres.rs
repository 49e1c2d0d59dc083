//! [`ReadTx`] and [`WriteTx`] on a tokio-postgres connection: a transaction this type opens
//! and commits itself ([`PgTx::begin`]), or a pooled connection for reads.
//!
//! In a transaction, every statement whose answer nobody reads — `BEGIN`, a group's row lock
//! ([`ReadTx::lock_row`]), a write whose row count is not looked at ([`WriteTx::write`]) — is
//! held back and sent in one pipeline with the next statement that is read, or with the
//! `COMMIT` (tokio-postgres sends requests polled together without waiting for each answer).
//! PostgreSQL still runs them one after the other, in order, each statement of READ
//! COMMITTED on a snapshot taken when it starts: a statement sent after a lock in the same
//! pipeline sees everything committed before the lock was granted, exactly as if it had
//! waited for the lock's answer. A send is two round trips (BEGIN, lock and its checks; its
//! writes and COMMIT) instead of six (BENCHMARKS.md, ledger: pipelined PostgreSQL
//! transactions).

use super::{Param, ReadTx, Result, RowRef, Value, WriteTx};
use crate::DbError;
use bytes::BytesMut;
use deadpool_postgres::GenericClient;
use std::borrow::Cow;
use std::future::Future;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Statement;

pub(crate) struct PgTx<'a, C> {
    t: &'a C,
    /// A transaction this value opened, whose statements may be held back.
    in_tx: bool,
    /// `BEGIN`, while it is still to be sent before the first statement.
    begin: Option<&'static str>,
    /// Statements whose answers nobody reads, sent before the next one that is read.
    held: Vec<(Statement, Vec<OwnedParam>)>,
}

impl<'a, C: GenericClient + Sync> PgTx<'a, C> {
    /// `t`: a pooled connection, each statement committing on its own (reads).
    pub(crate) fn new(t: &'a C) -> Self {
        PgTx {
            t,
            in_tx: false,
            begin: None,
            held: Vec::new(),
        }
    }

    /// A transaction on `t`, opened by the first statement sent (nothing is sent yet). End it
    /// with [`PgTx::commit`] or [`PgTx::rollback`]; a connection left in it must not go
    /// back to the pool (`postgres::Detach`).
    pub(crate) fn begin(t: &'a C) -> Self {
        PgTx {
            t,
            in_tx: true,
            begin: Some("BEGIN"),
            held: Vec::new(),
        }
    }

    /// Whether the opening statement has been sent.
    fn opened(&self) -> bool {
        self.in_tx && self.begin.is_none()
    }

    /// Sends everything held back (and `BEGIN` if still due) with `last`, in one pipeline;
    /// answers `last`'s result, or the first error.
    async fn pipelined<T>(
        &mut self,
        last: impl Future<Output = std::result::Result<T, tokio_postgres::Error>> + Send,
    ) -> Result<T> {
        if self.begin.is_none() && self.held.is_empty() {
            return Ok(last.await?);
        }
        let begin = self.begin.take();
        let held = std::mem::take(&mut self.held);
        let t = self.t;
        let refs: Vec<Vec<&(dyn ToSql + Sync)>> = held
            .iter()
            .map(|(_, ps)| ps.iter().map(|p| p as &(dyn ToSql + Sync)).collect())
            .collect();
        // Polled in order, so sent in order: BEGIN, the held statements, then `last`.
        let opening = async move {
            match begin {
                Some(sql) => t.batch_execute(sql).await,
                None => Ok(()),
            }
        };
        let held_back = futures_util::future::try_join_all(
            held.iter()
                .zip(&refs)
                .map(|((stmt, _), ps)| t.execute(stmt, ps)),
        );
        let (_, _, out) = futures_util::future::try_join3(opening, held_back, last).await?;
        Ok(out)
    }

    /// Sends what is held back, so that statements sent on the connection directly come
    /// after it.
    pub(crate) async fn flush(&mut self) -> Result<()> {
        self.pipelined(async { Ok(()) }).await
    }

    /// Commits the transaction, with the statements held back in the same round trip.
    pub(crate) async fn commit(mut self) -> Result<()> {
        if self.begin.is_some() && self.held.is_empty() {
            return Ok(()); // nothing was ever sent
        }
        let t = self.t;
        self.pipelined(t.batch_execute("COMMIT")).await
    }

    /// Ends the transaction without its writes (an operation refused, or a statement
    /// failed); what is held back is never sent.
    pub(crate) async fn rollback(self) -> Result<()> {
        if self.opened() {
            self.t.batch_execute("ROLLBACK").await?;
        }
        Ok(())
    }

    /// `sql`, prepared once per connection, and its parameters owned, to be sent later.
    async fn hold(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        let stmt = self.t.prepare_cached(sql).await?;
        let owned = params.iter().map(OwnedParam::from).collect();
        self.held.push((stmt, owned));
        Ok(())
    }
}

/// A [`Param`] kept until the statement holding it is sent.
#[derive(Debug)]
enum OwnedParam {
    I64(i64),
    OptI64(Option<i64>),
    Str(String),
    OptStr(Option<String>),
    Bool(bool),
    OptBool(Option<bool>),
}

impl From<&Param<'_>> for OwnedParam {
    fn from(p: &Param<'_>) -> Self {
        match *p {
            Param::I64(v) => OwnedParam::I64(v),
            Param::OptI64(v) => OwnedParam::OptI64(v),
            Param::Str(s) => OwnedParam::Str(s.to_owned()),
            Param::OptStr(s) => OwnedParam::OptStr(s.map(str::to_owned)),
            Param::Bool(b) => OwnedParam::Bool(b),
            Param::OptBool(b) => OwnedParam::OptBool(b),
        }
    }
}

impl OwnedParam {
    fn as_param(&self) -> Param<'_> {
        match self {
            OwnedParam::I64(v) => Param::I64(*v),
            OwnedParam::OptI64(v) => Param::OptI64(*v),
            OwnedParam::Str(s) => Param::Str(s),
            OwnedParam::OptStr(s) => Param::OptStr(s.as_deref()),
            OwnedParam::Bool(b) => Param::Bool(*b),
            OwnedParam::OptBool(b) => Param::OptBool(*b),
        }
    }
}

impl ToSql for OwnedParam {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.as_param().to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <Param<'_> as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Param::I64(v) => v.to_sql(ty, out),
            Param::OptI64(v) => v.to_sql(ty, out),
            Param::Str(s) => (&*storable(s)).to_sql(ty, out),
            Param::OptStr(s) => s.map(storable).as_deref().to_sql(ty, out),
            Param::Bool(b) => b.to_sql(ty, out),
            Param::OptBool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty) || <&str as ToSql>::accepts(ty) || <bool as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// PostgreSQL's `text` cannot hold U+0000: a parameter holding one fails the statement, and
/// the request would answer an internal error (retry, for ever). Nothing timber stores holds
/// one (every stored text is checked first, `timber_core::text::check_no_nul`), so such a
/// parameter is a key being looked up — an account or group ID from a request, which are
/// printable ASCII when they exist — and can match no row. Bound with each NUL as U+FFFD, it
/// still matches none, and the lookup finds nothing, as the same one does on SQLite (found by
/// the property test of malformed bodies on PostgreSQL, `crates/timber/tests/malformed.rs`).
fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

impl RowRef for tokio_postgres::Row {
    fn len(&self) -> usize {
        tokio_postgres::Row::len(self)
    }

    fn get(&self, i: usize) -> Result<Value<'_>> {
        let Some(col) = self.columns().get(i) else {
            return Err(DbError::internal(format!("no column {i} in the row")));
        };
        let ty = col.type_();
        Ok(if *ty == Type::BOOL {
            self.try_get::<_, Option<bool>>(i)?
                .map_or(Value::Null, |b| Value::I64(i64::from(b)))
        } else if *ty == Type::INT8 {
            self.try_get::<_, Option<i64>>(i)?
                .map_or(Value::Null, Value::I64)
        } else if *ty == Type::INT4 {
            self.try_get::<_, Option<i32>>(i)?
                .map_or(Value::Null, |v| Value::I64(i64::from(v)))
        } else {
            self.try_get::<_, Option<&str>>(i)?
                .map_or(Value::Null, |t| Value::Text(Cow::Borrowed(t)))
        })
    }
}

impl<C: GenericClient + Sync> ReadTx for PgTx<'_, C> {
    async fn query_each<F>(&mut self, sql: &str, params: &[Param<'_>], mut f: F) -> Result<()>
    where
        F: FnMut(&dyn RowRef) -> Result<()> + Send,
    {
        let stmt = self.t.prepare_cached(sql).await?;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let t = self.t;
        for r in self.pipelined(t.query(&stmt, &params)).await? {
            f(&r)?;
        }
        Ok(())
    }

    async fn lock_row(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        if self.in_tx {
            self.hold(sql, params).await
        } else {
            self.query_opt(sql, params).await.map(drop)
        }
    }

    fn for_update(&self) -> &'static str {
        " FOR UPDATE OF g"
    }

    fn skip_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }

    fn claims_lock(&self) -> Option<&'static str> {
        // Any constant of timber's own: the key of "claiming callback outbox rows".
        Some("SELECT count(*) FROM (SELECT pg_advisory_xact_lock(7437261)) l")
    }

    fn round_trips(&self) -> bool {
        true
    }

    fn columns_sql(&self) -> &'static str {
        "SELECT table_name::text, column_name::text, data_type::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position"
    }

    fn resync_keys_sql(&self) -> &'static [&'static str] {
        &[
            "SELECT setval('group_keys', greatest((SELECT max(gkey) FROM groups), \
             (SELECT last_value FROM group_keys)))",
            "SELECT setval('c2c_keys', greatest((SELECT max(ckey) FROM c2c_conversations), \
             (SELECT last_value FROM c2c_keys)))",
            "SELECT setval('topic_keys', greatest((SELECT max(tkey) FROM topics), \
             (SELECT last_value FROM topic_keys)))",
        ]
    }
}

impl<C: GenericClient + Sync> WriteTx for PgTx<'_, C> {
    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let stmt = self.t.prepare_cached(sql).await?;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let t = self.t;
        self.pipelined(t.execute(&stmt, &params)).await
    }

    async fn write(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        if self.in_tx {
            self.hold(sql, params).await
        } else {
            self.execute(sql, params).await.map(drop)
        }
    }

    async fn next_group_key(&mut self) -> Result<i64> {
        Ok(self
            .query_one("SELECT nextval('group_keys')", &[])
            .await?
            .i64(0))
    }
}
