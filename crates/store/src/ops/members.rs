//! Membership operations: add, import, remove, page, change one member, ownership, mutes,
//! roles. spec: groups.md §4.6–§4.16; the rules are `timber_core::group`'s.

use super::groups::insert_member;
use super::rows::{
    account_exists, accounts_exist, are_members, find_group, find_member, locked_group,
    member_from_row, MEMBER_COLUMNS, MEMBER_FROM,
};
use super::{append, ReadOp, WriteOp};
use crate::groups::MemberPage;
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use timber_core::callback::{self as cb, member_list, Event};
use timber_core::group::{
    decide_change_owner, decide_join, decide_leave, decide_modify_member, decide_mute,
    require_group, AddResult, Change, GroupOp, JoinPlan, JoinType, LeavePlan, MemberChanges,
    MemberPlan, MemberQuery, MuteChange, MutePlan, NewMember, OwnerPlan, Role,
};
use timber_core::member::{Change as MemberChange, ChangeSink};
use timber_core::AppId;

/// add_group_member (`op` AddMember, with a tip unless `silent`) and import_group_member
/// (ImportMember, silent).
pub(crate) struct Join {
    pub app: AppId,
    pub group_id: String,
    pub op: GroupOp,
    pub members: Vec<NewMember>,
    pub silent: bool,
    pub operator: String,
    pub now: i64,
    /// `JoinType` of the after-callback.
    pub join_type: JoinType,
}

