//! The SQLite store: the embedded default (a WAL file under the data directory) and, with no
//! file, the `memory` store. One writer thread commits in groups; reads use a small pool of
//! read-only connections that see only committed data.
//!
//! One process owns a database file (an exclusive lock on `<file>.lock`), so state that only
//! this process's writer can change may be cached in memory without ever being stale.

mod build_options;
mod checkpointer;
mod page_cache;
mod readers;
mod schema;
mod version;
mod wal_vfs;
mod writer;

use crate::backend::{Backend, RevokedCache};
use crate::ops::{accounts, ReadOp, SinkOp, WriteOp};
use crate::outbox::CallbackFilter;
use crate::sql::sqlite::{run_sync, SqliteTx};
use crate::{DbError, Result, Store, StoreError};
use checkpointer::{Checkpointer, RestartGate};
use readers::ReadPool;
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once, OnceLock};
use timber_core::message::{HistoryEntry, PageSink};
use writer::Writer;

/// Read connections of a file store; SQLite readers in WAL mode never block the writer.
const READERS: usize = 4;

pub struct SqliteStore {
    writer: Writer,
    /// `None` for the memory store, whose reads go through the writer.
    readers: Option<ReadPool>,
    /// Checkpoints the WAL in the background (file stores only).
    checkpointer: Option<Checkpointer>,
    /// Kick times: only this process's writer changes them (see `AccountStore::revoked_before`).
    revoked: RevokedCache,
    /// Whether the writer's connection was opened through the WAL VFS.
    wal_vfs: bool,
    /// Which after-events to record (set once by the HTTP layer; none until then).
    callbacks: OnceLock<Arc<dyn CallbackFilter>>,
    /// Where committed changes go (set once by the HTTP layer's member hub).
    changes: OnceLock<Arc<dyn timber_core::member::ChangeSink>>,
    /// Publishes changes in the order the writer committed them.
    sequencer: Arc<crate::publish::Sequencer>,
    _lock: Option<File>,
}

