//! Members (members.md): the changes a committed write announces to connected members, and
//! the small rules of the member protocol that are not the REST API's. Pure: the hub that
//! delivers them is `timber_server::member`, the store publishes them after commit.
//!
//! A [`Change`] says what committed, in the store's words; who may see it (members of the
//! group, targets of a targeted message, both sides of a conversation) is decided when it is
//! delivered, from the hub's view of who is connected. A change carries what the events need
//! so that delivering it reads nothing: a send with no member connected costs one atomic load
//! (`ChangeSink::active`), and one with members connected no read either.

use crate::AppId;

mod view;
pub use view::*;

/// A group message as it was committed (its seq taken), with the body members receive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupMsg {
    pub seq: u64,
    pub from: String,
    pub random: u32,
    pub time: i64,
    pub priority: u8,
    pub is_system: bool,
    /// The `MsgBody` JSON text.
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// Receivers of a targeted message; empty: every member.
    pub to_accounts: Vec<String>,
    /// The Community topic it was sent to (`group_id` is then the community's): members of
    /// the community hear it like a group message, with the topic named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_id: Option<String>,
}

/// A one-to-one message as it was committed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct C2cMsg {
    pub from: String,
    pub to: String,
    pub seq: u32,
    pub random: u32,
    pub time: i64,
    /// `{MsgSeq}_{MsgRandom}_{MsgTime}`.
    pub key: String,
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// The sender's other devices get it too (`SyncOtherMachine` is not 2).
    pub sync_sender: bool,
}

/// A broadcast of an official account as it was committed (stored, or `OnlineOnlyFlag` 1:
/// stored nowhere, heard only now), with the body its subscribers receive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfficialMsg {
    pub seq: u64,
    pub random: u32,
    pub time: i64,
    /// `{Seq}_1_{MsgTime}`.
    pub key: String,
    pub body: String,
    pub cloud_custom_data: Option<String>,
}

/// What one committed write changed, as members may need to hear of it. Serializable: on
/// PostgreSQL the changes travel to the other nodes through the change log (members.md §6).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Change {
    GroupMessage {
        group_id: String,
        msg: GroupMsg,
    },
    GroupRecalled {
        group_id: String,
        seqs: Vec<u64>,
        operator: String,
    },
    GroupModified {
        group_id: String,
        seq: u64,
        body: Option<String>,
        cloud_custom_data: Option<String>,
    },
    /// clear_group_msg moved the watermark.
    GroupCleared {
        group_id: String,
        upto: u64,
    },
    /// A member cleared the group for themselves (every device of theirs hears it).
    MemberClearedGroup {
        group_id: String,
        member: String,
        upto: u64,
    },
    /// A member cleared a one-to-one conversation for themselves, up to a time.
    MemberClearedC2c {
        member: String,
        peer: String,
        upto_time: i64,
    },
    MembersJoined {
        group_id: String,
        accounts: Vec<String>,
        operator: String,
    },
    MembersLeft {
        group_id: String,
        accounts: Vec<String>,
        operator: String,
        /// Removed by someone else (kicked), not quit.
        kicked: bool,
    },
    MemberInfoChanged {
        group_id: String,
        account: String,
    },
    GroupInfoChanged {
        group_id: String,
        operator: String,
    },
    GroupDismissed {
        group_id: String,
        operator: String,
    },
    /// A read mark or unread count moved (set_unread_msg_num, markAsRead).
    GroupReadChanged {
        group_id: String,
        member: String,
    },
    C2cMessage {
        msg: C2cMsg,
    },
    C2cWithdrawn {
        from: String,
        to: String,
        key: String,
    },
    C2cModified {
        from: String,
        to: String,
        key: String,
        body: Option<String>,
        cloud_custom_data: Option<String>,
    },
    C2cReadChanged {
        member: String,
        peer: String,
    },
    /// send_broadcast_msg (groups-more.md §7.7): one message to every AVChatRoom of the app,
    /// heard by the members present in each; `msg.seq` is the broadcast's own number.
    Broadcast {
        msg: GroupMsg,
    },
    /// A member applied to join a NeedPermission group: its owner and admins (`reviewers`,
    /// read with the application) hear `onReceiveJoinApplication`.
    JoinApplication {
        group_id: String,
        applicant: String,
        message: String,
        reviewers: Vec<String>,
    },
    /// send_group_system_notification: heard by the group's connected members (only those of
    /// `to` when it names some). Nothing is stored.
    SystemNotification {
        group_id: String,
        to: Vec<String>,
        content: String,
    },
    /// ban_group_member on an AVChatRoom: the banned who are present on any node leave the
    /// room; they and those who stay hear `onMemberKicked`.
    RoomBanned {
        group_id: String,
        accounts: Vec<String>,
        operator: String,
    },
    /// send_official_account_msg: heard by the connected subscribers whose `MsgFlag` is not
    /// `Discard` (the hub's view of them; nothing is read for a send).
    OfficialMessage {
        official_id: String,
        msg: OfficialMsg,
    },
    /// official_account_msg_recall: the keys recalled, heard as the message was.
    OfficialRecalled {
        official_id: String,
        keys: Vec<String>,
        operator: String,
    },
    /// add_subscriber (REST or `subscribeOfficialAccount`): the accounts newly subscribed,
    /// with the default `MsgFlag` (delivered).
    OfficialSubscribed {
        official_id: String,
        accounts: Vec<String>,
    },
    /// delete_subscriber (REST or `unsubscribeOfficialAccount`): the accounts removed.
    OfficialUnsubscribed {
        official_id: String,
        accounts: Vec<String>,
    },
    /// A subscriber's `MsgFlag` was set (modify_subscriber_info, `setOfficialAccountMsgFlag`).
    OfficialMsgFlag {
        official_id: String,
        account: String,
        msg_flag: String,
    },
    /// destroy_official_account: its subscribers hear it, and it has none from now on.
    OfficialDestroyed {
        official_id: String,
    },
    /// The REST `kick`: every connection of the account closes (4001).
    Kicked {
        account: String,
    },
    /// account_delete: every connection of the account closes (4003).
    AccountDeleted {
        account: String,
    },
}

