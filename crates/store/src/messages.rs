//! Group message operations. spec: group-messages.md.
//!
//! Every operation that takes a MsgSeq allocates it and stores the message in the same
//! transaction (DESIGN.md invariant 2). Recall, delete-by-sender, modify and clear mark
//! existing slots or the group's watermark; only the background sweeper deletes rows. The
//! types they take and the rules are `timber_core::message`'s.

use crate::backend::Backend;
use crate::ops::messages::{
    ClearHistory, DeleteBySender, History, ImportMessages, MemberHistory, ModifyMessage, Recall,
    SendMessage, SetUnread, UnreadCount,
};
use crate::ops::sweep::{ExpireStep, PurgeStep};
use crate::Result;
use std::collections::HashMap;
use std::sync::Arc;
use timber_core::message::{HistoryEntry, MemberPage, PageSink, Retention};
use timber_core::message::{ImportMsg, Imported, SendMsg, Sent};
use timber_core::{AppId, ErrorCode};

/// A group_msg_get_simple request, already validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Newest seq wanted; `None` = the newest message.
    pub req_seq: Option<u64>,
    /// How many slots the caller asked for (at most 20 are read).
    pub req_number: u64,
    pub with_recalled: bool,
}

/// One group_msg_get_simple answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// Newest first.
    pub entries: Vec<HistoryEntry>,
    /// `IsFinished`: 1 whole range, 0 partial, 2 partial and all expired.
    pub is_finished: u8,
}

/// One step of the retention sweeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepStep {
    /// Rows deleted by this step.
    pub deleted: u64,
    /// The step reached the last group: the pass is over and the next step starts again at
    /// the first group.
    pub pass_done: bool,
}

/// Days of retention per app (0 = forever); groups of apps not listed are left alone.
pub type RetentionPolicy = Arc<HashMap<AppId, u32>>;

#[async_trait::async_trait]
pub trait MessageStore {
    /// send_group_msg (group-messages.md §3): checks the group (10010), the sender (a member,
    /// or an app admin: 10007; an existing account: 10019; in AVChatRoom anyone may send),
    /// mutes (10017; mute-all spares owner, admins and app admins), targeted receivers
    /// (members of the group: 10004), then the five-minute `Random` window, then takes the
    /// next seq. AVChatRoom takes a seq and stores nothing (so it has no duplicate window).
    async fn send_message(&self, app: AppId, group_id: String, msg: SendMsg) -> Result<Sent>;

    /// import_group_msg (group-messages.md §10), uncapped here (the HTTP layer allows 7 per
    /// call). Messages breaking the time rules are refused one by one (10004); the others
    /// take consecutive seqs. If any was stored, every member's unread count becomes 0.
    /// With `recent_contact` (`RecentContactFlag` 1) the newest imported message moves the
    /// members' conversations (recent-contacts.md §0.2).
    async fn import_messages(
        &self,
        app: AppId,
        group_id: String,
        msgs: Vec<ImportMsg>,
        recent_contact: bool,
        now: i64,
    ) -> Result<Vec<Imported>>;

    /// group_msg_get_simple (group-messages.md §5): the app admin's view, entry by entry into
    /// `sink`, newest first; returns `IsFinished`. One range read on the primary key, its rows
    /// never copied (the caller writes each entry where it is wanted).
    async fn history_into(
        &self,
        app: AppId,
        group_id: String,
        query: HistoryQuery,
        retention: Retention,
        sink: &mut dyn PageSink,
    ) -> Result<u8>;

    /// [`MessageStore::history_into`], collected.
    async fn history(
        &self,
        app: AppId,
        group_id: String,
        query: HistoryQuery,
        retention: Retention,
    ) -> Result<HistoryPage> {
        let mut entries = Vec::new();
        let is_finished = self
            .history_into(app, group_id, query, retention, &mut entries)
            .await?;
        Ok(HistoryPage {
            entries,
            is_finished,
        })
    }

    /// The member-facing view (DESIGN.md invariant 4): one page of what `member` may see,
    /// newest first, at most `limit` (≤ 20) slots at or below `req_seq`. Not a member: 10007;
    /// AVChatRoom: 10044.
    async fn member_history(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        req_seq: Option<u64>,
        limit: u64,
        retention: Retention,
    ) -> Result<MemberPage>;

    /// group_msg_recall (group-messages.md §6): per seq, `Ok` when recalled now or before,
    /// else the per-message code (10030: no such stored, retained message). `operator` is who
    /// recalled (the REST caller's admin identifier, or the member), reported to callbacks
    /// and members.
    async fn recall_messages(
        &self,
        app: AppId,
        group_id: String,
        seqs: Vec<u64>,
        retention: Retention,
        operator: String,
    ) -> Result<Vec<Result<(), ErrorCode>>>;

