//! Group attributes, counters, member bans, named members and AVChatRoom broadcasts.
//! spec: groups-more.md §2–§5, §7.7. Each operation checks the group's type and state in the
//! transaction of its write (`crate::ops::group_more`); the rules are `timber_core::group`'s.

use crate::backend::Backend;
use crate::ops::group_more::{
    Ban, Banned, Broadcast, DeleteCounters, GetAttrs, GetCounters, NamedMembers, Unban,
    UpdateCounters, WriteAttrs,
};
use crate::ops::group_receipts::{MarkRead, ReceiptDetail, Receipts, SendWithReceipt};
use crate::ops::messages::SendMessage;
use crate::ops::room_admins::{BannedNow, ModifyRoomAdmins, RoomAdmins};
use crate::Result;

/// send_broadcast_msg's message: its sender, `MsgBody` JSON text and custom data.
#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub from: String,
    pub body: String,
    pub cloud_custom_data: Option<String>,
}
use timber_core::group::{AdminCommand, AttrWrite, CounterMode, MemberRecord, ReceiptCount, Role};
use timber_core::message::{SendMsg, Sent};
use timber_core::AppId;
use timber_core::Error;

/// A page of get_group_ban_member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanPage {
    /// (account, `BannedUntil` in Unix seconds), oldest ban first.
    pub bans: Vec<(String, i64)>,
    /// The next `Offset`; 0 when this page is the last.
    pub next: u64,
}

#[async_trait::async_trait]
pub trait GroupMoreStore {
    /// Every attribute of the group, ascending key.
    async fn group_attrs(&self, app: AppId, group_id: String) -> Result<Vec<(String, String)>>;

    /// One attribute write (all or nothing; limits on the result: 10045–10048, 10050).
    async fn write_group_attrs(
        &self,
        app: AppId,
        group_id: String,
        write: AttrWrite,
        operator: String,
    ) -> Result<()>;

    /// The named counters that exist (request order), or all of them (ascending key).
    async fn group_counters(
        &self,
        app: AppId,
        group_id: String,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<(String, i64)>>;

    /// Sets, increases or decreases counters; answers each key with its new value.
    async fn update_group_counters(
        &self,
        app: AppId,
        group_id: String,
        mode: CounterMode,
        items: Vec<(String, i64)>,
    ) -> Result<Vec<(String, i64)>>;

    /// Deletes the named counters, or all of them.
    async fn delete_group_counters(
        &self,
        app: AppId,
        group_id: String,
        keys: Option<Vec<String>>,
    ) -> Result<()>;

    /// Bans existing accounts for `duration` seconds, removing those who are members.
    #[allow(clippy::too_many_arguments)]
    async fn ban_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        duration: u64,
        description: String,
        operator: String,
        now: i64,
    ) -> Result<()>;

    /// Lifts bans (not banned is fine).
    async fn unban_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
    ) -> Result<()>;

    /// The bans in force at `now`, oldest first, `limit` from `offset`.
    async fn banned_members(
        &self,
        app: AppId,
        group_id: String,
        now: i64,
        offset: u64,
        limit: u64,
    ) -> Result<BanPage>;

    /// The memberships of the named (distinct) accounts that are members, request order,
    /// only the `roles` given (all when empty).
    async fn named_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        roles: Vec<Role>,
    ) -> Result<Vec<MemberRecord>>;

    /// A broadcast to every AVChatRoom of the app: its app-wide `MsgSeq` (a repeat within 5
    /// minutes answers the first one's). A new one reaches the members present in the rooms.
    async fn broadcast(&self, app: AppId, random: u32, msg: NewBroadcast, now: i64) -> Result<u64>;

    /// send_group_msg with `NeedReadReceipt` 1: the send, and (in the types with receipts)
    /// one unread receipt per member but the sender; 10060 above 200 members.
    async fn send_with_receipt(&self, app: AppId, group_id: String, send: SendMsg) -> Result<Sent>;

    /// Each seq's receipt counters, or its own 10062, in request order.
    async fn receipts(
        &self,
        app: AppId,
        group_id: String,
        seqs: Vec<u64>,
    ) -> Result<Vec<Result<ReceiptCount, Error>>>;

    /// The readers (`read`) or non-readers of one seq after `after`, by UserID, at most
    /// `count`; and whether the list is complete.
    #[allow(clippy::too_many_arguments)]
    async fn receipt_detail(
        &self,
        app: AppId,
        group_id: String,
        seq: u64,
        read: bool,
        after: Option<String>,
        count: u64,
    ) -> Result<(Vec<String>, bool)>;

    /// Marks the seqs read by `reader` (those without receipts for them are ignored).
    async fn mark_read(
        &self,
        app: AppId,
        group_id: String,
        reader: String,
        seqs: Vec<u64>,
    ) -> Result<()>;

    /// An AVChatRoom's admins, longest-standing first (groups-more.md §7.5).
    async fn room_admins(&self, app: AppId, group_id: String) -> Result<Vec<String>>;

    /// modify_admin (groups-more.md §7.4): at most 5 admins, granted accounts must exist.
    async fn modify_room_admins(
        &self,
        app: AppId,
        group_id: String,
        command: AdminCommand,
        accounts: Vec<String>,
        now: i64,
    ) -> Result<()>;

    /// Whether `account` is banned from the group at `now` (false when there is no group).
    async fn banned_now(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        now: i64,
    ) -> Result<bool>;
}

