//! Reading named members (get_specified_group_member_info) and the AVChatRoom broadcast
//! sequence (send_broadcast_msg). spec: groups-more.md §2, §7.7.

use super::{GroupRecord, GroupType, MemberRecord, Role};
use crate::{Error, ErrorCode};

/// Accounts per get_specified_group_member_info (10005 beyond).
pub const MAX_NAMED_MEMBERS: usize = 50;

/// get_specified_group_member_info: every type but AVChatRoom (10007). `found[i]` is the
/// membership of the i-th distinct requested account; accounts that are not members are left
/// out, the others keep request order, and `roles` (when not empty) keeps only those roles
/// (inferred: groups-more.md §2).
pub fn select_named_members(
    g: &GroupRecord,
    found: Vec<Option<MemberRecord>>,
    roles: &[Role],
) -> Result<Vec<MemberRecord>, Error> {
    if g.ty == GroupType::AVChatRoom {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            "AVChatRoom groups keep no member list to read",
        ));
    }
    Ok(found
        .into_iter()
        .flatten()
        .filter(|m| roles.is_empty() || roles.contains(&m.role))
        .collect())
}

/// The distinct accounts of a request, first occurrence first.
pub fn distinct(accounts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(accounts.len());
    for a in accounts {
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

/// A broadcast with the same content and `Random` as one sent within this many seconds is a
/// duplicate: it is dropped and answered with the first one's `MsgSeq` (groups-more.md §7.7,
/// inferred as send_group_msg).
pub const BROADCAST_DEDUP_SECS: i64 = 300;

/// The `MsgSeq` of a broadcast: the duplicate's, or the app's next (from 1), and whether a new
/// broadcast is recorded. Our decision: one app-wide counter, no room's seq is consumed.
pub fn decide_broadcast(last_seq: u64, duplicate: Option<u64>) -> (u64, bool) {
    match duplicate {
        Some(seq) => (seq, false),
        None => (last_seq + 1, true),
    }
}
