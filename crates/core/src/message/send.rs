//! Storing group messages: the MsgSeq each one takes, send_group_msg's checks and
//! import_group_msg's rules. spec: group-messages.md §1.1, §3, §10.
//!
//! The store loads what a decision needs under the group's lock, a function here decides, and
//! the store writes what it decided, so MsgSeq allocation (DESIGN.md invariant 2: from 1, +1
//! per stored message, never reused, never skipped) is this module's rule, not SQL's.

use super::{SlotState, DEDUP_WINDOW_SECS, DEFAULT_PRIORITY};
use crate::contacts::{counts_for_conversations, GroupHead};
use crate::group::{last_seq, not_member, require_accounts, GroupOp, GroupRecord, GroupType, Role};
use crate::tips::Tip;
use crate::{Error, ErrorCode};

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
    /// A group tip sent by `operator` (groups.md §6). Its `MsgRandom` is drawn here: a tip
    /// has no sender that could repeat it, so the value only has to look like one.
    pub fn tip(operator: &str, tip: &Tip, time: i64) -> NewGroupMsg {
        NewGroupMsg {
            from: operator.to_owned(),
            random: rand::random(),
            time,
            priority: DEFAULT_PRIORITY,
            state: SlotState::Normal,
            is_system: true,
            body: tip.body(),
            cloud_custom_data: None,
            to_accounts: Vec::new(),
        }
    }
}

/// What taking seqs reads and moves of a group's row: the next seq and the newest message's
/// time. Sends read only these of the group (BENCHMARKS.md, ledger: a send reads five columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgHead {
    pub next_msg_seq: u64,
    pub last_msg_time: i64,
}

impl MsgHead {
    pub fn of(g: &GroupRecord) -> MsgHead {
        MsgHead {
            next_msg_seq: g.next_msg_seq,
            last_msg_time: g.last_msg_time,
        }
    }

    pub fn last_seq(&self) -> u64 {
        last_seq(self.next_msg_seq)
    }

    /// Takes the next seq for a message sent at `time`.
    fn take(&mut self, time: i64) -> u64 {
        let seq = self.next_msg_seq;
        self.next_msg_seq += 1;
        self.last_msg_time = self.last_msg_time.max(time);
        seq
    }
}

/// The messages a decision stores, each at the seq it takes, and the group's head after them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appends {
    /// In seq order. A group without history (AVChatRoom) takes seqs and keeps no rows.
    pub rows: Vec<(u64, NewGroupMsg)>,
    /// The head to write back; `None` when no seq was taken.
    pub head: Option<MsgHead>,
}

/// Gives messages consecutive seqs from a group's head, read under the group's lock.
pub struct Appender {
    stores_history: bool,
    head: MsgHead,
    taken: bool,
    rows: Vec<(u64, NewGroupMsg)>,
}

impl Appender {
    pub fn new(ty: GroupType, head: MsgHead) -> Appender {
        Appender {
            stores_history: ty.stores_history(),
            head,
            taken: false,
            rows: Vec::new(),
        }
    }

    /// The head as it is after the messages pushed so far.
    pub fn head(&self) -> MsgHead {
        self.head
    }

    /// Takes the next seq for `msg`; returns it.
    pub fn push(&mut self, msg: NewGroupMsg) -> u64 {
        let seq = self.head.take(msg.time);
        self.taken = true;
        if self.stores_history {
            self.rows.push((seq, msg));
        }
        seq
    }

    pub fn finish(self) -> Appends {
        Appends {
            rows: self.rows,
            head: self.taken.then_some(self.head),
        }
    }
}

/// Whether a group type takes targeted messages (`To_Account`; group-messages.md §3: only
/// Private, Public and ChatRoom).
pub fn supports_targeted(ty: GroupType) -> bool {
    matches!(
        ty,
        GroupType::Private | GroupType::Public | GroupType::ChatRoom
    )
}

/// A new message at `time` duplicates an earlier one with the same `Random` sent at or after
/// this time (group-messages.md §1.1: five minutes).
pub const fn dedup_since(time: i64) -> i64 {
    time - DEDUP_WINDOW_SECS
}