impl WriteOp for Join {
    type Plan = (i64, JoinPlan);
    type Out = Vec<AddResult>;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        let accounts: Vec<String> = self
            .members
            .iter()
            .zip(out)
            .filter(|(_, r)| **r == AddResult::Added)
            .map(|(m, _)| m.account.clone())
            .collect();
        (!accounts.is_empty() && sink.wants(self.app)).then(|| {
            let change = MemberChange::MembersJoined {
                group_id: self.group_id.clone(),
                accounts,
                operator: self.operator.clone(),
            };
            (self.app, vec![change])
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let all: Vec<&str> = self.members.iter().map(|m| m.account.as_str()).collect();
        // A banned user is not added (`Result` 0; groups-more.md §5.1).
        let banned = super::group_more::banned_among(r, self.app, g.key, &all, self.now).await?;
        let members: Vec<NewMember> = self
            .members
            .iter()
            .zip(&banned)
            .filter(|(_, b)| !**b)
            .map(|(m, _)| m.clone())
            .collect();
        let names: Vec<&str> = members.iter().map(|m| m.account.as_str()).collect();
        let exist = accounts_exist(r, self.app, &names).await?;
        let member = are_members(r, self.app, g.key, &names).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let tip_by = (!self.silent).then_some(by);
        let mut plan = decide_join(&g, self.op, &members, &exist, &member, tip_by)?;
        let mut results = plan.results.into_iter();
        plan.results = banned
            .iter()
            .map(|&b| match b {
                true => AddResult::Failed,
                false => results.next().unwrap_or(AddResult::Failed),
            })
            .collect();
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Vec<AddResult>, DbError> {
        for m in &plan.joining {
            insert_member(w, self.app, gkey, m).await?;
            super::contacts::forget_departed(w, self.app, &m.account, &self.group_id).await?;
        }
        if !plan.joining.is_empty() {
            set_member_num(w, gkey, plan.member_num).await?;
        }
        append::write(w, self.app, gkey, &plan.appends).await?;
        Ok(plan.results)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        // import_group_member sends no callbacks (groups.md §4.16).
        (self.op == GroupOp::AddMember).then_some((
            self.app,
            &[cb::GROUP_AFTER_NEW_MEMBER, cb::GROUP_AFTER_FULL][..],
        ))
    }

    async fn events<W: WriteTx>(
        &self,
        results: &Vec<AddResult>,
        wanted: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let joined: Vec<&str> = self
            .members
            .iter()
            .zip(results)
            .filter(|(_, r)| **r == AddResult::Added)
            .map(|(m, _)| m.account.as_str())
            .collect();
        if joined.is_empty() {
            return Ok(Vec::new());
        }
        let Some(g) = find_group(w, self.app, &self.group_id).await? else {
            return Ok(Vec::new());
        };
        let ordering = cb::group_ordering(&g.group_id);
        let mut events = Vec::new();
        if wanted.contains(&cb::GROUP_AFTER_NEW_MEMBER) {
            events.push(Event::new(
                cb::GROUP_AFTER_NEW_MEMBER,
                ordering.clone(),
                json!({
                    "GroupId": g.group_id,
                    "Type": g.ty.as_str(),
                    "JoinType": self.join_type.as_str(),
                    "Operator_Account": self.operator,
                    "NewMemberList": member_list(joined),
                }),
            ));
        }
        if wanted.contains(&cb::GROUP_AFTER_FULL) && g.member_num >= g.max_member_num {
            events.push(Event::new(
                cb::GROUP_AFTER_FULL,
                ordering,
                json!({ "GroupId": g.group_id }),
            ));
        }
        Ok(events)
    }
}

async fn set_member_num(w: &mut impl WriteTx, gkey: i64, member_num: u64) -> Result<(), DbError> {
    w.execute(
        "UPDATE groups SET member_num = $2 WHERE gkey = $1",
        params![gkey, member_num],
    )
    .await?;
    Ok(())
}

pub(crate) struct Leave {
    pub app: AppId,
    pub group_id: String,
    pub accounts: Vec<String>,
    pub silent: bool,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for Leave {
    type Plan = (i64, LeavePlan);
    /// The accounts that left.
    type Out = Vec<String>;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        (!out.is_empty() && sink.wants(self.app)).then(|| {
            let kicked = !(out.len() == 1 && out[0] == self.operator);
            let change = MemberChange::MembersLeft {
                group_id: self.group_id.clone(),
                accounts: out.clone(),
                operator: self.operator.clone(),
                kicked,
            };
            (self.app, vec![change])
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let names: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
        let member = are_members(r, self.app, g.key, &names).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let plan = decide_leave(&g, &self.accounts, &member, (!self.silent).then_some(by))?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Vec<String>, DbError> {
        if plan.leaving.is_empty() {
            return Ok(Vec::new());
        }
        super::contacts::keep_departing(w, self.app, gkey, Some(&plan.leaving)).await?;
        for a in &plan.leaving {
            w.execute(
                "DELETE FROM group_members WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![self.app, gkey, a],
            )
            .await?;
        }
        set_member_num(w, gkey, plan.member_num).await?;
        append::write(w, self.app, gkey, &plan.appends).await?;
        Ok(plan.leaving)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_MEMBER_EXIT]))
    }

    async fn events<W: WriteTx>(
        &self,
        left: &Vec<String>,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        kicked_event(w, self.app, &self.group_id, &self.operator, left).await
    }
}

pub(crate) struct GetMembers {
    pub app: AppId,
    pub group_id: String,
    pub query: MemberQuery,
}

impl ReadOp for GetMembers {
    type Out = MemberPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<MemberPage, StoreError> {
        let g = find_group(r, self.app, &self.group_id).await?;
        let group = require_group(g, &self.group_id)?;
        let scan = self.query.scan(&group)?;
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} {MEMBER_FROM}
             WHERE m.app = $1 AND m.gkey = $2 AND m.role IN ($3, $4, $5)
               AND (CAST($6 AS TEXT) IS NULL OR m.user_id > $6)
             ORDER BY m.user_id LIMIT $7 OFFSET $8"
        );
        let [r0, r1, r2] = scan.roles.map(Role::to_db);
        let rows = r
            .query(
                &sql,
                params![
                    self.app,
                    group.key,
                    r0,
                    r1,
                    r2,
                    &scan.after,
                    scan.fetch(),
                    scan.offset
                ],
            )
            .await?;
        let rows = rows
            .into_iter()
            .map(|mut r| member_from_row(&mut r, 0))
            .collect();
        let (members, next) = scan.page(rows);
        Ok(MemberPage {
            group,
            members,
            next,
        })
    }
}

