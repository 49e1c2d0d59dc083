//! group_add, group_delete, group_get: friend lists ("groups" of friends, unrelated to chat
//! groups). spec: relationships.md §14–§16.

use super::fields::{from_account, result_items, ResultItem};
use crate::envelope::{opt_account, opt_accounts};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::sns::{check_list_names, invalid, MAX_TARGETS};

#[derive(Deserialize)]
pub struct ListAddReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "GroupName")]
    names: Option<Vec<String>>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct ListAddResp {
    #[serde(rename = "ResultItem", skip_serializing_if = "Option::is_none")]
    items: Option<Vec<ResultItem>>,
    #[serde(rename = "Fail_Account", skip_serializing_if = "Vec::is_empty")]
    failed: Vec<String>,
    #[serde(rename = "CurrentSequence")]
    seq: u64,
}

/// spec: relationships.md §14.
pub async fn group_add(ctx: &Ctx, req: ListAddReq) -> Result<ListAddResp, Failure> {
    let from = from_account(req.from)?;
    let names = req.names.ok_or_else(|| invalid("GroupName is required"))?;
    let texts: Vec<(&str, &str)> = names.iter().map(|n| ("GroupName", n.as_str())).collect();
    crate::moderation::check_fields(ctx, &texts, timber_core::ErrorCode::SnsDirtyWord).await?;
    let given = req.to.is_some();
    let to = req.to.unwrap_or_default();
    if to.len() > MAX_TARGETS {
        return Err(invalid(format!("To_Account names more than {MAX_TARGETS} accounts")).into());
    }
    let out = ctx
        .store()
        .list_add(ctx.caller.app.sdkappid, from, names, to)
        .await?;
    let (items, failed) = result_items(&out.items);
    Ok(ListAddResp {
        items: given.then_some(items),
        failed,
        seq: out.seqs.lists,
    })
}

#[derive(Deserialize)]
pub struct ListDeleteReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "GroupName")]
    names: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct SeqResp {
    #[serde(rename = "CurrentSequence")]
    seq: u64,
}

/// spec: relationships.md §15: the friends stay friends.
pub async fn group_delete(ctx: &Ctx, req: ListDeleteReq) -> Result<SeqResp, Failure> {
    let from = from_account(req.from)?;
    let names = req.names.ok_or_else(|| invalid("GroupName is required"))?;
    let out = ctx
        .store()
        .list_delete(ctx.caller.app.sdkappid, from, names)
        .await?;
    Ok(SeqResp {
        seq: out.seqs.lists,
    })
}

#[derive(Deserialize)]
pub struct ListGetReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "NeedFriend")]
    need_friend: Option<String>,
    #[serde(rename = "GroupName")]
    names: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct ListItem {
    #[serde(rename = "GroupName")]
    name: String,
    #[serde(rename = "FriendNumber")]
    count: usize,
    #[serde(rename = "To_Account", skip_serializing_if = "Option::is_none")]
    members: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct ListGetResp {
    #[serde(rename = "ResultItem")]
    items: Vec<ListItem>,
    #[serde(rename = "CurrentSequence")]
    seq: u64,
}

/// spec: relationships.md §16: members are returned with `Need_Friend_Type_Yes` or whenever
/// `GroupName` names lists (the page's two statements reconciled); an unknown name is 30001.
pub async fn group_get(ctx: &Ctx, req: ListGetReq) -> Result<ListGetResp, Failure> {
    let from = from_account(req.from)?;
    let need = match req.need_friend.as_deref() {
        None | Some("") => false,
        Some("Need_Friend_Type_Yes") => true,
        Some(other) => {
            return Err(invalid(format!(
                "NeedFriend {other:?} must be Need_Friend_Type_Yes or absent"
            ))
            .into())
        }
    };
    let wanted = req.names.as_deref().map(check_list_names).transpose()?;
    let (lists, seq) = ctx.store().lists(ctx.caller.app.sdkappid, from).await?;
    let with_members = need || wanted.is_some();
    let chosen: Vec<(String, Vec<String>)> = match &wanted {
        None => lists,
        Some(names) => {
            if let Some(n) = names.iter().find(|n| !lists.iter().any(|(l, _)| l == *n)) {
                return Err(invalid(format!("the friend list {n:?} does not exist")).into());
            }
            lists
                .into_iter()
                .filter(|(l, _)| names.contains(l))
                .collect()
        }
    };
    Ok(ListGetResp {
        items: chosen
            .into_iter()
            .map(|(name, members)| ListItem {
                name,
                count: members.len(),
                members: with_members.then_some(members),
            })
            .collect(),
        seq,
    })
}
