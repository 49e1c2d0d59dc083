//! Groups and members on SQLite. spec: groups.md.

use super::accounts::account_exists;
use super::messages::append_message;
use super::SqliteStore;
use crate::groups::{
    AddResult, GroupChanges, GroupIdPage, GroupRecord, GroupStore, GroupWithMembers, JoinedPage,
    JoinedQuery, MemberChanges, MemberPage, MemberQuery, MemberRecord, NewGroup, NewMember,
};
use crate::messages::NewGroupMsg;
use crate::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use timber_core::group::{
    generated_group_id, merge_custom_fields, mute_until, GroupOp, GroupType, KeyValue, Role,
    AVCHATROOM_MEMBER_LIST_CAP, DEFAULT_MSG_FLAG, MAX_GROUP_CUSTOM_FIELDS,
    MAX_MEMBER_CUSTOM_FIELDS,
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
    m.msg_flag, m.last_send_time, m.name_card, coalesce(u.mute_until, 0), m.app_member_defined_data, \
    m.read_floor_seen FROM group_members m LEFT JOIN group_mutes u \
    ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id";

fn member_from_row(r: &Row<'_>) -> rusqlite::Result<MemberRecord> {
    member_from_row_at(r, 0)
}

/// A [`MemberRecord`] from the `MEMBER_SELECT` columns starting at column `at`.
fn member_from_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<MemberRecord> {
    Ok(MemberRecord {
        account: r.get(at)?,
        role: Role::from_db(r.get(at + 1)?),
        join_time: r.get(at + 2)?,
        join_seq: r.get::<_, i64>(at + 3)? as u64,
        read_seq: r.get::<_, i64>(at + 4)? as u64,
        msg_flag: r.get(at + 5)?,
        last_send_time: r.get(at + 6)?,
        name_card: r.get(at + 7)?,
        mute_until: r.get(at + 8)?,
        app_member_defined_data: from_json(&r.get::<_, String>(at + 9)?),
        read_floor_seen: r.get::<_, i64>(at + 10)? as u64,
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
    if g.members.iter().any(|m| m.role == Role::Admin) {
        g.ty.check(GroupOp::AppointAdmin)?;
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

/// Stores `tip` in the group's history when its type stores that kind of tip (groups.md §6).
/// An inactive Work group gets none (groups.md §4.6), so a tip never activates one.
fn store_tip(
    c: &Connection,
    app: AppId,
    g: &mut GroupRecord,
    operator: &str,
    tip: Tip,
    now: i64,
) -> Result<()> {
    if tip.is_stored_in(g.ty) && g.is_active() {
        append_message(c, app, g, &NewGroupMsg::tip(operator, &tip, now))?;
    }
    Ok(())
}

/// Adds those of `members` (existing accounts, else 10019) that are not members yet; the
/// others answer AlreadyMember. All or nothing: if the group cannot take them all, 10014.
/// An `Admin` role needs a type with admins (10007). Returns the results and who was added.
fn join(
    c: &Connection,
    app: AppId,
    g: &mut GroupRecord,
    members: &[NewMember],
) -> Result<(Vec<AddResult>, Vec<String>)> {
    if members.iter().any(|m| m.role == Role::Admin) {
        g.ty.check(GroupOp::AppointAdmin)?;
    }
    require_accounts(c, app, members.iter().map(|m| m.account.as_str()))?;
    let mut results = Vec::with_capacity(members.len());
    let mut added: Vec<&NewMember> = Vec::new();
    for m in members {
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
        insert_member(c, app, g, m)?;
    }
    set_member_num(c, g, total)?;
    Ok((results, added.iter().map(|m| m.account.clone()).collect()))
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
    let (results, added) = join(c, app, &mut g, &members)?;
    if !silent && !added.is_empty() {
        let tip = Tip::MembersJoined { members: added };
        store_tip(c, app, &mut g, operator, tip, now)?;
    }
    Ok(results)
}

fn delete_members(
    c: &Connection,
    app: AppId,
    group_id: &str,
    accounts: &[String],
    silent: bool,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::DeleteMember)?;
    if !g.owner.is_empty() && accounts.contains(&g.owner) {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!(
                "{:?} is the owner and cannot be removed; change_group_owner first",
                g.owner
            ),
        )
        .into());
    }
    let mut removed = Vec::new();
    for a in accounts {
        let n = c
            .prepare_cached(
                "DELETE FROM group_members WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
            )?
            .execute(params![app as i64, g.key, a])?;
        if n > 0 {
            removed.push(a.clone());
        }
    }
    if removed.is_empty() {
        return Ok(());
    }
    // Mutes stay in group_mutes: they survive leaving and joining again (groups.md §4.13).
    let remaining = g.member_num - removed.len() as u64;
    set_member_num(c, &mut g, remaining)?;
    if !silent {
        let tip = Tip::MembersRemoved { members: removed };
        store_tip(c, app, &mut g, operator, tip, now)?;
    }
    Ok(())
}

fn invalid(info: String) -> crate::StoreError {
    Error::new(ErrorCode::GroupInvalidParameter, info).into()
}

/// Applies set/delete updates to stored custom fields, keeping at most `max` keys (10004).
fn merged_custom_fields(
    stored: &[KeyValue],
    updates: &[KeyValue],
    max: usize,
) -> Result<Vec<KeyValue>> {
    let mut fields = stored.to_vec();
    merge_custom_fields(&mut fields, updates);
    if fields.len() > max {
        return Err(invalid(format!(
            "the change would leave {} custom fields; at most {max} are allowed",
            fields.len()
        )));
    }
    Ok(fields)
}

fn modify_group(
    c: &Connection,
    app: AppId,
    group_id: &str,
    ch: GroupChanges,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = load_group(c, app, group_id)?;
    if ch.history_before_join.is_some() {
        g.ty.check(GroupOp::HistoryBeforeJoin)?;
    }
    // AVChatRoom has no member limit: MaxMemberNum is ignored there (groups.md §1.4).
    let max_member_num = match ch.max_member_num {
        Some(n) if g.ty != GroupType::AVChatRoom => {
            let ceiling = g.ty.member_ceiling();
            if n == 0 || n > ceiling || n < g.member_num {
                return Err(invalid(format!(
                    "MaxMemberNum must be between the member count {} and {ceiling}",
                    g.member_num.max(1)
                )));
            }
            n
        }
        _ => g.max_member_num,
    };
    let apply_join_option = match g.ty.fixed_apply_join_option() {
        Some(fixed) => fixed.to_owned(),
        None => ch
            .apply_join_option
            .unwrap_or_else(|| g.apply_join_option.clone()),
    };
    let invite_join_option = match ch.invite_join_option {
        Some(v) if g.ty != GroupType::AVChatRoom => Some(v),
        _ => g.invite_join_option.clone(),
    };
    let app_defined_data = merged_custom_fields(
        &g.app_defined_data,
        &ch.app_defined_data,
        MAX_GROUP_CUSTOM_FIELDS,
    )?;
    // Only these four changes make a stored tip (groups.md §1.2).
    let mut changed = Vec::new();
    for (field, new, old) in [
        ("Name", &ch.name, &g.name),
        ("Introduction", &ch.introduction, &g.introduction),
        ("Notification", &ch.notification, &g.notification),
        ("FaceUrl", &ch.face_url, &g.face_url),
    ] {
        if new.as_ref().is_some_and(|n| n != old) {
            changed.push(field.to_owned());
        }
    }
    c.prepare_cached(
        "UPDATE groups SET name = ?3, introduction = ?4, notification = ?5, face_url = ?6,
             max_member_num = ?7, apply_join_option = ?8, invite_join_option = ?9,
             mute_all = ?10, history_before_join = ?11, app_defined_data = ?12,
             info_seq = info_seq + 1, last_info_time = ?13
         WHERE app = ?1 AND gkey = ?2",
    )?
    .execute(params![
        app as i64,
        g.key,
        ch.name.unwrap_or(g.name.clone()),
        ch.introduction.unwrap_or(g.introduction.clone()),
        ch.notification.unwrap_or(g.notification.clone()),
        ch.face_url.unwrap_or(g.face_url.clone()),
        max_member_num as i64,
        apply_join_option,
        invite_join_option,
        ch.mute_all.unwrap_or(g.mute_all),
        ch.history_before_join.or(g.history_before_join),
        to_json(&app_defined_data),
        now,
    ])?;
    if !changed.is_empty() {
        let tip = Tip::ProfileChanged { fields: changed };
        store_tip(c, app, &mut g, operator, tip, now)?;
    }
    Ok(())
}

/// Bit set of roles for the member queries' `?3 >> role & 1` test.
fn role_mask(roles: &[Role]) -> i64 {
    let all = [Role::Owner, Role::Admin, Role::Member];
    let roles = if roles.is_empty() { &all[..] } else { roles };
    roles.iter().fold(0, |mask, r| mask | 1 << r.to_db())
}

fn get_members(c: &Connection, app: AppId, group_id: &str, q: MemberQuery) -> Result<MemberPage> {
    let group = load_group(c, app, group_id)?;
    if group.ty == GroupType::Community && q.offset > 0 {
        return Err(invalid(
            "Community members are paged with Next, not Offset".into(),
        ));
    }
    let mut limit = q.limit.unwrap_or(u64::MAX);
    // AVChatRoom lists show only the first members (groups.md §4.8, inferred).
    if group.ty == GroupType::AVChatRoom {
        limit = limit.min(AVCHATROOM_MEMBER_LIST_CAP.saturating_sub(q.offset));
    }
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.app = ?1 AND m.gkey = ?2 AND (?3 >> m.role) & 1 = 1
           AND (?4 IS NULL OR m.user_id > ?4)
         ORDER BY m.user_id LIMIT ?5 OFFSET ?6"
    );
    // One row more than asked tells whether another page follows.
    let fetch = limit.saturating_add(1).min(i64::MAX as u64) as i64;
    let mut members = c
        .prepare_cached(&sql)?
        .query_map(
            params![
                app as i64,
                group.key,
                role_mask(&q.roles),
                q.after,
                fetch,
                q.offset.min(i64::MAX as u64) as i64
            ],
            member_from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if members.len() as u64 > limit {
        members.truncate(limit as usize);
        members.last().map(|m| m.account.clone())
    } else {
        None
    };
    Ok(MemberPage {
        group,
        members,
        next,
    })
}

/// 10019 for an account that does not exist, 10007 for one that is not a member.
fn require_member(
    c: &Connection,
    app: AppId,
    g: &GroupRecord,
    account: &str,
) -> Result<MemberRecord> {
    require_accounts(c, app, [account])?;
    find_member(c, app, g.key, account)?.ok_or_else(|| {
        Error::new(
            ErrorCode::GroupPermissionDenied,
            format!("{account:?} is not a member of {:?}", g.group_id),
        )
        .into()
    })
}

/// Sets or lifts one account's mute (kept apart from membership).
fn set_mute(
    c: &Connection,
    app: AppId,
    gkey: i64,
    account: &str,
    until: Option<i64>,
) -> Result<()> {
    match until {
        Some(until) => c
            .prepare_cached(
                "INSERT INTO group_mutes (app, gkey, user_id, mute_until) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (app, gkey, user_id) DO UPDATE SET mute_until = excluded.mute_until",
            )?
            .execute(params![app as i64, gkey, account, until])?,
        None => c
            .prepare_cached(
                "DELETE FROM group_mutes WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
            )?
            .execute(params![app as i64, gkey, account])?,
    };
    Ok(())
}

fn modify_member(
    c: &Connection,
    app: AppId,
    group_id: &str,
    account: &str,
    ch: MemberChanges,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = load_group(c, app, group_id)?;
    let m = require_member(c, app, &g, account)?;
    // AVChatRoom keeps records of its owner and admins only (groups.md §4.9).
    if g.ty == GroupType::AVChatRoom && m.role == Role::Member {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            "AVChatRoom groups only allow changing the owner's and admins' member records",
        )
        .into());
    }
    let role = match ch.role {
        Some(role) if role != m.role => {
            g.ty.check(GroupOp::AppointAdmin)?;
            if m.role == Role::Owner || role == Role::Owner {
                return Err(Error::new(
                    ErrorCode::GroupPermissionDenied,
                    "ownership moves only through change_group_owner",
                )
                .into());
            }
            Some(role)
        }
        _ => None,
    };
    if ch.mute_time.is_some() {
        g.ty.check(GroupOp::Mute)?;
    }
    let custom = merged_custom_fields(
        &m.app_member_defined_data,
        &ch.app_member_defined_data,
        MAX_MEMBER_CUSTOM_FIELDS,
    )?;
    c.prepare_cached(
        "UPDATE group_members SET role = ?4, msg_flag = ?5, name_card = ?6,
             app_member_defined_data = ?7
         WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
    )?
    .execute(params![
        app as i64,
        g.key,
        account,
        role.unwrap_or(m.role).to_db(),
        ch.msg_flag.unwrap_or(m.msg_flag),
        ch.name_card.unwrap_or(m.name_card),
        to_json(&custom),
    ])?;
    if let Some(role) = role {
        let tip = Tip::RoleChanged {
            member: account.to_owned(),
            role: role.as_str().to_owned(),
        };
        store_tip(c, app, &mut g, operator, tip, now)?;
    }
    if let Some(mute_time) = ch.mute_time {
        set_mute(c, app, g.key, account, mute_until(now, mute_time))?;
        let tip = Tip::MembersMuted {
            members: vec![account.to_owned()],
            mute_time,
        };
        store_tip(c, app, &mut g, operator, tip, now)?;
    }
    Ok(())
}

