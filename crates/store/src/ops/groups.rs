//! Group and membership operations, written once for every backend. spec: groups.md.
//!
//! A write operation starts with [`lock_group`]: on PostgreSQL that takes the group row's
//! lock, so writes to one group are serialized across nodes and every check sees the state
//! its write changes; on SQLite the single writer already guarantees it.

use super::accounts::account_exists;
use super::messages::{append_message, MsgHead};
use crate::groups::{
    AddResult, GroupChanges, GroupIdPage, GroupRecord, GroupWithMembers, JoinedPage, JoinedQuery,
    MemberChanges, MemberPage, MemberQuery, MemberRecord, NewGroup, NewMember,
};
use crate::messages::NewGroupMsg;
use crate::sql::{params, Row, Tx};
use crate::Result;
use timber_core::group::{
    generated_group_id, merge_custom_fields, mute_until, GroupOp, GroupType, KeyValue, Role,
    AVCHATROOM_MEMBER_LIST_CAP, DEFAULT_MSG_FLAG, MAX_GROUP_CUSTOM_FIELDS,
    MAX_MEMBER_CUSTOM_FIELDS,
};
use timber_core::tips::Tip;
use timber_core::{AppId, Error, ErrorCode};

/// Columns read into a [`GroupRecord`], in [`group_from_row`] order.
pub(crate) const GROUP_COLUMNS: &str = "gkey, group_id, type, name, introduction, notification, \
    face_url, owner, create_time, info_seq, last_info_time, last_msg_time, next_msg_seq, member_num, \
    max_member_num, apply_join_option, invite_join_option, mute_all, history_before_join, \
    support_topic, app_defined_data, cleared_upto, read_floor";
/// [`GROUP_COLUMNS`] of the table aliased `g`, for queries that join other tables.
pub(crate) static GROUP_COLUMNS_OF_G: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        GROUP_COLUMNS
            .split(", ")
            .map(|col| format!("g.{}", col.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    });
/// How many columns [`GROUP_COLUMNS`] has.
pub(crate) const GROUP_COLUMN_COUNT: usize = 23;

/// A [`GroupRecord`] from the [`GROUP_COLUMNS`] starting at column `at`.
pub(crate) fn group_from_row(r: &mut Row, at: usize) -> GroupRecord {
    GroupRecord {
        key: r.i64(at),
        group_id: r.take_str(at + 1),
        ty: group_type(&r.take_str(at + 2)),
        name: r.take_str(at + 3),
        introduction: r.take_str(at + 4),
        notification: r.take_str(at + 5),
        face_url: r.take_str(at + 6),
        owner: r.take_str(at + 7),
        create_time: r.i64(at + 8),
        info_seq: r.u64(at + 9),
        last_info_time: r.i64(at + 10),
        last_msg_time: r.i64(at + 11),
        next_msg_seq: r.u64(at + 12),
        member_num: r.u64(at + 13),
        max_member_num: r.u64(at + 14),
        apply_join_option: r.take_str(at + 15),
        invite_join_option: r.take_opt_str(at + 16),
        mute_all: r.bool(at + 17),
        history_before_join: r.opt_bool(at + 18),
        support_topic: r.bool(at + 19),
        app_defined_data: from_json(&r.take_str(at + 20)),
        cleared_upto: r.u64(at + 21),
        read_floor: r.u64(at + 22),
    }
}

/// A stored group type; one this version does not know reads as Public.
pub(crate) fn group_type(text: &str) -> GroupType {
    GroupType::parse(text).unwrap_or(GroupType::Public)
}

/// Custom fields are stored as their JSON array; a damaged value reads as empty.
fn from_json(text: &str) -> Vec<KeyValue> {
    serde_json::from_str(text).unwrap_or_default()
}

fn to_json(kv: &[KeyValue]) -> String {
    serde_json::to_string(kv).unwrap_or_else(|_| "[]".into())
}

/// The live group with this ID, if any, read without a lock.
pub(crate) async fn find_group(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
) -> Result<Option<GroupRecord>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE app = $1 AND group_id = $2");
    let row = t.query_opt(&sql, params![app, group_id]).await?;
    Ok(row.map(|mut r| group_from_row(&mut r, 0)))
}

