//! Moves WAL checkpoints off the writer.
//!
//! A checkpoint copies committed pages from the WAL back into the database file. By default
//! SQLite runs one inside the commit that crosses `wal_autocheckpoint`, stalling the group
//! commit, and with it every waiting write, while it copies. Here the writer never
//! checkpoints; this thread does, in PASSIVE mode, which never blocks the writer. When the WAL
//! has grown large anyway (a checkpoint cannot finish while writes keep arriving), a RESTART
//! checkpoint holds the writer back just long enough to start the WAL over: it raises a
//! [`RestartGate`] that the writer passes before each transaction. Without the gate the
//! RESTART could only take SQLite's write lock by chance, polling for it every few
//! milliseconds while the writer took it back after every batch: under load it took up to
//! 160 ms, against at most 26 ms through the gate (BENCHMARKS.md, ledger: RESTART gate).

use rusqlite::Connection;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the WAL is checkpointed. Rarely enough that a page written again and again (a
/// busy group's newest leaf, its duplicate-window leaf, its row) is copied into the database
/// once per checkpoint rather than once per few commits: against 50 ms, 500 ms cut the
/// checkpointer's CPU per spread send from ~4.7 to ~1.2 µs and the send p99 by a third
/// (BENCHMARKS.md, ledger: checkpoints every 500 ms). The WAL's size is governed by
/// [`RESTART_BYTES`] either way.
const INTERVAL: Duration = Duration::from_millis(500);
/// The WAL size beyond which the WAL is started over (RESTART). High, because a RESTART
/// holds the writer back while it finishes. It is a trigger, not a cap: it is checked once
/// per [`INTERVAL`], after a PASSIVE copy, so under sustained writes the WAL passes it by
/// what those bring (about 500 MiB at the most in benchmarks; README, Operations).
const RESTART_BYTES: i64 = 256 << 20;

/// How long a RESTART waits for the last transaction and the readers still using the WAL
/// before it gives up until the next interval. Short, because the writer is held back
/// meanwhile. (PASSIVE checkpoints never wait.)
const RESTART_WAIT_MS: u32 = 200;

/// Holds the writer back, between two of its transactions, while a RESTART checkpoint runs.
#[derive(Default)]
pub(crate) struct RestartGate {
    raised: Mutex<bool>,
    lowered: Condvar,
}

impl RestartGate {
    /// The writer calls this before it begins a transaction: it returns at once unless a
    /// RESTART is waiting for the write lock, and then once that RESTART is over.
    pub(crate) fn pass(&self) {
        let Ok(mut raised) = self.raised.lock() else {
            return;
        };
        while *raised {
            raised = match self.lowered.wait(raised) {
                Ok(r) => r,
                Err(_) => return,
            };
        }
    }

    /// Runs `f` with the gate raised; lowers it even if `f` panics.
    fn raised<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Lower<'a>(&'a RestartGate);
        impl Drop for Lower<'_> {
            fn drop(&mut self) {
                if let Ok(mut raised) = self.0.raised.lock() {
                    *raised = false;
                }
                self.0.lowered.notify_all();
            }
        }
        if let Ok(mut raised) = self.raised.lock() {
            *raised = true;
        }
        let _lower = Lower(self);
        f()
    }
}

