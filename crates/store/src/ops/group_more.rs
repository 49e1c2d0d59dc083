//! Group attributes, counters, bans, named members and AVChatRoom broadcasts.
//! spec: groups-more.md §2–§5, §7.7; the rules are `timber_core::group`'s.

use super::rows::{accounts_exist, are_members, find_group, find_member, locked_group};
use super::{append, ReadOp, WriteOp};
use crate::group_more::{BanPage, NewBroadcast};
use crate::sql::{params, ReadTx, WriteTx};
use crate::{DbError, StoreError};
use serde_json::json;
use timber_core::callback::{self as cb, Event};
use timber_core::group::{
    decide_attrs, decide_ban, decide_broadcast, decide_counters, require_attr_type,
    require_ban_type, require_counter_type, require_group, select_named_members, AttrWrite,
    BanPlan, Change, CounterMode, CounterPlan, GroupRecord, MemberRecord, Role,
    BROADCAST_DEDUP_SECS,
};
use timber_core::member::{Change as MemberChange, ChangeSink, GroupMsg};
use timber_core::AppId;

type Attrs = Vec<(String, String)>;

/// The group with this ID (10010 when there is none), read without a lock.
async fn group(r: &mut impl ReadTx, app: AppId, id: &str) -> Result<GroupRecord, StoreError> {
    let g = find_group(r, app, id).await?;
    Ok(require_group(g, id)?)
}

async fn stored_attrs(r: &mut impl ReadTx, app: AppId, gkey: i64) -> Result<Attrs, DbError> {
    let rows = r
        .query(
            "SELECT key, value FROM group_attrs WHERE app = $1 AND gkey = $2 ORDER BY key",
            params![app, gkey],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|mut r| (r.take_str(0), r.take_str(1)))
        .collect())
}

/// get_group_attr: every attribute, ascending key.
pub(crate) struct GetAttrs {
    pub app: AppId,
    pub group_id: String,
}

impl ReadOp for GetAttrs {
    type Out = Attrs;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Attrs, StoreError> {
        let g = group(r, self.app, &self.group_id).await?;
        require_attr_type(&g)?;
        Ok(stored_attrs(r, self.app, g.key).await?)
    }
}

/// modify / set / delete / clear_group_attr: the group's whole set replaced by the decided one.
pub(crate) struct WriteAttrs {
    pub app: AppId,
    pub group_id: String,
    pub write: AttrWrite,
    pub operator: String,
}

impl WriteOp for WriteAttrs {
    type Plan = (i64, Attrs);
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let stored = stored_attrs(r, self.app, g.key).await?;
        let set = decide_attrs(&g, &stored, &self.write)?;
        Ok((g.key, set.into_iter().collect()))
    }

    async fn apply<W: WriteTx>(&self, (gkey, set): Self::Plan, w: &mut W) -> Result<(), DbError> {
        w.execute(
            "DELETE FROM group_attrs WHERE app = $1 AND gkey = $2",
            params![self.app, gkey],
        )
        .await?;
        for (k, v) in &set {
            w.execute(
                "INSERT INTO group_attrs (app, gkey, key, value) VALUES ($1, $2, $3, $4)",
                params![self.app, gkey, k, v],
            )
            .await?;
        }
        Ok(())
    }

    fn callbacks(&self) -> Option<(AppId, &'static [&'static str])> {
        Some((self.app, &[cb::GROUP_AFTER_ATTR_CHANGED]))
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
        let attrs: Vec<_> = self
            .write
            .carried()
            .into_iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect();
        Ok(vec![Event::new(
            cb::GROUP_AFTER_ATTR_CHANGED,
            cb::group_ordering(&g.group_id),
            json!({
                "GroupId": g.group_id,
                "Type": g.ty.as_str(),
                "Operator_Account": self.operator,
                "OptionType": self.write.option_type(),
                "GroupAttr": attrs,
            }),
        )])
    }
}

