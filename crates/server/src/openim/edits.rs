//! admin_msgwithdraw, modify_c2c_msg and delete_c2c_msg_ramble: changing stored one-to-one
//! messages. spec: c2c-messages.md §7, §10; delete_c2c_msg_ramble from Tencent's page
//! "单向删除单聊历史消息" (cloud.tencent.com/document/product/269/101439).

use super::fields::{account, invalid, modified_content, msg_key};
use crate::envelope::{opt_account, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::Deserialize;
use serde_json::value::RawValue;
use timber_core::c2c::{MsgKey, MAX_DELETE_KEYS};
use timber_core::ErrorCode;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WithdrawReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    msg_key: Option<String>,
}

/// spec: c2c-messages.md §7. `From_Account` the sender (90008), `To_Account` the receiver
/// (90003), `MsgKey` (90054 absent or malformed); 20022 when the conversation has no
/// retained message of that sender with that key, 20023 when it is already recalled.
pub async fn admin_msgwithdraw(ctx: &Ctx, req: WithdrawReq) -> Result<Empty, Failure> {
    let from = account(req.from, "From_Account", ErrorCode::FromAccountInvalid)?;
    let to = account(req.to, "To_Account", ErrorCode::ToAccountInvalid)?;
    let key = msg_key(req.msg_key, "MsgKey")?;
    ctx.store()
        .withdraw_c2c(ctx.caller.app.sdkappid, from, to, key, ctx.retention())
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyC2cMsgReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    msg_key: Option<String>,
    msg_body: Option<Box<RawValue>>,
    cloud_custom_data: Option<String>,
}

/// spec: c2c-messages.md §10 (its error list is inferred): the accounts as for a recall,
/// `MsgKey` 90054, neither `MsgBody` nor `CloudCustomData` 90001, a bad `MsgBody`
/// 90007/90010/90002, a NUL in `CloudCustomData` 90001; 20022 for no such retained,
/// unrecalled message of the sender; 80002 when the result is over the size limit.
pub async fn modify_c2c_msg(ctx: &Ctx, req: ModifyC2cMsgReq) -> Result<Empty, Failure> {
    let from = account(req.from, "From_Account", ErrorCode::FromAccountInvalid)?;
    let to = account(req.to, "To_Account", ErrorCode::ToAccountInvalid)?;
    let key = msg_key(req.msg_key, "MsgKey")?;
    let (body, data) = modified_content(req.msg_body, req.cloud_custom_data)?;
    ctx.store()
        .modify_c2c(
            ctx.caller.app.sdkappid,
            from,
            to,
            key,
            body,
            data,
            ctx.caller.app.max_msg_bytes,
            ctx.retention(),
        )
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRambleReq {
    #[serde(rename = "Operator_Account", default, deserialize_with = "opt_account")]
    operator: Option<String>,
    #[serde(rename = "Peer_Account", default, deserialize_with = "opt_account")]
    peer: Option<String>,
    msg_key_list: Option<Vec<String>>,
}

/// delete_c2c_msg_ramble: the operator (one of the conversation's two accounts, 90008) no
/// longer sees the listed messages; its peer (90003) still does. Documented: one-sided, by
/// MsgKey. Inferred (the page lists no error codes): `MsgKeyList` is required, 1–100 keys
/// (90001), each a MsgKey (90054, refusing the whole call); a key of no message, or of one
/// already deleted for the operator, is skipped, so the call can be repeated.
pub async fn delete_c2c_msg_ramble(ctx: &Ctx, req: DeleteRambleReq) -> Result<Empty, Failure> {
    let operator = account(
        req.operator,
        "Operator_Account",
        ErrorCode::FromAccountInvalid,
    )?;
    let peer = account(req.peer, "Peer_Account", ErrorCode::ToAccountInvalid)?;
    let list = req
        .msg_key_list
        .ok_or_else(|| invalid("MsgKeyList is required"))?;
    if list.is_empty() || list.len() > MAX_DELETE_KEYS {
        return Err(invalid(format!(
            "MsgKeyList has {} keys; give 1 to {MAX_DELETE_KEYS}",
            list.len()
        ))
        .into());
    }
    let keys = list
        .iter()
        .map(|k| MsgKey::parse_field("MsgKeyList", k))
        .collect::<Result<Vec<_>, _>>()?;
    ctx.store()
        .delete_c2c(ctx.caller.app.sdkappid, operator, peer, keys)
        .await?;
    Ok(Empty {})
}
