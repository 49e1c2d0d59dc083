//! Account operations, written once for every backend. spec: accounts.md.

use crate::sql::{params, Tx};
use crate::{NewAccount, Result};
use timber_core::AppId;

pub(crate) async fn account_exists(t: &mut impl Tx, app: AppId, user: &str) -> Result<bool> {
    Ok(t.query_opt(
        "SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?
    .is_some())
}

pub(crate) async fn import(
    t: &mut impl Tx,
    app: AppId,
    accounts: &[NewAccount],
    now: i64,
) -> Result<()> {
    for a in accounts {
        t.execute(
            "INSERT INTO accounts (app, user_id, nick, face_url, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (app, user_id) DO UPDATE SET
                 nick = coalesce(excluded.nick, accounts.nick),
                 face_url = coalesce(excluded.face_url, accounts.face_url)",
            params![app, &a.user_id, &a.nick, &a.face_url, now],
        )
        .await?;
    }
    Ok(())
}

/// Deletes accounts with their memberships; per UserID, whether it existed.
pub(crate) async fn delete(t: &mut impl Tx, app: AppId, users: &[String]) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let n = t
            .execute(
                "DELETE FROM accounts WHERE app = $1 AND user_id = $2",
                params![app, user],
            )
            .await?;
        if n > 0 {
            leave_all_groups(t, app, user).await?;
        }
        out.push(n > 0);
    }
    Ok(out)
}

/// A deleted account leaves every group it was in (accounts.md §3): member counts drop, an
/// owned group becomes ownerless, its mutes go.
async fn leave_all_groups(t: &mut impl Tx, app: AppId, user: &str) -> Result<()> {
    t.execute(
        "UPDATE groups SET member_num = member_num - 1
         WHERE gkey IN (SELECT gkey FROM group_members WHERE app = $1 AND user_id = $2)",
        params![app, user],
    )
    .await?;
    t.execute(
        "UPDATE groups SET owner = '' WHERE app = $1 AND owner = $2",
        params![app, user],
    )
    .await?;
    t.execute(
        "DELETE FROM group_members WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?;
    t.execute(
        "DELETE FROM group_mutes WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?;
    Ok(())
}

pub(crate) async fn exist(t: &mut impl Tx, app: AppId, users: &[String]) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        out.push(account_exists(t, app, u).await?);
    }
    Ok(out)
}

/// Records a kick; `false` when there is no such account.
pub(crate) async fn kick(t: &mut impl Tx, app: AppId, user: &str, at: i64) -> Result<bool> {
    let n = t
        .execute(
            "UPDATE accounts SET revoked_before = $3 WHERE app = $1 AND user_id = $2",
            params![app, user, at],
        )
        .await?;
    Ok(n > 0)
}

pub(crate) async fn revoked_before(t: &mut impl Tx, app: AppId, user: &str) -> Result<Option<i64>> {
    let row = t
        .query_opt(
            "SELECT revoked_before FROM accounts WHERE app = $1 AND user_id = $2",
            params![app, user],
        )
        .await?;
    Ok(row.and_then(|r| r.opt_i64(0)))
}

/// Kick times of every account that has one (the SQLite store keeps them in memory).
pub(crate) async fn all_revoked(t: &mut impl Tx) -> Result<Vec<(AppId, String, i64)>> {
    let rows = t
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