/// The live group with this ID, or 10010; for reads.
pub(crate) async fn load_group(t: &mut impl Tx, app: AppId, group_id: &str) -> Result<GroupRecord> {
    find_group(t, app, group_id)
        .await?
        .ok_or_else(|| not_found(group_id).into())
}

/// The live group with this ID, locked until the transaction ends, or 10010; for writes.
pub(crate) async fn lock_group(t: &mut impl Tx, app: AppId, group_id: &str) -> Result<GroupRecord> {
    let sql = format!(
        "SELECT {GROUP_COLUMNS} FROM groups g WHERE app = $1 AND group_id = $2{}",
        t.for_update()
    );
    let row = t.query_opt(&sql, params![app, group_id]).await?;
    row.map(|mut r| group_from_row(&mut r, 0))
        .ok_or_else(|| not_found(group_id).into())
}

pub(crate) fn not_found(group_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupNotFound,
        format!("group {group_id:?} does not exist or was dissolved"),
    )
}

/// Member columns, with the mute joined from `group_mutes`, in [`member_from_row`] order.
const MEMBER_COLUMNS: &str = "m.user_id, m.role, m.join_time, m.join_seq, m.read_seq, \
    m.msg_flag, m.last_send_time, m.name_card, coalesce(u.mute_until, 0), m.app_member_defined_data, \
    m.read_floor_seen";
const MEMBER_FROM: &str = "FROM group_members m LEFT JOIN group_mutes u \
    ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id";

/// A [`MemberRecord`] from the [`MEMBER_COLUMNS`] starting at column `at`.
fn member_from_row(r: &mut Row, at: usize) -> MemberRecord {
    MemberRecord {
        account: r.take_str(at),
        role: Role::from_db(r.i64(at + 1)),
        join_time: r.i64(at + 2),
        join_seq: r.u64(at + 3),
        read_seq: r.u64(at + 4),
        msg_flag: r.take_str(at + 5),
        last_send_time: r.i64(at + 6),
        name_card: r.take_str(at + 7),
        mute_until: r.i64(at + 8),
        app_member_defined_data: from_json(&r.take_str(at + 9)),
        read_floor_seen: r.u64(at + 10),
    }
}

/// One membership, if the account is a member.
pub(crate) async fn find_member(
    t: &mut impl Tx,
    app: AppId,
    gkey: i64,
    account: &str,
) -> Result<Option<MemberRecord>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.app = $1 AND m.gkey = $2 AND m.user_id = $3"
    );
    let row = t.query_opt(&sql, params![app, gkey, account]).await?;
    Ok(row.map(|mut r| member_from_row(&mut r, 0)))
}

/// All members of a group, in a stable order (by UserID).
pub(crate) async fn all_members(
    t: &mut impl Tx,
    app: AppId,
    gkey: i64,
) -> Result<Vec<MemberRecord>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.app = $1 AND m.gkey = $2 ORDER BY m.user_id"
    );
    let rows = t.query(&sql, params![app, gkey]).await?;
    Ok(rows
        .into_iter()
        .map(|mut r| member_from_row(&mut r, 0))
        .collect())
}

/// Inserts a membership; the caller keeps `member_num` in step.
async fn insert_member(t: &mut impl Tx, app: AppId, g: &GroupRecord, m: &NewMember) -> Result<()> {
    // Imported unread counts become a read position: UnreadMsgNum newest messages are unread.
    let last = g.last_seq();
    let read_seq = last - m.unread.unwrap_or(0).min(last);
    t.execute(
        "INSERT INTO group_members (app, gkey, user_id, role, join_time, join_seq, read_seq,
             msg_flag, app_member_defined_data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            app,
            g.key,
            &m.account,
            m.role.to_db(),
            m.join_time,
            g.next_msg_seq,
            read_seq,
            DEFAULT_MSG_FLAG,
            to_json(&m.app_member_defined_data).as_str(),
        ],
    )
    .await?;
    Ok(())
}

