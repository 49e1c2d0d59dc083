//! Membership: joining (add_group_member, import_group_member), leaving
//! (delete_group_member), member records (modify_group_member_info), ownership
//! (change_group_owner), mutes (forbid_send_msg) and member pages (get_group_member_info).
//! spec: groups.md §4.6–§4.16.

use super::{
    invalid, merged_custom_fields, mute_until, require_accounts, require_member, store_tip, Change,
    GroupOp, GroupRecord, GroupType, KeyValue, MemberRecord, NewMember, Role,
    AVCHATROOM_MEMBER_LIST_CAP, MAX_MEMBER_CUSTOM_FIELDS,
};
use crate::message::{Appender, Appends, MsgHead};
use crate::tips::Tip;
use crate::{Error, ErrorCode};

/// add_group_member's per-account `Result` (groups.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddResult {
    Failed = 0,
    Added = 1,
    AlreadyMember = 2,
}

/// How members came in, as `Group.CallbackAfterNewMemberJoin` reports it (callbacks.md §6):
/// added by someone else, or by their own request (a free join, or an accepted application).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Invited,
    Apply,
}

impl JoinType {
    pub const fn as_str(self) -> &'static str {
        match self {
            JoinType::Invited => "Invited",
            JoinType::Apply => "Apply",
        }
    }
}

/// What adding or importing members writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinPlan {
    /// One per requested member, in request order.
    pub results: Vec<AddResult>,
    /// The memberships to insert.
    pub joining: Vec<MemberRecord>,
    /// The group's member count afterwards.
    pub member_num: u64,
    /// The members-joined tip, if one is stored.
    pub appends: Appends,
}

/// add_group_member (`op` AddMember) and import_group_member (ImportMember): the group type
/// must allow `op` (10007 or 10004), an `Admin` role needs a type with admins (10007), every
/// account must exist (`exist`, request order: 10019). Accounts already members (`member`,
/// request order) or named twice answer AlreadyMember. All or nothing: if the group cannot
/// take them all, 10014. `tip_by`: who adds them, for the members-joined tip; `None` stores
/// none (silent adds, imports).
pub fn decide_join(
    g: &GroupRecord,
    op: GroupOp,
    members: &[NewMember],
    exist: &[bool],
    member: &[bool],
    tip_by: Option<Change<'_>>,
) -> Result<JoinPlan, Error> {
    g.ty.check(op)?;
    if members.iter().any(|m| m.role == Role::Admin) {
        g.ty.check(GroupOp::AppointAdmin)?;
    }
    require_accounts(members.iter().map(|m| m.account.as_str()), exist)?;
    let mut results = Vec::with_capacity(members.len());
    let mut added: Vec<&NewMember> = Vec::new();
    for (m, &is_member) in members.iter().zip(member) {
        if is_member || added.iter().any(|a| a.account == m.account) {
            results.push(AddResult::AlreadyMember);
        } else {
            results.push(AddResult::Added);
            added.push(m);
        }
    }
    let member_num = g.member_num + added.len() as u64;
    if member_num > g.max_member_num {
        return Err(Error::new(
            ErrorCode::GroupFull,
            format!(
                "adding {} members would exceed MaxMemberNum {}",
                added.len(),
                g.max_member_num
            ),
        ));
    }
    let head = MsgHead::of(g);
    let joining = added.iter().map(|m| m.record(head)).collect();
    let mut appender = Appender::new(g.ty, head);
    if let Some(by) = tip_by.filter(|_| !added.is_empty()) {
        let members = added.iter().map(|m| m.account.clone()).collect();
        store_tip(&mut appender, g, by, Tip::MembersJoined { members });
    }
    Ok(JoinPlan {
        results,
        joining,
        member_num,
        appends: appender.finish(),
    })
}

/// What removing members writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavePlan {
    /// The members to remove, each once; empty when none of the accounts was a member.
    pub leaving: Vec<String>,
    pub member_num: u64,
    pub appends: Appends,
}

