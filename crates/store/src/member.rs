//! The member side's storage (members.md): what a connected member reads and writes that the
//! REST API does not, and the sink every committed write publishes its changes to.

use crate::backend::Backend;
use crate::ops::applications::{Answer, Apply, Pending};
use crate::ops::member::{
    ChangeOnly, ClearC2cForMember, ClearGroupForMember, EventOnly, OwnClearMarks, OwnHistory,
};
use crate::ops::members::Join;
use crate::Result;
use std::sync::Arc;
use timber_core::group::{AddResult, GroupOp, JoinType, NewMember};
use timber_core::member::{Application, Change, ChangeSink, MAX_LISTED_APPLICATIONS};
use timber_core::message::{MemberPage, Retention};
use timber_core::AppId;

#[async_trait::async_trait]
pub trait MemberStore {
    /// From now on every committed write publishes its changes to `sink`. Set once, at start.
    fn set_change_sink(&self, sink: Arc<dyn ChangeSink>);

    /// A member connection `conn` of this node opened (recorded for the other nodes on
    /// PostgreSQL, members.md §6; nothing on SQLite). Failures are logged, not returned: the
    /// connection works on this node either way.
    async fn member_connected(
        &self,
        app: AppId,
        conn: u64,
        account: String,
        platform: &'static str,
    );

    /// A member connection of this node ended.
    async fn member_disconnected(&self, conn: u64);

    /// (account, platform) of each member connection of `accounts` on the other live nodes
    /// (query_online_status across nodes); empty with one process.
    async fn remote_platforms(
        &self,
        app: AppId,
        accounts: Vec<String>,
    ) -> Result<Vec<(String, String)>>;

    /// getGroupHistoryMessageList: one page of `member`'s view (the group's cleared
    /// watermark and the member's own clear mark both hide), newest first, and the member's
    /// own clear mark. Not a member: 10007; AVChatRoom: 10044.
    async fn own_history(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        req_seq: Option<u64>,
        limit: u64,
        retention: Retention,
    ) -> Result<(MemberPage, u64)>;

    /// The member's own clear marks of these groups (0: none or not a member).
    async fn own_clear_marks(
        &self,
        app: AppId,
        member: String,
        group_ids: Vec<String>,
    ) -> Result<Vec<u64>>;

    /// clearGroupHistoryMessage: returns the member's clear mark after it.
    async fn clear_group_for_member(
        &self,
        app: AppId,
        group_id: String,
        member: String,
    ) -> Result<u64>;

    /// clearC2CHistoryMessage: clears the member's side up to `now`; returns the mark (0 when
    /// there is no conversation).
    async fn clear_c2c_for_member(
        &self,
        app: AppId,
        member: String,
        peer: String,
        now: i64,
    ) -> Result<i64>;

    /// Records State.StateChange for a member connection (when the app wants it).
    async fn state_change(
        &self,
        app: AppId,
        user: String,
        action: &'static str,
        reason: &'static str,
        platform: &'static str,
    ) -> Result<()>;

    /// Records Group.CallbackOnMemberStateChange: `members` came into (`online`) or left the
    /// AVChatRoom `group_id` (when the app wants it).
    async fn room_state_change(
        &self,
        app: AppId,
        group_id: String,
        online: bool,
        members: Vec<String>,
    ) -> Result<()>;

    /// Publishes a change with nothing stored behind it, to the members of every node.
    async fn announce(&self, app: AppId, change: Change) -> Result<()>;

    /// joinGroup on a NeedPermission group: records (or renews) the application and tells
    /// the group's owner and admins. `None` when the applicant is a member already. 10010.
    async fn apply_to_join(
        &self,
        app: AppId,
        group_id: String,
        applicant: String,
        message: String,
        now: i64,
    ) -> Result<Option<Vec<String>>>;

    /// acceptGroupApplication (`accept`: the applicant joins, `JoinType` `Apply`, `operator`
    /// the one who accepted) or refuseGroupApplication; either takes the application away.
    /// `None` when refused; a banned applicant accepted is `AddResult::Failed`. 10004 when
    /// there is no pending application, 10010.
    async fn answer_application(
        &self,
        app: AppId,
        group_id: String,
        applicant: String,
        accept: bool,
        operator: String,
        now: i64,
    ) -> Result<Option<AddResult>>;

    /// The pending applications to the groups `reviewer` owns or administers, oldest first,
    /// at most `MAX_LISTED_APPLICATIONS`.
    async fn pending_applications(&self, app: AppId, reviewer: String) -> Result<Vec<Application>>;

