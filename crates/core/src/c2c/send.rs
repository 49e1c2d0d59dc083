//! Storing one-to-one messages: sendmsg and batchsendmsg (one decision per receiver) and
//! importmsg. spec: c2c-messages.md §1, §3–§5.
//!
//! The store loads the conversation, whether the accounts exist and the stored messages that
//! share the new one's MsgSeq and MsgRandom; a function here decides what to write.

use super::{
    direction, require_account, C2cMsg, Conversation, MsgKey, Pair, Party, Side,
    SEND_DEDUP_WINDOW_SECS,
};
use crate::{Error, ErrorCode};

/// A message to send (sendmsg, batchsendmsg), its options already read from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewC2cMsg {
    pub from: String,
    pub to: String,
    pub seq: u32,
    pub random: u32,
    /// The server's clock when the send was accepted.
    pub time: i64,
    /// The `MsgBody` JSON text exactly as sent.
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// `OfflinePushInfo` as sent (JSON text), kept for the push integrations to come.
    pub offline_push: Option<String>,
    /// `SyncOtherMachine` is not 2: the message is also in the sender's history.
    pub sync_sender: bool,
    /// Not `NoUnread`: the message counts in the receiver's unread count.
    pub counts_unread: bool,
    /// Not `NoLastMsg`: the message moves the conversation in both sides' lists.
    pub updates_last: bool,
    pub need_receipt: bool,
    /// `MsgLifeTime` 0 or `OnlineOnlyFlag` 1: delivered to online devices only, stored
    /// nowhere (with no client connections yet, nothing at all happens).
    pub online_only: bool,
    /// C2C.CallbackAfterSendMsg is recorded if the app wants it (not for batchsendmsg, nor
    /// with `ForbidAfterSendMsgCallback`).
    pub after_callback: bool,
    /// `SupportMessageExtension` 1: a stored message gets an extension head
    /// (`crate::extension`).
    pub support_extension: bool,
}

/// A stored message of the same conversation with the new one's MsgSeq and MsgRandom, sent
/// within the de-duplication window or later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameKeyMsg {
    pub key: MsgKey,
    pub from_lo: bool,
    pub body: String,
    pub cloud_custom_data: Option<String>,
}

/// What a send decides on, read by the store in the transaction that writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2cSendFacts {
    pub sender_exists: bool,
    pub receiver_exists: bool,
    pub conv: Option<Conversation>,
    /// Stored messages with the same MsgSeq and MsgRandom sent at or after
    /// `time - SEND_DEDUP_WINDOW_SECS`.
    pub same_key: Vec<SameKeyMsg>,
}

/// What a send or import answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct C2cSent {
    pub key: MsgKey,
    /// A repeat of a stored message: nothing was written and `key` is the original's.
    pub duplicate: bool,
}

/// The writes of one stored message: its conversation (created when `conv` is `None`), its
/// row, and the sides' `last_time` where it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2cWrite {
    pub pair: Pair,
    pub conv: Option<i64>,
    pub row: C2cMsg,
    pub offline_push: Option<String>,
    /// Per side ([`Side::index`]): the new `last_time`, if it moves.
    pub last_times: [Option<i64>; 2],
}

/// A send's or import's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum C2cPlan {
    /// Nothing to write: a duplicate, or an online-only message.
    Answer(C2cSent),
    Store(Box<C2cWrite>),
}

impl C2cPlan {
    pub fn answer(&self) -> C2cSent {
        match self {
            C2cPlan::Answer(sent) => *sent,
            C2cPlan::Store(w) => C2cSent {
                key: w.row.key,
                duplicate: false,
            },
        }
    }
}

/// The `last_time` each side gets from a message at `time` that `sees[side]` sides see.
fn last_times(
    conv: Option<&Conversation>,
    sees: [bool; 2],
    time: i64,
    updates: bool,
) -> [Option<i64>; 2] {
    let mut out = [None, None];
    if !updates {
        return out;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        let current = conv.map_or(0, |c| c.sides[i].last_time);
        if sees[i] && time > current {
            *slot = Some(time);
        }
    }
    out
}

/// A send's or an import's accounts: the sender must exist (90008), then the receiver (90012).
fn both_accounts(sender: bool, receiver: bool, from: &str, to: &str) -> Result<(), Error> {
    require_account(sender, Party::Acting, "From_Account", from)?;
    require_account(receiver, Party::Receiver, "To_Account", to)
}

