//! Several nodes on one PostgreSQL database (members.md §6): what is written through one
//! node reaches the members connected to every node, with no service besides the database.
//!
//! - **The change log.** While any node has a member connected, every write that has
//!   changes for members inserts them, as one JSON row of `member_changes`, as the last
//!   statement of its transaction, and notifies `timber_members`. Each node reads the log in
//!   `id` order and hands the rows to its hub — its own rows too: delivery is from the log
//!   only, so every node delivers in one order. Writes to one conversation lock its row
//!   (group, community, C2C conversation) before they insert, so within a conversation `id`
//!   order is commit order.
//! - **Gaps.** An `id` is drawn at insert and becomes visible at commit, so a reader can see
//!   id 7 before 6 commits. It stops at a gap and waits for it to fill; a gap that stays
//!   [`GAP_WAIT`] (the transaction rolled back after drawing its id, which happens only if its
//!   commit fails) is skipped.
//! - **Presence.** Each member connection is a `member_presence` row of its node; the node
//!   renews its `member_nodes` row every third of the TTL while it has connections, and
//!   removes the rows of nodes whose heartbeat is older than the TTL (they died without
//!   removing them); a node that stops removes its own. A node's own status answers come
//!   from its hub; other nodes' from these rows. The AVChatRoom members present through a
//!   node are `room_presence` rows of it, kept and expired the same way.
//! - **Cheap when nobody listens.** A node writes to the log only while its own hub has a
//!   member connected or it knows of another node's (`remote`, refreshed on every presence
//!   notification and heartbeat). A member connecting to another node is in `remote` a
//!   notification later; a write committed in between is not delivered to it (it reads
//!   history when it connects).

use crate::{DbError, Result};
use deadpool_postgres::Pool;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use timber_core::member::{Change, ChangeSink};
use timber_core::AppId;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel every node listens on: payload `c` (the log grew) or `p` (presence changed).
const CHANNEL: &str = "timber_members";
/// How long a gap in the log is waited for before it is skipped.
pub(crate) const GAP_WAIT: Duration = Duration::from_secs(2);
/// How often the log is read where the database has no LISTEN.
const POLL: Duration = Duration::from_millis(200);
/// How long log rows are kept (a node that was away longer has missed them anyway).
const KEEP_SECS: i64 = 60;
/// A node whose heartbeat is older than this is dead (`TIMBER_MEMBER_NODE_TTL_SECS`).
const DEFAULT_TTL_SECS: u64 = 15;

/// This node's part in the cluster.
pub(crate) struct Cluster {
    pool: Pool,
    url: String,
    /// This node's name in `member_nodes` and the log: unique per process.
    pub(crate) node: String,
    /// Another live node has a member connected.
    remote: AtomicBool,
    /// The hub of this node.
    local: OnceLock<Arc<dyn ChangeSink>>,
    ttl: Duration,
    wake: Notify,
    /// The database has NOTIFY (not CockroachDB): writes wake the readers.
    notify: AtomicBool,
    /// The log's last id when the store opened: the reader starts after it. Read at open,
    /// not when the reader's task first runs, so that no change committed between the hub's
    /// installation and that first run is skipped.
    opened_at: AtomicI64,
}

impl Cluster {
    pub(crate) fn new(pool: Pool, url: &str) -> Arc<Cluster> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let ttl = std::env::var("TIMBER_MEMBER_NODE_TTL_SECS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&s| s > 0)
            .unwrap_or(DEFAULT_TTL_SECS);
        Arc::new(Cluster {
            pool,
            url: url.to_owned(),
            node: format!("{}-{nanos:x}", std::process::id()),
            remote: AtomicBool::new(false),
            local: OnceLock::new(),
            ttl: Duration::from_secs(ttl),
            wake: Notify::new(),
            notify: AtomicBool::new(true),
            opened_at: AtomicI64::new(0),
        })
    }

    /// Finds out whether the database has NOTIFY (without it the nodes poll the log), and
    /// where the log stands.
    pub(crate) async fn probe(&self) -> Result<()> {
        self.opened_at.store(self.head().await?, Ordering::Release);
        let c = self.pool.get().await.map_err(DbError::internal)?;
        if let Err(e) = c.execute("SELECT pg_notify($1, 'x')", &[&CHANNEL]).await {
            tracing::warn!(error = %e, "no NOTIFY: nodes poll the member change log");
            self.notify.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// Whether the database has NOTIFY (and LISTEN).
    pub(crate) fn notifies(&self) -> bool {
        self.notify.load(Ordering::Acquire)
    }

    async fn notify(&self, c: &impl tokio_postgres::GenericClient, what: &str) -> Result<()> {
        if self.notify.load(Ordering::Acquire) {
            c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &what])
                .await
                .map_err(DbError::from)?;
        }
        Ok(())
    }

