//! Accounts on SQLite. spec: accounts.md.

use super::SqliteStore;
use crate::{AccountStore, NewAccount, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use timber_core::AppId;

/// Loads the kick times at start-up; afterwards this process's writer keeps them current.
pub(super) fn load_revoked(conn: &Connection) -> Result<HashMap<(AppId, String), i64>> {
    let mut stmt = conn.prepare(
        "SELECT app, user_id, revoked_before FROM accounts WHERE revoked_before IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(((r.get::<_, i64>(0)? as AppId, r.get(1)?), r.get(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn account_exists(conn: &Connection, app: AppId, user: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM accounts WHERE app = ?1 AND user_id = ?2")?
        .query_row(params![app as i64, user], |_| Ok(()))
        .optional()?
        .is_some())
}

#[async_trait::async_trait]
impl AccountStore for SqliteStore {
    async fn import_accounts(&self, app: AppId, accounts: Vec<NewAccount>, now: i64) -> Result<()> {
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT INTO accounts (app, user_id, nick, face_url, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (app, user_id) DO UPDATE SET
                     nick = coalesce(excluded.nick, nick),
                     face_url = coalesce(excluded.face_url, face_url)",
            )?;
            for a in &accounts {
                stmt.execute(params![app as i64, a.user_id, a.nick, a.face_url, now])?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        let deleted = users.clone();
        let existed = self
            .write(move |c| {
                let mut out = Vec::with_capacity(users.len());
                for user in &users {
                    let n = c
                        .prepare_cached("DELETE FROM accounts WHERE app = ?1 AND user_id = ?2")?
                        .execute(params![app as i64, user])?;
                    if n > 0 {
                        leave_all_groups(c, app, user)?;
                    }
                    out.push(n > 0);
                }
                Ok(out)
            })
            .await?;
        if let Ok(mut revoked) = self.revoked.write() {
            for user in deleted {
                revoked.remove(&(app, user));
            }
        }
        Ok(existed)
    }

    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        self.read(move |c| users.iter().map(|u| account_exists(c, app, u)).collect())
            .await
    }

    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool> {
        let key = (app, user.clone());
        let found = self
            .write(move |c| {
                let n = c
                    .prepare_cached(
                        "UPDATE accounts SET revoked_before = ?3 WHERE app = ?1 AND user_id = ?2",
                    )?
                    .execute(params![app as i64, user, at])?;
                Ok(n > 0)
            })
            .await?;
        if found {
            if let Ok(mut revoked) = self.revoked.write() {
                revoked.insert(key, at);
            }
        }
        Ok(found)
    }

    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>> {
        let revoked = self.revoked.read().map_err(crate::StoreError::internal)?;
        if revoked.is_empty() {
            return Ok(None);
        }
        Ok(revoked.get(&(app, user.to_owned())).copied())
    }
}

/// A deleted account leaves every group it was in (accounts.md §3): member counts drop, an
/// owned group becomes ownerless, its mutes go.
fn leave_all_groups(c: &Connection, app: AppId, user: &str) -> Result<()> {
    let app = app as i64;
    c.prepare_cached(
        "UPDATE groups SET member_num = member_num - 1
         WHERE gkey IN (SELECT gkey FROM group_members WHERE app = ?1 AND user_id = ?2)",
    )?
    .execute(params![app, user])?;
    c.prepare_cached("UPDATE groups SET owner = '' WHERE app = ?1 AND owner = ?2")?
        .execute(params![app, user])?;
    c.prepare_cached("DELETE FROM group_members WHERE app = ?1 AND user_id = ?2")?
        .execute(params![app, user])?;
    c.prepare_cached("DELETE FROM group_mutes WHERE app = ?1 AND user_id = ?2")?
        .execute(params![app, user])?;
    Ok(())
}
