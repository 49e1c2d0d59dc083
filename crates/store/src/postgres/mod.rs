//! The PostgreSQL store: for running several stateless timber nodes on one database.
//!
//! Every operation is one transaction, or, for the writes to one group waiting on one node,
//! one part of a transaction they share (group commit, `commit.rs`). Operations that
//! depend on a group's state first lock the group's row (`SELECT … FOR UPDATE`), so writes
//! to one group are serialized across all nodes: two nodes can never take the same MsgSeq,
//! and every check sees the state its write changes. One thing is cached in memory, the
//! kick times every request reads, and only under a lease that every write changing them
//! waits on (`cache.rs`): every other answer comes from the database.
//!
//! SQL is kept to what PostgreSQL-compatible distributed engines (CockroachDB, YugabyteDB)
//! support: plain tables, a sequence for group keys, `ON CONFLICT … DO UPDATE`, `RETURNING`,
//! `FOR UPDATE`, no triggers, no stored procedures. PostgreSQL-specific:
//! - `LISTEN`/`NOTIFY` wakes the nodes when the member change log grows (`cluster.rs`).
//! - `pg_advisory_lock` serializes schema migrations when several nodes start at once.
//!   CockroachDB has no advisory locks; there, run `timber migrate` once before starting
//!   the nodes.
//! - Serialization failures (SQLSTATE 40001) and deadlocks (40P01) are retried, which is
//!   what CockroachDB's serializable transactions require of clients.

pub(crate) mod cache;
pub(crate) mod cluster;
mod commit;
mod schema;

use crate::backend::{Backend, RevokedCache};
use crate::ops::{ReadOp, SinkOp, WriteOp};
use crate::outbox::CallbackFilter;
use crate::sql::postgres::PgTx;
use crate::{DbError, Result, Store, StoreError};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use timber_core::message::PageSink;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// How often one operation is retried after losing a race with another transaction.
const MAX_RETRIES: usize = 8;
/// Connections per node.
const POOL_SIZE: usize = 32;

/// How the PostgreSQL store runs (configuration keys `postgres_*`).
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Writes to one group waiting on this node share one transaction (`commit.rs`);
    /// `false`: every write commits alone.
    pub group_commit: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions { group_commit: true }
    }
}

pub struct PgStore {
    shared: Arc<Shared>,
}

/// What the store's requests and its group commit tasks share.
struct Shared {
    pool: Pool,
    /// Which after-events to record (set once by the HTTP layer; none until then).
    callbacks: OnceLock<Arc<dyn CallbackFilter>>,
    /// The change log and presence shared with the other nodes; committed changes reach
    /// this node's member hub through it (members.md §6).
    cluster: Arc<cluster::Cluster>,
    group_commit: bool,
    lanes: commit::Lanes,
    /// The kick times this node keeps, invalidated through the database (`cache.rs`).
    cache: Arc<cache::NodeCache>,
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL; `?options=-c%20search_path%3Dname` selects a
    /// schema) and migrates the schema, safely when several nodes start at once.
    pub async fn connect(url: &str) -> Result<PgStore> {
        Self::connect_with(url, &PgOptions::default()).await
    }

