//! admin_getroammsg: one side's history of a conversation, newest first. spec:
//! c2c-messages.md §6.

use super::fields::{account, invalid, opt_int};
use crate::envelope::opt_account;
use crate::envelope::Reply;
use crate::failure::Failure;
use crate::Ctx;
use serde::Deserialize;
use serde_json::Value;
use timber_core::c2c::{MsgKey, RoamEntry, RoamPage, RoamQuery};
use timber_core::ErrorCode;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoamMsgReq {
    #[serde(rename = "Operator_Account", default, deserialize_with = "opt_account")]
    operator: Option<String>,
    #[serde(rename = "Peer_Account", default, deserialize_with = "opt_account")]
    peer: Option<String>,
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    max_cnt: Option<Value>,
    min_time: Option<Value>,
    max_time: Option<Value>,
    last_msg_key: Option<String>,
}

/// The answer, written by hand (see `write_json`).
pub struct GetRoamMsgResp {
    page: RoamPage,
}

/// Writes a JSON string (escaped as serde_json escapes it) or number.
fn put<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> Result<(), serde_json::Error> {
    serde_json::to_writer(&mut *out, v)
}

/// A MsgKey as a JSON string, its numbers written as serde_json writes numbers (the
/// `Display` of `MsgKey` went through `fmt`, a tenth of the answer's cost).
fn put_key(out: &mut Vec<u8>, k: MsgKey) -> Result<(), serde_json::Error> {
    out.push(b'"');
    put(out, &k.seq)?;
    out.push(b'_');
    put(out, &k.random)?;
    out.push(b'_');
    put(out, &k.time)?;
    out.push(b'"');
    Ok(())
}

