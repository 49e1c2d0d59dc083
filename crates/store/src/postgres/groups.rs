//! Groups and members on PostgreSQL. spec: groups.md.

use super::accounts::account_exists;
use super::messages::append_message;
use super::{tx, PgStore};
use crate::groups::{
    AddResult, GroupRecord, GroupStore, GroupWithMembers, MemberRecord, NewGroup, NewMember,
};
use crate::messages::NewGroupMsg;
use crate::{Result, StoreError};
use deadpool_postgres::{GenericClient, Transaction};
use timber_core::group::{
    generated_group_id, GroupOp, GroupType, KeyValue, Role, DEFAULT_MSG_FLAG,
};
use timber_core::tips::Tip;
use timber_core::{AppId, Error, ErrorCode};
use tokio_postgres::Row;

const GROUP_COLUMNS: &str = "gkey, group_id, type, name, introduction, notification, \
    face_url, owner, create_time, info_seq, last_info_time, last_msg_time, next_msg_seq, member_num, \
    max_member_num, apply_join_option, invite_join_option, mute_all, history_before_join, \
    support_topic, app_defined_data, cleared_upto, read_floor";

fn group_from_row(r: &Row) -> GroupRecord {
    let ty: String = r.get(2);
    GroupRecord {
        key: r.get(0),
        group_id: r.get(1),
        ty: GroupType::parse(&ty).unwrap_or(GroupType::Public),
        name: r.get(3),
        introduction: r.get(4),
        notification: r.get(5),
        face_url: r.get(6),
        owner: r.get(7),
        create_time: r.get(8),
        info_seq: r.get::<_, i64>(9) as u64,
        last_info_time: r.get(10),
        last_msg_time: r.get(11),
        next_msg_seq: r.get::<_, i64>(12) as u64,
        member_num: r.get::<_, i64>(13) as u64,
        max_member_num: r.get::<_, i64>(14) as u64,
        apply_join_option: r.get(15),
        invite_join_option: r.get(16),
        mute_all: r.get(17),
        history_before_join: r.get(18),
        support_topic: r.get(19),
        app_defined_data: from_json(r.get(20)),
        cleared_upto: r.get::<_, i64>(21) as u64,
        read_floor: r.get::<_, i64>(22) as u64,
    }
}

fn from_json(text: &str) -> Vec<KeyValue> {
    serde_json::from_str(text).unwrap_or_default()
}

fn to_json(kv: &[KeyValue]) -> String {
    serde_json::to_string(kv).unwrap_or_else(|_| "[]".into())
}

/// The live group with this ID, if any; `lock` takes its row lock for the transaction.
pub(crate) async fn find_group(
    c: &impl GenericClient,
    app: AppId,
    group_id: &str,
    lock: bool,
) -> Result<Option<GroupRecord>> {
    let sql = format!(
        "SELECT {GROUP_COLUMNS} FROM groups WHERE app = $1 AND group_id = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let stmt = c.prepare_cached(&sql).await?;
    Ok(c.query_opt(&stmt, &[&(app as i64), &group_id])
        .await?
        .as_ref()
        .map(group_from_row))
}

/// The live group with this ID, locked for this transaction, or 10010.
pub(crate) async fn lock_group(
    t: &Transaction<'_>,
    app: AppId,
    group_id: &str,
) -> Result<GroupRecord> {
    find_group(t, app, group_id, true).await?.ok_or_else(|| {
        Error::new(
            ErrorCode::GroupNotFound,
            format!("group {group_id:?} does not exist or was dissolved"),
        )
        .into()
    })
}

const MEMBER_SELECT: &str = "SELECT m.user_id, m.role, m.join_time, m.join_seq, m.read_seq, \
    m.msg_flag, m.last_send_time, m.name_card, coalesce(u.mute_until, 0), m.app_member_defined_data \
    FROM group_members m LEFT JOIN group_mutes u \
    ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id";

fn member_from_row(r: &Row) -> MemberRecord {
    MemberRecord {
        account: r.get(0),
        role: Role::from_db(r.get(1)),
        join_time: r.get(2),
        join_seq: r.get::<_, i64>(3) as u64,
        read_seq: r.get::<_, i64>(4) as u64,
        msg_flag: r.get(5),
        last_send_time: r.get(6),
        name_card: r.get(7),
        mute_until: r.get(8),
        app_member_defined_data: from_json(r.get(9)),
    }
}

pub(crate) async fn find_member(
    c: &impl GenericClient,
    app: AppId,
    gkey: i64,
    account: &str,
) -> Result<Option<MemberRecord>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.app = $1 AND m.gkey = $2 AND m.user_id = $3");
    let stmt = c.prepare_cached(&sql).await?;
    Ok(c.query_opt(&stmt, &[&(app as i64), &gkey, &account])
        .await?
        .as_ref()
        .map(member_from_row))
}