    /// [`PgStore::connect`] with `options`.
    pub async fn connect_with(url: &str, options: &PgOptions) -> Result<PgStore> {
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
        let cluster = cluster::Cluster::new(pool.clone(), url);
        let store = PgStore {
            shared: Arc::new(Shared {
                cache: cache::NodeCache::new(pool.clone(), url, &cluster.node),
                cluster,
                pool,
                callbacks: OnceLock::new(),
                group_commit: options.group_commit,
                lanes: commit::Lanes::default(),
            }),
        };
        store.migrate().await?;
        store.shared.cluster.probe().await?;
        if store.shared.cluster.notifies() {
            store.shared.cache.start();
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.shared.pool.get().await.map_err(StoreError::internal)?;
        schema::migrate(&mut client).await
    }
}

impl Shared {
    /// One attempt at `op` alone: a transaction with its checks, its writes and the commit,
    /// its statements pipelined (`sql::postgres`).
    async fn try_write<O: WriteOp>(&self, op: &O) -> Result<O::Out> {
        let mut conn = Detach(Some(self.pool.get().await.map_err(DbError::internal)?));
        let ip = crate::outbox::client_ip();
        let (out, ended) = match conn.0.as_ref() {
            Some(client) => {
                let mut t = PgTx::begin(client);
                match self.steps(op, &mut t, client, &ip, self.origin()).await {
                    // A COMMIT ends the transaction even when it fails (PostgreSQL then rolls
                    // it back), so the connection is reusable either way.
                    Ok((out, recorded)) => match t.commit().await {
                        Ok(()) => {
                            if let (true, Some(filter)) = (recorded, self.callbacks.get()) {
                                filter.recorded();
                            }
                            (Ok(out), true)
                        }
                        Err(e) => (Err(e.into()), true),
                    },
                    Err(e) => {
                        let ended = t.rollback().await.is_ok();
                        (Err(e), ended)
                    }
                }
            }
            None => unreachable!("the connection is only taken below"),
        };
        if ended {
            conn.0.take(); // back to the pool
        }
        out
    }

    /// `op`'s checks and writes, and its change log row, in the open transaction `t`;
    /// whether it recorded callback events. `ip`: the request's client address; `origin`:
    /// the member connection it came from (`Shared::origin`, read in the request's task).
    async fn steps<O: WriteOp>(
        &self,
        op: &O,
        t: &mut PgTx<'_, deadpool_postgres::Object>,
        client: &deadpool_postgres::Object,
        ip: &str,
        origin: u64,
    ) -> Result<(O::Out, bool)> {
        let filter = self.callbacks.get();
        let (out, recorded) = crate::ops::run(op, t, filter.map(|f| &**f), ip).await?;
        // What other nodes must drop from their caches (cache.rs), committed with the write.
        if let Some(inv) = op.invalidates(&out) {
            t.flush().await?;
            self.cache
                .record(&***client, &inv, self.cluster.notifies())
                .await?;
        }
        // What members on any node hear of it goes into the change log, last, so that its
        // id is drawn as late before the commit as it can be (cluster.rs, Gaps). Every node,
        // this one included, delivers it from there.
        let gate = self.cluster.gate();
        if let Some((app, changes)) = crate::ops::changes_of(op, &out, Some(&gate)) {
            t.flush().await?;
            self.cluster.log(&***client, app, &changes, origin).await?;
        }
        Ok((out, recorded))
    }

    /// The member connection whose request is running, read where the request runs: a
    /// batched write runs in its group's commit task, where the request's task-local is gone.
    fn origin(&self) -> u64 {
        use timber_core::member::ChangeSink;
        self.cluster.gate().origin()
    }

    /// A pooled connection for reads, each statement on its own: under PostgreSQL's READ
    /// COMMITTED a transaction would not give one snapshot either, and it would cost two more
    /// round trips.
    async fn reader(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await.map_err(DbError::internal)?)
    }
}

/// Each write is one transaction, or shares its group's batch (`commit.rs`), and is retried
/// alone from the start (its checks included) when it loses a race with another
/// transaction; reads run on a pooled connection.
impl Backend for PgStore {
    async fn write<O: WriteOp>(&self, op: O) -> Result<O::Out> {
        let shared = &self.shared;
        let key = op
            .batch_key()
            .filter(|_| shared.group_commit)
            .map(|(app, group)| (app, group.to_owned()));
        let op = Arc::new(op);
        let out = match key {
            Some((app, group)) => match shared.batched(app, &group, op.clone()).await {
                Err(StoreError::Db(DbError::Conflict(why))) => {
                    tracing::debug!(%why, "retrying a write of a batch alone");
                    shared.retry(&*op, 1).await
                }
                other => other,
            },
            None => shared.retry(&*op, 0).await,
        }?;
        // Answered only once every node's cache has dropped what it changed (cache.rs).
        if op.invalidates(&out).is_some() {
            shared.cache.settle().await?;
        }
        Ok(out)
    }

