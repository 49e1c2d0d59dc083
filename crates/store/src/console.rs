//! What the web console (`/console`) lists that the REST API has no list for: an app's
//! accounts, its groups with their heads and cleared watermarks, and its one-to-one
//! conversations. Every read is one page in index order after a cursor, so that an app with
//! 100,000 groups is never read whole. spec: none (timber's own; README "Console").

use crate::backend::Backend;
use crate::ops::console::{AccountsPage, C2cPage, GroupsPage};
use crate::Result;
use timber_core::AppId;

/// The largest page a console read returns.
pub const MAX_PAGE: u64 = 200;

/// One account as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub user_id: String,
    pub nick: Option<String>,
    pub created_at: i64,
}

/// One group as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub group_id: String,
    pub ty: String,
    pub name: String,
    pub owner: String,
    pub member_num: u64,
    pub next_msg_seq: u64,
    /// Seqs at or below it were cleared by clear_group_msg.
    pub cleared_upto: u64,
    pub create_time: i64,
}

/// One one-to-one conversation (the pair is in byte order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2cRow {
    /// The conversation's internal key: the cursor of the next page.
    pub key: u64,
    pub user_a: String,
    pub user_b: String,
    /// The newest message's time, Unix seconds (0: none yet).
    pub last_time: i64,
}

/// A page of a console list, and the cursor of the next one (`None`: this is the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    pub rows: Vec<T>,
    pub next: Option<C>,
    /// Rows of the app in all, whatever the page and the search.
    pub total: u64,
}

#[async_trait::async_trait]
pub trait ConsoleStore {
    /// Accounts whose UserID starts with `prefix`, in UserID order, after `after`.
    async fn accounts_page(
        &self,
        app: AppId,
        prefix: String,
        after: String,
        limit: u64,
    ) -> Result<Page<AccountRow, String>>;

    /// Live groups whose GroupId starts with `prefix` (and of type `ty`), in GroupId order,
    /// after `after`.
    async fn groups_page(
        &self,
        app: AppId,
        prefix: String,
        ty: Option<String>,
        after: String,
        limit: u64,
    ) -> Result<Page<GroupRow, String>>;

    /// One-to-one conversations (of `user` when given), in key order after `after`.
    async fn c2c_page(
        &self,
        app: AppId,
        user: Option<String>,
        after: u64,
        limit: u64,
    ) -> Result<Page<C2cRow, u64>>;
}

#[async_trait::async_trait]
impl<B: Backend> ConsoleStore for B {
    async fn accounts_page(
        &self,
        app: AppId,
        prefix: String,
        after: String,
        limit: u64,
    ) -> Result<Page<AccountRow, String>> {
        self.scan(AccountsPage {
            app,
            prefix,
            after,
            limit: limit.clamp(1, MAX_PAGE),
        })
        .await
    }

    async fn groups_page(
        &self,
        app: AppId,
        prefix: String,
        ty: Option<String>,
        after: String,
        limit: u64,
    ) -> Result<Page<GroupRow, String>> {
        self.scan(GroupsPage {
            app,
            prefix,
            ty,
            after,
            limit: limit.clamp(1, MAX_PAGE),
        })
        .await
    }

    async fn c2c_page(
        &self,
        app: AppId,
        user: Option<String>,
        after: u64,
        limit: u64,
    ) -> Result<Page<C2cRow, u64>> {
        self.scan(C2cPage {
            app,
            user,
            after,
            limit: limit.clamp(1, MAX_PAGE),
        })
        .await
    }
}
