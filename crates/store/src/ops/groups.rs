//! Group operations: create, destroy, read, list, change the profile, and a user's groups.
//! spec: groups.md §4.1–§4.5, §4.10; the rules are `timber_core::group`'s.

use super::rows::{
    accounts_exist, all_members, find_group, group_from_row, lock_group, member_from_row, to_json,
    GROUP_COLUMNS_OF_G, GROUP_COLUMN_COUNT, MEMBER_COLUMNS,
};
use super::{append, ReadOp, WriteOp};
use crate::groups::{GroupIdPage, GroupWithMembers, JoinedPage, JoinedQuery};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use timber_core::callback::{self as cb, member_list, Event};
use timber_core::group::{
    decide_create, decide_modify_group, require_group, Change, GroupChanges, GroupRecord,
    GroupType, MemberRecord, NewGroup, ProfilePlan,
};
use timber_core::member::{Change as MemberChange, ChangeSink};
use timber_core::AppId;

pub(crate) struct CreateGroup {
    pub app: AppId,
    pub group: NewGroup,
    pub now: i64,
}

impl WriteOp for CreateGroup {
    type Plan = Vec<MemberRecord>;
    type Out = String;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Vec<MemberRecord>, StoreError> {
        let existing = match &self.group.group_id {
            Some(id) => find_group(r, self.app, id).await?,
            None => None,
        };
        let names: Vec<&str> = self.group.accounts().collect();
        let exist = accounts_exist(r, self.app, &names).await?;
        Ok(decide_create(&self.group, existing.as_ref(), &exist)?)
    }

    async fn apply<W: WriteTx>(
        &self,
        members: Vec<MemberRecord>,
        w: &mut W,
    ) -> Result<String, DbError> {
        let g = &self.group;
        let key = w.next_group_key().await?;
        let group_id = g.group_id_for(key);
        let inserted = w
            .execute(
                "INSERT INTO groups (gkey, app, group_id, type, name, introduction, notification,
                     face_url, owner, create_time, last_info_time, max_member_num,
                     apply_join_option, invite_join_option, mute_all, support_topic,
                     app_defined_data, member_num)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18)
                 ON CONFLICT (app, group_id) DO NOTHING",
                params![
                    key,
                    self.app,
                    &group_id,
                    g.ty.as_str(),
                    &g.name,
                    &g.introduction,
                    &g.notification,
                    &g.face_url,
                    g.owner.as_deref().unwrap_or(""),
                    g.create_time,
                    self.now,
                    g.max_member_num,
                    &g.apply_join_option,
                    &g.invite_join_option,
                    g.mute_all,
                    g.support_topic,
                    to_json(&g.app_defined_data).as_str(),
                    members.len() as u64,
                ],
            )
            .await?;
        // Another node took the custom ID between the check and this insert: the unique
        // index refused it and nothing was written. Checked again, the ID is in use.
        if inserted == 0 {
            return Err(DbError::Conflict(format!(
                "group ID {group_id:?} was just taken"
            )));
        }
        for m in &members {
            insert_member(w, self.app, key, m).await?;
        }
        Ok(group_id)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_CREATE]))
    }

    async fn events<W: WriteTx>(
        &self,
        group_id: &String,
        _: &[&'static str],
        _: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let g = &self.group;
        let owner = g.owner.as_deref().unwrap_or("");
        let mut fields = json!({
            "GroupId": group_id,
            // The store is not told who asked; a REST create is the owner's (inferred).
            "Operator_Account": owner,
            "Owner_Account": owner,
            "Type": g.ty.as_str(),
            "Name": g.name,
            "MemberList": member_list(g.members.iter().map(|m| m.account.as_str())),
        });
        if !g.app_defined_data.is_empty() {
            fields["UserDefinedDataList"] = g
                .app_defined_data
                .iter()
                .map(|kv| json!({"Key": kv.key, "Value": kv.value}))
                .collect();
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_CREATE,
            cb::group_ordering(group_id),
            fields,
        )])
    }
}

/// Inserts a membership; the caller keeps `member_num` in step.
pub(super) async fn insert_member(
    w: &mut impl WriteTx,
    app: AppId,
    gkey: i64,
    m: &MemberRecord,
) -> Result<(), DbError> {
    w.execute(
        "INSERT INTO group_members (app, gkey, user_id, role, join_time, join_seq, read_seq,
             msg_flag, app_member_defined_data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            app,
            gkey,
            &m.account,
            m.role.to_db(),
            m.join_time,
            m.join_seq,
            m.read_seq,
            &m.msg_flag,
            to_json(&m.app_member_defined_data).as_str(),
        ],
    )
    .await?;
    Ok(())
}

