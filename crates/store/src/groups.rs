//! Group and membership operations. spec: groups.md.
//!
//! Every operation checks the group type's capabilities (`GroupType::check`) and the state it
//! depends on inside the same transaction as its write.

use crate::Result;
use timber_core::group::{GroupOp, GroupType, KeyValue, Role};
use timber_core::AppId;

/// A group to create (create_group) or import (import_group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    /// A custom ID (already validated), or `None` for a generated one.
    pub group_id: Option<String>,
    pub ty: GroupType,
    pub name: String,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    /// Must be an existing account; becomes a member with role Owner.
    pub owner: Option<String>,
    pub create_time: i64,
    pub max_member_num: u64,
    pub apply_join_option: String,
    pub invite_join_option: Option<String>,
    pub mute_all: bool,
    pub support_topic: bool,
    pub app_defined_data: Vec<KeyValue>,
    /// Initial members besides the owner (create_group's `MemberList`).
    pub members: Vec<NewMember>,
}

/// A member to add or import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub account: String,
    pub role: Role,
    pub join_time: i64,
    /// import_group_member's `UnreadMsgNum`; `None` = nothing unread.
    pub unread: Option<u64>,
    pub app_member_defined_data: Vec<KeyValue>,
}

impl NewMember {
    pub fn member(account: impl Into<String>, join_time: i64) -> NewMember {
        NewMember {
            account: account.into(),
            role: Role::Member,
            join_time,
            unread: None,
            app_member_defined_data: Vec::new(),
        }
    }
}

/// A stored group as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Internal key; never reused, never shown.
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
pub(crate) fn last_seq(next_msg_seq: u64) -> u64 {
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

    /// A member's unread count: stored messages after the last one they read (import_group_msg
    /// and clear_group_msg move everyone's floor; see `effective_read_seq`). 0 for the types
    /// without unread counts, those where set_unread_msg_num is a documented no-op
    /// (groups.md §1.2, §1.4).
    pub fn unread(&self, m: &MemberRecord) -> u64 {
        if self.ty.check(GroupOp::SetUnread) != Ok(true) {
            return 0;
        }
        let read = timber_core::message::effective_read_seq(
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

/// A group with (optionally) its members, as get_group_info needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWithMembers {
    pub group: GroupRecord,
    pub members: Vec<MemberRecord>,
}

/// add_group_member's per-account `Result` (groups.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddResult {
    Failed = 0,
    Added = 1,
    AlreadyMember = 2,
}

/// One page of get_appid_group_list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupIdPage {
    /// Groups of the app (of the type asked for), whatever the page.
    pub total: u64,
    pub group_ids: Vec<String>,
    /// Cursor for the next page; 0 when this page is the last.
    pub next: u64,
}

/// Changes of modify_group_base_info; `None` leaves a field as it is. Values are validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub introduction: Option<String>,
    pub notification: Option<String>,
    pub face_url: Option<String>,
    pub max_member_num: Option<u64>,
    pub apply_join_option: Option<String>,
    pub invite_join_option: Option<String>,
    pub mute_all: Option<bool>,
    pub history_before_join: Option<bool>,
    /// Keys to set; an empty value deletes the key.
    pub app_defined_data: Vec<KeyValue>,
}

/// Which members get_group_member_info wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberQuery {
    /// Only members with these roles; empty = every role.
    pub roles: Vec<Role>,
    /// Members to skip (Offset paging).
    pub offset: u64,
    /// Page size; `None` = every member.
    pub limit: Option<u64>,
    /// Community paging: members after this cursor (the last page's `next`).
    pub after: Option<String>,
}

/// A page of members, ordered by UserID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPage {
    pub group: GroupRecord,
    pub members: Vec<MemberRecord>,
    /// Cursor of the next page (the last UserID returned); `None` when this page is the last.
    pub next: Option<String>,
}

/// Changes of modify_group_member_info; `None` leaves a field as it is. Values are validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberChanges {
    /// `Admin` or `Member` only.
    pub role: Option<Role>,
    pub msg_flag: Option<String>,
    pub name_card: Option<String>,
    /// Keys to set; an empty value deletes the key.
    pub app_member_defined_data: Vec<KeyValue>,
    /// Seconds from now; 0 unmutes.
    pub mute_time: Option<u64>,
}

