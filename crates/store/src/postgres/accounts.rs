//! Accounts on PostgreSQL: the shared operations in one transaction each.

use super::{read_op, write_op, PgStore};
use crate::ops::accounts;
use crate::{AccountStore, NewAccount, Result};
use timber_core::AppId;

#[async_trait::async_trait]
impl AccountStore for PgStore {
    async fn import_accounts(&self, app: AppId, list: Vec<NewAccount>, now: i64) -> Result<()> {
        write_op!(self, t => accounts::import(t, app, &list, now))
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        write_op!(self, t => accounts::delete(t, app, &users))
    }

    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        read_op!(self, t => accounts::exist(t, app, &users))
    }

    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool> {
        write_op!(self, t => accounts::kick(t, app, &user, at))
    }

    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>> {
        // Read on every request: another node may have kicked the user a moment ago.
        read_op!(self, t => accounts::revoked_before(t, app, user))
    }
}
