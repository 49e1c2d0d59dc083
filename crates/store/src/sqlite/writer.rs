//! The single SQLite writer with pipelined group commit.
//!
//! All writes run on one thread that owns the write connection. It takes every job that is
//! waiting, runs them one after the other in one transaction and commits them together. A job
//! needs no SAVEPOINT of its own: every store write refuses, if it does, before its first
//! change (`crate::ops::WriteOp`), and a refusal that changed nothing has nothing to undo. A
//! job that fails after changing rows all the same (SQLite itself failing) cannot be told
//! apart from the rest of its batch, so the whole batch is rolled back and every job in it
//! fails, as when a commit fails. The savepoint, with its copy of each page a job first
//! touches, was 11% of the writer's instructions per send (BENCHMARKS.md, ledger: sends
//! without a savepoint). An answer always means
//! "durable" (DESIGN.md invariant 3), but the writer does not wait for the disk itself: for a
//! file store the connection commits without fsync (`synchronous = NORMAL`) and hands the batch
//! to a syncer thread, which fsyncs the WAL and only then answers the batch. While one batch is
//! being made durable the writer already runs the next, and one fsync covers every batch
//! committed while the previous one ran. Readers may see a batch a moment before it is on disk;
//! no writer hears "OK" before it is.

use super::checkpointer::RestartGate;
use crate::{Result, StoreError};
use rusqlite::Connection;
use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// A job runs on the writer's connection inside the open transaction (`None` when no
/// transaction could be opened) and returns what to do once the transaction's fate is known.
type Job = Box<dyn FnOnce(Option<&mut Connection>) -> Ran + Send>;
/// Called with `true` once the job's transaction is committed (and durable), else `false`.
type Completion = Box<dyn FnOnce(bool) + Send>;

struct Ran {
    done: Completion,
    /// The job failed after changing rows: its batch must not commit (see also [`run`], for
    /// a transaction SQLite rolled back itself).
    spoiled: bool,
}

/// Upper bound on jobs per transaction. Small enough that the pipeline keeps moving: while
/// the syncer makes one batch durable and its writers send their next requests, the writer
/// already runs the next batch, instead of every connection waiting in one big batch and the
/// writer idling through the fsync. Measured with 64 connections (BENCHMARKS.md, ledger:
/// batches of 32): 32 beat both 8 and 512, by 8–35% on sends.
const MAX_BATCH: usize = 32;

pub(crate) struct Writer {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Rows inserted, updated or deleted by the writer so far (SQLite's `total_changes`).
    rows_written: Arc<AtomicU64>,
    /// Jobs sent and not yet run, the last batch's size and the batches so far (`/metrics`).
    load: Arc<Load>,
}

/// The writer's load, for `/metrics`.
#[derive(Default)]
pub(crate) struct Load {
    pub queued: AtomicU64,
    pub last_batch: AtomicU64,
    pub batches: AtomicU64,
}

impl Writer {
    /// `wal`: the WAL file of a file store whose connection commits without fsync; its
    /// batches are answered once this file is synced. `None` (the memory store): answered at
    /// commit. `gate`: passed before every transaction, so that a RESTART checkpoint can get
    /// in between two of them.
    pub(crate) fn start(conn: Connection, wal: Option<File>, gate: Arc<RestartGate>) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let rows_written = Arc::new(AtomicU64::new(0));
        let counter = rows_written.clone();
        let load = Arc::new(Load::default());
        let load_of_thread = load.clone();
        let thread = std::thread::Builder::new()
            .name("timber-sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                let syncer = wal.map(Syncer::start);
                run(
                    &mut conn,
                    rx,
                    &counter,
                    &load_of_thread,
                    syncer.as_ref(),
                    &gate,
                );
                // Every batch is answered before the WAL is checkpointed away.
                if let Some(syncer) = syncer {
                    syncer.finish();
                }
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            })
            .expect("spawn the SQLite writer thread");
        Writer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            rows_written,
            load,
        }
    }

    pub(crate) fn load(&self) -> &Load {
        &self.load
    }

    /// Rows written so far; up to date for every job that has been answered.
    pub(crate) fn rows_written(&self) -> u64 {
        self.rows_written.load(Ordering::Acquire)
    }

    /// Runs `f` in the next group commit and returns its result once committed.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (answer, receive) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let (result, spoiled) = match conn {
                Some(conn) => {
                    let before = conn.total_changes();
                    let result = f(conn);
                    let spoiled = result.is_err() && conn.total_changes() != before;
                    (result, spoiled)
                }
                None => (
                    Err(StoreError::internal("could not begin a transaction")),
                    false,
                ),
            };
            let done: Completion = Box::new(move |committed| {
                let result = if committed {
                    result
                } else {
                    result.and(Err(StoreError::internal("the transaction did not commit")))
                };
                let _ = answer.send(result);
            });
            Ran { done, spoiled }
        });
        self.load.queued.fetch_add(1, Ordering::AcqRel);
        let sent = match self.tx.lock().map_err(StoreError::internal)?.as_ref() {
            Some(tx) => tx.send(job).is_ok(),
            None => false,
        };
        if !sent {
            self.load.queued.fetch_sub(1, Ordering::AcqRel);
        }
        if !sent {
            return Err(StoreError::internal("the store is closed"));
        }
        receive
            .await
            .map_err(|_| StoreError::internal("the writer stopped"))?
    }

    /// Stops accepting jobs, lets the queued ones finish, and joins the thread.
    pub(crate) fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