/// send_group_msg's message and what the store must check about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMsg {
    /// `time` is the server's clock at acceptance; `state` is `Unstored` for an online-only
    /// message (its seq is taken, its body never kept).
    pub msg: NewGroupMsg,
    /// The sender is an app admin: may send without being a member, and mute-all does not
    /// apply to it.
    pub sender_is_admin: bool,
    /// `SendMsgControl` has `NoLastMsg`: members' conversations do not move
    /// (recent-contacts.md §0.2).
    pub no_last_msg: bool,
    /// Set when the app wants Group.CallbackAfterSendMsg for this message: what the event
    /// needs that the stored message does not carry. `None`: no after-callback (the app has
    /// none, or the request forbade it with `ForbidAfterSendMsgCallback`).
    pub callback: Option<SendOrigin>,
    /// `SupportMessageExtension` 1: the stored message may carry extensions
    /// (`crate::extension`); the store gives it an extension head when it keeps the row.
    pub support_extension: bool,
}

/// What Group.CallbackAfterSendMsg tells that a stored message does not (callbacks.md §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOrigin {
    /// `Operator_Account`: who made the request (the admin of a REST call).
    pub operator: String,
    pub online_only: bool,
    /// The body as sent: an online-only message stores a placeholder instead.
    pub body: String,
}

/// The seq and time a message got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub seq: u64,
    pub time: i64,
    /// The message repeated the `Random` of one sent within five minutes: nothing was stored
    /// and `seq`/`time` are the original's.
    pub duplicate: bool,
}

impl Sent {
    /// The answer to a message that repeats the one stored at `seq`, sent at `time`.
    pub fn original(seq: u64, time: i64) -> Sent {
        Sent {
            seq,
            time,
            duplicate: true,
        }
    }
}

/// What send_group_msg decides on, read by the store under the group's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFacts {
    pub ty: GroupType,
    pub head: MsgHead,
    pub mute_all: bool,
    pub sender_exists: bool,
    /// The sender's role, if it is a member.
    pub role: Option<Role>,
    /// The sender's `LastSendMsgTime`, if it is a member (0 otherwise).
    pub last_send_time: i64,
    /// When the sender's mute ends (0: not muted). Mutes are kept apart from membership, so
    /// AVChatRoom senders, who are not tracked as members, can be muted too.
    pub mute_until: i64,
    /// The newest message with the same `Random` sent at or after `dedup_since(time)`.
    pub duplicate: Option<Sent>,
    /// For a targeted message: whether each `To_Account` is a member, in request order.
    pub receivers_are_members: Vec<bool>,
}

/// What send_group_msg writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPlan {
    /// The `Random` repeats a message of the last five minutes: nothing is written and the
    /// original is the answer.
    Duplicate(Sent),
    Store {
        /// The seq the message takes, and the head after it.
        seq: u64,
        head: MsgHead,
        /// Whether the group keeps the message's row (AVChatRoom keeps none).
        keep_row: bool,
        /// Whether the sender's `LastSendMsgTime` moves to the message's time. Times are in
        /// seconds: a member sending again within the same second changes nothing, and
        /// skipping the write keeps its row's page out of the commit (BENCHMARKS.md, ledger:
        /// LastSendMsgTime skip).
        touch_sender: bool,
        /// Whether the message moves the members' conversations: the group's contact head
        /// moves to it in the same statement as the message head
        /// (`crate::contacts::counts_for_conversations`).
        listed: bool,
    },
}

/// send_group_msg (group-messages.md §3): the sender must be a member, or an app admin
/// (10007), and an existing account (10019; in AVChatRoom anyone may send); then mutes
/// (10017; mute-all spares owner, admins and app admins), targeted receivers (only some types:
/// 10007; members of the group: 10004), then the five-minute `Random` window; the message
/// takes the next seq.
pub fn decide_send(group_id: &str, send: &SendMsg, facts: &SendFacts) -> Result<SendPlan, Error> {
    let msg = &send.msg;
    let now = msg.time;
    if facts.role.is_none() {
        require_accounts([msg.from.as_str()], &[facts.sender_exists])?;
        // AVChatRoom keeps no member list: anyone may send there.
        if facts.ty != GroupType::AVChatRoom && !send.sender_is_admin {
            return Err(not_member(&msg.from, group_id));
        }
    }
    if facts.mute_until > now {
        return Err(Error::new(
            ErrorCode::GroupSenderMuted,
            format!("{:?} is muted until {}", msg.from, facts.mute_until),
        ));
    }
    let privileged = send.sender_is_admin || matches!(facts.role, Some(Role::Owner | Role::Admin));
    if facts.mute_all && !privileged {
        return Err(Error::new(
            ErrorCode::GroupSenderMuted,
            format!("all members of group {group_id:?} are muted"),
        ));
    }
    if !msg.to_accounts.is_empty() {
        if !supports_targeted(facts.ty) {
            return Err(Error::new(
                ErrorCode::GroupPermissionDenied,
                format!("{} groups do not take targeted messages", facts.ty.as_str()),
            ));
        }
        let outsider = msg
            .to_accounts
            .iter()
            .zip(&facts.receivers_are_members)
            .find(|(_, member)| !**member);
        if let Some((to, _)) = outsider {
            return Err(Error::new(
                ErrorCode::GroupInvalidParameter,
                format!("To_Account {to:?} is not a member of group {group_id:?}"),
            ));
        }
    }
    // A repeated `Random` answers the original message (AVChatRoom stores none to match).
    if let Some(original) = facts.duplicate {
        return Ok(SendPlan::Duplicate(original));
    }
    let mut head = facts.head;
    let seq = head.take(now);
    Ok(SendPlan::Store {
        seq,
        head,
        keep_row: facts.ty.stores_history(),
        touch_sender: facts.role.is_some() && facts.last_send_time < now,
        listed: counts_for_conversations(
            facts.ty != GroupType::AVChatRoom,
            send.no_last_msg,
            msg.state == SlotState::Unstored,
            msg.is_system,
            !msg.to_accounts.is_empty(),
        ),
    })
}

