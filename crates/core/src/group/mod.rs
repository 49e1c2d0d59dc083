//! Group types, their capabilities, group IDs, roles and field rules; the stored records and
//! the decisions about them live in the submodules. spec: groups.md §1–§3, §5.

// groups-more.md §3–§5 (attributes, counters, bans).
mod attrs;
mod avchatroom;
mod bans;
mod counters;
mod members;
mod named;
mod profile;
mod receipts;
pub(crate) mod record;

pub use attrs::*;
pub use avchatroom::*;
pub use bans::*;
pub use counters::*;
pub use members::*;
pub use named::*;
pub use profile::*;
pub use receipts::*;
pub use record::*;

use crate::account::validate_user_id;
use crate::error::{Error, ErrorCode};
use crate::message::{Appender, NewGroupMsg};
use crate::text;
use crate::tips::Tip;

/// The five group types, stored once and always emitted under their REST names (groups.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// REST `Private`, SDK/console `Work`.
    Private,
    Public,
    /// REST `ChatRoom`, SDK/console `Meeting`.
    ChatRoom,
    AVChatRoom,
    Community,
}

impl GroupType {
    pub const ALL: [GroupType; 5] = [
        GroupType::Private,
        GroupType::Public,
        GroupType::ChatRoom,
        GroupType::AVChatRoom,
        GroupType::Community,
    ];

    /// Accepts the REST names and the newer `Work`/`Meeting` aliases (case-sensitive, as the
    /// API's values are).
    pub fn parse(s: &str) -> Option<GroupType> {
        Some(match s {
            "Private" | "Work" => GroupType::Private,
            "Public" => GroupType::Public,
            "ChatRoom" | "Meeting" => GroupType::ChatRoom,
            "AVChatRoom" => GroupType::AVChatRoom,
            "Community" => GroupType::Community,
            _ => return None,
        })
    }

    /// The name the REST API uses in responses.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupType::Private => "Private",
            GroupType::Public => "Public",
            GroupType::ChatRoom => "ChatRoom",
            GroupType::AVChatRoom => "AVChatRoom",
            GroupType::Community => "Community",
        }
    }

    /// Only AVChatRoom keeps no message history (group-messages.md §1.3).
    pub const fn stores_history(self) -> bool {
        !matches!(self, GroupType::AVChatRoom)
    }

    /// Default `MaxMemberNum` when create/import gives none (groups.md §1.3, inferred defaults).
    pub const fn default_max_members(self) -> u64 {
        match self {
            GroupType::Private => 200,
            GroupType::Public => 2_000,
            GroupType::ChatRoom => 6_000,
            GroupType::AVChatRoom => UNLIMITED_MEMBERS,
            GroupType::Community => 100_000,
        }
    }

    /// The highest `MaxMemberNum` a group of this type may be given.
    pub const fn member_ceiling(self) -> u64 {
        match self {
            GroupType::Private | GroupType::Public | GroupType::ChatRoom => 6_000,
            GroupType::AVChatRoom => UNLIMITED_MEMBERS,
            GroupType::Community => 1_000_000,
        }
    }

    /// Whether membership changes and other member tips are stored in history by default
    /// (groups.md §6: Work/Public/Community yes; Meeting off; AVChatRoom never).
    pub const fn stores_member_tips(self) -> bool {
        matches!(
            self,
            GroupType::Private | GroupType::Public | GroupType::Community
        )
    }

    /// Whether profile-change tips (name, notification, introduction, avatar, owner) are stored.
    pub const fn stores_profile_tips(self) -> bool {
        self.stores_history()
    }

    /// The `ApplyJoinOption` a type forces whatever the request says: nobody can apply to a
    /// Work group (groups.md §1.2), so it shows `DisableApply` (inferred: the documented
    /// "ignored", made visible the way the cloud shows it).
    pub const fn fixed_apply_join_option(self) -> Option<&'static str> {
        match self {
            GroupType::Private => Some("DisableApply"),
            _ => None,
        }
    }

    /// Whether members may read messages sent before they joined when `HistoryMsgBeforeJoin` is
    /// not set (groups.md §1.2: Meeting on by default, others off).
    pub const fn history_before_join_default(self) -> bool {
        matches!(self, GroupType::ChatRoom)
    }
}

