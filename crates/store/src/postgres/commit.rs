//! Group commit per node: the writes to one group waiting on this node share one transaction
//! and one commit.
//!
//! Every write to a group locks the group's row until its commit, so writes into one hot
//! group run one after the other, each holding the lock over its own commit's fsync. Here a
//! write whose op names its group ([`WriteOp::batch_key`]) joins that group's *lane*: the
//! first one starts a task that runs the lane's waiting writes, up to [`MAX_BATCH`], in one
//! transaction, then the writes that came meanwhile, until the lane is empty. The row is
//! locked once per batch and committed once, so the lock is held over one fsync per batch.
//!
//! - **Gap-free MsgSeq.** Every write of a batch takes the group's row lock (`FOR UPDATE`,
//!   re-granted at once inside the batch) and reads the head its predecessor wrote in the
//!   same transaction; another node's batch waits for the lock as a single write does.
//! - **A refused write is refused alone.** Every refusal comes before its write's first
//!   change (`ops::WriteOp`: checks cannot write), so a refused write leaves the
//!   transaction as it found it, and the next write goes on in it; no savepoint is needed.
//! - **A failed statement fails nobody else.** A write's statements whose answers are not
//!   read travel with the next write's checks (`sql/postgres.rs`), so a batch of writes is
//!   one round trip each. When PostgreSQL fails a statement — one it rejects, a deadlock, a
//!   serialization failure — the transaction is rolled back and every write of the batch
//!   runs again alone, from the start ([`super::PgStore`]'s retry loop): the one that
//!   failed gets its own error there, and the others commit.
//! - **Durable answers.** Every request is answered after the batch's `COMMIT` has
//!   returned. When it fails (with the last write's statements sent with it), every write
//!   of the batch runs again alone; one whose commit's fate was unknown (the connection
//!   lost mid-`COMMIT`) is then caught by the write's own duplicate check, as a client's
//!   retry would be (a send's or an import's `Random` window).
//! - **Lock order.** A batch locks one group's row first, like each of its writes would, and
//!   its writes touch only that group's rows: two nodes' batches cannot deadlock over the
//!   order of several groups' locks. If they deadlock all the same, PostgreSQL aborts one
//!   statement, and that write is retried alone as above.
//! - **Alone when it is alone.** A batch of one is the write's own transaction, as outside
//!   the group commit: a send is two round trips when nothing waits, and its error is its
//!   own.
//!
//! The batch runs in a task of its own, so a request cancelled while it waits does not
//! cancel the writes of the others. `postgres_group_commit = false` turns it off.

use super::{Detach, Shared};
use crate::ops::WriteOp;
use crate::sql::postgres::PgTx;
use crate::{DbError, Result, StoreError};
use deadpool_postgres::Object;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use timber_core::AppId;
use tokio::sync::oneshot;

/// Most writes in one transaction: as the SQLite writer's (`sqlite/writer.rs`), so that a
/// batch's last write does not wait behind too many others.
const MAX_BATCH: usize = 32;

type Key = (AppId, String);

/// The writes waiting for each group, and the counts `/metrics` shows.
#[derive(Default)]
pub(crate) struct Lanes {
    /// A lane is in the map while its task runs; writes that arrive meanwhile join it.
    waiting: Mutex<HashMap<Key, Vec<Box<dyn Job>>>>,
    pub(crate) queued: AtomicU64,
    pub(crate) last_batch: AtomicU64,
    pub(crate) batches: AtomicU64,
}

/// One write of a batch, its type erased.
trait Job: Send {
    /// Runs the write's checks and writes in the open transaction `t`; whether it recorded
    /// callback events.
    fn run<'a>(
        &'a mut self,
        shared: &'a Shared,
        t: &'a mut PgTx<'_, Object>,
        client: &'a Object,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Answers the request: its output if `result` is `Ok` (its batch committed).
    fn answer(self: Box<Self>, result: Result<()>);
}

struct Pending<O: WriteOp> {
    op: Arc<O>,
    /// The request's client address (a task-local of the request, gone in the lane's task).
    ip: String,
    /// The member connection the request came from (a task-local of the request too): its
    /// own connection does not hear its own write.
    origin: u64,
    out: Option<O::Out>,
    answer: oneshot::Sender<Result<O::Out>>,
}

impl<O: WriteOp> Job for Pending<O> {
    fn run<'a>(
        &'a mut self,
        shared: &'a Shared,
        t: &'a mut PgTx<'_, Object>,
        client: &'a Object,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let (out, recorded) = shared
                .steps(&*self.op, t, client, &self.ip, self.origin)
                .await?;
            self.out = Some(out);
            Ok(recorded)
        })
    }

    fn answer(self: Box<Self>, result: Result<()>) {
        let Pending { out, answer, .. } = *self;
        let result = result.and_then(|()| {
            out.ok_or_else(|| StoreError::internal("a committed write left no output"))
        });
        let _ = answer.send(result);
    }
}

/// A lane's task ended without emptying the lane (it panicked): the lane goes, and its
/// waiting writes are answered with an error as their senders drop.
struct LaneGuard<'a> {
    lanes: &'a Lanes,
    key: &'a Key,
    emptied: bool,
}

impl Drop for LaneGuard<'_> {
    fn drop(&mut self) {
        if !self.emptied {
            let mut waiting = self.lanes.waiting.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(left) = waiting.remove(self.key) {
                self.lanes
                    .queued
                    .fetch_sub(left.len() as u64, Ordering::AcqRel);
            }
        }
    }
}

