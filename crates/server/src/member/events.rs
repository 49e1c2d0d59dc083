//! Events (members.md §4): the JSON-RPC notifications a committed change becomes. Each is
//! serialized once, whatever the number of connections it goes to.

use super::hub::Outgoing;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::sync::Arc;
use timber_core::member::{C2cMsg, Change, GroupMsg, OfficialMsg};

/// A notification frame: `{"jsonrpc":"2.0","method":…,"params":…}`.
pub fn notification(method: &str, params: Value) -> Outgoing {
    let text = json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string();
    Outgoing::Text(Arc::new(text.into()))
}

/// A notification with empty params (`onKickedOffline`, `onUserSigExpired`).
pub fn notice(method: &str) -> Outgoing {
    notification(method, json!({}))
}

/// A stored JSON text as a value; a damaged one (it never is: bodies are checked on the way
/// in) becomes `[]`.
pub fn raw_json(text: &str) -> Value {
    serde_json::from_str::<&RawValue>(text)
        .ok()
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_else(|| json!([]))
}

/// A group message as group_msg_get_simple shows it.
pub fn group_msg_json(m: &GroupMsg) -> Value {
    let mut v = json!({
        "From_Account": m.from,
        "MsgSeq": m.seq,
        "MsgRandom": m.random,
        "MsgTimeStamp": m.time,
        "MsgPriority": m.priority,
        "MsgBody": raw_json(&m.body),
        "CloudCustomData": m.cloud_custom_data.as_deref().unwrap_or(""),
        "IsPlaceMsg": 0,
        "IsSystemMsg": u8::from(m.is_system),
    });
    if !m.to_accounts.is_empty() {
        v["To_Account"] = json!(m.to_accounts);
    }
    v
}

pub fn group_message(group_id: &str, m: &GroupMsg) -> Outgoing {
    let mut params = json!({"groupID": group_id, "message": group_msg_json(m)});
    if let Some(t) = &m.topic_id {
        params["topicID"] = json!(t);
    }
    notification("onRecvNewMessage", params)
}

/// A one-to-one message as admin_getroammsg shows it.
pub fn c2c_msg_json(m: &C2cMsg) -> Value {
    json!({
        "From_Account": m.from,
        "To_Account": m.to,
        "MsgSeq": m.seq,
        "MsgRandom": m.random,
        "MsgTimeStamp": m.time,
        "MsgKey": m.key,
        "MsgFlagBits": 0,
        "MsgBody": raw_json(&m.body),
        "CloudCustomData": m.cloud_custom_data.as_deref().unwrap_or(""),
    })
}

/// `onRecvNewMessage` of a one-to-one message, for the side whose peer is `peer`.
pub fn c2c_message(peer: &str, m: &C2cMsg) -> Outgoing {
    notification(
        "onRecvNewMessage",
        json!({"userID": peer, "message": c2c_msg_json(m)}),
    )
}

/// A recall or modification of a one-to-one message, for the side whose peer is `peer`.
pub fn c2c_edit(change: &Change, peer: &str) -> Outgoing {
    match change {
        Change::C2cWithdrawn { from, key, .. } => notification(
            "onRecvMessageRevoked",
            json!({"userID": peer, "msgKey": key, "operator": from}),
        ),
        Change::C2cModified {
            from,
            to,
            key,
            body,
            cloud_custom_data,
        } => {
            let mut message = json!({"From_Account": from, "To_Account": to, "MsgKey": key});
            if let Some(b) = body {
                message["MsgBody"] = raw_json(b);
            }
            if let Some(d) = cloud_custom_data {
                message["CloudCustomData"] = json!(d);
            }
            notification(
                "onRecvMessageModified",
                json!({"userID": peer, "message": message}),
            )
        }
        _ => notice("onConversationChanged"),
    }
}

/// A broadcast of an official account as official_account_msg_get_simple shows it, with
/// `MsgTime` (send_official_account_msg's name for the time) beside `MsgTimeStamp`.
pub fn official_msg_json(official_id: &str, m: &OfficialMsg) -> Value {
    json!({
        "From_Account": official_id,
        "MsgSeq": m.seq,
        "MsgRandom": m.random,
        "MsgTimeStamp": m.time,
        "MsgTime": m.time,
        "MsgKey": m.key,
        "MsgPriority": 2,
        "MsgBody": raw_json(&m.body),
        "CloudCustomData": m.cloud_custom_data.as_deref().unwrap_or(""),
        "IsPlaceMsg": 0,
        "IsSystemMsg": 0,
    })
}

fn user_list(accounts: &[String]) -> Value {
    Value::Array(accounts.iter().map(|a| json!({"userID": a})).collect())
}

