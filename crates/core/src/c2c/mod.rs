//! One-to-one (C2C) messages: the conversation model, MsgKey, and the decisions of every
//! `openim` message command. spec: c2c-messages.md, limits.md §4–§5.
//!
//! A conversation is the pair of its two accounts, kept in one canonical order (`lo` < `hi`),
//! with one ordered history shared by both sides. Each message is identified in its
//! conversation by its MsgKey, `{MsgSeq}_{MsgRandom}_{MsgTime}` (the form of every example
//! in the documentation), and history is ordered by (MsgTime, MsgSeq, MsgRandom): by time,
//! then by MsgSeq within a second as documented, then by MsgRandom so that the order is total.
//! Each side keeps its own view state — where it has read up to, its own clear mark, the
//! messages it deleted one-sidedly or never had (`SyncOtherMachine` 2) — so a message can be
//! seen by one side and not the other.

mod edit;
mod read;
mod roam;
mod send;

pub use edit::*;
pub use read::*;
pub use roam::*;
pub use send::*;

use crate::{Error, ErrorCode};

/// `MsgFlagBits` of a recalled message (c2c-messages.md §6: 0 normal, 8 recalled).
pub const MSG_FLAG_RECALLED: u32 = 8;
/// Two sends of the same message within this many seconds are one (c2c-messages.md §1).
pub const SEND_DEDUP_WINDOW_SECS: i64 = 120;
/// `MsgLifeTime` above this is treated as this (limits.md §5: 7 days, clamped).
pub const MAX_MSG_LIFE_TIME: i64 = 604_800;
/// batchsendmsg names at most 500 receivers (c2c-messages.md §4, 90011).
pub const MAX_BATCH_RECEIVERS: usize = 500;
/// batchsendmsg's budget: 12,000 messages a minute, counted per receiver (limits.md §3).
pub const BATCH_MSGS_PER_MINUTE: u64 = 12_000;
/// get_c2c_unread_msg_num takes at most 10 peers (c2c-messages.md §9).
pub const MAX_UNREAD_PEERS: usize = 10;
/// query_online_status takes at most 500 accounts (accounts.md §6).
pub const MAX_ONLINE_STATUS_ACCOUNTS: usize = 500;
/// Unread messages counted per conversation at most (limits.md §5).
pub const MAX_UNREAD_PER_CONVERSATION: u64 = 250;
/// Conversations with unread messages counted per user at most (limits.md §5).
pub const MAX_UNREAD_CONVERSATIONS: usize = 100;
/// delete_c2c_msg_ramble takes at most this many MsgKeys per call (our choice: the
/// documentation names no limit).
pub const MAX_DELETE_KEYS: usize = 100;

/// One side of a conversation: the account that sorts first (`Lo`) or last (`Hi`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Lo,
    Hi,
}

impl Side {
    /// The side's bit in a message's `hidden` set.
    pub const fn bit(self) -> u8 {
        match self {
            Side::Lo => 1,
            Side::Hi => 2,
        }
    }

    pub const fn index(self) -> usize {
        match self {
            Side::Lo => 0,
            Side::Hi => 1,
        }
    }

    pub const fn other(self) -> Side {
        match self {
            Side::Lo => Side::Hi,
            Side::Hi => Side::Lo,
        }
    }
}

/// The two accounts of a conversation, in canonical order. A conversation with oneself has
/// `lo == hi`; its one account is side `Lo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pair {
    pub lo: String,
    pub hi: String,
}

impl Pair {
    pub fn new(a: &str, b: &str) -> Pair {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Pair {
            lo: lo.to_owned(),
            hi: hi.to_owned(),
        }
    }

    /// The side of `user`, one of the pair's accounts.
    pub fn side(&self, user: &str) -> Side {
        if user == self.lo {
            Side::Lo
        } else {
            Side::Hi
        }
    }

    pub fn user(&self, side: Side) -> &str {
        match side {
            Side::Lo => &self.lo,
            Side::Hi => &self.hi,
        }
    }