/// delete_group_member (groups.md §4.7): accounts that are not members (`member`, request
/// order) are ignored; the owner cannot be removed (10007). Mutes stay: they survive leaving
/// and joining again (groups.md §4.13). `tip_by`: `None` for a silent removal.
pub fn decide_leave(
    g: &GroupRecord,
    accounts: &[String],
    member: &[bool],
    tip_by: Option<Change<'_>>,
) -> Result<LeavePlan, Error> {
    g.ty.check(GroupOp::DeleteMember)?;
    if !g.owner.is_empty() && accounts.contains(&g.owner) {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!(
                "{:?} is the owner and cannot be removed; change_group_owner first",
                g.owner
            ),
        ));
    }
    let mut leaving: Vec<String> = Vec::new();
    for (a, &is_member) in accounts.iter().zip(member) {
        if is_member && !leaving.contains(a) {
            leaving.push(a.clone());
        }
    }
    let member_num = g.member_num - leaving.len() as u64;
    let mut appender = Appender::new(g.ty, MsgHead::of(g));
    if let Some(by) = tip_by.filter(|_| !leaving.is_empty()) {
        let tip = Tip::MembersRemoved {
            members: leaving.clone(),
        };
        store_tip(&mut appender, g, by, tip);
    }
    Ok(LeavePlan {
        leaving,
        member_num,
        appends: appender.finish(),
    })
}

/// Changes of modify_group_member_info; `None` leaves a field as it is. Values are validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberChanges {
    /// `Admin` or `Member` only.
    pub role: Option<Role>,
    pub msg_flag: Option<String>,
    pub name_card: Option<String>,
    /// Keys to set; an empty value deletes the key.
    pub app_member_defined_data: Vec<KeyValue>,
    /// Seconds from now; 0 unmutes.
    pub mute_time: Option<u64>,
}

/// A mute to write: until when (`None` lifts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuteChange {
    pub until: Option<i64>,
}

/// What modify_group_member_info writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPlan {
    /// The membership with its new role, flag, name card and custom fields.
    pub member: MemberRecord,
    pub mute: Option<MuteChange>,
    /// The role tip, then the mute tip, when they are stored.
    pub appends: Appends,
}

/// modify_group_member_info (groups.md §4.9) of `account` (`exists`, its membership
/// `found`): 10019 / 10007 as [`require_member`]; AVChatRoom keeps records of its owner and
/// admins only (10007); a role change needs a type with admins (10007) and never moves
/// ownership (10007); a mute needs a type with mutes (10007); at most 5 custom fields remain
/// (10004).
pub fn decide_modify_member(
    g: &GroupRecord,
    account: &str,
    exists: bool,
    found: Option<MemberRecord>,
    ch: &MemberChanges,
    by: Change<'_>,
) -> Result<MemberPlan, Error> {
    let m = require_member(&g.group_id, account, exists, found)?;
    if g.ty == GroupType::AVChatRoom && m.role == Role::Member {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            "AVChatRoom groups only allow changing the owner's and admins' member records",
        ));
    }
    let role = match ch.role {
        Some(role) if role != m.role => {
            g.ty.check(GroupOp::AppointAdmin)?;
            if m.role == Role::Owner || role == Role::Owner {
                return Err(Error::new(
                    ErrorCode::GroupPermissionDenied,
                    "ownership moves only through change_group_owner",
                ));
            }
            Some(role)
        }
        _ => None,
    };
    if ch.mute_time.is_some() {
        g.ty.check(GroupOp::Mute)?;
    }
    let custom = merged_custom_fields(
        &m.app_member_defined_data,
        &ch.app_member_defined_data,
        MAX_MEMBER_CUSTOM_FIELDS,
    )?;
    let mut appender = Appender::new(g.ty, MsgHead::of(g));
    if let Some(role) = role {
        let tip = Tip::RoleChanged {
            member: account.to_owned(),
            role: role.as_str().to_owned(),
        };
        store_tip(&mut appender, g, by, tip);
    }
    let mute = ch.mute_time.map(|mute_time| {
        let tip = Tip::MembersMuted {
            members: vec![account.to_owned()],
            mute_time,
        };
        store_tip(&mut appender, g, by, tip);
        MuteChange {
            until: mute_until(by.now, mute_time),
        }
    });
    let member = MemberRecord {
        role: role.unwrap_or(m.role),
        msg_flag: ch.msg_flag.clone().unwrap_or(m.msg_flag),
        name_card: ch.name_card.clone().unwrap_or(m.name_card),
        app_member_defined_data: custom,
        ..m
    };
    Ok(MemberPlan {
        member,
        mute,
        appends: appender.finish(),
    })
}

