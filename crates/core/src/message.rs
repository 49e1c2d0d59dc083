//! Message rules shared by group and one-to-one messages: the element formats (`MsgBody`),
//! sizes, priorities, and the group history model (MsgSeq slots, clearing, paging, retention).
//! spec: c2c-messages.md §2, group-messages.md §1, §2, §5, §7, §13; limits.md §4–§5.

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

/// Whether a message sent at `msg_time` has passed the app's retention at `now`.
/// `retention_days == 0` keeps messages forever.
pub fn is_expired(msg_time: i64, retention_days: u32, now: i64) -> bool {
    retention_days > 0 && msg_time < now - i64::from(retention_days) * 86_400
}

/// The oldest message time that is still retained, or `None` when nothing expires.
pub fn retention_cutoff(retention_days: u32, now: i64) -> Option<i64> {
    (retention_days > 0).then(|| now - i64::from(retention_days) * 86_400)
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

/// One entry of a history page. A placeholder carries only its seq (`msg` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub seq: u64,
    pub place: Place,
    pub msg: Option<StoredMsg>,
}

/// The seq range one history call covers, newest first: `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRange {
    pub lo: u64,
    pub hi: u64,
    /// Whether `[lo, hi]` is the whole range the caller asked for (`IsFinished` 1).
    pub complete: bool,
}

/// Plans a group_msg_get_simple call (group-messages.md §5): start at `ReqMsgSeq` (clipped to
/// the newest seq; absent = newest), cover at most 20 slots. `None` when there is nothing to read.
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

/// Builds the admin's history page from the stored rows of `range` (any order, missing slots
/// allowed). Cleared messages stay visible to the admin; recalled ones appear only with
/// `WithRecalledMsg`; expired, unstored and missing slots become placeholders.
/// Returns the entries newest first and `IsFinished`.
pub fn admin_page(
    range: PageRange,
    mut rows: Vec<StoredMsg>,
    with_recalled: bool,
    retention_days: u32,
    now: i64,
) -> (Vec<HistoryEntry>, u8) {
    rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.seq));
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::with_capacity((range.hi - range.lo + 1) as usize);
    let mut all_expired = true;
    for seq in (range.lo..=range.hi).rev() {
        while rows.peek().is_some_and(|r| r.seq > seq) {
            rows.next();
        }
        let row = rows.next_if(|r| r.seq == seq);
        let expired = row
            .as_ref()
            .is_none_or(|r| is_expired(r.time, retention_days, now));
        all_expired &= expired;
        match row {
            Some(r) if !expired && r.state == SlotState::Recalled => {
                if with_recalled {
                    out.push(HistoryEntry {
                        seq,
                        place: Place::Recalled,
                        msg: Some(r),
                    });
                }
            }
            Some(r) if !expired && r.state == SlotState::Normal => out.push(HistoryEntry {
                seq,
                place: Place::Real,
                msg: Some(r),
            }),
            _ => out.push(HistoryEntry {
                seq,
                place: Place::Placeholder,
                msg: None,
            }),
        }
    }
    let finished = if range.complete {
        1
    } else if all_expired {
        2
    } else {
        0
    };
    (out, finished)
}

/// What a member may see of a group's history (the member-facing view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberView<'a> {
    pub member: &'a str,
    /// Seqs at or below this were cleared by clear_group_msg.
    pub cleared_upto: u64,
    /// The first seq the member may read (history before joining is hidden unless allowed).
    pub first_visible_seq: u64,
    pub retention_days: u32,
    pub now: i64,
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