async fn stored_counters(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
) -> Result<Vec<(String, i64)>, DbError> {
    let rows = r
        .query(
            "SELECT key, value FROM group_counters WHERE app = $1 AND gkey = $2 ORDER BY key",
            params![app, gkey],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|mut r| (r.take_str(0), r.i64(1)))
        .collect())
}

/// get_group_counter: the named keys that exist, request order (each once), or every
/// counter in ascending key.
pub(crate) struct GetCounters {
    pub app: AppId,
    pub group_id: String,
    pub keys: Option<Vec<String>>,
}

impl ReadOp for GetCounters {
    type Out = Vec<(String, i64)>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = group(r, self.app, &self.group_id).await?;
        require_counter_type(&g)?;
        let all = stored_counters(r, self.app, g.key).await?;
        let Some(keys) = &self.keys else {
            return Ok(all);
        };
        let mut out: Vec<(String, i64)> = Vec::new();
        for k in keys {
            if out.iter().any(|(o, _)| o == k) {
                continue;
            }
            if let Some(found) = all.iter().find(|(s, _)| s == k) {
                out.push(found.clone());
            }
        }
        Ok(out)
    }
}

pub(crate) struct UpdateCounters {
    pub app: AppId,
    pub group_id: String,
    pub mode: CounterMode,
    pub items: Vec<(String, i64)>,
}

impl WriteOp for UpdateCounters {
    type Plan = (i64, CounterPlan);
    type Out = Vec<(String, i64)>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let stored = stored_counters(r, self.app, g.key).await?;
        let plan = decide_counters(&g, &stored, self.mode, &self.items)?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Self::Out, DbError> {
        for (k, v) in &plan.writes {
            w.execute(
                "INSERT INTO group_counters (app, gkey, key, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (app, gkey, key) DO UPDATE SET value = excluded.value",
                params![self.app, gkey, k, *v],
            )
            .await?;
        }
        Ok(plan.answer)
    }
}

/// delete_group_counter: the named keys (absent ones are fine), or every counter.
pub(crate) struct DeleteCounters {
    pub app: AppId,
    pub group_id: String,
    pub keys: Option<Vec<String>>,
}

