//! Third-party callbacks (webhooks): the commands timber sends, the payloads of the events the
//! store records in its outbox, and how an app's answer to a before-callback decides.
//! spec: callbacks.md.
//!
//! An after-event is built here, as the JSON body the app receives, by the store operation
//! that makes the change (in the same transaction: `timber_store`'s outbox). A before-callback
//! is asked by the HTTP layer before the store is touched; [`decide`] turns its answer into a
//! [`Verdict`]. Pure: no IO.

use crate::group::GroupType;
use crate::{Error, ErrorCode};
use serde_json::{json, Map, Value};

/// Every callback command timber sends (callbacks.md §6), the before-callbacks first. An app
/// whose `callbacks` list is absent gets all of them.
pub const COMMANDS: &[&str] = &[
    C2C_BEFORE_SEND,
    GROUP_BEFORE_SEND,
    GROUP_BEFORE_CREATE,
    GROUP_BEFORE_INVITE,
    GROUP_BEFORE_APPLY_JOIN,
    OFFICIAL_BEFORE_CREATE,
    OFFICIAL_BEFORE_SEND,
    OFFICIAL_BEFORE_ADD_SUBSCRIBER,
    STATE_CHANGE,
    C2C_AFTER_SEND,
    C2C_AFTER_REPORT,
    C2C_AFTER_WITHDRAW,
    GROUP_AFTER_CREATE,
    GROUP_AFTER_DESTROYED,
    GROUP_AFTER_NEW_MEMBER,
    GROUP_AFTER_MEMBER_EXIT,
    GROUP_AFTER_FULL,
    GROUP_AFTER_SEND,
    GROUP_AFTER_RECALL,
    GROUP_AFTER_INFO_CHANGED,
    GROUP_AFTER_MEMBER_FIELD,
    GROUP_AFTER_OWNER,
    GROUP_AFTER_ATTR_CHANGED,
    GROUP_AFTER_READ_RECEIPT,
    GROUP_ON_MEMBER_STATE_CHANGE,
    PROFILE_AFTER_SET,
    SNS_FRIEND_ADD,
    SNS_FRIEND_DELETE,
    SNS_BLACKLIST_ADD,
    SNS_BLACKLIST_DELETE,
    FOLLOW_ADD,
    FOLLOW_DELETE,
    GROUP_BEFORE_CREATE_TOPIC,
    GROUP_AFTER_CREATE_TOPIC,
    GROUP_AFTER_TOPIC_INFO_CHANGED,
    GROUP_AFTER_TOPIC_DESTROYED,
    GROUP_AFTER_MSG_EXTENSION,
    C2C_AFTER_MSG_EXTENSION,
    ALERT_REQUEST_OVER_LIMIT,
    OFFICIAL_AFTER_CREATE,
    OFFICIAL_AFTER_DESTROYED,
    OFFICIAL_AFTER_INFO_CHANGED,
    OFFICIAL_AFTER_FULL,
    OFFICIAL_AFTER_DELETE_SUBSCRIBER,
    OFFICIAL_AFTER_SEND,
    OFFICIAL_AFTER_ADD_SUBSCRIBER,
    OFFICIAL_AFTER_WITHDRAW,
];

/// Official accounts (push-and-operations.md §5): the documented names; the triggers and
/// payloads are inferred where §5 marks them so, the delete-subscriber payload documented.
pub const OFFICIAL_BEFORE_CREATE: &str = "OfficialAccount.CallbackBeforeCreateOfficialAccount";
pub const OFFICIAL_AFTER_CREATE: &str = "OfficialAccount.CallbackAfterCreateOfficialAccount";
pub const OFFICIAL_AFTER_DESTROYED: &str = "OfficialAccount.CallbackAfterOfficialAccountDestroyed";
pub const OFFICIAL_AFTER_INFO_CHANGED: &str =
    "OfficialAccount.CallbackAfterOfficialAccountInfoChanged";
pub const OFFICIAL_AFTER_FULL: &str = "OfficialAccount.CallbackAfterOfficialAccountFull";
pub const OFFICIAL_AFTER_DELETE_SUBSCRIBER: &str = "OfficialAccount.CallbackAfterDeleteSubscriber";
pub const OFFICIAL_BEFORE_SEND: &str = "OfficialAccount.CallbackBeforeSendMsg";
pub const OFFICIAL_AFTER_SEND: &str = "OfficialAccount.CallbackAfterSendMsg";
/// add_subscriber (push-and-operations.md §5.7: inferred REST triggers): the before-callback
/// may refuse the whole call; the after-event names those added (the delete event's shape).
pub const OFFICIAL_BEFORE_ADD_SUBSCRIBER: &str = "OfficialAccount.CallbackBeforeAddSubscriber";
pub const OFFICIAL_AFTER_ADD_SUBSCRIBER: &str = "OfficialAccount.CallbackAfterAddSubscriber";
/// official_account_msg_recall (§5.12, inferred trigger): the keys recalled.
pub const OFFICIAL_AFTER_WITHDRAW: &str = "OfficialAccount.CallbackAfterMsgWithDraw";

