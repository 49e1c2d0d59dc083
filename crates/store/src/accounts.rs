//! Account operations. spec: accounts.md.

use crate::backend::Backend;
use crate::ops::accounts::{Delete, Exist, Import, Kick, RevokedBefore};
use crate::Result;
use timber_core::profile::{ProfileItem, TagValue, IMAGE, NICK};
use timber_core::AppId;

/// An account to import; `None` profile fields leave the stored value as it is.
/// `nick` and `face_url` are written to the profile (`profile_items`), not kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub user_id: String,
    pub nick: Option<String>,
    pub face_url: Option<String>,
}

impl NewAccount {
    /// The profile items the import writes: `Nick` is Tag_Profile_IM_Nick and `FaceUrl`
    /// Tag_Profile_IM_Image (profiles.md §0.3).
    pub fn profile_items(&self) -> Vec<ProfileItem> {
        [(NICK, &self.nick), (IMAGE, &self.face_url)]
            .into_iter()
            .filter_map(|(tag, v)| Some(ProfileItem::new(tag, TagValue::Str(v.clone()?))))
            .collect()
    }

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

    /// Deletes accounts, with their group memberships and profiles. Returns, per requested UserID, whether
    /// it existed.
    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>>;

    /// Returns, per UserID, whether the account exists.
    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>>;

    /// Records that `user` was kicked at `at` (Unix seconds); the server then refuses every
    /// UserSig of `user` issued at or before `at`. `false` when there is no such account.
    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool>;

    /// The time of `user`'s last kick, if any (UserSigs issued at or before it are invalid).
    /// Called on every request: implementations must make it cheap without answering stale.
    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>>;
}

#[async_trait::async_trait]
impl<B: Backend> AccountStore for B {
    async fn import_accounts(&self, app: AppId, accounts: Vec<NewAccount>, now: i64) -> Result<()> {
        self.write(Import { app, accounts, now }).await
    }

    async fn delete_accounts(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        let cached = self.revoked_cache().map(|_| users.clone());
        let existed = self.write(Delete { app, users }).await?;
        if let (Some(cache), Some(users)) = (self.revoked_cache(), cached) {
            for user in users {
                cache.forget(app, user);
            }
        }
        Ok(existed)
    }

    async fn accounts_exist(&self, app: AppId, users: Vec<String>) -> Result<Vec<bool>> {
        self.read(Exist { app, users }).await
    }

    async fn kick(&self, app: AppId, user: String, at: i64) -> Result<bool> {
        let found = self
            .write(Kick {
                app,
                user: user.clone(),
                at,
            })
            .await?;
        if let Some(cache) = self.revoked_cache().filter(|_| found) {
            cache.set(app, user, at);
        }
        Ok(found)
    }

    /// From memory where this process is the only writer (it updates the cache after each
    /// committed kick or delete, so the answer is never stale); else from the node's leased
    /// cache, which every kick, delete, reset and import waits on before it is answered
    /// (`postgres/cache.rs`); else from the database.
    async fn revoked_before(&self, app: AppId, user: &str) -> Result<Option<i64>> {
        if let Some(cache) = self.revoked_cache() {
            return Ok(cache.get(app, user)?);
        }
        let leased = self.node_cache();
        if let Some(hit) = leased.and_then(|c| c.kick(app, user)) {
            return Ok(hit);
        }
        let generation = leased.map(|c| c.generation());
        let at = self
            .read(RevokedBefore {
                app,
                user: user.to_owned(),
            })
            .await?;
        if let (Some(cache), Some(generation)) = (leased, generation) {
            cache.fill(generation, app, user, at);
        }
        Ok(at)
    }
}