    async fn read<O: ReadOp>(&self, op: O) -> Result<O::Out> {
        let client = self.shared.reader().await?;
        op.read(&mut PgTx::new(&client)).await
    }

    async fn scan<O: ReadOp>(&self, op: O) -> Result<O::Out> {
        self.read(op).await
    }

    async fn read_into<O: SinkOp>(&self, op: O, sink: &mut dyn PageSink) -> Result<O::Out> {
        let client = self.shared.reader().await?;
        op.read_into(&mut PgTx::new(&client), sink).await
    }

    /// None: another node may change a kick time at any moment (this node's leased cache is
    /// `node_cache`).
    fn revoked_cache(&self) -> Option<&RevokedCache> {
        None
    }

    fn node_cache(&self) -> Option<&cache::NodeCache> {
        Some(&self.shared.cache)
    }

    fn install_callback_filter(&self, filter: Arc<dyn CallbackFilter>) {
        let _ = self.shared.callbacks.set(filter);
    }

    fn install_change_sink(&self, sink: Arc<dyn timber_core::member::ChangeSink>) {
        self.shared.cluster.start(sink);
    }

    async fn member_connected(&self, app: u64, conn: u64, account: &str, platform: &str) {
        self.shared
            .cluster
            .connected(app, conn, account, platform)
            .await
    }

    async fn member_disconnected(&self, conn: u64) {
        self.shared.cluster.disconnected(conn).await
    }

    async fn remote_platforms(
        &self,
        app: u64,
        accounts: &[String],
    ) -> Result<Vec<(String, String)>> {
        self.shared.cluster.remote_platforms(app, accounts).await
    }

    async fn room_entered(
        &self,
        app: u64,
        group_id: &str,
        account: &str,
        join_time: i64,
    ) -> Result<()> {
        self.shared
            .cluster
            .room_entered(app, group_id, account, join_time)
            .await
    }

    async fn room_left(
        &self,
        app: u64,
        group_id: &str,
        accounts: &[String],
        everywhere: bool,
    ) -> Result<()> {
        self.shared
            .cluster
            .room_left(app, group_id, accounts, everywhere)
            .await
    }

    async fn remote_room_members(&self, app: u64, group_id: &str) -> Result<Vec<(String, i64)>> {
        self.shared.cluster.remote_room_members(app, group_id).await
    }
}

impl Shared {
    /// Runs `op` alone until it does not lose a race, `attempt` tries already made.
    async fn retry<O: WriteOp>(&self, op: &O, mut attempt: usize) -> Result<O::Out> {
        loop {
            match self.try_write(op).await {
                Err(StoreError::Db(DbError::Conflict(why))) if attempt < MAX_RETRIES => {
                    attempt += 1;
                    tracing::debug!(attempt, %why, "retrying a PostgreSQL transaction");
                }
                other => return other,
            }
        }
    }
}

/// A pooled connection while a transaction may be open on it. Dropped with it open (the
/// request's future was cancelled mid-way, or a statement failed and so did the rollback), it
/// is taken out of the pool and closed, which ends the transaction without its writes; the
/// pool must never hand out a connection inside someone else's transaction.
struct Detach(Option<deadpool_postgres::Object>);

