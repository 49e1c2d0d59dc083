//! A stored group and a stored membership, as the store loads them, and the rules that read
//! them: the last seq, activity, visibility of earlier history, unread counts, and the
//! refusals every group operation shares (10010, 10019, 10007). spec: groups.md §1,
//! group-messages.md §1.1.

use super::{GroupOp, GroupType, KeyValue, Role};
use crate::error::{Error, ErrorCode};
use crate::message::effective_read_seq;

/// A stored group as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The store's key for the group's rows: never reused (a destroyed group's custom ID can
    /// be taken again while its rows are still being purged), never shown.
    pub key: i64,
    pub group_id: String,
    pub ty: GroupType,
    pub name: String,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    /// Empty for an ownerless group.
    pub owner: String,
    pub create_time: i64,
    pub info_seq: u64,
    pub last_info_time: i64,
    pub last_msg_time: i64,
    /// The seq the next stored message will take (group-messages.md §1.1).
    pub next_msg_seq: u64,
    pub member_num: u64,
    pub max_member_num: u64,
    pub apply_join_option: String,
    pub invite_join_option: Option<String>,
    pub mute_all: bool,
    /// `None` = the type's default (`GroupType::history_before_join_default`).
    pub history_before_join: Option<bool>,
    pub support_topic: bool,
    pub app_defined_data: Vec<KeyValue>,
    /// Seqs at or below this were cleared by clear_group_msg (hidden from members).
    pub cleared_upto: u64,
    /// Every member has read at least up to this seq (import_group_msg resets unread counts).
    pub read_floor: u64,
}

/// The newest allocated seq of a group whose next seq is `next_msg_seq` (0 before the first
/// message); for code that holds only that column, not the whole record.
pub const fn last_seq(next_msg_seq: u64) -> u64 {
    next_msg_seq.saturating_sub(1)
}

impl GroupRecord {
    /// The newest allocated seq (0 for a group without messages).
    pub fn last_seq(&self) -> u64 {
        last_seq(self.next_msg_seq)
    }

    /// A Work group stays invisible in join lists until its first message (groups.md §1.2).
    pub fn is_active(&self) -> bool {
        self.ty != GroupType::Private || self.next_msg_seq > 1
    }

    pub fn history_before_join(&self) -> bool {
        self.history_before_join
            .unwrap_or(self.ty.history_before_join_default())
    }

    /// The first seq `m` may read: 1 when history before joining is visible, else the seq
    /// that was next when the member joined.
    pub fn first_visible_seq(&self, m: &MemberRecord) -> u64 {
        if self.history_before_join() {
            1
        } else {
            m.join_seq
        }
    }

    /// A member's unread count: stored messages after the last one they read (import_group_msg
    /// and clear_group_msg move everyone's floor; see `effective_read_seq`). 0 for the types
    /// without unread counts, those where set_unread_msg_num is a documented no-op
    /// (groups.md §1.2, §1.4).
    pub fn unread(&self, m: &MemberRecord) -> u64 {
        if self.ty.check(GroupOp::SetUnread) != Ok(true) {
            return 0;
        }
        let read = effective_read_seq(
            m.read_seq,
            m.join_seq,
            m.read_floor_seen,
            self.read_floor,
            self.cleared_upto,
        );
        self.last_seq().saturating_sub(read)
    }
}

/// A stored membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub account: String,
    pub role: Role,
    pub join_time: i64,
    /// `NextMsgSeq` when the member joined: the first seq they may read unless history before
    /// joining is visible.
    pub join_seq: u64,
    /// The seq of the member's last read message (`MsgSeq` in member info).
    pub read_seq: u64,
    pub msg_flag: String,
    pub last_send_time: i64,
    pub name_card: String,
    /// 0 = not muted; otherwise Unix seconds when the mute ends.
    pub mute_until: i64,
    pub app_member_defined_data: Vec<KeyValue>,
    /// The group's `read_floor` when set_unread_msg_num last set `read_seq`: an import floor
    /// no higher than this no longer applies to the member.
    pub read_floor_seen: u64,
}

/// 10010: no live group has this ID (never created, or destroyed).
pub fn not_found(group_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupNotFound,
        format!("group {group_id:?} does not exist or was dissolved"),
    )
}

/// What the store found for `group_id`, or 10010 when it found nothing.
pub fn require_group<T>(found: Option<T>, group_id: &str) -> Result<T, Error> {
    found.ok_or_else(|| not_found(group_id))
}