fn change_owner(
    c: &Connection,
    app: AppId,
    group_id: &str,
    new_owner: &str,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::ChangeOwner)?;
    require_member(c, app, &g, new_owner)?;
    if g.owner == new_owner {
        return Ok(());
    }
    let set_role = |account: &str, role: Role| -> Result<()> {
        c.prepare_cached(
            "UPDATE group_members SET role = ?4 WHERE app = ?1 AND gkey = ?2 AND user_id = ?3",
        )?
        .execute(params![app as i64, g.key, account, role.to_db()])?;
        Ok(())
    };
    // The old owner stays as an ordinary member (groups.md §4.12, inferred).
    set_role(&g.owner, Role::Member)?;
    set_role(new_owner, Role::Owner)?;
    c.prepare_cached(
        "UPDATE groups SET owner = ?3, info_seq = info_seq + 1, last_info_time = ?4
         WHERE app = ?1 AND gkey = ?2",
    )?
    .execute(params![app as i64, g.key, new_owner, now])?;
    let tip = Tip::OwnerChanged {
        new_owner: new_owner.to_owned(),
    };
    store_tip(c, app, &mut g, operator, tip, now)
}

fn mute(
    c: &Connection,
    app: AppId,
    group_id: &str,
    accounts: Vec<String>,
    mute_time: u64,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = load_group(c, app, group_id)?;
    g.ty.check(GroupOp::Mute)?;
    require_accounts(c, app, accounts.iter().map(String::as_str))?;
    let until = mute_until(now, mute_time);
    for a in &accounts {
        set_mute(c, app, g.key, a, until)?;
    }
    let tip = Tip::MembersMuted {
        members: accounts,
        mute_time,
    };
    store_tip(c, app, &mut g, operator, tip, now)
}

