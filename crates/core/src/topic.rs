//! Community topics (`million_group_open_http_svc`, import_topic, `TopicId` in the message
//! APIs). spec: groups-more.md §8, §11.10.
//!
//! A topic is a child of a topic-enabled Community (`SupportTopic` 1) with its own profile,
//! mute-all flag and message stream: its messages are stored as a group's are, under a key of
//! their own, with their own gap-free MsgSeq (the community's members are the topic's). Our
//! choices where the pages are silent are marked (inferred) in the spec and named here.

use crate::group::{check_text, GroupRecord, GroupType, ID_ALPHABET};
use crate::{Error, ErrorCode};

/// What separates a community's ID from a topic's suffix.
pub const TOPIC_SEPARATOR: &str = "@TOPIC#_";
/// The start of a generated suffix; a custom suffix may not start with it.
pub const GENERATED_SUFFIX: &str = "@TOPIC#";
/// A topic ID (community ID included) is at most 96 bytes (groups.md §2).
pub const MAX_TOPIC_ID_BYTES: usize = 96;
pub const MAX_TOPIC_NAME_BYTES: usize = 30;
pub const MAX_FACE_URL_BYTES: usize = 100;
pub const MAX_NOTIFICATION_BYTES: usize = 300;
pub const MAX_INTRODUCTION_BYTES: usize = 240;
pub const MAX_CUSTOM_STRING_BYTES: usize = 3_000;
/// Topics per community: undocumented, ours (inferred, §8.3).
pub const MAX_TOPICS_PER_COMMUNITY: u64 = 1_000;
/// destroy_topic's `TopicIdList` (inferred, §11.13).
pub const MAX_DESTROY_TOPICS: usize = 100;

fn invalid(info: String) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
}

/// A `TopicId` as a request gives it for the community `group_id`: 1–96 bytes of printable
/// ASCII starting with `group_id + "@TOPIC#_"` and something after it (10004, §8.2).
pub fn validate_topic_id(group_id: &str, topic_id: &str) -> Result<(), Error> {
    let suffix = topic_id
        .strip_prefix(group_id)
        .and_then(|rest| rest.strip_prefix(TOPIC_SEPARATOR));
    if topic_id.len() > MAX_TOPIC_ID_BYTES
        || !topic_id.bytes().all(|b| (0x20..=0x7e).contains(&b))
        || suffix.is_none_or(str::is_empty)
    {
        return Err(invalid(format!(
            "TopicId {topic_id:?} is not {group_id:?} + \"@TOPIC#_\" + a suffix, at most \
             {MAX_TOPIC_ID_BYTES} bytes of printable ASCII"
        )));
    }
    Ok(())
}

/// A custom `TopicId` (create_topic, import_topic): a valid ID whose suffix is not of the
/// generated form and holds no `@TGS#_` (groups.md §2).
pub fn validate_custom_topic_id(group_id: &str, topic_id: &str) -> Result<(), Error> {
    validate_topic_id(group_id, topic_id)?;
    let suffix = &topic_id[group_id.len() + TOPIC_SEPARATOR.len()..];
    if suffix.starts_with(GENERATED_SUFFIX) || suffix.contains("@TGS#_") {
        return Err(invalid(format!(
            "TopicId {topic_id:?}: a custom suffix must not start with @TOPIC# (generated IDs) \
             or contain @TGS#_"
        )));
    }
    Ok(())
}

/// The generated ID of the topic with store key `key` in `group_id`: the documented shape
/// `GroupId@TOPIC#_@TOPIC#c` + 11 characters (§11.10). A bijection of the never-reused key,
/// so generated IDs are never reused either.
pub fn generated_topic_id(group_id: &str, key: u64) -> String {
    const MASK: u64 = (1 << 55) - 1;
    let x = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x15_A5A5_A5A5_A5A5) & MASK;
    let mut s = format!("{group_id}{TOPIC_SEPARATOR}{GENERATED_SUFFIX}c");
    for i in (0..11).rev() {
        s.push(ID_ALPHABET[((x >> (i * 5)) & 31) as usize] as char);
    }
    s
}

/// A topic's profile fields as a request gives them (absent = unchanged / empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicProfile {
    pub name: Option<String>,
    pub face_url: Option<String>,
    pub notification: Option<String>,
    pub introduction: Option<String>,
    pub custom_string: Option<String>,
}