/// What an operator may choose about the SQLite store (`sqlite_*` keys of the configuration).
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Whether the writer's commits go through the WAL VFS (wal_vfs.rs). `false` uses
    /// SQLite's default VFS: the same files and durability, more system calls per commit.
    pub wal_vfs: bool,
    /// Whether SQLite's page cache is wrapped (page_cache.rs) to skip a walk of the whole
    /// cache at many commits. Process-wide: it takes effect only if this is the first store
    /// opened in the process (before SQLite starts), and stays for the process.
    pub page_cache: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            wal_vfs: true,
            page_cache: true,
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, migrated to the current
    /// schema, with the default options.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_with(path, &SqliteOptions::default())
    }

    /// Opens the database file at `path` as `open` does, with `options`.
    pub fn open_with(path: &Path, options: &SqliteOptions) -> Result<SqliteStore> {
        if options.page_cache {
            install_page_cache();
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(StoreError::internal)?;
        }
        let lock_path = PathBuf::from(format!("{}.lock", path.display()));
        let lock = File::create(&lock_path).map_err(StoreError::internal)?;
        lock.try_lock().map_err(|_| {
            StoreError::internal(format!(
                "{} is in use by another timber process (lock {})",
                path.display(),
                lock_path.display()
            ))
        })?;
        // The writer's connection hands each commit to the WAL in a few large writes
        // (wal_vfs.rs), unless it is turned off or not made for this SQLite.
        let wal_vfs = options.wal_vfs && wal_vfs_usable();
        let mut conn = if wal_vfs {
            Connection::open_with_flags_and_vfs(path, OpenFlags::default(), wal_vfs::NAME)
        } else {
            Connection::open(path)
        }
        .map_err(StoreError::internal)?;
        warn_about_build(&conn);
        // temp_store stays at its default (files), although a send's statement journal then
        // lives in memory all the same: with temp_store = MEMORY SQLite keeps that journal
        // (each job's SAVEPOINT copies the pages it first touches there) in 1 KiB pieces, a
        // malloc and a free for each, 8% of the writer's instructions; at the default it is
        // one 64 KiB buffer, spilled to a temporary file only past that (BENCHMARKS.md,
        // ledger: temp_store at its default).
        // A new database gets 2 KiB pages instead of SQLite's 4 KiB. A send dirties a few
        // pages (its group's newest leaf, its duplicate-window leaf, the group's row), and
        // every byte of them is copied into the WAL, checksummed, fsynced and checkpointed:
        // pages half the size cut the writer's and the syncer's CPU per spread send by 8%
        // and 13% (BENCHMARKS.md, ledger: 2 KiB pages). A database that exists keeps its
        // page size (SQLite fixes it at creation); this pragma then changes nothing.
        conn.execute_batch(
            "PRAGMA page_size = 2048;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -16000;
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(StoreError::internal)?;
        schema::migrate(&conn)?;
        let revoked = load_revoked(&mut conn)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_reader(path)?);
        }
        // Commits no longer fsync inside SQLite: the writer's syncer fsyncs the WAL before
        // answering (see writer.rs). The WAL exists now: the migrations wrote to it.
        // If the WAL cannot be opened here, commits keep their own fsync (synchronous = FULL).
        let wal = std::fs::File::open(format!("{}-wal", path.display())).ok();
        if wal.is_some() {
            conn.execute_batch("PRAGMA synchronous = NORMAL;")
                .map_err(StoreError::internal)?;
        }
        let gate = Arc::new(RestartGate::default());
        let checkpointer = Checkpointer::start(Connection::open(path)?, gate.clone())
            .map_err(StoreError::internal)?;
        Ok(SqliteStore {
            writer: Writer::start(conn, wal, gate),
            readers: Some(ReadPool::new(readers, path.to_owned())),
            checkpointer: Some(checkpointer),
            revoked,
            wal_vfs,
            callbacks: OnceLock::new(),
            changes: OnceLock::new(),
            sequencer: Arc::default(),
            _lock: Some(lock),
        })
    }

    /// A store that lives in memory only and is gone when the process ends.
    pub fn open_memory() -> Result<SqliteStore> {
        install_page_cache();
        let conn = Connection::open_in_memory().map_err(StoreError::internal)?;
        warn_about_build(&conn);
        schema::migrate(&conn)?;
        Ok(SqliteStore {
            writer: Writer::start(conn, None, Arc::default()),
            readers: None,
            checkpointer: None,
            revoked: RevokedCache::default(),
            wal_vfs: false,
            callbacks: OnceLock::new(),
            changes: OnceLock::new(),
            sequencer: Arc::default(),
            _lock: None,
        })
    }

    /// Whether the writer's commits go through the WAL VFS (never for the memory store,
    /// which has no WAL).
    pub fn uses_wal_vfs(&self) -> bool {
        self.wal_vfs
    }

    /// Rows this store has inserted, updated or deleted since it was opened. Tests use it to
    /// show that an operation's cost does not depend on the size of the data (clear_group_msg
    /// writes the same rows on a group of ten messages and of ten million).
    pub fn rows_written(&self) -> u64 {
        self.writer.rows_written()
    }
}

/// Registers the WAL VFS if this SQLite is the one it was written for; otherwise warns
/// (once per process) that the default VFS is used.
fn wal_vfs_usable() -> bool {
    static WARNED: Once = Once::new();
    match wal_vfs::usable() {
        Ok(()) => true,
        Err(why) => {
            WARNED.call_once(|| {
                tracing::warn!("the SQLite WAL VFS is off: {why}; commits use the default VFS")
            });
            false
        }
    }
}

/// Wraps SQLite's page cache if this SQLite is the one the wrapper was written for;
/// otherwise warns (once per process) that SQLite's own cache is used.
fn install_page_cache() {
    static WARNED: Once = Once::new();
    match version::check() {
        Ok(()) => page_cache::install(),
        Err(why) => WARNED.call_once(|| {
            tracing::warn!("the SQLite page-cache wrapper is off: {why}; SQLite's own is used")
        }),
    }
}