/// The events of one official account are delivered in order.
pub fn official_ordering(id: &str) -> String {
    format!("o:{id}")
}

/// Community topics and message extensions (groups-more.md §10).
pub const GROUP_BEFORE_CREATE_TOPIC: &str = "Group.CallbackBeforeCreateTopic";
pub const GROUP_AFTER_CREATE_TOPIC: &str = "Group.CallbackAfterCreateTopic";
pub const GROUP_AFTER_TOPIC_INFO_CHANGED: &str = "Group.CallbackAfterTopicInfoChanged";
pub const GROUP_AFTER_TOPIC_DESTROYED: &str = "Group.CallbackAfterTopicDestroyed";
pub const GROUP_AFTER_MSG_EXTENSION: &str = "Group.CallbackAfterGroupMsgExtension";
pub const C2C_AFTER_MSG_EXTENSION: &str = "C2C.CallbackAfterC2CMsgExtension";

pub const C2C_BEFORE_SEND: &str = "C2C.CallbackBeforeSendMsg";
pub const GROUP_BEFORE_SEND: &str = "Group.CallbackBeforeSendMsg";
pub const GROUP_BEFORE_CREATE: &str = "Group.CallbackBeforeCreateGroup";
pub const GROUP_BEFORE_INVITE: &str = "Group.CallbackBeforeInviteJoinGroup";
pub const GROUP_BEFORE_APPLY_JOIN: &str = "Group.CallbackBeforeApplyJoinGroup";
pub const STATE_CHANGE: &str = "State.StateChange";
/// A command's calls reached 80% of its frequency limit (apps with `rate_limits = "cloud"`).
pub const ALERT_REQUEST_OVER_LIMIT: &str = "Alert.RequestOverLimit";
pub const C2C_AFTER_SEND: &str = "C2C.CallbackAfterSendMsg";
pub const C2C_AFTER_REPORT: &str = "C2C.CallbackAfterMsgReport";
pub const C2C_AFTER_WITHDRAW: &str = "C2C.CallbackAfterMsgWithDraw";
pub const GROUP_AFTER_CREATE: &str = "Group.CallbackAfterCreateGroup";
pub const GROUP_AFTER_DESTROYED: &str = "Group.CallbackAfterGroupDestroyed";
pub const GROUP_AFTER_NEW_MEMBER: &str = "Group.CallbackAfterNewMemberJoin";
pub const GROUP_AFTER_MEMBER_EXIT: &str = "Group.CallbackAfterMemberExit";
pub const GROUP_AFTER_FULL: &str = "Group.CallbackAfterGroupFull";
pub const GROUP_AFTER_SEND: &str = "Group.CallbackAfterSendMsg";
pub const GROUP_AFTER_RECALL: &str = "Group.CallbackAfterRecallMsg";
pub const GROUP_AFTER_INFO_CHANGED: &str = "Group.CallbackAfterGroupInfoChanged";
pub const GROUP_AFTER_MEMBER_FIELD: &str = "Group.CallbackAfterMemberFieldChanged";
pub const GROUP_AFTER_OWNER: &str = "Group.CallbackAfterChangeGroupOwner";
/// After modify/set/delete/clear_group_attr (groups-more.md §3.7).
pub const GROUP_AFTER_ATTR_CHANGED: &str = "Group.CallbackAfterGroupAttrChanged";
/// After the SDK-only group_msg_receipt marks messages read (groups-more.md §6.4, inferred).
pub const GROUP_AFTER_READ_RECEIPT: &str = "Group.CallbackAfterReadReceipt";
/// An AVChatRoom member came online in the room or went offline (callbacks.md §6.3).
pub const GROUP_ON_MEMBER_STATE_CHANGE: &str = "Group.CallbackOnMemberStateChange";
/// After portrait_set (profiles.md §4); not after an account import (inferred).
pub const PROFILE_AFTER_SET: &str = "Profile.CallbackPortraitSet";
/// After friend_add (not friend_import; relationships.md §24).
pub const SNS_FRIEND_ADD: &str = "Sns.CallbackFriendAdd";
/// After friend_delete (not friend_delete_all, documented).
pub const SNS_FRIEND_DELETE: &str = "Sns.CallbackFriendDelete";
pub const SNS_BLACKLIST_ADD: &str = "Sns.CallbackBlackListAdd";
/// After black_list_delete (inferred by symmetry, relationships.md §24).
pub const SNS_BLACKLIST_DELETE: &str = "Sns.CallbackBlackListDelete";
pub const FOLLOW_ADD: &str = "Follow.CallbackAfterFollowAdd";
/// After follow_delete (the shape inferred from the add page, relationships.md §24).
pub const FOLLOW_DELETE: &str = "Follow.CallbackAfterFollowDelete";

