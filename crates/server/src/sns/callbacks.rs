//! The points where the relationship callbacks (relationships.md §24, callbacks.md §6) will be
//! sent. Nothing is sent yet: these are the hooks the callbacks work fills in.
//!
//! - Before: `Sns.CallbackPrevFriendAdd` and `Sns.CallbackPrevFriendResponse` are documented
//!   as never sent for admin (REST) requests, so timber's REST path has no before-hook; a
//!   client path, if one comes, calls [`before_friend_add`] before its store write.
//! - After: every write handler calls [`after`] with what its committed transaction changed
//!   (only items that succeeded; nothing when none did). friend_import, friend_delete_all and
//!   the friendships removed by blocking fire nothing (§2, §5, §10).

use crate::Ctx;

/// What a relationship write changed, for the after-callbacks (which will read the fields).
#[derive(Debug)]
#[allow(dead_code)]
pub enum SnsEvent<'a> {
    /// `Sns.CallbackFriendAdd`: the added users of `friend_add` (§1).
    FriendAdd {
        from: &'a str,
        added: Vec<&'a str>,
        force: bool,
    },
    /// `Sns.CallbackFriendDelete` (§4).
    FriendDelete {
        from: &'a str,
        deleted: Vec<&'a str>,
    },
    /// `Sns.CallbackBlackListAdd` (§10).
    BlackListAdd {
        from: &'a str,
        blocked: Vec<&'a str>,
    },
    /// `Sns.CallbackBlackListDelete` (§11).
    BlackListDelete {
        from: &'a str,
        unblocked: Vec<&'a str>,
    },
    /// `Follow.CallbackAfterFollowAdd` (§18).
    FollowAdd {
        from: &'a str,
        followed: Vec<&'a str>,
    },
    /// `Follow.CallbackAfterFollowDelete` (§19).
    FollowDelete {
        from: &'a str,
        unfollowed: Vec<&'a str>,
    },
}

/// `Sns.CallbackPrevFriendAdd` for a client's request: always allows today.
#[allow(dead_code)]
pub(crate) async fn before_friend_add(_ctx: &Ctx, _from: &str, _targets: &[&str]) -> bool {
    true
}

/// The after-callbacks of a committed relationship write: a no-op until callbacks exist.
pub(crate) fn after(_ctx: &Ctx, event: SnsEvent<'_>) {
    tracing::trace!(?event, "relationship change (callbacks not configured)");
}
