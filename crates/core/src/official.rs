//! Official accounts (`official_account_open_http_svc`): broadcast channels with an owner,
//! subscribers and their own message history. spec: push-and-operations.md §5, §8.
//!
//! An official account is a first-class object, not a group: it has its own Seq counter
//! (from 1, inferred as groups), its own messages and its own subscriber set. The rules
//! here are pure; the store loads what they need and writes what they decide.

use crate::{Error, ErrorCode};

/// Every official account ID starts with this (documented).
pub const ID_PREFIX: &str = "@TOA#_";
/// Longest custom ID (inferred, as group IDs).
pub const MAX_ID_BYTES: usize = 48;
pub const MAX_NAME_BYTES: usize = 150;
pub const MAX_INTRODUCTION_BYTES: usize = 400;
pub const MAX_FACE_URL_BYTES: usize = 500;
pub const MAX_ORGANIZATION_BYTES: usize = 500;
pub const MAX_CUSTOM_BYTES: usize = 3000;
pub const DEFAULT_MAX_SUBSCRIBERS: u64 = 100_000;
/// add_subscriber / delete_subscriber batch.
pub const MAX_SUBSCRIBER_BATCH: usize = 100;
/// get_official_account_info's ID list.
pub const MAX_INFO_IDS: usize = 50;
/// get_subscriber_info and get_subscribed_official_account_list pages.
pub const MAX_PAGE: u64 = 200;
/// official_account_msg_recall's key list.
pub const MAX_RECALL_KEYS: usize = 10;
pub const MAX_RECALL_REASON_BYTES: usize = 100;
/// Messages per history call (as group_msg_get_simple).
pub const MAX_HISTORY: u64 = 20;
/// A message repeating one of this window (same body and same `Random`) is a duplicate
/// (inferred: both required).
pub const DUPLICATE_SECS: i64 = 300;

/// The subscriber `MsgFlag` values (documented).
pub const MSG_FLAGS: &[&str] = &["AcceptAndNotify", "AcceptNotNotify", "Discard"];
/// A new subscription's `MsgFlag` (the column's default).
pub const DEFAULT_MSG_FLAG: &str = "AcceptAndNotify";
/// The `MsgFlag` under which a subscriber receives nothing. `AcceptNotNotify` only turns off
/// offline push, which timber does not have: online, it delivers as `AcceptAndNotify` does.
pub const DISCARD: &str = "Discard";

/// 10004 for a `MsgFlag` that is not one of [`MSG_FLAGS`] (inferred: the REST field and the
/// member method `setOfficialAccountMsgFlag` alike).
pub fn check_msg_flag(flag: &str) -> Result<(), Error> {
    if MSG_FLAGS.contains(&flag) {
        return Ok(());
    }
    Err(invalid(format!(
        "MsgFlag {flag:?} is not one of {MSG_FLAGS:?}"
    )))
}

/// Whether a subscriber with `flag` is delivered broadcasts online.
pub fn delivers(flag: &str) -> bool {
    flag != DISCARD
}

/// official_account_msg_get_simple's `IsFinished` (§5.13): 0 when unexpired messages older
/// than the page remain, else 2 when anything older than the page has expired (its oldest
/// unexpired message, `oldest_live`, is above Seq 1, and the page does not reach Seq 1:
/// `floor` is the lowest Seq the page covers), else 1.
pub fn history_finished(more: bool, floor: u64, oldest_live: Option<u64>) -> u8 {
    if more {
        0
    } else if floor > 1 && oldest_live.is_none_or(|oldest| oldest > 1) {
        2
    } else {
        1
    }
}

/// `add_subscriber` / `delete_subscriber` per-entry `Result`.
pub const RESULT_FAILED: u8 = 0;
pub const RESULT_DONE: u8 = 1;
/// Already subscribed (add) or was not subscribed (delete).
pub const RESULT_UNCHANGED: u8 = 2;

fn invalid(info: impl Into<String>) -> Error {
    Error::new(ErrorCode::GroupInvalidParameter, info)
}

/// 10010 for an official account the app does not have (or destroyed).
pub fn not_found(id: &str) -> Error {
    Error::new(
        ErrorCode::GroupNotFound,
        format!("official account {id:?} does not exist"),
    )
}

/// A stored official account with its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialAccount {
    pub id: String,
    pub owner: String,
    pub info: BaseInfo,
    pub max_subscribers: u64,
    pub subscribers: u64,
    pub created: i64,
    /// 0 before the first message.
    pub last_msg_time: i64,
    /// The Seq of the last message (0: none yet).
    pub seq: u64,
}

/// The read/write text fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseInfo {
    pub name: String,
    pub introduction: String,
    pub face_url: String,
    pub organization: String,
    pub custom: String,
}

/// A modify request: only the present fields change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseInfoEdit {
    pub name: Option<String>,
    pub introduction: Option<String>,
    pub face_url: Option<String>,
    pub organization: Option<String>,
    pub custom: Option<String>,
    pub max_subscribers: Option<u64>,
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.len() > max {
        return Err(invalid(format!(
            "{field} is {} bytes; at most {max} are allowed",
            value.len()
        )));
    }
    Ok(())
}