fn write_entry(out: &mut Vec<u8>, e: &RoamEntry) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"From_Account":"#);
    put(out, &*e.from)?;
    out.extend_from_slice(br#","To_Account":"#);
    put(out, &*e.to)?;
    out.extend_from_slice(br#","MsgSeq":"#);
    put(out, &e.key.seq)?;
    out.extend_from_slice(br#","MsgRandom":"#);
    put(out, &e.key.random)?;
    out.extend_from_slice(br#","MsgTimeStamp":"#);
    put(out, &e.key.time)?;
    out.extend_from_slice(br#","MsgFlagBits":"#);
    put(out, &e.flags)?;
    out.extend_from_slice(br#","IsPeerRead":"#);
    put(out, &e.is_peer_read)?;
    out.extend_from_slice(br#","MsgKey":"#);
    put_key(out, e.key)?;
    out.extend_from_slice(br#","MsgBody":"#);
    out.extend_from_slice(e.body.as_bytes());
    out.extend_from_slice(br#","CloudCustomData":"#);
    put(out, &e.cloud_custom_data)?;
    out.extend_from_slice(br#","MsgClientTime":"#);
    put(out, &e.client_time)?;
    out.push(b'}');
    Ok(())
}

/// Derived serialization escapes every member name of every entry again and a `RawValue`
/// body is parsed once more (with `admin_getroammsg`'s small pages, most of the answer's
/// cost). Here the names are constants and the body is written as stored: every path that
/// stores one checks it first (`msg_body::checked_body`). The bytes are those of the derived
/// form (the test below holds the two side by side).
impl Reply for GetRoamMsgResp {
    fn size_hint(&self) -> usize {
        128 + self
            .page
            .entries
            .iter()
            .map(|e| 256 + e.body.len() + e.cloud_custom_data.len())
            .sum::<usize>()
    }

    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        let last = self.page.entries.last().map(|e| e.key);
        out.extend_from_slice(br#"{"Complete":"#);
        put(out, &u8::from(self.page.complete))?;
        out.extend_from_slice(br#","MsgCnt":"#);
        put(out, &self.page.entries.len())?;
        out.extend_from_slice(br#","LastMsgTime":"#);
        put(out, &last.map_or(0, |k| k.time))?;
        out.extend_from_slice(br#","LastMsgKey":"#);
        match last {
            Some(k) => put_key(out, k)?,
            None => out.extend_from_slice(b"\"\""),
        }
        out.extend_from_slice(br#","MsgList":["#);
        for (i, e) in self.page.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_entry(out, e)?;
        }
        out.extend_from_slice(b"]}");
        Ok(())
    }
}

/// A required time bound (90001 when absent or not an integer).
fn time(v: Option<&Value>, field: &str) -> Result<i64, timber_core::Error> {
    opt_int(v, field, ErrorCode::OpenimJsonParse)?
        .ok_or_else(|| invalid(format!("{field} is required")))
}

/// spec: c2c-messages.md §6. The newer `Operator_Account`/`Peer_Account` take precedence over
/// the older `From_Account`/`To_Account` (either pair may be given): the first is the side
/// whose view is read (90008 absent or unknown), the second its peer (90003). `MaxCnt` ≥ 1,
/// `MinTime` and `MaxTime` are required (90001); a window with `MinTime` after `MaxTime` is
/// an empty, complete page. To continue, pass the page's `LastMsgTime` as `MaxTime` and its
/// `LastMsgKey` (90001 when it is not a MsgKey). Recalled messages are listed with
/// `MsgFlagBits` 8 and no content.
pub async fn admin_getroammsg(ctx: &Ctx, req: GetRoamMsgReq) -> Result<GetRoamMsgResp, Failure> {
    let operator = account(
        req.operator.filter(|s| !s.is_empty()).or(req.from),
        "Operator_Account",
        ErrorCode::FromAccountInvalid,
    )?;
    let peer = account(
        req.peer.filter(|s| !s.is_empty()).or(req.to),
        "Peer_Account",
        ErrorCode::ToAccountInvalid,
    )?;
    let max_cnt = opt_int(req.max_cnt.as_ref(), "MaxCnt", ErrorCode::OpenimJsonParse)?
        .ok_or_else(|| invalid("MaxCnt is required"))?;
    let max_cnt = u32::try_from(max_cnt)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| invalid(format!("MaxCnt {max_cnt} must be a positive integer")))?;
    let min_time = time(req.min_time.as_ref(), "MinTime")?;
    let max_time = time(req.max_time.as_ref(), "MaxTime")?;
    let before = match req.last_msg_key.filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            MsgKey::parse(&k)
                .ok_or_else(|| invalid(format!("LastMsgKey {k:?} is not a MsgKey")))?,
        ),
    };
    let query = RoamQuery {
        max_cnt,
        min_time,
        max_time,
        before,
    };
    let page = ctx
        .store()
        .roam_c2c(
            ctx.caller.app.sdkappid,
            operator,
            peer,
            query,
            ctx.retention(),
        )
        .await?;
    Ok(GetRoamMsgResp { page })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::value::RawValue;
    use timber_core::c2c::{C2cMsg, Pair};

    /// The derived form the hand-written answer must equal.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Derived {
        complete: u8,
        msg_cnt: usize,
        last_msg_time: i64,
        last_msg_key: String,
        msg_list: Vec<DerivedMsg>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct DerivedMsg {
        #[serde(rename = "From_Account")]
        from: String,
        #[serde(rename = "To_Account")]
        to: String,
        msg_seq: u32,
        msg_random: u32,
        msg_time_stamp: i64,
        msg_flag_bits: u32,
        is_peer_read: u8,
        msg_key: String,
        msg_body: Box<RawValue>,
        cloud_custom_data: String,
        msg_client_time: i64,
    }

    #[test]
    fn the_hand_written_answer_is_the_derived_one() {
        let pair = Pair::new("a\"b", "c\u{1}");
        let mut page = RoamPage::new(5);
        for (i, ccd) in [(1u32, None), (2, Some("x\ny".to_owned()))] {
            page.push(
                &pair,
                C2cMsg {
                    key: MsgKey {
                        time: 100 + i64::from(i),
                        seq: i,
                        random: 7,
                    },
                    from_lo: i == 1,
                    client_time: 99,
                    flags: 8 * (i - 1),
                    hidden: 0,
                    counts_unread: true,
                    need_receipt: false,
                    body: r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"é\u0001"}}]"#.into(),
                    cloud_custom_data: ccd,
                },
            );
        }
        let derived = Derived {
            complete: 1,
            msg_cnt: 2,
            last_msg_time: 102,
            last_msg_key: "2_7_102".into(),
            msg_list: page
                .entries
                .iter()
                .map(|e| DerivedMsg {
                    from: e.from.to_string(),
                    to: e.to.to_string(),
                    msg_seq: e.key.seq,
                    msg_random: e.key.random,
                    msg_time_stamp: e.key.time,
                    msg_flag_bits: e.flags,
                    is_peer_read: e.is_peer_read,
                    msg_key: e.key.to_string(),
                    msg_body: RawValue::from_string(e.body.clone()).unwrap(),
                    cloud_custom_data: e.cloud_custom_data.clone(),
                    msg_client_time: e.client_time,
                })
                .collect(),
        };
        let mut ours = Vec::new();
        GetRoamMsgResp { page }.write_json(&mut ours).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(&derived).unwrap()
        );
    }
}
