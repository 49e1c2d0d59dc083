//! The follow graph's reads (relationships.md §20–§22); its writes are `sns::SnsOp`'s
//! (`SnsCommand::FollowAdd` / `FollowDelete`), decided by `timber_core::sns::follow`.

use super::sns::{could_exist, profile_tags};
use super::ReadOp;
use crate::sql::{params, ReadTx};
use crate::StoreError;
use serde_json::Value;
use timber_core::sns::FollowList;
use timber_core::{AppId, Error, ErrorCode};

async fn require_user(r: &mut impl ReadTx, app: AppId, user: &str) -> Result<(), StoreError> {
    if super::rows::account_exists(r, app, user).await? {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::SnsAccountNotFound,
            format!("{user} is not an imported account"),
        )
        .into())
    }
}

/// follow_check: per target `None` when it is not an account, else (A follows B, B follows A).
pub(crate) struct FollowCheck {
    pub app: AppId,
    pub from: String,
    pub targets: Vec<String>,
}

impl ReadOp for FollowCheck {
    type Out = Vec<Option<(bool, bool)>>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        require_user(r, self.app, &self.from).await?;
        let mut out = Vec::with_capacity(self.targets.len());
        for to in &self.targets {
            if !could_exist(to) {
                out.push(None);
                continue;
            }
            let row = r
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $3),
                            EXISTS (SELECT 1 FROM follows WHERE app = $1 AND follower = $2 AND followee = $3),
                            EXISTS (SELECT 1 FROM follows WHERE app = $1 AND follower = $3 AND followee = $2)",
                    params![self.app, &self.from, to],
                )
                .await?;
            out.push(row.bool(0).then(|| (row.bool(1), row.bool(2))));
        }
        Ok(out)
    }
}

/// One followed or following user of a follow_get page.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowEntry {
    pub user: String,
    pub time: i64,
    pub profile: Vec<(String, Value)>,
}

/// follow_get: one page of followers, followings or mutuals, `FollowTime` descending then
/// UserID; with whether more follow.
pub(crate) struct FollowPage {
    pub app: AppId,
    pub from: String,
    pub list: FollowList,
    pub start: usize,
    pub limit: usize,
}

impl ReadOp for FollowPage {
    type Out = (Vec<FollowEntry>, bool);

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        require_user(r, self.app, &self.from).await?;
        let sql = match self.list {
            FollowList::Followers => {
                "SELECT follower, time FROM follows WHERE app = $1 AND followee = $2
                 ORDER BY time DESC, follower LIMIT $3 OFFSET $4"
            }
            FollowList::Followings => {
                "SELECT followee, time FROM follows WHERE app = $1 AND follower = $2
                 ORDER BY time DESC, followee LIMIT $3 OFFSET $4"
            }
            FollowList::Mutual => {
                "SELECT f.followee, f.time FROM follows f
                 JOIN follows b ON b.app = f.app AND b.follower = f.followee AND b.followee = f.follower
                 WHERE f.app = $1 AND f.follower = $2
                 ORDER BY f.time DESC, f.followee LIMIT $3 OFFSET $4"
            }
        };
        // One row past the page says whether another page follows.
        let rows = r
            .query(
                sql,
                params![
                    self.app,
                    &self.from,
                    self.limit as u64 + 1,
                    self.start as u64
                ],
            )
            .await?;
        let more = rows.len() > self.limit;
        let mut out = Vec::with_capacity(rows.len().min(self.limit));
        for mut row in rows.into_iter().take(self.limit) {
            let user = row.take_str(0);
            let profile = profile_tags(r, self.app, &user).await?;
            out.push(FollowEntry {
                time: row.i64(1),
                user,
                profile,
            });
        }
        Ok((out, more))
    }
}

/// follow_get_info: per target `None` when it is not an account, else its (followers,
/// followings, mutuals).
pub(crate) struct FollowCounts {
    pub app: AppId,
    pub from: String,
    pub targets: Vec<String>,
}

impl ReadOp for FollowCounts {
    type Out = Vec<Option<(u64, u64, u64)>>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        require_user(r, self.app, &self.from).await?;
        let mut out = Vec::with_capacity(self.targets.len());
        for to in &self.targets {
            if !could_exist(to) {
                out.push(None);
                continue;
            }
            let row = r
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2),
                            (SELECT count(*) FROM follows WHERE app = $1 AND followee = $2),
                            (SELECT count(*) FROM follows WHERE app = $1 AND follower = $2),
                            (SELECT count(*) FROM follows f JOIN follows b ON b.app = f.app
                                 AND b.follower = f.followee AND b.followee = f.follower
                             WHERE f.app = $1 AND f.follower = $2)",
                    params![self.app, to],
                )
                .await?;
            out.push(row.bool(0).then(|| (row.u64(1), row.u64(2), row.u64(3))));
        }
        Ok(out)
    }
}