    /// `account` came into the AVChatRoom through this node (members.md §6).
    async fn room_entered(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        join_time: i64,
    ) -> Result<()>;

    /// `accounts` left the room through this node, or through any node (`everywhere`: bans).
    async fn room_left(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        everywhere: bool,
    ) -> Result<()>;

    /// (account, join time) of those present in the room through the other live nodes.
    async fn remote_room_members(&self, app: AppId, group_id: String)
        -> Result<Vec<(String, i64)>>;
}

#[async_trait::async_trait]
impl<B: Backend> MemberStore for B {
    fn set_change_sink(&self, sink: Arc<dyn ChangeSink>) {
        self.install_change_sink(sink);
    }

    async fn member_connected(
        &self,
        app: AppId,
        conn: u64,
        account: String,
        platform: &'static str,
    ) {
        Backend::member_connected(self, app, conn, &account, platform).await
    }

    async fn member_disconnected(&self, conn: u64) {
        Backend::member_disconnected(self, conn).await
    }

    async fn remote_platforms(
        &self,
        app: AppId,
        accounts: Vec<String>,
    ) -> Result<Vec<(String, String)>> {
        Backend::remote_platforms(self, app, &accounts).await
    }

    async fn own_history(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        req_seq: Option<u64>,
        limit: u64,
        retention: Retention,
    ) -> Result<(MemberPage, u64)> {
        self.read(OwnHistory {
            app,
            group_id,
            member,
            req_seq,
            limit,
            retention,
        })
        .await
    }

    async fn own_clear_marks(
        &self,
        app: AppId,
        member: String,
        group_ids: Vec<String>,
    ) -> Result<Vec<u64>> {
        self.read(OwnClearMarks {
            app,
            member,
            group_ids,
        })
        .await
    }

    async fn clear_group_for_member(
        &self,
        app: AppId,
        group_id: String,
        member: String,
    ) -> Result<u64> {
        self.write(ClearGroupForMember {
            app,
            group_id,
            member,
        })
        .await
    }

    async fn clear_c2c_for_member(
        &self,
        app: AppId,
        member: String,
        peer: String,
        now: i64,
    ) -> Result<i64> {
        self.write(ClearC2cForMember {
            app,
            member,
            peer,
            now,
        })
        .await
    }

    async fn room_state_change(
        &self,
        app: AppId,
        group_id: String,
        online: bool,
        members: Vec<String>,
    ) -> Result<()> {
        self.write(EventOnly::room_state_change(
            app, &group_id, online, &members,
        ))
        .await
    }

    async fn state_change(
        &self,
        app: AppId,
        user: String,
        action: &'static str,
        reason: &'static str,
        platform: &'static str,
    ) -> Result<()> {
        self.write(EventOnly::state_change(
            app, &user, action, reason, platform,
        ))
        .await
    }
    async fn announce(&self, app: AppId, change: Change) -> Result<()> {
        self.write(ChangeOnly { app, change }).await
    }

    async fn apply_to_join(
        &self,
        app: AppId,
        group_id: String,
        applicant: String,
        message: String,
        now: i64,
    ) -> Result<Option<Vec<String>>> {
        self.write(Apply {
            app,
            group_id,
            applicant,
            message,
            now,
        })
        .await
    }

    async fn answer_application(
        &self,
        app: AppId,
        group_id: String,
        applicant: String,
        accept: bool,
        operator: String,
        now: i64,
    ) -> Result<Option<AddResult>> {
        let join = Join {
            app,
            group_id,
            op: GroupOp::AddMember,
            members: vec![NewMember::member(applicant, now)],
            silent: false,
            operator,
            now,
            join_type: JoinType::Apply,
        };
        let out = self.write(Answer { join, accept }).await?;
        Ok(out.map(|r| r.into_iter().next().unwrap_or(AddResult::Failed)))
    }

    async fn pending_applications(&self, app: AppId, reviewer: String) -> Result<Vec<Application>> {
        self.read(Pending {
            app,
            reviewer,
            limit: MAX_LISTED_APPLICATIONS,
        })
        .await
    }

    async fn room_entered(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        join_time: i64,
    ) -> Result<()> {
        Backend::room_entered(self, app, &group_id, &account, join_time).await
    }

    async fn room_left(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        everywhere: bool,
    ) -> Result<()> {
        Backend::room_left(self, app, &group_id, &accounts, everywhere).await
    }

    async fn remote_room_members(
        &self,
        app: AppId,
        group_id: String,
    ) -> Result<Vec<(String, i64)>> {
        Backend::remote_room_members(self, app, &group_id).await
    }
}
