//! Message rules shared by group and one-to-one messages: the element formats (`MsgBody`),
//! sizes, priorities, and the group history model (MsgSeq slots, clearing, paging, retention).
//! spec: c2c-messages.md §2, group-messages.md §1, §2, §5, §7, §13; limits.md §4–§5.

use crate::group::GroupType;
use serde_json::Value;

/// One message (MsgBody + CloudCustomData) may be at most 12 KB (limits.md §4).
pub const DEFAULT_MAX_MSG_BYTES: usize = 12 * 1024;
/// group_msg_get_simple returns at most 20 messages per call.
pub const MAX_HISTORY_PAGE: u64 = 20;
/// Two group messages with the same `Random` within five minutes are one message (§1.1).
pub const DEDUP_WINDOW_SECS: i64 = 300;
/// import_group_msg takes at most 7 messages per call (§10).
pub const MAX_IMPORT_MSGS: usize = 7;
/// group_msg_recall takes at most 10 seqs per call (§6).
pub const MAX_RECALL_SEQS: usize = 10;
/// delete_group_msg_by_sender scans only the newest 1,000 messages (§8).
pub const DELETE_BY_SENDER_SCAN: u64 = 1_000;
/// Targeted messages name at most 50 receivers (§3).
pub const MAX_TARGETED_RECEIVERS: usize = 50;
/// At most 30 @ mentions per message (§3, 10053).
pub const MAX_AT_MENTIONS: usize = 30;
/// send_group_system_notification names at most 500 receivers (§4).
pub const MAX_NOTIFICATION_RECEIVERS: usize = 500;
/// MsgSeq and Random are unsigned 32-bit values on the wire.
pub const MAX_U32: u64 = u32::MAX as u64;

/// Why a `MsgBody` was refused. Each service maps these to its own code (group service: 10004;
/// openim: 90007 / 90002 / 90010).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    NotArray,
    Empty,
    UnknownType(String),
    BadElement(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::NotArray => write!(f, "MsgBody must be an array"),
            BodyError::Empty => write!(f, "MsgBody must contain at least one element"),
            BodyError::UnknownType(t) => write!(f, "unknown MsgType {t:?}"),
            BodyError::BadElement(why) => write!(f, "{why}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Num,
}

/// Documented `MsgContent` fields per element type, with their JSON kind and whether a REST
/// sender must give them. Fields not listed are stored verbatim (version tolerance).
fn element_fields(msg_type: &str) -> Option<&'static [(&'static str, Kind, bool)]> {
    use Kind::*;
    Some(match msg_type {
        "TIMTextElem" => &[("Text", Str, true)],
        "TIMFaceElem" => &[("Index", Num, true), ("Data", Str, false)],
        "TIMLocationElem" => &[
            ("Desc", Str, false),
            ("Latitude", Num, true),
            ("Longitude", Num, true),
        ],
        "TIMCustomElem" => &[
            ("Data", Str, false),
            ("Desc", Str, false),
            ("Ext", Str, false),
            ("Sound", Str, false),
        ],
        "TIMImageElem" => &[("UUID", Str, false), ("ImageFormat", Num, false)],
        "TIMSoundElem" => &[
            ("Url", Str, false),
            ("UUID", Str, false),
            ("Size", Num, false),
            ("Second", Num, false),
            ("Download_Flag", Num, false),
        ],
        "TIMFileElem" => &[
            ("Url", Str, false),
            ("UUID", Str, false),
            ("FileSize", Num, false),
            ("FileName", Str, false),
            ("Download_Flag", Num, false),
        ],
        "TIMVideoFileElem" => &[
            ("VideoUrl", Str, false),
            ("VideoUUID", Str, false),
            ("VideoSize", Num, false),
            ("VideoSecond", Num, false),
            ("VideoFormat", Str, false),
            ("VideoDownloadFlag", Num, false),
            ("ThumbUrl", Str, false),
            ("ThumbUUID", Str, false),
            ("ThumbSize", Num, false),
            ("ThumbWidth", Num, false),
            ("ThumbHeight", Num, false),
            ("ThumbFormat", Str, false),
            ("ThumbDownloadFlag", Num, false),
        ],
        _ => return None,
    })
}