impl TopicProfile {
    /// The limits of §8.1 (10004).
    pub fn check(&self) -> Result<(), Error> {
        let fields = [
            ("TopicName", &self.name, MAX_TOPIC_NAME_BYTES),
            ("FaceUrl", &self.face_url, MAX_FACE_URL_BYTES),
            ("Notification", &self.notification, MAX_NOTIFICATION_BYTES),
            ("Introduction", &self.introduction, MAX_INTRODUCTION_BYTES),
            ("CustomString", &self.custom_string, MAX_CUSTOM_STRING_BYTES),
        ];
        for (field, value, max) in fields {
            if let Some(v) = value {
                check_text(field, v, max)?;
            }
        }
        if self.name.as_deref() == Some("") {
            return Err(invalid("TopicName must not be empty".into()));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.face_url.is_none()
            && self.notification.is_none()
            && self.introduction.is_none()
            && self.custom_string.is_none()
    }
}

/// A stored topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    /// The key its messages are stored under (never a group's, never reused).
    pub key: i64,
    pub topic_id: String,
    pub group_id: String,
    pub name: String,
    pub face_url: String,
    pub notification: String,
    pub introduction: String,
    pub custom_string: String,
    /// `From_Account` of create_topic (or the calling admin).
    pub creator: String,
    pub create_time: i64,
    pub last_msg_time: i64,
    pub next_msg_seq: u64,
    pub mute_all: bool,
}

/// The community a topic command or a `TopicId` names must be a Community with
/// `SupportTopic` 1: 10007 otherwise (§8.2, inferred).
pub fn require_topic_community(g: &GroupRecord) -> Result<(), Error> {
    if g.ty != GroupType::Community {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!(
                "group {:?} is a {} group: only a Community has topics",
                g.group_id,
                g.ty.as_str()
            ),
        ));
    }
    if !g.support_topic {
        return Err(Error::new(
            ErrorCode::GroupPermissionDenied,
            format!(
                "Community {:?} was created without SupportTopic: it has no topics",
                g.group_id
            ),
        ));
    }
    Ok(())
}

/// 10010 for a well-formed ID of no topic.
pub fn require_topic(t: Option<TopicRecord>, topic_id: &str) -> Result<TopicRecord, Error> {
    t.ok_or_else(|| topic_not_found(topic_id))
}

pub fn topic_not_found(topic_id: &str) -> Error {
    Error::new(
        ErrorCode::GroupNotFound,
        format!("topic {topic_id:?} does not exist"),
    )
}

/// create_topic / import_topic (§8.3, §8.7): the community must take topics, a custom ID must
/// be free (10021, inferred) and the community below its topic count (10004, inferred).
pub fn decide_create_topic(
    g: &GroupRecord,
    custom_id_taken: bool,
    topics: u64,
) -> Result<(), Error> {
    require_topic_community(g)?;
    if custom_id_taken {
        return Err(Error::new(
            ErrorCode::GroupIdInUse,
            "the TopicId is already in use",
        ));
    }
    if topics >= MAX_TOPICS_PER_COMMUNITY {
        return Err(invalid(format!(
            "Community {:?} already has {MAX_TOPICS_PER_COMMUNITY} topics",
            g.group_id
        )));
    }
    Ok(())
}

/// An import's `CreateTime`: not in the future, not before the community was created
/// (10004, inferred as import_group_member's rule).
pub fn check_import_time(g: &GroupRecord, time: i64, now: i64) -> Result<(), Error> {
    if time > now || time < g.create_time {
        return Err(invalid(format!(
            "CreateTime {time} must lie between the community's creation ({}) and now",
            g.create_time
        )));
    }
    Ok(())
}

/// `MuteAllMember`: `On` / `Off` (10004 otherwise).
pub fn parse_mute_all(v: &str) -> Result<bool, Error> {
    match v {
        "On" => Ok(true),
        "Off" => Ok(false),
        other => Err(invalid(format!("MuteAllMember {other:?} is not On or Off"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: &str = "@TGS#_com";

    #[test]
    fn topic_ids() {
        assert!(validate_topic_id(G, "@TGS#_com@TOPIC#_t").is_ok());
        for bad in [
            "",
            "@TGS#_com",
            "@TGS#_com@TOPIC#_",
            "@TGS#_x@TOPIC#_t",
            "t",
        ] {
            assert!(validate_topic_id(G, bad).is_err(), "{bad}");
        }
        let long = format!("{G}@TOPIC#_{}", "x".repeat(96));
        assert!(validate_topic_id(G, &long).is_err());
        assert!(validate_custom_topic_id(G, "@TGS#_com@TOPIC#_@TOPIC#x").is_err());
        assert!(validate_custom_topic_id(G, "@TGS#_com@TOPIC#_a@TGS#_b").is_err());
        let generated = generated_topic_id(G, 7);
        assert!(validate_topic_id(G, &generated).is_ok());
        assert!(validate_custom_topic_id(G, &generated).is_err());
        assert_ne!(generated, generated_topic_id(G, 8));
        assert_eq!(generated.len(), G.len() + "@TOPIC#_@TOPIC#c".len() + 11);
    }

    #[test]
    fn profile_limits() {
        let p = TopicProfile {
            name: Some("x".repeat(31)),
            ..TopicProfile::default()
        };
        assert!(p.check().is_err());
        let p = TopicProfile {
            name: Some("ok".into()),
            custom_string: Some("c".repeat(3_000)),
            ..TopicProfile::default()
        };
        assert!(p.check().is_ok());
        assert!(parse_mute_all("on").is_err());
    }
}