/// Whether SQLite's page cache in this process is wrapped by timber's (page_cache.rs): it is
/// when the first store opened in the process asked for it before SQLite started.
pub fn page_cache_wrapped() -> bool {
    page_cache::installed()
}

/// Warns (once per process) when the linked SQLite lacks the build options of
/// `.cargo/config.toml`: everything works, with more CPU per request.
fn warn_about_build(conn: &Connection) {
    static CHECKED: Once = Once::new();
    CHECKED.call_once(|| match build_options::missing(conn) {
        Ok(flags) if flags.is_empty() => {}
        Ok(flags) => tracing::warn!(
            "SQLite was built without the options of .cargo/config.toml ({}): it takes \
             global locks on every allocation and page-cache access; build timber from \
             its repository so cargo applies LIBSQLITE3_FLAGS",
            flags.join(" ")
        ),
        Err(e) => tracing::warn!("could not read SQLite's compile options: {e}"),
    });
}

/// Loads the kick times at start-up; afterwards this process's writer keeps them current.
fn load_revoked(conn: &mut Connection) -> Result<RevokedCache> {
    let all = run_sync(accounts::all_revoked(&mut SqliteTx::new(conn)))?;
    Ok(RevokedCache::new(all))
}

/// Writes are jobs of the single writer's group commit; short reads run in place on the
/// calling thread's read connection, long ones on the blocking pool. The memory store has no
/// read connections: its reads are jobs of the writer too.
impl Backend for SqliteStore {
    async fn write<O: WriteOp>(&self, op: O) -> Result<O::Out> {
        let filter = self.callbacks.get().cloned();
        let f = filter.clone();
        let ip = crate::outbox::client_ip();
        let sink = self.changes.get().cloned();
        let sequencer = self.sequencer.clone();
        let origin = sink.as_ref().map_or(0, |s| s.origin());
        let (out, recorded, ticket) = self
            .writer
            .run(move |conn| {
                run_sync(async {
                    let t = &mut SqliteTx::new(conn);
                    let (out, recorded) = crate::ops::run(&op, t, f.as_deref(), &ip).await?;
                    // The ticket is taken here, on the writer thread, in commit order.
                    let ticket = sink.and_then(|s| {
                        let (app, changes) = crate::ops::changes_of(&op, &out, Some(&*s))?;
                        Some(sequencer.ticket(app, changes, origin, s))
                    });
                    Ok::<_, crate::StoreError>((out, recorded, ticket))
                })
            })
            .await?;
        if let (true, Some(filter)) = (recorded, filter) {
            filter.recorded();
        }
        // Committed and durable: members may hear of it now, after the writes committed
        // before it.
        if let Some(ticket) = ticket {
            ticket.committed();
        }
        Ok(out)
    }

    async fn read<O: ReadOp>(&self, op: O) -> Result<O::Out> {
        let read = move |conn: &mut Connection| run_sync(op.read(&mut SqliteTx::new(conn)));
        match &self.readers {
            Some(pool) => pool.run_here(read),
            None => self.writer.run(read).await,
        }
    }

    async fn scan<O: ReadOp>(&self, op: O) -> Result<O::Out> {
        let read = move |conn: &mut Connection| run_sync(op.read(&mut SqliteTx::new(conn)));
        match &self.readers {
            Some(pool) => pool.run(read).await,
            None => self.writer.run(read).await,
        }
    }

    /// The writer thread cannot borrow the caller's sink: there the entries are collected and
    /// handed over afterwards.
    async fn read_into<O: SinkOp>(&self, op: O, sink: &mut dyn PageSink) -> Result<O::Out> {
        match &self.readers {
            Some(pool) => {
                pool.run_here(|conn| run_sync(op.read_into(&mut SqliteTx::new(conn), sink)))
            }
            None => {
                let (entries, out) = self
                    .writer
                    .run(move |conn| {
                        let mut entries: Vec<HistoryEntry> = Vec::new();
                        let t = &mut SqliteTx::new(conn);
                        let out = run_sync(op.read_into(t, &mut entries))?;
                        Ok((entries, out))
                    })
                    .await?;
                for e in &entries {
                    sink.entry(e.as_ref());
                }
                Ok(out)
            }
        }
    }

