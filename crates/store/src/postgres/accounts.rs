//! Accounts on PostgreSQL. spec: accounts.md.

use super::{tx, PgStore};
use crate::{AccountStore, NewAccount, Result, StoreError};
use deadpool_postgres::GenericClient;
use timber_core::AppId;

pub(crate) async fn account_exists(c: &impl GenericClient, app: AppId, user: &str) -> Result<bool> {
    let stmt = c
        .prepare_cached("SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2")
        .await?;
    Ok(c.query_opt(&stmt, &[&(app as i64), &user]).await?.is_some())
}

#[async_trait::async_trait]
impl AccountStore for PgStore {
    async fn import_accounts(&self, app: AppId, accounts: Vec<NewAccount>, now: i64) -> Result<()> {
        tx!(self, t => {
            let stmt = t
                .prepare_cached(
                    "INSERT INTO accounts (app, user_id, nick, face_url, created_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (app, user_id) DO UPDATE SET
                         nick = coalesce(excluded.nick, accounts.nick),
                         face_url = coalesce(excluded.face_url, accounts.face_url)",
                )
                .await?;
            for a in &accounts {
                t.execute(&stmt, &[&(app as i64), &a.user_id, &a.nick, &a.face_url, &now])
                    .await?;
            }
            Ok(())
        })
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        tx!(self, t => {
            let mut out = Vec::with_capacity(users.len());
            for user in &users {
                let n = t
                    .execute("DELETE FROM accounts WHERE app = $1 AND user_id = $2", &[&(app as i64), user])
                    .await?;
                if n > 0 {
                    leave_all_groups(&t, app, user).await?;
                }
                out.push(n > 0);
            }
            Ok(out)
        })
    }

    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        let client = self.pool.get().await.map_err(StoreError::internal)?;
        let mut out = Vec::with_capacity(users.len());
        for u in &users {
            out.push(account_exists(&client, app, u).await?);
        }
        Ok(out)
    }

    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool> {
        tx!(self, t => {
            let n = t
                .execute(
                    "UPDATE accounts SET revoked_before = $3 WHERE app = $1 AND user_id = $2",
                    &[&(app as i64), &user, &at],
                )
                .await?;
            Ok(n > 0)
        })
    }

    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>> {
        // Read on every request: another node may have kicked the user a moment ago.
        let client = self.pool.get().await.map_err(StoreError::internal)?;
        let stmt = client
            .prepare_cached("SELECT revoked_before FROM accounts WHERE app = $1 AND user_id = $2")
            .await?;
        let row = client.query_opt(&stmt, &[&(app as i64), &user]).await?;
        Ok(row.and_then(|r| r.get(0)))
    }
}

/// A deleted account leaves every group it was in (accounts.md §3).
async fn leave_all_groups(
    t: &deadpool_postgres::Transaction<'_>,
    app: AppId,
    user: &str,
) -> Result<()> {
    let app = app as i64;
    t.execute(
        "UPDATE groups SET member_num = member_num - 1
         WHERE gkey IN (SELECT gkey FROM group_members WHERE app = $1 AND user_id = $2)",
        &[&app, &user],
    )
    .await?;
    t.execute(
        "UPDATE groups SET owner = '' WHERE app = $1 AND owner = $2",
        &[&app, &user],
    )
    .await?;
    t.execute(
        "DELETE FROM group_members WHERE app = $1 AND user_id = $2",
        &[&app, &user],
    )
    .await?;
    t.execute(
        "DELETE FROM group_mutes WHERE app = $1 AND user_id = $2",
        &[&app, &user],
    )
    .await?;
    Ok(())
}
