//! Groups and members on PostgreSQL: the shared operations, one transaction each.

use super::{tx, PgStore};
use crate::groups::{
    AddResult, GroupChanges, GroupIdPage, GroupStore, GroupWithMembers, JoinedPage, JoinedQuery,
    MemberChanges, MemberPage, MemberQuery, NewGroup, NewMember,
};
use crate::ops::groups;
use crate::Result;
use timber_core::group::{GroupType, Role};
use timber_core::AppId;

#[async_trait::async_trait]
impl GroupStore for PgStore {
    async fn create_group(&self, app: AppId, group: NewGroup, now: i64) -> Result<String> {
        tx!(self, t => groups::create_group(t, app, &group, now).await)
    }

    async fn destroy_group(&self, app: AppId, group_id: String) -> Result<()> {
        let now = timber_core::now_secs();
        tx!(self, t => groups::destroy_group(t, app, &group_id, now).await)
    }

    async fn get_groups(
        &self,
        app: AppId,
        group_ids: Vec<String>,
        with_members: bool,
    ) -> Result<Vec<Option<GroupWithMembers>>> {
        tx!(self, t => groups::get_groups(t, app, &group_ids, with_members).await)
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
        tx!(self, t => groups::add_members(t, app, &group_id, &members, silent, &operator, now).await)
    }

    async fn import_members(
        &self,
        app: AppId,
        group_id: String,
        members: Vec<NewMember>,
    ) -> Result<Vec<AddResult>> {
        tx!(self, t => groups::import_members(t, app, &group_id, &members).await)
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
        tx!(self, t => groups::delete_members(t, app, &group_id, &accounts, silent, &operator, now).await)
    }

    async fn list_groups(
        &self,
        app: AppId,
        ty: Option<GroupType>,
        after: u64,
        limit: u64,
    ) -> Result<GroupIdPage> {
        tx!(self, t => groups::list_groups(t, app, ty, after, limit).await)
    }

    async fn modify_group(
        &self,
        app: AppId,
        group_id: String,
        changes: GroupChanges,
        operator: String,
        now: i64,
    ) -> Result<()> {
        tx!(self, t => groups::modify_group(t, app, &group_id, &changes, &operator, now).await)
    }

    async fn get_members(
        &self,
        app: AppId,
        group_id: String,
        query: MemberQuery,
    ) -> Result<MemberPage> {
        tx!(self, t => groups::get_members(t, app, &group_id, &query).await)
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
        tx!(self, t => groups::modify_member(t, app, &group_id, &account, &changes, &operator, now).await)
    }

    async fn joined_groups(
        &self,
        app: AppId,
        account: String,
        query: JoinedQuery,
    ) -> Result<JoinedPage> {
        tx!(self, t => groups::joined_groups(t, app, &account, &query).await)
    }

    async fn roles(
        &self,
        app: AppId,
        group_id: String,
        accounts: Vec<String>,
    ) -> Result<Vec<Option<Role>>> {
        tx!(self, t => groups::roles(t, app, &group_id, &accounts).await)
    }

    async fn change_owner(
        &self,
        app: AppId,
        group_id: String,
        new_owner: String,
        operator: String,
        now: i64,
    ) -> Result<()> {
        tx!(self, t => groups::change_owner(t, app, &group_id, &new_owner, &operator, now).await)
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
        tx!(self, t => groups::mute(t, app, &group_id, &accounts, mute_time, &operator, now).await)
    }

    async fn muted(&self, app: AppId, group_id: String, now: i64) -> Result<Vec<(String, i64)>> {
        tx!(self, t => groups::muted(t, app, &group_id, now).await)
    }
}
