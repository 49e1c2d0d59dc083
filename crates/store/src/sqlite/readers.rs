//! A small pool of read-only connections used from blocking threads.

use crate::{Result, StoreError};
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::Mutex;
use tokio::sync::Semaphore;

pub(crate) struct ReadPool {
    conns: Mutex<Vec<Connection>>,
    permits: Semaphore,
    path: PathBuf,
}

impl ReadPool {
    pub(crate) fn new(conns: Vec<Connection>, path: PathBuf) -> ReadPool {
        let permits = Semaphore::new(conns.len());
        ReadPool {
            conns: Mutex::new(conns),
            permits,
            path,
        }
    }

    /// Runs `f` on a free connection inside one read transaction (one consistent snapshot).
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(StoreError::internal)?;
        let conn = self.conns.lock().map_err(StoreError::internal)?.pop();
        // A connection is only missing if a read panicked; replace it.
        let conn = match conn {
            Some(c) => c,
            None => super::open_reader(&self.path)?,
        };
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = (|| {
                let tx = conn.unchecked_transaction()?;
                let r = f(&tx);
                drop(tx);
                r
            })();
            (conn, result)
        })
        .await
        .map_err(StoreError::internal)?;
        self.conns.lock().map_err(StoreError::internal)?.push(conn);
        result
    }
}