impl WriteOp for DeleteCounters {
    type Plan = i64;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<i64, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        require_counter_type(&g)?;
        Ok(g.key)
    }

    async fn apply<W: WriteTx>(&self, gkey: i64, w: &mut W) -> Result<(), DbError> {
        match &self.keys {
            None => {
                w.execute(
                    "DELETE FROM group_counters WHERE app = $1 AND gkey = $2",
                    params![self.app, gkey],
                )
                .await?;
            }
            Some(keys) => {
                for k in keys {
                    w.execute(
                        "DELETE FROM group_counters WHERE app = $1 AND gkey = $2 AND key = $3",
                        params![self.app, gkey, k],
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// Whether each of `accounts` is banned from the group at `now`, in order: what
/// add_group_member and import_group_member refuse (groups-more.md §5.1).
pub(super) async fn banned_among(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    accounts: &[&str],
    now: i64,
) -> Result<Vec<bool>, DbError> {
    let mut out = Vec::with_capacity(accounts.len());
    for &a in accounts {
        let row = r
            .query_opt(
                "SELECT 1 FROM group_bans
                 WHERE app = $1 AND gkey = $2 AND user_id = $3 AND banned_until > $4",
                params![app, gkey, a, now],
            )
            .await?;
        out.push(row.is_some());
    }
    Ok(out)
}

/// ban_group_member: the ban rows, and the removal of members as delete_group_member does.
pub(crate) struct Ban {
    pub app: AppId,
    pub group_id: String,
    pub accounts: Vec<String>,
    pub duration: u64,
    pub description: String,
    pub operator: String,
    pub now: i64,
}

impl WriteOp for Ban {
    type Plan = (i64, BanPlan);
    /// The accounts removed from the member list.
    type Out = Vec<String>;

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        let names: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
        let exist = accounts_exist(r, self.app, &names).await?;
        let member = are_members(r, self.app, g.key, &names).await?;
        let by = Change {
            operator: &self.operator,
            now: self.now,
        };
        let plan = decide_ban(&g, &self.accounts, &exist, &member, self.duration, by)?;
        Ok((g.key, plan))
    }

    async fn apply<W: WriteTx>(
        &self,
        (gkey, plan): Self::Plan,
        w: &mut W,
    ) -> Result<Vec<String>, DbError> {
        for a in &plan.accounts {
            w.execute(
                "INSERT INTO group_bans (app, gkey, user_id, banned_until, ban_time, description)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (app, gkey, user_id) DO UPDATE SET banned_until = excluded.banned_until,
                     ban_time = excluded.ban_time, description = excluded.description",
                params![self.app, gkey, a, plan.until, self.now, &self.description],
            )
            .await?;
        }
        let leave = plan.leave;
        if leave.leaving.is_empty() {
            return Ok(Vec::new());
        }
        super::contacts::keep_departing(w, self.app, gkey, Some(&leave.leaving)).await?;
        for a in &leave.leaving {
            w.execute(
                "DELETE FROM group_members WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![self.app, gkey, a],
            )
            .await?;
        }
        w.execute(
            "UPDATE groups SET member_num = $2 WHERE gkey = $1",
            params![gkey, leave.member_num],
        )
        .await?;
        append::write(w, self.app, gkey, &leave.appends).await?;
        Ok(leave.leaving)
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
        super::members::kicked_event(w, self.app, &self.group_id, &self.operator, left).await
    }
}

/// unban_group_member: ends the bans early; not banned is fine; nobody is put back.
pub(crate) struct Unban {
    pub app: AppId,
    pub group_id: String,
    pub accounts: Vec<String>,
}

impl WriteOp for Unban {
    type Plan = i64;
    type Out = ();

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<i64, StoreError> {
        let g = locked_group(r, self.app, &self.group_id).await?;
        require_ban_type(&g)?;
        Ok(g.key)
    }

    async fn apply<W: WriteTx>(&self, gkey: i64, w: &mut W) -> Result<(), DbError> {
        for a in &self.accounts {
            w.execute(
                "DELETE FROM group_bans WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![self.app, gkey, a],
            )
            .await?;
        }
        Ok(())
    }
}

/// get_group_ban_member: bans in force at `now`, oldest ban first, `limit` from `offset`.
pub(crate) struct Banned {
    pub app: AppId,
    pub group_id: String,
    pub now: i64,
    pub offset: u64,
    pub limit: u64,
}

impl ReadOp for Banned {
    type Out = BanPage;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<BanPage, StoreError> {
        let g = group(r, self.app, &self.group_id).await?;
        require_ban_type(&g)?;
        let rows = r
            .query(
                "SELECT user_id, banned_until FROM group_bans
                 WHERE app = $1 AND gkey = $2 AND banned_until > $3
                 ORDER BY ban_time, user_id LIMIT $4 OFFSET $5",
                params![self.app, g.key, self.now, self.limit + 1, self.offset],
            )
            .await?;
        let mut bans: Vec<(String, i64)> = rows
            .into_iter()
            .map(|mut r| (r.take_str(0), r.i64(1)))
            .collect();
        let more = bans.len() as u64 > self.limit;
        bans.truncate(self.limit as usize);
        let next = if more { self.offset + self.limit } else { 0 };
        Ok(BanPage { bans, next })
    }
}

/// get_specified_group_member_info: the memberships of the named accounts.
pub(crate) struct NamedMembers {
    pub app: AppId,
    pub group_id: String,
    pub accounts: Vec<String>,
    pub roles: Vec<Role>,
}

impl ReadOp for NamedMembers {
    type Out = Vec<MemberRecord>;

    async fn read<R: ReadTx>(&self, r: &mut R) -> Result<Self::Out, StoreError> {
        let g = group(r, self.app, &self.group_id).await?;
        let mut found = Vec::with_capacity(self.accounts.len());
        if g.ty != timber_core::group::GroupType::AVChatRoom {
            for a in &self.accounts {
                found.push(find_member(r, self.app, g.key, a).await?);
            }
        }
        Ok(select_named_members(&g, found, &self.roles)?)
    }
}

/// send_broadcast_msg: the app-wide broadcast seq, and the row that detects a repeat
/// (same content and `Random` within [`BROADCAST_DEDUP_SECS`]). Nothing else is stored.
pub(crate) struct Broadcast {
    pub app: AppId,
    pub random: u32,
    pub msg: NewBroadcast,
    pub now: i64,
}

impl Broadcast {
    /// The sender, body and custom data, as one text: what "the same content" compares.
    fn content(&self) -> String {
        json!([self.msg.from, self.msg.body, self.msg.cloud_custom_data]).to_string()
    }
}

impl WriteOp for Broadcast {
    type Plan = (u64, bool);
    /// The broadcast's seq, and whether it is new (not a repeat).
    type Out = (u64, bool);

    fn changes(
        &self,
        &(seq, new): &(u64, bool),
        sink: &dyn ChangeSink,
    ) -> Option<(AppId, Vec<MemberChange>)> {
        (new && sink.wants(self.app)).then(|| {
            let msg = GroupMsg {
                seq,
                from: self.msg.from.clone(),
                random: self.random,
                time: self.now,
                priority: 2,
                is_system: false,
                body: self.msg.body.clone(),
                cloud_custom_data: self.msg.cloud_custom_data.clone(),
                to_accounts: Vec::new(),
                topic_id: None,
            };
            (self.app, vec![MemberChange::Broadcast { msg }])
        })
    }

    async fn check<R: ReadTx>(&self, r: &mut R) -> Result<Self::Plan, StoreError> {
        if !r.for_update().is_empty() {
            // PostgreSQL: broadcasts of one app take turns for their seq (there is no group
            // row to lock), so concurrent nodes wait instead of retrying on a taken seq.
            r.query(
                "SELECT count(*) FROM (SELECT pg_advisory_xact_lock($1::bigint # 7437262)) l",
                params![self.app],
            )
            .await?;
        }
        let last = r
            .query_opt(
                "SELECT seq FROM broadcasts WHERE app = $1 ORDER BY seq DESC LIMIT 1",
                params![self.app],
            )
            .await?
            .map_or(0, |r| r.u64(0));
        let duplicate = r
            .query_opt(
                "SELECT seq FROM broadcasts WHERE app = $1 AND random = $2 AND content = $3
                   AND time >= $4 ORDER BY seq LIMIT 1",
                params![
                    self.app,
                    i64::from(self.random),
                    &self.content(),
                    self.now - BROADCAST_DEDUP_SECS
                ],
            )
            .await?
            .map(|r| r.u64(0));
        Ok(decide_broadcast(last, duplicate))
    }

    async fn apply<W: WriteTx>(
        &self,
        (seq, new): Self::Plan,
        w: &mut W,
    ) -> Result<(u64, bool), DbError> {
        if new {
            let inserted = w
                .execute(
                    "INSERT INTO broadcasts (app, seq, random, time, content)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (app, seq) DO NOTHING",
                    params![
                        self.app,
                        seq,
                        i64::from(self.random),
                        self.now,
                        &self.content()
                    ],
                )
                .await?;
            if inserted == 0 {
                // Another transaction took this seq since the check: run the whole operation
                // again (the advisory lock above makes this rare).
                return Err(DbError::Conflict(format!("broadcast seq {seq} was taken")));
            }
            // Only the newest row is kept past the window: it carries the counter on.
            w.execute(
                "DELETE FROM broadcasts WHERE app = $1 AND seq < $2 AND time < $3",
                params![self.app, seq, self.now - BROADCAST_DEDUP_SECS],
            )
            .await?;
        }
        Ok((seq, new))
    }
}