    pub fn is_self(&self) -> bool {
        self.lo == self.hi
    }
}

/// What identifies a message in its conversation, and its place in the history's order.
/// `Ord` is the history's order: time, then MsgSeq, then MsgRandom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgKey {
    pub time: i64,
    pub seq: u32,
    pub random: u32,
}

impl MsgKey {
    /// Reads a MsgKey as this server writes it: three decimal numbers joined by `_`
    /// (MsgSeq and MsgRandom 32-bit, MsgTime not negative). `None` for anything else.
    pub fn parse(s: &str) -> Option<MsgKey> {
        let mut parts = s.split('_');
        let (seq, random, time) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(seq) && digits(random) && digits(time)) {
            return None;
        }
        Some(MsgKey {
            seq: seq.parse().ok()?,
            random: random.parse().ok()?,
            time: time.parse().ok()?,
        })
    }

    /// A request's MsgKey: 90054 when it is not one this server hands out.
    pub fn parse_field(field: &str, s: &str) -> Result<MsgKey, Error> {
        MsgKey::parse(s).ok_or_else(|| {
            Error::new(
                ErrorCode::MsgKeyInvalid,
                format!("{field} {s:?} is not a valid MsgKey"),
            )
        })
    }
}

impl std::fmt::Display for MsgKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}_{}", self.seq, self.random, self.time)
    }
}

/// The MsgSeq of a message whose sender gave none: a random value (inferred,
/// c2c-messages.md §1; the documentation only says the server picks one).
pub fn server_seq() -> u32 {
    rand::random()
}

/// `MsgId` of a sent message: `{sender number}-{MsgTime}-{MsgRandom}`, the shape of the
/// documentation's example (inferred; c2c-messages.md §1). The sender number is a stable hash
/// of the UserID, since timber keeps no numeric account IDs.
pub fn msg_id(sender: &str, time: i64, random: u32) -> String {
    // FNV-1a, 64-bit: stable across versions and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sender.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}-{time}-{random}", h >> 1)
}

/// What one side keeps of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SideState {
    /// Messages sent at or before this time are read (admin_set_msg_read).
    pub read_time: i64,
    /// Messages sent at or before this time are cleared from this side's view (its own
    /// clear mark, for the conversation APIs to come); 0: nothing cleared.
    pub cleared_time: i64,
    /// The newest message time this side's conversation list shows; 0: the conversation is
    /// not in the list (every message so far had `NoLastMsg`, or the side never had one).
    pub last_time: i64,
}

/// A stored conversation: its key and both sides' state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub key: i64,
    pub sides: [SideState; 2],
}

impl Conversation {
    pub fn side(&self, side: Side) -> &SideState {
        &self.sides[side.index()]
    }
}

/// A stored C2C message as the store reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2cMsg {
    pub key: MsgKey,
    /// The sender is the pair's `lo` account.
    pub from_lo: bool,
    /// `MsgClientTime`: for sends the server's time, for imports the imported time.
    pub client_time: i64,
    /// `MsgFlagBits`.
    pub flags: u32,
    /// The sides that do not see the message ([`Side::bit`]s).
    pub hidden: u8,
    /// Whether it counts in the receiver's unread count.
    pub counts_unread: bool,
    /// `IsNeedReadReceipt` as sent.
    pub need_receipt: bool,
    /// The `MsgBody` JSON text exactly as sent.
    pub body: String,
    pub cloud_custom_data: Option<String>,
}

impl C2cMsg {
    pub fn recalled(&self) -> bool {
        self.flags & MSG_FLAG_RECALLED != 0
    }

    pub fn sender_side(&self) -> Side {
        if self.from_lo {
            Side::Lo
        } else {
            Side::Hi
        }
    }

    pub fn hidden_from(&self, side: Side) -> bool {
        self.hidden & side.bit() != 0
    }
}

/// A message's sender and receiver sides in `pair`, for a message sent by `from`.
pub fn direction(pair: &Pair, from: &str) -> (Side, Side) {
    let s = pair.side(from);
    if pair.is_self() {
        (s, s)
    } else {
        (s, s.other())
    }
}