/// Filters stored rows down to what `view.member` sees: nothing at or below the cleared
/// watermark or before the member's first visible seq, nothing expired or unstored, targeted
/// messages only for their receivers and sender, recalled ones as bare recall markers.
pub fn member_visible(view: &MemberView<'_>, row: StoredMsg) -> Option<MemberEntry> {
    if row.seq <= view.cleared_upto
        || row.seq < view.first_visible_seq
        || is_expired(row.time, view.retention_days, view.now)
    {
        return None;
    }
    if !row.to_accounts.is_empty()
        && row.from != view.member
        && !row.to_accounts.iter().any(|a| a == view.member)
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
    fn watermark_never_goes_down_or_past_last() {
        assert_eq!(cleared_watermark(0, None, 10), 10);
        assert_eq!(cleared_watermark(5, Some(3), 10), 5);
        assert_eq!(cleared_watermark(5, Some(7), 10), 7);
        assert_eq!(cleared_watermark(5, Some(99), 10), 10);
        assert_eq!(cleared_watermark(0, None, 0), 0);
    }

    #[test]
    fn page_planning() {
        assert_eq!(plan_page(None, 20, 0), None);
        assert_eq!(
            plan_page(None, 5, 100),
            Some(PageRange {
                lo: 96,
                hi: 100,
                complete: true
            })
        );
        assert_eq!(
            plan_page(Some(500), 5, 100),
            Some(PageRange {
                lo: 96,
                hi: 100,
                complete: true
            })
        );
        assert_eq!(
            plan_page(Some(3), 20, 100),
            Some(PageRange {
                lo: 1,
                hi: 3,
                complete: true
            })
        );
        assert_eq!(
            plan_page(None, 50, 100),
            Some(PageRange {
                lo: 81,
                hi: 100,
                complete: false
            })
        );
        assert_eq!(
            plan_page(None, 50, 30),
            Some(PageRange {
                lo: 11,
                hi: 30,
                complete: false
            })
        );
        assert_eq!(
            plan_page(None, 50, 20),
            Some(PageRange {
                lo: 1,
                hi: 20,
                complete: true
            })
        );
        assert_eq!(plan_page(Some(0), 5, 100), None);
    }

    fn msg(seq: u64, time: i64, state: SlotState) -> StoredMsg {
        StoredMsg {
            seq,
            from: "a".into(),
            random: 1,
            time,
            priority: 2,
            state,
            is_system: false,
            body: "[]".into(),
            cloud_custom_data: None,
            to_accounts: vec![],
        }
    }

    #[test]
    fn admin_page_marks_slots() {
        let now = 1_000_000;
        let range = plan_page(None, 5, 5).unwrap();
        let rows = vec![
            msg(1, 0, SlotState::Normal), // expired with 1-day retention
            msg(2, now, SlotState::Recalled),
            msg(3, now, SlotState::Unstored),
            // 4 missing (swept)
            msg(5, now, SlotState::Normal),
        ];
        let (page, fin) = admin_page(range, rows.clone(), false, 1, now);
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
        let (page, _) = admin_page(range, rows, true, 1, now);
        assert_eq!(
            page.iter().find(|e| e.seq == 2).unwrap().place,
            Place::Recalled
        );
    }

    #[test]
    fn member_view_hides_cleared_early_expired_targeted() {
        let view = MemberView {
            member: "m",
            cleared_upto: 3,
            first_visible_seq: 2,
            retention_days: 0,
            now: 0,
        };
        assert!(member_visible(&view, msg(3, 0, SlotState::Normal)).is_none());
        assert!(member_visible(&view, msg(4, 0, SlotState::Normal)).is_some());
        assert!(member_visible(&view, msg(4, 0, SlotState::Unstored)).is_none());
        assert!(matches!(
            member_visible(&view, msg(4, 0, SlotState::Recalled)),
            Some(MemberEntry::Recalled { .. })
        ));
        let mut t = msg(5, 0, SlotState::Normal);
        t.to_accounts = vec!["x".into()];
        assert!(member_visible(&view, t.clone()).is_none());
        t.to_accounts.push("m".into());
        assert!(member_visible(&view, t).is_some());
        let view = MemberView {
            member: "m",
            cleared_upto: 0,
            first_visible_seq: 10,
            retention_days: 0,
            now: 0,
        };
        assert!(member_visible(&view, msg(9, 0, SlotState::Normal)).is_none());
    }
}