/// `MaxMemberNum` of a group without a limit (AVChatRoom). Emitted as this number.
pub const UNLIMITED_MEMBERS: u64 = u32::MAX as u64;

/// Every operation whose availability depends on the group type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOp {
    CreateWithMembers,
    AddMember,
    DeleteMember,
    ChangeOwner,
    Mute,
    ImportGroup,
    ImportMember,
    ImportMsg,
    OnlineMemberNum,
    PullHistory,
    ClearHistory,
    DeleteMsgBySender,
    ModifyMsg,
    SetUnread,
    AppointAdmin,
    /// modify_group_base_info `HistoryMsgBeforeJoin`.
    HistoryBeforeJoin,
}

/// Outcome of the capability check: run it, accept and do nothing, or refuse with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Yes,
    /// Documented as "accepted, no effect, no error".
    NoOp,
    No(ErrorCode),
}

/// The capability matrix of groups.md §1.4 as one table: (operation, [Private, Public,
/// ChatRoom, AVChatRoom, Community]).
const MATRIX: &[(GroupOp, [Support; 5])] = {
    use ErrorCode::*;
    use Support::*;
    &[
        (
            GroupOp::CreateWithMembers,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        (
            GroupOp::AddMember,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        (
            GroupOp::DeleteMember,
            [Yes, Yes, Yes, No(GroupInvalidParameter), Yes],
        ),
        (
            GroupOp::ChangeOwner,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        (
            GroupOp::Mute,
            [No(GroupPermissionDenied), Yes, Yes, Yes, Yes],
        ),
        (
            GroupOp::ImportGroup,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        (
            GroupOp::ImportMember,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        (
            GroupOp::ImportMsg,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        // groups.md §4.17: AVChatRoom only (our choice among conflicting pages).
        (
            GroupOp::OnlineMemberNum,
            [
                No(GroupPermissionDenied),
                No(GroupPermissionDenied),
                No(GroupPermissionDenied),
                Yes,
                No(GroupPermissionDenied),
            ],
        ),
        (
            GroupOp::PullHistory,
            [Yes, Yes, Yes, No(GroupNoRoaming), Yes],
        ),
        // group-messages.md §7: Community refused (10007, inferred); AVChatRoom accepted, nothing stored.
        (
            GroupOp::ClearHistory,
            [Yes, Yes, Yes, NoOp, No(GroupPermissionDenied)],
        ),
        (GroupOp::DeleteMsgBySender, [Yes, Yes, Yes, NoOp, Yes]),
        (
            GroupOp::ModifyMsg,
            [Yes, Yes, Yes, No(GroupPermissionDenied), Yes],
        ),
        (GroupOp::SetUnread, [Yes, Yes, NoOp, NoOp, Yes]),
        (
            GroupOp::AppointAdmin,
            [No(GroupPermissionDenied), Yes, Yes, Yes, Yes],
        ),
        // groups.md §3.1: Work/Public/Meeting only; refusing the others is our reading.
        (
            GroupOp::HistoryBeforeJoin,
            [
                Yes,
                Yes,
                Yes,
                No(GroupPermissionDenied),
                No(GroupPermissionDenied),
            ],
        ),
    ]
};

impl GroupType {
    const fn index(self) -> usize {
        match self {
            GroupType::Private => 0,
            GroupType::Public => 1,
            GroupType::ChatRoom => 2,
            GroupType::AVChatRoom => 3,
            GroupType::Community => 4,
        }
    }

    /// Looks the operation up in the capability matrix.
    pub fn supports(self, op: GroupOp) -> Support {
        MATRIX
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, row)| row[self.index()])
            .unwrap_or(Support::Yes)
    }

    /// `Ok(true)` to run, `Ok(false)` for a documented no-op, `Err` with the documented refusal.
    pub fn check(self, op: GroupOp) -> Result<bool, Error> {
        match self.supports(op) {
            Support::Yes => Ok(true),
            Support::NoOp => Ok(false),
            Support::No(code) => Err(Error::new(
                code,
                format!("{op:?} is not supported by {} groups", self.as_str()),
            )),
        }
    }
}

/// A member's role. `NotMember` only appears in get_role_in_group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "Owner" => Role::Owner,
            "Admin" => Role::Admin,
            "Member" => Role::Member,
            _ => return None,
        })
    }
    /// Stored as a small integer.
    pub const fn to_db(self) -> i64 {
        match self {
            Role::Owner => 1,
            Role::Admin => 2,
            Role::Member => 3,
        }
    }
    pub const fn from_db(v: i64) -> Role {
        match v {
            1 => Role::Owner,
            2 => Role::Admin,
            _ => Role::Member,
        }
    }
}

