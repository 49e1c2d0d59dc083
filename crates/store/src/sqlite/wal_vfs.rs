//! A SQLite VFS that hands each WAL commit to the kernel in a few large writes.
//!
//! SQLite appends a transaction to the WAL frame by frame, and each frame is two `pwrite`
//! calls: the 24-byte frame header, then the page, which straddles two pages of the page
//! cache because of that header. A send over 1,000 groups commits about 80 frames, so the
//! writer thread spent 41% of its time in those calls (BENCHMARKS.md, ledger: WAL VFS). This
//! VFS wraps the platform's default one and, for WAL files only, gathers consecutive appends
//! in memory and writes them out when the commit frame arrives, in calls of up to 124 KiB.
//! Main database files, journals and temporary files go straight to the default VFS,
//! untouched.
//!
//! Why nothing changes for readers or for durability: SQLite publishes a transaction to other
//! connections (the wal-index header) only after its commit frame has been written, and the
//! commit frame is written through at once, together with everything gathered before it. The
//! frames of a transaction that is still open can only be read by the connection writing
//! them, through this file, and every read (and sync, size, truncate and close) first writes
//! out what is gathered. Writes are never reordered: a write that does not continue the
//! gathered run writes the run out first. So at every point SQLite can observe, the file
//! holds exactly what the default VFS would have written; only the moment each byte of an
//! unfinished transaction reaches the kernel moves later.

use rusqlite::ffi;
use std::ffi::{c_int, c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

/// The name to open a connection with (`Connection::open_with_flags_and_vfs`).
pub(crate) const NAME: &CStr = c"timber-wal";

/// A WAL frame header; bytes 4..8 hold the database size after a commit, 0 in other frames.
const FRAME_HEADER: usize = 24;

/// A transaction larger than this is written out in runs of this size.
const MAX_RUN: usize = 8 << 20;

/// The VFS this one wraps (the platform default), set once by `register`.
static INNER: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(ptr::null_mut());

/// An open WAL file: SQLite's file header, then our state; the default VFS's own file
/// structure lives `INNER_OFFSET` bytes after the start.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    /// Bytes written by SQLite but not yet passed on, starting at file offset `run_at`.
    run: Vec<u8>,
    run_at: i64,
    /// Where the page of the commit frame whose header was just written will go.
    commit_page_at: Option<i64>,
}

const INNER_OFFSET: usize = std::mem::size_of::<WalFile>().next_multiple_of(16);

/// Registers the VFS when the linked SQLite is the one it was written for; otherwise says
/// why not, and SQLite's default VFS is to be used.
pub(crate) fn usable() -> Result<(), String> {
    super::version::check()?;
    register()
}

/// Registers the VFS under `NAME` (once per process; later calls return the first outcome).
fn register() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        // SAFETY: sqlite3_vfs_find initializes SQLite and returns the default VFS, which
        // lives for the whole process. The copy we register is leaked, so it does too.
        unsafe {
            let inner = ffi::sqlite3_vfs_find(ptr::null());
            if inner.is_null() {
                return Err("SQLite has no default VFS".to_owned());
            }
            INNER.store(inner, Ordering::Release);
            let mut vfs = *inner;
            vfs.szOsFile = c_int::try_from(INNER_OFFSET)
                .ok()
                .and_then(|offset| offset.checked_add((*inner).szOsFile))
                .ok_or("the default VFS's file structure is too large")?;
            vfs.pNext = ptr::null_mut();
            vfs.zName = NAME.as_ptr();
            vfs.xOpen = Some(open);
            let rc = ffi::sqlite3_vfs_register(Box::leak(Box::new(vfs)), 0);
            if rc != ffi::SQLITE_OK {
                return Err(format!("registering the WAL VFS failed (SQLite code {rc})"));
            }
            Ok(())
        }
    })
    .clone()
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite allocated `file` with our szOsFile bytes. Files other than the WAL use
    // it as the default VFS's own structure (it is at least that large); a WAL file gets
    // our header first and the default VFS's structure at INNER_OFFSET.
    unsafe {
        let inner_vfs = INNER.load(Ordering::Acquire);
        let Some(inner_open) = (*inner_vfs).xOpen else {
            return ffi::SQLITE_CANTOPEN;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            return inner_open(inner_vfs, name, file, flags, out_flags);
        }
        let inner = file
            .cast::<u8>()
            .add(INNER_OFFSET)
            .cast::<ffi::sqlite3_file>();
        let rc = inner_open(inner_vfs, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            (*file).pMethods = ptr::null();
            return rc;
        }
        file.cast::<WalFile>().write(WalFile {
            base: ffi::sqlite3_file {
                pMethods: &WAL_METHODS,
            },
            inner,
            run: Vec::new(),
            run_at: 0,
            commit_page_at: None,
        });
        ffi::SQLITE_OK
    }
}