pub(crate) struct ModifyMember {
    pub app: AppId,
    pub group_id: String,
    pub account: String,
    pub changes: MemberChanges,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for ModifyMember {
    type Plan = (i64, MemberPlan);
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::MemberInfoChanged {
            group_id: self.group_id.clone(),
            account: self.account.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let exists = account_exists(r, self.app, &self.account).await?;
        let found = find_member(r, self.app, g.key, &self.account).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let plan = decide_modify_member(&g, &self.account, exists, found, &self.changes, by)?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(&self, (gkey, plan): Self::Plan, w: &mut W) -> Result<(), DbError> {
        let m = &plan.member;
        w.execute(
            "UPDATE group_members SET role = $4, msg_flag = $5, name_card = $6,
                 app_member_defined_data = $7
             WHERE app = $1 AND gkey = $2 AND user_id = $3",
            params![
                self.app,
                gkey,
                &m.account,
                m.role.to_db(),
                &m.msg_flag,
                &m.name_card,
                super::rows::to_json(&m.app_member_defined_data).as_str(),
            ],
        )
        .await?;
        if let Some(mute) = plan.mute {
            set_mute(w, self.app, gkey, &m.account, mute).await?;
        }
        append::write(w, self.app, gkey, &plan.appends).await
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_MEMBER_FIELD]))
    }

    async fn events<W: WriteTx>(
        &self,
        (): &(),
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let c = &self.changes;
        // Only role and name card are reported (callbacks.md §6.3).
        if c.role.is_none() && c.name_card.is_none() {
            return Ok(Vec::new());
        }
        let Some(g) = find_group(w, self.app, &self.group_id).await? else {
            return Ok(Vec::new());
        };
        let mut fields = json!({
            "GroupId": g.group_id,
            "Type": g.ty.as_str(),
            "Operator_Account": self.operator,
            "Modified_Account": self.account,
        });
        if let Some(role) = c.role {
            fields["Role"] = role.as_str().into();
        }
        if let Some(card) = &c.name_card {
            fields["NameCard"] = card.as_str().into();
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_MEMBER_FIELD,
            cb::group_ordering(&g.group_id),
            fields,
        )])
    }
}

/// Sets or lifts one account's mute (kept apart from membership).
pub(super) async fn set_mute(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    account: &str,
    mute: MuteChange,
) -> Result<(), DbError> {
    match mute.until {
        Some(until) => {
            w.execute(
                "INSERT INTO group_mutes (app, gkey, user_id, mute_until) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (app, gkey, user_id) DO UPDATE SET mute_until = excluded.mute_until",
                params![app, gkey, account, until],
            )
            .await?
        }
        None => {
            w.execute(
                "DELETE FROM group_mutes WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![app, gkey, account],
            )
            .await?
        }
    };
    Ok(())
}

pub(crate) struct ChangeOwner {
    pub app: AppId,
    pub group_id: String,
    pub new_owner: String,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for ChangeOwner {
    type Plan = (i64, Option<OwnerPlan>);
    /// The previous owner, when the owner changed.
    type Out = Option<String>;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        let _ = out;
        super::one_change(self.app, sink, || MemberChange::GroupInfoChanged {
            group_id: self.group_id.clone(),
            operator: self.operator.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let exists = account_exists(r, self.app, &self.new_owner).await?;
        let found = find_member(r, self.app, g.key, &self.new_owner).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let plan = decide_change_owner(&g, &self.new_owner, exists, found, by)?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Option<String>, DbError> {
        let Some(plan) = plan else {
            return Ok(None);
        };
        for (account, role) in [
            (&plan.old_owner, Role::Member),
            (&plan.new_owner, Role::Owner),
        ] {
            w.execute(
                "UPDATE group_members SET role = $4 WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![self.app, gkey, account, role.to_db()],
            )
            .await?;
        }
        w.execute(
            "UPDATE groups SET owner = $3, info_seq = $4, last_info_time = $5
             WHERE app = $1 AND gkey = $2",
            params![
                self.app,
                gkey,
                &plan.new_owner,
                plan.info_seq,
                plan.last_info_time
            ],
        )
        .await?;
        append::write(w, self.app, gkey, &plan.appends).await?;
        Ok(Some(plan.old_owner))
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_OWNER]))
    }