/// The `PairList` of a relationship callback: `from` → each of `to`, and with `both` each of
/// `to` → `from` too (one pair per directed entry written or removed; inferred).
pub fn pairs(from: &str, to: &[&str], both: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = to.iter().map(|t| (from.into(), (*t).into())).collect();
    if both {
        out.extend(to.iter().map(|t| ((*t).into(), from.into())));
    }
    out
}

/// Sns.CallbackFriendDelete, BlackListAdd, BlackListDelete: `PairList` only (§24). The
/// ordering is the requester's account.
pub fn sns_pairs_event(command: &'static str, pairs: &[(String, String)]) -> Event {
    let list: Vec<Value> = pairs
        .iter()
        .map(|(f, t)| json!({"From_Account": f, "To_Account": t}))
        .collect();
    let owner = pairs.first().map(|p| p.0.as_str()).unwrap_or_default();
    Event::new(command, user_ordering(owner), json!({"PairList": list}))
}

/// Sns.CallbackFriendAdd of a REST friend_add by `admin`: a pair per entry written, each
/// initiated by `from` (§24).
pub fn friend_add_event(admin: &str, from: &str, added: &[&str], both: bool, force: bool) -> Event {
    let list: Vec<Value> = pairs(from, added, both)
        .iter()
        .map(|(f, t)| json!({"From_Account": f, "To_Account": t, "Initiator_Account": from}))
        .collect();
    Event::new(
        SNS_FRIEND_ADD,
        user_ordering(from),
        json!({"PairList": list, "ClientCmd": "friend_add", "Admin_Account": admin,
               "ForceFlag": u8::from(force)}),
    )
}

/// Follow.CallbackAfterFollowAdd / AfterFollowDelete: `From_Account` and `FollowList` (§24).
pub fn follow_event(command: &'static str, from: &str, to: &[&str]) -> Event {
    let list: Vec<Value> = to.iter().map(|t| json!({"To_Account": t})).collect();
    Event::new(
        command,
        user_ordering(from),
        json!({"From_Account": from, "FollowList": list}),
    )
}

/// Unix time in milliseconds: `EventTime`.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One after-event, as the outbox keeps it until it is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub command: &'static str,
    /// Events of one ordering are delivered one after the other, in the order they happened:
    /// the group (`g:<GroupId>`), the conversation (`c:<lo>|<hi>`) or the account
    /// (`u:<UserID>`) they belong to.
    pub ordering: String,
    /// The JSON body, `CallbackCommand` and `EventTime` included.
    pub body: String,
}

impl Event {
    /// `fields` (a JSON object) with `CallbackCommand` first and `EventTime` (now) last.
    pub fn new(command: &'static str, ordering: String, fields: Value) -> Event {
        let mut body = Map::new();
        body.insert("CallbackCommand".into(), command.into());
        if let Value::Object(fields) = fields {
            body.extend(fields);
        }
        body.insert("EventTime".into(), now_millis().into());
        Event {
            command,
            ordering,
            body: Value::Object(body).to_string(),
        }
    }
}

pub fn group_ordering(group_id: &str) -> String {
    format!("g:{group_id}")
}

/// Both directions of a conversation share one ordering.
pub fn c2c_ordering(a: &str, b: &str) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("c:{lo}|{hi}")
}

pub fn user_ordering(user: &str) -> String {
    format!("u:{user}")
}

/// A stored `MsgBody` (JSON text the HTTP layer checked) as a value to embed.
pub fn body_value(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Array(Vec::new()))
}

/// `[{"Member_Account": …}, …]`.
pub fn member_list<'a>(accounts: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(
        accounts
            .into_iter()
            .map(|a| json!({ "Member_Account": a }))
            .collect(),
    )
}

