//! Group and membership operations. spec: groups.md.
//!
//! Every operation checks the group type's capabilities (`GroupType::check`) and the state it
//! depends on inside the same transaction as its write (`crate::ops`); the types it takes and
//! the rules are `timber_core::group`'s.

use crate::backend::Backend;
use crate::ops::groups::{
    CreateGroup, DestroyGroup, GetGroups, JoinedGroups, ListGroups, ModifyGroup,
};
use crate::ops::members::{ChangeOwner, GetMembers, Join, Leave, ModifyMember, Mute, Muted, Roles};
use crate::Result;
use timber_core::group::{
    AddResult, GroupChanges, GroupRecord, MemberChanges, MemberQuery, MemberRecord, NewGroup,
    NewMember,
};
use timber_core::group::{GroupOp, GroupType, JoinType, Role};
use timber_core::AppId;

/// A group with (optionally) its members, as get_group_info needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWithMembers {
    pub group: GroupRecord,
    pub members: Vec<MemberRecord>,
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

/// A page of members, ordered by UserID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPage {
    pub group: GroupRecord,
    pub members: Vec<MemberRecord>,
    /// Cursor of the next page (the last UserID returned); `None` when this page is the last.
    pub next: Option<String>,
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

    /// A member's own join (members.md `joinGroup`, or its application accepted by `operator`):
    /// as add_group_member for one account, reported to callbacks with `JoinType` `Apply`.
    async fn join_by_application(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        operator: String,
        now: i64,
    ) -> Result<AddResult>;

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

#[async_trait::async_trait]
impl<B: Backend> GroupStore for B {
    async fn create_group(&self, app: AppId, group: NewGroup, now: i64) -> Result<String> {
        self.write(CreateGroup { app, group, now }).await
    }

    async fn destroy_group(&self, app: AppId, group_id: String) -> Result<()> {
        let now = timber_core::now_secs();
        self.write(DestroyGroup { app, group_id, now })
            .await
            .map(drop)
    }

    async fn get_groups(
        &self,
        app: AppId,
        group_ids: Vec<String>,
        with_members: bool,
    ) -> Result<Vec<Option<GroupWithMembers>>> {
        let op = GetGroups {
            app,
            group_ids,
            with_members,
        };
        if with_members {
            self.scan(op).await
        } else {
            self.read(op).await
        }
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
        let op = GroupOp::AddMember;
        self.write(Join {
            app,
            group_id,
            op,
            members,
            silent,
            operator,
            now,
            join_type: JoinType::Invited,
        })
        .await
    }

    async fn join_by_application(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        operator: String,
        now: i64,
    ) -> Result<AddResult> {
        let results = self
            .write(Join {
                app,
                group_id,
                op: GroupOp::AddMember,
                members: vec![NewMember::member(account, now)],
                silent: false,
                operator,
                now,
                join_type: JoinType::Apply,
            })
            .await?;
        Ok(results.into_iter().next().unwrap_or(AddResult::Failed))
    }

    async fn import_members(
        &self,
        app: AppId,
        group_id: String,
        members: Vec<NewMember>,
    ) -> Result<Vec<AddResult>> {
        let op = GroupOp::ImportMember;
        // `now` only decides which bans are in force: an import stores no tip.
        let (silent, operator, now) = (true, String::new(), timber_core::now_secs());
        self.write(Join {
            app,
            group_id,
            op,
            members,
            silent,
            operator,
            now,
            join_type: JoinType::Invited,
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
        self.write(Leave {
            app,
            group_id,
            accounts,
            silent,
            operator,
            now,
        })
        .await
        .map(drop)
    }

    async fn list_groups(
        &self,
        app: AppId,
        ty: Option<GroupType>,
        after: u64,
        limit: u64,
    ) -> Result<GroupIdPage> {
        self.scan(ListGroups {
            app,
            ty,
            after,
            limit,
        })
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
        self.write(ModifyGroup {
            app,
            group_id,
            changes,
            operator,
            now,
        })
        .await
    }

    async fn get_members(
        &self,
        app: AppId,
        group_id: String,
        query: MemberQuery,
    ) -> Result<MemberPage> {
        self.scan(GetMembers {
            app,
            group_id,
            query,
        })
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
        self.write(ModifyMember {
            app,
            group_id,
            account,
            changes,
            operator,
            now,
        })
        .await
    }

    async fn joined_groups(
        &self,
        app: AppId,
        account: String,
        query: JoinedQuery,
    ) -> Result<JoinedPage> {
        self.scan(JoinedGroups {
            app,
            account,
            query,
        })
        .await
    }

    async fn roles(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
    ) -> Result<Vec<Option<Role>>> {
        self.scan(Roles {
            app,
            group_id,
            accounts,
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
        self.write(ChangeOwner {
            app,
            group_id,
            new_owner,
            operator,
            now,
        })
        .await
        .map(drop)
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
        self.write(Mute {
            app,
            group_id,
            accounts,
            mute_time,
            operator,
            now,
        })
        .await
    }

    async fn muted(&self, app: AppId, group_id: String, now: i64) -> Result<Vec<(String, i64)>> {
        self.scan(Muted { app, group_id, now }).await
    }
}