async fn set_member_num(t: &mut impl Tx, g: &mut GroupRecord, member_num: u64) -> Result<()> {
    t.execute(
        "UPDATE groups SET member_num = $2 WHERE gkey = $1",
        params![g.key, member_num],
    )
    .await?;
    g.member_num = member_num;
    Ok(())
}

/// 10019 naming the first account in `accounts` that does not exist.
pub(crate) async fn require_accounts(t: &mut impl Tx, app: AppId, accounts: &[&str]) -> Result<()> {
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

pub(crate) async fn create_group(
    t: &mut impl Tx,
    app: AppId,
    g: &NewGroup,
    now: i64,
) -> Result<String> {
    if let Some(id) = &g.group_id {
        if let Some(existing) = find_group(t, app, id).await? {
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
    let mut names: Vec<&str> = g.owner.iter().map(String::as_str).collect();
    names.extend(g.members.iter().map(|m| m.account.as_str()));
    require_accounts(t, app, &names).await?;

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

    let key = t.next_group_key().await?;
    let group_id = g
        .group_id
        .clone()
        .unwrap_or_else(|| generated_group_id(g.ty, key as u64));
    // A custom ID taken by another node between the check above and this insert is refused by
    // the unique index: no row is written and the ID is reported as in use.
    let inserted = t
        .execute(
            "INSERT INTO groups (gkey, app, group_id, type, name, introduction, notification,
                 face_url, owner, create_time, last_info_time, max_member_num, apply_join_option,
                 invite_join_option, mute_all, support_topic, app_defined_data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (app, group_id) DO NOTHING",
            params![
                key,
                app,
                &group_id,
                g.ty.as_str(),
                &g.name,
                &g.introduction,
                &g.notification,
                &g.face_url,
                g.owner.as_deref().unwrap_or(""),
                g.create_time,
                now,
                g.max_member_num,
                &g.apply_join_option,
                &g.invite_join_option,
                g.mute_all,
                g.support_topic,
                to_json(&g.app_defined_data).as_str(),
            ],
        )
        .await?;
    if inserted == 0 {
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

/// Destroys a group in O(1): its row goes; members and messages are purged in the background.
pub(crate) async fn destroy_group(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    now: i64,
) -> Result<()> {
    let g = lock_group(t, app, group_id).await?;
    t.execute("DELETE FROM groups WHERE gkey = $1", params![g.key])
        .await?;
    t.execute(
        "INSERT INTO purge_queue (gkey, app, queued_at) VALUES ($1, $2, $3)",
        params![g.key, app, now],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_groups(
    t: &mut impl Tx,
    app: AppId,
    group_ids: &[String],
    with_members: bool,
) -> Result<Vec<Option<GroupWithMembers>>> {
    let mut out = Vec::with_capacity(group_ids.len());
    for id in group_ids {
        let Some(group) = find_group(t, app, id).await? else {
            out.push(None);
            continue;
        };
        let members = if with_members {
            all_members(t, app, group.key).await?
        } else {
            Vec::new()
        };
        out.push(Some(GroupWithMembers { group, members }));
    }
    Ok(out)
}

/// Stores `tip` in the group's history when its type stores that kind of tip (groups.md §6).
/// An inactive Work group gets none (groups.md §4.6), so a tip never activates one.
async fn store_tip(
    t: &mut impl Tx,
    app: AppId,
    g: &mut GroupRecord,
    operator: &str,
    tip: Tip,
    now: i64,
) -> Result<()> {
    if tip.is_stored_in(g.ty) && g.is_active() {
        let mut head = MsgHead::of(g);
        append_message(t, app, &mut head, &NewGroupMsg::tip(operator, &tip, now)).await?;
        (g.next_msg_seq, g.last_msg_time) = (head.next_msg_seq, head.last_msg_time);
    }
    Ok(())
}

/// Adds those of `members` (existing accounts, else 10019) that are not members yet; the
/// others answer AlreadyMember. All or nothing: if the group cannot take them all, 10014.
/// An `Admin` role needs a type with admins (10007). Returns the results and who was added.
async fn join(
    t: &mut impl Tx,
    app: AppId,
    g: &mut GroupRecord,
    members: &[NewMember],
) -> Result<(Vec<AddResult>, Vec<String>)> {
    if members.iter().any(|m| m.role == Role::Admin) {
        g.ty.check(GroupOp::AppointAdmin)?;
    }
    let names: Vec<&str> = members.iter().map(|m| m.account.as_str()).collect();
    require_accounts(t, app, &names).await?;
    let mut results = Vec::with_capacity(members.len());
    let mut added: Vec<&NewMember> = Vec::new();
    for m in members {
        let member = added.iter().any(|a| a.account == m.account)
            || find_member(t, app, g.key, &m.account).await?.is_some();
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
        insert_member(t, app, g, m).await?;
    }
    set_member_num(t, g, total).await?;
    Ok((results, added.iter().map(|m| m.account.clone()).collect()))
}

pub(crate) async fn add_members(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    members: &[NewMember],
    silent: bool,
    operator: &str,
    now: i64,
) -> Result<Vec<AddResult>> {
    let mut g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::AddMember)?;
    let (results, added) = join(t, app, &mut g, members).await?;
    if !silent && !added.is_empty() {
        let tip = Tip::MembersJoined { members: added };
        store_tip(t, app, &mut g, operator, tip, now).await?;
    }
    Ok(results)
}

pub(crate) async fn import_members(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    members: &[NewMember],
) -> Result<Vec<AddResult>> {
    let mut g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::ImportMember)?;
    Ok(join(t, app, &mut g, members).await?.0)
}

pub(crate) async fn delete_members(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    accounts: &[String],
    silent: bool,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = lock_group(t, app, group_id).await?;
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
        let n = t
            .execute(
                "DELETE FROM group_members WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![app, g.key, a],
            )
            .await?;
        if n > 0 {
            removed.push(a.clone());
        }
    }
    if removed.is_empty() {
        return Ok(());
    }
    // Mutes stay in group_mutes: they survive leaving and joining again (groups.md §4.13).
    let remaining = g.member_num - removed.len() as u64;
    set_member_num(t, &mut g, remaining).await?;
    if !silent {
        let tip = Tip::MembersRemoved { members: removed };
        store_tip(t, app, &mut g, operator, tip, now).await?;
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

pub(crate) async fn modify_group(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    ch: &GroupChanges,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = lock_group(t, app, group_id).await?;
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
            .clone()
            .unwrap_or_else(|| g.apply_join_option.clone()),
    };
    let invite_join_option = match &ch.invite_join_option {
        Some(v) if g.ty != GroupType::AVChatRoom => Some(v.clone()),
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
    t.execute(
        "UPDATE groups SET name = $3, introduction = $4, notification = $5, face_url = $6,
             max_member_num = $7, apply_join_option = $8, invite_join_option = $9,
             mute_all = $10, history_before_join = $11, app_defined_data = $12,
             info_seq = info_seq + 1, last_info_time = $13
         WHERE app = $1 AND gkey = $2",
        params![
            app,
            g.key,
            ch.name.as_ref().unwrap_or(&g.name),
            ch.introduction.as_ref().unwrap_or(&g.introduction),
            ch.notification.as_ref().unwrap_or(&g.notification),
            ch.face_url.as_ref().unwrap_or(&g.face_url),
            max_member_num,
            &apply_join_option,
            &invite_join_option,
            ch.mute_all.unwrap_or(g.mute_all),
            ch.history_before_join.or(g.history_before_join),
            to_json(&app_defined_data).as_str(),
            now,
        ],
    )
    .await?;
    if !changed.is_empty() {
        let tip = Tip::ProfileChanged { fields: changed };
        store_tip(t, app, &mut g, operator, tip, now).await?;
    }
    Ok(())
}

pub(crate) async fn get_members(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    q: &MemberQuery,
) -> Result<MemberPage> {
    let group = load_group(t, app, group_id).await?;
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
    // The role filter as three values (an empty filter means every role).
    let all = [Role::Owner, Role::Admin, Role::Member];
    let roles = if q.roles.is_empty() {
        &all[..]
    } else {
        &q.roles[..]
    };
    let role = |i: usize| roles[i.min(roles.len() - 1)].to_db();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} {MEMBER_FROM}
         WHERE m.app = $1 AND m.gkey = $2 AND m.role IN ($3, $4, $5)
           AND (CAST($6 AS TEXT) IS NULL OR m.user_id > $6)
         ORDER BY m.user_id LIMIT $7 OFFSET $8"
    );
    // One row more than asked tells whether another page follows.
    let fetch = limit.saturating_add(1).min(i64::MAX as u64);
    let rows = t
        .query(
            &sql,
            params![
                app,
                group.key,
                role(0),
                role(1),
                role(2),
                &q.after,
                fetch,
                q.offset.min(i64::MAX as u64)
            ],
        )
        .await?;
    let mut members: Vec<MemberRecord> = rows
        .into_iter()
        .map(|mut r| member_from_row(&mut r, 0))
        .collect();
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
async fn require_member(
    t: &mut impl Tx,
    app: AppId,
    g: &GroupRecord,
    account: &str,
) -> Result<MemberRecord> {
    require_accounts(t, app, &[account]).await?;
    find_member(t, app, g.key, account).await?.ok_or_else(|| {
        Error::new(
            ErrorCode::GroupPermissionDenied,
            format!("{account:?} is not a member of {:?}", g.group_id),
        )
        .into()
    })
}

/// Sets or lifts one account's mute (kept apart from membership).
async fn set_mute(
    t: &mut impl Tx,
    app: AppId,
    gkey: i64,
    account: &str,
    until: Option<i64>,
) -> Result<()> {
    match until {
        Some(until) => {
            t.execute(
                "INSERT INTO group_mutes (app, gkey, user_id, mute_until) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (app, gkey, user_id) DO UPDATE SET mute_until = excluded.mute_until",
                params![app, gkey, account, until],
            )
            .await?
        }
        None => {
            t.execute(
                "DELETE FROM group_mutes WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![app, gkey, account],
            )
            .await?
        }
    };
    Ok(())
}

pub(crate) async fn modify_member(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    account: &str,
    ch: &MemberChanges,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = lock_group(t, app, group_id).await?;
    let m = require_member(t, app, &g, account).await?;
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
    t.execute(
        "UPDATE group_members SET role = $4, msg_flag = $5, name_card = $6,
             app_member_defined_data = $7
         WHERE app = $1 AND gkey = $2 AND user_id = $3",
        params![
            app,
            g.key,
            account,
            role.unwrap_or(m.role).to_db(),
            ch.msg_flag.as_ref().unwrap_or(&m.msg_flag),
            ch.name_card.as_ref().unwrap_or(&m.name_card),
            to_json(&custom).as_str(),
        ],
    )
    .await?;
    if let Some(role) = role {
        let tip = Tip::RoleChanged {
            member: account.to_owned(),
            role: role.as_str().to_owned(),
        };
        store_tip(t, app, &mut g, operator, tip, now).await?;
    }
    if let Some(mute_time) = ch.mute_time {
        set_mute(t, app, g.key, account, mute_until(now, mute_time)).await?;
        let tip = Tip::MembersMuted {
            members: vec![account.to_owned()],
            mute_time,
        };
        store_tip(t, app, &mut g, operator, tip, now).await?;
    }
    Ok(())
}

async fn set_role(t: &mut impl Tx, app: AppId, gkey: i64, account: &str, role: Role) -> Result<()> {
    t.execute(
        "UPDATE group_members SET role = $4 WHERE app = $1 AND gkey = $2 AND user_id = $3",
        params![app, gkey, account, role.to_db()],
    )
    .await?;
    Ok(())
}

pub(crate) async fn change_owner(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    new_owner: &str,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::ChangeOwner)?;
    require_member(t, app, &g, new_owner).await?;
    if g.owner == new_owner {
        return Ok(());
    }
    // The old owner stays as an ordinary member (groups.md §4.12, inferred).
    set_role(t, app, g.key, &g.owner, Role::Member).await?;
    set_role(t, app, g.key, new_owner, Role::Owner).await?;
    t.execute(
        "UPDATE groups SET owner = $3, info_seq = info_seq + 1, last_info_time = $4
         WHERE app = $1 AND gkey = $2",
        params![app, g.key, new_owner, now],
    )
    .await?;
    let tip = Tip::OwnerChanged {
        new_owner: new_owner.to_owned(),
    };
    store_tip(t, app, &mut g, operator, tip, now).await
}

pub(crate) async fn mute(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    accounts: &[String],
    mute_time: u64,
    operator: &str,
    now: i64,
) -> Result<()> {
    let mut g = lock_group(t, app, group_id).await?;
    g.ty.check(GroupOp::Mute)?;
    let names: Vec<&str> = accounts.iter().map(String::as_str).collect();
    require_accounts(t, app, &names).await?;
    let until = mute_until(now, mute_time);
    for a in accounts {
        set_mute(t, app, g.key, a, until).await?;
    }
    let tip = Tip::MembersMuted {
        members: accounts.to_vec(),
        mute_time,
    };
    store_tip(t, app, &mut g, operator, tip, now).await
}

pub(crate) async fn muted(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    now: i64,
) -> Result<Vec<(String, i64)>> {
    let g = load_group(t, app, group_id).await?;
    let rows = t
        .query(
            "SELECT user_id, mute_until FROM group_mutes
             WHERE app = $1 AND gkey = $2 AND mute_until > $3 ORDER BY user_id",
            params![app, g.key, now],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|mut r| (r.take_str(0), r.i64(1)))
        .collect())
}

pub(crate) async fn roles(
    t: &mut impl Tx,
    app: AppId,
    group_id: &str,
    accounts: &[String],
) -> Result<Vec<Option<Role>>> {
    let g = load_group(t, app, group_id).await?;
    let mut out = Vec::with_capacity(accounts.len());
    for a in accounts {
        out.push(find_member(t, app, g.key, a).await?.map(|m| m.role));
    }
    Ok(out)
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

pub(crate) async fn joined_groups(
    t: &mut impl Tx,
    app: AppId,
    account: &str,
    q: &JoinedQuery,
) -> Result<JoinedPage> {
    let with_huge = q.with_huge_groups || q.ty == Some(GroupType::AVChatRoom);
    let ty = q.ty.map(GroupType::as_str);
    let total = t
        .query_one(
            &format!("SELECT count(*) {JOINED_WHERE}"),
            params![
                app,
                account,
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
    let limit = q.limit.unwrap_or(u64::MAX).min(i64::MAX as u64);
    let rows = t
        .query(
            &sql,
            params![
                app,
                account,
                ty,
                with_huge,
                q.with_inactive,
                q.support_topic,
                limit,
                q.offset.min(i64::MAX as u64)
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

pub(crate) async fn list_groups(
    t: &mut impl Tx,
    app: AppId,
    ty: Option<GroupType>,
    after: u64,
    limit: u64,
) -> Result<GroupIdPage> {
    let ty = ty.map(GroupType::as_str);
    let total = t
        .query_one(
            "SELECT count(*) FROM groups WHERE app = $1 AND (CAST($2 AS TEXT) IS NULL OR type = $2)",
            params![app, ty],
        )
        .await?
        .u64(0);
    let fetch = limit.saturating_add(1).min(i64::MAX as u64);
    let rows = t
        .query(
            "SELECT gkey, group_id FROM groups
             WHERE app = $1 AND (CAST($2 AS TEXT) IS NULL OR type = $2) AND gkey > $3
             ORDER BY gkey LIMIT $4",
            params![app, ty, after.min(i64::MAX as u64), fetch],
        )
        .await?;
    let mut rows: Vec<(u64, String)> = rows
        .into_iter()
        .map(|mut r| (r.u64(0), r.take_str(1)))
        .collect();
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_column_count_matches() {
        assert_eq!(GROUP_COLUMNS.split(',').count(), GROUP_COLUMN_COUNT);
    }
}