/// The frame of a change whose audience is decided by the hub.
pub fn frame_of(change: &Change) -> Outgoing {
    match change {
        Change::GroupMessage { group_id, msg } => group_message(group_id, msg),
        // The hub sends one frame per room present members are in; this one names none.
        Change::Broadcast { msg } => group_message("", msg),
        Change::GroupRecalled {
            group_id,
            seqs,
            operator,
        } => notification(
            "onRecvMessageRevoked",
            json!({"groupID": group_id, "msgSeq": seqs.first(), "msgSeqList": seqs, "operator": operator}),
        ),
        Change::GroupModified {
            group_id,
            seq,
            body,
            cloud_custom_data,
        } => {
            let mut message = json!({"MsgSeq": seq});
            if let Some(b) = body {
                message["MsgBody"] = raw_json(b);
            }
            if let Some(d) = cloud_custom_data {
                message["CloudCustomData"] = json!(d);
            }
            notification(
                "onRecvMessageModified",
                json!({"groupID": group_id, "message": message}),
            )
        }
        Change::GroupCleared { group_id, upto } => notification(
            "onGroupHistoryCleared",
            json!({"groupID": group_id, "msgSeq": upto, "byAdmin": true}),
        ),
        Change::MemberClearedGroup { group_id, upto, .. } => notification(
            "onGroupHistoryCleared",
            json!({"groupID": group_id, "msgSeq": upto, "byAdmin": false}),
        ),
        Change::MemberClearedC2c {
            peer, upto_time, ..
        } => notification(
            "onConversationChanged",
            json!({"conversations": [{
                "conversationID": format!("c2c_{peer}"), "type": 1, "userID": peer,
                "clearTime": upto_time, "unreadCount": 0,
            }]}),
        ),
        Change::GroupReadChanged { group_id, .. } => notification(
            "onConversationChanged",
            json!({"conversations": [{
                "conversationID": format!("group_{group_id}"), "type": 2, "groupID": group_id,
            }]}),
        ),
        Change::C2cReadChanged { peer, .. } => notification(
            "onConversationChanged",
            json!({"conversations": [{
                "conversationID": format!("c2c_{peer}"), "type": 1, "userID": peer,
            }]}),
        ),
        Change::MembersJoined {
            group_id,
            accounts,
            operator,
        } => notification(
            "onMemberEnter",
            json!({"groupID": group_id, "memberList": user_list(accounts), "opUser": operator}),
        ),
        Change::MembersLeft {
            group_id,
            accounts,
            operator,
            kicked,
        } => {
            let method = if *kicked {
                "onMemberKicked"
            } else {
                "onMemberLeave"
            };
            let mut params = json!({"groupID": group_id, "memberList": user_list(accounts)});
            if *kicked {
                params["opUser"] = json!(operator);
            } else if let Some(a) = accounts.first() {
                params["member"] = json!({"userID": a});
            }
            notification(method, params)
        }
        Change::MemberInfoChanged { group_id, account } => notification(
            "onMemberInfoChanged",
            json!({"groupID": group_id, "changeInfoList": [{"userID": account}]}),
        ),
        Change::GroupInfoChanged { group_id, operator } => notification(
            "onGroupInfoChanged",
            json!({"groupID": group_id, "opUser": operator}),
        ),
        Change::GroupDismissed { group_id, operator } => notification(
            "onGroupDismissed",
            json!({"groupID": group_id, "opUser": operator}),
        ),
        Change::C2cMessage { msg } => c2c_message(&msg.from, msg),
        Change::C2cWithdrawn { from, .. } | Change::C2cModified { from, .. } => {
            c2c_edit(change, from)
        }
        Change::JoinApplication {
            group_id,
            applicant,
            message,
            ..
        } => notification(
            "onReceiveJoinApplication",
            json!({"groupID": group_id, "member": {"userID": applicant}, "opReason": message}),
        ),
        Change::SystemNotification {
            group_id, content, ..
        } => notification(
            "onRecvGroupSystemNotification",
            json!({"groupID": group_id, "content": content}),
        ),
        Change::RoomBanned {
            group_id,
            accounts,
            operator,
        } => notification(
            "onMemberKicked",
            json!({"groupID": group_id, "memberList": user_list(accounts), "opUser": operator}),
        ),
        Change::OfficialMessage { official_id, msg } => notification(
            "onRecvNewMessage",
            json!({"officialAccountID": official_id, "message": official_msg_json(official_id, msg)}),
        ),
        Change::OfficialRecalled {
            official_id,
            keys,
            operator,
        } => notification(
            "onRecvMessageRevoked",
            json!({"officialAccountID": official_id, "msgKey": keys.first(), "msgKeyList": keys,
                   "operator": operator}),
        ),
        Change::OfficialSubscribed { official_id, .. } => notification(
            "onOfficialAccountSubscribed",
            json!({"officialAccountID": official_id}),
        ),
        Change::OfficialUnsubscribed { official_id, .. } => notification(
            "onOfficialAccountUnsubscribed",
            json!({"officialAccountID": official_id}),
        ),
        Change::OfficialMsgFlag {
            official_id,
            msg_flag,
            ..
        } => notification(
            "onOfficialAccountMsgFlagChanged",
            json!({"officialAccountID": official_id, "msgFlag": msg_flag}),
        ),
        Change::OfficialDestroyed { official_id } => notification(
            "onOfficialAccountDeleted",
            json!({"officialAccountID": official_id}),
        ),
        Change::Kicked { .. } => notice("onKickedOffline"),
        Change::AccountDeleted { .. } => notice("onKickedOffline"),
    }
}

/// A change as the console's live feed shows it: `{"member": …, "frame": …}`, the member
/// frame the change becomes and, for a change only one member hears (a clear or read mark of
/// their own), that member.
pub fn observed(change: &Change) -> Arc<str> {
    let member = match change {
        Change::MemberClearedGroup { member, .. }
        | Change::MemberClearedC2c { member, .. }
        | Change::GroupReadChanged { member, .. }
        | Change::C2cReadChanged { member, .. } => Some(member.as_str()),
        Change::Kicked { account } | Change::AccountDeleted { account } => Some(account.as_str()),
        Change::OfficialMsgFlag { account, .. } => Some(account.as_str()),
        _ => None,
    };
    let frame = match frame_of(change) {
        Outgoing::Text(t) => t,
        Outgoing::Close(..) => Arc::new("null".into()),
    };
    let frame = frame.as_str();
    Arc::from(format!(r#"{{"member":{},"frame":{frame}}}"#, json!(member)))
}