fn run(
    conn: &mut Connection,
    rx: mpsc::Receiver<Job>,
    rows_written: &AtomicU64,
    load: &Load,
    syncer: Option<&Syncer>,
    gate: &RestartGate,
) {
    let base = conn.total_changes();
    let mut pending: Vec<Completion> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        gate.pass();
        let changes_before = conn.total_changes();
        let began = conn.execute_batch("BEGIN IMMEDIATE");
        let mut next = Some(first);
        let mut spoiled = false;
        while let Some(job) = next.take() {
            let ran = job(began.is_ok().then_some(&mut *conn));
            load.queued.fetch_sub(1, Ordering::AcqRel);
            pending.push(ran.done);
            // After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM) SQLite
            // may roll the whole transaction back on its own. Its jobs are then lost, and a
            // next job would run outside any transaction, committing as it goes: the batch
            // is spoiled just the same.
            spoiled = ran.spoiled || (began.is_ok() && conn.is_autocommit());
            if !spoiled && pending.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        let committed = match began {
            Ok(()) if spoiled => {
                tracing::error!("a write left its batch unable to commit; rolling back the batch");
                let _ = conn.execute_batch("ROLLBACK");
                false
            }
            Ok(()) => match conn.execute_batch("COMMIT") {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, "SQLite group commit failed; rolling back the batch");
                    let _ = conn.execute_batch("ROLLBACK");
                    false
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "SQLite could not begin a transaction");
                false
            }
        };
        rows_written.store(conn.total_changes() - base, Ordering::Release);
        load.last_batch
            .store(pending.len() as u64, Ordering::Release);
        load.batches.fetch_add(1, Ordering::AcqRel);
        let batch = std::mem::replace(&mut pending, Vec::with_capacity(MAX_BATCH));
        // A batch that changed nothing (reads, no-op clears) has nothing to make durable.
        let wrote = conn.total_changes() != changes_before;
        match syncer {
            Some(syncer) if committed && wrote => syncer.sync_then_answer(batch),
            _ => batch.into_iter().for_each(|done| done(committed)),
        }
    }
}

/// Makes committed batches durable: fsyncs the WAL, then answers every batch committed
/// before the fsync began.
struct Syncer {
    tx: mpsc::Sender<Vec<Completion>>,
    thread: JoinHandle<()>,
}

