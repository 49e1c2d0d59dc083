//! Account operations. spec: accounts.md. None of them refuses anything, so their writes are
//! all in `apply`.

use super::profiles::{delete_profile, write_items};
use super::rows::accounts_exist;
use super::{Invalidation, ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, NewAccount, StoreError};
use timber_core::callback::{self as cb, Event};
use timber_core::member::{Change as MemberChange, ChangeSink};
use timber_core::AppId;

/// Creates the accounts that do not exist; the given `Nick` and `FaceUrl` replace the
/// profile's Tag_Profile_IM_Nick and Tag_Profile_IM_Image, of new and existing accounts alike.
pub(crate) struct Import {
    pub app: AppId,
    pub accounts: Vec<NewAccount>,
    pub now: i64,
}

impl WriteOp for Import {
    type Plan = ();
    type Out = ();

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<(), DbError> {
        for a in &self.accounts {
            w.execute(
                "INSERT INTO accounts (app, user_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (app, user_id) DO NOTHING",
                params![self.app, &a.user_id, self.now],
            )
            .await?;
            write_items(w, self.app, &a.user_id, &a.profile_items()).await?;
        }
        Ok(())
    }
}

/// Deletes accounts with their memberships and profiles; per UserID, whether it existed.
/// Deletes accounts with their memberships and relationships; per UserID, whether it existed.
pub(crate) struct Delete {
    pub app: AppId,
    pub users: Vec<String>,
}

impl WriteOp for Delete {
    type Plan = ();
    type Out = Vec<bool>;

    /// A deleted account takes its kick time along; imported again, it has none.
    fn invalidates(&self, out: &Vec<bool>) -> Option<Invalidation> {
        let users: Vec<String> = self
            .users
            .iter()
            .zip(out)
            .filter(|(_, deleted)| **deleted)
            .map(|(u, _)| u.clone())
            .collect();
        (!users.is_empty()).then_some(Invalidation {
            app: self.app,
            users: Some(users),
        })
    }

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        if !sink.wants(self.app) {
            return None;
        }
        let changes = self
            .users
            .iter()
            .zip(out)
            .filter(|(_, deleted)| **deleted)
            .map(|(u, _)| MemberChange::AccountDeleted { account: u.clone() })
            .collect();
        Some((self.app, changes))
    }

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<Vec<bool>, DbError> {
        let mut out = Vec::with_capacity(self.users.len());
        for user in &self.users {
            let n = w
                .execute(
                    "DELETE FROM accounts WHERE app = $1 AND user_id = $2",
                    params![self.app, user],
                )
                .await?;
            if n > 0 {
                leave_all_groups(w, self.app, user).await?;
                super::contacts::delete_owner(w, self.app, user).await?;
                delete_profile(w, self.app, user).await?;
                super::sns::forget_user(w, self.app, user).await?;
                super::official::forget_subscriber(w, self.app, user).await?;
            }
            out.push(n > 0);
        }
        Ok(out)
    }
}

/// A deleted account leaves every group it was in (accounts.md §3): member counts drop, an
/// owned group becomes ownerless, its mutes go.
async fn leave_all_groups(w: &mut impl WriteTx, app: AppId, user: &str) -> Result<(), DbError> {
    w.execute(
        "UPDATE groups SET member_num = member_num - 1
         WHERE gkey IN (SELECT gkey FROM group_members WHERE app = $1 AND user_id = $2)",
        params![app, user],
    )
    .await?;
    w.execute(
        "UPDATE groups SET owner = '' WHERE app = $1 AND owner = $2",
        params![app, user],
    )
    .await?;
    w.execute(
        "DELETE FROM group_members WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?;
    w.execute(
        "DELETE FROM group_mutes WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?;
    w.execute(
        "DELETE FROM group_applications WHERE app = $1 AND applicant = $2",
        params![app, user],
    )
    .await?;
    Ok(())
}

pub(crate) struct Exist {
    pub app: AppId,
    pub users: Vec<String>,
}

impl ReadOp for Exist {
    type Out = Vec<bool>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Vec<bool>, StoreError> {
        let names: Vec<&str> = self.users.iter().map(String::as_str).collect();
        Ok(accounts_exist(r, self.app, &names).await?)
    }
}

/// Records a kick; `false` when there is no such account.
pub(crate) struct Kick {
    pub app: AppId,
    pub user: String,
    pub at: i64,
}

impl WriteOp for Kick {
    type Plan = ();
    type Out = bool;

    fn invalidates(&self, found: &bool) -> Option<Invalidation> {
        found.then(|| Invalidation {
            app: self.app,
            users: Some(vec![self.user.clone()]),
        })
    }

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        (*out && sink.wants(self.app)).then(|| {
            let change = MemberChange::Kicked {
                account: self.user.clone(),
            };
            (self.app, vec![change])
        })
    }

    async fn check<R: ReadTx>(&self, _: &mut R) -> Result<(), StoreError> {
        Ok(())
    }

    async fn apply<W: WriteTx>(&self, (): (), w: &mut W) -> Result<bool, DbError> {
        let n = w
            .execute(
                "UPDATE accounts SET revoked_before = $3 WHERE app = $1 AND user_id = $2",
                params![self.app, &self.user, self.at],
            )
            .await?;
        Ok(n > 0)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::STATE_CHANGE]))
    }

    /// A kick ends every session of the account: reported as a logout (inferred; timber has
    /// no client connections, so this is the only state change it sees).
    async fn events<W: WriteTx>(
        &self,
        existed: &bool,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        if !existed {
            return Ok(Vec::new());
        }
        Ok(vec![Event::new(
            cb::STATE_CHANGE,
            cb::user_ordering(&self.user),
            serde_json::json!({
                "Info": {"Action": "Logout", "To_Account": self.user, "Reason": "Unregister"},
            }),
        )])
    }
}

pub(crate) struct RevokedBefore {
    pub app: AppId,
    pub user: String,
}

impl ReadOp for RevokedBefore {
    type Out = Option<i64>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Option<i64>, StoreError> {
        let row = r
            .query_opt(
                "SELECT revoked_before FROM accounts WHERE app = $1 AND user_id = $2",
                params![self.app, &self.user],
            )
            .await?;
        Ok(row.and_then(|r| r.opt_i64(0)))
    }
}

/// Kick times of every account that has one (the SQLite store keeps them in memory).
pub(crate) async fn all_revoked(r: &mut impl ReadTx) -> Result<Vec<(AppId, String, i64)>, DbError> {
    let rows = r
        .query(
            "SELECT app, user_id, revoked_before FROM accounts WHERE revoked_before IS NOT NULL",
            params![],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|mut r| (r.u64(0), r.take_str(1), r.i64(2)))
        .collect())
}
