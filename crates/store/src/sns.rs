//! Relationship operations: friends, friend lists, pending requests, blocklists.
//! spec: relationships.md §0–§16. The types and the rules are `timber_core::sns`'s.
//!
//! Each batch write is one transaction whatever its size, with an outcome per item; a failed
//! item never undoes the others, and a request-level refusal (an unknown `From_Account`, a
//! friend list that already exists) changes nothing.

use crate::backend::Backend;
use crate::ops::sns::{
    Blocks, CheckPairs, Friends, Lists, NamedFriends, Pending, SetAddGates, SnsCommand, SnsOp,
};
use crate::Result;
use timber_core::sns::{AddGates, FriendAdd, UpdateItem};
use timber_core::AppId;

pub use crate::ops::sns::{BlockPage, FriendPage, NamedFriend, SnsOutcome};

/// The friend lists of a user (name, members) and its list sequence.
pub type ListsView = (Vec<(String, Vec<String>)>, u64);

#[async_trait::async_trait]
pub trait SnsStore {
    /// friend_add (§1). The later before-callbacks (`Sns.CallbackPrevFriendAdd`) are not
    /// sent for REST requests; the after-callbacks hang off this call's outcome.
    async fn friend_add(&self, app: AppId, req: FriendAdd, now: i64) -> Result<SnsOutcome>;
    /// friend_import (§2): one-way entries, no verification.
    async fn friend_import(&self, app: AppId, req: FriendAdd, now: i64) -> Result<SnsOutcome>;
    /// friend_update (§3).
    async fn friend_update(
        &self,
        app: AppId,
        from: String,
        items: Vec<UpdateItem>,
        now: i64,
    ) -> Result<SnsOutcome>;
    /// friend_delete (§4).
    async fn friend_delete(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        both: bool,
    ) -> Result<SnsOutcome>;
    /// friend_delete_all (§5).
    async fn friend_delete_all(&self, app: AppId, from: String, both: bool) -> Result<()>;
    /// friend_check / black_list_check (§6, §13): per target (is an account, A → B, B → A)
    /// in the friend tables, or with `blocks` in the blocklists.
    async fn check_pairs(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        blocks: bool,
    ) -> Result<Vec<(bool, bool, bool)>>;
    /// friend_get / friend_get_all (§7, §9): one page of at most `limit` friends.
    async fn friends(
        &self,
        app: AppId,
        from: String,
        start: usize,
        limit: usize,
    ) -> Result<FriendPage>;
    /// friend_get_list (§8): A's entries about `targets`, with each friend's profile tags when
    /// `profile`.
    async fn named_friends(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        profile: bool,
    ) -> Result<Vec<NamedFriend>>;
    /// black_list_add (§10).
    async fn block_add(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        now: i64,
    ) -> Result<SnsOutcome>;
    /// black_list_delete (§11).
    async fn block_delete(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<SnsOutcome>;
    /// black_list_get (§12).
    async fn blocks(
        &self,
        app: AppId,
        from: String,
        start: usize,
        limit: usize,
    ) -> Result<BlockPage>;
    /// group_add (§14).
    async fn list_add(
        &self,
        app: AppId,
        from: String,
        names: Vec<String>,
        members: Vec<String>,
    ) -> Result<SnsOutcome>;
    /// group_delete (§15).
    async fn list_delete(&self, app: AppId, from: String, names: Vec<String>)
        -> Result<SnsOutcome>;
    /// group_get (§16).
    async fn lists(&self, app: AppId, from: String) -> Result<ListsView>;
    /// Sets `Tag_Profile_IM_AllowType` and `Tag_Profile_IM_AdminForbidType` as a friend
    /// request reads them (for the profile commands; 30003 for an unknown account).
    async fn set_add_gates(&self, app: AppId, user: String, gates: AddGates) -> Result<()>;
    /// The pending requests `user` sent or received, (requester, target): a debug view.
    async fn pending_requests(&self, app: AppId, user: String) -> Result<Vec<(String, String)>>;
}

#[async_trait::async_trait]
impl<B: Backend> SnsStore for B {
    async fn friend_add(&self, app: AppId, req: FriendAdd, now: i64) -> Result<SnsOutcome> {
        let from = req.from.clone();
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::FriendAdd(req),
            now,
        })
        .await
    }

    async fn friend_import(&self, app: AppId, req: FriendAdd, now: i64) -> Result<SnsOutcome> {
        let from = req.from.clone();
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::FriendImport(req),
            now,
        })
        .await
    }

    async fn friend_update(
        &self,
        app: AppId,
        from: String,
        items: Vec<UpdateItem>,
        now: i64,
    ) -> Result<SnsOutcome> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::FriendUpdate(items),
            now,
        })
        .await
    }

    async fn friend_delete(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        both: bool,
    ) -> Result<SnsOutcome> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::FriendDelete { targets, both },
            now: 0,
        })
        .await
    }

    async fn friend_delete_all(&self, app: AppId, from: String, both: bool) -> Result<()> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::FriendDeleteAll { both },
            now: 0,
        })
        .await
        .map(|_| ())
    }

    async fn check_pairs(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        blocks: bool,
    ) -> Result<Vec<(bool, bool, bool)>> {
        self.scan(CheckPairs {
            app,
            from,
            targets,
            blocks,
        })
        .await
    }

    async fn friends(
        &self,
        app: AppId,
        from: String,
        start: usize,
        limit: usize,
    ) -> Result<FriendPage> {
        self.read(Friends {
            app,
            from,
            start,
            limit,
        })
        .await
    }

    async fn named_friends(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        profile: bool,
    ) -> Result<Vec<NamedFriend>> {
        self.read(NamedFriends {
            app,
            from,
            targets,
            profile,
        })
        .await
    }

    async fn block_add(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
        now: i64,
    ) -> Result<SnsOutcome> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::BlockAdd(targets),
            now,
        })
        .await
    }

    async fn block_delete(
        &self,
        app: AppId,
        from: String,
        targets: Vec<String>,
    ) -> Result<SnsOutcome> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::BlockDelete(targets),
            now: 0,
        })
        .await
    }

    async fn blocks(
        &self,
        app: AppId,
        from: String,
        start: usize,
        limit: usize,
    ) -> Result<BlockPage> {
        self.read(Blocks {
            app,
            from,
            start,
            limit,
        })
        .await
    }

    async fn list_add(
        &self,
        app: AppId,
        from: String,
        names: Vec<String>,
        members: Vec<String>,
    ) -> Result<SnsOutcome> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::ListAdd { names, members },
            now: 0,
        })
        .await
    }

    async fn list_delete(
        &self,
        app: AppId,
        from: String,
        names: Vec<String>,
    ) -> Result<SnsOutcome> {
        self.write(SnsOp {
            app,
            from,
            command: SnsCommand::ListDelete(names),
            now: 0,
        })
        .await
    }

    async fn lists(&self, app: AppId, from: String) -> Result<ListsView> {
        self.scan(Lists { app, from }).await
    }

    async fn set_add_gates(&self, app: AppId, user: String, gates: AddGates) -> Result<()> {
        self.write(SetAddGates { app, user, gates }).await
    }

    async fn pending_requests(&self, app: AppId, user: String) -> Result<Vec<(String, String)>> {
        self.read(Pending { app, user }).await
    }
}