/// The filter of get_joined_group_list, shared by its count and its page. The inactive test
/// is `GroupRecord::is_active` in SQL.
const JOINED_WHERE: &str = "FROM group_members m
    JOIN groups g ON g.app = m.app AND g.gkey = m.gkey
    LEFT JOIN group_mutes u ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id
    WHERE m.app = ?1 AND m.user_id = ?2
      AND (?3 IS NULL OR g.type = ?3)
      AND (?4 OR g.type != 'AVChatRoom')
      AND (?5 OR g.type != 'Private' OR g.next_msg_seq > 1)
      AND (?6 IS NULL OR g.support_topic = ?6)";

fn joined_groups(c: &Connection, app: AppId, account: &str, q: JoinedQuery) -> Result<JoinedPage> {
    let with_huge = q.with_huge_groups || q.ty == Some(GroupType::AVChatRoom);
    let ty = q.ty.map(GroupType::as_str);
    let total: i64 = c
        .prepare_cached(&format!("SELECT count(*) {JOINED_WHERE}"))?
        .query_row(
            params![
                app as i64,
                account,
                ty,
                with_huge,
                q.with_inactive,
                q.support_topic
            ],
            |r| r.get(0),
        )?;
    let group_cols = GROUP_COLUMNS
        .split(", ")
        .map(|col| format!("g.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {group_cols}, m.user_id, m.role, m.join_time, m.join_seq, m.read_seq, m.msg_flag,
             m.last_send_time, m.name_card, coalesce(u.mute_until, 0), m.app_member_defined_data,
             m.read_floor_seen
         {JOINED_WHERE} ORDER BY g.gkey LIMIT ?7 OFFSET ?8"
    );
    let n = GROUP_COLUMNS.split(',').count();
    let limit = q.limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64);
    let groups = c
        .prepare_cached(&sql)?
        .query_map(
            params![
                app as i64,
                account,
                ty,
                with_huge,
                q.with_inactive,
                q.support_topic,
                limit,
                q.offset.min(i64::MAX as u64) as i64
            ],
            |r| Ok((group_from_row(r)?, member_from_row_at(r, n)?)),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(JoinedPage {
        total: total as u64,
        groups,
    })
}

fn list_groups(
    c: &Connection,
    app: AppId,
    ty: Option<GroupType>,
    after: u64,
    limit: u64,
) -> Result<GroupIdPage> {
    let ty = ty.map(GroupType::as_str);
    let total: i64 = c
        .prepare_cached("SELECT count(*) FROM groups WHERE app = ?1 AND (?2 IS NULL OR type = ?2)")?
        .query_row(params![app as i64, ty], |r| r.get(0))?;
    let fetch = limit.saturating_add(1).min(i64::MAX as u64) as i64;
    let mut rows = c
        .prepare_cached(
            "SELECT gkey, group_id FROM groups
             WHERE app = ?1 AND (?2 IS NULL OR type = ?2) AND gkey > ?3
             ORDER BY gkey LIMIT ?4",
        )?
        .query_map(
            params![app as i64, ty, after.min(i64::MAX as u64) as i64, fetch],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map_or(0, |(key, _)| *key as u64)
    } else {
        0
    };
    Ok(GroupIdPage {
        total: total as u64,
        group_ids: rows.into_iter().map(|(_, id)| id).collect(),
        next,
    })
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

    async fn import_members(
        &self,
        app: AppId,
        group_id: String,
        members: Vec<NewMember>,
    ) -> Result<Vec<AddResult>> {
        self.write(move |c| {
            let mut g = load_group(c, app, &group_id)?;
            g.ty.check(GroupOp::ImportMember)?;
            Ok(join(c, app, &mut g, &members)?.0)
        })
        .await
    }

    async fn delete_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        silent: bool,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(move |c| delete_members(c, app, &group_id, &accounts, silent, &operator, now))
            .await
    }

    async fn list_groups(
        &self,
        app: AppId,
        ty: Option<GroupType>,
        after: u64,
        limit: u64,
    ) -> Result<GroupIdPage> {
        self.read(move |c| list_groups(c, app, ty, after, limit))
            .await
    }

    async fn modify_group(
        &self,
        app: AppId,
        group_id: String,
        changes: GroupChanges,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(move |c| modify_group(c, app, &group_id, changes, &operator, now))
            .await
    }

    async fn get_members(
        &self,
        app: AppId,
        group_id: String,
        query: MemberQuery,
    ) -> Result<MemberPage> {
        self.read(move |c| get_members(c, app, &group_id, query))
            .await
    }

    async fn modify_member(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        changes: MemberChanges,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(move |c| modify_member(c, app, &group_id, &account, changes, &operator, now))
            .await
    }

    async fn joined_groups(
        &self,
        app: AppId,
        account: String,
        query: JoinedQuery,
    ) -> Result<JoinedPage> {
        self.read(move |c| joined_groups(c, app, &account, query))
            .await
    }

    async fn roles(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
    ) -> Result<Vec<Option<Role>>> {
        self.read(move |c| {
            let g = load_group(c, app, &group_id)?;
            accounts
                .iter()
                .map(|a| Ok(find_member(c, app, g.key, a)?.map(|m| m.role)))
                .collect()
        })
        .await
    }

    async fn change_owner(
        &self,
        app: AppId,
        group_id: String,
        new_owner: String,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(move |c| change_owner(c, app, &group_id, &new_owner, &operator, now))
            .await
    }

    async fn mute(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        mute_time: u64,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(move |c| mute(c, app, &group_id, accounts, mute_time, &operator, now))
            .await
    }

    async fn muted(&self, app: AppId, group_id: String, now: i64) -> Result<Vec<(String, i64)>> {
        self.read(move |c| {
            let g = load_group(c, app, &group_id)?;
            let mut stmt = c.prepare_cached(
                "SELECT user_id, mute_until FROM group_mutes
                 WHERE app = ?1 AND gkey = ?2 AND mute_until > ?3 ORDER BY user_id",
            )?;
            let rows = stmt.query_map(params![app as i64, g.key, now], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}