/// Validates a `MsgBody`: an array of `{MsgType, MsgContent}` with a known type, content of the
/// documented JSON kinds, and at most one `TIMCustomElem` (c2c-messages.md §2).
pub fn validate_msg_body(body: &Value) -> Result<(), BodyError> {
    let elems = body.as_array().ok_or(BodyError::NotArray)?;
    if elems.is_empty() {
        return Err(BodyError::Empty);
    }
    let mut custom = 0;
    for (i, elem) in elems.iter().enumerate() {
        let bad = |why: String| BodyError::BadElement(format!("MsgBody[{i}]: {why}"));
        let obj = elem
            .as_object()
            .ok_or_else(|| bad("element must be an object".into()))?;
        let ty = obj
            .get("MsgType")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("MsgType must be a string".into()))?;
        let fields = element_fields(ty).ok_or_else(|| BodyError::UnknownType(ty.to_owned()))?;
        let content = obj
            .get("MsgContent")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("MsgContent must be an object".into()))?;
        for &(name, kind, required) in fields {
            match content.get(name) {
                None | Some(Value::Null) if required => {
                    return Err(bad(format!("{ty}.{name} is required")))
                }
                None | Some(Value::Null) => {}
                Some(v) => {
                    let ok = match kind {
                        Kind::Str => v.is_string(),
                        Kind::Num => v.is_number(),
                    };
                    if !ok {
                        let want = if kind == Kind::Str {
                            "a string"
                        } else {
                            "a number"
                        };
                        return Err(bad(format!("{ty}.{name} must be {want}")));
                    }
                }
            }
        }
        if ty == "TIMImageElem" {
            if let Some(arr) = content.get("ImageInfoArray") {
                let ok = arr
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_object));
                if !ok {
                    return Err(bad(
                        "TIMImageElem.ImageInfoArray must be an array of objects".into(),
                    ));
                }
            }
        }
        if ty == "TIMCustomElem" {
            custom += 1;
            if custom > 1 {
                return Err(bad("a message may carry at most one TIMCustomElem".into()));
            }
        }
    }
    Ok(())
}

/// `MsgPriority`: a string in requests, an integer in history (group-messages.md §15.8).
pub fn parse_priority(s: &str) -> Option<u8> {
    Some(match s {
        "High" => 1,
        "Normal" => 2,
        "Low" => 3,
        "Lowest" => 4,
        _ => return None,
    })
}
pub const DEFAULT_PRIORITY: u8 = 2;

/// `SendMsgControl` values (group-messages.md §3). `WithMuteNotifications` is listed by the
/// SDK constants; accepted, with no effect here.
pub const SEND_MSG_CONTROLS: &[&str] = &["NoLastMsg", "NoUnread", "WithMuteNotifications"];

/// The size a message counts against the limit: its `MsgBody` JSON text plus its
/// `CloudCustomData` (limits.md §4, inferred measure).
pub fn msg_bytes(body: &str, cloud_custom_data: Option<&str>) -> usize {
    body.len() + cloud_custom_data.map_or(0, str::len)
}

/// The app's retention at one instant: which message times have expired.
/// `days == 0` keeps messages forever (group-messages.md §1.3, limits.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub days: u32,
    pub now: i64,
}

impl Retention {
    pub const fn forever(now: i64) -> Retention {
        Retention { days: 0, now }
    }

    /// Messages sent before this time have expired; `None` when nothing expires.
    pub fn cutoff(self) -> Option<i64> {
        (self.days > 0).then(|| self.now - i64::from(self.days) * 86_400)
    }