/// Destroys a group in O(1): its row goes; members and messages are purged in the background.
pub(crate) struct DestroyGroup {
    pub app: AppId,
    pub group_id: String,
    pub now: i64,
}

impl WriteOp for DestroyGroup {
    type Plan = GroupRecord;
    /// The group as it was (for Group.CallbackAfterGroupDestroyed).
    type Out = GroupRecord;

    fn changes(
        &self,
        out: &Self::Out,
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::GroupDismissed {
            group_id: self.group_id.clone(),
            operator: out.owner.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<GroupRecord, StoreError> {
        let g = lock_group(r, self.app, &self.group_id).await?;
        Ok(require_group(g, &self.group_id)?)
    }

    async fn apply<W: WriteTx>(&self, g: GroupRecord, w: &mut W) -> Result<GroupRecord, DbError> {
        let gkey = g.key;
        super::contacts::keep_departing(w, self.app, gkey, None).await?;
        w.execute("DELETE FROM groups WHERE gkey = $1", params![gkey])
            .await?;
        w.execute(
            "INSERT INTO purge_queue (gkey, app, queued_at) VALUES ($1, $2, $3)",
            params![gkey, self.app, self.now],
        )
        .await?;
        super::topics::drop_all(w, self.app, &g, self.now).await?;
        Ok(g)
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_DESTROYED]))
    }

    async fn events<W: WriteTx>(
        &self,
        g: &GroupRecord,
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        // The member rows stay until the background purge.
        let members = all_members(w, self.app, g.key).await?;
        Ok(vec![Event::new(
            cb::GROUP_AFTER_DESTROYED,
            cb::group_ordering(&g.group_id),
            json!({
                "GroupId": g.group_id,
                "Type": g.ty.as_str(),
                "Owner_Account": g.owner,
                "Name": g.name,
                "MemberList": member_list(members.iter().map(|m| m.account.as_str())),
            }),
        )])
    }
}

pub(crate) struct GetGroups {
    pub app: AppId,
    pub group_ids: Vec<String>,
    pub with_members: bool,
}

impl ReadOp for GetGroups {
    type Out = Vec<Option<GroupWithMembers>>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let mut out = Vec::with_capacity(self.group_ids.len());
        for id in &self.group_ids {
            let Some(group) = find_group(r, self.app, id).await? else {
                out.push(None);
                continue;
            };
            let members = if self.with_members {
                all_members(r, self.app, group.key).await?
            } else {
                Vec::new()
            };
            out.push(Some(GroupWithMembers { group, members }));
        }
        Ok(out)
    }
}