/// The fields of a group message that Group.CallbackBeforeSendMsg and AfterSendMsg share
/// (callbacks.md §6.3). `body` is the MsgBody as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMsgFields<'a> {
    pub group_id: &'a str,
    pub ty: GroupType,
    pub from: &'a str,
    pub operator: &'a str,
    pub random: u32,
    pub online_only: bool,
    pub body: &'a str,
    pub cloud_custom_data: Option<&'a str>,
}

impl GroupMsgFields<'_> {
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "GroupId": self.group_id,
            "Type": self.ty.as_str(),
            "From_Account": self.from,
            "Operator_Account": self.operator,
            "Random": self.random,
            "OnlineOnlyFlag": u8::from(self.online_only),
            "MsgBody": body_value(self.body),
        });
        if let Some(data) = self.cloud_custom_data {
            v["CloudCustomData"] = data.into();
        }
        v
    }
}

/// The fields of a one-to-one message that C2C.CallbackBeforeSendMsg and AfterSendMsg share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2cMsgFields<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub seq: u32,
    pub random: u32,
    pub time: i64,
    pub key: &'a str,
    pub msg_id: &'a str,
    pub online_only: bool,
    pub body: &'a str,
    pub cloud_custom_data: Option<&'a str>,
}

impl C2cMsgFields<'_> {
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "From_Account": self.from,
            "To_Account": self.to,
            "MsgSeq": self.seq,
            "MsgRandom": self.random,
            "MsgTime": self.time,
            "MsgKey": self.key,
            "MsgId": self.msg_id,
            "OnlineOnlyFlag": u8::from(self.online_only),
            "MsgBody": body_value(self.body),
        });
        if let Some(data) = self.cloud_custom_data {
            v["CloudCustomData"] = data.into();
        }
        v
    }
}

/// Which before-callback an answer belongs to: each refuses with its own code and accepts its
/// own range of app-defined codes (callbacks.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeforeKind {
    C2cSend,
    GroupSend,
    CreateGroup,
    InviteJoin,
    /// A member's own request to join (members.md `joinGroup`): asked before the member is
    /// added or the application recorded.
    ApplyJoin,
    /// `Group.CallbackBeforeCreateTopic` (groups-more.md §10).
    CreateTopic,
    /// `OfficialAccount.CallbackBeforeCreateOfficialAccount` (push-and-operations.md §5.2).
    CreateOfficial,
    /// `OfficialAccount.CallbackBeforeSendMsg` (§5.11): may refuse, drop or modify.
    OfficialSend,
    /// `OfficialAccount.CallbackBeforeAddSubscriber` (§5.7, inferred): may refuse.
    AddSubscriber,
}

impl BeforeKind {
    pub const fn command(self) -> &'static str {
        match self {
            BeforeKind::C2cSend => C2C_BEFORE_SEND,
            BeforeKind::GroupSend => GROUP_BEFORE_SEND,
            BeforeKind::CreateGroup => GROUP_BEFORE_CREATE,
            BeforeKind::InviteJoin => GROUP_BEFORE_INVITE,
            BeforeKind::ApplyJoin => GROUP_BEFORE_APPLY_JOIN,
            BeforeKind::CreateTopic => GROUP_BEFORE_CREATE_TOPIC,
            BeforeKind::CreateOfficial => OFFICIAL_BEFORE_CREATE,
            BeforeKind::OfficialSend => OFFICIAL_BEFORE_SEND,
            BeforeKind::AddSubscriber => OFFICIAL_BEFORE_ADD_SUBSCRIBER,
        }
    }

    /// The code a caller gets for a refusal (ErrorCode 1), and under the `deny` policy. The
    /// official-account kinds share the group family's codes, as the service's other codes do
    /// (inferred).
    pub const fn refusal(self) -> ErrorCode {
        match self {
            BeforeKind::C2cSend => ErrorCode::C2cRefusedByCallback,
            _ => ErrorCode::GroupRefusedByCallback,
        }
    }

    /// The app-defined codes that are passed through to the caller. The range of invite and
    /// apply is inferred from the group send's (callbacks.md §5).
    const fn custom_codes(self) -> std::ops::RangeInclusive<i64> {
        match self {
            BeforeKind::C2cSend => 120_001..=130_000,
            _ => 10_100..=10_200,
        }
    }

    /// Only message sends may be dropped silently (ErrorCode 2).
    const fn may_drop(self) -> bool {
        matches!(
            self,
            BeforeKind::C2cSend | BeforeKind::GroupSend | BeforeKind::OfficialSend
        )
    }
}