/// String enums whose valid values are a fixed list; validated with 10004 and stored verbatim.
pub const APPLY_JOIN_OPTIONS: &[&str] = &["FreeAccess", "NeedPermission", "DisableApply"];
pub const INVITE_JOIN_OPTIONS: &[&str] = &["FreeAccess", "NeedPermission", "DisableInvite"];
pub const MSG_FLAGS: &[&str] = &[
    "AcceptAndNotify",
    "AcceptNotNotify",
    "Discard",
    "AcceptNotNotifyExceptAt",
];
pub const ON_OFF: &[&str] = &["On", "Off"];
/// Default `ApplyJoinOption` (groups.md §3.1).
pub const DEFAULT_APPLY_JOIN_OPTION: &str = "NeedPermission";
/// Default member `MsgFlag`; groups.md §1.2 lists "online only" for Meeting/AVChatRoom but the
/// REST flag names have no exact equivalent, so every type starts with `AcceptAndNotify`.
pub const DEFAULT_MSG_FLAG: &str = "AcceptAndNotify";

/// Checks a value against one of the enum lists above.
pub fn validate_enum(field: &str, value: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("{field} must be one of {allowed:?}, got {value:?}"),
        ))
    }
}

// ---- field limits (groups.md §3.1, §3.2, §3.4) ----
pub const MAX_NAME_BYTES: usize = 30;
pub const MAX_INTRODUCTION_BYTES: usize = 240;
pub const MAX_NOTIFICATION_BYTES: usize = 300;
pub const MAX_FACE_URL_BYTES: usize = 100;
pub const MAX_NAME_CARD_BYTES: usize = 50;
pub const MAX_GROUP_CUSTOM_FIELDS: usize = 10;
pub const MAX_MEMBER_CUSTOM_FIELDS: usize = 5;
pub const MAX_CUSTOM_KEY_BYTES: usize = 16;
pub const MAX_GROUP_CUSTOM_VALUE_BYTES: usize = 512;
pub const MAX_MEMBER_CUSTOM_VALUE_BYTES: usize = 64;
/// create_group `MemberList` (groups.md §4.1).
pub const MAX_CREATE_MEMBERS: usize = 100;
/// add_group_member and import_group_member (groups.md §4.6, §4.16).
pub const MAX_ADD_MEMBERS: usize = 300;
/// delete_group_member (groups.md §4.7).
pub const MAX_DELETE_MEMBERS: usize = 100;
/// get_group_info (groups.md §4.4).
pub const MAX_INFO_GROUPS: usize = 50;
/// get_role_in_group and forbid_send_msg (groups.md §4.11, §4.13).
pub const MAX_ROLE_QUERY: usize = 500;
/// get_appid_group_list `Limit` (groups.md §4.3).
pub const MAX_GROUP_LIST_LIMIT: u64 = 10_000;
/// get_group_member_info `Limit` (groups.md §4.8).
pub const MAX_MEMBER_PAGE: u64 = 6_000;
/// AVChatRoom member lists show at most this many members (groups.md §4.8, inferred).
pub const AVCHATROOM_MEMBER_LIST_CAP: u64 = 300;
/// forbid_send_msg `MuteTime` meaning "forever".
pub const MUTE_FOREVER: u64 = u32::MAX as u64;

