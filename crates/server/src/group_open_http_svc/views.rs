//! How groups and members look in responses, and the response filters that pick their fields.
//! spec: groups.md §3.1, §3.2, §4.4, §4.8, §4.10.
//!
//! One rule for every filter (the docs show the filters but not every default; ours):
//! a field-name filter keeps only the fields it names, and a custom-data filter keeps only the
//! keys it names. Without a custom-data filter, the custom fields come whole when the field
//! filter lets `AppDefinedData` / `AppMemberDefinedData` through. Unknown names are ignored
//! (version tolerance). The older names `ShutUpUntil` and `ShutUpAllMember` are accepted in
//! filters, and a field asked for under its older name is answered under that name.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use timber_core::group::KeyValue;
use timber_core::group::{GroupRecord, MemberRecord};

/// (current name, older name) pairs accepted in filters (groups.md §3.1, §3.2).
const ALIASES: &[(&str, &str)] = &[
    ("MuteUntil", "ShutUpUntil"),
    ("MuteAllMember", "ShutUpAllMember"),
];

/// Which fields of one kind of object to show.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// `None` = every field.
    pub names: Option<&'a [String]>,
    /// Keys of the custom-data field to show; `None` = all keys when the field is shown.
    pub custom_keys: Option<&'a [String]>,
}

impl<'a> Fields<'a> {
    pub const ALL: Fields<'static> = Fields {
        names: None,
        custom_keys: None,
    };

    pub fn new(names: Option<&'a [String]>, custom_keys: Option<&'a [String]>) -> Fields<'a> {
        Fields { names, custom_keys }
    }

    /// Reduces `full` to the fields asked for. `always` fields are kept whatever the filter;
    /// `custom` names the object's custom-data field.
    fn select(
        self,
        mut full: Map<String, Value>,
        always: &[&str],
        custom: &str,
    ) -> Map<String, Value> {
        if let Some(keys) = self.custom_keys {
            if let Some(Value::Array(items)) = full.get_mut(custom) {
                items.retain(|kv| {
                    kv.get("Key")
                        .and_then(Value::as_str)
                        .is_some_and(|k| keys.iter().any(|want| want == k))
                });
            }
        }
        let Some(names) = self.names else {
            return full;
        };
        let wants = |n: &str| names.iter().any(|w| w == n);
        for (new, old) in ALIASES {
            if wants(old) {
                if let Some(v) = full.remove(*new) {
                    full.insert((*old).to_owned(), v);
                }
            }
        }
        full.retain(|k, _| {
            always.contains(&k.as_str()) || wants(k) || (k == custom && self.custom_keys.is_some())
        });
        full
    }
}

/// The request's `ResponseFilter` of get_group_info (groups.md §4.4).
#[derive(Debug, Default, Deserialize)]
pub struct GroupInfoFilter {
    #[serde(rename = "GroupBaseInfoFilter")]
    pub base: Option<Vec<String>>,
    #[serde(rename = "MemberInfoFilter")]
    pub member: Option<Vec<String>>,
    #[serde(rename = "AppDefinedDataFilter_Group")]
    pub group_custom: Option<Vec<String>>,
    #[serde(rename = "AppDefinedDataFilter_GroupMember")]
    pub member_custom: Option<Vec<String>>,
}

impl GroupInfoFilter {
    /// Base fields: all unless `GroupBaseInfoFilter` names some — the base profile is what
    /// the API is for, so a filter about members alone still returns it (inferred).
    pub fn group(&self) -> Fields<'_> {
        Fields::new(self.base.as_deref(), self.group_custom.as_deref())
    }

    /// Members: shown only when a member filter asks for them (groups.md §4.4, inferred).
    pub fn members(&self) -> Option<Fields<'_>> {
        (self.member.is_some() || self.member_custom.is_some())
            .then(|| Fields::new(self.member.as_deref(), self.member_custom.as_deref()))
    }
}

fn custom(kv: &[KeyValue]) -> Value {
    json!(kv)
}

/// A group's base fields under the names of groups.md §3.1, filtered.
pub(crate) fn group_fields(app: u64, g: &GroupRecord, fields: Fields<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("GroupId".into(), json!(g.group_id));
    m.insert("Type".into(), json!(g.ty.as_str()));
    m.insert("Name".into(), json!(g.name));
    m.insert("Appid".into(), json!(app));
    m.insert("Introduction".into(), json!(g.introduction));
    m.insert("Notification".into(), json!(g.notification));
    m.insert("FaceUrl".into(), json!(g.face_url));
    m.insert("Owner_Account".into(), json!(g.owner));
    m.insert("CreateTime".into(), json!(g.create_time));
    m.insert("InfoSeq".into(), json!(g.info_seq));
    m.insert("LastInfoTime".into(), json!(g.last_info_time));
    m.insert("LastMsgTime".into(), json!(g.last_msg_time));
    m.insert("NextMsgSeq".into(), json!(g.next_msg_seq));
    m.insert("MemberNum".into(), json!(g.member_num));
    m.insert("MaxMemberNum".into(), json!(g.max_member_num));
    m.insert("ApplyJoinOption".into(), json!(g.apply_join_option));
    if let Some(v) = &g.invite_join_option {
        m.insert("InviteJoinOption".into(), json!(v));
    }
    m.insert(
        "MuteAllMember".into(),
        json!(if g.mute_all { "On" } else { "Off" }),
    );
    m.insert("AppDefinedData".into(), custom(&g.app_defined_data));
    fields.select(m, &["GroupId"], "AppDefinedData")
}

