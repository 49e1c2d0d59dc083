//! modify_group_msg, the one group-message API under `openim`. spec: group-messages.md §9.

use super::fields::modified_content;
use crate::envelope::Empty;
use crate::failure::Failure;
use crate::group_open_http_svc::topic_of;
use crate::Ctx;
use serde::Deserialize;
use serde_json::value::RawValue;
use timber_core::group::validate_group_id;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyGroupMsgReq {
    group_id: Option<String>,
    msg_seq: Option<u64>,
    msg_body: Option<Box<RawValue>>,
    cloud_custom_data: Option<String>,
    topic_id: Option<String>,
}

/// spec: group-messages.md §9. Replaces the body and/or custom data of one stored message in
/// place; seq, sender and time stay. Missing fields: 90001; no such group: 10010; a seq with
/// no stored, retained, unrecalled message: 20022 (both inferred); AVChatRoom: 10007; a
/// result over the size limit: 80002; a `CloudCustomData` with a NUL character, which timber
/// stores nowhere: 90001 like any other invalid field.
pub async fn modify_group_msg(ctx: &Ctx, req: ModifyGroupMsgReq) -> Result<Empty, Failure> {
    let id = req
        .group_id
        .ok_or_else(|| ctx.service.invalid("GroupId is required"))?;
    validate_group_id(&id)?;
    // The group service's rule, with this service's invalid-parameter code.
    let topic = topic_of(&id, req.topic_id).map_err(|e| ctx.service.invalid(e.info))?;
    let seq = req
        .msg_seq
        .ok_or_else(|| ctx.service.invalid("MsgSeq is required"))?;
    let (body, data) = modified_content(req.msg_body, req.cloud_custom_data)?;
    let (app, max) = (ctx.caller.app.sdkappid, ctx.caller.app.max_msg_bytes);
    match topic {
        None => {
            ctx.store()
                .modify_message(app, id, seq, body, data, max, ctx.retention())
                .await?
        }
        // `MsgSeq` is the topic's (groups-more.md §8.2).
        Some(topic) => {
            ctx.store()
                .modify_topic_message(app, id, topic, seq, body, data, max, ctx.retention())
                .await?
        }
    }
    Ok(Empty {})
}