/// When a mute of `mute_time` seconds given at `now` ends: `None` unmutes (0), `MUTE_FOREVER`
/// is kept as that timestamp (year 2106), which is also what listings show (groups.md §4.13).
pub fn mute_until(now: i64, mute_time: u64) -> Option<i64> {
    match mute_time {
        0 => None,
        MUTE_FOREVER => Some(MUTE_FOREVER as i64),
        t => Some(now.saturating_add(t.min(MUTE_FOREVER) as i64)),
    }
}

/// Checks a free-text field the group service stores: at most `max` bytes of UTF-8, and no
/// NUL character (`text::check_no_nul`); 10004 otherwise.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.len() > max {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("{field} is longer than {max} bytes"),
        ));
    }
    text::check_no_nul(field, value).map_err(invalid)
}

/// Checks a UserID the group service keeps or passes on without looking the account up
/// (import_group_msg's senders, which need not exist; @-mentions; receivers; the sender
/// delete_group_msg_by_sender looks for): the rule of accounts.md §0 that import enforces
/// (`account::validate_user_id`), so such a field can hold nothing an account could not be.
/// The group pages document no code for a malformed UserID (import_group_msg lists 10004,
/// 10007, 10010, 10015, 10020; 10012 is for the operator), so it is the group service's
/// invalid-parameter code, 10004. Fields naming accounts that must exist need no such check:
/// there an ID no account can have is 10019 like any unknown account (limits.md §1).
pub fn check_user_id(field: &str, id: &str) -> Result<(), Error> {
    validate_user_id(id).map_err(|why| invalid(format!("{field}: {why}")))
}

/// [`check_user_id`] for each entry of a list, named `field[i]`.
pub fn check_user_ids(field: &str, ids: &[String]) -> Result<(), Error> {
    ids.iter()
        .enumerate()
        .try_for_each(|(i, id)| check_user_id(&format!("{field}[{i}]"), id))
}

/// Checks a custom-field key: ≤ 16 bytes of `[A-Za-z0-9_]`, non-empty.
pub fn check_custom_key(key: &str) -> Result<(), Error> {
    if key.is_empty()
        || key.len() > MAX_CUSTOM_KEY_BYTES
        || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!(
                "custom field key {key:?} must be 1-{MAX_CUSTOM_KEY_BYTES} bytes of [A-Za-z0-9_]"
            ),
        ));
    }
    Ok(())
}

// ---- group IDs (groups.md §2) ----

/// Prefix of every server-assigned ID; custom IDs may not use it.
pub const GENERATED_PREFIX: &str = "@TGS#";
/// Prefix a custom Community ID must carry.
pub const COMMUNITY_PREFIX: &str = "@TGS#_";
/// Prefix of server-assigned Community IDs; custom Community IDs may not use it.
pub const GENERATED_COMMUNITY_PREFIX: &str = "@TGS#_@TGS#";
pub const MAX_GROUP_ID_BYTES: usize = 48;

/// Whether a string can be a group ID at all: 1–48 bytes of printable ASCII. Anything else is
/// 10015 on every API; a well-formed ID of no group is 10010.
pub fn validate_group_id(id: &str) -> Result<(), Error> {
    if id.is_empty()
        || id.len() > MAX_GROUP_ID_BYTES
        || !id.bytes().all(|b| (0x20..=0x7e).contains(&b))
    {
        return Err(Error::new(
            ErrorCode::GroupInvalidId,
            format!("GroupId {id:?} is not 1-{MAX_GROUP_ID_BYTES} bytes of printable ASCII"),
        ));
    }
    Ok(())
}

