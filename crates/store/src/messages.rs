//! Group message operations. spec: group-messages.md.

use timber_core::message::SlotState;

/// A message to store in a group's history; it takes the group's next MsgSeq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroupMsg {
    pub from: String,
    pub random: u32,
    pub time: i64,
    /// 1 High … 4 Lowest.
    pub priority: u8,
    pub state: SlotState,
    /// Group tips are system messages (`IsSystemMsg` 1).
    pub is_system: bool,
    /// The `MsgBody` JSON text exactly as sent.
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// Receivers of a targeted message; empty = the whole group.
    pub to_accounts: Vec<String>,
}

impl NewGroupMsg {
    /// A group tip sent by `operator` (groups.md §6).
    pub fn tip(operator: &str, tip: &timber_core::tips::Tip, time: i64) -> NewGroupMsg {
        NewGroupMsg {
            from: operator.to_owned(),
            random: rand_u32(),
            time,
            priority: timber_core::message::DEFAULT_PRIORITY,
            state: SlotState::Normal,
            is_system: true,
            body: tip.body(),
            cloud_custom_data: None,
            to_accounts: Vec::new(),
        }
    }
}

/// A random `MsgRandom` for messages whose sender gave none.
pub fn rand_u32() -> u32 {
    rand::random()
}

#[async_trait::async_trait]
pub trait MessageStore {}