/// 10019: an account named in a group request does not exist.
pub fn account_not_found(account: &str) -> Error {
    Error::new(
        ErrorCode::GroupAccountNotFound,
        format!("account {account:?} does not exist"),
    )
}

/// 10007: the account is not a member of the group.
pub fn not_member(account: &str, group_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{account:?} is not a member of group {group_id:?}"),
    )
}

/// 10019 naming the first of `accounts` whose entry in `exist` (same order) is false.
pub fn require_accounts<'a>(
    accounts: impl IntoIterator<Item = &'a str>,
    exist: &[bool],
) -> Result<(), Error> {
    match accounts.into_iter().zip(exist).find(|(_, e)| !**e) {
        Some((a, _)) => Err(account_not_found(a)),
        None => Ok(()),
    }
}

/// The membership of `account` in the group: 10019 when the account does not exist, 10007
/// when it is not a member.
pub fn require_member(
    group_id: &str,
    account: &str,
    exists: bool,
    member: Option<MemberRecord>,
) -> Result<MemberRecord, Error> {
    if !exists {
        return Err(account_not_found(account));
    }
    member.ok_or_else(|| not_member(account, group_id))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Public group with `next_msg_seq` 11 and two members' room.
    pub(crate) fn group(ty: GroupType) -> GroupRecord {
        GroupRecord {
            key: 7,
            group_id: "g".into(),
            ty,
            name: "n".into(),
            introduction: String::new(),
            notification: String::new(),
            face_url: String::new(),
            owner: "owner".into(),
            create_time: 100,
            info_seq: 1,
            last_info_time: 100,
            last_msg_time: 150,
            next_msg_seq: 11,
            member_num: 1,
            max_member_num: 3,
            apply_join_option: "NeedPermission".into(),
            invite_join_option: None,
            mute_all: false,
            history_before_join: None,
            support_topic: false,
            app_defined_data: Vec::new(),
            cleared_upto: 0,
            read_floor: 0,
        }
    }

    pub(crate) fn member(account: &str, role: Role) -> MemberRecord {
        MemberRecord {
            account: account.into(),
            role,
            join_time: 100,
            join_seq: 1,
            read_seq: 0,
            msg_flag: "AcceptAndNotify".into(),
            last_send_time: 0,
            name_card: String::new(),
            mute_until: 0,
            app_member_defined_data: Vec::new(),
            read_floor_seen: 0,
        }
    }

    #[test]
    fn shared_refusals() {
        assert_eq!(
            require_group(None::<u8>, "g").unwrap_err().code,
            ErrorCode::GroupNotFound
        );
        assert_eq!(require_group(Some(1), "g"), Ok(1));
        let e = require_accounts(["a", "b", "c"], &[true, false, false]).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupAccountNotFound);
        assert!(
            e.info.contains("\"b\""),
            "names the first missing: {}",
            e.info
        );
        assert!(require_accounts(["a"], &[true]).is_ok());
        let m = member("m", Role::Member);
        let code = |exists, found: Option<MemberRecord>| {
            require_member("g", "m", exists, found).map_err(|e| e.code)
        };
        assert_eq!(code(false, None), Err(ErrorCode::GroupAccountNotFound));
        assert_eq!(code(true, None), Err(ErrorCode::GroupPermissionDenied));
        assert_eq!(code(true, Some(m.clone())), Ok(m));
    }

    #[test]
    fn activity_visibility_and_unread() {
        let mut g = group(GroupType::Private);
        g.next_msg_seq = 1;
        assert!(!g.is_active(), "a Work group without messages");
        g.next_msg_seq = 2;
        assert!(g.is_active());
        let mut m = member("m", Role::Member);
        m.join_seq = 5;
        assert_eq!(g.first_visible_seq(&m), 5);
        g.history_before_join = Some(true);
        assert_eq!(g.first_visible_seq(&m), 1);
        assert_eq!(group(GroupType::ChatRoom).first_visible_seq(&m), 1);
        let mut g = group(GroupType::Public);
        m.read_seq = 4;
        assert_eq!(g.unread(&m), 6);
        g.cleared_upto = 8;
        assert_eq!(g.unread(&m), 2, "cleared messages count as read");
        assert_eq!(group(GroupType::ChatRoom).unread(&m), 0, "no unread counts");
    }
}
