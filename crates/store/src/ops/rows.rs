//! Reading stored rows into the domain's records, shared by every operation: groups (with or
//! without their row lock), memberships, accounts and messages.

use crate::sql::{params, ReadTx, Row};
use crate::DbError;
use timber_core::group::{GroupRecord, GroupType, KeyValue, MemberRecord, Role};
use timber_core::message::{SlotState, StoredMsg};
use timber_core::AppId;

type Result<T> = std::result::Result<T, DbError>;

/// Columns read into a [`GroupRecord`], in [`group_from_row`] order.
pub(super) const GROUP_COLUMNS: &str = "gkey, group_id, type, name, introduction, notification, \
    face_url, owner, create_time, info_seq, last_info_time, last_msg_time, next_msg_seq, member_num, \
    max_member_num, apply_join_option, invite_join_option, mute_all, history_before_join, \
    support_topic, app_defined_data, cleared_upto, read_floor";
/// [`GROUP_COLUMNS`] of the table aliased `g`, for queries that join other tables.
pub(super) static GROUP_COLUMNS_OF_G: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        GROUP_COLUMNS
            .split(", ")
            .map(|col| format!("g.{}", col.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    });
/// How many columns [`GROUP_COLUMNS`] has.
pub(super) const GROUP_COLUMN_COUNT: usize = 23;

/// A [`GroupRecord`] from the [`GROUP_COLUMNS`] starting at column `at`.
pub(super) fn group_from_row(r: &mut Row, at: usize) -> GroupRecord {
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
pub(super) fn group_type(text: &str) -> GroupType {
    GroupType::parse(text).unwrap_or(GroupType::Public)
}

/// Custom fields are stored as their JSON array; a damaged value reads as empty.
fn from_json(text: &str) -> Vec<KeyValue> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(super) fn to_json(kv: &[KeyValue]) -> String {
    serde_json::to_string(kv).unwrap_or_else(|_| "[]".into())
}

/// The live group with this ID, if any, read without a lock.
pub(super) async fn find_group(
    r: &mut impl ReadTx,
    app: AppId,
    group_id: &str,
) -> Result<Option<GroupRecord>> {
    let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE app = $1 AND group_id = $2");
    let row = r.query_opt(&sql, params![app, group_id]).await?;
    Ok(row.map(|mut r| group_from_row(&mut r, 0)))
}

/// The live group with this ID, locked for a write, or 10010 (`lock_group`).
pub(super) async fn locked_group(
    r: &mut impl ReadTx,
    app: AppId,
    group_id: &str,
) -> std::result::Result<GroupRecord, crate::StoreError> {
    let g = lock_group(r, app, group_id).await?;
    Ok(timber_core::group::require_group(g, group_id)?)
}

/// The live group with this ID, if any, locked until the transaction ends: on PostgreSQL
/// that serializes the writes to one group across nodes, so every check sees the state its
/// write changes; on SQLite the single writer already does.
pub(super) async fn lock_group(
    r: &mut impl ReadTx,
    app: AppId,
    group_id: &str,
) -> Result<Option<GroupRecord>> {
    let sql = format!(
        "SELECT {GROUP_COLUMNS} FROM groups g WHERE app = $1 AND group_id = $2{}",
        r.for_update()
    );
    let row = r.query_opt(&sql, params![app, group_id]).await?;
    Ok(row.map(|mut r| group_from_row(&mut r, 0)))
}

/// Member columns, with the mute joined from `group_mutes`, in [`member_from_row`] order.
pub(super) const MEMBER_COLUMNS: &str = "m.user_id, m.role, m.join_time, m.join_seq, m.read_seq, \
    m.msg_flag, m.last_send_time, m.name_card, coalesce(u.mute_until, 0), m.app_member_defined_data, \
    m.read_floor_seen";
pub(super) const MEMBER_FROM: &str = "FROM group_members m LEFT JOIN group_mutes u \
    ON u.app = m.app AND u.gkey = m.gkey AND u.user_id = m.user_id";

/// A [`MemberRecord`] from the [`MEMBER_COLUMNS`] starting at column `at`.
pub(super) fn member_from_row(r: &mut Row, at: usize) -> MemberRecord {
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
pub(super) async fn find_member(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    account: &str,
) -> Result<Option<MemberRecord>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.app = $1 AND m.gkey = $2 AND m.user_id = $3"
    );
    let row = r.query_opt(&sql, params![app, gkey, account]).await?;
    Ok(row.map(|mut r| member_from_row(&mut r, 0)))
}