pub(crate) async fn all_members(
    c: &impl GenericClient,
    app: AppId,
    gkey: i64,
) -> Result<Vec<MemberRecord>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.app = $1 AND m.gkey = $2 ORDER BY m.user_id");
    let stmt = c.prepare_cached(&sql).await?;
    Ok(c.query(&stmt, &[&(app as i64), &gkey])
        .await?
        .iter()
        .map(member_from_row)
        .collect())
}

pub(crate) async fn insert_member(
    t: &Transaction<'_>,
    app: AppId,
    g: &GroupRecord,
    m: &NewMember,
) -> Result<()> {
    let last = g.last_seq();
    let read_seq = last - m.unread.unwrap_or(0).min(last);
    let stmt = t
        .prepare_cached(
            "INSERT INTO group_members (app, gkey, user_id, role, join_time, join_seq, read_seq,
                 msg_flag, app_member_defined_data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await?;
    t.execute(
        &stmt,
        &[
            &(app as i64),
            &g.key,
            &m.account,
            &m.role.to_db(),
            &m.join_time,
            &(g.next_msg_seq as i64),
            &(read_seq as i64),
            &DEFAULT_MSG_FLAG,
            &to_json(&m.app_member_defined_data),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn set_member_num(
    t: &Transaction<'_>,
    g: &mut GroupRecord,
    member_num: u64,
) -> Result<()> {
    t.execute(
        "UPDATE groups SET member_num = $2 WHERE gkey = $1",
        &[&g.key, &(member_num as i64)],
    )
    .await?;
    g.member_num = member_num;
    Ok(())
}

pub(crate) async fn require_accounts(
    t: &Transaction<'_>,
    app: AppId,
    accounts: &[&str],
) -> Result<()> {
    for a in accounts {
        if !account_exists(t, app, a).await? {
            return Err(Error::new(
                ErrorCode::GroupAccountNotFound,
                format!("account {a:?} does not exist"),
            )
            .into());
        }
    }
    Ok(())
}

async fn create_group(t: &Transaction<'_>, app: AppId, g: &NewGroup, now: i64) -> Result<String> {
    if let Some(id) = &g.group_id {
        if let Some(existing) = find_group(t, app, id, false).await? {
            let own =
                !existing.owner.is_empty() && g.owner.as_deref() == Some(existing.owner.as_str());
            let code = if own {
                ErrorCode::GroupIdInUseByOwner
            } else {
                ErrorCode::GroupIdInUse
            };
            return Err(Error::new(code, format!("group ID {id:?} is already in use")).into());
        }
    }
    if !g.members.is_empty() {
        g.ty.check(GroupOp::CreateWithMembers)?;
    }
    let mut names: Vec<&str> = g.owner.iter().map(String::as_str).collect();
    names.extend(g.members.iter().map(|m| m.account.as_str()));
    require_accounts(t, app, &names).await?;

    let mut members: Vec<NewMember> = Vec::with_capacity(g.members.len() + 1);
    if let Some(owner) = &g.owner {
        members.push(NewMember {
            role: Role::Owner,
            ..NewMember::member(owner.clone(), g.create_time)
        });
    }
    for m in &g.members {
        if !members.iter().any(|x| x.account == m.account) {
            members.push(m.clone());
        }
    }
    if members.len() as u64 > g.max_member_num {
        return Err(Error::new(
            ErrorCode::GroupMemberLimit,
            format!(
                "{} members exceed MaxMemberNum {}",
                members.len(),
                g.max_member_num
            ),
        )
        .into());
    }
    let key: i64 = t
        .query_one("SELECT nextval('group_keys')", &[])
        .await?
        .get(0);
    let group_id = g
        .group_id
        .clone()
        .unwrap_or_else(|| generated_group_id(g.ty, key as u64));
    let stmt = t
        .prepare_cached(
            "INSERT INTO groups (gkey, app, group_id, type, name, introduction, notification, face_url,
                 owner, create_time, last_info_time, max_member_num, apply_join_option,
                 invite_join_option, mute_all, support_topic, app_defined_data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (app, group_id) DO NOTHING",
        )
        .await?;
    let inserted = t
        .execute(
            &stmt,
            &[
                &key,
                &(app as i64),
                &group_id,
                &g.ty.as_str(),
                &g.name,
                &g.introduction,
                &g.notification,
                &g.face_url,
                &g.owner.clone().unwrap_or_default(),
                &g.create_time,
                &now,
                &(g.max_member_num as i64),
                &g.apply_join_option,
                &g.invite_join_option,
                &g.mute_all,
                &g.support_topic,
                &to_json(&g.app_defined_data),
            ],
        )
        .await?;
    if inserted == 0 {
        // Another node created this custom ID between our check and our insert.
        return Err(Error::new(
            ErrorCode::GroupIdInUse,
            format!("group ID {group_id:?} is already in use"),
        )
        .into());
    }
    let mut record = lock_group(t, app, &group_id).await?;
    for m in &members {
        insert_member(t, app, &record, m).await?;
    }
    set_member_num(t, &mut record, members.len() as u64).await?;
    Ok(group_id)
}

async fn add_members(
    t: &Transaction<'_>,
    app: AppId,
    group_id: &str,
    members: &[NewMember],
    silent: bool,
    operator: &str,
    now: i64,
) -> Result<Vec<AddResult>> {
    let mut g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::AddMember)?;
    let names: Vec<&str> = members.iter().map(|m| m.account.as_str()).collect();
    require_accounts(t, app, &names).await?;
    let mut results = Vec::with_capacity(members.len());
    let mut added: Vec<&NewMember> = Vec::new();
    for m in members {
        let member = find_member(t, app, g.key, &m.account).await?.is_some()
            || added.iter().any(|a| a.account == m.account);
        results.push(if member {
            AddResult::AlreadyMember
        } else {
            AddResult::Added
        });
        if !member {
            added.push(m);
        }
    }
    let total = g.member_num + added.len() as u64;
    if total > g.max_member_num {
        return Err(Error::new(
            ErrorCode::GroupFull,
            format!(
                "adding {} members would exceed MaxMemberNum {}",
                added.len(),
                g.max_member_num
            ),
        )
        .into());
    }
    for m in &added {
        insert_member(t, app, &g, m).await?;
    }
    set_member_num(t, &mut g, total).await?;
    if !silent && !added.is_empty() && g.ty.stores_member_tips() && g.is_active() {
        let tip = Tip::MembersJoined {
            members: added.iter().map(|m| m.account.clone()).collect(),
        };
        append_message(t, app, &mut g, &NewGroupMsg::tip(operator, &tip, now)).await?;
    }
    Ok(results)
}

#[async_trait::async_trait]
impl GroupStore for PgStore {
    async fn create_group(&self, app: AppId, group: NewGroup, now: i64) -> Result<String> {
        tx!(self, t => create_group(&t, app, &group, now).await)
    }

    async fn destroy_group(&self, app: AppId, group_id: String) -> Result<()> {
        tx!(self, t => {
            let g = lock_group(&t, app, &group_id).await?;
            t.execute("DELETE FROM groups WHERE gkey = $1", &[&g.key]).await?;
            t.execute(
                "INSERT INTO purge_queue (gkey, app, queued_at) VALUES ($1, $2, $3)",
                &[&g.key, &(app as i64), &timber_core::now_secs()],
            )
            .await?;
            Ok(())
        })
    }

    async fn get_groups(
        &self,
        app: AppId,
        group_ids: Vec<String>,
        with_members: bool,
    ) -> Result<Vec<Option<GroupWithMembers>>> {
        let client = self.pool.get().await.map_err(StoreError::internal)?;
        let mut out = Vec::with_capacity(group_ids.len());
        for id in &group_ids {
            let Some(group) = find_group(&client, app, id, false).await? else {
                out.push(None);
                continue;
            };
            let members = if with_members {
                all_members(&client, app, group.key).await?
            } else {
                Vec::new()
            };
            out.push(Some(GroupWithMembers { group, members }));
        }
        Ok(out)
    }

    async fn add_members(
        &self,
        app: AppId,
        group_id: String,
        members: Vec<NewMember>,
        silent: bool,
        operator: String,
        now: i64,
    ) -> Result<Vec<AddResult>> {
        tx!(self, t => add_members(&t, app, &group_id, &members, silent, &operator, now).await)
    }
}
