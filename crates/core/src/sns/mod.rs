//! Relationships: friend tables, friend lists, pending requests, blocklists (`sns`) and the
//! follow graph (`follow`). spec: relationships.md.
//!
//! Each user owns directed friend entries "A → B" holding A's data about B (§0.1), named
//! friend lists that are sets of A's friends (§0.2), pending requests A ⇒ B (§0.3) and a
//! blocklist (§0.4). Follow edges (§17) are a separate directed graph. Every write is decided
//! here by a pure function over the facts the store loaded ([`friends`], [`follow`]); the
//! store applies the [`SnsWrite`]s it returns.

pub mod follow;
pub mod friends;

pub use follow::*;
pub use friends::*;

use crate::{Error, ErrorCode};
use std::collections::BTreeMap;

/// Friends per user (§0.6; "raised only on request", our configuration would go here).
pub const MAX_FRIENDS: usize = 3_000;
/// Friend lists per user (§0.2).
pub const MAX_LISTS: usize = 32;
/// Pending requests a user may hold (§0.3, limits.md §6).
pub const MAX_PENDING: usize = 100;
/// Blocked users per user (§0.4).
pub const MAX_BLOCKED: usize = 1_000;
/// Users one user may follow (§17); followers are unlimited.
pub const MAX_FOLLOWING: usize = 5_000;
/// `Tag_SNS_IM_Remark` (§0.1).
pub const MAX_REMARK_BYTES: usize = 96;
/// `Tag_SNS_IM_AddWording` (§0.1: the Web SDK's 256, not one iOS comment's 120).
pub const MAX_WORDING_BYTES: usize = 256;
/// A friend list name (§0.2).
pub const MAX_LIST_NAME_BYTES: usize = 30;
/// The keyword after `AddSource_Type_` and after `Tag_SNS_Custom_` (§0.1).
pub const MAX_KEYWORD_BYTES: usize = 8;
/// A custom friend field's string value (§0.1).
pub const MAX_CUSTOM_VALUE_BYTES: usize = 500;
/// Items of friend_add, friend_import, friend_update (§0.6: undocumented, our 1 000).
pub const MAX_ITEMS: usize = 1_000;
/// `To_Account` of friend_delete, friend_check and the blocklist and group_add commands.
pub const MAX_TARGETS: usize = 1_000;
/// `To_Account` of friend_get_list.
pub const MAX_GET_LIST_TARGETS: usize = 100;
/// `GroupName` per group_add / group_delete / group_get call.
pub const MAX_LISTS_PER_CALL: usize = 32;
/// Friends per friend_get page (§7, inferred).
pub const FRIEND_PAGE: usize = 100;
/// friend_get_all's `GetCount`: default and largest (§9).
pub const GET_ALL_PAGE: usize = 100;
/// black_list_get's `MaxLimited` above this is clamped (§12).
pub const MAX_BLOCK_PAGE: usize = 1_000;

pub const SOURCE_PREFIX: &str = "AddSource_Type_";
pub const CUSTOM_PREFIX: &str = "Tag_SNS_Custom_";
pub const TAG_GROUP: &str = "Tag_SNS_IM_Group";
pub const TAG_REMARK: &str = "Tag_SNS_IM_Remark";
pub const TAG_ADD_SOURCE: &str = "Tag_SNS_IM_AddSource";
pub const TAG_ADD_WORDING: &str = "Tag_SNS_IM_AddWording";
pub const TAG_ADD_TIME: &str = "Tag_SNS_IM_AddTime";

/// The standard profile tags (profiles.md §0.1) and the value each has when never set, for
/// friend_get_list's `TagList`; `None` for a tag that is not one. Profile data itself is read
/// by the store's one profile function (`ops::sns::profile_tags`).
pub fn profile_tag_default(tag: &str) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match tag {
        "Tag_Profile_IM_Nick"
        | "Tag_Profile_IM_Location"
        | "Tag_Profile_IM_SelfSignature"
        | "Tag_Profile_IM_Image" => Value::from(""),
        "Tag_Profile_IM_Gender" => Value::from("Gender_Type_Unknown"),
        "Tag_Profile_IM_AllowType" => Value::from(AllowType::NeedConfirm.as_str()),
        "Tag_Profile_IM_AdminForbidType" => Value::from(AdminForbid::None.as_str()),
        "Tag_Profile_IM_BirthDay"
        | "Tag_Profile_IM_Language"
        | "Tag_Profile_IM_MsgSettings"
        | "Tag_Profile_IM_Level"
        | "Tag_Profile_IM_Role" => Value::from(0),
        _ => return None,
    })
}

