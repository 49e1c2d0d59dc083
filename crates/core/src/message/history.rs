//! A group's history as slots: what is stored per MsgSeq, the admin's page
//! (group_msg_get_simple) and the member-facing view. spec: group-messages.md §1, §2, §5;
//! DESIGN.md invariant 4.

use super::{Retention, DEFAULT_PRIORITY, MAX_HISTORY_PAGE};
use crate::group::{not_member, GroupOp, GroupRecord, MemberRecord};
use crate::Error;

/// State of a stored slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    Normal,
    /// Online-only message: the seq was taken but the body never stored.
    Unstored,
    /// Recalled by group_msg_recall or delete_group_msg_by_sender.
    Recalled,
}

impl SlotState {
    pub const fn to_db(self) -> i64 {
        match self {
            SlotState::Normal => 0,
            SlotState::Unstored => 1,
            SlotState::Recalled => 2,
        }
    }
    pub const fn from_db(v: i64) -> SlotState {
        match v {
            1 => SlotState::Unstored,
            2 => SlotState::Recalled,
            _ => SlotState::Normal,
        }
    }
}

/// A stored group message as the store returns it. `body` and `cloud_custom_data` are the JSON
/// text and string exactly as they were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMsg {
    pub seq: u64,
    pub from: String,
    pub random: u32,
    pub time: i64,
    pub priority: u8,
    pub state: SlotState,
    pub is_system: bool,
    pub body: String,
    pub cloud_custom_data: Option<String>,
    /// Receivers of a targeted message; empty for a message to the whole group.
    pub to_accounts: Vec<String>,
}

/// `IsPlaceMsg` of a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// 0: a real message.
    Real = 0,
    /// 1: deleted, expired or never stored; the body is empty.
    Placeholder = 1,
    /// 2: recalled.
    Recalled = 2,
}

/// `MsgBody` of a placeholder: an empty element list.
pub const PLACEHOLDER_BODY: &str = "[]";

/// One entry of group_msg_get_simple, every documented field filled: strict client libraries
/// reject entries that lack one (group-messages.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub seq: u64,
    pub place: Place,
    pub from: String,
    pub random: u32,
    pub time: i64,
    /// 1 High … 4 Lowest.
    pub priority: u8,
    pub is_system: bool,
    /// The `MsgBody` JSON text.
    pub body: String,
    /// `""` when the message has none.
    pub cloud_custom_data: String,
}

impl HistoryEntry {
    /// The entry of a slot whose content is gone (see [`EntryRef::placeholder`]).
    pub fn placeholder(seq: u64) -> HistoryEntry {
        EntryRef::placeholder(seq).to_entry()
    }

    /// This entry, borrowed.
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            seq: self.seq,
            place: self.place,
            from: &self.from,
            random: self.random,
            time: self.time,
            priority: self.priority,
            is_system: self.is_system,
            body: &self.body,
            cloud_custom_data: &self.cloud_custom_data,
        }
    }
}

/// A [`HistoryEntry`] that borrows its strings from the row it was read from, so that a page
/// is written out without a `String` for each text of every message (BENCHMARKS.md, ledger:
/// history rows read in place, 6% of a page's instructions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub seq: u64,
    pub place: Place,
    pub from: &'a str,
    pub random: u32,
    pub time: i64,
    pub priority: u8,
    pub is_system: bool,
    pub body: &'a str,
    pub cloud_custom_data: &'a str,
}

impl EntryRef<'_> {
    /// The entry of a slot whose content is gone (expired, never stored, swept). The values are
    /// fixed, whatever the slot once held, so an entry reads the same before and after the
    /// sweeper deletes its row: `From_Account` "", `MsgRandom` 0, `MsgTimeStamp` 0,
    /// `MsgPriority` 2 (Normal), `IsSystemMsg` 0, `MsgBody` [], `CloudCustomData` "" (our
    /// choice; the documentation only says the body is empty).
    pub fn placeholder(seq: u64) -> EntryRef<'static> {
        EntryRef {
            seq,
            place: Place::Placeholder,
            from: "",
            random: 0,
            time: 0,
            priority: DEFAULT_PRIORITY,
            is_system: false,
            body: PLACEHOLDER_BODY,
            cloud_custom_data: "",
        }
    }

    /// A stored message shown as it is; a recalled one keeps its body (admin audit, our choice
    /// for group-messages.md §2 open point 1).
    fn message<'a>(m: &StoredRef<'a>, place: Place) -> EntryRef<'a> {
        EntryRef {
            seq: m.seq,
            place,
            from: m.from,
            random: m.random,
            time: m.time,
            priority: m.priority,
            is_system: m.is_system,
            body: m.body,
            cloud_custom_data: m.cloud_custom_data.unwrap_or_default(),
        }
    }

    /// An owned copy.
    pub fn to_entry(&self) -> HistoryEntry {
        HistoryEntry {
            seq: self.seq,
            place: self.place,
            from: self.from.to_owned(),
            random: self.random,
            time: self.time,
            priority: self.priority,
            is_system: self.is_system,
            body: self.body.to_owned(),
            cloud_custom_data: self.cloud_custom_data.to_owned(),
        }
    }
}