pub(crate) struct ModifyGroup {
    pub app: AppId,
    pub group_id: String,
    pub changes: GroupChanges,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for ModifyGroup {
    type Plan = ProfilePlan;
    type Out = ();

    fn changes(&self, _: &Self::Out, sink: &dyn ChangeSink) -> Option<(AppId, Vec<MemberChange>)> {
        super::one_change(self.app, sink, || MemberChange::GroupInfoChanged {
            group_id: self.group_id.clone(),
            operator: self.operator.clone(),
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<ProfilePlan, StoreError> {
        let g = lock_group(r, self.app, &self.group_id).await?;
        let g = require_group(g, &self.group_id)?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        Ok(decide_modify_group(&g, &self.changes, by)?)
    }

    async fn apply<W: WriteTx>(&self, plan: ProfilePlan, w: &mut W) -> Result<(), DbError> {
        let g: &GroupRecord = &plan.group;
        w.execute(
            "UPDATE groups SET name = $3, introduction = $4, notification = $5, face_url = $6,
                 max_member_num = $7, apply_join_option = $8, invite_join_option = $9,
                 mute_all = $10, history_before_join = $11, app_defined_data = $12,
                 info_seq = $13, last_info_time = $14
             WHERE app = $1 AND gkey = $2",
            params![
                self.app,
                g.key,
                &g.name,
                &g.introduction,
                &g.notification,
                &g.face_url,
                g.max_member_num,
                &g.apply_join_option,
                &g.invite_join_option,
                g.mute_all,
                g.history_before_join,
                to_json(&g.app_defined_data).as_str(),
                g.info_seq,
                g.last_info_time,
            ],
        )
        .await?;
        append::write(w, self.app, g.key, &plan.appends).await
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_INFO_CHANGED]))
    }

    async fn events<W: WriteTx>(
        &self,
        (): &(),
        _: &[&'static str],
        w: &mut W,
    ) -> Result<Vec<Event>, DbError> {
        let Some(g) = find_group(w, self.app, &self.group_id).await? else {
            return Ok(Vec::new());
        };
        let c = &self.changes;
        let mut fields = json!({
            "GroupId": g.group_id,
            "Type": g.ty.as_str(),
            "Operator_Account": self.operator,
        });
        // Only the items the request changed (inferred, callbacks.md §6.3).
        for (name, value) in [
            ("Name", &c.name),
            ("Introduction", &c.introduction),
            ("Notification", &c.notification),
            ("FaceUrl", &c.face_url),
        ] {
            if let Some(v) = value {
                fields[name] = v.as_str().into();
            }
        }
        Ok(vec![Event::new(
            cb::GROUP_AFTER_INFO_CHANGED,
            cb::group_ordering(&g.group_id),
            fields,
        )])
    }
}

/// The filter of get_joined_group_list, shared by its count and its page. The inactive test
/// is `GroupRecord::is_active` in SQL.
const JOINED_WHERE: &str = "FROM group_members m
    JOIN groups g ON g.app = m.app AND g.gkey = m.gkey
    LEFT JOIN group_mutes u ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id
    WHERE m.app = $1 AND m.user_id = $2
      AND (CAST($3 AS TEXT) IS NULL OR g.type = $3)
      AND ($4 OR g.type <> 'AVChatRoom')
      AND ($5 OR g.type <> 'Private' OR g.next_msg_seq > 1)
      AND (CAST($6 AS BOOLEAN) IS NULL OR g.support_topic = $6)";

pub(crate) struct JoinedGroups {
    pub app: AppId,
    pub account: String,
    pub query: JoinedQuery,
}

impl ReadOp for JoinedGroups {
    type Out = JoinedPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<JoinedPage, StoreError> {
        let q = &self.query;
        let with_huge = q.with_huge_groups || q.ty == Some(GroupType::AVChatRoom);
        let ty = q.ty.map(GroupType::as_str);
        let total = r
            .query_one(
                &format!("SELECT count(*) {JOINED_WHERE}"),
                params![
                    self.app,
                    &self.account,
                    ty,
                    with_huge,
                    q.with_inactive,
                    q.support_topic
                ],
            )
            .await?
            .u64(0);
        let group_cols = &*GROUP_COLUMNS_OF_G;
        let sql = format!(
            "SELECT {group_cols}, {MEMBER_COLUMNS} {JOINED_WHERE} ORDER BY g.gkey LIMIT $7 OFFSET $8"
        );
        let rows = r
            .query(
                &sql,
                params![
                    self.app,
                    &self.account,
                    ty,
                    with_huge,
                    q.with_inactive,
                    q.support_topic,
                    q.limit.unwrap_or(u64::MAX),
                    q.offset
                ],
            )
            .await?;
        let groups = rows
            .into_iter()
            .map(|mut r| {
                (
                    group_from_row(&mut r, 0),
                    member_from_row(&mut r, GROUP_COLUMN_COUNT),
                )
            })
            .collect();
        Ok(JoinedPage { total, groups })
    }
}

pub(crate) struct ListGroups {
    pub app: AppId,
    pub ty: Option<GroupType>,
    pub after: u64,
    pub limit: u64,
}

impl ReadOp for ListGroups {
    type Out = GroupIdPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<GroupIdPage, StoreError> {
        let ty = self.ty.map(GroupType::as_str);
        let total = r
            .query_one(
                "SELECT count(*) FROM groups WHERE app = $1 AND (CAST($2 AS TEXT) IS NULL OR type = $2)",
                params![self.app, ty],
            )
            .await?
            .u64(0);
        // One row more than asked tells whether another page follows.
        let rows = r
            .query(
                "SELECT gkey, group_id FROM groups
                 WHERE app = $1 AND (CAST($2 AS TEXT) IS NULL OR type = $2) AND gkey > $3
                 ORDER BY gkey LIMIT $4",
                params![self.app, ty, self.after, self.limit.saturating_add(1)],
            )
            .await?;
        let mut rows: Vec<(u64, String)> = rows
            .into_iter()
            .map(|mut r| (r.u64(0), r.take_str(1)))
            .collect();
        let next = if rows.len() as u64 > self.limit {
            rows.truncate(self.limit as usize);
            rows.last().map_or(0, |(key, _)| *key)
        } else {
            0
        };
        Ok(GroupIdPage {
            total,
            group_ids: rows.into_iter().map(|(_, id)| id).collect(),
            next,
        })
    }
}
