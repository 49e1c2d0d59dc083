//! The conversation list: what `get_list` shows, its order and its paging, and the rules of
//! `delete` and `top`. spec: recent-contacts.md §0–§3, §13.
//!
//! **Derived, not written on send.** The cloud updates every member's conversation when a
//! group message is sent. Writing one row per member would make `send_group_msg` cost in
//! proportion to the group's size, and `send_group_msg` and `sendmsg` are benchmarked near the
//! cost of the cheapest call. So nothing per user is written when a message is sent:
//! - a C2C conversation's `MsgTime` is the side's `last_time` the C2C row already keeps
//!   (`crate::c2c::SideState`; `NoLastMsg`, online-only messages and `SyncOtherMachine` 2
//!   already leave it alone, as §0.2 asks);
//! - a group conversation's `MsgTime` is the group's *contact head* ([`GroupHead`]): the seq
//!   and time of its newest message that counts for conversations, moved in the statement
//!   that moves the group's message head ([`counts_for_conversations`] says which do). A
//!   member has the conversation when that message reached them ([`group_visible`]).
//!
//! Per user only what the user did is stored ([`UserState`]): a pin and its time, and for a
//! deleted group conversation the contact seq it was deleted at, so that it comes back with
//! the next message. A deleted C2C conversation sets its side's `last_time` to 0 in the
//! conversation row instead (the next message sets it again).
//!
//! **The cap at read time.** The cloud evicts the least recently updated conversation when a
//! message creates the 101st. Read-time capping ([`capped`]) shows the same list as long as
//! nothing is deleted (an *inferred equivalence*): the conversations kept are the pinned ones
//! and the newest of the others, which is exactly the set eviction on insert leaves. It differs
//! only in that a conversation pushed out comes back when a newer one is deleted or expires,
//! where the cloud's would stay gone until its next message.

use super::{ContactData, ContactKey, LIST_PAGE_SIZE, MAX_PINNED};
use crate::message::Retention;
use crate::Error;
use std::collections::{BTreeMap, BTreeSet};

/// Whether a group message moves its members' conversations (§0.2): not in AVChatRoom (its
/// members are not tracked), not with `NoLastMsg`, not online-only, not a system message
/// (group tips and `send_group_system_notification`), and not a message targeted at some
/// members (`To_Account`): the conversation head is shared by all members, and moving it for
/// a message most of them never receive would show them a conversation they have no message
/// in (inferred; the cloud moves only the receivers', which needs a write per receiver).
pub fn counts_for_conversations(
    stores_members: bool,
    no_last_msg: bool,
    online_only: bool,
    is_system: bool,
    targeted: bool,
) -> bool {
    stores_members && !no_last_msg && !online_only && !is_system && !targeted
}

/// A group's contact head: its newest message that counts for conversations (0, 0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupHead {
    pub seq: u64,
    pub time: i64,
}

/// Whether a member has the group's conversation: the head message reached it (sent at or
/// after its join, `join_seq` being the group's next seq when it joined) and is newer than the
/// one it deleted the conversation at (`deleted_at`, a contact seq; 0: never deleted).
pub fn group_visible(head: GroupHead, join_seq: u64, deleted_at: u64) -> bool {
    head.seq > 0 && head.seq >= join_seq && head.seq > deleted_at
}

/// What a user did to one conversation of their list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserState {
    /// When it was pinned (orders the pinned section, §0.1); `None`: not pinned.
    pub pinned_at: Option<i64>,
    /// Group conversations: the contact seq it was deleted at (0: never).
    pub deleted_at: u64,
    /// Group conversations: `ClearRamble` hid the group's messages up to this seq from the
    /// user (0: nothing). No read made on a member's behalf exists yet; kept so that one
    /// added later sees what the user cleared.
    pub cleared_upto: u64,
}

impl UserState {
    /// Nothing left to keep: the row can be deleted.
    pub fn is_default(&self) -> bool {
        *self == UserState::default()
    }
}