/// What a before-callback decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Go on, with the app's replacements (message sends only) and the accounts it refused
    /// (invites only).
    Allow {
        msg_body: Option<Value>,
        cloud_custom_data: Option<String>,
        refused_members: Vec<String>,
    },
    /// Answer success and do nothing (ErrorCode 2 of a message send).
    Drop,
    /// Answer this error and do nothing.
    Refuse(Error),
}

impl Verdict {
    pub fn allow() -> Verdict {
        Verdict::Allow {
            msg_body: None,
            cloud_custom_data: None,
            refused_members: Vec::new(),
        }
    }
}

/// What the app's answer to a before-callback decides (callbacks.md §5). `answer` is its JSON
/// body; `Err` when the callback failed (§3's failure conditions, a body that is not an object
/// or has no integer `ErrorCode`), which `deny_on_failure` turns into the refusal code and
/// otherwise lets the event through (§4).
///
/// Choices where the docs are silent: a code outside 0, 1, 2 and the kind's app-defined range
/// refuses with the kind's refusal code; 2 for a kind that cannot be dropped refuses too; an
/// app-defined code is answered with the app's `ErrorInfo` (its own meaning when empty). A
/// replacement `MsgBody` that is not a non-empty array is ignored.
pub fn decide(kind: BeforeKind, answer: Result<&Value, ()>, deny_on_failure: bool) -> Verdict {
    let refuse = |info: String| Verdict::Refuse(Error::new(kind.refusal(), info));
    let Ok(answer) = answer else {
        return if deny_on_failure {
            refuse("the app's callback failed and the app denies on failure".into())
        } else {
            Verdict::allow()
        };
    };
    let info = answer
        .get("ErrorInfo")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    match answer.get("ErrorCode").and_then(Value::as_i64) {
        Some(0) => Verdict::Allow {
            msg_body: answer
                .get("MsgBody")
                .filter(|b| b.as_array().is_some_and(|a| !a.is_empty()))
                .cloned(),
            cloud_custom_data: answer
                .get("CloudCustomData")
                .and_then(Value::as_str)
                .map(str::to_owned),
            refused_members: answer
                .get("RefusedMembers_Account")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        },
        Some(2) if kind.may_drop() => Verdict::Drop,
        Some(code) if kind.custom_codes().contains(&code) => {
            let code = ErrorCode::AppDefined(code as u32);
            let info = if info.is_empty() {
                code.meaning().to_owned()
            } else {
                info
            };
            Verdict::Refuse(Error::new(code, info))
        }
        Some(_) => refuse(if info.is_empty() {
            kind.refusal().meaning().to_owned()
        } else {
            info
        }),
        None if deny_on_failure => refuse("the app's callback answered no ErrorCode".into()),
        None => Verdict::allow(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(v: Value) -> Verdict {
        decide(BeforeKind::GroupSend, Ok(&v), false)
    }

    #[test]
    fn answers_decide_as_documented() {
        assert_eq!(answer(json!({"ErrorCode": 0})), Verdict::allow());
        assert_eq!(answer(json!({"ErrorCode": 2})), Verdict::Drop);
        let Verdict::Refuse(e) = answer(json!({"ErrorCode": 1})) else {
            panic!()
        };
        assert_eq!(e.code.code(), 10016);
        let Verdict::Refuse(e) = answer(json!({"ErrorCode": 10150, "ErrorInfo": "no"})) else {
            panic!()
        };
        assert_eq!((e.code.code(), e.info.as_str()), (10150, "no"));
        let v = json!({"ErrorCode": 130000});
        let Verdict::Refuse(e) = decide(BeforeKind::C2cSend, Ok(&v), false) else {
            panic!()
        };
        assert_eq!(e.code.code(), 130000);
        let v = json!({"ErrorCode": 2});
        let Verdict::Refuse(e) = decide(BeforeKind::CreateGroup, Ok(&v), false) else {
            panic!()
        };
        assert_eq!(e.code.code(), 10016);
    }

    #[test]
    fn failure_follows_the_policy() {
        assert_eq!(
            decide(BeforeKind::C2cSend, Err(()), false),
            Verdict::allow()
        );
        let Verdict::Refuse(e) = decide(BeforeKind::C2cSend, Err(()), true) else {
            panic!()
        };
        assert_eq!(e.code.code(), 20006);
    }

    #[test]
    fn conversations_share_one_ordering() {
        assert_eq!(c2c_ordering("b", "a"), c2c_ordering("a", "b"));
    }
}