/// Rules for an ID chosen by the caller of create_group/import_group (groups.md §2).
pub fn validate_custom_group_id(id: &str, ty: GroupType) -> Result<(), Error> {
    validate_group_id(id)?;
    let bad = |why: &str| {
        Err(Error::new(
            ErrorCode::GroupInvalidId,
            format!("GroupId {id:?} {why}"),
        ))
    };
    if ty == GroupType::Community {
        if !id.starts_with(COMMUNITY_PREFIX) {
            return bad("of a Community must start with @TGS#_");
        }
        if id.starts_with(GENERATED_COMMUNITY_PREFIX) {
            return bad("must not start with @TGS#_@TGS#, the prefix of generated Community IDs");
        }
        if id.len() == COMMUNITY_PREFIX.len() {
            return bad("has nothing after the @TGS#_ prefix");
        }
    } else if id.starts_with(GENERATED_PREFIX) {
        return bad("must not start with @TGS#, the prefix of generated IDs");
    }
    Ok(())
}

/// Alphabet of generated IDs: upper-case letters and digits without the look-alikes I, O, 0, 1.
pub(crate) const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The server-assigned ID of the group with internal key `key`.
///
/// The store hands out keys that are never reused (even after a destroy), and this mapping is
/// a bijection on 40 bits, so generated IDs are unique and never reused either. The key is
/// scrambled so that consecutive groups do not get consecutive-looking IDs.
pub fn generated_group_id(ty: GroupType, key: u64) -> String {
    const MASK: u64 = (1 << 40) - 1;
    // Multiplying by an odd constant modulo 2^40 is a bijection; the xor hides small keys.
    let x = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5A_5A5A_5A5A) & MASK;
    let mut s = String::with_capacity(24);
    s.push_str(match ty {
        GroupType::Community => "@TGS#_@TGS#c",
        GroupType::Private => "@TGS#1",
        GroupType::Public => "@TGS#2",
        GroupType::ChatRoom => "@TGS#3",
        GroupType::AVChatRoom => "@TGS#a",
    });
    for i in (0..8).rev() {
        s.push(ID_ALPHABET[((x >> (i * 5)) & 31) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn type_names_round_trip_and_aliases() {
        for t in GroupType::ALL {
            assert_eq!(GroupType::parse(t.as_str()), Some(t));
        }
        assert_eq!(GroupType::parse("Work"), Some(GroupType::Private));
        assert_eq!(GroupType::parse("Meeting"), Some(GroupType::ChatRoom));
        assert_eq!(GroupType::parse("public"), None);
        assert_eq!(GroupType::parse("BChatRoom"), None);
    }

    #[test]
    fn generated_ids_are_distinct_and_well_formed() {
        let mut seen = HashSet::new();
        for key in 1..20_000u64 {
            for ty in GroupType::ALL {
                let id = generated_group_id(ty, key);
                validate_group_id(&id).unwrap();
                assert!(seen.insert(id));
            }
        }
        // A generated ID is never acceptable as a custom one.
        assert!(validate_custom_group_id(
            &generated_group_id(GroupType::Public, 7),
            GroupType::Public
        )
        .is_err());
        assert!(validate_custom_group_id(
            &generated_group_id(GroupType::Community, 7),
            GroupType::Community
        )
        .is_err());
    }

    #[test]
    fn user_id_fields() {
        assert!(check_user_id("From_Account", "user@example.com").is_ok());
        let huge = "x".repeat(600_000);
        for bad in ["", &"x".repeat(33), "a\0b", "a\nb", "é", &huge] {
            let e = check_user_id("MsgList[0].From_Account", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::GroupInvalidParameter);
            assert!(
                e.info.starts_with("MsgList[0].From_Account: "),
                "{}",
                e.info
            );
            assert!(e.info.len() < 100, "the reason does not echo a long ID");
        }
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_user_ids("To_Account", &ids(&["a", "b"])).is_ok());
        let e = check_user_ids("To_Account", &ids(&["a", "b\n"])).unwrap_err();
        assert!(e.info.starts_with("To_Account[1]: "), "{}", e.info);
    }

    #[test]
    fn stored_text_fields() {
        assert!(check_text("Introduction", "two\nlines", MAX_INTRODUCTION_BYTES).is_ok());
        assert!(check_text("Name", &"n".repeat(30), MAX_NAME_BYTES).is_ok());
        for (value, max) in [(&"n".repeat(31) as &str, MAX_NAME_BYTES), ("a\0b", 30)] {
            let e = check_text("Name", value, max).unwrap_err();
            assert_eq!(e.code, ErrorCode::GroupInvalidParameter, "{value:?}");
        }
        let kv = |value: &str| KeyValue {
            key: "k".into(),
            value: value.into(),
        };
        assert!(validate_custom_fields(&[kv("v")], 5, 64).is_ok());
        assert!(validate_custom_fields(&[kv("v\0")], 5, 64).is_err());
    }

    #[test]
    fn custom_id_rules() {
        let ok = [
            ("my-group", GroupType::Public),
            ("@TGS#_mine", GroupType::Community),
            (&"x".repeat(48), GroupType::Private),
        ];
        for (id, ty) in ok {
            assert!(validate_custom_group_id(id, ty).is_ok(), "{id}");
        }
        let bad = [
            ("", GroupType::Public),
            (&"x".repeat(49), GroupType::Public),
            ("@TGS#abc", GroupType::Public),
            ("mine", GroupType::Community),
            ("@TGS#_@TGS#x", GroupType::Community),
            ("@TGS#_", GroupType::Community),
            ("tab\t", GroupType::Public),
            ("ünï", GroupType::Public),
        ];
        for (id, ty) in bad {
            let e = validate_custom_group_id(id, ty).unwrap_err();
            assert_eq!(e.code, ErrorCode::GroupInvalidId, "{id}");
        }
    }
}

/// A custom field (`AppDefinedData`, `AppMemberDefinedData`): `{"Key": …, "Value": …}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyValue {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// Checks custom fields: at most `max_fields`, valid keys, no key twice, values ≤ `max_value`
/// bytes (groups.md §3.4; 10004 otherwise).
pub fn validate_custom_fields(
    kv: &[KeyValue],
    max_fields: usize,
    max_value: usize,
) -> Result<(), Error> {
    if kv.len() > max_fields {
        return Err(Error::new(
            ErrorCode::GroupInvalidParameter,
            format!("at most {max_fields} custom fields are allowed"),
        ));
    }
    for (i, f) in kv.iter().enumerate() {
        check_custom_key(&f.key)?;
        check_text(&format!("custom field {:?}", f.key), &f.value, max_value)?;
        if kv[..i].iter().any(|g| g.key == f.key) {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("custom field {:?} is given twice", f.key),
            ));
        }
    }
    Ok(())
}