/// One conversation of a user's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub key: ContactKey,
    /// `MsgTime`: the newest message the list shows; 0 for an empty conversation (§0.3).
    pub msg_time: i64,
    pub pinned_at: Option<i64>,
    /// Its marks and conversation groups, if it has any.
    pub data: Option<ContactData>,
}

/// What `get_list` is built from, as the store read it for one owner.
#[derive(Debug, Clone, Default)]
pub struct ListFacts {
    /// C2C conversations: peer and this side's `last_time` (0: not in the list).
    pub c2c: Vec<(String, i64)>,
    /// The groups the owner is a member of: GroupId, contact head, the owner's `join_seq`.
    pub groups: Vec<(String, GroupHead, u64)>,
    /// The owner's [`UserState`] rows.
    pub states: BTreeMap<ContactKey, UserState>,
    /// The owner's contact-book items (marks, groups).
    pub data: BTreeMap<ContactKey, ContactData>,
}

/// The `AssistFlags` bits of `get_list` (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssistFlags {
    /// Bit 0: a separate pinned section first.
    pub top_section: bool,
    /// Bit 1: include empty conversations.
    pub with_empty: bool,
    /// Bit 2: page the pinned section too (else it is all sent on the first page).
    pub page_top: bool,
    /// Bit 3 or higher: include `StandardMark`, `CustomMark`, `ContactGroupId` (inferred:
    /// they appear exactly in the samples made with 15 and 63).
    pub with_marks: bool,
}

impl AssistFlags {
    pub fn from_bits(bits: u64) -> AssistFlags {
        AssistFlags {
            top_section: bits & 1 != 0,
            with_empty: bits & 2 != 0,
            page_top: bits & 4 != 0,
            with_marks: bits >> 3 != 0,
        }
    }
}

/// A section's position (§1): continue with items whose sort time is ≤ `time`, skipping the
/// first `index` of those with exactly that time; (0, 0) is the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub time: i64,
    pub index: u64,
}

impl Cursor {
    fn is_start(self) -> bool {
        self == Cursor::default()
    }
}

/// A `get_list` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub normal: Cursor,
    pub top: Cursor,
    pub flags: AssistFlags,
    /// The app's conversation cap (`DEFAULT_MAX_CONVERSATIONS` unless configured).
    pub cap: usize,
}

impl Default for ListQuery {
    /// The first page, nothing asked for, the default cap.
    fn default() -> Self {
        ListQuery {
            normal: Cursor::default(),
            top: Cursor::default(),
            flags: AssistFlags::default(),
            cap: super::DEFAULT_MAX_CONVERSATIONS,
        }
    }
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// In the order sent.
    pub items: Vec<Conversation>,
    pub complete: bool,
    pub normal: Cursor,
    pub top: Cursor,
}

/// The user's whole list, before paging: every conversation with a retained message or a
/// pin, capped ([`capped`]), and, with `with_empty`, the conversations that only have marks
/// or groups. A conversation whose latest message expired (`retention`, §0.3) is gone unless
/// it is pinned or marked, when it stays as an empty one.
pub fn assemble(
    facts: ListFacts,
    retention: Retention,
    with_empty: bool,
    cap: usize,
) -> Vec<Conversation> {
    let live = |t: i64| if t > 0 && !retention.expired(t) { t } else { 0 };
    let mut times: BTreeMap<ContactKey, i64> = BTreeMap::new();
    for (peer, last) in facts.c2c {
        let t = live(last);
        if t > 0 {
            times.insert(ContactKey::c2c(&peer), t);
        }
    }
    for (gid, head, join_seq) in facts.groups {
        let key = ContactKey::group(&gid);
        let deleted_at = facts.states.get(&key).map_or(0, |s| s.deleted_at);
        let t = live(head.time);
        if t > 0 && group_visible(head, join_seq, deleted_at) {
            times.insert(key, t);
        }
    }
    let mut all: Vec<Conversation> = Vec::new();
    let mut seen = BTreeSet::new();
    for (key, t) in &times {
        seen.insert(key.clone());
        all.push(Conversation {
            key: key.clone(),
            msg_time: *t,
            pinned_at: facts.states.get(key).and_then(|s| s.pinned_at),
            data: None,
        });
    }
    for (key, s) in &facts.states {
        if let (Some(at), false) = (s.pinned_at, seen.contains(key)) {
            seen.insert(key.clone());
            all.push(Conversation {
                key: key.clone(),
                msg_time: 0,
                pinned_at: Some(at),
                data: None,
            });
        }
    }
    // A conversation the cap drops is in `seen`: it does not come back as an empty one.
    let mut all = capped(all, cap);
    if with_empty {
        for key in facts.data.keys() {
            if !seen.contains(key) {
                all.push(Conversation {
                    key: key.clone(),
                    msg_time: 0,
                    pinned_at: None,
                    data: None,
                });
            }
        }
    } else {
        all.retain(|c| c.msg_time > 0);
    }
    for c in &mut all {
        c.data = facts.data.get(&c.key).cloned();
    }
    all
}