    fn revoked_cache(&self) -> Option<&RevokedCache> {
        Some(&self.revoked)
    }

    fn install_callback_filter(&self, filter: Arc<dyn CallbackFilter>) {
        let _ = self.callbacks.set(filter);
    }

    fn install_change_sink(&self, sink: Arc<dyn timber_core::member::ChangeSink>) {
        let _ = self.changes.set(sink);
    }
}

pub(crate) fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::internal)?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000;")
        .map_err(StoreError::internal)?;
    Ok(conn)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        let ping = |c: &mut Connection| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?);
        match &self.readers {
            Some(pool) => pool.run_here(ping),
            None => self.writer.run(ping).await,
        }
    }

    async fn close(&self) {
        if let Some(c) = &self.checkpointer {
            c.stop();
        }
        self.writer.close();
    }

    fn gauges(&self) -> crate::StoreGauges {
        use std::sync::atomic::Ordering::Acquire;
        let load = self.writer.load();
        crate::StoreGauges {
            writer_queue: Some(load.queued.load(Acquire)),
            writer_last_batch: Some(load.last_batch.load(Acquire)),
            writer_batches: Some(load.batches.load(Acquire)),
            ..Default::default()
        }
    }
}

/// Maps any rusqlite error to an internal store error (`?` on rusqlite calls).
impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::internal(e)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{AccountStore, NewAccount};

    fn page_size(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    }

    /// Opens `path`, stores an account, closes, opens again and reads it back.
    async fn write_and_read_back(path: &Path) {
        write_and_read_back_with(path, &SqliteOptions::default()).await
    }

    async fn write_and_read_back_with(path: &Path, options: &SqliteOptions) {
        let app: timber_core::AppId = 1;
        let store = SqliteStore::open_with(path, options).unwrap();
        assert_eq!(store.uses_wal_vfs(), options.wal_vfs);
        store
            .import_accounts(app, vec![NewAccount::bare("kept")], 1)
            .await
            .unwrap();
        store.close().await;
        drop(store); // releases the data directory's lock
        let store = SqliteStore::open_with(path, options).unwrap();
        let found = store.accounts_exist(app, vec!["kept".into()]).await;
        assert_eq!(found.unwrap(), vec![true]);
        store.close().await;
    }

    /// `sqlite_wal_vfs = false`: the same file, written through SQLite's default VFS, and
    /// a file written either way opens and reads the other way.
    #[tokio::test]
    async fn the_wal_vfs_can_be_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timber.db");
        let off = SqliteOptions {
            wal_vfs: false,
            ..SqliteOptions::default()
        };
        write_and_read_back_with(&path, &off).await;
        write_and_read_back(&path).await;
        write_and_read_back_with(&path, &off).await;
        assert!(!SqliteStore::open_memory().unwrap().uses_wal_vfs());
    }

    #[tokio::test]
    async fn a_new_database_has_2_kib_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timber.db");
        write_and_read_back(&path).await;
        assert_eq!(page_size(&path), 2048);
    }

    /// A database made before timber chose 2 KiB pages (or by another tool) keeps its own
    /// page size: SQLite fixes it when the file is created, and nothing in it is rewritten.
    #[tokio::test]
    async fn an_existing_database_keeps_its_page_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timber.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA page_size = 4096;
                 CREATE TABLE made_elsewhere (x);
                 PRAGMA journal_mode = WAL;",
            )
            .unwrap();
        assert_eq!(page_size(&path), 4096);
        write_and_read_back(&path).await;
        assert_eq!(page_size(&path), 4096);
    }
}