/// 30001 with a reason.
pub fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::SnsInvalidParameter, info)
}

/// A custom friend field's value: a string or an integer, stored as given (§0.1, inferred).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomValue {
    Str(String),
    Int(u64),
}

impl CustomValue {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CustomValue::Str(s) => serde_json::Value::from(s.as_str()),
            CustomValue::Int(n) => serde_json::Value::from(*n),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Option<CustomValue> {
        match v {
            serde_json::Value::String(s) => Some(CustomValue::Str(s.clone())),
            serde_json::Value::Number(n) => n.as_u64().map(CustomValue::Int),
            _ => None,
        }
    }

    /// An empty string clears the field (friend_update, §3, inferred).
    pub fn is_empty(&self) -> bool {
        matches!(self, CustomValue::Str(s) if s.is_empty())
    }
}

/// A's entry about B: the standard and custom friend fields (§0.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FriendEntry {
    pub remark: String,
    /// Stored, never returned (§0.1, inferred).
    pub remark_time: i64,
    /// The friend lists, in the order they were given.
    pub groups: Vec<String>,
    pub add_source: String,
    pub add_wording: String,
    pub add_time: i64,
    pub custom: BTreeMap<String, CustomValue>,
}

impl FriendEntry {
    /// `custom` as the JSON object the store keeps.
    pub fn custom_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    pub fn parse_custom(json: &str) -> BTreeMap<String, CustomValue> {
        if json == "{}" {
            // Most entries have no custom field: no parser for them.
            return BTreeMap::new();
        }
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(json) else {
            return BTreeMap::new();
        };
        map.iter()
            .filter_map(|(k, v)| CustomValue::from_json(v).map(|v| (k.clone(), v)))
            .collect()
    }

    pub fn groups_json(&self) -> String {
        serde_json::Value::from(self.groups.clone()).to_string()
    }

    pub fn parse_groups(json: &str) -> Vec<String> {
        if json == "[]" {
            return Vec::new();
        }
        serde_json::from_str(json).unwrap_or_default()
    }
}

/// `AddType` of friend_add (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddType {
    Both,
    Single,
}

impl AddType {
    /// Absent = `Add_Type_Both`; any other value is 30001 (inferred).
    pub fn parse(v: Option<&str>) -> Result<AddType, Error> {
        match v {
            None | Some("Add_Type_Both") => Ok(AddType::Both),
            Some("Add_Type_Single") => Ok(AddType::Single),
            Some(other) => Err(invalid(format!(
                "AddType {other:?} is neither Add_Type_Both nor Add_Type_Single"
            ))),
        }
    }
}

/// `DeleteType` of friend_delete and friend_delete_all (§4, §5): absent = single.
pub fn parse_delete_both(v: Option<&str>) -> Result<bool, Error> {
    match v {
        None | Some("Delete_Type_Single") => Ok(false),
        Some("Delete_Type_Both") => Ok(true),
        Some(other) => Err(invalid(format!(
            "DeleteType {other:?} is neither Delete_Type_Single nor Delete_Type_Both"
        ))),
    }
}

/// The target's `Tag_Profile_IM_AllowType` (profiles.md §0.1, §0.5 here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowType {
    AllowAny,
    #[default]
    NeedConfirm,
    DenyAny,
}

impl AllowType {
    pub fn parse(s: &str) -> Option<AllowType> {
        Some(match s {
            "AllowType_Type_AllowAny" => AllowType::AllowAny,
            "AllowType_Type_NeedConfirm" => AllowType::NeedConfirm,
            "AllowType_Type_DenyAny" => AllowType::DenyAny,
            _ => return None,
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AllowType::AllowAny => "AllowType_Type_AllowAny",
            AllowType::NeedConfirm => "AllowType_Type_NeedConfirm",
            AllowType::DenyAny => "AllowType_Type_DenyAny",
        }
    }
}

/// The requester's `Tag_Profile_IM_AdminForbidType`: whether it may send friend requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminForbid {
    #[default]
    None,
    SendOut,
}