    /// Sets this node's hub and starts the log reader and the heartbeat (on the current
    /// Tokio runtime; without one, nothing runs and only this node's hub is served).
    pub(crate) fn start(self: &Arc<Self>, hub: Arc<dyn ChangeSink>) {
        if self.local.set(hub).is_err() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = self.clone();
        rt.spawn(async move { me.listen().await });
        let me = self.clone();
        rt.spawn(async move { me.heartbeat().await });
    }

    fn local(&self) -> Option<&Arc<dyn ChangeSink>> {
        self.local.get()
    }

    /// Whether writes must log their changes: some node has a member connected.
    pub(crate) fn logging(&self) -> bool {
        self.remote.load(Ordering::Acquire) || self.local().is_some_and(|l| l.active())
    }

    /// The view of "who listens" that writes build their changes for.
    pub(crate) fn gate(self: &Arc<Self>) -> Gate {
        Gate(self.clone())
    }

    /// Inserts a write's changes into the log, in its transaction, just before the commit;
    /// the row and its NOTIFY are sent in one pipeline (polled together), one round trip.
    pub(crate) async fn log(
        &self,
        txn: &impl tokio_postgres::GenericClient,
        app: AppId,
        changes: &[Change],
        origin: u64,
    ) -> Result<()> {
        let body = serde_json::to_string(changes).map_err(DbError::internal)?;
        let insert = async {
            txn.execute(
                "INSERT INTO member_changes (app, node, origin, at, body) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &(app as i64),
                    &self.node,
                    &(origin as i64),
                    &timber_core::now_secs(),
                    &body,
                ],
            )
            .await
            .map_err(|e| DbError::from(e).into())
        };
        futures_util::future::try_join(insert, self.notify(txn, "c")).await?;
        Ok(())
    }

    /// A member connection of this node opened.
    pub(crate) async fn connected(&self, app: AppId, conn: u64, account: &str, platform: &str) {
        let r = async {
            let c = self.pool.get().await.map_err(DbError::internal)?;
            c.execute(
                "INSERT INTO member_nodes (node, seen) VALUES ($1, $2)
                 ON CONFLICT (node) DO UPDATE SET seen = EXCLUDED.seen",
                &[&self.node, &timber_core::now_secs()],
            )
            .await
            .map_err(DbError::from)?;
            c.execute(
                "INSERT INTO member_presence (node, conn, app, account, platform)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node, conn) DO NOTHING",
                &[
                    &self.node,
                    &(conn as i64),
                    &(app as i64),
                    &account,
                    &platform,
                ],
            )
            .await
            .map_err(DbError::from)?;
            self.notify(&**c, "p").await.map_err(DbError::internal)?;
            Ok::<_, DbError>(())
        }
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "member presence could not be recorded");
        }
    }

    /// A member connection of this node ended.
    pub(crate) async fn disconnected(&self, conn: u64) {
        let r = async {
            let c = self.pool.get().await.map_err(DbError::internal)?;
            c.execute(
                "DELETE FROM member_presence WHERE node = $1 AND conn = $2",
                &[&self.node, &(conn as i64)],
            )
            .await
            .map_err(DbError::from)?;
            self.notify(&**c, "p").await.map_err(DbError::internal)?;
            Ok::<_, DbError>(())
        }
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "member presence could not be removed");
        }
    }

    /// This node stops: its connections and its heartbeat go at once, rather than when the
    /// other nodes find its heartbeat stale.
    pub(crate) async fn leave(&self) {
        let r = async {
            let c = self.pool.get().await.map_err(DbError::internal)?;
            c.execute("DELETE FROM member_presence WHERE node = $1", &[&self.node])
                .await
                .map_err(DbError::from)?;
            c.execute("DELETE FROM room_presence WHERE node = $1", &[&self.node])
                .await
                .map_err(DbError::from)?;
            c.execute("DELETE FROM member_nodes WHERE node = $1", &[&self.node])
                .await
                .map_err(DbError::from)?;
            self.notify(&**c, "p").await.map_err(DbError::internal)?;
            Ok::<_, DbError>(())
        }
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "member presence could not be removed at stop");
        }
    }

    /// `account` is present in the AVChatRoom `group_id` through this node (members.md §6):
    /// the other nodes count it in the room's online members.
    pub(crate) async fn room_entered(
        &self,
        app: AppId,
        group_id: &str,
        account: &str,
        join_time: i64,
    ) -> Result<()> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        c.execute(
            "INSERT INTO room_presence (node, app, group_id, account, join_time)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node, app, group_id, account) DO NOTHING",
            &[&self.node, &(app as i64), &group_id, &account, &join_time],
        )
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    /// `accounts` left the room through this node, or (`everywhere`: a ban) through any.
    pub(crate) async fn room_left(
        &self,
        app: AppId,
        group_id: &str,
        accounts: &[String],
        everywhere: bool,
    ) -> Result<()> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        c.execute(
            "DELETE FROM room_presence
             WHERE app = $1 AND group_id = $2 AND account = ANY($3) AND ($4 OR node = $5)",
            &[&(app as i64), &group_id, &accounts, &everywhere, &self.node],
        )
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    /// (account, join time) of the members present in the room through the other live
    /// nodes, an account present through several once (its first join).
    pub(crate) async fn remote_room_members(
        &self,
        app: AppId,
        group_id: &str,
    ) -> Result<Vec<(String, i64)>> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        let alive = timber_core::now_secs() - self.ttl.as_secs() as i64;
        let rows = c
            .query(
                "SELECT p.account, min(p.join_time) FROM room_presence p
                 JOIN member_nodes n ON n.node = p.node
                 WHERE p.app = $1 AND p.group_id = $2 AND p.node <> $3 AND n.seen >= $4
                 GROUP BY p.account ORDER BY p.account",
                &[&(app as i64), &group_id, &self.node, &alive],
            )
            .await
            .map_err(DbError::from)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The platforms each of `accounts` is connected from on the other live nodes.
    pub(crate) async fn remote_platforms(
        &self,
        app: AppId,
        accounts: &[String],
    ) -> Result<Vec<(String, String)>> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        let alive = timber_core::now_secs() - self.ttl.as_secs() as i64;
        let rows = c
            .query(
                "SELECT p.account, p.platform FROM member_presence p
                 JOIN member_nodes n ON n.node = p.node
                 WHERE p.app = $1 AND p.account = ANY($2) AND p.node <> $3 AND n.seen >= $4
                 ORDER BY p.account, p.conn",
                &[&(app as i64), &accounts, &self.node, &alive],
            )
            .await
            .map_err(DbError::from)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Keeps this node alive, removes dead ones and old log rows, refreshes `remote`.
    async fn heartbeat(self: Arc<Self>) {
        let every = (self.ttl / 3).max(Duration::from_millis(200));
        loop {
            if let Err(e) = self.beat().await {
                tracing::warn!(error = %e, "member heartbeat failed");
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn beat(&self) -> Result<()> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        let now = timber_core::now_secs();
        // Only a node with connections has rows that its heartbeat keeps alive; one without
        // writes nothing at rest.
        if self.local().is_some_and(|l| l.active()) {
            c.execute(
                "INSERT INTO member_nodes (node, seen) VALUES ($1, $2)
                 ON CONFLICT (node) DO UPDATE SET seen = EXCLUDED.seen",
                &[&self.node, &now],
            )
            .await
            .map_err(DbError::from)?;
        }
        let dead = now - self.ttl.as_secs() as i64;
        let gone = c
            .execute(
                "DELETE FROM member_presence WHERE node IN
                 (SELECT node FROM member_nodes WHERE seen < $1)",
                &[&dead],
            )
            .await
            .map_err(DbError::from)?;
        c.execute(
            "DELETE FROM room_presence WHERE node IN
             (SELECT node FROM member_nodes WHERE seen < $1)",
            &[&dead],
        )
        .await
        .map_err(DbError::from)?;
        c.execute("DELETE FROM member_nodes WHERE seen < $1", &[&dead])
            .await
            .map_err(DbError::from)?;
        c.execute(
            // The newest row stays: a node starting reads its id as where the log is, and a
            // next id far above an empty table's 0 would look like a gap.
            "DELETE FROM member_changes
             WHERE at < $1 AND id < (SELECT max(id) FROM member_changes)",
            &[&(now - KEEP_SECS)],
        )
        .await
        .map_err(DbError::from)?;
        if gone > 0 {
            tracing::info!(connections = gone, "presence of dead nodes expired");
        }
        self.refresh(&c).await
    }

    async fn refresh(&self, c: &tokio_postgres::Client) -> Result<()> {
        let alive = timber_core::now_secs() - self.ttl.as_secs() as i64;
        let row = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM member_presence p
                 JOIN member_nodes n ON n.node = p.node WHERE p.node <> $1 AND n.seen >= $2)",
                &[&self.node, &alive],
            )
            .await
            .map_err(DbError::from)?;
        self.remote.store(row.get(0), Ordering::Release);
        Ok(())
    }

    /// LISTENs on its own connection (reconnecting when it drops) and reads the log.
    async fn listen(self: Arc<Self>) {
        let mut last = self.opened_at.load(Ordering::Acquire);
        let presence = Arc::new(Notify::new());
        loop {
            let (client, mut conn) = match tokio_postgres::connect(&self.url, NoTls).await {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "member change log: cannot listen");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let me = self.clone();
            let p = presence.clone();
            let pump = tokio::spawn(async move {
                while let Some(m) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                    match m {
                        Ok(AsyncMessage::Notification(n)) if n.payload() == "p" => p.notify_one(),
                        Ok(AsyncMessage::Notification(_)) => me.wake.notify_one(),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            });
            // An engine without LISTEN (CockroachDB) is polled instead.
            let listening = match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "member change log: no LISTEN, polling every {POLL:?}");
                    false
                }
            };
            let mut gap: Option<Instant> = None;
            // Rows committed while not listening.
            self.wake.notify_one();
            while !pump.is_finished() {
                let tick = if gap.is_some() {
                    Duration::from_millis(50)
                } else if !listening {
                    POLL
                } else {
                    Duration::from_secs(1)
                };
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = presence.notified() => {
                        if let Err(e) = self.refresh(&client).await {
                            tracing::warn!(error = %e, "member presence refresh failed");
                        }
                        continue;
                    }
                    _ = tokio::time::sleep(tick) => {
                        if !listening {
                            if let Err(e) = self.refresh(&client).await {
                                tracing::warn!(error = %e, "member presence refresh failed");
                            }
                        }
                    }
                }
                match self.read(&client, last, &mut gap).await {
                    Ok(next) => last = next,
                    Err(e) => tracing::warn!(error = %e, "member change log: read failed"),
                }
            }
            tracing::warn!("member change log: the listening connection ended; reconnecting");
        }
    }

    async fn head(&self) -> Result<i64> {
        let c = self.pool.get().await.map_err(DbError::internal)?;
        let row = c
            .query_one("SELECT COALESCE(MAX(id), 0) FROM member_changes", &[])
            .await
            .map_err(DbError::from)?;
        Ok(row.get(0))
    }

    /// Delivers the rows after `last` up to the first gap still worth waiting for; the new
    /// `last`.
    async fn read(
        &self,
        c: &tokio_postgres::Client,
        mut last: i64,
        gap: &mut Option<Instant>,
    ) -> Result<i64> {
        let Some(local) = self.local() else {
            return Ok(last);
        };
        loop {
            let rows = c
                .query(
                    "SELECT id, app, node, origin, body FROM member_changes
                     WHERE id > $1 ORDER BY id LIMIT 512",
                    &[&last],
                )
                .await
                .map_err(DbError::from)?;
            let full = rows.len() == 512;
            for r in &rows {
                let id: i64 = r.get(0);
                if id != last + 1 {
                    let since = *gap.get_or_insert_with(Instant::now);
                    if since.elapsed() < GAP_WAIT {
                        return Ok(last);
                    }
                    tracing::warn!(
                        from = last + 1,
                        to = id - 1,
                        "member change log: gap skipped"
                    );
                }
                *gap = None;
                last = id;
                let app: i64 = r.get(1);
                let node: &str = r.get(2);
                let origin: i64 = r.get(3);
                let body: &str = r.get(4);
                match serde_json::from_str::<Vec<Change>>(body) {
                    Ok(changes) => {
                        let origin = if node == self.node { origin as u64 } else { 0 };
                        local.publish_from(app as AppId, changes, origin);
                    }
                    Err(e) => tracing::warn!(id, error = %e, "member change log: unreadable row"),
                }
            }
            if !full {
                return Ok(last);
            }
        }
    }
}

/// What writes ask "is anyone listening" of: the whole cluster, not only this node's hub.
/// Changes are never published through it (the log's reader publishes them).
pub(crate) struct Gate(Arc<Cluster>);

impl ChangeSink for Gate {
    fn active(&self) -> bool {
        self.0.logging()
    }

    fn wants(&self, app: AppId) -> bool {
        self.0.remote.load(Ordering::Acquire) || self.0.local().is_some_and(|l| l.wants(app))
    }

    fn publish(&self, _app: AppId, _changes: Vec<Change>) {}

    fn origin(&self) -> u64 {
        self.0.local().map_or(0, |l| l.origin())
    }
}