/// A member under the names of groups.md §3.2, filtered; `Member_Account` is always there.
/// A mute that has ended shows as 0 ("not muted").
pub(crate) fn member_fields(m: &MemberRecord, now: i64, fields: Fields<'_>) -> Map<String, Value> {
    member_map(m, now, None, fields, &["Member_Account"])
}

/// The caller's own membership in get_joined_group_list (`SelfInfo`, groups.md §4.10): the
/// member fields plus `UnreadMsgNum`, without the account.
pub(crate) fn self_info(
    m: &MemberRecord,
    unread: u64,
    now: i64,
    fields: Fields<'_>,
) -> Map<String, Value> {
    let mut map = member_map(m, now, Some(unread), fields, &[]);
    map.remove("Member_Account");
    map
}

fn member_map(
    m: &MemberRecord,
    now: i64,
    unread: Option<u64>,
    fields: Fields<'_>,
    always: &[&str],
) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("Member_Account".into(), json!(m.account));
    map.insert("Role".into(), json!(m.role.as_str()));
    map.insert("JoinTime".into(), json!(m.join_time));
    map.insert("MsgSeq".into(), json!(m.read_seq));
    map.insert("MsgFlag".into(), json!(m.msg_flag));
    map.insert("LastSendMsgTime".into(), json!(m.last_send_time));
    let mute_until = if m.mute_until > now { m.mute_until } else { 0 };
    map.insert("MuteUntil".into(), json!(mute_until));
    map.insert("NameCard".into(), json!(m.name_card));
    if let Some(unread) = unread {
        map.insert("UnreadMsgNum".into(), json!(unread));
    }
    map.insert(
        "AppMemberDefinedData".into(),
        custom(&m.app_member_defined_data),
    );
    fields.select(map, always, "AppMemberDefinedData")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn full() -> Map<String, Value> {
        let v = json!({
            "Member_Account": "a", "Role": "Member", "MuteUntil": 0,
            "AppMemberDefinedData": [{"Key": "k1", "Value": "1"}, {"Key": "k2", "Value": "2"}]
        });
        v.as_object().cloned().unwrap_or_default()
    }

    /// The field names, sorted (member order is not part of the contract).
    fn keys(m: &Map<String, Value>) -> Vec<&str> {
        let mut k: Vec<&str> = m.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    #[test]
    fn field_filter_keeps_named_and_always_fields() {
        let f = names(&["Role"]);
        let m =
            Fields::new(Some(&f), None).select(full(), &["Member_Account"], "AppMemberDefinedData");
        assert_eq!(keys(&m), ["Member_Account", "Role"]);
    }

    #[test]
    fn older_names_are_answered_under_the_name_asked_for() {
        let f = names(&["ShutUpUntil"]);
        let m = Fields::new(Some(&f), None).select(full(), &[], "AppMemberDefinedData");
        assert_eq!(keys(&m), ["ShutUpUntil"]);
    }

    #[test]
    fn custom_key_filter_keeps_named_keys_even_without_the_field_name() {
        let f = names(&["Role"]);
        let k = names(&["k2"]);
        let m = Fields::new(Some(&f), Some(&k)).select(full(), &[], "AppMemberDefinedData");
        assert_eq!(keys(&m), ["AppMemberDefinedData", "Role"]);
        assert_eq!(
            m["AppMemberDefinedData"],
            json!([{"Key": "k2", "Value": "2"}])
        );
        // No field filter: everything, custom fields reduced to the named keys.
        let m = Fields::new(None, Some(&k)).select(full(), &[], "AppMemberDefinedData");
        assert_eq!(m.len(), 4);
        assert_eq!(
            m["AppMemberDefinedData"],
            json!([{"Key": "k2", "Value": "2"}])
        );
    }

    #[test]
    fn members_are_shown_only_when_a_member_filter_asks() {
        let none = GroupInfoFilter::default();
        assert!(none.members().is_none());
        let with = GroupInfoFilter {
            member: Some(names(&["Role"])),
            ..Default::default()
        };
        assert!(with.members().is_some());
    }
}