pub(crate) struct Checkpointer {
    /// Dropped to stop the thread: it wakes at once instead of sleeping out its interval.
    stop: Mutex<Option<mpsc::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// `conn`: a connection of its own to the database; `gate`: the one the writer passes.
    pub(crate) fn start(
        conn: Connection,
        gate: Arc<RestartGate>,
    ) -> rusqlite::Result<Checkpointer> {
        conn.busy_timeout(Duration::from_millis(RESTART_WAIT_MS.into()))?;
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("timber-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &gate, &stopped))
            .expect("spawn the SQLite checkpoint thread");
        Ok(Checkpointer {
            stop: Mutex::new(Some(stop)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Stops the thread (the writer checkpoints one last time when it closes).
    pub(crate) fn stop(&self) {
        if let Ok(mut stop) = self.stop.lock() {
            stop.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

/// `PRAGMA wal_checkpoint(MODE)`: the pages in the WAL.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get(1))
}

fn run(conn: &Connection, gate: &RestartGate, stopped: &mpsc::Receiver<()>) {
    // The WAL counts in pages, whose size depends on when the database was made (mod.rs).
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap_or(4096);
    let restart_pages = RESTART_BYTES / page_size.max(512);
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let result = checkpoint(conn, "PASSIVE").and_then(|pages| {
            if pages > restart_pages {
                gate.raised(|| checkpoint(conn, "RESTART"))?;
            }
            Ok(())
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "background WAL checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    /// A database in WAL mode whose own connection never checkpoints, as the writer's.
    fn wal_db(dir: &std::path::Path) -> (std::path::PathBuf, Connection) {
        let path = dir.join("c.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE t (x TEXT);",
        )
        .unwrap();
        (path, conn)
    }

    #[test]
    fn copies_the_wal_into_the_database_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = wal_db(dir.path());
        writer
            .execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO t SELECT printf('%.200c', 'x') FROM n;",
            )
            .unwrap();
        let db_len = || std::fs::metadata(&path).unwrap().len();
        let before = db_len();
        let checkpointer =
            Checkpointer::start(Connection::open(&path).unwrap(), Arc::default()).unwrap();
        let deadline = Instant::now() + INTERVAL * 20;
        while db_len() <= before && Instant::now() < deadline {
            std::thread::sleep(INTERVAL / 10);
        }
        checkpointer.stop();
        assert!(
            db_len() > before + 100 * 4096,
            "the rows reached the database file ({before} → {} bytes)",
            db_len()
        );
    }

    #[test]
    fn the_writer_waits_at_a_raised_gate_until_it_is_lowered() {
        let gate = Arc::new(RestartGate::default());
        let restart_over = Arc::new(AtomicBool::new(false));
        let (raised, raised_rx) = mpsc::channel();
        let checkpointer = {
            let (gate, over) = (gate.clone(), restart_over.clone());
            std::thread::spawn(move || {
                gate.raised(|| {
                    raised.send(()).unwrap();
                    std::thread::sleep(INTERVAL / 5);
                    over.store(true, Ordering::SeqCst);
                })
            })
        };
        raised_rx.recv().unwrap();
        gate.pass();
        assert!(restart_over.load(Ordering::SeqCst));
        checkpointer.join().unwrap();
        gate.pass(); // lowered: returns at once
    }

    /// The writer commits one small transaction after another, as under load. SQLite's
    /// write lock is free only between two of them, so a RESTART that merely polled for it
    /// would rarely get it; through the gate it does.
    #[test]
    fn a_restart_gets_in_between_the_writers_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = wal_db(dir.path());
        let gate = Arc::new(RestartGate::default());
        let stop = Arc::new(AtomicBool::new(false));
        let writing = {
            let (gate, stop) = (gate.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    gate.pass();
                    writer
                        .execute_batch(
                            "BEGIN IMMEDIATE; INSERT INTO t VALUES (printf('%.500c', 'x')); COMMIT;",
                        )
                        .unwrap();
                    n += 1;
                }
                n
            })
        };
        let conn = Connection::open(&path).unwrap();
        conn.busy_timeout(Duration::from_millis(RESTART_WAIT_MS.into()))
            .unwrap();
        std::thread::sleep(INTERVAL / 5);
        for _ in 0..5 {
            // wal_checkpoint answers (busy, WAL pages, pages checkpointed); busy = 1 means
            // it could not finish.
            let busy: i64 = gate.raised(|| {
                conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get(0))
                    .unwrap()
            });
            assert_eq!(busy, 0, "the RESTART finished");
        }
        stop.store(true, Ordering::Relaxed);
        assert!(writing.join().unwrap() > 0);
    }

    #[test]
    fn stop_does_not_wait_out_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _writer) = wal_db(dir.path());
        let checkpointer =
            Checkpointer::start(Connection::open(&path).unwrap(), Arc::default()).unwrap();
        let asked = Instant::now();
        checkpointer.stop();
        assert!(
            asked.elapsed() < INTERVAL / 2,
            "stopped after {:?}",
            asked.elapsed()
        );
    }
}