impl Syncer {
    fn start(wal: File) -> Syncer {
        let (tx, rx) = mpsc::channel::<Vec<Completion>>();
        let thread = std::thread::Builder::new()
            .name("timber-sqlite-sync".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batches = vec![first];
                    batches.extend(rx.try_iter());
                    let synced = match wal.sync_data() {
                        Ok(()) => true,
                        Err(e) => {
                            // The batches are committed but may not be on disk: their writers
                            // hear an internal error, as after a failed commit.
                            tracing::error!(error = %e, "fsync of the SQLite WAL failed");
                            false
                        }
                    };
                    for done in batches.into_iter().flatten() {
                        done(synced);
                    }
                }
            })
            .expect("spawn the SQLite sync thread");
        Syncer { tx, thread }
    }

    fn sync_then_answer(&self, batch: Vec<Completion>) {
        if let Err(mpsc::SendError(batch)) = self.tx.send(batch) {
            batch.into_iter().for_each(|done| done(false));
        }
    }

    /// Answers every batch handed over so far, then stops.
    fn finish(self) {
        drop(self.tx);
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> Arc<Writer> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY)")
            .unwrap();
        Arc::new(Writer::start(conn, None, Arc::default()))
    }

    fn insert(conn: &mut Connection, k: i64) -> Result<()> {
        conn.execute("INSERT INTO t (k) VALUES (?1)", [k])?;
        Ok(())
    }

    fn refused() -> StoreError {
        StoreError::internal("refused")
    }

    type Step = fn(&mut Connection) -> Result<()>;
    /// A job's answer: `Ok`, or its error's text.
    type Outcome = std::result::Result<(), String>;

    /// Runs `jobs` in one batch: a first job holds the writer until all of them are queued.
    /// Returns each job's outcome and the keys left in `t`.
    async fn one_batch(jobs: Vec<Step>) -> (Vec<Outcome>, Vec<i64>) {
        let w = writer();
        let (release, held) = mpsc::channel::<()>();
        let holder = {
            let w = w.clone();
            tokio::spawn(async move {
                w.run(move |_| {
                    held.recv().ok();
                    Ok(())
                })
                .await
            })
        };
        tokio::task::yield_now().await;
        let mut answers = Vec::new();
        for step in jobs {
            let w = w.clone();
            answers.push(tokio::spawn(async move { w.run(step).await }));
            // On the test's one thread, each task runs up to its send before the next starts.
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        let _ = holder.await.unwrap();
        let mut outcomes = Vec::new();
        for a in answers {
            outcomes.push(a.await.unwrap().map_err(|e| e.to_string()));
        }
        let keys = w
            .run(|c| {
                let mut s = c.prepare("SELECT k FROM t ORDER BY k")?;
                let keys = s
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(keys)
            })
            .await
            .unwrap();
        w.close();
        (outcomes, keys)
    }

    /// The first and the last of three jobs committed; the middle one was refused and left
    /// nothing behind.
    fn only_the_middle_one_refused(outcomes: &[Outcome], keys: &[i64]) {
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "{outcomes:?}");
        assert!(outcomes[1].as_ref().unwrap_err().contains("refused"));
        assert_eq!(keys, [1, 3]);
    }

    #[tokio::test]
    async fn a_job_that_fails_before_changing_anything_spoils_nothing() {
        let (outcomes, keys) = one_batch(vec![
            |c| insert(c, 1),
            |c| {
                // A failed statement changes nothing either (SQLite undoes it).
                assert!(insert(c, 1).is_err());
                Err(refused())
            },
            |c| insert(c, 3),
        ])
        .await;
        only_the_middle_one_refused(&outcomes, &keys);
    }

    #[tokio::test]
    async fn a_job_that_fails_after_a_change_rolls_back_its_batch() {
        let (outcomes, keys) = one_batch(vec![
            |c| insert(c, 1),
            |c| {
                insert(c, 2)?;
                Err(refused())
            },
            // Not taken into the spoiled batch: it runs in the next one.
            |c| insert(c, 3),
        ])
        .await;
        assert!(outcomes[0].as_ref().unwrap_err().contains("did not commit"));
        assert!(outcomes[1].as_ref().unwrap_err().contains("refused"));
        assert_eq!(outcomes[2], Ok(()));
        assert_eq!(keys, vec![3]);
    }

    /// SQLite may roll a transaction back itself after an error (a full disk, say); here a
    /// job does it. The batch fails, the job included, and a job after it runs in the next
    /// batch rather than outside any transaction.
    #[tokio::test]
    async fn a_transaction_sqlite_rolled_back_fails_its_batch() {
        let (outcomes, keys) = one_batch(vec![
            |c| insert(c, 1),
            |c| {
                c.execute_batch("ROLLBACK")?;
                Ok(())
            },
            |c| insert(c, 3),
        ])
        .await;
        assert!(outcomes[0].as_ref().unwrap_err().contains("did not commit"));
        assert!(outcomes[1].as_ref().unwrap_err().contains("did not commit"));
        assert_eq!(outcomes[2], Ok(()));
        assert_eq!(keys, vec![3]);
    }
}