/// What change_group_owner writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerPlan {
    /// Becomes an ordinary member ("" for an ownerless group: nobody).
    pub old_owner: String,
    pub new_owner: String,
    pub info_seq: u64,
    pub last_info_time: i64,
    pub appends: Appends,
}

/// change_group_owner (groups.md §4.12): the type must have owners (10007); the new owner
/// must be an existing member (10019 / 10007). `None` when it already is the owner. The old
/// owner stays as an ordinary member (inferred).
pub fn decide_change_owner(
    g: &GroupRecord,
    new_owner: &str,
    exists: bool,
    found: Option<MemberRecord>,
    by: Change<'_>,
) -> Result<Option<OwnerPlan>, Error> {
    g.ty.check(GroupOp::ChangeOwner)?;
    require_member(&g.group_id, new_owner, exists, found)?;
    if g.owner == new_owner {
        return Ok(None);
    }
    let mut appender = Appender::new(g.ty, MsgHead::of(g));
    let tip = Tip::OwnerChanged {
        new_owner: new_owner.to_owned(),
    };
    store_tip(&mut appender, g, by, tip);
    Ok(Some(OwnerPlan {
        old_owner: g.owner.clone(),
        new_owner: new_owner.to_owned(),
        info_seq: g.info_seq + 1,
        last_info_time: by.now,
        appends: appender.finish(),
    }))
}

/// What forbid_send_msg writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutePlan {
    pub mute: MuteChange,
    pub appends: Appends,
}

/// forbid_send_msg (groups.md §4.13): mutes existing accounts (`exist`, request order:
/// 10019) for `mute_time` seconds (0 unmutes, `MUTE_FOREVER` for ever) where the type has
/// mutes (10007). Mutes are kept apart from membership: non-members can be muted too.
pub fn decide_mute(
    g: &GroupRecord,
    accounts: &[String],
    exist: &[bool],
    mute_time: u64,
    by: Change<'_>,
) -> Result<MutePlan, Error> {
    g.ty.check(GroupOp::Mute)?;
    require_accounts(accounts.iter().map(String::as_str), exist)?;
    let mut appender = Appender::new(g.ty, MsgHead::of(g));
    let tip = Tip::MembersMuted {
        members: accounts.to_vec(),
        mute_time,
    };
    store_tip(&mut appender, g, by, tip);
    Ok(MutePlan {
        mute: MuteChange {
            until: mute_until(by.now, mute_time),
        },
        appends: appender.finish(),
    })
}

/// Which members get_group_member_info wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberQuery {
    /// Only members with these roles; empty = every role.
    pub roles: Vec<Role>,
    /// Members to skip (Offset paging).
    pub offset: u64,
    /// Page size; `None` = every member.
    pub limit: Option<u64>,
    /// Community paging: members after this cursor (the last page's `next`).
    pub after: Option<String>,
}

/// The scan one member page makes, ordered by UserID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberScan {
    /// The roles to read, padded to three (the first repeated) so the query has one shape.
    pub roles: [Role; 3],
    pub after: Option<String>,
    /// Page size; `u64::MAX` for every member.
    pub limit: u64,
    pub offset: u64,
}