/// What the admin's history page reads of a stored message, borrowed from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRef<'a> {
    pub seq: u64,
    pub from: &'a str,
    pub random: u32,
    pub time: i64,
    pub priority: u8,
    pub state: SlotState,
    pub is_system: bool,
    pub body: &'a str,
    pub cloud_custom_data: Option<&'a str>,
}

impl StoredMsg {
    /// This message, borrowed (its receivers left out: the admin's page shows them to no one).
    pub fn as_ref(&self) -> StoredRef<'_> {
        StoredRef {
            seq: self.seq,
            from: &self.from,
            random: self.random,
            time: self.time,
            priority: self.priority,
            state: self.state,
            is_system: self.is_system,
            body: &self.body,
            cloud_custom_data: self.cloud_custom_data.as_deref(),
        }
    }
}

/// Takes a history page's entries, newest first, as they are read. The HTTP layer writes each
/// one straight into its answer; a `Vec` keeps owned copies.
pub trait PageSink: Send {
    fn entry(&mut self, e: EntryRef<'_>);
}

impl PageSink for Vec<HistoryEntry> {
    fn entry(&mut self, e: EntryRef<'_>) {
        self.push(e.to_entry());
    }
}

/// The seq range one history call covers, newest first: `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRange {
    pub lo: u64,
    pub hi: u64,
    /// Whether `[lo, hi]` is the whole range the caller asked for (`IsFinished` 1).
    pub complete: bool,
}

/// Plans a group_msg_get_simple call (group-messages.md §5): the caller asks for the range
/// `[ReqMsgSeq − ReqMsgNumber + 1, ReqMsgSeq]` (ReqMsgSeq clipped to the newest seq, absent =
/// newest; the range clipped at 1), of which at most 20 slots are read. `None` when there is
/// nothing to read.
pub fn plan_page(req_seq: Option<u64>, req_number: u64, last_seq: u64) -> Option<PageRange> {
    let hi = req_seq.unwrap_or(last_seq).min(last_seq);
    if hi == 0 || req_number == 0 {
        return None;
    }
    let n = req_number.min(MAX_HISTORY_PAGE);
    let lo = hi.saturating_sub(n - 1).max(1);
    let wanted_lo = hi.saturating_sub(req_number - 1).max(1);
    Some(PageRange {
        lo,
        hi,
        complete: lo <= wanted_lo,
    })
}

/// Builds the admin's history page of `range` from its stored rows, fed newest first (rows
/// may be missing; a row out of order or outside the range is ignored). Cleared messages stay
/// visible to the admin (the documentation says the admin can still pull them); recalled ones
/// appear only with `WithRecalledMsg`, as `IsPlaceMsg` 2; expired, unstored and missing slots
/// become placeholders. Entries go to the sink as the rows come, so none is copied.
pub struct AdminPage<'s> {
    range: PageRange,
    with_recalled: bool,
    retention: Retention,
    /// The newest seq not yet given an entry; `range.lo - 1` once all have one.
    next: u64,
    all_expired: bool,
    sink: &'s mut dyn PageSink,
}

