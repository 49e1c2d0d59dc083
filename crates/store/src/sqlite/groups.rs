//! Groups and members on SQLite: the shared operations, as write jobs or snapshot reads.

use super::{read_op, scan_op, write_op, SqliteStore};
use crate::groups::{
    AddResult, GroupChanges, GroupIdPage, GroupStore, GroupWithMembers, JoinedPage, JoinedQuery,
    MemberChanges, MemberPage, MemberQuery, NewGroup, NewMember,
};
use crate::ops::groups;
use crate::Result;
use timber_core::group::{GroupType, Role};
use timber_core::AppId;

#[async_trait::async_trait]
impl GroupStore for SqliteStore {
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
    ) -> Result<MemberPage> {
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
