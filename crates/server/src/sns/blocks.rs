//! black_list_add, black_list_delete, black_list_get, black_list_check.
//! spec: relationships.md §10–§13.

use super::fields::{from_account, index, opt_int, targets, ItemsResp};
use super::friends::{relation_items, CheckReq, RelationItem};
use crate::envelope::{opt_account, opt_accounts};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::sns::{
    block_relation, invalid, next_start, parse_check_type, MAX_BLOCK_PAGE, MAX_TARGETS,
};

#[derive(Deserialize)]
pub struct BlockReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to: Option<Vec<String>>,
}

/// spec: relationships.md §10: blocking also removes the friendship both ways.
pub async fn black_list_add(ctx: &Ctx, req: BlockReq) -> Result<ItemsResp, Failure> {
    let from = from_account(req.from)?;
    let to = targets(req.to, "To_Account", MAX_TARGETS)?;
    let out = ctx
        .store()
        .block_add(ctx.caller.app.sdkappid, from.clone(), to, ctx.now)
        .await?;
    Ok(ItemsResp::new(&out.items))
}

/// spec: relationships.md §11.
pub async fn black_list_delete(ctx: &Ctx, req: BlockReq) -> Result<ItemsResp, Failure> {
    let from = from_account(req.from)?;
    let to = targets(req.to, "To_Account", MAX_TARGETS)?;
    let out = ctx
        .store()
        .block_delete(ctx.caller.app.sdkappid, from.clone(), to)
        .await?;
    Ok(ItemsResp::new(&out.items))
}

#[derive(Deserialize)]
pub struct BlockGetReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "StartIndex")]
    start: Option<Value>,
    #[serde(rename = "MaxLimited")]
    max: Option<Value>,
    #[serde(rename = "LastSequence")]
    last_seq: Option<Value>,
}

#[derive(Serialize)]
pub struct BlockItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "AddBlackTimeStamp")]
    time: i64,
}

#[derive(Serialize)]
pub struct BlockGetResp {
    #[serde(rename = "BlackListItem")]
    items: Vec<BlockItem>,
    #[serde(rename = "StartIndex")]
    next: usize,
    /// Misspelled as the documentation and the clients spell it (§12).
    #[serde(rename = "CurruentSequence")]
    seq: u64,
}

/// spec: relationships.md §12: `MaxLimited` 1–1 000 (more is clamped), `LastSequence`
/// read and ignored (full data every time).
pub async fn black_list_get(ctx: &Ctx, req: BlockGetReq) -> Result<BlockGetResp, Failure> {
    let from = from_account(req.from)?;
    let start = index(req.start.as_ref(), "StartIndex")?;
    let max = match opt_int(req.max.as_ref(), "MaxLimited")? {
        Some(n) if n > 0 => (n as usize).min(MAX_BLOCK_PAGE),
        Some(n) => return Err(invalid(format!("MaxLimited must be positive, got {n}")).into()),
        None => return Err(invalid("MaxLimited is required").into()),
    };
    opt_int(req.last_seq.as_ref(), "LastSequence")?;
    let page = ctx
        .store()
        .blocks(ctx.caller.app.sdkappid, from, start, max)
        .await?;
    Ok(BlockGetResp {
        next: next_start(start, page.blocked.len(), page.total),
        items: page
            .blocked
            .into_iter()
            .map(|(to, time)| BlockItem { to, time })
            .collect(),
        seq: page.seq,
    })
}

#[derive(Serialize)]
pub struct BlockCheckResp {
    #[serde(rename = "BlackListCheckItem")]
    items: Vec<RelationItem>,
    #[serde(rename = "Fail_Account", skip_serializing_if = "Vec::is_empty")]
    failed: Vec<String>,
}

/// spec: relationships.md §13.
pub async fn black_list_check(ctx: &Ctx, req: CheckReq) -> Result<BlockCheckResp, Failure> {
    let from = from_account(req.from)?;
    let both = parse_check_type(
        req.check_type.as_deref(),
        "BlackCheckResult_Type_Single",
        "BlackCheckResult_Type_Both",
    )?;
    let to = targets(req.to, "To_Account", MAX_TARGETS)?;
    let facts = ctx
        .store()
        .check_pairs(ctx.caller.app.sdkappid, from.clone(), to.clone(), true)
        .await?;
    let (items, failed) = relation_items(&from, to, facts, |a, b| block_relation(both, a, b));
    Ok(BlockCheckResp { items, failed })
}