    pub fn expired(self, msg_time: i64) -> bool {
        self.cutoff().is_some_and(|cutoff| msg_time < cutoff)
    }
}

/// A new message at `time` duplicates an earlier one with the same `Random` sent at or after
/// this time (group-messages.md §1.1: five minutes).
pub const fn dedup_since(time: i64) -> i64 {
    time - DEDUP_WINDOW_SECS
}

/// Whether import_group_msg may store a message sent at `send_time` (group-messages.md §10):
/// not in the future, not before the group was created, not before the newest message already
/// stored. Equal times are accepted (our choice), so several messages of one second can be
/// imported; this also keeps message times non-decreasing with seq, which the retention
/// sweeper relies on.
pub fn import_time_ok(send_time: i64, create_time: i64, newest_time: i64, now: i64) -> bool {
    send_time <= now && send_time >= create_time && send_time >= newest_time
}

/// The cleared watermark after clear_group_msg: never lower, never beyond the last allocated
/// seq, so messages sent later are unaffected (group-messages.md §7).
pub fn cleared_watermark(current: u64, requested: Option<u64>, last_seq: u64) -> u64 {
    current.max(requested.unwrap_or(last_seq).min(last_seq))
}

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
/// is written out without a `String` for each text of every message (BENCHMARKS.md: 6% of a
/// page's instructions).
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

/// Whether a group type takes targeted messages (`To_Account`; group-messages.md §3: only
/// Private, Public and ChatRoom).
pub fn supports_targeted(ty: GroupType) -> bool {
    matches!(
        ty,
        GroupType::Private | GroupType::Public | GroupType::ChatRoom
    )
}

/// Where a member has read up to, for unread counts.
///
/// import_group_msg makes every member's unread count 0 by raising the group's `read_floor`
/// to its last seq (O(1), whatever the member count). The floor applies to a member unless
/// the member's own position was set after it was raised: the member joined after the import
/// (`read_floor < join_seq`, e.g. import_group_member with `UnreadMsgNum`), or
/// set_unread_msg_num ran since (`floor_seen`, the floor it saw, is not below it). Cleared
/// messages count as read (group-messages.md §7, inferred).
pub fn effective_read_seq(
    read_seq: u64,
    join_seq: u64,
    floor_seen: u64,
    read_floor: u64,
    cleared_upto: u64,
) -> u64 {
    let floor_applies = read_floor >= join_seq && read_floor > floor_seen;
    let read = if floor_applies {
        read_seq.max(read_floor)
    } else {
        read_seq
    };
    read.max(cleared_upto)
}