impl AdminForbid {
    pub fn parse(s: &str) -> Option<AdminForbid> {
        Some(match s {
            "AdminForbid_Type_None" => AdminForbid::None,
            "AdminForbid_Type_SendOut" => AdminForbid::SendOut,
            _ => return None,
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AdminForbid::None => "AdminForbid_Type_None",
            AdminForbid::SendOut => "AdminForbid_Type_SendOut",
        }
    }
}

/// The two profile tags a friend request depends on (§0.5). They are profile data; the store
/// reads them through one function (`ops::sns::add_gates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddGates {
    pub allow: AllowType,
    pub forbid: AdminForbid,
}

/// A user's relationship sequences (§25, Sequences): per-user counters, each raised by one per
/// successful write that touches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seqs {
    /// friend_get's `StandardSequence`: any standard field of any entry, adds and deletes.
    pub standard: u64,
    /// friend_get's `CustomSequence`: custom friend fields.
    pub custom: u64,
    /// The friend lists' `CurrentSequence`: the set of lists or their membership.
    pub lists: u64,
    /// black_list_get's `CurruentSequence`.
    pub blocks: u64,
}

impl Seqs {
    fn add(&mut self, other: Seqs) {
        self.standard += other.standard;
        self.custom += other.custom;
        self.lists += other.lists;
        self.blocks += other.blocks;
    }
}

/// A write a decision asks the store to make.
#[derive(Debug, Clone, PartialEq)]
pub enum SnsWrite {
    InsertFriend {
        owner: String,
        friend: String,
        entry: FriendEntry,
    },
    /// Replaces the remark, remark time, lists and custom fields of an entry.
    UpdateFriend {
        owner: String,
        friend: String,
        entry: FriendEntry,
    },
    DeleteFriend {
        owner: String,
        friend: String,
    },
    /// Every entry of `owner`, and with `both` every entry about `owner`.
    DeleteAllFriends {
        owner: String,
        both: bool,
    },
    InsertPending {
        requester: String,
        target: String,
        time: i64,
        entry: FriendEntry,
    },
    DeletePending {
        requester: String,
        target: String,
    },
    InsertBlock {
        owner: String,
        blocked: String,
        time: i64,
    },
    DeleteBlock {
        owner: String,
        blocked: String,
    },
    /// A new friend list; `ord` orders lists by creation.
    InsertList {
        owner: String,
        name: String,
        ord: u64,
    },
    DeleteList {
        owner: String,
        name: String,
    },
    InsertFollow {
        follower: String,
        followee: String,
        time: i64,
    },
    DeleteFollow {
        follower: String,
        followee: String,
    },
}

/// What a batch write decided: one outcome per item in request order, the writes, and how
/// much each touched user's sequences go up.
#[derive(Debug, Clone, Default)]
pub struct Decided {
    pub items: Vec<(String, Result<(), Error>)>,
    pub writes: Vec<SnsWrite>,
    pub bumps: BTreeMap<String, Seqs>,
}

impl Decided {
    pub(crate) fn bump(&mut self, user: &str, by: Seqs) {
        self.bumps.entry(user.to_owned()).or_default().add(by);
    }

    /// The sequences of `user` after this decision, from those it had.
    pub fn seqs_after(&self, user: &str, before: Seqs) -> Seqs {
        let mut s = before;
        if let Some(b) = self.bumps.get(user) {
            s.add(*b);
        }
        s
    }
}

pub(crate) const STANDARD: Seqs = Seqs {
    standard: 1,
    custom: 0,
    lists: 0,
    blocks: 0,
};
pub(crate) const CUSTOM: Seqs = Seqs {
    standard: 0,
    custom: 1,
    lists: 0,
    blocks: 0,
};
pub(crate) const LISTS: Seqs = Seqs {
    standard: 0,
    custom: 0,
    lists: 1,
    blocks: 0,
};
pub(crate) const BLOCKS: Seqs = Seqs {
    standard: 0,
    custom: 0,
    lists: 0,
    blocks: 1,
};

/// The `{Tag, Value}` pairs of an entry as friend_get lists them (§7): the standard fields
/// (AddSource, AddWording and Remark and Group only when non-empty, AddTime) unless
/// `standard` is false, then the custom fields in name order unless `custom` is false.
pub fn entry_tags(
    e: &FriendEntry,
    standard: bool,
    custom: bool,
) -> Vec<(String, serde_json::Value)> {
    entry_fields(e, standard, custom)
        .into_iter()
        .map(|f| (f.tag.to_owned(), f.value.to_json()))
        .collect()
}

