//! Brings a SQLite database to the newest schema (`crate::schema`), recording the version in
//! `PRAGMA user_version`.

use crate::schema::{migrations, SQLITE};
use crate::{Result, StoreError};
use rusqlite::Connection;

/// Applies the migrations the database lacks; each in its own transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let all = migrations(&SQLITE);
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > all.len() {
        return Err(StoreError::internal(format!(
            "the database schema (version {current}) is newer than this timber (version {})",
            all.len()
        )));
    }
    for (i, sql) in all.iter().enumerate().skip(current) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