impl<'s> AdminPage<'s> {
    pub fn new(
        range: PageRange,
        with_recalled: bool,
        retention: Retention,
        sink: &'s mut dyn PageSink,
    ) -> AdminPage<'s> {
        AdminPage {
            range,
            with_recalled,
            retention,
            next: range.hi,
            all_expired: true,
            sink,
        }
    }

    /// The stored row of one slot, older than every row before it.
    pub fn row(&mut self, m: StoredRef<'_>) {
        if m.seq > self.next || m.seq < self.range.lo {
            return;
        }
        self.placeholders_above(m.seq);
        let expired = self.retention.expired(m.time);
        self.all_expired &= expired;
        match m.state {
            SlotState::Recalled if !expired => {
                if self.with_recalled {
                    self.sink.entry(EntryRef::message(&m, Place::Recalled));
                }
            }
            SlotState::Normal if !expired => self.sink.entry(EntryRef::message(&m, Place::Real)),
            _ => self.sink.entry(EntryRef::placeholder(m.seq)),
        }
        self.next = m.seq - 1;
    }

    /// Placeholders for the slots left without a row. Returns `IsFinished`: 1 = the whole
    /// requested range, 0 = only part of it (more than 20 slots), 2 = only part of it and
    /// every slot read had expired.
    pub fn finish(mut self) -> u8 {
        self.placeholders_above(self.range.lo - 1);
        if self.range.complete {
            1
        } else if self.all_expired {
            2
        } else {
            0
        }
    }

    /// Placeholders for the slots from `next` down to just above `seq`: slots without a row
    /// (swept, or never stored), which count as expired.
    fn placeholders_above(&mut self, seq: u64) {
        while self.next > seq {
            self.sink.entry(EntryRef::placeholder(self.next));
            self.next -= 1;
        }
    }
}

/// What one member may see of a group's history (the member-facing view, DESIGN.md
/// invariant 4): nothing at or below the cleared watermark, nothing sent before the member
/// joined unless the group shows history before joining, nothing expired or never stored,
/// targeted messages only to their sender and receivers, recalled messages as bare markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberView<'a> {
    pub member: &'a str,
    /// Seqs at or below this were cleared by clear_group_msg.
    pub cleared_upto: u64,
    /// The first seq the member may read.
    pub first_visible_seq: u64,
    pub retention: Retention,
}

/// One entry of the member view: a message, or the fact that a message was recalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberEntry {
    Message(StoredMsg),
    /// The slot held a message that was recalled; its content is gone.
    Recalled {
        seq: u64,
        from: String,
        time: i64,
    },
}

impl MemberEntry {
    pub fn seq(&self) -> u64 {
        match self {
            MemberEntry::Message(m) => m.seq,
            MemberEntry::Recalled { seq, .. } => *seq,
        }
    }
}

/// One page of the member view, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPage {
    pub entries: Vec<MemberEntry>,
    /// The `ReqMsgSeq` of the next (older) page; `None` when nothing older is visible.
    pub next_seq: Option<u64>,
}

impl MemberView<'_> {
    /// No seq below this can be visible to the member.
    pub fn floor(&self) -> u64 {
        (self.cleared_upto + 1).max(self.first_visible_seq).max(1)
    }

    /// The slots one page reads: at most `limit` (≤ 20) at or below `req_seq` (absent: the
    /// newest), never below the floor. Cleared and pre-join slots are a prefix of the seq
    /// space, so they are never even read. `None` when nothing is left.
    pub fn plan(&self, req_seq: Option<u64>, limit: u64, last_seq: u64) -> Option<PageRange> {
        let hi = req_seq.unwrap_or(last_seq).min(last_seq);
        let floor = self.floor();
        if hi < floor || limit == 0 {
            return None;
        }
        let lo = hi
            .saturating_sub(limit.min(MAX_HISTORY_PAGE) - 1)
            .max(floor);
        Some(PageRange {
            lo,
            hi,
            complete: lo == floor,
        })
    }

    /// Filters the stored rows of a planned range into the member's page.
    pub fn page(&self, range: PageRange, mut rows: Vec<StoredMsg>) -> MemberPage {
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.seq));
        let entries = rows
            .into_iter()
            .filter(|r| (range.lo..=range.hi).contains(&r.seq))
            .filter_map(|r| self.visible(r))
            .collect();
        MemberPage {
            entries,
            next_seq: (!range.complete).then(|| range.lo - 1),
        }
    }

    /// What the member sees of one stored row, if anything.
    pub fn visible(&self, row: StoredMsg) -> Option<MemberEntry> {
        if row.seq < self.floor() || self.retention.expired(row.time) {
            return None;
        }
        if !row.to_accounts.is_empty()
            && row.from != self.member
            && !row.to_accounts.iter().any(|a| a == self.member)
        {
            return None;
        }
        match row.state {
            SlotState::Normal => Some(MemberEntry::Message(row)),
            SlotState::Recalled => Some(MemberEntry::Recalled {
                seq: row.seq,
                from: row.from,
                time: row.time,
            }),
            SlotState::Unstored => None,
        }
    }
}