/// Applies updates to stored custom fields: set each key; an empty value deletes it
/// (groups.md §4.5, inferred).
pub fn merge_custom_fields(stored: &mut Vec<KeyValue>, updates: &[KeyValue]) {
    for u in updates {
        stored.retain(|kv| kv.key != u.key);
        if !u.value.is_empty() {
            stored.push(u.clone());
        }
    }
}

/// Who makes a group change, and when: the tips it stores are sent by `operator` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change<'a> {
    pub operator: &'a str,
    pub now: i64,
}

/// Stores `tip` in `g`'s history when its type keeps that kind of tip (groups.md §6). An
/// inactive Work group gets none (groups.md §4.6), so a tip never activates one.
fn store_tip(appender: &mut Appender, g: &GroupRecord, by: Change<'_>, tip: Tip) {
    if tip.is_stored_in(g.ty) && g.is_active() {
        appender.push(NewGroupMsg::tip(by.operator, &tip, by.now));
    }
}

/// 10004 with a reason, the group service's answer to a value it cannot take.
fn invalid(info: String) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
}

/// Applies set/delete updates to stored custom fields, keeping at most `max` keys (10004).
fn merged_custom_fields(
    stored: &[KeyValue],
    updates: &[KeyValue],
    max: usize,
) -> Result<Vec<KeyValue>, Error> {
    let mut fields = stored.to_vec();
    merge_custom_fields(&mut fields, updates);
    if fields.len() > max {
        return Err(invalid(format!(
            "the change would leave {} custom fields; at most {max} are allowed",
            fields.len()
        )));
    }
    Ok(fields)
}
