//! A group's own fields: creating a group (create_group, import_group) and changing its
//! profile (modify_group_base_info). spec: groups.md §3, §4.1, §4.5.

use super::{
    generated_group_id, invalid, merged_custom_fields, require_accounts, store_tip, Change,
    GroupOp, GroupRecord, GroupType, KeyValue, MemberRecord, Role, DEFAULT_MSG_FLAG,
    MAX_GROUP_CUSTOM_FIELDS,
};
use crate::message::{Appender, Appends, MsgHead};
use crate::tips::Tip;
use crate::{Error, ErrorCode};

/// A group to create (create_group) or import (import_group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    /// A custom ID (already validated), or `None` for a generated one.
    pub group_id: Option<String>,
    pub ty: GroupType,
    pub name: String,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    /// Must be an existing account; becomes a member with role Owner.
    pub owner: Option<String>,
    pub create_time: i64,
    pub max_member_num: u64,
    pub apply_join_option: String,
    pub invite_join_option: Option<String>,
    pub mute_all: bool,
    pub support_topic: bool,
    pub app_defined_data: Vec<KeyValue>,
    /// Initial members besides the owner (create_group's `MemberList`).
    pub members: Vec<NewMember>,
}

impl NewGroup {
    /// Every account the group is created with, the owner first: each must exist.
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.owner
            .iter()
            .map(String::as_str)
            .chain(self.members.iter().map(|m| m.account.as_str()))
    }

    /// The group's ID once the store has given it `key`: the custom one, or one made from
    /// the key (never reused, so neither is the ID).
    pub fn group_id_for(&self, key: i64) -> String {
        self.group_id
            .clone()
            .unwrap_or_else(|| generated_group_id(self.ty, key as u64))
    }
}

/// A member to add or import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub account: String,
    pub role: Role,
    pub join_time: i64,
    /// import_group_member's `UnreadMsgNum`; `None` = nothing unread.
    pub unread: Option<u64>,
    pub app_member_defined_data: Vec<KeyValue>,
}

impl NewMember {
    pub fn member(account: impl Into<String>, join_time: i64) -> NewMember {
        NewMember {
            account: account.into(),
            role: Role::Member,
            join_time,
            unread: None,
            app_member_defined_data: Vec::new(),
        }
    }

    /// The membership to store when this member joins a group whose head is `head`: it may
    /// read from the next seq on, and an imported unread count becomes a read position
    /// (`UnreadMsgNum` newest messages are unread).
    pub fn record(&self, head: MsgHead) -> MemberRecord {
        let last = head.last_seq();
        MemberRecord {
            account: self.account.clone(),
            role: self.role,
            join_time: self.join_time,
            join_seq: head.next_msg_seq,
            read_seq: last - self.unread.unwrap_or(0).min(last),
            msg_flag: DEFAULT_MSG_FLAG.to_owned(),
            last_send_time: 0,
            name_card: String::new(),
            mute_until: 0,
            app_member_defined_data: self.app_member_defined_data.clone(),
            read_floor_seen: 0,
        }
    }
}

/// The head of a group that has no message yet.
const NEW_GROUP_HEAD: MsgHead = MsgHead {
    next_msg_seq: 1,
    last_msg_time: 0,
};

/// create_group / import_group (groups.md §4.1): the memberships to store, the owner first
/// and each account once. `existing` is the live group with the requested custom ID, if any
/// (10021, or 10025 when its owner is the requested owner); `accounts_exist` follows
/// [`NewGroup::accounts`] (10019 for the first missing one). Members need a type that takes
/// them at creation and admins a type that has admins (10007); all of them must fit in
/// `MaxMemberNum` (10038).
pub fn decide_create(
    g: &NewGroup,
    existing: Option<&GroupRecord>,
    accounts_exist: &[bool],
) -> Result<Vec<MemberRecord>, Error> {
    if let (Some(id), Some(existing)) = (&g.group_id, existing) {
        let own = !existing.owner.is_empty() && g.owner.as_deref() == Some(existing.owner.as_str());
        let code = if own {
            ErrorCode::GroupIdInUseByOwner
        } else {
            ErrorCode::GroupIdInUse
        };
        return Err(Error::new(
            code,
            format!("group ID {id:?} is already in use"),
        ));
    }
    if !g.members.is_empty() {
        g.ty.check(GroupOp::CreateWithMembers)?;
    }
    if g.members.iter().any(|m| m.role == Role::Admin) {
        g.ty.check(GroupOp::AppointAdmin)?;
    }
    require_accounts(g.accounts(), accounts_exist)?;
    let mut members: Vec<&NewMember> = Vec::with_capacity(g.members.len() + 1);
    let owner = g.owner.as_ref().map(|owner| NewMember {
        role: Role::Owner,
        ..NewMember::member(owner.clone(), g.create_time)
    });
    members.extend(owner.as_ref());
    for m in &g.members {
        if !members.iter().any(|x| x.account == m.account) {
            members.push(m);
        }
    }
    if members.len() as u64 > g.max_member_num {
        return Err(Error::new(
            ErrorCode::GroupMemberLimit,
            format!(
                "{} members exceed MaxMemberNum {}",
                members.len(),
                g.max_member_num
            ),
        ));
    }
    Ok(members.iter().map(|m| m.record(NEW_GROUP_HEAD)).collect())
}