/// One message of import_group_msg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMsg {
    pub from: String,
    pub send_time: i64,
    /// `None`: a random value is generated and no duplicate check is made.
    pub random: Option<u32>,
    /// The `MsgBody` JSON text exactly as sent.
    pub body: String,
    pub cloud_custom_data: Option<String>,
}

/// The outcome of one imported message (`ImportMsgResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Stored (or a duplicate of a stored message, whose seq and time these are).
    Stored(Sent),
    /// Refused; nothing stored, no seq taken.
    Refused(ErrorCode),
}

/// Whether import_group_msg may store a message sent at `send_time` (group-messages.md §10):
/// not in the future, not before the group was created, not before the newest message already
/// stored. Equal times are accepted (our choice), so several messages of one second can be
/// imported; this also keeps message times non-decreasing with seq, which the retention
/// sweeper relies on.
pub fn import_time_ok(send_time: i64, create_time: i64, newest_time: i64, now: i64) -> bool {
    send_time <= now && send_time >= create_time && send_time >= newest_time
}

/// What import_group_msg writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    /// One per message, in request order.
    pub results: Vec<Imported>,
    pub appends: Appends,
    /// The group's new `read_floor` when anything was stored: every member's unread count
    /// becomes 0 (§10) with one write, whatever the member count.
    pub read_floor: Option<u64>,
    /// With `RecentContactFlag` 1 and anything stored: the group's new contact head, the
    /// newest imported message (recent-contacts.md §0.2), written with `read_floor`.
    pub contact: Option<GroupHead>,
}