/// Which of a user's groups get_joined_group_list wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinedQuery {
    pub ty: Option<GroupType>,
    /// Include AVChatRoom groups (always, when `ty` asks for AVChatRoom).
    pub with_huge_groups: bool,
    /// Include Work groups that have no message yet.
    pub with_inactive: bool,
    /// Only Communities with (`true`) or without topics.
    pub support_topic: Option<bool>,
    pub offset: u64,
    pub limit: Option<u64>,
}

/// A page of get_joined_group_list: each group with the user's own membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedPage {
    pub total: u64,
    pub groups: Vec<(GroupRecord, MemberRecord)>,
}

#[async_trait::async_trait]
pub trait GroupStore {
    /// Creates a group with its owner and members (all must be existing accounts: 10019).
    /// A custom ID in use answers 10021, or 10025 when its owner is the requested owner.
    /// Returns the GroupId.
    async fn create_group(&self, app: AppId, group: NewGroup, now: i64) -> Result<String>;

    /// Destroys a group: from now on every API answers 10010 for its ID. Its members and
    /// messages are deleted later by the background purge.
    async fn destroy_group(&self, app: AppId, group_id: String) -> Result<()>;

    /// Reads groups by ID, in request order; `None` for an ID of no live group.
    async fn get_groups(
        &self,
        app: AppId,
        group_ids: Vec<String>,
        with_members: bool,
    ) -> Result<Vec<Option<GroupWithMembers>>>;

    /// Adds members (existing accounts, else 10019). Unless `silent`, a members-joined tip is
    /// stored for types that store member tips, sent by `operator`.
    async fn add_members(
        &self,
        app: AppId,
        group_id: String,
        members: Vec<NewMember>,
        silent: bool,
        operator: String,
        now: i64,
    ) -> Result<Vec<AddResult>>;

    /// import_group_member: adds members with their role, join time and unread count, with no
    /// tip and no MsgSeq. Accounts must exist (10019); a full group refuses all (10014).
    async fn import_members(
        &self,
        app: AppId,
        group_id: String,
        members: Vec<NewMember>,
    ) -> Result<Vec<AddResult>>;

    /// Removes members; accounts that are not members are ignored. The owner cannot be
    /// removed (10007). Unless `silent`, a members-removed tip is stored as §6 says.
    async fn delete_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        silent: bool,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// The app's live groups in creation order, `limit` after cursor `after` (0 = first page).
    async fn list_groups(
        &self,
        app: AppId,
        ty: Option<GroupType>,
        after: u64,
        limit: u64,
    ) -> Result<GroupIdPage>;

    /// Applies profile changes: `InfoSeq` + 1, `LastInfoTime` = now, and a profile tip for
    /// name/introduction/notification/avatar changes, sent by `operator`.
    async fn modify_group(
        &self,
        app: AppId,
        group_id: String,
        changes: GroupChanges,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// One page of a group's members.
    async fn get_members(
        &self,
        app: AppId,
        group_id: String,
        query: MemberQuery,
    ) -> Result<MemberPage>;

    /// Changes one member (10019 unknown account, 10007 not a member or not allowed).
    async fn modify_member(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        changes: MemberChanges,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// The live groups `account` is a member of, with its own membership, in creation order.
    async fn joined_groups(
        &self,
        app: AppId,
        account: String,
        query: JoinedQuery,
    ) -> Result<JoinedPage>;

    /// Each account's role in the group; `None` = not a member.
    async fn roles(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
    ) -> Result<Vec<Option<Role>>>;

    /// Makes `new_owner` (an existing member) the owner; the old owner becomes a Member.
    async fn change_owner(
        &self,
        app: AppId,
        group_id: String,
        new_owner: String,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// Mutes existing accounts for `mute_time` seconds (0 unmutes, `MUTE_FOREVER` for ever).
    /// Mutes are kept apart from membership: they survive leaving and joining again.
    async fn mute(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        mute_time: u64,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// Accounts muted at `now`, with the Unix time their mute ends, ordered by UserID.
    async fn muted(&self, app: AppId, group_id: String, now: i64) -> Result<Vec<(String, i64)>>;
}
