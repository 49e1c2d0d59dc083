//! Moves WAL checkpoints off the writer.
//!
//! A checkpoint copies committed pages from the WAL back into the database file. By default
//! SQLite runs one inside the commit that crosses `wal_autocheckpoint`, stalling the group
//! commit, and with it every waiting write, while it copies. Here the writer never
//! checkpoints; this thread does, in PASSIVE mode, which never blocks the writer. When the WAL
//! has grown large anyway (a checkpoint cannot finish while writes keep arriving), a RESTART
//! checkpoint holds the writer back just long enough to start the WAL over.

use rusqlite::Connection;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the WAL is checkpointed. Rarely enough that a page written again and again (a
/// busy group's newest leaf, its duplicate-window leaf, its row) is copied into the database
/// once per checkpoint rather than once per few commits: against 50 ms, 500 ms cut the
/// checkpointer's CPU per spread send from ~4.7 to ~1.2 µs and the send p99 by a third
/// (BENCHMARKS.md). The WAL's size is governed by [`RESTART_PAGES`] either way.
const INTERVAL: Duration = Duration::from_millis(500);
/// WAL pages (4 KiB each, so 256 MiB) beyond which the WAL is started over (RESTART). High,
/// because a RESTART holds the writer back while it finishes. It is a trigger, not a cap:
/// the RESTART has to wait for a gap between the writer's batches, and under sustained
/// writes the WAL has grown to 500–800 MiB meanwhile (README, Operations).
const RESTART_PAGES: i64 = 65_536;

pub(crate) struct Checkpointer {
    /// Dropped to stop the thread: it wakes at once instead of sleeping out its interval.
    stop: Mutex<Option<mpsc::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    pub(crate) fn start(conn: Connection) -> Checkpointer {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("timber-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &stopped))
            .expect("spawn the SQLite checkpoint thread");
        Checkpointer {
            stop: Mutex::new(Some(stop)),
            thread: Mutex::new(Some(thread)),
        }
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

fn run(conn: &Connection, stopped: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        let result = checkpoint(conn, "PASSIVE").and_then(|pages| {
            if pages > RESTART_PAGES {
                checkpoint(conn, "RESTART")?;
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
        let checkpointer = Checkpointer::start(Connection::open(&path).unwrap());
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
    fn stop_does_not_wait_out_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _writer) = wal_db(dir.path());
        let checkpointer = Checkpointer::start(Connection::open(&path).unwrap());
        let asked = Instant::now();
        checkpointer.stop();
        assert!(
            asked.elapsed() < INTERVAL / 2,
            "stopped after {:?}",
            asked.elapsed()
        );
    }
}