/// import_group_msg (group-messages.md §10) for the messages in request order;
/// `stored_duplicates[i]` is the stored message that `msgs[i]` repeats (same `Random` within
/// the window of its send time), as the store found it before this import. A repeated
/// `Random` is looked at first, so that retrying an import that did commit answers the
/// original seqs instead of failing the time rule; a message may also repeat one before it in
/// the same request. Messages breaking the time rules are refused one by one (10004); the
/// others take consecutive seqs.
pub fn decide_import(
    g: &GroupRecord,
    msgs: &[ImportMsg],
    stored_duplicates: &[Option<Sent>],
    recent_contact: bool,
    now: i64,
) -> Result<ImportPlan, Error> {
    g.ty.check(GroupOp::ImportMsg)?;
    let mut appender = Appender::new(g.ty, MsgHead::of(g));
    // (seq, Random, time) of the messages this import stores, for repeats within it.
    let mut stored: Vec<(u64, u32, i64)> = Vec::new();
    let mut results = Vec::with_capacity(msgs.len());
    for (i, m) in msgs.iter().enumerate() {
        if let Some(r) = m.random {
            let since = dedup_since(m.send_time);
            let earlier = stored
                .iter()
                .rev()
                .find(|(_, random, time)| *random == r && *time >= since)
                .map(|&(seq, _, time)| Sent::original(seq, time));
            if let Some(original) = earlier.or(stored_duplicates.get(i).copied().flatten()) {
                results.push(Imported::Stored(original));
                continue;
            }
        }
        if !import_time_ok(
            m.send_time,
            g.create_time,
            appender.head().last_msg_time,
            now,
        ) {
            results.push(Imported::Refused(ErrorCode::GroupInvalidParameter));
            continue;
        }
        let random = m.random.unwrap_or_else(rand::random);
        let seq = appender.push(NewGroupMsg {
            from: m.from.clone(),
            random,
            time: m.send_time,
            priority: DEFAULT_PRIORITY,
            state: SlotState::Normal,
            is_system: false,
            body: m.body.clone(),
            cloud_custom_data: m.cloud_custom_data.clone(),
            to_accounts: Vec::new(),
        });
        stored.push((seq, random, m.send_time));
        results.push(Imported::Stored(Sent {
            seq,
            time: m.send_time,
            duplicate: false,
        }));
    }
    let read_floor = (!stored.is_empty()).then(|| appender.head().last_seq());
    let contact = stored
        .last()
        .filter(|_| recent_contact)
        .map(|&(seq, _, time)| GroupHead { seq, time });
    Ok(ImportPlan {
        results,
        appends: appender.finish(),
        read_floor,
        contact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::group;

    fn send(from: &str, time: i64) -> SendMsg {
        SendMsg {
            msg: NewGroupMsg {
                from: from.into(),
                random: 9,
                time,
                priority: DEFAULT_PRIORITY,
                state: SlotState::Normal,
                is_system: false,
                body: "[]".into(),
                cloud_custom_data: None,
                to_accounts: Vec::new(),
            },
            sender_is_admin: false,
            no_last_msg: false,
            callback: None,
            support_extension: false,
        }
    }

    fn facts(ty: GroupType) -> SendFacts {
        SendFacts {
            ty,
            head: MsgHead {
                next_msg_seq: 5,
                last_msg_time: 90,
            },
            mute_all: false,
            sender_exists: true,
            role: Some(Role::Member),
            last_send_time: 0,
            mute_until: 0,
            duplicate: None,
            receivers_are_members: Vec::new(),
        }
    }

    fn code(send: &SendMsg, facts: &SendFacts) -> ErrorCode {
        decide_send("g", send, facts).unwrap_err().code
    }

    #[test]
    fn a_send_takes_the_next_seq() {
        let plan = decide_send("g", &send("m", 100), &facts(GroupType::Public)).unwrap();
        let head = MsgHead {
            next_msg_seq: 6,
            last_msg_time: 100,
        };
        assert_eq!(
            plan,
            SendPlan::Store {
                seq: 5,
                head,
                keep_row: true,
                touch_sender: true,
                listed: true,
            }
        );
        let mut f = facts(GroupType::AVChatRoom);
        f.last_send_time = 100;
        let SendPlan::Store {
            keep_row,
            touch_sender,
            listed,
            ..
        } = decide_send("g", &send("m", 100), &f).unwrap()
        else {
            panic!("stored")
        };
        assert!(!keep_row, "AVChatRoom takes a seq and keeps no row");
        assert!(!touch_sender, "a second send within the same second");
        assert!(!listed, "AVChatRoom has no conversations");
        let mut quiet = send("m", 100);
        quiet.no_last_msg = true;
        let listed = |s: &SendMsg| {
            matches!(
                decide_send("g", s, &facts(GroupType::Public)).unwrap(),
                SendPlan::Store { listed: true, .. }
            )
        };
        assert!(!listed(&quiet), "NoLastMsg");
        let mut online = send("m", 100);
        online.msg.state = SlotState::Unstored;
        assert!(!listed(&online), "online-only");
    }

    #[test]
    fn send_refusals_in_order() {
        let s = send("m", 100);
        let mut f = facts(GroupType::Public);
        f.role = None;
        assert_eq!(
            code(&s, &f),
            ErrorCode::GroupPermissionDenied,
            "not a member"
        );
        f.sender_exists = false;
        assert_eq!(code(&s, &f), ErrorCode::GroupAccountNotFound);
        let mut f = facts(GroupType::AVChatRoom);
        f.role = None;
        assert!(
            decide_send("g", &s, &f).is_ok(),
            "anyone may send to AVChatRoom"
        );
        let mut f = facts(GroupType::Public);
        f.mute_until = 101;
        assert_eq!(code(&s, &f), ErrorCode::GroupSenderMuted);
        let mut f = facts(GroupType::Public);
        f.mute_all = true;
        assert_eq!(code(&s, &f), ErrorCode::GroupSenderMuted);
        f.role = Some(Role::Admin);
        assert!(decide_send("g", &s, &f).is_ok(), "mute-all spares admins");
        let mut admin = send("boss", 100);
        admin.sender_is_admin = true;
        let mut f = facts(GroupType::Public);
        (f.role, f.mute_all) = (None, true);
        assert!(decide_send("g", &admin, &f).is_ok(), "an app admin");
    }

    #[test]
    fn targeted_sends_and_repeats() {
        let mut s = send("m", 100);
        s.msg.to_accounts = vec!["a".into(), "b".into()];
        let mut f = facts(GroupType::Public);
        f.receivers_are_members = vec![true, false];
        assert_eq!(code(&s, &f), ErrorCode::GroupInvalidParameter);
        f.receivers_are_members = vec![true, true];
        assert!(decide_send("g", &s, &f).is_ok());
        let mut f = facts(GroupType::Community);
        f.receivers_are_members = vec![true, true];
        assert_eq!(code(&s, &f), ErrorCode::GroupPermissionDenied);
        let mut f = facts(GroupType::Public);
        f.duplicate = Some(Sent::original(3, 80));
        assert_eq!(
            decide_send("g", &send("m", 100), &f),
            Ok(SendPlan::Duplicate(Sent::original(3, 80)))
        );
    }

    fn import(random: Option<u32>, send_time: i64) -> ImportMsg {
        ImportMsg {
            from: "a".into(),
            send_time,
            random,
            body: "[]".into(),
            cloud_custom_data: None,
        }
    }

    #[test]
    fn imports_take_consecutive_seqs_and_keep_time_order() {
        let g = group(GroupType::Public); // next seq 11, newest message at 150, created at 100
        let msgs = [
            import(Some(1), 150),
            import(None, 149), // older than the one before: refused
            import(None, 160),
            import(Some(2), 500), // in the future
        ];
        let plan = decide_import(&g, &msgs, &[None, None, None, None], false, 200).unwrap();
        let seqs: Vec<_> = plan
            .results
            .iter()
            .map(|r| match r {
                Imported::Stored(s) => Ok(s.seq),
                Imported::Refused(c) => Err(*c),
            })
            .collect();
        let refused = Err(ErrorCode::GroupInvalidParameter);
        assert_eq!(seqs, vec![Ok(11), refused, Ok(12), refused]);
        assert_eq!(plan.appends.rows.len(), 2);
        let head = MsgHead {
            next_msg_seq: 13,
            last_msg_time: 160,
        };
        assert_eq!(plan.appends.head, Some(head));
        assert_eq!(plan.read_floor, Some(12));
        assert_eq!(plan.contact, None, "without RecentContactFlag");
    }

    #[test]
    fn imports_answer_repeats_from_the_store_and_from_the_same_request() {
        let g = group(GroupType::Public);
        let msgs = [
            import(Some(7), 150),
            import(Some(7), 151),
            import(Some(8), 152),
        ];
        let stored = [
            None,
            Some(Sent::original(4, 120)),
            Some(Sent::original(9, 140)),
        ];
        let plan = decide_import(&g, &msgs, &stored, true, 200).unwrap();
        let out: Vec<_> = plan
            .results
            .iter()
            .map(|r| match r {
                Imported::Stored(s) => (s.seq, s.time),
                Imported::Refused(_) => (0, 0),
            })
            .collect();
        // The second repeats the first of this request (newer than the stored one).
        assert_eq!(out, vec![(11, 150), (11, 150), (9, 140)]);
        assert_eq!(plan.appends.rows.len(), 1);
        assert_eq!(
            plan.contact,
            Some(GroupHead { seq: 11, time: 150 }),
            "RecentContactFlag 1"
        );
        let nothing = decide_import(&g, &msgs[2..], &stored[2..], true, 200).unwrap();
        assert_eq!((nothing.appends.head, nothing.read_floor), (None, None));
        let e =
            decide_import(&group(GroupType::AVChatRoom), &msgs, &stored, false, 200).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
    }

    #[test]
    fn import_times() {
        // (send_time, create_time, newest, now)
        assert!(import_time_ok(10, 10, 10, 10), "equal times are accepted");
        assert!(!import_time_ok(11, 0, 0, 10), "future");
        assert!(
            !import_time_ok(9, 10, 0, 20),
            "before the group was created"
        );
        assert!(!import_time_ok(9, 0, 10, 20), "before the newest message");
    }

    #[test]
    fn appenders_keep_rows_only_where_history_is_kept() {
        let head = MsgHead {
            next_msg_seq: 1,
            last_msg_time: 0,
        };
        let mut a = Appender::new(GroupType::AVChatRoom, head);
        assert_eq!(a.push(send("m", 5).msg), 1);
        let out = a.finish();
        assert!(out.rows.is_empty());
        assert_eq!(out.head.map(|h| h.next_msg_seq), Some(2));
        assert_eq!(Appender::new(GroupType::Public, head).finish().head, None);
    }
}
