//! The answer of group_msg_get_simple, written by hand.
//!
//! A page is up to twenty messages of nine members each. Derived serialization escapes every
//! member name of every message again, byte by byte, and a `RawValue` body is parsed once
//! more: together, 28% of a page's instructions (BENCHMARKS.md). Here the names are
//! constants and only the values that vary go through serde_json. The bytes are those the
//! derived `Serialize` wrote, in the same order (the test below holds the two side by side).

use crate::envelope::Reply;
use timber_core::message::HistoryEntry;

/// spec: group-messages.md §5. Every field of an entry is always present (placeholders carry
/// the fixed values of `HistoryEntry::placeholder`): strict client libraries reject entries
/// without them. `MsgKey` is only for official-account messages and is omitted.
pub struct GetSimpleResp {
    pub group_id: String,
    pub is_finished: u8,
    /// Newest first. Each `body` is written as stored: every path that stores one checks it
    /// first (`msg_body::checked_body` for sends, imports and modify_group_msg) or builds it
    /// with serde_json (group tips), so it is not parsed again here.
    pub entries: Vec<HistoryEntry>,
}

/// An entry's bytes besides its three strings: the member names, punctuation and numbers.
const ENTRY_OVERHEAD: usize = 192;

impl Reply for GetSimpleResp {
    fn size_hint(&self) -> usize {
        let strings: usize = self
            .entries
            .iter()
            .map(|e| e.from.len() + e.body.len() + e.cloud_custom_data.len())
            .sum();
        64 + self.group_id.len() + strings + self.entries.len() * ENTRY_OVERHEAD
    }

    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"GroupId":"#);
        serde_json::to_writer(&mut *out, &self.group_id)?;
        out.extend_from_slice(br#","IsFinished":"#);
        serde_json::to_writer(&mut *out, &self.is_finished)?;
        out.extend_from_slice(br#","RspMsgList":["#);
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_entry(out, e)?;
        }
        out.extend_from_slice(b"]}");
        Ok(())
    }
}

