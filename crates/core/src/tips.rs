//! Group tips: the notices that group-management calls store in a group's history, where they
//! take the next MsgSeq like any message (groups.md §6, group-messages.md §1.2).
//!
//! The documentation never shows a stored tip, so their body is our choice (inferred): one
//! `TIMCustomElem` whose `Data` is a small JSON object naming the tip and its details, with
//! `Ext` = `"GroupTip"`. A custom element is what every client library already accepts.

use crate::group::GroupType;
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
    /// A member was made admin, or an admin made an ordinary member again.
    RoleChanged {
        #[serde(rename = "Member")]
        member: String,
        #[serde(rename = "Role")]
        role: String,
    },
    /// Members were muted for `MuteTime` seconds (0 = unmuted, 4294967295 = for ever).
    MembersMuted {
        #[serde(rename = "Members")]
        members: Vec<String>,
        #[serde(rename = "MuteTime")]
        mute_time: u64,
    },
}

impl Tip {
    /// Whether the tip is stored in the history of a group of type `ty` (and so takes a
    /// MsgSeq) with the console's default switches (groups.md §1.2, §6). Mute-all and
    /// join-option changes are never stored, so they have no variant here.
    pub fn is_stored_in(&self, ty: GroupType) -> bool {
        match self {
            Tip::MembersJoined { .. }
            | Tip::MembersRemoved { .. }
            | Tip::RoleChanged { .. }
            | Tip::MembersMuted { .. } => ty.stores_member_tips(),
            Tip::ProfileChanged { .. } | Tip::OwnerChanged { .. } => ty.stores_profile_tips(),
        }
    }

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

    #[test]
    fn which_tips_are_stored_per_type() {
        use GroupType::*;
        let member = Tip::MembersMuted {
            members: vec!["a".into()],
            mute_time: 60,
        };
        let profile = Tip::OwnerChanged {
            new_owner: "a".into(),
        };
        // (type, member tip stored, profile tip stored), groups.md §6.
        let table = [
            (Private, true, true),
            (Public, true, true),
            (ChatRoom, false, true),
            (AVChatRoom, false, false),
            (Community, true, true),
        ];
        for (ty, m, p) in table {
            assert_eq!(member.is_stored_in(ty), m, "{ty:?} member tip");
            assert_eq!(profile.is_stored_in(ty), p, "{ty:?} profile tip");
        }
    }
}