/// Version 1: SQLite maps shared memory and pages only through the main database file.
static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// SAFETY (for every method below): SQLite calls them only on files `open` set up as a
/// `WalFile`, one call at a time per file.
unsafe fn wal<'a>(file: *mut ffi::sqlite3_file) -> &'a mut WalFile {
    unsafe { &mut *file.cast::<WalFile>() }
}

/// Calls the default VFS's method `$m` on the wrapped file.
macro_rules! inner {
    ($w:expr, $m:ident $(, $arg:expr)*) => {{
        let w: &WalFile = $w;
        match (*(*w.inner).pMethods).$m {
            Some(f) => f(w.inner $(, $arg)*),
            None => ffi::SQLITE_MISUSE,
        }
    }};
}

/// The default unix VFS writes at most 128 KiB − 1 bytes per call (it masks larger sizes).
const MAX_WRITE: usize = 0x1f000;

/// Passes the gathered run on to the default VFS, in as few writes as it accepts.
unsafe fn write_out(w: &mut WalFile) -> c_int {
    let mut rc = ffi::SQLITE_OK;
    let mut at = w.run_at;
    for chunk in w.run.chunks(MAX_WRITE) {
        // A chunk is at most MAX_WRITE bytes, so it fits a c_int.
        rc = unsafe {
            inner!(
                w,
                xWrite,
                chunk.as_ptr().cast::<c_void>(),
                chunk.len() as c_int,
                at
            )
        };
        if rc != ffi::SQLITE_OK {
            break;
        }
        at += chunk.len() as i64;
        #[cfg(test)]
        tests::WRITES_PASSED_ON.fetch_add(1, Ordering::Relaxed);
    }
    w.run.clear();
    rc
}

