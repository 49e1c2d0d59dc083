//! What a PostgreSQL node keeps in memory between requests, and how it stays correct while
//! other nodes write (issue 31, item 3).
//!
//! **What is cached, and why only that.** Counted per request on PostgreSQL (BENCHMARKS.md,
//! *PostgreSQL*), two reads cost a round trip of their own on a pooled connection, outside
//! any row lock:
//! - every request reads its caller's kick time (`accounts.revoked_before`,
//!   `AccountStore::revoked_before`, from `auth::verify_user`): a third of a send's round
//!   trips and half of a point read's;
//! - every send reads its app's replacing keywords (`PushStore::replacing_keywords`),
//!   to mask them before the before-send callback sees the text.
//!
//! Nothing else read on every request costs a statement of its own: the apps and their
//! settings are configuration (in memory on every node already), and a send's group,
//! sender, mutes and blocking-word flag are read in the one statement that takes the
//! group's row lock, which a cache could not save. The cache maps (app, UserID) to the kick
//! time or to "never kicked", and an app to its replacing keywords: the answers the
//! database gives.
//!
//! **Invalidation through the database.** Every write that can change what is cached (a
//! kick, an account deletion, a keyword added or deleted, a kit reset or import:
//! `WriteOp::invalidates`) inserts a
//! `cache_changes` row in its own transaction and notifies `timber_cache`. The row's number
//! comes from `cache_head`, whose row lock each such transaction holds until it ends, so the
//! numbers become visible in order with no gaps: a node that has read every row up to N has
//! missed none below it.
//!
//! **Node B's next request sees node A's write.** NOTIFY arrives when it arrives, so a
//! notification alone cannot promise that. Instead the writer waits, after its commit and
//! before it answers, until every node holding a lease has acknowledged the row (its
//! `cache_nodes.seen` reached it; it drops the entries before it acknowledges), or until the
//! node's lease has ended. A node answers from its cache only while its lease lasts: it
//! renews it every third of [`LEASE`] on its LISTEN connection, and counts the lease from
//! before the renewing statement, so its own view of the lease ends before the database's.
//! So by the time A answers, every node either has dropped the entry or has stopped using
//! its cache. A dead node holds up kicks and keyword changes for at most [`LEASE`]; both
//! are rare.
//!
//! **A lost listener drops everything.** The lease is renewed on the LISTEN connection, so a
//! node whose listener dies stops answering from memory within [`LEASE`]. When it
//! reconnects it LISTENs, reads the head, empties the cache and only then takes a lease
//! again. A read that fills the cache records the generation before its query and is kept
//! only if no invalidation (or emptying) came in between, so a fill cannot put back what an
//! invalidation removed.
//!
//! Clock: the lease's end in the database is the database's clock; each node counts its own
//! lease on its monotonic clock from before the statement, so only the clocks' rates must
//! agree, not their settings. Where there is no LISTEN (CockroachDB) no node ever holds a
//! lease, and every request reads the database as before.

use crate::ops::Invalidation;
use crate::{DbError, Result};
use deadpool_postgres::Pool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use timber_core::moderation::Replacing;
use timber_core::AppId;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel: payload `k` (an invalidation committed) or `a` (a node acknowledged one).
const CHANNEL: &str = "timber_cache";
/// How long a renewed lease lets a node answer from memory.
pub(crate) const LEASE: Duration = Duration::from_secs(3);
/// How long invalidation rows and the rows of nodes gone are kept.
const KEEP_SECS: i64 = 60;
/// Entries per node before the cache starts over (a miss costs one read).
const CAPACITY: usize = 100_000;
/// The database's clock in milliseconds, in SQL.
const NOW_MS: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/// What the cache holds, under one lock so that one generation covers both kinds.
#[derive(Default)]
struct Entries {
    kicks: HashMap<(AppId, String), Option<i64>>,
    replacing: HashMap<AppId, Arc<Vec<Replacing>>>,
}

impl Entries {
    fn len(&self) -> usize {
        self.kicks.len() + self.replacing.len()
    }

    fn clear(&mut self) {
        self.kicks.clear();
        self.replacing.clear();
    }
}

/// This node's cache of kick times and replacing keywords.
pub(crate) struct NodeCache {
    pool: Pool,
    url: String,
    node: String,
    entries: Mutex<Entries>,
    /// Bumped by every invalidation and emptying; a fill is kept only if it did not move.
    generation: AtomicU64,
    /// Nanoseconds after `base` until which the lease lets this node answer from memory; 0:
    /// no lease.
    lease_until: AtomicU64,
    base: Instant,
    /// An invalidation was committed (payload `k`).
    wake: Notify,
    /// Some node acknowledged (payload `a`): writers waiting for acknowledgements look again.
    acked: Notify,
}

