//! Groups and members on SQLite. spec: groups.md.

use super::accounts::account_exists;
use super::messages::append_message;
use super::SqliteStore;
use crate::groups::{
    AddResult, GroupRecord, GroupStore, GroupWithMembers, MemberRecord, NewGroup, NewMember,
};
use crate::messages::NewGroupMsg;
use crate::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use timber_core::group::{
    generated_group_id, GroupOp, GroupType, KeyValue, Role, DEFAULT_MSG_FLAG,
};
use timber_core::tips::Tip;
use timber_core::{AppId, Error, ErrorCode};

/// Columns read into a [`GroupRecord`], in `group_from_row` order.
pub(crate) const GROUP_COLUMNS: &str = "gkey, group_id, type, name, introduction, notification, \
    face_url, owner, create_time, info_seq, last_info_time, last_msg_time, next_msg_seq, member_num, \
    max_member_num, apply_join_option, invite_join_option, mute_all, history_before_join, \
    support_topic, app_defined_data, cleared_upto, read_floor";

fn group_from_row(r: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    let ty: String = r.get(2)?;
    Ok(GroupRecord {
        key: r.get(0)?,
        group_id: r.get(1)?,
        ty: GroupType::parse(&ty).unwrap_or(GroupType::Public),
        name: r.get(3)?,
        introduction: r.get(4)?,
        notification: r.get(5)?,
        face_url: r.get(6)?,
        owner: r.get(7)?,
        create_time: r.get(8)?,
        info_seq: r.get::<_, i64>(9)? as u64,
        last_info_time: r.get(10)?,
        last_msg_time: r.get(11)?,
        next_msg_seq: r.get::<_, i64>(12)? as u64,
        member_num: r.get::<_, i64>(13)? as u64,
        max_member_num: r.get::<_, i64>(14)? as u64,
        apply_join_option: r.get(15)?,
        invite_join_option: r.get(16)?,
        mute_all: r.get(17)?,
        history_before_join: r.get(18)?,
        support_topic: r.get(19)?,
        app_defined_data: from_json(&r.get::<_, String>(20)?),
        cleared_upto: r.get::<_, i64>(21)? as u64,
        read_floor: r.get::<_, i64>(22)? as u64,
    })
}

/// Custom fields are stored as their JSON array; a damaged value reads as empty.
pub(crate) fn from_json(text: &str) -> Vec<KeyValue> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn to_json(kv: &[KeyValue]) -> String {
    serde_json::to_string(kv).unwrap_or_else(|_| "[]".into())
}

/// The live group with this ID, if any.
pub(crate) fn find_group(
    c: &Connection,
    app: AppId,
    group_id: &str,
) -> Result<Option<GroupRecord>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE app = ?1 AND group_id = ?2");
    Ok(c.prepare_cached(&sql)?
        .query_row(params![app as i64, group_id], group_from_row)
        .optional()?)
}

/// The live group with this ID, or 10010.
pub(crate) fn load_group(c: &Connection, app: AppId, group_id: &str) -> Result<GroupRecord> {
    find_group(c, app, group_id)?.ok_or_else(|| not_found(group_id).into())
}

pub(crate) fn not_found(group_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupNotFound,
        format!("group {group_id:?} does not exist or was dissolved"),
    )
}

/// Columns read into a [`MemberRecord`], with the mute joined from `group_mutes`.
const MEMBER_SELECT: &str = "SELECT m.user_id, m.role, m.join_time, m.join_seq, m.read_seq, \
    m.msg_flag, m.last_send_time, m.name_card, coalesce(u.mute_until, 0), m.app_member_defined_data \
    FROM group_members m LEFT JOIN group_mutes u \
    ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id";

fn member_from_row(r: &Row<'_>) -> rusqlite::Result<MemberRecord> {
    Ok(MemberRecord {
        account: r.get(0)?,
        role: Role::from_db(r.get(1)?),
        join_time: r.get(2)?,
        join_seq: r.get::<_, i64>(3)? as u64,
        read_seq: r.get::<_, i64>(4)? as u64,
        msg_flag: r.get(5)?,
        last_send_time: r.get(6)?,
        name_card: r.get(7)?,
        mute_until: r.get(8)?,
        app_member_defined_data: from_json(&r.get::<_, String>(9)?),
    })
}

/// One membership, if the account is a member.
pub(crate) fn find_member(
    c: &Connection,
    app: AppId,
    gkey: i64,
    account: &str,
) -> Result<Option<MemberRecord>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.app = ?1 AND m.gkey = ?2 AND m.user_id = ?3");
    Ok(c.prepare_cached(&sql)?
        .query_row(params![app as i64, gkey, account], member_from_row)
        .optional()?)
}

/// All members of a group, in a stable order (by UserID).
pub(crate) fn all_members(c: &Connection, app: AppId, gkey: i64) -> Result<Vec<MemberRecord>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.app = ?1 AND m.gkey = ?2 ORDER BY m.user_id");
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![app as i64, gkey], member_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Inserts a membership; the caller keeps `member_num` in step.
pub(crate) fn insert_member(
    c: &Connection,
    app: AppId,
    g: &GroupRecord,
    m: &NewMember,
) -> Result<()> {
    // Imported unread counts become a read position: UnreadMsgNum newest messages are unread.
    let last = g.last_seq();
    let read_seq = last - m.unread.unwrap_or(0).min(last);
    c.prepare_cached(
        "INSERT INTO group_members (app, gkey, user_id, role, join_time, join_seq, read_seq,
             msg_flag, app_member_defined_data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        app as i64,
        g.key,
        m.account,
        m.role.to_db(),
        m.join_time,
        g.next_msg_seq as i64,
        read_seq as i64,
        DEFAULT_MSG_FLAG,
        to_json(&m.app_member_defined_data),
    ])?;
    Ok(())
}