/// At most `cap` conversations: the pinned ones (at most [`MAX_PINNED`], fewer than the cap)
/// and the newest of the others; an unpinned conversation without a message is never dropped
/// for one with a message, as it holds no place of its own (§13's eviction, at read time).
pub fn capped(mut all: Vec<Conversation>, cap: usize) -> Vec<Conversation> {
    let pinned = all.iter().filter(|c| c.pinned_at.is_some()).count();
    let quota = cap.saturating_sub(pinned);
    let mut unpinned: Vec<(i64, ContactKey)> = all
        .iter()
        .filter(|c| c.pinned_at.is_none() && c.msg_time > 0)
        .map(|c| (c.msg_time, c.key.clone()))
        .collect();
    if unpinned.len() <= quota {
        return all;
    }
    unpinned.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let dropped: BTreeSet<ContactKey> = unpinned.drain(quota..).map(|(_, k)| k).collect();
    all.retain(|c| !dropped.contains(&c.key));
    all
}

/// Newest first, ties by type then peer (§13).
fn by_time(items: &mut [Conversation], time: impl Fn(&Conversation) -> i64) {
    items.sort_by(|a, b| time(b).cmp(&time(a)).then_with(|| a.key.cmp(&b.key)));
}

fn pin_time(c: &Conversation) -> i64 {
    c.pinned_at.unwrap_or(0)
}

fn msg_time(c: &Conversation) -> i64 {
    c.msg_time
}

/// Takes at most `budget` items of `items` (sorted by `time`, newest first) after `cursor`
/// into `out`; returns the cursor after them and whether the section is finished.
fn take_section(
    items: &[Conversation],
    time: fn(&Conversation) -> i64,
    cursor: Cursor,
    budget: usize,
    out: &mut Vec<Conversation>,
) -> (Cursor, bool) {
    let mut start = 0;
    if !cursor.is_start() {
        start = items.partition_point(|c| time(c) > cursor.time);
        let same = items[start..]
            .iter()
            .take_while(|c| time(c) == cursor.time)
            .count();
        start += same.min(usize::try_from(cursor.index).unwrap_or(usize::MAX));
    }
    let rest = &items[start..];
    let taken = &rest[..rest.len().min(budget)];
    let mut next = cursor;
    if let Some(last) = taken.last() {
        let t = time(last);
        let mut index = taken.iter().filter(|c| time(c) == t).count() as u64;
        if !cursor.is_start() && t == cursor.time {
            index += cursor.index;
        }
        next = Cursor { time: t, index };
    }
    out.extend(taken.iter().cloned());
    (next, taken.len() == rest.len())
}

