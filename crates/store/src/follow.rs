//! Follow operations (relationships.md §17–§22): a directed graph apart from friends. The
//! rules are `timber_core::sns::follow`'s.

use crate::backend::Backend;
use crate::ops::follow::{FollowCheck, FollowCounts, FollowPage};
use crate::ops::sns::{SnsCommand, SnsOp};
use crate::Result;
use timber_core::sns::FollowList;
use timber_core::{AppId, Error};

pub use crate::ops::follow::FollowEntry;

/// Per item of a follow write: the user named and its outcome.
pub type FollowOutcome = Vec<(String, Result<(), Error>)>;

#[async_trait::async_trait]
pub trait FollowStore {
    /// follow_add (§18). `Follow.CallbackAfterFollowAdd` will hang off this outcome.
    async fn follow_add(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        now: i64,
    ) -> Result<FollowOutcome>;
    /// follow_delete (§19).
    async fn follow_delete(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<FollowOutcome>;
    /// follow_check (§20): per target `None` (not an account) or (A follows B, B follows A).
    async fn follow_check(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<Vec<Option<(bool, bool)>>>;
    /// follow_get (§21): a page and whether another follows.
    async fn follow_page(
        &self,
        app: AppId,
        from: String,
        list: FollowList,
        start: usize,
        limit: usize,
    ) -> Result<(Vec<FollowEntry>, bool)>;
    /// follow_get_info (§22): per target `None` or (followers, followings, mutuals).
    async fn follow_counts(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<Vec<Option<(u64, u64, u64)>>>;
}

#[async_trait::async_trait]
impl<B: Backend> FollowStore for B {
    async fn follow_add(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        now: i64,
    ) -> Result<FollowOutcome> {
        let out = self
            .write(SnsOp {
                app,
                from,
                command: SnsCommand::FollowAdd(targets),
                now,
            })
            .await?;
        Ok(out.items)
    }

    async fn follow_delete(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<FollowOutcome> {
        let out = self
            .write(SnsOp {
                app,
                from,
                command: SnsCommand::FollowDelete(targets),
                now: 0,
            })
            .await?;
        Ok(out.items)
    }

    async fn follow_check(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<Vec<Option<(bool, bool)>>> {
        self.read(FollowCheck { app, from, targets }).await
    }

    async fn follow_page(
        &self,
        app: AppId,
        from: String,
        list: FollowList,
        start: usize,
        limit: usize,
    ) -> Result<(Vec<FollowEntry>, bool)> {
        self.scan(FollowPage {
            app,
            from,
            list,
            start,
            limit,
        })
        .await
    }

    async fn follow_counts(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<Vec<Option<(u64, u64, u64)>>> {
        self.read(FollowCounts { app, from, targets }).await
    }
}
