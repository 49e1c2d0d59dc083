//! Unread counts and read positions: where a member has read up to, set_unread_msg_num, and
//! the count a member sees. spec: group-messages.md §10, §11.

use crate::group::{require_member, GroupOp, GroupRecord, MemberRecord};
use crate::Error;

/// Where a member has read up to, for unread counts.
///
/// import_group_msg makes every member's unread count 0 by raising the group's `read_floor`
/// to its last seq (O(1), whatever the member count). The floor applies to a member unless
/// the member's own position was set after it was raised: the member joined after the import
/// (`read_floor < join_seq`, e.g. import_group_member with `UnreadMsgNum`), or
/// set_unread_msg_num ran since (`floor_seen`, the floor it saw, is not below it). Cleared
/// messages count as read (group-messages.md §7, inferred).
pub fn effective_read_seq(
    read_seq: u64,
    join_seq: u64,
    floor_seen: u64,
    read_floor: u64,
    cleared_upto: u64,
) -> u64 {
    let floor_applies = read_floor >= join_seq && read_floor > floor_seen;
    let read = if floor_applies {
        read_seq.max(read_floor)
    } else {
        read_seq
    };
    read.max(cleared_upto)
}

/// The read position set_unread_msg_num stores so that `unread` messages are unread, clamped
/// to the messages there are (group-messages.md §11).
pub fn read_seq_for_unread(last_seq: u64, unread: u64) -> u64 {
    last_seq - unread.min(last_seq)
}
/// A member's new read position, as set_unread_msg_num writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadMark {
    pub read_seq: u64,
    /// The group's `read_floor` now: an import floor no higher than this no longer applies.
    pub read_floor_seen: u64,
}

/// set_unread_msg_num (group-messages.md §11): `None` for the types where it is a documented
/// no-op (whoever is named); otherwise the account must exist (10019) and be a member (10007).
pub fn decide_set_unread(
    g: &GroupRecord,
    account: &str,
    exists: bool,
    member: Option<MemberRecord>,
    unread: u64,
) -> Result<Option<ReadMark>, Error> {
    if !g.ty.check(GroupOp::SetUnread)? {
        return Ok(None);
    }
    require_member(&g.group_id, account, exists, member)?;
    Ok(Some(ReadMark {
        read_seq: read_seq_for_unread(g.last_seq(), unread),
        read_floor_seen: g.read_floor,
    }))
}

/// A member's unread count (`GroupRecord::unread`): 10019 when the account does not exist,
/// 10007 when it is not a member.
pub fn member_unread(
    g: &GroupRecord,
    account: &str,
    exists: bool,
    member: Option<MemberRecord>,
) -> Result<u64, Error> {
    let m = require_member(&g.group_id, account, exists, member)?;
    Ok(g.unread(&m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::{group, member};
    use crate::group::{GroupType, Role};
    use crate::ErrorCode;

    #[test]
    fn unread_positions() {
        // (read_seq, join_seq, floor_seen, read_floor, cleared_upto)
        assert_eq!(effective_read_seq(3, 1, 0, 0, 0), 3);
        assert_eq!(
            effective_read_seq(3, 1, 0, 10, 0),
            10,
            "an import reads everything"
        );
        assert_eq!(
            effective_read_seq(5, 1, 10, 10, 0),
            5,
            "set_unread_msg_num after the import wins"
        );
        assert_eq!(
            effective_read_seq(7, 11, 0, 10, 0),
            7,
            "a member that joined after the import keeps its own position"
        );
        assert_eq!(effective_read_seq(5, 1, 10, 12, 0), 12, "a later import");
        assert_eq!(
            effective_read_seq(3, 1, 0, 0, 8),
            8,
            "cleared counts as read"
        );
        assert_eq!(read_seq_for_unread(10, 3), 7);
        assert_eq!(read_seq_for_unread(10, 30), 0);
    }

    #[test]
    fn set_unread_and_counts() {
        let g = group(GroupType::Public); // last seq 10
        let m = || Some(member("m", Role::Member));
        let mark = decide_set_unread(&g, "m", true, m(), 3).unwrap();
        let want = ReadMark {
            read_seq: 7,
            read_floor_seen: 0,
        };
        assert_eq!(mark, Some(want));
        let code = |exists, found| {
            decide_set_unread(&g, "m", exists, found, 3)
                .unwrap_err()
                .code
        };
        assert_eq!(code(false, None), ErrorCode::GroupAccountNotFound);
        assert_eq!(code(true, None), ErrorCode::GroupPermissionDenied);
        let meeting = group(GroupType::ChatRoom);
        assert_eq!(decide_set_unread(&meeting, "x", false, None, 3), Ok(None));
        assert_eq!(member_unread(&g, "m", true, m()), Ok(10));
        let e = member_unread(&g, "m", true, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
    }
}