/// One page of `all` for `query` (§1, inferred ordering and paging): with bit 0 the pinned
/// section (pin time, newest first) comes before the normal one (`MsgTime`, newest first);
/// without it one section by `MsgTime`, `TopFlag` still reported. 100 items a page. When the
/// whole list has been sent both cursors are (`now`, 0), as in the documented sample.
pub fn page(mut all: Vec<Conversation>, query: &ListQuery, now: i64) -> ListPage {
    let flags = query.flags;
    let mut items = Vec::new();
    let (mut normal, mut top) = (query.normal, query.top);
    let complete;
    if flags.top_section {
        let (mut pinned, mut rest): (Vec<_>, Vec<_>) =
            all.drain(..).partition(|c| c.pinned_at.is_some());
        by_time(&mut pinned, pin_time);
        by_time(&mut rest, msg_time);
        let top_done;
        if flags.page_top {
            (top, top_done) =
                take_section(&pinned, pin_time, query.top, LIST_PAGE_SIZE, &mut items);
        } else if query.normal.is_start() {
            (top, top_done) = take_section(
                &pinned,
                pin_time,
                Cursor::default(),
                pinned.len(),
                &mut items,
            );
        } else {
            top_done = true;
        }
        let normal_done;
        if top_done {
            let budget = LIST_PAGE_SIZE.saturating_sub(items.len());
            (normal, normal_done) = take_section(&rest, msg_time, query.normal, budget, &mut items);
        } else {
            normal_done = rest.is_empty();
        }
        complete = top_done && normal_done;
    } else {
        by_time(&mut all, msg_time);
        let done;
        (normal, done) = take_section(&all, msg_time, query.normal, LIST_PAGE_SIZE, &mut items);
        complete = done;
    }
    if complete {
        let end = Cursor {
            time: now,
            index: 0,
        };
        (normal, top) = (end, end);
    }
    ListPage {
        items,
        complete,
        normal,
        top,
    }
}

/// `top` (§3): the pins after the call, or 50002 when more than [`MAX_PINNED`] conversations
/// would be pinned (nothing changes). `pinned` is the user's pinned conversations now.
/// Pinning sets the pin time to `now` (re-pinning refreshes it); unpinning what is not pinned
/// changes nothing. Returns the keys whose pin changes, with their new pin.
pub fn decide_top(
    pinned: &BTreeSet<ContactKey>,
    pin: bool,
    items: &[ContactKey],
    now: i64,
) -> Result<Vec<(ContactKey, Option<i64>)>, Error> {
    let mut changes = Vec::new();
    let mut after = pinned.clone();
    for key in items {
        if changes.iter().any(|(k, _)| k == key) {
            continue;
        }
        if pin {
            after.insert(key.clone());
            changes.push((key.clone(), Some(now)));
        } else if after.remove(key) {
            changes.push((key.clone(), None));
        }
    }
    if after.len() > MAX_PINNED {
        return Err(super::invalid(format!(
            "{} conversations would be pinned; at most {MAX_PINNED} may be",
            after.len()
        )));
    }
    Ok(changes)
}

/// `delete` of a group conversation: the user's new state. The pin is dropped (§2); marks and
/// conversation groups are kept (they are not part of the list).
pub fn deleted_group_state(
    current: UserState,
    head: GroupHead,
    last_seq: u64,
    clear_history: bool,
) -> UserState {
    UserState {
        pinned_at: None,
        deleted_at: current.deleted_at.max(head.seq),
        cleared_upto: if clear_history {
            current.cleared_upto.max(last_seq)
        } else {
            current.cleared_upto
        },
    }
}