fn write_entry(out: &mut Vec<u8>, e: &HistoryEntry) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"From_Account":"#);
    serde_json::to_writer(&mut *out, &e.from)?;
    out.extend_from_slice(br#","IsPlaceMsg":"#);
    serde_json::to_writer(&mut *out, &(e.place as u8))?;
    out.extend_from_slice(br#","IsSystemMsg":"#);
    out.push(if e.is_system { b'1' } else { b'0' });
    out.extend_from_slice(br#","MsgBody":"#);
    out.extend_from_slice(e.body.as_bytes());
    out.extend_from_slice(br#","MsgPriority":"#);
    serde_json::to_writer(&mut *out, &e.priority)?;
    out.extend_from_slice(br#","MsgRandom":"#);
    serde_json::to_writer(&mut *out, &e.random)?;
    out.extend_from_slice(br#","MsgSeq":"#);
    serde_json::to_writer(&mut *out, &e.seq)?;
    out.extend_from_slice(br#","MsgTimeStamp":"#);
    serde_json::to_writer(&mut *out, &e.time)?;
    out.extend_from_slice(br#","CloudCustomData":"#);
    serde_json::to_writer(&mut *out, &e.cloud_custom_data)?;
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::value::RawValue;
    use timber_core::message::Place;

    /// The page as derived serialization writes it: what the hand-written one must equal.
    #[derive(Serialize)]
    struct DerivedResp {
        #[serde(rename = "GroupId")]
        group_id: String,
        #[serde(rename = "IsFinished")]
        is_finished: u8,
        #[serde(rename = "RspMsgList")]
        rsp_msg_list: Vec<DerivedMsg>,
    }

    #[derive(Serialize)]
    struct DerivedMsg {
        #[serde(rename = "From_Account")]
        from: String,
        #[serde(rename = "IsPlaceMsg")]
        is_place_msg: u8,
        #[serde(rename = "IsSystemMsg")]
        is_system_msg: u8,
        #[serde(rename = "MsgBody")]
        msg_body: Box<RawValue>,
        #[serde(rename = "MsgPriority")]
        msg_priority: u8,
        #[serde(rename = "MsgRandom")]
        msg_random: u32,
        #[serde(rename = "MsgSeq")]
        msg_seq: u64,
        #[serde(rename = "MsgTimeStamp")]
        msg_time_stamp: i64,
        #[serde(rename = "CloudCustomData")]
        cloud_custom_data: String,
    }

    fn derived(r: &GetSimpleResp) -> Vec<u8> {
        serde_json::to_vec(&DerivedResp {
            group_id: r.group_id.clone(),
            is_finished: r.is_finished,
            rsp_msg_list: r
                .entries
                .iter()
                .map(|e| DerivedMsg {
                    from: e.from.clone(),
                    is_place_msg: e.place as u8,
                    is_system_msg: u8::from(e.is_system),
                    msg_body: RawValue::from_string(e.body.clone()).unwrap(),
                    msg_priority: e.priority,
                    msg_random: e.random,
                    msg_seq: e.seq,
                    msg_time_stamp: e.time,
                    cloud_custom_data: e.cloud_custom_data.clone(),
                })
                .collect(),
        })
        .unwrap()
    }

    fn written(r: &GetSimpleResp) -> Vec<u8> {
        let mut out = Vec::new();
        r.write_json(&mut out).unwrap();
        out
    }

    fn entry(seq: u64, place: Place, from: &str, body: &str, custom: &str) -> HistoryEntry {
        HistoryEntry {
            seq,
            place,
            from: from.into(),
            random: u32::MAX - seq as u32,
            time: 1_700_000_000 + seq as i64,
            priority: 2 + (seq % 3) as u8,
            is_system: seq.is_multiple_of(2),
            body: body.into(),
            cloud_custom_data: custom.into(),
        }
    }

    #[test]
    fn a_page_is_written_as_derived_serialization_writes_it() {
        let page = GetSimpleResp {
            group_id: "@TGS#2\"quoted\"\\group".into(),
            is_finished: 2,
            entries: vec![
                entry(
                    u64::MAX,
                    Place::Real,
                    "ann\n\u{1}\u{7f}",
                    r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi \"you\" \u00e9 ✓"}}]"#,
                    "tab\there, 中文, \u{1f600}",
                ),
                entry(
                    7,
                    Place::Recalled,
                    "bob",
                    r#"[ {"MsgType" : "TIMFaceElem", "MsgContent":{"Index":1}} ]"#,
                    "",
                ),
                HistoryEntry::placeholder(6),
                entry(1, Place::Real, "", "[]", "\\"),
            ],
        };
        let out = written(&page);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            String::from_utf8(derived(&page)).unwrap()
        );
        serde_json::from_slice::<serde_json::Value>(&out).expect("the page is JSON");
    }

    #[test]
    fn the_size_hint_covers_a_page_without_escapes() {
        let body = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"history message"}}]"#;
        let page = GetSimpleResp {
            group_id: "@TGS#2J4SZEAEL".into(),
            is_finished: 0,
            entries: (1..=20)
                .map(|seq| entry(u64::MAX - seq, Place::Real, "administrator", body, "custom"))
                .collect(),
        };
        let len = written(&page).len();
        assert!(
            len <= page.size_hint(),
            "{len} bytes, hint {}",
            page.size_hint()
        );
        assert!(
            page.size_hint() < 2 * len,
            "a hint far above the size wastes memory"
        );
    }

    #[test]
    fn an_empty_page_has_an_empty_list() {
        let page = GetSimpleResp {
            group_id: "g".into(),
            is_finished: 1,
            entries: Vec::new(),
        };
        assert_eq!(written(&page), derived(&page));
        assert_eq!(
            written(&page),
            br#"{"GroupId":"g","IsFinished":1,"RspMsgList":[]}"#
        );
    }
}
