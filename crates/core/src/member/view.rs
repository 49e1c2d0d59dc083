//! The member's own view of history (members.md §3): the group's view of
//! `message::member_view`, with the member's own clear mark ("clear for me") on top.

use crate::group::{not_member, GroupOp, GroupRecord, MemberRecord};
use crate::message::{member_view, MemberView, Retention};
use crate::Error;

/// `member`'s view of `g`, hiding also what the member cleared for themselves (`own_clear`).
pub fn own_view<'a>(
    g: &GroupRecord,
    member: &'a str,
    m: Option<&MemberRecord>,
    own_clear: u64,
    retention: Retention,
) -> Result<MemberView<'a>, Error> {
    let mut view = member_view(g, member, m, retention)?;
    view.cleared_upto = view.cleared_upto.max(own_clear);
    Ok(view)
}

/// clearGroupHistoryMessage: the member's clear mark moves to the group's newest seq, never
/// back. 10044 for a group without history, 10007 for a non-member. `None`: nothing to move.
pub fn decide_own_clear(
    g: &GroupRecord,
    member: &str,
    m: Option<&MemberRecord>,
    current: u64,
) -> Result<Option<u64>, Error> {
    g.ty.check(GroupOp::PullHistory)?;
    m.ok_or_else(|| not_member(member, &g.group_id))?;
    let last = g.last_seq();
    Ok((last > current).then_some(last))
}

/// clearC2CHistoryMessage: messages sent at or before `now` are cleared for the member; the
/// mark never moves back.
pub fn decide_own_c2c_clear(current: i64, now: i64) -> Option<i64> {
    (now > current).then_some(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::{group, member};
    use crate::group::{GroupType, Role};
    use crate::ErrorCode;

    #[test]
    fn own_clear_moves_forward_only() {
        let mut g = group(GroupType::Public);
        g.next_msg_seq = 11;
        let m = member("m", Role::Member);
        assert_eq!(decide_own_clear(&g, "m", Some(&m), 0), Ok(Some(10)));
        assert_eq!(decide_own_clear(&g, "m", Some(&m), 10), Ok(None));
        let e = decide_own_clear(&g, "x", None, 0).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
        let view = own_view(&g, "m", Some(&m), 7, Retention::forever(0)).unwrap();
        assert_eq!(view.floor(), 8.max(view.first_visible_seq));
        assert_eq!(decide_own_c2c_clear(5, 9), Some(9));
        assert_eq!(decide_own_c2c_clear(9, 9), None);
    }
}
