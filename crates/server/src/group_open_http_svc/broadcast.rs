//! send_broadcast_msg: one message to every AVChatRoom of the app. spec: groups-more.md §7.7.

use super::{invalid, operator, required};
use crate::envelope::opt_account;
use crate::failure::Failure;
use crate::msg_body::{check_size, checked_body};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use timber_core::message::BodyError;
use timber_core::text::check_no_nul;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BroadcastReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    random: Option<u32>,
    msg_body: Option<Box<RawValue>>,
    cloud_custom_data: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BroadcastResp {
    msg_seq: u64,
}

/// spec: groups-more.md §7.7. `Random` required (inferred), `MsgBody` of one or more
/// elements (10004), at most the app's message size (80002); `From_Account` defaults to the
/// caller and must exist (10019). The answer is the broadcast's own app-wide `MsgSeq` from 1;
/// the same sender, content and `Random` within 5 minutes answers the first one's (inferred).
/// Nothing is stored in any room and no room's seq is taken. Decision: timber delivers it to
/// no one over REST — AVChatRoom members are online members of the member protocol, which
/// reads nothing from here yet. The rate (1 or 5 a second, 10006) holds under the app's
/// `group_rate_limits` (`editions::Rates`), counted once the request is well formed.
pub async fn send_broadcast_msg(ctx: &Ctx, req: BroadcastReq) -> Result<BroadcastResp, Failure> {
    let random = required(req.random, "Random")?;
    let raw = required(req.msg_body, "MsgBody")?;
    let body = checked_body(&raw).map_err(|e: BodyError| invalid(format!("MsgBody: {e}")))?;
    check_size(ctx, &body, req.cloud_custom_data.as_deref())?;
    if let Some(data) = &req.cloud_custom_data {
        check_no_nul("CloudCustomData", data).map_err(invalid)?;
    }
    let from = operator(ctx, req.from).await?;
    ctx.state.group_rates.broadcast(&ctx.caller.app)?;
    let msg = timber_store::NewBroadcast {
        from,
        body,
        cloud_custom_data: req.cloud_custom_data,
    };
    let msg_seq = ctx
        .store()
        .broadcast(ctx.caller.app.sdkappid, random, msg, ctx.now)
        .await?;
    Ok(BroadcastResp { msg_seq })
}
