//! Accounts on SQLite: the shared operations, plus the in-memory kick times.

use super::{read_op, write_op, SqliteStore};
use crate::ops::accounts;
use crate::sql::sqlite::{run_sync, SqliteTx};
use crate::{AccountStore, NewAccount, Result, StoreError};
use rusqlite::Connection;
use std::collections::HashMap;
use timber_core::AppId;

/// Loads the kick times at start-up; afterwards this process's writer keeps them current.
pub(super) fn load_revoked(conn: &Connection) -> Result<HashMap<(AppId, String), i64>> {
    let all = run_sync(accounts::all_revoked(&mut SqliteTx::new(conn)))?;
    Ok(all
        .into_iter()
        .map(|(app, user, at)| ((app, user), at))
        .collect())
}

#[async_trait::async_trait]
impl AccountStore for SqliteStore {
    async fn import_accounts(&self, app: AppId, list: Vec<NewAccount>, now: i64) -> Result<()> {
        write_op!(self, t => accounts::import(t, app, &list, now))
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        let deleted = users.clone();
        let existed = write_op!(self, t => accounts::delete(t, app, &users))?;
        if let Ok(mut revoked) = self.revoked.write() {
            for user in deleted {
                revoked.remove(&(app, user));
            }
        }
        Ok(existed)
    }

    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        read_op!(self, t => accounts::exist(t, app, &users))
    }

    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool> {
        let key = (app, user.clone());
        let found = write_op!(self, t => accounts::kick(t, app, &user, at))?;
        if found {
            if let Ok(mut revoked) = self.revoked.write() {
                revoked.insert(key, at);
            }
        }
        Ok(found)
    }

    /// From memory: only this process writes the file, and it updates the map after each
    /// committed kick or delete, so the answer is never stale (and costs no query).
    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>> {
        let revoked = self.revoked.read().map_err(StoreError::internal)?;
        if revoked.is_empty() {
            return Ok(None);
        }
        Ok(revoked.get(&(app, user.to_owned())).copied())
    }
}