#[async_trait::async_trait]
impl<B: Backend> GroupMoreStore for B {
    async fn group_attrs(&self, app: AppId, group_id: String) -> Result<Vec<(String, String)>> {
        self.read(GetAttrs { app, group_id }).await
    }

    async fn write_group_attrs(
        &self,
        app: AppId,
        group_id: String,
        write: AttrWrite,
        operator: String,
    ) -> Result<()> {
        self.write(WriteAttrs {
            app,
            group_id,
            write,
            operator,
        })
        .await
    }

    async fn group_counters(
        &self,
        app: AppId,
        group_id: String,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<(String, i64)>> {
        self.read(GetCounters {
            app,
            group_id,
            keys,
        })
        .await
    }

    async fn update_group_counters(
        &self,
        app: AppId,
        group_id: String,
        mode: CounterMode,
        items: Vec<(String, i64)>,
    ) -> Result<Vec<(String, i64)>> {
        self.write(UpdateCounters {
            app,
            group_id,
            mode,
            items,
        })
        .await
    }

    async fn delete_group_counters(
        &self,
        app: AppId,
        group_id: String,
        keys: Option<Vec<String>>,
    ) -> Result<()> {
        self.write(DeleteCounters {
            app,
            group_id,
            keys,
        })
        .await
    }

    async fn ban_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        duration: u64,
        description: String,
        operator: String,
        now: i64,
    ) -> Result<()> {
        self.write(Ban {
            app,
            group_id,
            accounts,
            duration,
            description,
            operator,
            now,
        })
        .await
        .map(drop)
    }

    async fn unban_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
    ) -> Result<()> {
        self.write(Unban {
            app,
            group_id,
            accounts,
        })
        .await
    }

    async fn banned_members(
        &self,
        app: AppId,
        group_id: String,
        now: i64,
        offset: u64,
        limit: u64,
    ) -> Result<BanPage> {
        self.read(Banned {
            app,
            group_id,
            now,
            offset,
            limit,
        })
        .await
    }

    async fn named_members(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
        roles: Vec<Role>,
    ) -> Result<Vec<MemberRecord>> {
        self.read(NamedMembers {
            app,
            group_id,
            accounts,
            roles,
        })
        .await
    }

    async fn broadcast(&self, app: AppId, random: u32, msg: NewBroadcast, now: i64) -> Result<u64> {
        let (seq, _new) = self
            .write(Broadcast {
                app,
                random,
                msg,
                now,
            })
            .await?;
        Ok(seq)
    }

    async fn send_with_receipt(&self, app: AppId, group_id: String, send: SendMsg) -> Result<Sent> {
        self.write(SendWithReceipt {
            send: SendMessage {
                app,
                group_id,
                send,
            },
        })
        .await
    }

    async fn receipts(
        &self,
        app: AppId,
        group_id: String,
        seqs: Vec<u64>,
    ) -> Result<Vec<Result<ReceiptCount, Error>>> {
        self.read(Receipts {
            app,
            group_id,
            seqs,
        })
        .await
    }

    async fn receipt_detail(
        &self,
        app: AppId,
        group_id: String,
        seq: u64,
        read: bool,
        after: Option<String>,
        count: u64,
    ) -> Result<(Vec<String>, bool)> {
        self.read(ReceiptDetail {
            app,
            group_id,
            seq,
            read,
            after,
            count,
        })
        .await
    }

    async fn mark_read(
        &self,
        app: AppId,
        group_id: String,
        reader: String,
        seqs: Vec<u64>,
    ) -> Result<()> {
        self.write(MarkRead {
            app,
            group_id,
            reader,
            seqs,
        })
        .await
        .map(drop)
    }
    async fn room_admins(&self, app: AppId, group_id: String) -> Result<Vec<String>> {
        self.read(RoomAdmins { app, group_id }).await
    }

    async fn modify_room_admins(
        &self,
        app: AppId,
        group_id: String,
        command: AdminCommand,
        accounts: Vec<String>,
        now: i64,
    ) -> Result<()> {
        self.write(ModifyRoomAdmins {
            app,
            group_id,
            command,
            accounts,
            now,
        })
        .await
    }

    async fn banned_now(
        &self,
        app: AppId,
        group_id: String,
        account: String,
        now: i64,
    ) -> Result<bool> {
        self.read(BannedNow {
            app,
            group_id,
            account,
            now,
        })
        .await
    }
}