/// Whether each of `accounts` is a member of the group, in order.
pub(super) async fn are_members(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    accounts: &[&str],
) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(accounts.len());
    for &a in accounts {
        let row = r
            .query_opt(
                "SELECT 1 FROM group_members WHERE app = $1 AND gkey = $2 AND user_id = $3",
                params![app, gkey, a],
            )
            .await?;
        out.push(row.is_some());
    }
    Ok(out)
}

/// All members of a group, in a stable order (by UserID).
pub(super) async fn all_members(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
) -> Result<Vec<MemberRecord>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.app = $1 AND m.gkey = $2 ORDER BY m.user_id"
    );
    let rows = r.query(&sql, params![app, gkey]).await?;
    Ok(rows
        .into_iter()
        .map(|mut r| member_from_row(&mut r, 0))
        .collect())
}

pub(super) async fn account_exists(r: &mut impl ReadTx, app: AppId, user: &str) -> Result<bool> {
    Ok(r.query_opt(
        "SELECT 1 FROM accounts WHERE app = $1 AND user_id = $2",
        params![app, user],
    )
    .await?
    .is_some())
}

/// Whether each of `accounts` exists, in order.
pub(super) async fn accounts_exist(
    r: &mut impl ReadTx,
    app: AppId,
    accounts: &[&str],
) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(accounts.len());
    for &a in accounts {
        out.push(account_exists(r, app, a).await?);
    }
    Ok(out)
}

/// Columns read into a [`StoredMsg`], in [`msg_from_row`] order.
const MSG_COLUMNS: &str =
    "seq, sender, random, time, priority, state, is_system, body, cloud_custom_data, to_accounts";

fn msg_from_row(mut r: Row) -> StoredMsg {
    let to = r.take_opt_str(9);
    StoredMsg {
        seq: r.u64(0),
        from: r.take_str(1),
        random: r.i64(2) as u32,
        time: r.i64(3),
        priority: r.i64(4) as u8,
        state: SlotState::from_db(r.i64(5)),
        is_system: r.bool(6),
        body: r.take_str(7),
        cloud_custom_data: r.take_opt_str(8),
        to_accounts: to
            .map(|t| serde_json::from_str(&t).unwrap_or_default())
            .unwrap_or_default(),
    }
}

/// The stored rows of seqs `[lo, hi]`, newest first: one range scan of the primary key.
pub(super) async fn read_range(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    lo: u64,
    hi: u64,
) -> Result<Vec<StoredMsg>> {
    let sql = format!(
        "SELECT {MSG_COLUMNS} FROM group_messages \
         WHERE app = $1 AND gkey = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq DESC"
    );
    let rows = r.query(&sql, params![app, gkey, lo, hi]).await?;
    Ok(rows.into_iter().map(msg_from_row).collect())
}

/// The stored row of one seq, if any.
pub(super) async fn read_one(
    r: &mut impl ReadTx,
    app: AppId,
    gkey: i64,
    seq: u64,
) -> Result<Option<StoredMsg>> {
    let sql = format!(
        "SELECT {MSG_COLUMNS} FROM group_messages WHERE app = $1 AND gkey = $2 AND seq = $3"
    );
    Ok(r.query_opt(&sql, params![app, gkey, seq])
        .await?
        .map(msg_from_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_column_count_matches() {
        assert_eq!(GROUP_COLUMNS.split(',').count(), GROUP_COLUMN_COUNT);
    }
}