impl Drop for Detach {
    fn drop(&mut self) {
        if let Some(open) = self.0.take() {
            drop(deadpool_postgres::Object::take(open));
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                DbError::Conflict(e.to_string())
            }
            _ => DbError::Internal(format!("{e:?}")),
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Db(e.into())
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        let client = self.shared.pool.get().await.map_err(StoreError::internal)?;
        client.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn close(&self) {
        self.shared.cache.leave().await;
        self.shared.cluster.leave().await;
        self.shared.pool.close();
    }

    fn gauges(&self) -> crate::StoreGauges {
        let status = self.shared.pool.status();
        let size = status.size as u64;
        let lanes = &self.shared.lanes;
        let group_commit = self.shared.group_commit;
        let batch =
            |n: &std::sync::atomic::AtomicU64| group_commit.then(|| n.load(Ordering::Acquire));
        crate::StoreGauges {
            writer_queue: batch(&lanes.queued),
            writer_last_batch: batch(&lanes.last_batch),
            writer_batches: batch(&lanes.batches),
            pool_in_use: Some(size.saturating_sub(status.available as u64)),
            pool_size: Some(size),
            pool_max: Some(status.max_size as u64),
            pool_waiting: Some(status.waiting as u64),
        }
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

    /// Every row of every table of `schema`, each as `table: {row as JSON}`, sorted: what a
    /// test compares to see that nothing stored changed.
    pub async fn dump_schema(base_url: &str, schema: &str) -> Result<Vec<String>> {
        let (client, conn) = tokio_postgres::connect(base_url, NoTls).await?;
        let task = tokio::spawn(conn);
        let result = async {
            let tables = client
                .query(
                    // Not the nodes' cache leases (`cache_nodes`): renewed every second
                    // while a node runs, they are liveness, not stored state.
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = $1 AND table_type = 'BASE TABLE' \
                     AND table_name <> 'cache_nodes'",
                    &[&schema],
                )
                .await?;
            let selects: Vec<String> = tables
                .iter()
                .map(|t| {
                    let table: String = t.get(0);
                    format!(
                        "SELECT '{table}: ' || row_to_json(t)::text FROM {schema}.\"{table}\" t"
                    )
                })
                .collect();
            if selects.is_empty() {
                return Ok(Vec::new());
            }
            let rows = client.query(&selects.join(" UNION ALL "), &[]).await?;
            let mut rows: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            rows.sort();
            Ok::<_, tokio_postgres::Error>(rows)
        }
        .await
        .map_err(StoreError::from);
        drop(client);
        let _ = task.await;
        result
    }

    /// A transaction of a test's own, holding the row locks of a `SELECT … FOR UPDATE` until
    /// [`RowLock::release`]: the writes that wait for those rows meanwhile queue up where
    /// the test can watch them (the group commit's lanes, `/metrics`).
    pub struct RowLock {
        client: tokio_postgres::Client,
        task: tokio::task::JoinHandle<std::result::Result<(), tokio_postgres::Error>>,
    }

    /// Opens a transaction on `url` and runs `select` (a locking `SELECT`) in it.
    pub async fn lock_rows(url: &str, select: &str) -> Result<RowLock> {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        let task = tokio::spawn(conn);
        client.batch_execute(&format!("BEGIN; {select}")).await?;
        Ok(RowLock { client, task })
    }

    impl RowLock {
        /// Commits the transaction (it changed nothing), releasing the locks.
        pub async fn release(self) -> Result<()> {
            self.client.batch_execute("COMMIT").await?;
            drop(self.client);
            let _ = self.task.await;
            Ok(())
        }
    }

    /// The first column of every row `sql` answers on a connection to `url`, as text.
    pub async fn query_texts(url: &str, sql: &str) -> Result<Vec<String>> {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        let task = tokio::spawn(conn);
        let result = client.query(sql, &[]).await.map_err(StoreError::from);
        drop(client);
        let _ = task.await;
        Ok(result?.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    /// Runs `sql` (one or more statements) on a connection to `url`: a schema URL from
    /// [`fresh_schema`] runs it in that schema.
    pub async fn execute(url: &str, sql: &str) -> Result<()> {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        let task = tokio::spawn(conn);
        let result = client.batch_execute(sql).await.map_err(StoreError::from);
        drop(client);
        let _ = task.await;
        result
    }
}