/// Changes of modify_group_base_info; `None` leaves a field as it is. Values are validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub introduction: Option<String>,
    pub notification: Option<String>,
    pub face_url: Option<String>,
    pub max_member_num: Option<u64>,
    pub apply_join_option: Option<String>,
    pub invite_join_option: Option<String>,
    pub mute_all: Option<bool>,
    pub history_before_join: Option<bool>,
    /// Keys to set; an empty value deletes the key.
    pub app_defined_data: Vec<KeyValue>,
}

/// What modify_group_base_info writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePlan {
    /// The group with its new profile, `InfoSeq` + 1 and `LastInfoTime` = now.
    pub group: GroupRecord,
    /// The profile tip, when a stored field changed.
    pub appends: Appends,
}

/// modify_group_base_info (groups.md §4.5). `HistoryMsgBeforeJoin` needs a type that has it
/// (10007); `MaxMemberNum` must lie between the member count and the type's ceiling (10004;
/// AVChatRoom has no limit and ignores it); a Work group keeps `DisableApply`; AVChatRoom
/// ignores `InviteJoinOption`; at most 10 custom fields remain (10004). Only name,
/// introduction, notification and avatar changes store a tip (groups.md §1.2).
pub fn decide_modify_group(
    g: &GroupRecord,
    ch: &GroupChanges,
    by: Change<'_>,
) -> Result<ProfilePlan, Error> {
    if ch.history_before_join.is_some() {
        g.ty.check(GroupOp::HistoryBeforeJoin)?;
    }
    let max_member_num = match ch.max_member_num {
        Some(n) if g.ty != GroupType::AVChatRoom => {
            let ceiling = g.ty.member_ceiling();
            if n == 0 || n > ceiling || n < g.member_num {
                return Err(invalid(format!(
                    "MaxMemberNum must be between the member count {} and {ceiling}",
                    g.member_num.max(1)
                )));
            }
            n
        }
        _ => g.max_member_num,
    };
    let apply_join_option = match g.ty.fixed_apply_join_option() {
        Some(fixed) => fixed.to_owned(),
        None => ch
            .apply_join_option
            .clone()
            .unwrap_or_else(|| g.apply_join_option.clone()),
    };
    let invite_join_option = match &ch.invite_join_option {
        Some(v) if g.ty != GroupType::AVChatRoom => Some(v.clone()),
        _ => g.invite_join_option.clone(),
    };
    let app_defined_data = merged_custom_fields(
        &g.app_defined_data,
        &ch.app_defined_data,
        MAX_GROUP_CUSTOM_FIELDS,
    )?;
    let mut changed = Vec::new();
    for (field, new, old) in [
        ("Name", &ch.name, &g.name),
        ("Introduction", &ch.introduction, &g.introduction),
        ("Notification", &ch.notification, &g.notification),
        ("FaceUrl", &ch.face_url, &g.face_url),
    ] {
        if new.as_ref().is_some_and(|n| n != old) {
            changed.push(field.to_owned());
        }
    }
    let keep = |new: &Option<String>, old: &String| new.clone().unwrap_or_else(|| old.clone());
    let group = GroupRecord {
        name: keep(&ch.name, &g.name),
        introduction: keep(&ch.introduction, &g.introduction),
        notification: keep(&ch.notification, &g.notification),
        face_url: keep(&ch.face_url, &g.face_url),
        max_member_num,
        apply_join_option,
        invite_join_option,
        mute_all: ch.mute_all.unwrap_or(g.mute_all),
        history_before_join: ch.history_before_join.or(g.history_before_join),
        app_defined_data,
        info_seq: g.info_seq + 1,
        last_info_time: by.now,
        ..g.clone()
    };
    let mut appender = Appender::new(g.ty, MsgHead::of(g));
    if !changed.is_empty() {
        let tip = Tip::ProfileChanged { fields: changed };
        store_tip(&mut appender, g, by, tip);
    }
    Ok(ProfilePlan {
        group,
        appends: appender.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::group;

    fn new_group(ty: GroupType) -> NewGroup {
        NewGroup {
            group_id: Some("mine".into()),
            ty,
            name: "n".into(),
            introduction: String::new(),
            notification: String::new(),
            face_url: String::new(),
            owner: Some("o".into()),
            create_time: 100,
            max_member_num: 3,
            apply_join_option: "NeedPermission".into(),
            invite_join_option: None,
            mute_all: false,
            support_topic: false,
            app_defined_data: Vec::new(),
            members: vec![NewMember::member("a", 100), NewMember::member("o", 100)],
        }
    }

    #[test]
    fn a_new_group_starts_with_its_owner_and_each_member_once() {
        let g = new_group(GroupType::Public);
        assert_eq!(g.accounts().collect::<Vec<_>>(), ["o", "a", "o"]);
        let members = decide_create(&g, None, &[true, true, true]).unwrap();
        let who: Vec<_> = members
            .iter()
            .map(|m| (m.account.as_str(), m.role))
            .collect();
        assert_eq!(who, [("o", Role::Owner), ("a", Role::Member)]);
        assert!(members.iter().all(|m| (m.join_seq, m.read_seq) == (1, 0)));
        assert_eq!(g.group_id_for(5), "mine");
        let generated = NewGroup {
            group_id: None,
            ..new_group(GroupType::Public)
        };
        assert!(generated.group_id_for(5).starts_with("@TGS#2"));
    }

    #[test]
    fn create_refusals() {
        let g = new_group(GroupType::Public);
        let code = |g: &NewGroup, existing: Option<&GroupRecord>, exist: &[bool]| {
            decide_create(g, existing, exist).unwrap_err().code
        };
        let mut taken = group(GroupType::Public);
        assert_eq!(code(&g, Some(&taken), &[true; 3]), ErrorCode::GroupIdInUse);
        taken.owner = "o".into();
        assert_eq!(
            code(&g, Some(&taken), &[true; 3]),
            ErrorCode::GroupIdInUseByOwner
        );
        let av = new_group(GroupType::AVChatRoom);
        assert_eq!(
            code(&av, None, &[true; 3]),
            ErrorCode::GroupPermissionDenied
        );
        assert_eq!(
            code(&g, None, &[true, false, true]),
            ErrorCode::GroupAccountNotFound
        );
        let small = NewGroup {
            max_member_num: 1,
            ..new_group(GroupType::Public)
        };
        assert_eq!(code(&small, None, &[true; 3]), ErrorCode::GroupMemberLimit);
        let mut admins = new_group(GroupType::Private);
        admins.members[0].role = Role::Admin;
        assert_eq!(
            code(&admins, None, &[true; 3]),
            ErrorCode::GroupPermissionDenied
        );
    }

    #[test]
    fn profile_changes() {
        let g = group(GroupType::Public);
        let by = Change {
            operator: "admin",
            now: 500,
        };
        let ch = GroupChanges {
            name: Some("new".into()),
            introduction: Some(g.introduction.clone()), // unchanged: no tip field
            ..GroupChanges::default()
        };
        let plan = decide_modify_group(&g, &ch, by).unwrap();
        assert_eq!(plan.group.name, "new");
        assert_eq!((plan.group.info_seq, plan.group.last_info_time), (2, 500));
        assert_eq!(plan.appends.rows.len(), 1);
        let (seq, tip) = &plan.appends.rows[0];
        assert_eq!(
            (*seq, tip.from.as_str(), tip.is_system),
            (11, "admin", true)
        );
        assert!(tip.body.contains("Name") && !tip.body.contains("Introduction"));
        let quiet = GroupChanges {
            mute_all: Some(true),
            ..GroupChanges::default()
        };
        let plan = decide_modify_group(&g, &quiet, by).unwrap();
        assert!(plan.group.mute_all && plan.appends.head.is_none());
    }

    #[test]
    fn profile_refusals_and_fixed_values() {
        let by = Change {
            operator: "admin",
            now: 500,
        };
        let g = group(GroupType::Public); // 1 member
        let code =
            |g: &GroupRecord, ch: GroupChanges| decide_modify_group(g, &ch, by).unwrap_err().code;
        let max = |n| GroupChanges {
            max_member_num: Some(n),
            ..GroupChanges::default()
        };
        assert_eq!(code(&g, max(0)), ErrorCode::GroupInvalidParameter);
        assert_eq!(code(&g, max(6_001)), ErrorCode::GroupInvalidParameter);
        let av = group(GroupType::AVChatRoom);
        let plan = decide_modify_group(&av, &max(0), by).unwrap();
        assert_eq!(plan.group.max_member_num, av.max_member_num, "ignored");
        let history = GroupChanges {
            history_before_join: Some(true),
            ..GroupChanges::default()
        };
        assert_eq!(code(&av, history), ErrorCode::GroupPermissionDenied);
        let work = group(GroupType::Private);
        let apply = GroupChanges {
            apply_join_option: Some("FreeAccess".into()),
            ..GroupChanges::default()
        };
        let plan = decide_modify_group(&work, &apply, by).unwrap();
        assert_eq!(plan.group.apply_join_option, "DisableApply");
        let many = GroupChanges {
            app_defined_data: (0..11)
                .map(|i| KeyValue {
                    key: format!("k{i}"),
                    value: "v".into(),
                })
                .collect(),
            ..GroupChanges::default()
        };
        assert_eq!(code(&g, many), ErrorCode::GroupInvalidParameter);
    }
}
