//! The answer of group_msg_get_simple, written by hand as the store reads it.
//!
//! A page is up to twenty messages of nine members each. Derived serialization escapes every
//! member name of every message again, byte by byte, and a `RawValue` body is parsed once
//! more: together, 28% of a page's instructions (BENCHMARKS.md, ledger: history page written
//! by hand). Here the names are
//! constants and only the values that vary go through serde_json, and each entry is written
//! while its row is still SQLite's, so its strings are never copied into owned values. The
//! bytes are those the derived `Serialize` wrote, in the same order (the test below holds the
//! two side by side).

use crate::envelope::Reply;
use timber_core::message::{EntryRef, PageSink};

/// spec: group-messages.md §5. Every field of an entry is always present (placeholders carry
/// the fixed values of `EntryRef::placeholder`): strict client libraries reject entries
/// without them. `MsgKey` is only for official-account messages and is omitted.
pub struct GetSimpleResp {
    pub group_id: String,
    pub is_finished: u8,
    /// Newest first.
    pub entries: PageWriter,
}

/// Writes each entry of a page as the store hands it over: the members of `RspMsgList`.
pub struct PageWriter {
    json: Vec<u8>,
    /// Writing into a `Vec` does not fail; should serde_json still report an error, the
    /// answer reports it rather than a page with a hole in it.
    error: Option<serde_json::Error>,
}

/// An entry's bytes besides its three strings: the member names, punctuation and numbers.
const ENTRY_OVERHEAD: usize = 192;

impl PageWriter {
    /// A writer for about `entries` entries of a typical size.
    pub fn with_capacity(entries: usize) -> PageWriter {
        PageWriter {
            json: Vec::with_capacity(entries * (ENTRY_OVERHEAD + 128)),
            error: None,
        }
    }
}

impl PageSink for PageWriter {
    fn entry(&mut self, e: EntryRef<'_>) {
        if !self.json.is_empty() {
            self.json.push(b',');
        }
        if let Err(err) = write_entry(&mut self.json, &e) {
            self.error.get_or_insert(err);
        }
    }
}

impl Reply for GetSimpleResp {
    fn size_hint(&self) -> usize {
        64 + self.group_id.len() + self.entries.json.len()
    }

    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        if let Some(e) = &self.entries.error {
            return Err(serde_json::Error::io(std::io::Error::other(e.to_string())));
        }
        out.extend_from_slice(br#"{"GroupId":"#);
        serde_json::to_writer(&mut *out, &self.group_id)?;
        out.extend_from_slice(br#","IsFinished":"#);
        serde_json::to_writer(&mut *out, &self.is_finished)?;
        out.extend_from_slice(br#","RspMsgList":["#);
        out.extend_from_slice(&self.entries.json);
        out.extend_from_slice(b"]}");
        Ok(())
    }
}

/// The `body` is written as stored: every path that stores one checks it first
/// (`msg_body::checked_body` for sends, imports and modify_group_msg) or builds it with
/// serde_json (group tips), so it is not parsed again here.
fn write_entry(out: &mut Vec<u8>, e: &EntryRef<'_>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"From_Account":"#);
    serde_json::to_writer(&mut *out, e.from)?;
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
    serde_json::to_writer(&mut *out, e.cloud_custom_data)?;
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::value::RawValue;
    use timber_core::message::{HistoryEntry, Place};

    /// The page as derived serialization writes it: what the hand-written one must equal.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct DerivedResp {
        group_id: String,
        is_finished: u8,
        rsp_msg_list: Vec<DerivedMsg>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct DerivedMsg {
        #[serde(rename = "From_Account")]
        from: String,
        is_place_msg: u8,
        is_system_msg: u8,
        msg_body: Box<RawValue>,
        msg_priority: u8,
        msg_random: u32,
        msg_seq: u64,
        msg_time_stamp: i64,
        cloud_custom_data: String,
    }

    /// A page of `entries` and the bytes derived serialization writes for it.
    fn page(group_id: &str, is_finished: u8, entries: &[HistoryEntry]) -> (GetSimpleResp, Vec<u8>) {
        let mut writer = PageWriter::with_capacity(entries.len());
        for e in entries {
            writer.entry(e.as_ref());
        }
        let resp = GetSimpleResp {
            group_id: group_id.into(),
            is_finished,
            entries: writer,
        };
        (resp, derived(group_id, is_finished, entries))
    }

    fn derived(group_id: &str, is_finished: u8, entries: &[HistoryEntry]) -> Vec<u8> {
        serde_json::to_vec(&DerivedResp {
            group_id: group_id.into(),
            is_finished,
            rsp_msg_list: entries
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
        let (page, derived) = page(
            "@TGS#2\"quoted\"\\group",
            2,
            &[
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
        );
        let out = written(&page);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            String::from_utf8(derived).unwrap()
        );
        serde_json::from_slice::<serde_json::Value>(&out).expect("the page is JSON");
    }

    #[test]
    fn the_size_hint_covers_a_page_without_escapes() {
        let body = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"history message"}}]"#;
        let entries: Vec<_> = (1..=20)
            .map(|seq| entry(u64::MAX - seq, Place::Real, "administrator", body, "custom"))
            .collect();
        let (page, _) = page("@TGS#2J4SZEAEL", 0, &entries);
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
        let (page, derived) = page("g", 1, &[]);
        assert_eq!(written(&page), derived);
        assert_eq!(
            written(&page),
            br#"{"GroupId":"g","IsFinished":1,"RspMsgList":[]}"#
        );
    }
}