impl Shared {
    /// Runs `op` in its group's next batch; answers once that batch committed.
    pub(super) async fn batched<O: WriteOp>(
        self: &Arc<Self>,
        app: AppId,
        group_id: &str,
        op: Arc<O>,
    ) -> Result<O::Out> {
        let (answer, receive) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending {
            op,
            ip: crate::outbox::client_ip(),
            origin: self.origin(),
            out: None,
            answer,
        });
        let key = (app, group_id.to_owned());
        let start = {
            let mut waiting = self.lanes.waiting.lock().unwrap_or_else(|e| e.into_inner());
            self.lanes.queued.fetch_add(1, Ordering::AcqRel);
            match waiting.get_mut(&key) {
                Some(lane) => {
                    lane.push(job);
                    false
                }
                None => {
                    waiting.insert(key.clone(), vec![job]);
                    true
                }
            }
        };
        if start {
            let me = self.clone();
            tokio::spawn(async move { me.drain(key).await });
        }
        receive
            .await
            .map_err(|_| StoreError::internal("the group commit stopped"))?
    }

    /// Runs the lane's batches until no write waits in it.
    async fn drain(&self, key: Key) {
        let mut guard = LaneGuard {
            lanes: &self.lanes,
            key: &key,
            emptied: false,
        };
        loop {
            let jobs: Vec<Box<dyn Job>> = {
                let mut waiting = self.lanes.waiting.lock().unwrap_or_else(|e| e.into_inner());
                let Some(lane) = waiting.get_mut(&key) else {
                    break;
                };
                if lane.is_empty() {
                    waiting.remove(&key);
                    break;
                }
                let n = lane.len().min(MAX_BATCH);
                lane.drain(..n).collect()
            };
            self.lanes
                .queued
                .fetch_sub(jobs.len() as u64, Ordering::AcqRel);
            self.lanes
                .last_batch
                .store(jobs.len() as u64, Ordering::Release);
            self.lanes.batches.fetch_add(1, Ordering::AcqRel);
            self.run_batch(jobs).await;
        }
        guard.emptied = true;
    }

    /// One transaction for `jobs`, each answered once its fate is known.
    async fn run_batch(&self, mut jobs: Vec<Box<dyn Job>>) {
        let client = match self.pool.get().await {
            Ok(c) => c,
            Err(e) => {
                for job in jobs {
                    job.answer(Err(StoreError::internal(&e)));
                }
                return;
            }
        };
        let mut conn = Detach(Some(client));
        let (results, recorded, ended) = match conn.0.as_ref() {
            Some(client) => self.together(&mut jobs, client).await,
            None => unreachable!("the connection is only taken below"),
        };
        if ended {
            conn.0.take(); // back to the pool
        }
        drop(conn);
        if let (true, Some(filter)) = (recorded, self.callbacks.get()) {
            filter.recorded();
        }
        for (job, result) in jobs.into_iter().zip(results) {
            job.answer(result);
        }
    }

    /// The writes of `jobs` in one transaction, one after the other; what each is answered,
    /// whether any recorded callback events, and whether the transaction ended.
    ///
    /// A refusal comes before its write's first change (`ops::WriteOp`), so a refused write
    /// leaves the transaction as it found it and the next one goes on. A write's statements
    /// whose answers are not read are sent with the next write's checks (`PgTx`), so a
    /// failed statement may be an earlier write's: when PostgreSQL fails one, nothing of the
    /// transaction commits and every write of a batch of several runs again alone.
    async fn together(
        &self,
        jobs: &mut [Box<dyn Job>],
        client: &Object,
    ) -> (Vec<Result<()>>, bool, bool) {
        let mut t = PgTx::begin(client);
        let mut results: Vec<Result<bool>> = Vec::with_capacity(jobs.len());
        for job in jobs.iter_mut() {
            match job.run(self, &mut t, client).await {
                Err(StoreError::Db(e)) => {
                    let ended = t.rollback().await.is_ok();
                    let results = if jobs.len() == 1 {
                        vec![Err(StoreError::Db(e))]
                    } else {
                        jobs.iter()
                            .map(|_| Err(retry_alone("a statement of the batch failed")))
                            .collect()
                    };
                    return (results, false, ended);
                }
                other => results.push(other),
            }
        }
        if results.iter().all(|r| r.is_err()) {
            let ended = t.rollback().await.is_ok();
            return (
                results.into_iter().map(|r| r.map(drop)).collect(),
                false,
                ended,
            );
        }
        let recorded = results.iter().any(|r| matches!(r, Ok(true)));
        // A COMMIT ends the transaction even when it fails (PostgreSQL then rolls it back).
        // The last write's statements travel with it, so its failure may be theirs: in a
        // batch of several, every write runs again alone, as after any failed statement.
        match t.commit().await {
            Ok(()) => (
                results.into_iter().map(|r| r.map(drop)).collect(),
                recorded,
                true,
            ),
            Err(e) if jobs.len() == 1 => (vec![Err(e.into())], false, true),
            Err(_) => (
                jobs.iter()
                    .map(|_| Err(retry_alone("the batch's commit failed")))
                    .collect(),
                false,
                true,
            ),
        }
    }
}

/// The error that sends a write back to run alone: it did not commit, and nothing of it did.
fn retry_alone(why: &str) -> StoreError {
    StoreError::Db(DbError::Conflict(why.to_owned()))
}