    /// delete_group_msg_by_sender (group-messages.md §8): marks as recalled every message of
    /// `sender` among the newest 1,000 slots. Returns how many were marked.
    async fn delete_by_sender(&self, app: AppId, group_id: String, sender: String) -> Result<u64>;

    /// modify_group_msg (group-messages.md §9): replaces the body and/or custom data of a
    /// stored, retained, not recalled message (20022 otherwise); the result must fit in
    /// `max_bytes` (80002).
    #[allow(clippy::too_many_arguments)]
    async fn modify_message(
        &self,
        app: AppId,
        group_id: String,
        seq: u64,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()>;

    /// clear_group_msg (group-messages.md §7): raises the cleared watermark to `upto` (absent:
    /// the last seq), never lowering it and never past the last seq. Rewrites no message row.
    /// Returns the watermark.
    async fn clear_history(&self, app: AppId, group_id: String, upto: Option<u64>) -> Result<u64>;

    /// set_unread_msg_num (group-messages.md §11). Not a member: 10007 (10019 when the account
    /// does not exist).
    async fn set_unread(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        unread: u64,
    ) -> Result<()>;

    /// A member's unread count: last seq minus where the member has read up to
    /// (`timber_core::message::effective_read_seq`); 0 for types without unread counts.
    async fn unread_count(&self, app: AppId, group_id: String, member: String) -> Result<u64>;

    /// One step of the background purge of destroyed groups: deletes at most `max_rows` of
    /// their members, mutes and messages. Returns the rows deleted (0: nothing left).
    async fn purge_step(&self, max_rows: u64) -> Result<u64>;

    /// One step of the retention sweep: deletes at most `max_rows` expired messages, group by
    /// group from a cursor kept in the store (so a restart resumes where it stopped).
    async fn expire_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep>;
}

#[async_trait::async_trait]
impl<B: Backend> MessageStore for B {
    async fn send_message(&self, app: AppId, group_id: String, send: SendMsg) -> Result<Sent> {
        self.write(SendMessage {
            app,
            group_id,
            send,
        })
        .await
    }

    async fn import_messages(
        &self,
        app: AppId,
        group_id: String,
        msgs: Vec<ImportMsg>,
        recent_contact: bool,
        now: i64,
    ) -> Result<Vec<Imported>> {
        self.write(ImportMessages {
            app,
            group_id,
            msgs,
            recent_contact,
            now,
        })
        .await
    }

    async fn history_into(
        &self,
        app: AppId,
        group_id: String,
        query: HistoryQuery,
        retention: Retention,
        sink: &mut dyn PageSink,
    ) -> Result<u8> {
        let op = History {
            app,
            group_id,
            query,
            retention,
        };
        self.read_into(op, sink).await
    }

    async fn member_history(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        req_seq: Option<u64>,
        limit: u64,
        retention: Retention,
    ) -> Result<MemberPage> {
        self.read(MemberHistory {
            app,
            group_id,
            member,
            req_seq,
            limit,
            retention,
        })
        .await
    }

    async fn recall_messages(
        &self,
        app: AppId,
        group_id: String,
        seqs: Vec<u64>,
        retention: Retention,
        operator: String,
    ) -> Result<Vec<Result<(), ErrorCode>>> {
        self.write(Recall {
            app,
            group_id,
            seqs,
            retention,
            operator,
        })
        .await
    }

    async fn delete_by_sender(&self, app: AppId, group_id: String, sender: String) -> Result<u64> {
        self.write(DeleteBySender {
            app,
            group_id,
            sender,
        })
        .await
    }

    async fn modify_message(
        &self,
        app: AppId,
        group_id: String,
        seq: u64,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()> {
        self.write(ModifyMessage {
            app,
            group_id,
            seq,
            body,
            cloud_custom_data,
            max_bytes,
            retention,
        })
        .await
    }

    async fn clear_history(&self, app: AppId, group_id: String, upto: Option<u64>) -> Result<u64> {
        self.write(ClearHistory {
            app,
            group_id,
            upto,
        })
        .await
    }

    async fn set_unread(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        unread: u64,
    ) -> Result<()> {
        self.write(SetUnread {
            app,
            group_id,
            member,
            unread,
        })
        .await
    }

    async fn unread_count(&self, app: AppId, group_id: String, member: String) -> Result<u64> {
        self.read(UnreadCount {
            app,
            group_id,
            member,
        })
        .await
    }

    async fn purge_step(&self, max_rows: u64) -> Result<u64> {
        self.write(PurgeStep { max_rows }).await
    }

    async fn expire_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep> {
        self.write(ExpireStep {
            policy,
            now,
            max_rows,
        })
        .await
    }
}