pub(crate) fn set_member_num(c: &Connection, g: &mut GroupRecord, member_num: u64) -> Result<()> {
    c.prepare_cached("UPDATE groups SET member_num = ?2 WHERE gkey = ?1")?
        .execute(params![g.key, member_num as i64])?;
    g.member_num = member_num;
    Ok(())
}

/// 10019 naming the first account in `accounts` that does not exist.
pub(crate) fn require_accounts<'a>(
    c: &Connection,
    app: AppId,
    accounts: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    for a in accounts {
        if !account_exists(c, app, a)? {
            return Err(Error::new(
                ErrorCode::GroupAccountNotFound,
                format!("account {a:?} does not exist"),
            )
            .into());
        }
    }
    Ok(())
}

fn create_group(c: &Connection, app: AppId, g: NewGroup, now: i64) -> Result<String> {
    if let Some(id) = &g.group_id {
        if let Some(existing) = find_group(c, app, id)? {
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
    require_accounts(
        c,
        app,
        g.owner
            .iter()
            .map(String::as_str)
            .chain(g.members.iter().map(|m| m.account.as_str())),
    )?;

    // The owner first, then the listed members, each once.
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

    let placeholder = g.group_id.clone().unwrap_or_default();
    c.prepare_cached(
        "INSERT INTO groups (app, group_id, type, name, introduction, notification, face_url, owner,
             create_time, last_info_time, max_member_num, apply_join_option, invite_join_option,
             mute_all, support_topic, app_defined_data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        app as i64,
        placeholder,
        g.ty.as_str(),
        g.name,
        g.introduction,
        g.notification,
        g.face_url,
        g.owner.clone().unwrap_or_default(),
        g.create_time,
        now,
        g.max_member_num as i64,
        g.apply_join_option,
        g.invite_join_option,
        g.mute_all,
        g.support_topic,
        to_json(&g.app_defined_data),
    ])?;
    let key = c.last_insert_rowid();
    let group_id = match g.group_id {
        Some(id) => id,
        None => {
            let id = generated_group_id(g.ty, key as u64);
            c.prepare_cached("UPDATE groups SET group_id = ?2 WHERE gkey = ?1")?
                .execute(params![key, id])?;
            id
        }
    };
    let mut record = load_group(c, app, &group_id)?;
    for m in &members {
        insert_member(c, app, &record, m)?;
    }
    set_member_num(c, &mut record, members.len() as u64)?;
    Ok(group_id)
}

fn add_members(
    c: &Connection,
    app: AppId,
    group_id: &str,
    members: Vec<NewMember>,
    silent: bool,
    operator: &str,
    now: i64,
) -> Result<Vec<AddResult>> {
    let mut g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::AddMember)?;
    require_accounts(c, app, members.iter().map(|m| m.account.as_str()))?;
    let mut results = Vec::with_capacity(members.len());
    let mut added: Vec<&NewMember> = Vec::new();
    for m in &members {
        let member = find_member(c, app, g.key, &m.account)?.is_some()
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
        insert_member(c, app, &g, m)?;
    }
    set_member_num(c, &mut g, total)?;
    // Inactive Work groups get no tips (groups.md §4.6), so adding members never activates one.
    if !silent && !added.is_empty() && g.ty.stores_member_tips() && g.is_active() {
        let tip = Tip::MembersJoined {
            members: added.iter().map(|m| m.account.clone()).collect(),
        };
        append_message(c, app, &mut g, &NewGroupMsg::tip(operator, &tip, now))?;
    }
    Ok(results)
}

#[async_trait::async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, app: AppId, group: NewGroup, now: i64) -> Result<String> {
        self.write(move |c| create_group(c, app, group, now)).await
    }

    async fn destroy_group(&self, app: AppId, group_id: String) -> Result<()> {
        self.write(move |c| {
            let g = load_group(c, app, &group_id)?;
            c.prepare_cached("DELETE FROM groups WHERE gkey = ?1")?
                .execute(params![g.key])?;
            c.prepare_cached("INSERT INTO purge_queue (gkey, app, queued_at) VALUES (?1, ?2, ?3)")?
                .execute(params![g.key, app as i64, timber_core::now_secs()])?;
            Ok(())
        })
        .await
    }

    async fn get_groups(
        &self,
        app: AppId,
        group_ids: Vec<String>,
        with_members: bool,
    ) -> Result<Vec<Option<GroupWithMembers>>> {
        self.read(move |c| {
            group_ids
                .iter()
                .map(|id| {
                    let Some(group) = find_group(c, app, id)? else {
                        return Ok(None);
                    };
                    let members = if with_members {
                        all_members(c, app, group.key)?
                    } else {
                        Vec::new()
                    };
                    Ok(Some(GroupWithMembers { group, members }))
                })
                .collect()
        })
        .await
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
        self.write(move |c| add_members(c, app, &group_id, members, silent, &operator, now))
            .await
    }
}
