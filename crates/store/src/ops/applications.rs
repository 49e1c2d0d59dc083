//! Join applications to NeedPermission groups (members.md `joinGroup`,
//! `acceptGroupApplication`, `refuseGroupApplication`, `getGroupApplicationList`). An
//! application is a row, not a node's memory: the owner or an admin may answer it from any
//! node, and it outlives a restart. One per applicant and group; applying again replaces it.

use super::members::Join;
use super::rows::{find_member, locked_group};
use super::{ReadOp, WriteOp};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use timber_core::callback::Event;
use timber_core::group::{AddResult, Role};
use timber_core::member::{require_application, Application, Change, ChangeSink};
use timber_core::AppId;

/// `joinGroup` on a NeedPermission group: records the application and tells the group's
/// owner and admins. Out: the reviewers told, or `None` when the applicant is a member
/// already (nothing recorded).
pub(crate) struct Apply {
    pub app: AppId,
    pub group_id: String,
    pub applicant: String,
    pub message: String,
    pub now: i64,
}

impl WriteOp for Apply {
    type Plan = Option<(i64, Vec<String>)>;
    type Out = Option<Vec<String>>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        if find_member(r, self.app, g.key, &self.applicant)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let rows = r
            .query(
                "SELECT user_id FROM group_members
                 WHERE app = $1 AND gkey = $2 AND role IN ($3, $4) ORDER BY user_id",
                params![self.app, g.key, Role::Owner.to_db(), Role::Admin.to_db()],
            )
            .await?;
        let reviewers = rows.into_iter().map(|mut r| r.take_str(0)).collect();
        Ok(Some((g.key, reviewers)))
    }

    async fn apply<W: WriteTx>(&self, plan: Self::Plan, w: &mut W) -> Result<Self::Out, DbError> {
        let Some((gkey, reviewers)) = plan else {
            return Ok(None);
        };
        w.execute(
            "INSERT INTO group_applications (app, gkey, applicant, message, at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (app, gkey, applicant)
             DO UPDATE SET message = excluded.message, at = excluded.at",
            params![
                self.app,
                gkey,
                self.applicant.as_str(),
                self.message.as_str(),
                self.now
            ],
        )
        .await?;
        Ok(Some(reviewers))
    }

    fn changes(&self, out: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        let reviewers = out.as_ref()?.clone();
        super::one_change(self.app, sink, || Change::JoinApplication {
            group_id: self.group_id.clone(),
            applicant: self.applicant.clone(),
            message: self.message.clone(),
            reviewers,
        })
    }
}

/// `acceptGroupApplication` (the applicant joins as by its own join, `JoinType` `Apply`, the
/// answering member the operator) or `refuseGroupApplication`: either takes the application
/// away, in the same transaction, so that two reviewers answering at once cannot both.
pub(crate) struct Answer {
    /// The join an acceptance makes (one account: the applicant).
    pub join: Join,
    pub accept: bool,
}

impl Answer {
    fn applicant(&self) -> &str {
        self.join
            .members
            .first()
            .map(|m| m.account.as_str())
            .unwrap_or("")
    }
}

impl WriteOp for Answer {
    type Plan = (i64, Option<<Join as WriteOp>::Plan>);
    type Out = Option<Vec<AddResult>>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let app = self.join.app;
        let g = locked_group(r, app, &self.join.group_id).await?;
        let pending = r
            .query_opt(
                "SELECT 1 FROM group_applications WHERE app = $1 AND gkey = $2 AND applicant = $3",
                params![app, g.key, self.applicant()],
            )
            .await?
            .is_some();
        require_application(pending, &self.join.group_id, self.applicant())?;
        let join = match self.accept {
            true => Some(self.join.check(r).await?),
            false => None,
        };
        Ok((g.key, join))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, join): Self::Plan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        w.execute(
            "DELETE FROM group_applications WHERE app = $1 AND gkey = $2 AND applicant = $3",
            params![self.join.app, gkey, self.applicant()],
        )
        .await?;
        match join {
            Some(plan) => Ok(Some(self.join.apply(plan, w).await?)),
            None => Ok(None),
        }
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        self.accept.then(|| self.join.callbacks()).flatten()
    }

    async fn events<W: WriteTx>(
        &self,
        out: &Self::Out,
        wanted: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        match out {
            Some(results) => self.join.events(results, wanted, w).await,
            None => Ok(Vec::new()),
        }
    }

    fn changes(&self, out: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<Change>)> {
        self.join.changes(out.as_ref()?, sink)
    }
}

/// The pending applications to the groups `reviewer` owns or administers, oldest first; an
/// applicant who has become a member since (added by an admin) is not pending any more.
pub(crate) struct Pending {
    pub app: AppId,
    pub reviewer: String,
    pub limit: u64,
}

impl ReadOp for Pending {
    type Out = Vec<Application>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let rows = r
            .query(
                "SELECT g.group_id, a.applicant, a.message, a.at
                 FROM group_applications a
                 JOIN group_members me ON me.app = a.app AND me.gkey = a.gkey
                      AND me.user_id = $2 AND me.role IN ($3, $4)
                 JOIN groups g ON g.app = a.app AND g.gkey = a.gkey
                 WHERE a.app = $1 AND NOT EXISTS (
                     SELECT 1 FROM group_members m
                     WHERE m.app = a.app AND m.gkey = a.gkey AND m.user_id = a.applicant)
                 ORDER BY a.at, g.group_id, a.applicant
                 LIMIT $5",
                params![
                    self.app,
                    self.reviewer.as_str(),
                    Role::Owner.to_db(),
                    Role::Admin.to_db(),
                    self.limit
                ],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| Application {
                group_id: r.take_str(0),
                applicant: r.take_str(1),
                message: r.take_str(2),
                time: r.i64(3),
            })
            .collect())
    }
}
