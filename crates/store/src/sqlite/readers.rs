//! Read-only connections: one per thread for short reads, run in place, and a small pool on
//! blocking threads for long ones.
//!
//! Most reads are a few indexed lookups (microseconds). Sending those to a blocking thread
//! costs more in wake-ups than the read itself, so they run on the calling thread with a
//! connection of its own. Reads that can touch thousands of rows (member lists, group lists)
//! go to the blocking pool instead, so they never hold up the async workers.

use crate::{Result, StoreError};
use rusqlite::Connection;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::Semaphore;

thread_local! {
    /// This thread's read connections, by pool.
    static HERE: RefCell<HashMap<u64, Connection>> = RefCell::new(HashMap::new());
}

pub(crate) struct ReadPool {
    /// Tells this pool's thread-local connections apart from another store's.
    id: u64,
    conns: Mutex<Vec<Connection>>,
    permits: Semaphore,
    path: PathBuf,
}

/// Runs `f` inside one read transaction: one consistent snapshot of committed data.
fn in_snapshot<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    conn.prepare_cached("BEGIN")?.execute([])?;
    let result = f(conn);
    conn.prepare_cached("ROLLBACK")?.execute([])?;
    result
}

impl ReadPool {
    pub(crate) fn new(conns: Vec<Connection>, path: PathBuf) -> ReadPool {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let permits = Semaphore::new(conns.len());
        ReadPool {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            conns: Mutex::new(conns),
            permits,
            path,
        }
    }

    /// Runs a short read right here, on this thread's connection.
    pub(crate) fn run_here<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        HERE.with(|here| {
            let mut here = here.try_borrow_mut().map_err(StoreError::internal)?;
            let conn = match here.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(super::open_reader(&self.path)?)
                }
            };
            in_snapshot(conn, f)
        })
    }

    /// Runs a long read on a blocking thread with a connection of the pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(StoreError::internal)?;
        let conn = self.conns.lock().map_err(StoreError::internal)?.pop();
        // A connection is only missing if a read panicked; replace it.
        let conn = match conn {
            Some(c) => c,
            None => super::open_reader(&self.path)?,
        };
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let mut conn = conn;
            let result = in_snapshot(&mut conn, f);
            (conn, result)
        })
        .await
        .map_err(StoreError::internal)?;
        self.conns.lock().map_err(StoreError::internal)?.push(conn);
        result
    }
}
