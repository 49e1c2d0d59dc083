//! The compile options `.cargo/config.toml` gives the bundled SQLite (`LIBSQLITE3_FLAGS`).
//! Built without them (from another directory, or with the variable overridden) SQLite still
//! works, but every thread using it takes two global locks again; the store says so at start
//! rather than running slower without a word (BENCHMARKS.md, ledger: SQLite build options).

use rusqlite::Connection;

/// The options as `PRAGMA compile_options` names them, and whether each must be present.
const EXPECTED: &[(&str, bool)] = &[
    ("DEFAULT_MEMSTATUS=0", true),
    ("ENABLE_MEMORY_MANAGEMENT", false),
];

/// What differs from `.cargo/config.toml` in the linked SQLite's options, as flags to set.
pub(crate) fn missing(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA compile_options")?;
    let options = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(differences(&options))
}

fn differences(options: &[String]) -> Vec<String> {
    EXPECTED
        .iter()
        .filter(|(name, wanted)| options.iter().any(|o| o == name) != *wanted)
        .map(|(name, wanted)| {
            if *wanted {
                format!("-DSQLITE_{name}")
            } else {
                format!("-USQLITE_{name}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(options: &[&str]) -> Vec<String> {
        options.iter().map(|o| o.to_string()).collect()
    }

    #[test]
    fn the_bundled_sqlite_has_the_options_of_cargo_config() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(missing(&conn).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_build_without_them_is_named_flag_by_flag() {
        assert_eq!(
            differences(&list(&["THREADSAFE=1", "ENABLE_MEMORY_MANAGEMENT"])),
            [
                "-DSQLITE_DEFAULT_MEMSTATUS=0",
                "-USQLITE_ENABLE_MEMORY_MANAGEMENT"
            ]
        );
        assert_eq!(
            differences(&list(&["DEFAULT_MEMSTATUS=1"])),
            ["-DSQLITE_DEFAULT_MEMSTATUS=0"]
        );
        assert!(differences(&list(&["DEFAULT_MEMSTATUS=0", "THREADSAFE=1"])).is_empty());
    }
}
