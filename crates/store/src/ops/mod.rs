//! The store's operations, written once over [`crate::sql::Tx`] and run by both backends.
//! Each operation is one transaction: its checks (with `timber_core`'s rules) and its writes.

pub(crate) mod accounts;
pub(crate) mod groups;
pub(crate) mod messages;

/// The `GroupStore` and `MessageStore` impls of a backend, generated from this one list: each
/// method, whether it writes, reads a little or scans, and the shared operation it runs. The
/// backend supplies its runner macros (`write_op!`, `checked_write_op!`, `read_op!`,
/// `read_into_op!`, `scan_op!`).
macro_rules! group_and_message_store {
    ($store:ty) => {
        use super::{checked_write_op, read_into_op, read_op, scan_op, write_op};
        use $crate::groups::{
            AddResult, GroupChanges, GroupIdPage, GroupWithMembers, JoinedPage, JoinedQuery,
            MemberChanges, MemberPage as GroupMemberPage, MemberQuery, NewGroup, NewMember,
        };
        use $crate::messages::{
            HistoryQuery, ImportMsg, Imported, RetentionPolicy, SendMsg, Sent, SweepStep,
        };
        use $crate::ops::{groups, messages};
        use $crate::Result;
        use timber_core::group::{GroupType, Role};
        use timber_core::message::{PageSink, Retention};
        use timber_core::{AppId, ErrorCode};

        #[async_trait::async_trait]
        impl $crate::groups::GroupStore for $store {
            async fn create_group(&self, app: AppId, group: NewGroup, now: i64) -> Result<String> {
                write_op!(self, t => groups::create_group(t, app, &group, now))
            }

            async fn destroy_group(&self, app: AppId, group_id: String) -> Result<()> {
                let now = timber_core::now_secs();
                write_op!(self, t => groups::destroy_group(t, app, &group_id, now))
            }

            async fn get_groups(
                &self,
                app: AppId,
                group_ids: Vec<String>,
                with_members: bool,
            ) -> Result<Vec<Option<GroupWithMembers>>> {
                if with_members {
                    scan_op!(self, t => groups::get_groups(t, app, &group_ids, true))
                } else {
                    read_op!(self, t => groups::get_groups(t, app, &group_ids, false))
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
                write_op!(self, t => groups::add_members(t, app, &group_id, &members, silent, &operator, now))
            }

            async fn import_members(
                &self,
                app: AppId,
                group_id: String,
                members: Vec<NewMember>,
            ) -> Result<Vec<AddResult>> {
                write_op!(self, t => groups::import_members(t, app, &group_id, &members))
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
                write_op!(self, t => groups::delete_members(t, app, &group_id, &accounts, silent, &operator, now))
            }

            async fn list_groups(
                &self,
                app: AppId,
                ty: Option<GroupType>,
                after: u64,
                limit: u64,
            ) -> Result<GroupIdPage> {
                scan_op!(self, t => groups::list_groups(t, app, ty, after, limit))
            }

            async fn modify_group(
                &self,
                app: AppId,
                group_id: String,
                changes: GroupChanges,
                operator: String,
                now: i64,
            ) -> Result<()> {
                write_op!(self, t => groups::modify_group(t, app, &group_id, &changes, &operator, now))
            }

            async fn get_members(
                &self,
                app: AppId,
                group_id: String,
                query: MemberQuery,
            ) -> Result<GroupMemberPage> {
                scan_op!(self, t => groups::get_members(t, app, &group_id, &query))
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
                write_op!(self, t => groups::modify_member(t, app, &group_id, &account, &changes, &operator, now))
            }

            async fn joined_groups(
                &self,
                app: AppId,
                account: String,
                query: JoinedQuery,
            ) -> Result<JoinedPage> {
                scan_op!(self, t => groups::joined_groups(t, app, &account, &query))
            }

            async fn roles(
                &self,
                app: AppId,
                group_id: String,
                accounts: Vec<String>,
            ) -> Result<Vec<Option<Role>>> {
                scan_op!(self, t => groups::roles(t, app, &group_id, &accounts))
            }

            async fn change_owner(
                &self,
                app: AppId,
                group_id: String,
                new_owner: String,
                operator: String,
                now: i64,
            ) -> Result<()> {
                write_op!(self, t => groups::change_owner(t, app, &group_id, &new_owner, &operator, now))
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
                write_op!(self, t => groups::mute(t, app, &group_id, &accounts, mute_time, &operator, now))
            }

            async fn muted(&self, app: AppId, group_id: String, now: i64) -> Result<Vec<(String, i64)>> {
                scan_op!(self, t => groups::muted(t, app, &group_id, now))
            }
        }

        #[async_trait::async_trait]
        impl $crate::messages::MessageStore for $store {
            async fn send_message(&self, app: AppId, group_id: String, msg: SendMsg) -> Result<Sent> {
                checked_write_op!(self, t => messages::send_message(t, app, &group_id, &msg))
            }

            async fn import_messages(
                &self,
                app: AppId,
                group_id: String,
                msgs: Vec<ImportMsg>,
                now: i64,
            ) -> Result<Vec<Imported>> {
                write_op!(self, t => messages::import_messages(t, app, &group_id, &msgs, now))
            }

            async fn history_into(
                &self,
                app: AppId,
                group_id: String,
                query: HistoryQuery,
                retention: Retention,
                sink: &mut dyn PageSink,
            ) -> Result<u8> {
                read_into_op!(self, sink, t => messages::history(t, app, &group_id, query, retention, sink))
            }

            async fn member_history(
                &self,
                app: AppId,
                group_id: String,
                member: String,
                req_seq: Option<u64>,
                limit: u64,
                retention: Retention,
            ) -> Result<timber_core::message::MemberPage> {
                read_op!(self, t => messages::member_history(t, app, &group_id, &member, req_seq, limit, retention))
            }

            async fn recall_messages(
                &self,
                app: AppId,
                group_id: String,
                seqs: Vec<u64>,
                retention: Retention,
            ) -> Result<Vec<Result<(), ErrorCode>>> {
                write_op!(self, t => messages::recall_messages(t, app, &group_id, &seqs, retention))
            }

            async fn delete_by_sender(&self, app: AppId, group_id: String, sender: String) -> Result<u64> {
                write_op!(self, t => messages::delete_by_sender(t, app, &group_id, &sender))
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
                write_op!(self, t => messages::modify_message(t, app, &group_id, seq, body.as_deref(), cloud_custom_data.as_deref(), max_bytes, retention))
            }

            async fn clear_history(&self, app: AppId, group_id: String, upto: Option<u64>) -> Result<u64> {
                write_op!(self, t => messages::clear_history(t, app, &group_id, upto))
            }

            async fn set_unread(
                &self,
                app: AppId,
                group_id: String,
                member: String,
                unread: u64,
            ) -> Result<()> {
                write_op!(self, t => messages::set_unread(t, app, &group_id, &member, unread))
            }

            async fn unread_count(&self, app: AppId, group_id: String, member: String) -> Result<u64> {
                read_op!(self, t => messages::unread_count(t, app, &group_id, &member))
            }

            async fn purge_step(&self, max_rows: u64) -> Result<u64> {
                write_op!(self, t => messages::purge_step(t, max_rows))
            }

            async fn expire_step(
                &self,
                policy: RetentionPolicy,
                now: i64,
                max_rows: u64,
            ) -> Result<SweepStep> {
                write_op!(self, t => messages::expire_step(t, &policy, now, max_rows))
            }
        }
    };
}
pub(crate) use group_and_message_store;
