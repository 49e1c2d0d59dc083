//! The single SQLite writer with pipelined group commit.
//!
//! All writes run on one thread that owns the write connection. It takes every job that is
//! waiting, runs each inside its own SAVEPOINT (so one job's failure undoes only its own
//! changes) and commits them together. An answer always means "durable" (DESIGN.md
//! invariant 3), but the writer does not wait for the disk itself: for a file store the
//! connection commits without fsync (`synchronous = NORMAL`) and hands the batch to a syncer
//! thread, which fsyncs the WAL and only then answers the batch. While one batch is being
//! made durable the writer already runs the next, and one fsync covers every batch committed
//! while the previous one ran. Readers may see a batch a moment before it is on disk; no
//! writer hears "OK" before it is.

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
/// transaction could be opened) and returns what to do once the transaction's fate is known
/// (`true` = committed).
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;
type Completion = Box<dyn FnOnce(bool) + Send>;

/// Upper bound on jobs per transaction. Small enough that the pipeline keeps moving: while
/// the syncer makes one batch durable and its writers send their next requests, the writer
/// already runs the next batch, instead of every connection waiting in one big batch and the
/// writer idling through the fsync. Measured with 64 connections (BENCHMARKS.md): 32 beat
/// both 8 and 512, by 8–35% on sends.
const MAX_BATCH: usize = 32;

pub(crate) struct Writer {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Rows inserted, updated or deleted by the writer so far (SQLite's `total_changes`).
    rows_written: Arc<AtomicU64>,
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
        let thread = std::thread::Builder::new()
            .name("timber-sqlite-writer".into())
            .spawn(move || {
                let syncer = wal.map(Syncer::start);
                run(&conn, rx, &counter, syncer.as_ref(), &gate);
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
        }
    }

    /// Rows written so far; up to date for every job that has been answered.
    pub(crate) fn rows_written(&self) -> u64 {
        self.rows_written.load(Ordering::Acquire)
    }

    /// Runs `f` in a savepoint of the next group commit and returns its result once committed.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (answer, receive) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => in_savepoint(conn, f),
                None => Err(StoreError::internal("could not begin a transaction")),
            };
            Box::new(move |committed| {
                let result = if committed {
                    result
                } else {
                    result.and(Err(StoreError::internal("the transaction did not commit")))
                };
                let _ = answer.send(result);
            })
        });
        let sent = match self.tx.lock().map_err(StoreError::internal)?.as_ref() {
            Some(tx) => tx.send(job).is_ok(),
            None => false,
        };
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

fn in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run("SAVEPOINT job").map_err(StoreError::internal)?;
    let result = f(conn);
    if result.is_err() {
        run("ROLLBACK TO job").map_err(StoreError::internal)?;
    }
    run("RELEASE job").map_err(StoreError::internal)?;
    result
}

fn run(
    conn: &Connection,
    rx: mpsc::Receiver<Job>,
    rows_written: &AtomicU64,
    syncer: Option<&Syncer>,
    gate: &RestartGate,
) {
    let base = conn.total_changes();
    let mut pending: Vec<Completion> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        gate.pass();
        let changes_before = conn.total_changes();
        let began = conn.execute_batch("BEGIN IMMEDIATE");
        let tx = began.is_ok().then_some(conn);
        pending.push(first(tx));
        while pending.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => pending.push(job(tx)),
                Err(_) => break,
            }
        }
        let committed = match began {
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