impl NodeCache {
    pub(crate) fn new(pool: Pool, url: &str, node: &str) -> Arc<NodeCache> {
        Arc::new(NodeCache {
            pool,
            url: url.to_owned(),
            node: node.to_owned(),
            entries: Mutex::new(Entries::default()),
            generation: AtomicU64::new(0),
            lease_until: AtomicU64::new(0),
            base: Instant::now(),
            wake: Notify::new(),
            acked: Notify::new(),
        })
    }

    /// Starts the listener (on the current Tokio runtime; without one the cache is never
    /// used).
    pub(crate) fn start(self: &Arc<Self>) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let me = self.clone();
            rt.spawn(async move { me.listen().await });
        }
    }

    fn leased(&self) -> bool {
        let until = self.lease_until.load(Ordering::Acquire);
        until != 0 && (self.base.elapsed().as_nanos() as u64) < until
    }

    /// The cached kick time of `user`: `None` when it must be read from the database.
    pub(crate) fn kick(&self, app: AppId, user: &str) -> Option<Option<i64>> {
        if !self.leased() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        entries.kicks.get(&(app, user.to_owned())).copied()
    }

    /// The cached replacing keywords of `app`: `None` when they must be read.
    pub(crate) fn replacing(&self, app: AppId) -> Option<Arc<Vec<Replacing>>> {
        if !self.leased() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        entries.replacing.get(&app).cloned()
    }

    /// The generation to hand to [`NodeCache::fill`], taken before the read.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps the kick time the database answered, unless an invalidation came in since
    /// `generation`.
    pub(crate) fn fill(&self, generation: u64, app: AppId, user: &str, at: Option<i64>) {
        self.keep(generation, |e| {
            e.kicks.insert((app, user.to_owned()), at);
        });
    }

    /// Keeps the replacing keywords the database answered, as [`NodeCache::fill`].
    pub(crate) fn fill_replacing(&self, generation: u64, app: AppId, rules: Arc<Vec<Replacing>>) {
        self.keep(generation, |e| {
            e.replacing.insert(app, rules);
        });
    }

    fn keep(&self, generation: u64, insert: impl FnOnce(&mut Entries)) {
        if !self.leased() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            // Under the lock: an invalidation bumps the generation under it too.
            if self.generation.load(Ordering::Acquire) != generation {
                return;
            }
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            insert(&mut entries);
        }
    }

    /// Drops the kick times of `users` of `app`, or (`None`) everything cached of `app`.
    fn drop_entries(&self, app: AppId, users: Option<Vec<String>>) {
        let mut entries = match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        self.generation.fetch_add(1, Ordering::AcqRel);
        match users {
            Some(users) => {
                for user in users {
                    entries.kicks.remove(&(app, user));
                }
            }
            None => {
                entries.kicks.retain(|(a, _), _| *a != app);
                entries.replacing.remove(&app);
            }
        }
    }

    fn empty(&self) {
        self.lease_until.store(0, Ordering::Release);
        let mut entries = match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Records `inv` in the open transaction of the write that made it, as its last
    /// statements: the invalidation row (numbered under `cache_head`'s row lock) and the
    /// notification, both committed with the write or not at all.
    pub(crate) async fn record(
        &self,
        txn: &impl tokio_postgres::GenericClient,
        inv: &Invalidation,
        notify: bool,
    ) -> Result<()> {
        let users = match &inv.users {
            Some(u) => Some(serde_json::to_string(u).map_err(DbError::internal)?),
            None => None,
        };
        txn.execute(
            "WITH h AS (UPDATE cache_head SET last = last + 1 WHERE one = 1 RETURNING last)
             INSERT INTO cache_changes (id, app, users, at) SELECT last, $1::bigint, $2::text, $3::bigint FROM h",
            &[&(inv.app as i64), &users, &timber_core::now_secs()],
        )
        .await
        .map_err(DbError::from)?;
        // Without NOTIFY (CockroachDB) no node has a lease, so there is nobody to wake.
        if notify {
            txn.execute("SELECT pg_notify($1, 'k')", &[&CHANNEL])
                .await
                .map_err(DbError::from)?;
        }
        Ok(())
    }

    /// After the commit of a write that recorded an invalidation, before it is answered:
    /// waits until every node with a lease has applied it, or its lease has ended.
    pub(crate) async fn settle(&self) -> Result<()> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        let target: i64 = c
            .query_one("SELECT last FROM cache_head WHERE one = 1", &[])
            .await
            .map_err(DbError::from)?
            .get(0);
        let sql =
            format!("SELECT count(*) FROM cache_nodes WHERE seen < $1 AND until_ms > {NOW_MS}");
        // A lease renewed just before our commit ends by then; a little more for the clock.
        let deadline = Instant::now() + LEASE + Duration::from_secs(1);
        loop {
            let acked = self.acked.notified();
            tokio::pin!(acked);
            acked.as_mut().enable();
            let waiting: i64 = c
                .query_one(&sql, &[&target])
                .await
                .map_err(DbError::from)?
                .get(0);
            if waiting == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                tracing::warn!(waiting, "cache invalidation: nodes did not acknowledge");
                return Ok(());
            }
            tokio::select! {
                _ = acked => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    }

    /// LISTENs on a connection of its own (reconnecting when it drops), applies the
    /// invalidations, acknowledges them and renews the lease.
    async fn listen(self: Arc<Self>) {
        loop {
            if let Err(e) = self.session().await {
                tracing::warn!(error = %e, "cache listener: emptying the cache, reconnecting");
            }
            self.empty();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// One LISTEN connection's life; returns when it fails.
    async fn session(self: &Arc<Self>) -> Result<()> {
        let mut config: tokio_postgres::Config = self.url.parse().map_err(DbError::internal)?;
        // Named, so that an operator (or a test) can tell it apart in pg_stat_activity.
        config.application_name(format!("timber-cache {}", self.node));
        let (client, mut conn) = config.connect(NoTls).await.map_err(DbError::from)?;
        let me = self.clone();
        let pump = tokio::spawn(async move {
            while let Some(m) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                match m {
                    Ok(AsyncMessage::Notification(n)) if n.payload() == "a" => {
                        me.acked.notify_waiters()
                    }
                    Ok(AsyncMessage::Notification(_)) => me.wake.notify_one(),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            // The connection is gone: stop answering from memory now rather than at the
            // lease's end.
            me.empty();
        });
        let result = self.serve(&client, &pump).await;
        pump.abort();
        result
    }

    async fn serve(
        &self,
        c: &tokio_postgres::Client,
        pump: &tokio::task::JoinHandle<()>,
    ) -> Result<()> {
        c.batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(DbError::from)?;
        // Every row up to `last` is committed (or never will be); what comes later is
        // notified to this connection. What the cache held before is not trusted.
        let mut last: i64 = c
            .query_one("SELECT last FROM cache_head WHERE one = 1", &[])
            .await
            .map_err(DbError::from)?
            .get(0);
        self.empty();
        let mut beats = 0u32;
        while !pump.is_finished() {
            let applied = self.catch_up(c, &mut last).await?;
            self.renew(c, last, applied).await?;
            beats = beats.wrapping_add(1);
            if beats.is_multiple_of(16) {
                self.tidy(c).await?;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(LEASE / 3) => {}
            }
        }
        Err(DbError::Internal("the LISTEN connection ended".into()).into())
    }

    /// Drops the entries of the rows after `last`; whether there were any.
    async fn catch_up(&self, c: &tokio_postgres::Client, last: &mut i64) -> Result<bool> {
        let rows = c
            .query(
                "SELECT id, app, users FROM cache_changes WHERE id > $1 ORDER BY id",
                &[&*last],
            )
            .await
            .map_err(DbError::from)?;
        for r in &rows {
            let app: i64 = r.get(1);
            let users: Option<&str> = r.get(2);
            let users = match users.map(serde_json::from_str::<Vec<String>>) {
                None => None,
                Some(Ok(u)) => Some(u),
                // Unreadable: drop the app's entries, which is always safe.
                Some(Err(_)) => None,
            };
            self.drop_entries(app as AppId, users);
            *last = r.get(0);
        }
        Ok(!rows.is_empty())
    }

    /// Says this node has applied every row up to `last` and extends its lease; wakes the
    /// writers waiting when it applied something.
    async fn renew(&self, c: &tokio_postgres::Client, last: i64, applied: bool) -> Result<()> {
        let from = self.base.elapsed();
        c.execute(
            &format!(
                "INSERT INTO cache_nodes (node, seen, until_ms) VALUES ($1, $2, {NOW_MS} + $3)
                 ON CONFLICT (node) DO UPDATE SET seen = EXCLUDED.seen, until_ms = EXCLUDED.until_ms"
            ),
            &[&self.node, &last, &(LEASE.as_millis() as i64)],
        )
        .await
        .map_err(DbError::from)?;
        if applied {
            c.execute("SELECT pg_notify($1, 'a')", &[&CHANNEL])
                .await
                .map_err(DbError::from)?;
        }
        self.lease_until
            .store((from + LEASE).as_nanos() as u64, Ordering::Release);
        Ok(())
    }

    /// Removes old invalidation rows and the rows of nodes long gone.
    async fn tidy(&self, c: &tokio_postgres::Client) -> Result<()> {
        let now = timber_core::now_secs();
        c.execute(
            "DELETE FROM cache_changes WHERE at < $1",
            &[&(now - KEEP_SECS)],
        )
        .await
        .map_err(DbError::from)?;
        c.execute(
            &format!("DELETE FROM cache_nodes WHERE until_ms < {NOW_MS} - $1"),
            &[&(KEEP_SECS * 1000)],
        )
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    /// This node stops: its row goes, so writers stop waiting for it at once.
    pub(crate) async fn leave(&self) {
        self.empty();
        if let Ok(c) = self.pool.get().await {
            if let Err(e) = c
                .execute("DELETE FROM cache_nodes WHERE node = $1", &[&self.node])
                .await
            {
                tracing::warn!(error = %e, "cache: this node's row could not be removed");
            }
        }
    }
}