/// The time a C2C side's history is cleared up to by `ClearRamble`, and its read mark, after
/// a delete at `now`: neither moves back.
pub fn deleted_c2c_marks(read_time: i64, cleared_time: i64, now: i64, clear: bool) -> (i64, i64) {
    (
        read_time.max(now),
        if clear {
            cleared_time.max(now)
        } else {
            cleared_time
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(peer: &str, t: i64, pin: Option<i64>) -> Conversation {
        Conversation {
            key: ContactKey::c2c(peer),
            msg_time: t,
            pinned_at: pin,
            data: None,
        }
    }

    fn peers(p: &ListPage) -> Vec<&str> {
        p.items.iter().map(|c| c.key.peer.as_str()).collect()
    }

    fn query(bits: u64) -> ListQuery {
        ListQuery {
            flags: AssistFlags::from_bits(bits),
            ..ListQuery::default()
        }
    }

    #[test]
    fn flags() {
        let f = AssistFlags::from_bits(15);
        assert!(f.top_section && f.with_empty && f.page_top && f.with_marks);
        assert!(AssistFlags::from_bits(63).with_marks);
        assert!(!AssistFlags::from_bits(7).with_marks);
        assert_eq!(AssistFlags::from_bits(0), AssistFlags::default());
    }

    #[test]
    fn pinned_first_then_newest() {
        let all = vec![
            conv("a", 10, None),
            conv("b", 30, None),
            conv("c", 20, Some(5)),
            conv("d", 20, None),
        ];
        let p = page(all.clone(), &query(7), 99);
        assert_eq!(peers(&p), ["c", "b", "d", "a"]);
        assert!(p.complete);
        assert_eq!(p.normal, Cursor { time: 99, index: 0 });
        assert_eq!(p.top, p.normal);
        // Without bit 0: one section by MsgTime.
        let p = page(all, &query(0), 99);
        assert_eq!(peers(&p), ["b", "c", "d", "a"]);
    }

    #[test]
    fn paging_resumes_within_a_second() {
        let all: Vec<_> = (0..250)
            .map(|i| conv(&format!("u{i:03}"), 1000 - i / 3, None))
            .collect();
        let mut q = query(7);
        let mut got = Vec::new();
        loop {
            let p = page(all.clone(), &q, 5000);
            got.extend(p.items.iter().map(|c| c.key.peer.clone()));
            if p.complete {
                break;
            }
            assert_eq!(p.items.len(), LIST_PAGE_SIZE);
            q.normal = p.normal;
            q.top = p.top;
        }
        let want: Vec<_> = (0..250).map(|i| format!("u{i:03}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_pinned_section_pages_with_bit_2() {
        let mut all: Vec<_> = (0..50)
            .map(|i| conv(&format!("p{i:02}"), 0, Some(100 + i)))
            .collect();
        all.extend((0..80).map(|i| conv(&format!("n{i:02}"), 500 - i, None)));
        let p = page(all.clone(), &query(7), 9);
        assert_eq!(p.items.len(), 100);
        assert_eq!(p.items[0].key.peer, "p49");
        assert!(!p.complete);
        let mut q = query(7);
        (q.normal, q.top) = (p.normal, p.top);
        let p2 = page(all.clone(), &q, 9);
        assert_eq!(p2.items.len(), 30);
        assert_eq!(p2.items[0].key.peer, "n50");
        assert!(p2.complete);
        // Without bit 2 the pinned section only comes on the first page.
        let p = page(all.clone(), &query(3), 9);
        assert_eq!(p.items.len(), 100);
        let mut q = query(3);
        (q.normal, q.top) = (p.normal, p.top);
        let p2 = page(all, &q, 9);
        assert_eq!(p2.items.len(), 30);
        assert!(p2.items.iter().all(|c| c.pinned_at.is_none()));
    }

    #[test]
    fn the_cap_keeps_pins_and_the_newest() {
        let mut all: Vec<_> = (0..120)
            .map(|i| conv(&format!("u{i:03}"), 1 + i, None))
            .collect();
        all[0].pinned_at = Some(7);
        let kept = capped(all, 100);
        assert_eq!(kept.len(), 100);
        assert!(kept.iter().any(|c| c.key.peer == "u000"), "pinned kept");
        assert!(
            !kept.iter().any(|c| c.key.peer == "u020"),
            "oldest unpinned dropped"
        );
        assert!(kept.iter().any(|c| c.key.peer == "u021"));
    }

    #[test]
    fn assembling() {
        let head = GroupHead {
            seq: 9,
            time: 195_000,
        };
        let mut facts = ListFacts {
            c2c: vec![
                ("bob".into(), 190_000),
                ("gone".into(), 0),
                ("old".into(), 5),
            ],
            groups: vec![
                ("g1".into(), head, 1),
                ("late".into(), head, 10),
                ("del".into(), head, 1),
                ("none".into(), GroupHead::default(), 1),
            ],
            ..ListFacts::default()
        };
        facts.states.insert(
            ContactKey::group("del"),
            UserState {
                deleted_at: 9,
                ..UserState::default()
            },
        );
        facts.states.insert(
            ContactKey::c2c("pinned"),
            UserState {
                pinned_at: Some(3),
                ..UserState::default()
            },
        );
        facts
            .data
            .insert(ContactKey::c2c("marked"), ContactData::default());
        let retention = Retention {
            days: 1,
            now: 200_000,
        };
        let keys = |v: &[Conversation]| v.iter().map(|c| c.key.peer.clone()).collect::<Vec<_>>();
        let with = assemble(facts.clone(), retention, true, 100);
        assert_eq!(
            keys(&with),
            ["bob", "g1", "pinned", "marked"],
            "old expired"
        );
        let without = assemble(facts, retention, false, 100);
        assert_eq!(keys(&without), ["bob", "g1"]);
    }

    #[test]
    fn group_conversations_follow_the_head() {
        let h = GroupHead { seq: 5, time: 1 };
        assert!(group_visible(h, 5, 0));
        assert!(!group_visible(h, 6, 0), "joined after it");
        assert!(!group_visible(h, 1, 5), "deleted at it");
        assert!(
            group_visible(GroupHead { seq: 6, time: 2 }, 1, 5),
            "a newer message"
        );
        assert!(!group_visible(GroupHead::default(), 0, 0));
        assert!(counts_for_conversations(true, false, false, false, false));
        for args in [
            (false, false, false, false, false),
            (true, true, false, false, false),
            (true, false, true, false, false),
            (true, false, false, true, false),
            (true, false, false, false, true),
        ] {
            assert!(!counts_for_conversations(
                args.0, args.1, args.2, args.3, args.4
            ));
        }
    }

    #[test]
    fn pins() {
        let mut pinned = BTreeSet::new();
        let keys: Vec<_> = (0..50).map(|i| ContactKey::c2c(&format!("u{i}"))).collect();
        let ch = decide_top(&pinned, true, &keys, 7).unwrap();
        assert_eq!(ch.len(), 50);
        pinned.extend(keys.iter().cloned());
        let e = decide_top(&pinned, true, &[ContactKey::c2c("x")], 8).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::ContactInvalidParameter);
        // Re-pinning refreshes; unpinning an unpinned one is nothing.
        assert_eq!(
            decide_top(&pinned, true, &keys[..1], 9).unwrap(),
            [(keys[0].clone(), Some(9))]
        );
        assert!(decide_top(&pinned, false, &[ContactKey::c2c("x")], 9)
            .unwrap()
            .is_empty());
        assert_eq!(
            decide_top(&pinned, false, &keys[..1], 9).unwrap(),
            [(keys[0].clone(), None)]
        );
    }

    #[test]
    fn deleting_keeps_marks_drops_the_pin() {
        let s = UserState {
            pinned_at: Some(4),
            deleted_at: 2,
            cleared_upto: 1,
        };
        let head = GroupHead { seq: 8, time: 3 };
        let d = deleted_group_state(s, head, 10, false);
        assert_eq!((d.pinned_at, d.deleted_at, d.cleared_upto), (None, 8, 1));
        assert_eq!(deleted_group_state(s, head, 10, true).cleared_upto, 10);
        assert_eq!(deleted_c2c_marks(5, 3, 9, false), (9, 3));
        assert_eq!(deleted_c2c_marks(20, 3, 9, true), (20, 9));
    }
}
