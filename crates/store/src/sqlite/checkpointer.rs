//! Moves WAL checkpoints off the writer.
//!
//! A checkpoint copies committed pages from the WAL back into the database file. By default
//! SQLite runs one inside the commit that crosses `wal_autocheckpoint`, stalling the group
//! commit, and with it every waiting write, while it copies. Here the writer never
//! checkpoints; this thread does, in PASSIVE mode, which never blocks the writer. When the WAL
//! has grown large anyway (a checkpoint cannot finish while writes keep arriving), a RESTART
//! checkpoint holds the writer back just long enough to start the WAL over.

use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the WAL is checkpointed.
const INTERVAL: Duration = Duration::from_millis(50);
/// WAL pages (4 KiB each, so 256 MiB) beyond which the WAL is started over (RESTART). High,
/// because a RESTART holds the writer back while it finishes.
const RESTART_PAGES: i64 = 65_536;

pub(crate) struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    pub(crate) fn start(conn: Connection) -> Checkpointer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("timber-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &flag))
            .expect("spawn the SQLite checkpoint thread");
        Checkpointer {
            stop,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Stops the thread (the writer checkpoints one last time when it closes).
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
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

fn run(conn: &Connection, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(INTERVAL);
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
