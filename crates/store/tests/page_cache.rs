//! SQLite through timber's page cache (`sqlite/page_cache.rs`), in a process of its own so
//! that opening a store is the first use of SQLite and the wrapper is in place.

use rusqlite::Connection;
use timber_store::sqlite::{page_cache_wrapped, SqliteStore};

/// Rows of several "groups" appended in turn, as sends over many groups do: leaves in the
/// middle of the tree split again and again, which is what moves pages through the
/// temporary number the wrapper leaves out of its bound.
fn append_interleaved(conn: &Connection, groups: i64, seqs: std::ops::Range<i64>, tag: &str) {
    let tx = conn.unchecked_transaction().unwrap();
    for n in seqs {
        for g in 0..groups {
            tx.execute(
                "INSERT INTO msgs (g, seq, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![g, n, format!("{tag} {g} {n} {}", "x".repeat(120))],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn count(conn: &Connection, tag: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM msgs WHERE body LIKE ?1",
        [format!("{tag} %")],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn sqlite_reads_what_was_written_through_the_wrapped_cache() {
    let dir = tempfile::tempdir().unwrap();
    let _store = SqliteStore::open(&dir.path().join("timber.db")).unwrap();
    assert!(
        page_cache_wrapped(),
        "the first store installs the page cache"
    );

    // Rollback-journal mode: a connection that sees the file changed by another one drops
    // its whole cache (a truncation to page 1), so a truncation wrongly skipped would show
    // here as a stale read.
    let path = dir.path().join("pages.db");
    let a = Connection::open(&path).unwrap();
    let b = Connection::open(&path).unwrap();
    a.execute_batch(
        "PRAGMA journal_mode = DELETE;
         CREATE TABLE msgs (g INTEGER, seq INTEGER, body TEXT, PRIMARY KEY (g, seq)) WITHOUT ROWID;",
    )
    .unwrap();
    for round in 0..5 {
        append_interleaved(&a, 40, round * 100..round * 100 + 30, &format!("a{round}"));
        // `b` cached the table in the previous round; `a` has changed it since.
        assert_eq!(count(&b, &format!("a{round}")), 40 * 30);
        b.execute(
            "UPDATE msgs SET body = 'b' || ?1 || ' ' || g || ' ' || seq
             WHERE g = 7 AND body LIKE 'a' || ?1 || ' %'",
            [round],
        )
        .unwrap();
        // And `a` must see what `b` wrote.
        assert_eq!(count(&a, &format!("b{round}")), 30);
        assert_eq!(count(&a, &format!("a{round}")), 39 * 30);
    }

    // A transaction that grew the file and was rolled back: its pages lie past the end and
    // must leave the cache, and the file must read back whole.
    a.execute_batch("BEGIN").unwrap();
    for g in 0..40 {
        a.execute(
            "INSERT INTO msgs (g, seq, body) VALUES (?1, 1000, ?2)",
            rusqlite::params![g, "gone ".repeat(300)],
        )
        .unwrap();
    }
    assert_eq!(count(&a, "gone"), 40);
    a.execute_batch("ROLLBACK").unwrap();
    append_interleaved(&a, 40, 2000..2010, "kept");
    for conn in [&a, &b, &Connection::open(&path).unwrap()] {
        assert_eq!(count(conn, "gone"), 0);
        assert_eq!(count(conn, "kept"), 400);
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
}
