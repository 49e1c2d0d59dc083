//! Accounts on PostgreSQL: the shared operations in one transaction each.

use super::{tx, PgStore};
use crate::ops::accounts;
use crate::{AccountStore, NewAccount, Result};
use timber_core::AppId;

#[async_trait::async_trait]
impl AccountStore for PgStore {
    async fn import_accounts(&self, app: AppId, list: Vec<NewAccount>, now: i64) -> Result<()> {
        tx!(self, t => accounts::import(t, app, &list, now).await)
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        tx!(self, t => accounts::delete(t, app, &users).await)
    }

    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        tx!(self, t => accounts::exist(t, app, &users).await)
    }

    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool> {
        tx!(self, t => accounts::kick(t, app, &user, at).await)
    }

    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>> {
        // Read on every request: another node may have kicked the user a moment ago.
        tx!(self, t => accounts::revoked_before(t, app, user).await)
    }
}