/// A friend field of an entry, borrowed from it: a page of friend_get writes its 100
/// entries' fields into the answer without copying them (BENCHMARKS.md, ledger: *friend
/// pages*).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FieldRef<'a> {
    #[serde(rename = "Tag")]
    pub tag: &'a str,
    #[serde(rename = "Value")]
    pub value: ValueRef<'a>,
}

/// A friend field's value, as [`FieldRef`] borrows it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum ValueRef<'a> {
    Str(&'a str),
    Int(i64),
    UInt(u64),
    Names(&'a [String]),
}

impl ValueRef<'_> {
    pub fn to_json(self) -> serde_json::Value {
        match self {
            ValueRef::Str(s) => s.into(),
            ValueRef::Int(n) => n.into(),
            ValueRef::UInt(n) => n.into(),
            ValueRef::Names(v) => v.into(),
        }
    }
}

/// The fields of `e` a friend_get answer lists (§7): with `standard` the standard ones that
/// are set (AddSource and AddTime always), with `custom` every custom one.
pub fn entry_fields(e: &FriendEntry, standard: bool, custom: bool) -> Vec<FieldRef<'_>> {
    let field = |tag, value| FieldRef { tag, value };
    let mut out = Vec::with_capacity(5 + e.custom.len());
    if standard {
        out.push(field(TAG_ADD_SOURCE, ValueRef::Str(&e.add_source)));
        if !e.add_wording.is_empty() {
            out.push(field(TAG_ADD_WORDING, ValueRef::Str(&e.add_wording)));
        }
        if !e.remark.is_empty() {
            out.push(field(TAG_REMARK, ValueRef::Str(&e.remark)));
        }
        if !e.groups.is_empty() {
            out.push(field(TAG_GROUP, ValueRef::Names(&e.groups)));
        }
        out.push(field(TAG_ADD_TIME, ValueRef::Int(e.add_time)));
    }
    if custom {
        out.extend(e.custom.iter().map(|(k, v)| {
            let value = match v {
                CustomValue::Str(s) => ValueRef::Str(s),
                CustomValue::Int(n) => ValueRef::UInt(*n),
            };
            field(k.as_str(), value)
        }));
    }
    out
}

/// One friend field of an entry by tag (friend_get_list's `TagList`): unset standard fields
/// read as empty, an unset custom field as `None`.
pub fn entry_tag(e: &FriendEntry, tag: &str) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match tag {
        TAG_ADD_SOURCE => Value::from(e.add_source.as_str()),
        TAG_ADD_WORDING => Value::from(e.add_wording.as_str()),
        TAG_REMARK => Value::from(e.remark.as_str()),
        TAG_GROUP => Value::from(e.groups.clone()),
        TAG_ADD_TIME => Value::from(e.add_time),
        _ => return e.custom.get(tag).map(CustomValue::to_json),
    })
}

/// Whether `tag` names a friend field (standard or a well-formed custom one).
pub fn is_friend_tag(tag: &str) -> bool {
    matches!(
        tag,
        TAG_ADD_SOURCE | TAG_ADD_WORDING | TAG_REMARK | TAG_GROUP | TAG_ADD_TIME
    ) || check_custom_tag(tag).is_ok()
}

/// Whether `tag` names a profile tag: a standard one or `Tag_Profile_Custom_` + 1–8 letters.
pub fn is_profile_tag(tag: &str) -> bool {
    profile_tag_default(tag).is_some()
        || tag
            .strip_prefix("Tag_Profile_Custom_")
            .is_some_and(is_keyword)
}

/// `AddSource`: `AddSource_Type_` + 1–8 English letters (§0.1).
pub fn check_add_source(s: &str) -> Result<(), String> {
    match s.strip_prefix(SOURCE_PREFIX) {
        Some(k) if is_keyword(k) => Ok(()),
        _ => Err(format!(
            "AddSource {s:?} must be {SOURCE_PREFIX} followed by 1 to {MAX_KEYWORD_BYTES} English letters"
        )),
    }
}