/// Where committed changes go: the member hub of this node. The store calls it after the
/// commit, in commit order (on PostgreSQL from its reader of the change log all nodes share).
pub trait ChangeSink: Send + Sync {
    /// Whether any member is connected at all: when not, writes build no change.
    fn active(&self) -> bool;
    /// Whether `app` has a member connected.
    fn wants(&self, app: AppId) -> bool;
    fn publish(&self, app: AppId, changes: Vec<Change>);
    /// The member connection whose request is making the current write (0: none), which
    /// does not get its own changes back. Read at write time, so that a change delivered
    /// later, by another task (the change log's reader), still skips it.
    fn origin(&self) -> u64 {
        0
    }
    /// `publish`, skipping the connection `origin` of this node.
    fn publish_from(&self, app: AppId, changes: Vec<Change>, origin: u64) {
        let _ = origin;
        self.publish(app, changes)
    }
}

/// The platform a connection reports (members.md §1), as callbacks spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Web,
    Android,
    Ios,
    Windows,
    Mac,
    IPad,
    Unknown,
}

impl Platform {
    /// `None` for a name that is not one of members.md §1's.
    pub fn parse(s: &str) -> Option<Platform> {
        Some(match s {
            "Web" => Platform::Web,
            "Android" => Platform::Android,
            "iOS" => Platform::Ios,
            "Windows" => Platform::Windows,
            "Mac" => Platform::Mac,
            "iPad" => Platform::IPad,
            "Unknown" => Platform::Unknown,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Platform::Web => "Web",
            Platform::Android => "Android",
            Platform::Ios => "iOS",
            Platform::Windows => "Windows",
            Platform::Mac => "Mac",
            Platform::IPad => "iPad",
            Platform::Unknown => "Unknown",
        }
    }
}

/// WebSocket close codes of members.md §1.
pub mod close {
    pub const KICKED: u16 = 4001;
    pub const SIG_EXPIRED: u16 = 4002;
    pub const ACCOUNT_DELETED: u16 = 4003;
    pub const TOO_SLOW: u16 = 4008;
    pub const IDLE: u16 = 4000;
    pub const GOING_AWAY: u16 = 1001;
}

/// JSON-RPC 2.0 codes of members.md §2.
pub mod rpc {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_round_trip() {
        for p in [
            Platform::Web,
            Platform::Android,
            Platform::Ios,
            Platform::Windows,
            Platform::Mac,
            Platform::IPad,
            Platform::Unknown,
        ] {
            assert_eq!(Platform::parse(p.name()), Some(p));
        }
        assert_eq!(Platform::parse("web"), None);
    }
}

/// A pending join application to a NeedPermission group, as `getGroupApplicationList` lists
/// it for the group's owner and admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub group_id: String,
    pub applicant: String,
    pub message: String,
    /// When it was made (or last made again).
    pub time: i64,
}

/// The most applications one `getGroupApplicationList` answer holds (oldest first).
pub const MAX_LISTED_APPLICATIONS: u64 = 500;

/// `acceptGroupApplication` / `refuseGroupApplication` answer a pending application only:
/// 10004 when `applicant` has none to `group_id` (never applied, already answered).
pub fn require_application(
    pending: bool,
    group_id: &str,
    applicant: &str,
) -> Result<(), crate::Error> {
    if pending {
        return Ok(());
    }
    Err(crate::Error::new(
        crate::ErrorCode::GroupInvalidParameter,
        format!("{applicant:?} has no pending application to {group_id:?}"),
    ))
}
