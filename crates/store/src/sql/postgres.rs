//! [`ReadTx`] and [`WriteTx`] on a tokio-postgres transaction, or on a pooled connection
//! for reads.

use super::{Param, ReadTx, Result, RowRef, Value, WriteTx};
use crate::DbError;
use bytes::BytesMut;
use deadpool_postgres::GenericClient;
use std::borrow::Cow;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

pub(crate) struct PgTx<'a, C> {
    t: &'a C,
}

impl<'a, C: GenericClient> PgTx<'a, C> {
    /// `t`: a transaction, or a pooled connection (each statement then commits on its own).
    pub(crate) fn new(t: &'a C) -> Self {
        PgTx { t }
    }
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
        for r in self.t.query(&stmt, &params).await? {
            f(&r)?;
        }
        Ok(())
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
        Ok(self.t.execute(&stmt, &params).await?)
    }

    async fn next_group_key(&mut self) -> Result<i64> {
        Ok(self
            .query_one("SELECT nextval('group_keys')", &[])
            .await?
            .i64(0))
    }
}
