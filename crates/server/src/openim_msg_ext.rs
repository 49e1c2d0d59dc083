//! `v4/openim_msg_ext_http_svc/*`: message extensions, the KV map of one group or one-to-one
//! message. spec: groups-more.md §9. A message-family service: request problems are openim's
//! 90001 (inferred, §9.2); the group commands answer the group codes for the group itself
//! (10010, 10015, 10007), the one-to-one ones 70107 / 90012 for unknown accounts, 20022 for a
//! message that cannot carry extensions. The rules are `timber_core::extension`'s.

use crate::envelope::{opt_account, opt_objects};
use crate::failure::Failure;
use crate::openim::fields::{account, invalid, msg_key};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::extension::{check_items, ExtItem, ExtOp, ExtPage, ExtPlan};
use timber_core::group::validate_group_id;
use timber_core::{Error, ErrorCode};
use timber_store::extensions::ExtTarget;

/// One KV of a request. `Seq` is read (it must be a number) and ignored: REST writes are
/// not version-checked (§9.1).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KvReq {
    key: Option<String>,
    value: Option<String>,
    #[serde(rename = "Seq")]
    _seq: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KvResp {
    key: String,
    value: String,
    seq: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResp {
    extension_list: Vec<KvResp>,
    complete_flag: u8,
    latest_seq: u64,
    clear_seq: u64,
}

fn get_resp(p: ExtPage) -> GetResp {
    GetResp {
        extension_list: p
            .kvs
            .into_iter()
            .map(|kv| KvResp {
                key: kv.key,
                value: kv.value,
                seq: kv.seq,
            })
            .collect(),
        complete_flag: u8::from(p.complete),
        latest_seq: p.latest_seq,
        clear_seq: p.clear_seq,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetItemResp {
    error_code: u32,
    extension: KvResp,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetResp {
    extension_list: Vec<SetItemResp>,
}

fn set_resp(p: ExtPlan) -> SetResp {
    SetResp {
        extension_list: p
            .results
            .into_iter()
            .map(|r| SetItemResp {
                error_code: r.code.map_or(0, ErrorCode::code),
                extension: KvResp {
                    key: r.key,
                    value: r.value,
                    seq: r.seq,
                },
            })
            .collect(),
    }
}

/// `OperateType` and `ExtensionList` of a write, checked (90001).
fn write_items(op: Option<i64>, list: Option<Vec<KvReq>>) -> Result<(ExtOp, Vec<ExtItem>), Error> {
    let op = op.ok_or_else(|| invalid("OperateType is required"))?;
    let op = ExtOp::parse(op).ok_or_else(|| {
        invalid(format!(
            "OperateType {op} is not 1 (set), 2 (delete) or 3 (clear)"
        ))
    })?;
    let items: Vec<ExtItem> = match op {
        ExtOp::Clear => Vec::new(),
        _ => list
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, kv)| {
                Ok(ExtItem {
                    key: kv
                        .key
                        .ok_or_else(|| invalid(format!("ExtensionList[{i}].Key is required")))?,
                    value: kv.value.unwrap_or_default(),
                })
            })
            .collect::<Result<_, Error>>()?,
    };
    check_items(op, &items)?;
    Ok((op, items))
}

/// A group command's target: `GroupId` (absent 90001, malformed 10015) and `MsgSeq` (90001).
fn group_target(group_id: Option<String>, seq: Option<u64>) -> Result<ExtTarget, Error> {
    let group_id = group_id.ok_or_else(|| invalid("GroupId is required"))?;
    validate_group_id(&group_id)?;
    let seq = seq.ok_or_else(|| invalid("MsgSeq is required"))?;
    Ok(ExtTarget::Group { group_id, seq })
}

/// A one-to-one command's target: `From_Account` (default: the calling admin; malformed
/// 70107), `To_Account` (absent or malformed 90012), `MsgKey` (absent or malformed 90054).
fn c2c_target(
    ctx: &Ctx,
    from: Option<String>,
    to: Option<String>,
    key: Option<String>,
) -> Result<ExtTarget, Error> {
    let from = match from.filter(|f| !f.is_empty()) {
        None => ctx.caller.identifier.clone(),
        some => account(some, "From_Account", ErrorCode::AccountNotFound)?,
    };
    let to = account(to, "To_Account", ErrorCode::ToAccountNotFound)?;
    let key = msg_key(key, "MsgKey")?;
    Ok(ExtTarget::C2c { from, to, key })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupGetReq {
    group_id: Option<String>,
    msg_seq: Option<u64>,
    start_seq: Option<u64>,
}

/// spec: groups-more.md §9.3.
pub async fn group_get_key_values(ctx: &Ctx, req: GroupGetReq) -> Result<GetResp, Failure> {
    let target = group_target(req.group_id, req.msg_seq)?;
    let page = ctx
        .store()
        .get_extensions(
            ctx.caller.app.sdkappid,
            target,
            req.start_seq.unwrap_or(0),
            ctx.retention(),
        )
        .await?;
    Ok(get_resp(page))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupSetReq {
    group_id: Option<String>,
    msg_seq: Option<u64>,
    operate_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_objects")]
    extension_list: Option<Vec<KvReq>>,
}

/// spec: groups-more.md §9.4.
pub async fn group_set_key_values(ctx: &Ctx, req: GroupSetReq) -> Result<SetResp, Failure> {
    let target = group_target(req.group_id, req.msg_seq)?;
    let (op, items) = write_items(req.operate_type, req.extension_list)?;
    let plan = ctx
        .store()
        .set_extensions(ctx.caller.app.sdkappid, target, op, items, ctx.retention())
        .await?;
    Ok(set_resp(plan))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cGetReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    msg_key: Option<String>,
    start_seq: Option<u64>,
}

/// spec: groups-more.md §9.5.
pub async fn get_key_values(ctx: &Ctx, req: C2cGetReq) -> Result<GetResp, Failure> {
    let target = c2c_target(ctx, req.from, req.to, req.msg_key)?;
    let page = ctx
        .store()
        .get_extensions(
            ctx.caller.app.sdkappid,
            target,
            req.start_seq.unwrap_or(0),
            ctx.retention(),
        )
        .await?;
    Ok(get_resp(page))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct C2cSetReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
    msg_key: Option<String>,
    operate_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_objects")]
    extension_list: Option<Vec<KvReq>>,
}

/// spec: groups-more.md §9.6.
pub async fn set_key_values(ctx: &Ctx, req: C2cSetReq) -> Result<SetResp, Failure> {
    let target = c2c_target(ctx, req.from, req.to, req.msg_key)?;
    let (op, items) = write_items(req.operate_type, req.extension_list)?;
    let plan = ctx
        .store()
        .set_extensions(ctx.caller.app.sdkappid, target, op, items, ctx.retention())
        .await?;
    Ok(set_resp(plan))
}