/// sendmsg for one receiver (c2c-messages.md §3): the sender must exist (90008), the
/// receiver too (90012); then a repeat of a message of the last 120 seconds (same sender,
/// MsgSeq, MsgRandom and content: the spec's CRC32 of the content, here the content itself)
/// answers the original. Otherwise the message takes the server's time as MsgTime, unless
/// another message of the conversation already has the same MsgSeq, MsgRandom and time: then
/// the next free second, so that a MsgKey names one message (our choice; the documentation
/// does not say).
pub fn decide_c2c_send(msg: &NewC2cMsg, facts: &C2cSendFacts) -> Result<C2cPlan, Error> {
    both_accounts(
        facts.sender_exists,
        facts.receiver_exists,
        &msg.from,
        &msg.to,
    )?;
    let pair = Pair::new(&msg.from, &msg.to);
    let (sender, receiver) = direction(&pair, &msg.from);
    let from_lo = sender == Side::Lo;
    let since = msg.time - SEND_DEDUP_WINDOW_SECS;
    let repeat = facts.same_key.iter().find(|m| {
        m.key.time >= since
            && m.from_lo == from_lo
            && m.body == msg.body
            && m.cloud_custom_data == msg.cloud_custom_data
    });
    if let Some(original) = repeat {
        return Ok(C2cPlan::Answer(C2cSent {
            key: original.key,
            duplicate: true,
        }));
    }
    let mut time = msg.time;
    while facts.same_key.iter().any(|m| m.key.time == time) {
        time += 1;
    }
    let key = MsgKey {
        time,
        seq: msg.seq,
        random: msg.random,
    };
    if msg.online_only {
        return Ok(C2cPlan::Answer(C2cSent {
            key,
            duplicate: false,
        }));
    }
    let hide_sender = !msg.sync_sender && !pair.is_self();
    let mut sees = [false; 2];
    sees[receiver.index()] = true;
    sees[sender.index()] |= !hide_sender;
    let row = C2cMsg {
        key,
        from_lo,
        client_time: msg.time,
        flags: 0,
        hidden: if hide_sender { sender.bit() } else { 0 },
        counts_unread: msg.counts_unread && !pair.is_self(),
        need_receipt: msg.need_receipt,
        body: msg.body.clone(),
        cloud_custom_data: msg.cloud_custom_data.clone(),
    };
    Ok(C2cPlan::Store(Box::new(C2cWrite {
        last_times: last_times(facts.conv.as_ref(), sees, time, msg.updates_last),
        conv: facts.conv.as_ref().map(|c| c.key),
        pair,
        row,
        offline_push: msg.offline_push.clone(),
    })))
}

/// One message of importmsg (c2c-messages.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportC2cMsg {
    pub from: String,
    pub to: String,
    pub seq: u32,
    pub random: u32,
    /// `MsgTimeStamp`: the stored MsgTime.
    pub time: i64,
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// `SyncFromOldSystem` 1 (or 5): a real-time import, counted as unread; 2: history.
    pub counts_unread: bool,
}

/// What an import decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2cImportFacts {
    pub sender_exists: bool,
    pub receiver_exists: bool,
    pub conv: Option<Conversation>,
    /// The conversation already has a message with this MsgSeq, MsgRandom and time, in
    /// either direction.
    pub key_taken: bool,
}

/// batchsendmsg for one receiver: as [`decide_c2c_send`], except that a receiver that does
/// not exist is that receiver's 70107 in `ErrorList`, not a refusal of the whole call
/// (c2c-messages.md §4).
pub fn decide_batch_send(msg: &NewC2cMsg, facts: &C2cSendFacts) -> Result<C2cPlan, ErrorCode> {
    require_account(facts.receiver_exists, Party::Listed, "To_Account", &msg.to)
        .and_then(|()| decide_c2c_send(msg, facts))
        .map_err(|e| e.code)
}

