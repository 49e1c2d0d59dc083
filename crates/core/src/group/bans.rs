//! Member bans: a banned user is removed from the group and kept out until the ban ends.
//! spec: groups-more.md §5.
//!
//! Our decisions (groups-more.md §5.1, §11.5): one ban record (group, user, until,
//! description) for every type; banning removes a member as delete_group_member does (a
//! members-removed tip where the type stores one, Group.CallbackAfterMemberExit `Kicked`),
//! AVChatRoom keeping no member list to remove from; a later add or import of a banned user
//! fails for that user (`Result` 0); a user who is not a member may be banned in advance; the
//! owner cannot be banned (10007); `Duration` is at least 1 (unban lifts a ban); banning a
//! banned user sets a new end; expired bans are ignored and unban is idempotent.

use super::{decide_leave, require_accounts, Change, GroupRecord, GroupType, LeavePlan};
use crate::message::Appends;
use crate::{text, Error, ErrorCode};

/// The types that have bans: all five (groups-more.md §5.1, newest edition).
pub const BAN_TYPES: [GroupType; 5] = GroupType::ALL;
/// Accounts per ban_group_member / unban_group_member.
pub const MAX_BAN_ACCOUNTS: usize = 20;
pub const MAX_BAN_DESCRIPTION_BYTES: usize = 1_000;
/// get_group_ban_member's page: at most 100 (and 100 when `Limit` is absent, inferred).
pub const MAX_BAN_PAGE: u64 = 100;

/// 10007 for a type without bans ([`BAN_TYPES`]).
pub fn require_ban_type(g: &GroupRecord) -> Result<(), Error> {
    if BAN_TYPES.contains(&g.ty) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{} groups have no bans", g.ty.as_str()),
    ))
}

/// `Description`: at most 1,000 bytes, no NUL (10004).
pub fn check_ban_description(d: &str) -> Result<(), Error> {
    if d.len() > MAX_BAN_DESCRIPTION_BYTES {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("Description is longer than {MAX_BAN_DESCRIPTION_BYTES} bytes"),
        ));
    }
    text::check_no_nul("Description", d)
        .map_err(|e| Error::new(ErrorCode::GroupInvalidParameter, e))
}

/// What ban_group_member writes: the ban's end, and the removal of those who were members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanPlan {
    /// Unix seconds: now + Duration.
    pub until: i64,
    /// The accounts to ban, each once, request order.
    pub accounts: Vec<String>,
    pub leave: LeavePlan,
}

/// ban_group_member: every account must exist (`exist`, request order: 10019), the owner
/// cannot be banned (10007), `duration` ≥ 1 (10004). `member`: whether each account is a
/// member now.
pub fn decide_ban(
    g: &GroupRecord,
    accounts: &[String],
    exist: &[bool],
    member: &[bool],
    duration: u64,
    by: Change<'_>,
) -> Result<BanPlan, Error> {
    require_ban_type(g)?;
    if duration == 0 {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            "Duration must be at least 1 second; unban_group_member lifts a ban",
        ));
    }
    require_accounts(accounts.iter().map(String::as_str), exist)?;
    if !g.owner.is_empty() && accounts.contains(&g.owner) {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!("{:?} is the owner and cannot be banned", g.owner),
        ));
    }
    let mut unique: Vec<String> = Vec::new();
    for a in accounts {
        if !unique.contains(a) {
            unique.push(a.clone());
        }
    }
    let leave = if g.ty == GroupType::AVChatRoom {
        // No stored member list: the online set is dropped by the member protocol.
        LeavePlan {
            leaving: Vec::new(),
            member_num: g.member_num,
            appends: Appends {
                rows: Vec::new(),
                head: None,
            },
        }
    } else {
        decide_leave(g, accounts, member, Some(by))?
    };
    Ok(BanPlan {
        until: by.now.saturating_add(duration.min(u32::MAX as u64) as i64),
        accounts: unique,
        leave,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by() -> Change<'static> {
        Change {
            operator: "admin",
            now: 1_000,
        }
    }

    #[test]
    fn ban_removes_members_and_refuses_the_owner_and_zero() {
        let mut g = super::super::record::tests::group(GroupType::Public);
        g.member_num = 3;
        let accounts = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        let plan = decide_ban(&g, &accounts, &[true; 3], &[true, false, true], 60, by()).unwrap();
        assert_eq!(plan.until, 1_060);
        assert_eq!(plan.accounts, ["a", "b"]);
        assert_eq!(plan.leave.leaving, ["a"]);
        assert_eq!(plan.leave.member_num, 2);
        let code = |r: Result<BanPlan, Error>| r.unwrap_err().code;
        assert_eq!(
            code(decide_ban(
                &g,
                &["owner".into()],
                &[true],
                &[true],
                60,
                by()
            )),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(decide_ban(&g, &["a".into()], &[true], &[true], 0, by())),
            ErrorCode::GroupInvalidParameter
        );
        assert_eq!(
            code(decide_ban(&g, &["zed".into()], &[false], &[false], 5, by())),
            ErrorCode::GroupAccountNotFound
        );
        let live = super::super::record::tests::group(GroupType::AVChatRoom);
        let plan = decide_ban(&live, &["a".into()], &[true], &[false], 5, by()).unwrap();
        assert!(plan.leave.leaving.is_empty());
    }
}