/// The member-facing view of `g` for `member` (its membership `m`, if any): 10044 for a type
/// without history (AVChatRoom), 10007 for an account that is not a member.
pub fn member_view<'a>(
    g: &GroupRecord,
    member: &'a str,
    m: Option<&MemberRecord>,
    retention: Retention,
) -> Result<MemberView<'a>, Error> {
    g.ty.check(GroupOp::PullHistory)?;
    let m = m.ok_or_else(|| not_member(member, &g.group_id))?;
    Ok(MemberView {
        member,
        cleared_upto: g.cleared_upto,
        first_visible_seq: g.first_visible_seq(m),
        retention,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::record::tests::{group, member};
    use crate::group::{GroupType, Role};
    use crate::ErrorCode;

    #[test]
    fn page_planning() {
        let range = |lo, hi, complete| Some(PageRange { lo, hi, complete });
        assert_eq!(plan_page(None, 20, 0), None);
        assert_eq!(plan_page(None, 5, 100), range(96, 100, true));
        assert_eq!(plan_page(Some(500), 5, 100), range(96, 100, true));
        assert_eq!(plan_page(Some(3), 20, 100), range(1, 3, true));
        assert_eq!(plan_page(None, 50, 100), range(81, 100, false));
        assert_eq!(plan_page(None, 50, 30), range(11, 30, false));
        assert_eq!(plan_page(None, 50, 20), range(1, 20, true));
        assert_eq!(plan_page(Some(0), 5, 100), None);
        assert_eq!(plan_page(None, 0, 100), None);
    }

    fn msg(seq: u64, time: i64, state: SlotState) -> StoredMsg {
        StoredMsg {
            seq,
            from: "a".into(),
            random: 7,
            time,
            priority: 1,
            state,
            is_system: false,
            body: r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]"#.into(),
            cloud_custom_data: Some("c".into()),
            to_accounts: vec![],
        }
    }

    /// The admin's page of `rows` (any order), collected.
    fn admin_page(
        range: PageRange,
        mut rows: Vec<StoredMsg>,
        with_recalled: bool,
        retention: Retention,
    ) -> (Vec<HistoryEntry>, u8) {
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.seq));
        let mut out = Vec::new();
        let mut page = AdminPage::new(range, with_recalled, retention, &mut out);
        for r in &rows {
            page.row(r.as_ref());
        }
        let finished = page.finish();
        (out, finished)
    }

    #[test]
    fn admin_page_marks_slots() {
        let now = 1_000_000;
        let retention = Retention { days: 1, now };
        let range = plan_page(None, 5, 5).unwrap();
        let rows = vec![
            msg(1, 0, SlotState::Normal), // expired with 1-day retention
            msg(2, now, SlotState::Recalled),
            msg(3, now, SlotState::Unstored),
            // 4 missing (swept)
            msg(5, now, SlotState::Normal),
        ];
        let (page, fin) = admin_page(range, rows.clone(), false, retention);
        let places: Vec<_> = page.iter().map(|e| (e.seq, e.place)).collect();
        assert_eq!(
            places,
            vec![
                (5, Place::Real),
                (4, Place::Placeholder),
                (3, Place::Placeholder),
                (1, Place::Placeholder)
            ]
        );
        assert_eq!(fin, 1);
        assert_eq!(page[0].cloud_custom_data, "c");
        assert_eq!(page[0].priority, 1);
        // Placeholders carry fixed values, whatever the row held.
        assert_eq!(page[2], HistoryEntry::placeholder(3));
        assert_eq!(page[3], HistoryEntry::placeholder(1));
        let (page, _) = admin_page(range, rows, true, retention);
        let recalled = page.iter().find(|e| e.seq == 2).unwrap();
        assert_eq!(recalled.place, Place::Recalled);
        assert_eq!(recalled.body, msg(2, now, SlotState::Recalled).body);
    }

    #[test]
    fn admin_page_streams_rows_newest_first_and_fills_every_gap() {
        let retention = Retention {
            days: 0,
            now: 1_000_000,
        };
        let range = plan_page(Some(9), 6, 20).unwrap(); // [4, 9]
        let mut out = Vec::new();
        let mut page = AdminPage::new(range, false, retention, &mut out);
        for seq in [12, 7, 8, 5, 2] {
            // 12 is above the range, 8 comes after an older row and 2 is below the range:
            // each is left out rather than breaking the order.
            page.row(msg(seq, 0, SlotState::Normal).as_ref());
        }
        assert_eq!(page.finish(), 1);
        let places: Vec<_> = out.iter().map(|e| (e.seq, e.place)).collect();
        assert_eq!(
            places,
            vec![
                (9, Place::Placeholder),
                (8, Place::Placeholder),
                (7, Place::Real),
                (6, Place::Placeholder),
                (5, Place::Real),
                (4, Place::Placeholder),
            ]
        );
        let stored = msg(7, 0, SlotState::Normal);
        assert_eq!(
            (out[2].from.as_str(), out[2].body.as_str(), out[2].random),
            (stored.from.as_str(), stored.body.as_str(), stored.random)
        );
        assert_eq!(out[2].cloud_custom_data, "c");
    }

    #[test]
    fn admin_page_is_finished_two_when_partial_and_all_expired() {
        let retention = Retention {
            days: 1,
            now: 1_000_000,
        };
        let range = plan_page(None, 30, 25).unwrap();
        let rows = (1..=25).map(|s| msg(s, 0, SlotState::Normal)).collect();
        let (page, fin) = admin_page(range, rows, false, retention);
        assert_eq!(page.len(), 20);
        assert_eq!(fin, 2);
        let rows = (1..=25)
            .map(|s| msg(s, 999_999, SlotState::Normal))
            .collect();
        assert_eq!(admin_page(range, rows, false, retention).1, 0);
    }

    #[test]
    fn member_view_hides_cleared_early_expired_targeted() {
        let view = MemberView {
            member: "m",
            cleared_upto: 3,
            first_visible_seq: 2,
            retention: Retention::forever(0),
        };
        assert!(view.visible(msg(3, 0, SlotState::Normal)).is_none());
        assert!(view.visible(msg(4, 0, SlotState::Normal)).is_some());
        assert!(view.visible(msg(4, 0, SlotState::Unstored)).is_none());
        assert!(matches!(
            view.visible(msg(4, 0, SlotState::Recalled)),
            Some(MemberEntry::Recalled { seq: 4, .. })
        ));
        let mut t = msg(5, 0, SlotState::Normal);
        t.to_accounts = vec!["x".into()];
        assert!(view.visible(t.clone()).is_none());
        t.to_accounts.push("m".into());
        assert!(view.visible(t.clone()).is_some());
        t.to_accounts = vec!["x".into()];
        t.from = "m".into();
        assert!(
            view.visible(t).is_some(),
            "the sender sees its targeted message"
        );
        let view = MemberView {
            member: "m",
            cleared_upto: 0,
            first_visible_seq: 10,
            retention: Retention::forever(0),
        };
        assert!(view.visible(msg(9, 0, SlotState::Normal)).is_none());
        let view = MemberView {
            member: "m",
            cleared_upto: 0,
            first_visible_seq: 1,
            retention: Retention {
                days: 1,
                now: 1_000_000,
            },
        };
        assert!(view.visible(msg(1, 0, SlotState::Normal)).is_none());
    }

    #[test]
    fn member_pages_stop_at_the_floor() {
        let view = MemberView {
            member: "m",
            cleared_upto: 30,
            first_visible_seq: 1,
            retention: Retention::forever(0),
        };
        let range = |lo, hi, complete| Some(PageRange { lo, hi, complete });
        assert_eq!(view.plan(None, 20, 100), range(81, 100, false));
        assert_eq!(view.plan(Some(40), 20, 100), range(31, 40, true));
        assert_eq!(view.plan(Some(30), 20, 100), None);
        assert_eq!(view.plan(None, 20, 30), None);
        let rows = (31..=40).map(|s| msg(s, 0, SlotState::Normal)).collect();
        let page = view.page(view.plan(Some(40), 20, 100).unwrap(), rows);
        assert_eq!(page.next_seq, None);
        let seqs: Vec<_> = page.entries.iter().map(MemberEntry::seq).collect();
        assert_eq!(seqs, (31..=40).rev().collect::<Vec<_>>());
        let page = view.page(view.plan(None, 5, 100).unwrap(), vec![]);
        assert_eq!(page.next_seq, Some(95));
    }

    #[test]
    fn member_views_per_type_and_membership() {
        let mut g = group(GroupType::Public);
        g.cleared_upto = 3;
        let mut m = member("m", Role::Member);
        m.join_seq = 6;
        let view = member_view(&g, "m", Some(&m), Retention::forever(0)).unwrap();
        assert_eq!((view.cleared_upto, view.first_visible_seq), (3, 6));
        let e = member_view(&g, "x", None, Retention::forever(0)).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupPermissionDenied);
        let av = group(GroupType::AVChatRoom);
        let e = member_view(&av, "m", Some(&m), Retention::forever(0)).unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupNoRoaming);
    }
}