impl BaseInfoEdit {
    /// 10004 for a value over its limit, an empty name or a zero subscriber limit.
    pub fn check(&self) -> Result<(), Error> {
        if let Some(name) = &self.name {
            if name.is_empty() {
                return Err(invalid("Name must not be empty"));
            }
            check_len("Name", name, MAX_NAME_BYTES)?;
        }
        let fields = [
            ("Introduction", &self.introduction, MAX_INTRODUCTION_BYTES),
            ("FaceUrl", &self.face_url, MAX_FACE_URL_BYTES),
            ("Organization", &self.organization, MAX_ORGANIZATION_BYTES),
            ("CustomString", &self.custom, MAX_CUSTOM_BYTES),
        ];
        for (field, value, max) in fields {
            if let Some(v) = value {
                check_len(field, v, max)?;
            }
        }
        if self.max_subscribers == Some(0) {
            return Err(invalid("MaxSubscriberNum must be positive"));
        }
        Ok(())
    }

    /// The info after the edit.
    pub fn applied(&self, mut info: BaseInfo) -> BaseInfo {
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                slot.clone_from(v);
            }
        };
        set(&mut info.name, &self.name);
        set(&mut info.introduction, &self.introduction);
        set(&mut info.face_url, &self.face_url);
        set(&mut info.organization, &self.organization);
        set(&mut info.custom, &self.custom);
        info
    }
}

/// A custom ID: the prefix, at most 48 bytes, printable ASCII (10004 otherwise).
pub fn check_custom_id(id: &str) -> Result<(), Error> {
    if !id.starts_with(ID_PREFIX) || id.len() <= ID_PREFIX.len() {
        return Err(invalid(format!(
            "OfficialAccountUserID {id:?} must start with {ID_PREFIX:?} and have more after it"
        )));
    }
    check_len("OfficialAccountUserID", id, MAX_ID_BYTES)?;
    if id.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(invalid(format!(
            "OfficialAccountUserID {id:?} must be printable ASCII without spaces"
        )));
    }
    Ok(())
}

/// A generated ID: the prefix and 9 upper-case letters or digits (inferred from the
/// samples' form).
pub fn generated_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let tail: String = (0..9)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{ID_PREFIX}{tail}")
}

/// A message's key: `"{Seq}_1_{ServerTime}"` (documented form).
pub fn msg_key(seq: u64, time: i64) -> String {
    format!("{seq}_1_{time}")
}

/// The Seq of a key this server handed out, `None` for anything else.
pub fn parse_msg_key(key: &str) -> Option<(u64, i64)> {
    let mut parts = key.split('_');
    let (seq, one, time) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || one != "1" {
        return None;
    }
    let digits = |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(seq) && digits(time)) {
        return None;
    }
    Some((seq.parse().ok()?, time.parse().ok()?))
}

/// A subscriber record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub user: String,
    pub subscribe_time: i64,
    pub custom: String,
    pub msg_flag: String,
    /// 0 when the subscriber never sent to the account.
    pub last_send: i64,
}

/// add_subscriber's decision, per requested user in order: `existing[i]` whether the user
/// already subscribes, `imported[i]` whether the account exists. New subscriptions beyond
/// `max - current` fail (Result 0), as do unknown accounts and repeats within the request.
pub fn decide_add_subscribers(
    users: &[String],
    existing: &[bool],
    imported: &[bool],
    current: u64,
    max: u64,
) -> Vec<u8> {
    let mut room = max.saturating_sub(current);
    let mut seen = std::collections::HashSet::new();
    users
        .iter()
        .zip(existing.iter().zip(imported))
        .map(|(user, (&existing, &imported))| {
            if existing {
                RESULT_UNCHANGED
            } else if !imported || room == 0 || !seen.insert(user.as_str()) {
                RESULT_FAILED
            } else {
                room -= 1;
                RESULT_DONE
            }
        })
        .collect()
}

/// A stored message of an official account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialMsg {
    pub seq: u64,
    pub random: u32,
    pub time: i64,
    /// The `MsgBody` as sent.
    pub body: String,
    pub cloud_custom_data: Option<String>,
    pub recalled: bool,
}

impl OfficialMsg {
    pub fn key(&self) -> String {
        msg_key(self.seq, self.time)
    }
}

/// A broadcast as the handler checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOfficialMsg {
    pub random: u32,
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// `OnlineOnlyFlag` 1: delivered to online subscribers only, stored nowhere.
    pub online_only: bool,
    pub now: i64,
    /// The REST caller: the callbacks' `Operator_Account`.
    pub operator: String,
    /// Whether `OfficialAccount.CallbackAfterSendMsg` is to be sent (not forbidden by
    /// `ForbidCallbackControl`; the app still has to want it).
    pub after_callback: bool,
}

