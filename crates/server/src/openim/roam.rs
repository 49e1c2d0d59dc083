//! admin_getroammsg: one side's history of a conversation, newest first. spec:
//! c2c-messages.md §6.

use super::fields::{account, invalid, opt_int};
use crate::envelope::opt_account;
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use timber_core::c2c::{MsgKey, RoamEntry, RoamQuery};
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

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoamMsg {
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

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoamMsgResp {
    complete: u8,
    msg_cnt: usize,
    last_msg_time: i64,
    last_msg_key: String,
    msg_list: Vec<RoamMsg>,
}

fn entry(e: RoamEntry) -> Result<RoamMsg, Failure> {
    let body = RawValue::from_string(e.body)
        .map_err(|err| Failure::internal(format!("a stored MsgBody is not JSON: {err}")))?;
    Ok(RoamMsg {
        from: e.from,
        to: e.to,
        msg_seq: e.key.seq,
        msg_random: e.key.random,
        msg_time_stamp: e.key.time,
        msg_flag_bits: e.flags,
        is_peer_read: e.is_peer_read,
        msg_key: e.key.to_string(),
        msg_body: body,
        cloud_custom_data: e.cloud_custom_data,
        msg_client_time: e.client_time,
    })
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
    let (last_msg_time, last_msg_key) = page.last();
    let complete = u8::from(page.complete);
    let msg_list = page
        .entries
        .into_iter()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GetRoamMsgResp {
        complete,
        msg_cnt: msg_list.len(),
        last_msg_time,
        last_msg_key,
        msg_list,
    })
}
