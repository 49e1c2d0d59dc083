//! One-to-one (C2C) message operations. spec: c2c-messages.md.
//!
//! A send stores its message and moves both sides' conversation state in one transaction
//! (one job of the SQLite writer's group commit; one transaction on PostgreSQL). Recall,
//! modify and one-sided delete change a stored row; only the background sweeper deletes rows.
//! The types and the rules are `timber_core::c2c`'s.

use crate::backend::Backend;
use crate::messages::{RetentionPolicy, SweepStep};
use crate::ops::c2c::{
    BatchSendC2c, C2cExpireStep, DeleteC2c, ImportC2c, ModifyC2c, Roam, SendC2c, SetRead, Unread,
    Withdraw,
};
use crate::Result;
use timber_core::c2c::{C2cSent, ImportC2cMsg, MsgKey, NewC2cMsg, RoamPage, RoamQuery};
use timber_core::message::Retention;
use timber_core::{AppId, ErrorCode};

pub use crate::ops::c2c::UnreadCounts;

#[async_trait::async_trait]
pub trait C2cStore {
    /// sendmsg (c2c-messages.md §3): the sender must exist (90008), the receiver too (90012);
    /// a repeat within 120 seconds answers the original's key and stores nothing.
    async fn send_c2c(&self, app: AppId, msg: NewC2cMsg) -> Result<C2cSent>;

    /// batchsendmsg (§4): the same message from one sender (90008 when it does not exist) to
    /// each receiver, in one transaction; per receiver its key, or 70107 for an unknown one.
    async fn batch_send_c2c(
        &self,
        app: AppId,
        msgs: Vec<NewC2cMsg>,
    ) -> Result<Vec<Result<C2cSent, ErrorCode>>>;

    /// importmsg (§5): a message with a (MsgSeq, MsgRandom, time) the conversation already
    /// has is a duplicate and stores nothing.
    async fn import_c2c(&self, app: AppId, msg: ImportC2cMsg) -> Result<C2cSent>;

    /// admin_getroammsg (§6): one page of `operator`'s view of its conversation with `peer`,
    /// newest first (90008 / 90003 for an unknown account).
    async fn roam_c2c(
        &self,
        app: AppId,
        operator: String,
        peer: String,
        query: RoamQuery,
        retention: Retention,
    ) -> Result<RoamPage>;

    /// admin_msgwithdraw (§7): 20022 no such retained message from `from`, 20023 recalled.
    async fn withdraw_c2c(
        &self,
        app: AppId,
        from: String,
        to: String,
        key: MsgKey,
        retention: Retention,
    ) -> Result<()>;

    /// modify_c2c_msg (§10): 20022 no such retained, unrecalled message from `from`; 80002
    /// when the result is over `max_bytes`.
    #[allow(clippy::too_many_arguments)]
    async fn modify_c2c(
        &self,
        app: AppId,
        from: String,
        to: String,
        key: MsgKey,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()>;

    /// delete_c2c_msg_ramble: hides the messages from `operator`'s side only.
    async fn delete_c2c(
        &self,
        app: AppId,
        operator: String,
        peer: String,
        keys: Vec<MsgKey>,
    ) -> Result<()>;

    /// admin_set_msg_read (§8): `report`'s messages from `peer` sent at or before
    /// `read_time` (at most `now`) become read.
    async fn set_c2c_read(
        &self,
        app: AppId,
        report: String,
        peer: String,
        read_time: i64,
        now: i64,
    ) -> Result<()>;

    /// get_c2c_unread_msg_num (§9): the total, or per named peer.
    async fn c2c_unread(
        &self,
        app: AppId,
        user: String,
        peers: Option<Vec<String>>,
        retention: Retention,
    ) -> Result<UnreadCounts>;

    /// One step of the retention sweep of C2C messages (as `MessageStore::expire_step` for
    /// groups).
    async fn expire_c2c_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep>;
}

#[async_trait::async_trait]
impl<B: Backend> C2cStore for B {
    async fn send_c2c(&self, app: AppId, msg: NewC2cMsg) -> Result<C2cSent> {
        self.write(SendC2c { app, msg }).await
    }

    async fn batch_send_c2c(
        &self,
        app: AppId,
        msgs: Vec<NewC2cMsg>,
    ) -> Result<Vec<Result<C2cSent, ErrorCode>>> {
        self.write(BatchSendC2c { app, msgs }).await
    }

    async fn import_c2c(&self, app: AppId, msg: ImportC2cMsg) -> Result<C2cSent> {
        self.write(ImportC2c { app, msg }).await
    }

    async fn roam_c2c(
        &self,
        app: AppId,
        operator: String,
        peer: String,
        query: RoamQuery,
        retention: Retention,
    ) -> Result<RoamPage> {
        self.read(Roam {
            app,
            operator,
            peer,
            query,
            retention,
        })
        .await
    }

    async fn withdraw_c2c(
        &self,
        app: AppId,
        from: String,
        to: String,
        key: MsgKey,
        retention: Retention,
    ) -> Result<()> {
        self.write(Withdraw {
            app,
            from,
            to,
            key,
            retention,
        })
        .await
    }

    async fn modify_c2c(
        &self,
        app: AppId,
        from: String,
        to: String,
        key: MsgKey,
        body: Option<String>,
        cloud_custom_data: Option<String>,
        max_bytes: usize,
        retention: Retention,
    ) -> Result<()> {
        self.write(ModifyC2c {
            app,
            from,
            to,
            key,
            body,
            cloud_custom_data,
            max_bytes,
            retention,
        })
        .await
    }

    async fn delete_c2c(
        &self,
        app: AppId,
        operator: String,
        peer: String,
        keys: Vec<MsgKey>,
    ) -> Result<()> {
        self.write(DeleteC2c {
            app,
            operator,
            peer,
            keys,
        })
        .await
    }

    async fn set_c2c_read(
        &self,
        app: AppId,
        report: String,
        peer: String,
        read_time: i64,
        now: i64,
    ) -> Result<()> {
        self.write(SetRead {
            app,
            report,
            peer,
            read_time,
            now,
        })
        .await
    }

    async fn c2c_unread(
        &self,
        app: AppId,
        user: String,
        peers: Option<Vec<String>>,
        retention: Retention,
    ) -> Result<UnreadCounts> {
        self.read(Unread {
            app,
            user,
            peers,
            retention,
        })
        .await
    }

    async fn expire_c2c_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep> {
        self.write(C2cExpireStep {
            policy,
            now,
            max_rows,
        })
        .await
    }
}