impl NewOfficialMsg {
    /// The fields Before- and AfterSendMsg share (inferred, as the group send's).
    pub fn callback_fields(&self, id: &str) -> serde_json::Value {
        let mut v = serde_json::json!({
            "Official_Account": id,
            "Operator_Account": self.operator,
            "Random": self.random,
            "OnlineOnlyFlag": u8::from(self.online_only),
            "MsgBody": crate::callback::body_value(&self.body),
        });
        if let Some(data) = &self.cloud_custom_data {
            v["CloudCustomData"] = data.as_str().into();
        }
        v
    }
}

/// An `OfficialAccount.*` after-event: `fields` (an object, `Official_Account` among them),
/// in the account's ordering.
pub fn event(command: &'static str, id: &str, fields: serde_json::Value) -> crate::callback::Event {
    crate::callback::Event::new(command, crate::callback::official_ordering(id), fields)
}

/// The account's base fields as the create and info-changed callbacks carry them (inferred:
/// the names of `get_official_account_info`).
pub fn info_fields(id: &str, owner: &str, info: &BaseInfo, max: u64) -> serde_json::Value {
    serde_json::json!({
        "Official_Account": id,
        "Owner_Account": owner,
        "Name": info.name,
        "Introduction": info.introduction,
        "FaceUrl": info.face_url,
        "Organization": info.organization,
        "CustomString": info.custom,
        "MaxSubscriberNum": max,
    })
}

/// What a broadcast decides: a duplicate of a message of the last five minutes with the same
/// body and `Random` answers that message (`Err`); otherwise the new message's Seq.
pub fn decide_send(
    head_seq: u64,
    recent: &[OfficialMsg],
    msg: &NewOfficialMsg,
) -> Result<u64, OfficialMsg> {
    if let Some(dup) = recent
        .iter()
        .find(|m| m.random == msg.random && m.body == msg.body && msg.now - m.time < DUPLICATE_SECS)
    {
        return Err(dup.clone());
    }
    Ok(head_seq + 1)
}

/// What a broadcast answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialSent {
    pub seq: u64,
    pub time: i64,
    pub duplicate: bool,
}

impl OfficialSent {
    pub fn key(&self) -> String {
        msg_key(self.seq, self.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_foreign_keys_do_not_parse() {
        assert_eq!(msg_key(71, 1698741698), "71_1_1698741698");
        assert_eq!(parse_msg_key("71_1_1698741698"), Some((71, 1698741698)));
        for bad in ["71_2_1", "71_1", "a_1_2", "1_1_2_3", ""] {
            assert_eq!(parse_msg_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn msg_flags_and_finished() {
        assert!(check_msg_flag("AcceptNotNotify").is_ok());
        assert_eq!(
            check_msg_flag("accept").unwrap_err().code,
            ErrorCode::GroupInvalidParameter
        );
        assert!(delivers("AcceptNotNotify") && !delivers("Discard"));
        assert_eq!(history_finished(true, 5, Some(1)), 0);
        // Everything older than Seq 5 expired (swept or not).
        assert_eq!(history_finished(false, 5, Some(5)), 2);
        assert_eq!(history_finished(false, 5, None), 2);
        assert_eq!(history_finished(false, 1, Some(1)), 1);
        assert_eq!(history_finished(false, 3, Some(1)), 1);
    }

    #[test]
    fn ids() {
        assert!(check_custom_id("@TOA#_news").is_ok());
        assert!(check_custom_id("@TOA#_").is_err());
        assert!(check_custom_id("news").is_err());
        assert!(check_custom_id(&format!("@TOA#_{}", "x".repeat(43))).is_err());
        let id = generated_id();
        assert!(check_custom_id(&id).is_ok() && id.len() == ID_PREFIX.len() + 9);
    }

    #[test]
    fn subscribers_beyond_the_limit_fail() {
        let users: Vec<String> = ["a", "b", "c", "a", "d"].map(String::from).into();
        let got = decide_add_subscribers(
            &users,
            &[false, true, false, false, false],
            &[true, true, true, true, false],
            0,
            1,
        );
        assert_eq!(
            got,
            [
                RESULT_DONE,
                RESULT_UNCHANGED,
                RESULT_FAILED,
                RESULT_FAILED,
                0
            ]
        );
    }

    #[test]
    fn duplicates_need_the_same_body_and_random_within_five_minutes() {
        let old = OfficialMsg {
            seq: 3,
            random: 7,
            time: 1000,
            body: "[1]".into(),
            cloud_custom_data: None,
            recalled: false,
        };
        let msg = |random, now| NewOfficialMsg {
            random,
            body: "[1]".into(),
            cloud_custom_data: None,
            online_only: false,
            now,
            operator: "admin".into(),
            after_callback: true,
        };
        assert_eq!(
            decide_send(3, std::slice::from_ref(&old), &msg(7, 1100)),
            Err(old.clone())
        );
        assert_eq!(
            decide_send(3, std::slice::from_ref(&old), &msg(8, 1100)),
            Ok(4)
        );
        assert_eq!(decide_send(3, &[old], &msg(7, 1300)), Ok(4));
    }
}
