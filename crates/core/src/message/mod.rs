//! Message rules shared by group and one-to-one messages: the element formats (`MsgBody`),
//! sizes, priorities and retention; the group history model and the decisions about it live
//! in the submodules. spec: c2c-messages.md §2, group-messages.md §1, §2, §5, §7, §13;
//! limits.md §4–§5.

mod history;
mod send;
mod slots;
mod unread;

pub use history::*;
pub use send::*;
pub use slots::*;
pub use unread::*;

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
/// `ForbidCallbackControl` values of the send APIs: skip the before-, the after-callback.
pub const CALLBACK_CONTROLS: &[&str] =
    &["ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"];

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
    fn retention_and_sizes() {
        let r = Retention {
            days: 1,
            now: 200_000,
        };
        assert_eq!(r.cutoff(), Some(200_000 - 86_400));
        assert!(r.expired(200_000 - 86_401));
        assert!(!r.expired(200_000 - 86_400));
        assert!(!Retention::forever(200_000).expired(0));
        assert_eq!(Retention::forever(5).cutoff(), None);
        assert_eq!(msg_bytes("[]", Some("abc")), 5);
        assert_eq!(msg_bytes("[]", None), 2);
    }
}
