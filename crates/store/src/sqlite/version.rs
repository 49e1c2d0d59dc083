//! The SQLite release timber's low-level SQLite code (the WAL VFS, the page-cache wrapper)
//! was written and tested against. Both lean on SQLite internals no API promises: the WAL's
//! frame layout and when SQLite reads, syncs and truncates it; how a B-tree split moves a
//! page through a temporary number and when the cache is asked to truncate. A new series
//! must be checked against their tests (wal_vfs.rs, page_cache.rs, tests/page_cache.rs, the
//! kill -9 tests) before it is trusted; until then both stay off and SQLite's own are used.

/// The series (3.50, bundled by libsqlite3-sys 0.35).
const WRITTEN_FOR: (i32, i32) = (3, 50);

/// Ok on the series the code was written for; otherwise why not.
pub(crate) fn check() -> Result<(), String> {
    if fits(rusqlite::version_number()) {
        Ok(())
    } else {
        Err(format!(
            "it was written for SQLite {}.{} and this is SQLite {}",
            WRITTEN_FOR.0,
            WRITTEN_FOR.1,
            rusqlite::version()
        ))
    }
}

/// Whether `sqlite3_libversion_number` (e.g. 3050002) is of the series.
fn fits(number: i32) -> bool {
    (number / 1_000_000, number / 1000 % 1000) == WRITTEN_FOR
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_series_it_was_written_for_fits() {
        assert!(super::fits(3_050_000));
        assert!(super::fits(3_050_999));
        assert!(!super::fits(3_049_002));
        assert!(!super::fits(3_051_000));
        assert!(!super::fits(4_050_000));
        assert!(super::check().is_ok(), "the bundled SQLite is the one");
    }
}
