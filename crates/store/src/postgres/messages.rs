//! Group messages on PostgreSQL: the shared operations, one transaction each.

use super::{tx, PgStore};
use crate::messages::{
    HistoryPage, HistoryQuery, ImportMsg, Imported, MessageStore, RetentionPolicy, SendMsg, Sent,
    SweepStep,
};
use crate::ops::messages;
use crate::Result;
use timber_core::message::{MemberPage, Retention};
use timber_core::{AppId, ErrorCode};

#[async_trait::async_trait]
impl MessageStore for PgStore {
    async fn send_message(&self, app: AppId, group_id: String, msg: SendMsg) -> Result<Sent> {
        tx!(self, t => messages::send_message(t, app, &group_id, &msg).await)
    }

    async fn import_messages(
        &self,
        app: AppId,
        group_id: String,
        msgs: Vec<ImportMsg>,
        now: i64,
    ) -> Result<Vec<Imported>> {
        tx!(self, t => messages::import_messages(t, app, &group_id, &msgs, now).await)
    }

    async fn history(
        &self,
        app: AppId,
        group_id: String,
        query: HistoryQuery,
        retention: Retention,
    ) -> Result<HistoryPage> {
        tx!(self, t => messages::history(t, app, &group_id, query, retention).await)
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
        tx!(self, t => messages::member_history(t, app, &group_id, &member, req_seq, limit, retention).await)
    }

    async fn recall_messages(
        &self,
        app: AppId,
        group_id: String,
        seqs: Vec<u64>,
        retention: Retention,
    ) -> Result<Vec<Result<(), ErrorCode>>> {
        tx!(self, t => messages::recall_messages(t, app, &group_id, &seqs, retention).await)
    }

    async fn delete_by_sender(&self, app: AppId, group_id: String, sender: String) -> Result<u64> {
        tx!(self, t => messages::delete_by_sender(t, app, &group_id, &sender).await)
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
        tx!(self, t => messages::modify_message(t, app, &group_id, seq, body.as_deref(), cloud_custom_data.as_deref(), max_bytes, retention).await)
    }

    async fn clear_history(&self, app: AppId, group_id: String, upto: Option<u64>) -> Result<u64> {
        tx!(self, t => messages::clear_history(t, app, &group_id, upto).await)
    }

    async fn set_unread(
        &self,
        app: AppId,
        group_id: String,
        member: String,
        unread: u64,
    ) -> Result<()> {
        tx!(self, t => messages::set_unread(t, app, &group_id, &member, unread).await)
    }

    async fn unread_count(&self, app: AppId, group_id: String, member: String) -> Result<u64> {
        tx!(self, t => messages::unread_count(t, app, &group_id, &member).await)
    }

    async fn purge_step(&self, max_rows: u64) -> Result<u64> {
        tx!(self, t => messages::purge_step(t, max_rows).await)
    }

    async fn expire_step(
        &self,
        policy: RetentionPolicy,
        now: i64,
        max_rows: u64,
    ) -> Result<SweepStep> {
        tx!(self, t => messages::expire_step(t, &policy, now, max_rows).await)
    }
}
