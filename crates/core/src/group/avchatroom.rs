//! AVChatRoom administration: online members, their marks, and the room's admins.
//! spec: groups-more.md §7.1–§7.6.
//!
//! An AVChatRoom keeps no member list; its members are the users present over the member
//! protocol (the HTTP layer's registry). What is decided here is what does not depend on who
//! is present: the limits, the type tables, and the admins, which are stored apart from
//! presence (§7.4, §11.7).

use super::{require_accounts, GroupRecord, GroupType};
use crate::{Error, ErrorCode};

/// get_members answers for these (§7.2: the table also lists Community, whose online set is
/// always empty in timber).
pub const ROOM_MEMBER_TYPES: [GroupType; 2] = [GroupType::AVChatRoom, GroupType::Community];
/// modify_user_info, modify_admin, get_admin_list and check_members answer only for these.
pub const ROOM_ADMIN_TYPES: [GroupType; 1] = [GroupType::AVChatRoom];

/// Admins an AVChatRoom may have (§7.4).
pub const MAX_ROOM_ADMINS: usize = 5;
/// get_members' page (§7.2: the Chinese page's 250, not the English 500).
pub const ROOM_MEMBERS_PAGE: usize = 250;
/// get_members lists at most the 1,000 most recent joins (§7.1, the paid list).
pub const ROOM_MEMBERS_LISTED: usize = 1_000;
/// modify_user_info's `MemberList` (§7.3).
pub const MAX_MARK_ENTRIES: usize = 500;
/// check_members' `Member_Account` (no number documented; §11.13).
pub const MAX_CHECK_ACCOUNTS: usize = 500;
/// Custom marks start here (§7.3).
pub const MIN_CUSTOM_MARK: u64 = 1_000;
/// The special mark, settable on offline members and kept across leaving (§7.3, inferred).
pub const SPECIAL_MARK: u64 = 500;
/// Distinct marks in one room (§7.3).
pub const MAX_ROOM_MARKS: usize = 10;
/// Members one mark may be on (§7.3).
pub const MAX_MARK_MEMBERS: usize = 1_000;

/// 10007 when `g`'s type is not in `types`.
pub fn require_room_type(g: &GroupRecord, types: &[GroupType]) -> Result<(), Error> {
    if types.contains(&g.ty) {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::GroupPermissionDenied,
        format!("{} groups are not served by this command", g.ty.as_str()),
    ))
}

/// A mark one may set or remove: the special 500, or a custom one of at least 1,000 (10004).
pub fn check_mark(mark: u64) -> Result<(), Error> {
    if mark == SPECIAL_MARK || mark >= MIN_CUSTOM_MARK {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::GroupInvalidParameter,
        format!(
            "mark {mark} is neither {SPECIAL_MARK} nor a custom mark of at least {MIN_CUSTOM_MARK}"
        ),
    ))
}

/// modify_admin's `CommandType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCommand {
    Grant,
    Revoke,
}

impl AdminCommand {
    /// 1 = make admin, 2 = revoke (anything else: 10004).
    pub fn parse(n: u64) -> Result<AdminCommand, Error> {
        match n {
            1 => Ok(AdminCommand::Grant),
            2 => Ok(AdminCommand::Revoke),
            _ => Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("CommandType {n} is neither 1 (make admin) nor 2 (revoke)"),
            )),
        }
    }
}

/// What modify_admin writes: the accounts to add and to remove.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminPlan {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// modify_admin on an AVChatRoom (10007 otherwise): granting needs every account imported
/// (10019, request order) and at most [`MAX_ROOM_ADMINS`] admins afterwards (10004, inferred
/// code); granting an admin again or revoking a non-admin changes nothing. The owner may be
/// named too: the room's admins are a list of their own.
pub fn decide_admins(
    g: &GroupRecord,
    current: &[String],
    command: AdminCommand,
    accounts: &[String],
    exist: &[bool],
) -> Result<AdminPlan, Error> {
    require_room_type(g, &ROOM_ADMIN_TYPES)?;
    let mut unique: Vec<String> = Vec::new();
    for a in accounts {
        if !unique.contains(a) {
            unique.push(a.clone());
        }
    }
    match command {
        AdminCommand::Grant => {
            require_accounts(accounts.iter().map(String::as_str), exist)?;
            let add: Vec<String> = unique
                .into_iter()
                .filter(|a| !current.contains(a))
                .collect();
            let total = current.len() + add.len();
            if total > MAX_ROOM_ADMINS {
                return Err(Error::new(
                    ErrorCode::GroupInvalidParameter,
                    format!("an AVChatRoom has at most {MAX_ROOM_ADMINS} admins; this would make {total}"),
                ));
            }
            Ok(AdminPlan {
                add,
                remove: Vec::new(),
            })
        }
        AdminCommand::Revoke => Ok(AdminPlan {
            add: Vec::new(),
            remove: unique.into_iter().filter(|a| current.contains(a)).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(ty: GroupType) -> GroupRecord {
        super::super::record::tests::group(ty)
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn five_admins_at_most_and_only_imported_accounts() {
        let g = room(GroupType::AVChatRoom);
        let cur = names(&["a", "b", "c", "d"]);
        let plan = decide_admins(
            &g,
            &cur,
            AdminCommand::Grant,
            &names(&["e", "a", "e"]),
            &[true; 3],
        )
        .unwrap();
        assert_eq!(plan.add, names(&["e"]));
        let err = decide_admins(
            &g,
            &cur,
            AdminCommand::Grant,
            &names(&["e", "f"]),
            &[true; 2],
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::GroupInvalidParameter);
        let err =
            decide_admins(&g, &[], AdminCommand::Grant, &names(&["x"]), &[false]).unwrap_err();
        assert_eq!(err.code, ErrorCode::GroupAccountNotFound);
        let plan = decide_admins(
            &g,
            &cur,
            AdminCommand::Revoke,
            &names(&["a", "zz"]),
            &[false; 2],
        )
        .unwrap();
        assert_eq!(plan.remove, names(&["a"]));
    }

    #[test]
    fn other_types_and_marks_are_refused() {
        let g = room(GroupType::Public);
        let err = decide_admins(&g, &[], AdminCommand::Revoke, &[], &[]).unwrap_err();
        assert_eq!(err.code, ErrorCode::GroupPermissionDenied);
        assert!(check_mark(500).is_ok() && check_mark(1000).is_ok());
        assert!(check_mark(999).is_err() && check_mark(0).is_err());
        assert!(AdminCommand::parse(3).is_err());
    }
}
