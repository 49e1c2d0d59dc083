//! The PostgreSQL store: for running several stateless timber nodes on one database.
//!
//! Every operation is one transaction. Operations that depend on a group's state first lock
//! the group's row (`SELECT … FOR UPDATE`), so writes to one group are serialized across all
//! nodes: two nodes can never take the same MsgSeq, and every check sees the state its write
//! changes. Nothing is cached in memory: every answer comes from the database.
//!
//! SQL is kept to what PostgreSQL-compatible distributed engines (CockroachDB, YugabyteDB)
//! support: plain tables, a sequence for group keys, `ON CONFLICT … DO UPDATE`, `RETURNING`,
//! `FOR UPDATE`, no triggers, no stored procedures, no `LISTEN`. PostgreSQL-specific:
//! - `pg_advisory_lock` serializes schema migrations when several nodes start at once.
//!   CockroachDB has no advisory locks; there, run `timber migrate` once before starting
//!   the nodes.
//! - Serialization failures (SQLSTATE 40001) and deadlocks (40P01) are retried, which is
//!   what CockroachDB's serializable transactions require of clients.

mod accounts;
mod groups;
mod schema;

use crate::{Result, Store, StoreError};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// How often one operation is retried after losing a race with another transaction.
pub(crate) const MAX_RETRIES: usize = 8;
/// Connections per node.
const POOL_SIZE: usize = 32;

pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL; `?options=-c%20search_path%3Dname` selects a
    /// schema) and migrates the schema, safely when several nodes start at once.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let config: tokio_postgres::Config = url.parse().map_err(StoreError::internal)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(StoreError::internal)?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(StoreError::internal)?;
        schema::migrate(&mut client).await
    }
}

/// Runs `$body` (an expression using `$t: &mut PgTx`, e.g. a shared operation) in one transaction and commits;
/// retried from the start when it loses a race with another transaction. A macro rather than
/// a closure-taking function, so the body can borrow the caller's locals freely.
macro_rules! tx {
    ($store:expr, $t:ident => $body:expr) => {{
        let mut attempt = 0;
        loop {
            let mut client = $store.pool.get().await.map_err($crate::StoreError::internal)?;
            let txn = client.transaction().await?;
            let result = {
                let $t = &mut $crate::sql::postgres::PgTx::new(&txn);
                async { $body }.await
            };
            let outcome = match result {
                Ok(v) => txn.commit().await.map(|()| v).map_err($crate::StoreError::from),
                Err(e) => Err(e),
            };
            match outcome {
                Err($crate::StoreError::Conflict(why)) if attempt < $crate::postgres::MAX_RETRIES => {
                    attempt += 1;
                    tracing::debug!(attempt, %why, "retrying a PostgreSQL transaction");
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use tx;

/// Runs a shared write operation (`crate::ops`) as one transaction: `write_op!(self, t => op)`.
macro_rules! write_op {
    ($store:expr, $t:ident => $op:expr) => {
        $crate::postgres::tx!($store, $t => $op.await)
    };
}
pub(crate) use write_op;

/// The same as `write_op!` here: each PostgreSQL write is its own transaction, with nothing
/// else to undo beside it (SQLite runs these without a savepoint).
macro_rules! checked_write_op {
    ($store:expr, $t:ident => $op:expr) => {
        $crate::postgres::write_op!($store, $t => $op)
    };
}
pub(crate) use checked_write_op;

/// Runs a shared read operation on a pooled connection, each statement on its own: under
/// PostgreSQL's READ COMMITTED a transaction would not give one snapshot either, and it
/// would cost two more round trips.
macro_rules! read_op {
    ($store:expr, $t:ident => $op:expr) => {{
        let client = $store
            .pool
            .get()
            .await
            .map_err($crate::StoreError::internal)?;
        let $t = &mut $crate::sql::postgres::PgTx::new(&client);
        $op.await
    }};
}
pub(crate) use read_op;
pub(crate) use read_op as scan_op;

/// Like `read_op!`, for an operation that hands its entries to `$sink` as it reads (here the
/// operation runs in the caller's task, so it borrows the sink as it is).
macro_rules! read_into_op {
    ($store:expr, $sink:ident, $t:ident => $op:expr) => {
        $crate::postgres::read_op!($store, $t => $op)
    };
}
pub(crate) use read_into_op;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                StoreError::Conflict(e.to_string())
            }
            _ => StoreError::Internal(format!("{e:?}")),
        }
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        let client = self.pool.get().await.map_err(StoreError::internal)?;
        client.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close();
    }
}

/// Helpers for tests that need a PostgreSQL database of their own.
pub mod testing {
    use crate::{Result, StoreError};
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio_postgres::NoTls;

    /// Creates a new, empty schema on the server at `base_url` and returns a URL whose
    /// connections use it, and the schema's name. Runs never see each other's data.
    pub async fn fresh_schema(base_url: &str) -> Result<(String, String)> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!(
            "timber_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        execute(base_url, &format!("CREATE SCHEMA {schema}")).await?;
        let sep = if base_url.contains('?') { '&' } else { '?' };
        Ok((
            format!("{base_url}{sep}options=-c%20search_path%3D{schema}"),
            schema,
        ))
    }

    /// Drops a schema made by [`fresh_schema`].
    pub async fn drop_schema(base_url: &str, schema: &str) -> Result<()> {
        execute(base_url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await
    }

    async fn execute(url: &str, sql: &str) -> Result<()> {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        let task = tokio::spawn(conn);
        let result = client.batch_execute(sql).await.map_err(StoreError::from);
        drop(client);
        let _ = task.await;
        result
    }
}