    async fn events<W: WriteTx>(
        &self,
        old_owner: &Option<String>,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let (Some(old), Some(g)) = (old_owner, find_group(w, self.app, &self.group_id).await?)
        else {
            return Ok(Vec::new());
        };
        Ok(vec![Event::new(
            cb::GROUP_AFTER_OWNER,
            cb::group_ordering(&g.group_id),
            json!({
                "GroupId": g.group_id,
                "Type": g.ty.as_str(),
                "Operator_Account": self.operator,
                "OldOwner_Account": old,
                "NewOwner_Account": self.new_owner,
            }),
        )])
    }
}

pub(crate) struct Mute {
    pub app: AppId,
    pub group_id: String,
    pub accounts: Vec<String>,
    pub mute_time: u64,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for Mute {
    type Plan = (i64, MutePlan);
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let names: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
        let exist = accounts_exist(r, self.app, &names).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let plan = decide_mute(&g, &self.accounts, &exist, self.mute_time, by)?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(&self, (gkey, plan): Self::Plan, w: &mut W) -> Result<(), DbError> {
        for a in &self.accounts {
            set_mute(w, self.app, gkey, a, plan.mute).await?;
        }
        append::write(w, self.app, gkey, &plan.appends).await
    }
}

pub(crate) struct Muted {
    pub app: AppId,
    pub group_id: String,
    pub now: i64,
}

impl ReadOp for Muted {
    type Out = Vec<(String, i64)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = find_group(r, self.app, &self.group_id).await?;
        let g = require_group(g, &self.group_id)?;
        let rows = r
            .query(
                "SELECT user_id, mute_until FROM group_mutes
                 WHERE app = $1 AND gkey = $2 AND mute_until > $3 ORDER BY user_id",
                params![self.app, g.key, self.now],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (r.take_str(0), r.i64(1)))
            .collect())
    }
}

pub(crate) struct Roles {
    pub app: AppId,
    pub group_id: String,
    pub accounts: Vec<String>,
}

impl ReadOp for Roles {
    type Out = Vec<Option<Role>>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = find_group(r, self.app, &self.group_id).await?;
        let g = require_group(g, &self.group_id)?;
        let room = g.ty == timber_core::group::GroupType::AVChatRoom;
        let mut out = Vec::with_capacity(self.accounts.len());
        for a in &self.accounts {
            let mut role = find_member(r, self.app, g.key, a).await?.map(|m| m.role);
            // An AVChatRoom keeps its admins apart (groups-more.md §7.4): they answer Admin,
            // present or not; the owner stays the owner.
            if room && role != Some(Role::Owner) {
                let admin = r
                    .query_opt(
                        "SELECT 1 FROM room_admins WHERE app = $1 AND gkey = $2 AND user_id = $3",
                        params![self.app, g.key, a],
                    )
                    .await?
                    .is_some();
                if admin {
                    role = Some(Role::Admin);
                }
            }
            out.push(role);
        }
        Ok(out)
    }
}

/// `Group.CallbackAfterMemberExit` with `ExitType` `Kicked` for the members `left` removed
/// by `operator`: delete_group_member, and a ban, which removes as a kick does
/// (groups-more.md §5.5, inferred). None when nobody left or the group is gone.
pub(super) async fn kicked_event<W: WriteTx>(
    w: &mut W,
    app: AppId,
    group_id: &str,
    operator: &str,
    left: &[String],
) -> Result<Vec<Event>, DbError> {
    if left.is_empty() {
        return Ok(Vec::new());
    }
    let Some(g) = find_group(w, app, group_id).await? else {
        return Ok(Vec::new());
    };
    Ok(vec![Event::new(
        cb::GROUP_AFTER_MEMBER_EXIT,
        cb::group_ordering(&g.group_id),
        json!({
            "GroupId": g.group_id,
            "Type": g.ty.as_str(),
            "ExitType": "Kicked",
            "Operator_Account": operator,
            "ExitMemberList": member_list(left.iter().map(String::as_str)),
        }),
    )])
}