/// The read position set_unread_msg_num stores so that `unread` messages are unread, clamped
/// to the messages there are (group-messages.md §11).
pub fn read_seq_for_unread(last_seq: u64, unread: u64) -> u64 {
    last_seq - unread.min(last_seq)
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_validation() {
        assert_eq!(validate_msg_body(&json!({})), Err(BodyError::NotArray));
        assert_eq!(validate_msg_body(&json!([])), Err(BodyError::Empty));
        assert!(
            validate_msg_body(&json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]))
                .is_ok()
        );
        assert!(matches!(
            validate_msg_body(&json!([{"MsgType":"TIMTextElem","MsgContent":{"Text":1}}])),
            Err(BodyError::BadElement(_))
        ));
        assert!(matches!(
            validate_msg_body(&json!([{"MsgType":"TIMTextElem","MsgContent":{}}])),
            Err(BodyError::BadElement(_))
        ));
        assert!(matches!(
            validate_msg_body(&json!([{"MsgType":"TIMRelayElem","MsgContent":{}}])),
            Err(BodyError::UnknownType(_))
        ));
        let two_custom = json!([{"MsgType":"TIMCustomElem","MsgContent":{"Data":"a"}},{"MsgType":"TIMCustomElem","MsgContent":{"Data":"b"}}]);
        assert!(matches!(
            validate_msg_body(&two_custom),
            Err(BodyError::BadElement(_))
        ));
        let all = json!([
            {"MsgType":"TIMLocationElem","MsgContent":{"Desc":"d","Latitude":1.5,"Longitude":2}},
            {"MsgType":"TIMFaceElem","MsgContent":{"Index":1,"Data":"x"}},
            {"MsgType":"TIMCustomElem","MsgContent":{"Data":"x","Desc":"","Ext":"","Sound":""}},
            {"MsgType":"TIMImageElem","MsgContent":{"UUID":"u","ImageFormat":1,"ImageInfoArray":[{"Type":1,"Size":1,"Width":1,"Height":1,"URL":"http://x"}]}},
            {"MsgType":"TIMSoundElem","MsgContent":{"Url":"u","UUID":"u","Size":1,"Second":1,"Download_Flag":2}},
            {"MsgType":"TIMFileElem","MsgContent":{"Url":"u","UUID":"u","FileSize":1,"FileName":"f","Download_Flag":2}},
            {"MsgType":"TIMVideoFileElem","MsgContent":{"VideoUrl":"u","VideoUUID":"u","VideoSize":1,"VideoSecond":1,"VideoFormat":"mp4","VideoDownloadFlag":2,"ThumbUrl":"u","ThumbUUID":"u","ThumbSize":1,"ThumbWidth":1,"ThumbHeight":1,"ThumbFormat":"JPG","ThumbDownloadFlag":2}}
        ]);
        assert_eq!(validate_msg_body(&all), Ok(()));
    }

    #[test]
    fn retention_and_import_times() {
        let r = Retention {
            days: 1,
            now: 200_000,
        };
        assert_eq!(r.cutoff(), Some(200_000 - 86_400));
        assert!(r.expired(200_000 - 86_401));
        assert!(!r.expired(200_000 - 86_400));
        assert!(!Retention::forever(200_000).expired(0));
        assert_eq!(Retention::forever(5).cutoff(), None);
        // (send_time, create_time, newest, now)
        assert!(import_time_ok(10, 10, 10, 10), "equal times are accepted");
        assert!(!import_time_ok(11, 0, 0, 10), "future");
        assert!(
            !import_time_ok(9, 10, 0, 20),
            "before the group was created"
        );
        assert!(!import_time_ok(9, 0, 10, 20), "before the newest message");
        assert_eq!(msg_bytes("[]", Some("abc")), 5);
        assert_eq!(msg_bytes("[]", None), 2);
    }

    #[test]
    fn watermark_never_goes_down_or_past_last() {
        assert_eq!(cleared_watermark(0, None, 10), 10);
        assert_eq!(cleared_watermark(5, Some(3), 10), 5);
        assert_eq!(cleared_watermark(5, Some(7), 10), 7);
        assert_eq!(cleared_watermark(5, Some(99), 10), 10);
        assert_eq!(cleared_watermark(0, Some(0), 10), 0);
        assert_eq!(cleared_watermark(0, None, 0), 0);
    }

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
    fn unread_positions() {
        // (read_seq, join_seq, floor_seen, read_floor, cleared_upto)
        assert_eq!(effective_read_seq(3, 1, 0, 0, 0), 3);
        assert_eq!(
            effective_read_seq(3, 1, 0, 10, 0),
            10,
            "an import reads everything"
        );
        assert_eq!(
            effective_read_seq(5, 1, 10, 10, 0),
            5,
            "set_unread_msg_num after the import wins"
        );
        assert_eq!(
            effective_read_seq(7, 11, 0, 10, 0),
            7,
            "a member that joined after the import keeps its own position"
        );
        assert_eq!(effective_read_seq(5, 1, 10, 12, 0), 12, "a later import");
        assert_eq!(
            effective_read_seq(3, 1, 0, 0, 8),
            8,
            "cleared counts as read"
        );
        assert_eq!(read_seq_for_unread(10, 3), 7);
        assert_eq!(read_seq_for_unread(10, 30), 0);
    }
}