impl MemberQuery {
    /// The scan for a page of `g` (groups.md §4.8): Communities page with `Next`, not
    /// `Offset` (10004); AVChatRoom lists show only their first members (inferred).
    pub fn scan(&self, g: &GroupRecord) -> Result<MemberScan, Error> {
        if g.ty == GroupType::Community && self.offset > 0 {
            return Err(invalid(
                "Community members are paged with Next, not Offset".into(),
            ));
        }
        let mut limit = self.limit.unwrap_or(u64::MAX);
        if g.ty == GroupType::AVChatRoom {
            limit = limit.min(AVCHATROOM_MEMBER_LIST_CAP.saturating_sub(self.offset));
        }
        let all = [Role::Owner, Role::Admin, Role::Member];
        let wanted = if self.roles.is_empty() {
            &all[..]
        } else {
            &self.roles[..]
        };
        let role = |i: usize| wanted[i.min(wanted.len() - 1)];
        Ok(MemberScan {
            roles: [role(0), role(1), role(2)],
            after: self.after.clone(),
            limit,
            offset: self.offset,
        })
    }
}

impl MemberScan {
    /// Rows to read: one more than the page, which tells whether another page follows.
    pub fn fetch(&self) -> u64 {
        self.limit.saturating_add(1)
    }

    /// The page of the rows read, and the cursor of the next page (the last UserID
    /// returned), `None` when this page is the last.
    pub fn page(&self, mut rows: Vec<MemberRecord>) -> (Vec<MemberRecord>, Option<String>) {
        if rows.len() as u64 > self.limit {
            rows.truncate(self.limit as usize);
            let next = rows.last().map(|m| m.account.clone());
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::{group, member};

    const BY: Change<'static> = Change {
        operator: "admin",
        now: 500,
    };

    fn names(accounts: &[&str]) -> Vec<NewMember> {
        accounts
            .iter()
            .map(|a| NewMember::member(*a, 400))
            .collect()
    }

    #[test]
    fn joins() {
        let g = group(GroupType::Public); // 1 of 3 members, next seq 11
        let plan = decide_join(
            &g,
            GroupOp::AddMember,
            &names(&["a", "b", "a"]),
            &[true; 3],
            &[false, true, false],
            Some(BY),
        )
        .unwrap();
        use AddResult::*;
        assert_eq!(plan.results, vec![Added, AlreadyMember, AlreadyMember]);
        assert_eq!(plan.member_num, 2);
        let joined: Vec<_> = plan
            .joining
            .iter()
            .map(|m| (m.account.as_str(), m.join_seq))
            .collect();
        assert_eq!(
            joined,
            [("a", 11)],
            "a joiner reads from its own join tip on"
        );
        assert_eq!(plan.appends.rows[0].0, 11);
        let silent = decide_join(
            &g,
            GroupOp::ImportMember,
            &names(&["a"]),
            &[true],
            &[false],
            None,
        );
        assert!(silent.unwrap().appends.head.is_none());
        let code = |members: &[NewMember], exist: &[bool], member: &[bool]| {
            decide_join(&g, GroupOp::AddMember, members, exist, member, Some(BY))
                .unwrap_err()
                .code
        };
        let three = names(&["a", "b", "c"]);
        assert_eq!(code(&three, &[true; 3], &[false; 3]), ErrorCode::GroupFull);
        assert_eq!(
            code(&three, &[true, false, true], &[false; 3]),
            ErrorCode::GroupAccountNotFound
        );
        let av = group(GroupType::AVChatRoom);
        let e = decide_join(
            &av,
            GroupOp::AddMember,
            &three,
            &[true; 3],
            &[false; 3],
            None,
        );
        assert_eq!(e.unwrap_err().code, ErrorCode::GroupPermissionDenied);
    }

    #[test]
    fn imported_unread_counts_become_read_positions() {
        let g = group(GroupType::Public); // last seq 10
        let mut m = NewMember::member("a", 400);
        m.unread = Some(3);
        let plan = decide_join(&g, GroupOp::ImportMember, &[m], &[true], &[false], None).unwrap();
        assert_eq!(plan.joining[0].read_seq, 7);
    }

    #[test]
    fn leaving() {
        let g = group(GroupType::Public);
        let accounts: Vec<String> = ["a", "b", "a"].map(String::from).to_vec();
        let plan = decide_leave(&g, &accounts, &[true, false, true], Some(BY)).unwrap();
        assert_eq!(plan.leaving, vec!["a".to_owned()]);
        assert_eq!(plan.member_num, 0);
        assert_eq!(plan.appends.rows.len(), 1);
        let none = decide_leave(&g, &accounts[1..2], &[false], Some(BY)).unwrap();
        assert!(none.leaving.is_empty() && none.appends.head.is_none());
        let owner = vec!["owner".to_owned()];
        let e = decide_leave(&g, &owner, &[true], None).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
    }

    #[test]
    fn member_changes() {
        let g = group(GroupType::Public);
        let m = || Some(member("m", Role::Member));
        let ch = MemberChanges {
            role: Some(Role::Admin),
            name_card: Some("card".into()),
            mute_time: Some(60),
            ..MemberChanges::default()
        };
        let plan = decide_modify_member(&g, "m", true, m(), &ch, BY).unwrap();
        assert_eq!(
            (plan.member.role, plan.member.name_card.as_str()),
            (Role::Admin, "card")
        );
        assert_eq!(plan.mute, Some(MuteChange { until: Some(560) }));
        let tips: Vec<_> = plan.appends.rows.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(tips, [11, 12], "the role tip, then the mute tip");
        let code = |ty, found: Option<MemberRecord>, ch: &MemberChanges| {
            decide_modify_member(&group(ty), "m", true, found, ch, BY)
                .unwrap_err()
                .code
        };
        let owner = MemberChanges {
            role: Some(Role::Owner),
            ..MemberChanges::default()
        };
        assert_eq!(
            code(GroupType::Public, m(), &owner),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(GroupType::Public, None, &owner),
            ErrorCode::GroupPermissionDenied
        );
        let plain = MemberChanges::default();
        assert_eq!(
            code(GroupType::AVChatRoom, m(), &plain),
            ErrorCode::GroupPermissionDenied
        );
        let mute = MemberChanges {
            mute_time: Some(1),
            ..MemberChanges::default()
        };
        assert_eq!(
            code(GroupType::Private, m(), &mute),
            ErrorCode::GroupPermissionDenied
        );
    }

    #[test]
    fn owners_and_mutes() {
        let g = group(GroupType::Public);
        let m = Some(member("m", Role::Member));
        let plan = decide_change_owner(&g, "m", true, m.clone(), BY)
            .unwrap()
            .unwrap();
        assert_eq!((plan.old_owner.as_str(), plan.info_seq), ("owner", 2));
        let same = decide_change_owner(&g, "owner", true, Some(member("owner", Role::Owner)), BY);
        assert_eq!(same, Ok(None));
        let av = group(GroupType::AVChatRoom);
        let e = decide_change_owner(&av, "m", true, m, BY).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
        let accounts = vec!["a".to_owned(), "b".to_owned()];
        let plan = decide_mute(&g, &accounts, &[true, true], 0, BY).unwrap();
        assert_eq!(plan.mute.until, None, "0 unmutes");
        let e = decide_mute(&g, &accounts, &[true, false], 10, BY).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupAccountNotFound);
    }

    #[test]
    fn member_scans() {
        let q = MemberQuery {
            roles: vec![Role::Admin],
            offset: 5,
            limit: Some(2),
            after: None,
        };
        let scan = q.scan(&group(GroupType::Public)).unwrap();
        assert_eq!(scan.roles, [Role::Admin; 3]);
        assert_eq!(scan.fetch(), 3);
        let rows = vec![
            member("a", Role::Admin),
            member("b", Role::Admin),
            member("c", Role::Admin),
        ];
        let (page, next) = scan.page(rows);
        assert_eq!((page.len(), next.as_deref()), (2, Some("b")));
        let e = q.scan(&group(GroupType::Community)).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupInvalidParameter);
        let all = MemberQuery::default()
            .scan(&group(GroupType::AVChatRoom))
            .unwrap();
        assert_eq!(all.limit, AVCHATROOM_MEMBER_LIST_CAP);
        assert_eq!(all.roles, [Role::Owner, Role::Admin, Role::Member]);
    }
}