/// The part an account plays in a C2C command. It decides the code a command answers when
/// that account does not exist (c2c-messages.md §11), so that the store, which only finds out
/// whether the account exists, chooses no code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The account that sends or acts (`From_Account`, `Operator_Account`): 90008.
    Acting,
    /// The receiver of a send or an import (`To_Account`): 90012.
    Receiver,
    /// The other account of a conversation that is read or changed (`To_Account`,
    /// `Peer_Account`), and the owner of the counts get_c2c_unread_msg_num reads: 90003.
    Peer,
    /// One of a list answered entry by entry (batchsendmsg's receivers, the peers of
    /// get_c2c_unread_msg_num): 70107 in that entry.
    Listed,
}

impl Party {
    fn code(self) -> ErrorCode {
        match self {
            Party::Acting => ErrorCode::FromAccountInvalid,
            Party::Receiver => ErrorCode::ToAccountNotFound,
            Party::Peer => ErrorCode::ToAccountInvalid,
            Party::Listed => ErrorCode::AccountNotFound,
        }
    }
}

/// `Ok` when the account `user`, named by `field`, exists; otherwise the refusal its part in
/// the command calls for.
pub fn require_account(exists: bool, party: Party, field: &str, user: &str) -> Result<(), Error> {
    if exists {
        Ok(())
    } else {
        Err(Error::new(
            party.code(),
            format!("{field} {user:?} does not exist"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_account_answers_the_code_of_its_part() {
        for (party, code) in [
            (Party::Acting, 90008),
            (Party::Receiver, 90012),
            (Party::Peer, 90003),
            (Party::Listed, 70107),
        ] {
            assert!(require_account(true, party, "To_Account", "u").is_ok());
            let e = require_account(false, party, "To_Account", "u").unwrap_err();
            assert_eq!(e.code.code(), code, "{party:?}");
            assert_eq!(e.info, "To_Account \"u\" does not exist");
        }
    }

    #[test]
    fn keys_round_trip_and_order() {
        let k = MsgKey {
            seq: 48374,
            random: 2837546,
            time: 1557481126,
        };
        assert_eq!(k.to_string(), "48374_2837546_1557481126");
        assert_eq!(MsgKey::parse(&k.to_string()), Some(k));
        for bad in [
            "",
            "1_2",
            "1_2_3_4",
            "a_2_3",
            "1__3",
            "-1_2_3",
            "4294967296_1_1",
            "1_4294967296_1",
            " 1_2_3",
            "1_2_+3",
        ] {
            assert_eq!(MsgKey::parse(bad), None, "{bad:?}");
        }
        let a = MsgKey {
            time: 5,
            seq: 9,
            random: 0,
        };
        let b = MsgKey {
            time: 6,
            seq: 1,
            random: 0,
        };
        let c = MsgKey {
            time: 6,
            seq: 2,
            random: 0,
        };
        assert!(a < b && b < c, "time first, then MsgSeq");
        assert_eq!(
            MsgKey::parse_field("MsgKey", "x").unwrap_err().code,
            ErrorCode::MsgKeyInvalid
        );
    }

    #[test]
    fn pairs_are_canonical() {
        let p = Pair::new("bob", "alice");
        assert_eq!((p.lo.as_str(), p.hi.as_str()), ("alice", "bob"));
        assert_eq!(p, Pair::new("alice", "bob"));
        assert_eq!(direction(&p, "bob"), (Side::Hi, Side::Lo));
        let me = Pair::new("a", "a");
        assert_eq!(direction(&me, "a"), (Side::Lo, Side::Lo));
        assert_eq!(p.user(Side::Hi), "bob");
    }

    #[test]
    fn msg_ids_are_stable() {
        assert_eq!(msg_id("a", 7, 9), msg_id("a", 7, 9));
        assert_ne!(msg_id("a", 7, 9), msg_id("b", 7, 9));
        assert!(msg_id("a", 7, 9).ends_with("-7-9"));
    }
}