/// Writes out the gathered run, then calls `$m` on the wrapped file.
macro_rules! after_write_out {
    ($file:expr, $m:ident $(, $arg:expr)*) => {
        unsafe {
            let w = wal($file);
            match write_out(w) {
                ffi::SQLITE_OK => inner!(w, $m $(, $arg)*),
                rc => rc,
            }
        }
    };
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe {
        let w = wal(file);
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        if !w.run.is_empty() && offset != w.run_at + w.run.len() as i64 {
            let rc = write_out(w);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if w.run.is_empty() {
            w.run_at = offset;
        }
        w.run.extend_from_slice(bytes);
        // A commit is published as soon as its last frame is written: write out at its
        // header (which also covers a header rewritten alone, when SQLite recomputes the
        // checksums of overwritten frames) and again after its page.
        let ends_commit = w.commit_page_at.take() == Some(offset);
        let commit_header = len == FRAME_HEADER && bytes[4..8] != [0; 4];
        if commit_header {
            w.commit_page_at = Some(offset + FRAME_HEADER as i64);
        }
        if commit_header || ends_commit || w.run.len() >= MAX_RUN {
            return write_out(w);
        }
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let w = wal(file);
        let written = write_out(w);
        let closed = inner!(w, xClose);
        ptr::drop_in_place(file.cast::<WalFile>());
        if written != ffi::SQLITE_OK {
            written
        } else {
            closed
        }
    }
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    after_write_out!(file, xRead, buf, amount, offset)
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    after_write_out!(file, xTruncate, size)
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    after_write_out!(file, xSync, flags)
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    after_write_out!(file, xFileSize, size)
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    after_write_out!(file, xFileControl, op, arg)
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { inner!(wal(file), xLock, level) }
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { inner!(wal(file), xUnlock, level) }
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { inner!(wal(file), xCheckReservedLock, out) }
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { inner!(wal(file), xSectorSize) }
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { inner!(wal(file), xDeviceCharacteristics) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_sqlite_uses_it() {
        assert!(super::usable().is_ok(), "{:?}", super::usable());
    }

    use super::*;
    use rusqlite::{Connection, OpenFlags};
    use std::sync::atomic::AtomicUsize;

    /// Writes passed on to the default VFS, to show the test went through this VFS at all.
    pub(super) static WRITES_PASSED_ON: AtomicUsize = AtomicUsize::new(0);

    /// Held by each test here: both count this VFS's writes, and one of them limits the
    /// size of every file the process writes.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn open(path: &std::path::Path) -> Connection {
        register().unwrap();
        let conn = Connection::open_with_flags_and_vfs(path, OpenFlags::default(), NAME).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = 8;
             CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL);",
        )
        .unwrap();
        conn
    }

    /// The rows of `t`, summed up: (count, sum of key × blob length).
    fn contents(conn: &Connection) -> (i64, f64) {
        conn.query_row("SELECT count(*), total(k * length(v)) FROM t", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    }

    /// What a crash now would leave: a copy of `db` and its WAL, opened (so recovered from
    /// the WAL, whose checksums must be valid) and checked.
    fn after_crash(dir: &std::path::Path, round: i64) -> (i64, f64) {
        let copy = dir.join(format!("copy{round}"));
        std::fs::copy(dir.join("db"), &copy).unwrap();
        std::fs::copy(dir.join("db-wal"), dir.join(format!("copy{round}-wal"))).unwrap();
        let recovered = Connection::open(&copy).unwrap();
        let check: String = recovered
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        contents(&recovered)
    }

    /// Every commit is complete in the file the moment it returns: another connection sees
    /// it, and a copy of the files taken then (what a crash would leave) recovers it with
    /// valid checksums. The transactions are large enough to spill pages before the commit
    /// (frames SQLite later overwrites and re-checksums) and include rolled-back savepoints;
    /// another connection's RESTART checkpoints make the WAL start over now and then.
    #[test]
    fn every_commit_is_in_the_file_when_it_returns() {
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let writer = open(&path);
        let reader = Connection::open(&path).unwrap();
        let mut frames = 0;
        for round in 0..40i64 {
            writer.execute_batch("BEGIN IMMEDIATE").unwrap();
            let rows = 1 + (round * 37) % 200;
            for i in 0..rows {
                let k = (round * 1000 + i * 7919) % 5000;
                writer
                    .execute(
                        "INSERT OR REPLACE INTO t (k, v) VALUES (?1, zeroblob(?2))",
                        (k, 100 + (i % 5) * 300),
                    )
                    .unwrap();
            }
            writer
                .execute_batch("SAVEPOINT undo; DELETE FROM t; ROLLBACK TO undo; RELEASE undo")
                .unwrap();
            // Touch early pages again so that spilled frames are overwritten before commit.
            writer
                .execute("UPDATE t SET v = zeroblob(50) WHERE k < ?1", [round * 10])
                .unwrap();
            writer.execute_batch("COMMIT").unwrap();
            // Before the writer does anything else: its next read would write out any run
            // still held back.
            let recovered = after_crash(dir.path(), round);
            let written = contents(&writer);
            assert_eq!(recovered, written, "round {round}");
            assert_eq!(contents(&reader), written, "round {round}");
            if round % 10 == 5 {
                // Another connection checkpoints the whole WAL, so that the writer's next
                // commit starts the WAL over from its first byte.
                let (busy, in_wal): (i64, usize) = reader
                    .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .unwrap();
                assert_eq!(busy, 0);
                frames += in_wal;
            }
        }
        let in_wal: usize = writer
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap();
        assert!(
            in_wal > 0,
            "the last crash copy had nothing to recover from its WAL"
        );
        frames += in_wal;
        assert!(frames > 1000, "the test wrote only {frames} WAL frames");
        // With a cache this small every transaction spills and reads pages back, so runs
        // are short; what matters here is that they went through this VFS at all.
        assert!(WRITES_PASSED_ON.load(Ordering::Relaxed) > 0);

        // With room in the cache, as the store's writer has, a commit's frames go out in a
        // few large writes. The WAL was just checkpointed, so this commit starts it over and
        // the WAL then holds exactly its frames.
        writer.execute_batch("PRAGMA cache_size = 2000").unwrap();
        let writes_before = WRITES_PASSED_ON.load(Ordering::Relaxed);
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        for k in 10_000..10_300i64 {
            writer
                .execute("INSERT INTO t (k, v) VALUES (?1, zeroblob(2000))", [k])
                .unwrap();
        }
        writer.execute_batch("COMMIT").unwrap();
        let writes = WRITES_PASSED_ON.load(Ordering::Relaxed) - writes_before;
        let frames: usize = writer
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap();
        assert!(frames > 100, "the commit wrote only {frames} frames");
        assert!(
            writes * 10 < frames,
            "{writes} writes for a commit of {frames} frames"
        );
    }

    /// Sets the largest size this process may write any file to (RLIMIT_FSIZE, soft limit)
    /// and returns the previous one.
    fn limit_file_size(bytes: libc::rlim_t) -> libc::rlim_t {
        // SAFETY: plain system calls on this process's own limits and signal disposition.
        unsafe {
            // Past the limit a write fails with EFBIG instead of the process being killed.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let mut limit = std::mem::zeroed::<libc::rlimit>();
            assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
            let previous = limit.rlim_cur;
            limit.rlim_cur = bytes.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
            previous
        }
    }

    /// When the default VFS fails to write a gathered commit (here: the file may not grow),
    /// COMMIT reports the error, and neither other connections nor a crash see any of the
    /// transaction, nor lose anything committed before it. Once writes work again, the same
    /// connection commits normally.
    #[test]
    fn a_failed_write_fails_the_commit_and_keeps_what_was_committed() {
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let writer = open(&path);
        writer.execute_batch("PRAGMA cache_size = 2000").unwrap();
        let insert = |from: i64, to: i64| {
            writer.execute_batch("BEGIN IMMEDIATE")?;
            for k in from..to {
                writer.execute("INSERT INTO t (k, v) VALUES (?1, zeroblob(2000))", [k])?;
            }
            writer.execute_batch("COMMIT")
        };
        insert(0, 50).unwrap();
        let committed = contents(&writer);
        let wal_len = std::fs::metadata(dir.path().join("db-wal")).unwrap().len();

        let writes_before = WRITES_PASSED_ON.load(Ordering::Relaxed);
        let unlimited = limit_file_size(wal_len + 64 * 1024);
        let failed = insert(50, 350);
        limit_file_size(unlimited);
        let err = failed.expect_err("a commit that could not be written succeeded");
        assert!(
            matches!(
                err.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
            ),
            "{err}"
        );
        // The failure came from a gathered write-out: nothing was passed on before it.
        assert_eq!(WRITES_PASSED_ON.load(Ordering::Relaxed), writes_before);
        if !writer.is_autocommit() {
            writer.execute_batch("ROLLBACK").unwrap();
        }
        let reader = Connection::open(&path).unwrap();
        assert_eq!(contents(&reader), committed);
        assert_eq!(after_crash(dir.path(), 1), committed);

        insert(50, 60).unwrap();
        let written = contents(&writer);
        assert_eq!(written.0, 60);
        assert_eq!(contents(&reader), written);
        assert_eq!(after_crash(dir.path(), 2), written);
    }
}
