//! The emulator kit's operations over every app-scoped table (`crate::kit`).

use super::{Invalidation, ReadOp, WriteOp};
use crate::kit::{AppDump, DumpRow};
use crate::sql::{params, Cell, Param, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use std::collections::BTreeMap;
use timber_core::kit::{self, ColumnKind, Scalar, APP_COLUMN};
use timber_core::AppId;

/// Each table that has an `app` column, with its columns and their kinds, from the catalogue.
type Schema = BTreeMap<String, Vec<(String, ColumnKind)>>;

async fn app_tables<R: ReadTx>(r: &mut R) -> Result<Schema, DbError> {
    let sql = r.columns_sql();
    let mut all: Schema = BTreeMap::new();
    for row in r.query(sql, &[]).await? {
        let [Cell::Text(table), Cell::Text(column), kind] = &row.0[..] else {
            continue;
        };
        let kind = match kind {
            Cell::Text(t) => ColumnKind::of(t),
            _ => ColumnKind::Text,
        };
        all.entry(table.clone())
            .or_default()
            .push((column.clone(), kind));
    }
    all.retain(|table, cols| {
        cols.iter().any(|(c, _)| c == APP_COLUMN) && !kit::LIVE_ONLY.contains(&table.as_str())
    });
    Ok(all)
}

async fn delete_app<W: WriteTx>(w: &mut W, app: AppId, schema: &Schema) -> Result<(), DbError> {
    for table in schema.keys() {
        w.execute(&format!("DELETE FROM {table} WHERE app = $1"), params![app])
            .await?;
    }
    Ok(())
}

/// Deletes every row of the app.
pub(crate) struct ResetApp {
    pub app: AppId,
}

impl WriteOp for ResetApp {
    type Plan = Schema;
    type Out = ();

    fn invalidates(&self, (): &()) -> Option<Invalidation> {
        Some(Invalidation {
            app: self.app,
            users: None,
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Schema, StoreError> {
        Ok(app_tables(r).await?)
    }

    async fn apply<W: WriteTx>(&self, schema: Schema, w: &mut W) -> Result<(), DbError> {
        delete_app(w, self.app, &schema).await
    }
}

/// Reads every exported row of the app.
pub(crate) struct ExportApp {
    pub app: AppId,
}

impl ReadOp for ExportApp {
    type Out = AppDump;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<AppDump, StoreError> {
        let mut dump = AppDump::new();
        for (table, columns) in app_tables(r).await? {
            if kit::NOT_EXPORTED.contains(&table.as_str()) {
                continue;
            }
            let columns: Vec<_> = columns
                .into_iter()
                .filter(|(c, _)| c != APP_COLUMN)
                .collect();
            let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
            let list = names.join(", ");
            let sql = format!("SELECT {list} FROM {table} WHERE app = $1 ORDER BY {list}");
            let rows = r.query(&sql, params![self.app]).await?;
            if rows.is_empty() {
                continue;
            }
            let out = rows
                .into_iter()
                .map(|row| {
                    let mut map = DumpRow::new();
                    for ((name, kind), cell) in columns.iter().zip(row.0) {
                        map.insert(name.clone(), json_of(*kind, cell));
                    }
                    map
                })
                .collect();
            dump.insert(table, out);
        }
        Ok(dump)
    }
}

fn json_of(kind: ColumnKind, cell: Cell) -> serde_json::Value {
    use serde_json::Value as V;
    match (kind, cell) {
        (_, Cell::Null) => V::Null,
        (ColumnKind::Bool, Cell::I64(v)) => V::Bool(v != 0),
        (_, Cell::I64(v)) => V::from(v),
        (_, Cell::Text(t)) => V::String(t),
    }
}

/// The columns that hold the keys groups, one-to-one conversations and topics draw from one
/// sequence for all apps (`schema.rs`): `gkey` (a group's, or minus a topic's where topic
/// messages are kept), `ckey`, `tkey`, and `conv` (a group's gkey, or minus a ckey).
const KEY_COLUMNS: &[&str] = &["gkey", "ckey", "tkey", "conv"];

/// How far a document's keys are moved so that none meets a key another app's rows hold: past
/// the largest of them. A document exported from another app of this server (or another
/// server) holds keys those apps use already; moving every key of the document by the same
/// amount (away from zero, negative keys included) keeps its rows pointing at each other.
async fn key_shift<R: ReadTx>(r: &mut R, app: AppId, schema: &Schema) -> Result<i64, DbError> {
    let mut shift = 0;
    for (table, columns) in schema {
        for (column, _) in columns {
            if !KEY_COLUMNS.contains(&column.as_str()) {
                continue;
            }
            let sql = format!("SELECT max(abs({column})) FROM {table} WHERE app <> $1");
            let row = r.query_one(&sql, params![app]).await?;
            shift = shift.max(row.opt_i64(0).unwrap_or(0));
        }
    }
    Ok(shift)
}

/// Replaces the app's rows by a document's.
pub(crate) struct ImportApp {
    pub app: AppId,
    pub dump: AppDump,
}

/// The rows to insert, checked: (table, columns, values).
pub(crate) struct ImportPlan {
    schema: Schema,
    rows: Vec<(String, Vec<String>, Vec<Scalar>)>,
    /// The kicks among the imported accounts, for the kick-time cache.
    revoked: Vec<(String, i64)>,
}

impl WriteOp for ImportApp {
    type Plan = ImportPlan;
    /// Rows written, and the kicks the accounts carry.
    type Out = (u64, Vec<(String, i64)>);

    fn invalidates(&self, _: &Self::Out) -> Option<Invalidation> {
        Some(Invalidation {
            app: self.app,
            users: None,
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<ImportPlan, StoreError> {
        let schema = app_tables(r).await?;
        let names: BTreeMap<String, Vec<String>> = schema
            .iter()
            .map(|(t, cols)| (t.clone(), cols.iter().map(|(c, _)| c.clone()).collect()))
            .collect();
        kit::check_document(&names, &self.dump)?;
        let shift = key_shift(r, self.app, &schema).await?;
        let mut rows = Vec::new();
        let mut revoked = Vec::new();
        for (table, list) in &self.dump {
            let kinds = &schema[table];
            for row in list {
                let mut columns = Vec::with_capacity(row.len());
                let mut values = Vec::with_capacity(row.len());
                for (column, value) in row {
                    let kind = kinds
                        .iter()
                        .find(|(c, _)| c == column)
                        .map(|(_, k)| *k)
                        .unwrap_or(ColumnKind::Text);
                    let mut value = kit::scalar(kind, table, column, value)?;
                    if KEY_COLUMNS.contains(&column.as_str()) {
                        if let Scalar::Int(Some(v)) = &mut value {
                            *v += shift * v.signum();
                        }
                    }
                    values.push(value);
                    columns.push(column.clone());
                }
                if table == "accounts" {
                    let user = row.get("user_id").and_then(|v| v.as_str());
                    let at = row.get("revoked_before").and_then(|v| v.as_i64());
                    if let (Some(user), Some(at)) = (user, at) {
                        revoked.push((user.to_owned(), at));
                    }
                }
                rows.push((table.clone(), columns, values));
            }
        }
        Ok(ImportPlan {
            schema,
            rows,
            revoked,
        })
    }

    async fn apply<W: WriteTx>(&self, plan: ImportPlan, w: &mut W) -> Result<Self::Out, DbError> {
        delete_app(w, self.app, &plan.schema).await?;
        let mut written = 0;
        for (table, columns, values) in &plan.rows {
            let marks: Vec<String> = (2..columns.len() + 2).map(|i| format!("${i}")).collect();
            let sql = if columns.is_empty() {
                format!("INSERT INTO {table} (app) VALUES ($1)")
            } else {
                format!(
                    "INSERT INTO {table} (app, {}) VALUES ($1, {})",
                    columns.join(", "),
                    marks.join(", ")
                )
            };
            let mut ps: Vec<Param<'_>> = vec![Param::from(self.app)];
            ps.extend(values.iter().map(|v| match v {
                Scalar::Int(v) => Param::OptI64(*v),
                Scalar::Bool(v) => Param::OptBool(*v),
                Scalar::Text(v) => Param::OptStr(v.as_deref()),
            }));
            written += w.execute(&sql, &ps).await?;
        }
        for sql in w.resync_keys_sql() {
            w.query(sql, &[]).await?;
        }
        Ok((written, plan.revoked))
    }
}
