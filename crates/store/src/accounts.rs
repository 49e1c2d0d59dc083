//! Account operations. spec: accounts.md.

use crate::Result;
use timber_core::AppId;

/// An account to import; `None` profile fields leave the stored value as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub user_id: String,
    pub nick: Option<String>,
    pub face_url: Option<String>,
}

impl NewAccount {
    pub fn bare(user_id: impl Into<String>) -> Self {
        NewAccount {
            user_id: user_id.into(),
            nick: None,
            face_url: None,
        }
    }
}

#[async_trait::async_trait]
pub trait AccountStore {
    /// Creates the accounts that do not exist and updates the given profile fields of those
    /// that do. Idempotent: an account is never created twice.
    async fn import_accounts(&self, app: AppId, accounts: Vec<NewAccount>, now: i64) -> Result<()>;

    /// Deletes accounts, with their group memberships. Returns, per requested UserID, whether
    /// it existed.
    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>>;

    /// Returns, per UserID, whether the account exists.
    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>>;

    /// Invalidates every UserSig of `user` issued before `at`. `false` when there is no such
    /// account.
    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool>;

    /// The time before which `user`'s UserSigs are invalid (the last kick), if any.
    /// Called on every request: implementations must make it cheap without answering stale.
    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>>;
}
