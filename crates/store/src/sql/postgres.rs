//! [`Tx`] on a tokio-postgres transaction, or on a pooled connection for reads.

use super::{Cell, Param, Row, Tx};
use crate::Result;
use bytes::BytesMut;
use deadpool_postgres::GenericClient;
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
            Param::Str(s) => s.to_sql(ty, out),
            Param::OptStr(s) => s.to_sql(ty, out),
            Param::Bool(b) => b.to_sql(ty, out),
            Param::OptBool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty) || <&str as ToSql>::accepts(ty) || <bool as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl<C: GenericClient> Tx for PgTx<'_, C> {
    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let stmt = self.t.prepare_cached(sql).await?;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        Ok(self.t.execute(&stmt, &params).await?)
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let stmt = self.t.prepare_cached(sql).await?;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.t.query(&stmt, &params).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut cells = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                let ty = col.type_();
                cells.push(if *ty == Type::BOOL {
                    r.try_get::<_, Option<bool>>(i)?
                        .map_or(Cell::Null, |b| Cell::I64(i64::from(b)))
                } else if *ty == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)?
                        .map_or(Cell::Null, Cell::I64)
                } else if *ty == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)?
                        .map_or(Cell::Null, |v| Cell::I64(i64::from(v)))
                } else {
                    r.try_get::<_, Option<String>>(i)?
                        .map_or(Cell::Null, Cell::Text)
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn for_update(&self) -> &'static str {
        " FOR UPDATE OF g"
    }

    async fn next_group_key(&mut self) -> Result<i64> {
        Ok(self
            .query_one("SELECT nextval('group_keys')", &[])
            .await?
            .i64(0))
    }
}
