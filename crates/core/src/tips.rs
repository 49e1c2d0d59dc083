//! Group tips: the notices that group-management calls store in a group's history, where they
//! take the next MsgSeq like any message (groups.md §6, group-messages.md §1.2).
//!
//! The documentation never shows a stored tip, so their body is our choice (inferred): one
//! `TIMCustomElem` whose `Data` is a small JSON object naming the tip and its details, with
//! `Ext` = `"GroupTip"`. A custom element is what every client library already accepts.

use serde::Serialize;

/// What happened, as stored in the tip's `Data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "GroupTip")]
pub enum Tip {
    MembersJoined {
        #[serde(rename = "Members")]
        members: Vec<String>,
    },
    MembersRemoved {
        #[serde(rename = "Members")]
        members: Vec<String>,
    },
    /// Name, Introduction, Notification or FaceUrl changed (only these are stored by default).
    ProfileChanged {
        #[serde(rename = "Fields")]
        fields: Vec<String>,
    },
    OwnerChanged {
        #[serde(rename = "NewOwner")]
        new_owner: String,
    },
    /// A member was made admin or member, or muted or unmuted.
    MemberChanged {
        #[serde(rename = "Member")]
        member: String,
        #[serde(rename = "Role", skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        #[serde(rename = "MuteUntil", skip_serializing_if = "Option::is_none")]
        mute_until: Option<i64>,
    },
}

impl Tip {
    /// The tip as a `MsgBody` JSON text.
    pub fn body(&self) -> String {
        let data = serde_json::to_string(self).unwrap_or_default();
        serde_json::json!([{
            "MsgType": "TIMCustomElem",
            "MsgContent": {"Data": data, "Desc": "", "Ext": "GroupTip", "Sound": ""}
        }])
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tip_body_is_a_valid_msg_body() {
        let tip = Tip::MembersJoined {
            members: vec!["a".into()],
        };
        let body: serde_json::Value = serde_json::from_str(&tip.body()).unwrap();
        crate::message::validate_msg_body(&body).unwrap();
        let data = body[0]["MsgContent"]["Data"].as_str().unwrap();
        assert_eq!(data, r#"{"GroupTip":"MembersJoined","Members":["a"]}"#);
    }
}