fn is_keyword(k: &str) -> bool {
    !k.is_empty() && k.len() <= MAX_KEYWORD_BYTES && k.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A custom friend field's name: `Tag_SNS_Custom_` + 1–8 English letters (§0.1).
pub fn check_custom_tag(tag: &str) -> Result<(), String> {
    match tag.strip_prefix(CUSTOM_PREFIX) {
        Some(k) if is_keyword(k) => Ok(()),
        _ => Err(format!(
            "custom friend field {tag:?} must be {CUSTOM_PREFIX} followed by 1 to {MAX_KEYWORD_BYTES} English letters"
        )),
    }
}

pub fn check_custom_value(tag: &str, v: &CustomValue) -> Result<(), String> {
    match v {
        CustomValue::Str(s) => check_len(tag, s, MAX_CUSTOM_VALUE_BYTES),
        CustomValue::Int(_) => Ok(()),
    }
}

pub fn check_remark(s: &str) -> Result<(), String> {
    check_len("Remark", s, MAX_REMARK_BYTES)
}

pub fn check_wording(s: &str) -> Result<(), String> {
    check_len("AddWording", s, MAX_WORDING_BYTES)
}

pub fn check_list_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a friend list name must not be empty".into());
    }
    check_len("friend list name", s, MAX_LIST_NAME_BYTES)
}

fn check_len(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        return Err(format!(
            "{what} is {} bytes; at most {max} are allowed",
            s.len()
        ));
    }
    if s.contains('\0') {
        return Err(format!("{what} must not contain NUL"));
    }
    Ok(())
}

/// `Relation` of friend_check (§6).
pub fn friend_relation(both: bool, a_has_b: bool, b_has_a: bool) -> &'static str {
    match (both, a_has_b, b_has_a) {
        (false, true, _) | (true, true, false) => "CheckResult_Type_AWithB",
        (false, false, _) | (true, false, false) => "CheckResult_Type_NoRelation",
        (true, true, true) => "CheckResult_Type_BothWay",
        (true, false, true) => "CheckResult_Type_BWithA",
    }
}

/// `Relation` of black_list_check (§13).
pub fn block_relation(both: bool, a_blocks_b: bool, b_blocks_a: bool) -> &'static str {
    match (both, a_blocks_b, b_blocks_a) {
        (false, true, _) | (true, true, false) => "BlackCheckResult_Type_AWithB",
        (false, false, _) | (true, false, false) => "BlackCheckResult_Type_NO",
        (true, true, true) => "BlackCheckResult_Type_BothWay",
        (true, false, true) => "BlackCheckResult_Type_BWithA",
    }
}

/// `CheckType` of friend_check / black_list_check: whether both tables are looked at.
pub fn parse_check_type(v: Option<&str>, single: &str, both: &str) -> Result<bool, Error> {
    match v {
        Some(s) if s == single => Ok(false),
        Some(s) if s == both => Ok(true),
        Some(other) => Err(invalid(format!(
            "CheckType {other:?} is neither {single} nor {both}"
        ))),
        None => Err(invalid("CheckType is required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_checks() {
        assert!(check_add_source("AddSource_Type_Web").is_ok());
        assert!(check_add_source("AddSource_Type_Abcdefgh").is_ok());
        for bad in [
            "AddSource_Type_",
            "AddSource_Type_Abcdefghi",
            "AddSource_Type_A1",
            "Web",
        ] {
            assert!(check_add_source(bad).is_err(), "{bad}");
        }
        assert!(check_custom_tag("Tag_SNS_Custom_Since").is_ok());
        assert!(check_custom_tag("Tag_SNS_1300000000_XXXX").is_err());
        assert!(check_remark(&"r".repeat(96)).is_ok());
        assert!(check_remark(&"r".repeat(97)).is_err());
        assert!(check_list_name("").is_err());
        assert!(check_list_name(&"g".repeat(31)).is_err());
        assert!(check_wording(&"w".repeat(257)).is_err());
    }

    #[test]
    fn relations() {
        assert_eq!(
            friend_relation(false, true, false),
            "CheckResult_Type_AWithB"
        );
        assert_eq!(
            friend_relation(false, false, true),
            "CheckResult_Type_NoRelation"
        );
        assert_eq!(
            friend_relation(true, true, true),
            "CheckResult_Type_BothWay"
        );
        assert_eq!(
            friend_relation(true, false, true),
            "CheckResult_Type_BWithA"
        );
        assert_eq!(
            block_relation(true, false, false),
            "BlackCheckResult_Type_NO"
        );
        assert_eq!(
            block_relation(true, true, true),
            "BlackCheckResult_Type_BothWay"
        );
    }
}