/// importmsg: both accounts must exist (90008, 90012); a message whose (MsgSeq, MsgRandom,
/// MsgTimeStamp) the conversation already has is a duplicate, whatever its direction and
/// content: the first import wins and is never overwritten (c2c-messages.md §1).
pub fn decide_c2c_import(msg: &ImportC2cMsg, facts: &C2cImportFacts) -> Result<C2cPlan, Error> {
    both_accounts(
        facts.sender_exists,
        facts.receiver_exists,
        &msg.from,
        &msg.to,
    )?;
    let key = MsgKey {
        time: msg.time,
        seq: msg.seq,
        random: msg.random,
    };
    if facts.key_taken {
        return Ok(C2cPlan::Answer(C2cSent {
            key,
            duplicate: true,
        }));
    }
    let pair = Pair::new(&msg.from, &msg.to);
    let (sender, _) = direction(&pair, &msg.from);
    let row = C2cMsg {
        key,
        from_lo: sender == Side::Lo,
        client_time: msg.time,
        flags: 0,
        hidden: 0,
        counts_unread: msg.counts_unread && !pair.is_self(),
        need_receipt: false,
        body: msg.body.clone(),
        cloud_custom_data: msg.cloud_custom_data.clone(),
    };
    Ok(C2cPlan::Store(Box::new(C2cWrite {
        last_times: last_times(facts.conv.as_ref(), [true, true], msg.time, true),
        conv: facts.conv.as_ref().map(|c| c.key),
        pair,
        row,
        offline_push: None,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c2c::SideState;

    pub(crate) fn new_msg(from: &str, to: &str, time: i64) -> NewC2cMsg {
        NewC2cMsg {
            from: from.into(),
            to: to.into(),
            seq: 1,
            random: 2,
            time,
            body: "[1]".into(),
            cloud_custom_data: None,
            offline_push: None,
            sync_sender: true,
            counts_unread: true,
            updates_last: true,
            need_receipt: false,
            online_only: false,
            after_callback: false,
            support_extension: false,
        }
    }

    fn facts() -> C2cSendFacts {
        C2cSendFacts {
            sender_exists: true,
            receiver_exists: true,
            conv: None,
            same_key: Vec::new(),
        }
    }

    fn stored(plan: C2cPlan) -> C2cWrite {
        match plan {
            C2cPlan::Store(w) => *w,
            other => panic!("expected a write, got {other:?}"),
        }
    }

    #[test]
    fn a_send_stores_one_row_seen_by_both_sides() {
        let w = stored(decide_c2c_send(&new_msg("b", "a", 100), &facts()).unwrap());
        assert_eq!(w.pair, Pair::new("a", "b"));
        assert!(!w.row.from_lo && w.row.counts_unread && w.row.hidden == 0);
        assert_eq!(w.row.key.to_string(), "1_2_100");
        assert_eq!(w.last_times, [Some(100), Some(100)]);
        assert_eq!(w.conv, None);
    }

    #[test]
    fn send_options() {
        let mut m = new_msg("b", "a", 100);
        m.sync_sender = false;
        m.updates_last = false;
        m.counts_unread = false;
        let w = stored(decide_c2c_send(&m, &facts()).unwrap());
        assert_eq!(w.row.hidden, Side::Hi.bit(), "not in the sender's history");
        assert_eq!(w.last_times, [None, None]);
        assert!(!w.row.counts_unread);
        m.online_only = true;
        assert!(matches!(
            decide_c2c_send(&m, &facts()).unwrap(),
            C2cPlan::Answer(_)
        ));
        let mut f = facts();
        f.conv = Some(Conversation {
            key: 7,
            sides: [
                SideState {
                    last_time: 100,
                    ..Default::default()
                },
                SideState {
                    last_time: 90,
                    ..Default::default()
                },
            ],
        });
        let w = stored(decide_c2c_send(&new_msg("b", "a", 100), &f).unwrap());
        assert_eq!(
            w.last_times,
            [None, Some(100)],
            "unchanged within the second"
        );
        assert_eq!(w.conv, Some(7));
        let me = stored(decide_c2c_send(&new_msg("a", "a", 100), &facts()).unwrap());
        assert!(
            !me.row.counts_unread,
            "a message to oneself is never unread"
        );
    }

    #[test]
    fn refusals() {
        let mut f = facts();
        f.receiver_exists = false;
        let code = |f: &C2cSendFacts| decide_c2c_send(&new_msg("a", "b", 1), f).unwrap_err().code;
        assert_eq!(code(&f), ErrorCode::ToAccountNotFound);
        f.sender_exists = false;
        assert_eq!(code(&f), ErrorCode::FromAccountInvalid);
    }

    #[test]
    fn repeats_and_collisions() {
        let same = |time, from_lo, body: &str| SameKeyMsg {
            key: MsgKey {
                time,
                seq: 1,
                random: 2,
            },
            from_lo,
            body: body.into(),
            cloud_custom_data: None,
        };
        let mut f = facts();
        f.same_key = vec![same(30, true, "[1]")];
        let plan = decide_c2c_send(&new_msg("a", "b", 150), &f).unwrap();
        assert_eq!(
            plan.answer(),
            C2cSent {
                key: same(30, true, "").key,
                duplicate: true
            }
        );
        let late = decide_c2c_send(&new_msg("a", "b", 151), &f).unwrap();
        assert!(!late.answer().duplicate, "past the 120-second window");
        // Same key at the same second but another sender or content: the next free second.
        f.same_key = vec![same(150, false, "[1]"), same(151, true, "[2]")];
        let w = stored(decide_c2c_send(&new_msg("a", "b", 150), &f).unwrap());
        assert_eq!(w.row.key.time, 152);
        assert_eq!(w.row.client_time, 150);
    }

    #[test]
    fn imports() {
        let m = ImportC2cMsg {
            from: "a".into(),
            to: "b".into(),
            seq: 3,
            random: 4,
            time: 50,
            body: "[]".into(),
            cloud_custom_data: None,
            counts_unread: false,
        };
        let mut f = C2cImportFacts {
            sender_exists: true,
            receiver_exists: true,
            conv: None,
            key_taken: false,
        };
        let w = stored(decide_c2c_import(&m, &f).unwrap());
        assert_eq!(
            (w.row.key.to_string(), w.row.from_lo),
            ("3_4_50".into(), true)
        );
        assert!(!w.row.counts_unread);
        f.key_taken = true;
        assert!(decide_c2c_import(&m, &f).unwrap().answer().duplicate);
        f.receiver_exists = false;
        assert_eq!(
            decide_c2c_import(&m, &f).unwrap_err().code,
            ErrorCode::ToAccountNotFound
        );
    }
}
