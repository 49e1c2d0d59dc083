//! `v4/follow/*`: follow_add, follow_delete, follow_check, follow_get, follow_get_info.
//! spec: relationships.md §17–§22.

use super::fields::{code_info, from_account, items, opt_int, tag_values, targets};
use super::fields::{ItemsResp, TagValue};
use crate::envelope::{opt_account, opt_accounts, opt_objects};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use timber_core::sns::{
    follow_type, invalid, parse_follow_cursor, FollowList, FOLLOW_PAGE_DEFAULT, FOLLOW_PAGE_MAX,
    MAX_FOLLOW_CHECK, MAX_FOLLOW_PER_CALL,
};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
pub struct FollowItemReq {
    #[serde(rename = "To_Account", default, deserialize_with = "opt_account")]
    to: Option<String>,
}

#[derive(Deserialize)]
pub struct FollowAddReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "FollowItem", default, deserialize_with = "opt_objects")]
    items: Option<Vec<FollowItemReq>>,
}

/// spec: relationships.md §18.
pub async fn follow_add(ctx: &Ctx, req: FollowAddReq) -> Result<ItemsResp, Failure> {
    let from = from_account(req.from)?;
    let to = items(req.items, "FollowItem", MAX_FOLLOW_PER_CALL)?
        .into_iter()
        .map(|i| i.to.unwrap_or_default())
        .collect();
    let out = ctx
        .store()
        .follow_add(ctx.caller.app.sdkappid, from.clone(), to, ctx.now)
        .await?;
    Ok(ItemsResp::new(&out))
}

#[derive(Deserialize)]
pub struct FollowTargetsReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "To_Account", default, deserialize_with = "opt_accounts")]
    to: Option<Vec<String>>,
}

/// spec: relationships.md §19.
pub async fn follow_delete(ctx: &Ctx, req: FollowTargetsReq) -> Result<ItemsResp, Failure> {
    let from = from_account(req.from)?;
    let to = targets(req.to, "To_Account", MAX_FOLLOW_PER_CALL)?;
    let out = ctx
        .store()
        .follow_delete(ctx.caller.app.sdkappid, from.clone(), to)
        .await?;
    Ok(ItemsResp::new(&out))
}

fn unknown(to: &str) -> Result<(), Error> {
    Err(Error::new(
        ErrorCode::SnsAccountNotFound,
        format!("{to} is not an imported account"),
    ))
}

#[derive(Serialize)]
pub struct CheckItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
    #[serde(rename = "FollowType")]
    follow_type: u8,
}

#[derive(Serialize)]
pub struct FollowCheckResp {
    #[serde(rename = "ResultItem")]
    items: Vec<CheckItem>,
}

/// spec: relationships.md §20: an unknown target is its item's 30003 with `FollowType` 0.
pub async fn follow_check(ctx: &Ctx, req: FollowTargetsReq) -> Result<FollowCheckResp, Failure> {
    let from = from_account(req.from)?;
    let to = targets(req.to, "To_Account", MAX_FOLLOW_CHECK)?;
    let found = ctx
        .store()
        .follow_check(ctx.caller.app.sdkappid, from, to.clone())
        .await?;
    let items = to
        .into_iter()
        .zip(found)
        .map(|(to, f)| {
            let (code, info) = code_info(&match f {
                Some(_) => Ok(()),
                None => unknown(&to),
            });
            let (ab, ba) = f.unwrap_or_default();
            CheckItem {
                to,
                code,
                info,
                follow_type: follow_type(ab, ba),
            }
        })
        .collect();
    Ok(FollowCheckResp { items })
}

#[derive(Deserialize)]
pub struct FollowGetReq {
    #[serde(rename = "From_Account", default, deserialize_with = "opt_account")]
    from: Option<String>,
    #[serde(rename = "FollowType")]
    follow_type: Option<Value>,
    #[serde(rename = "StartCursor")]
    cursor: Option<String>,
    #[serde(rename = "WantNum")]
    want: Option<Value>,
}

#[derive(Serialize)]
pub struct FollowItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "FollowTime")]
    time: i64,
    #[serde(rename = "ProfileItem")]
    profile: Vec<TagValue>,
}

#[derive(Serialize)]
pub struct FollowGetResp {
    #[serde(rename = "FollowItem")]
    items: Vec<FollowItem>,
    #[serde(rename = "NextCursor")]
    next: String,
}

/// spec: relationships.md §21: newest first; the cursor is the decimal offset.
pub async fn follow_get(ctx: &Ctx, req: FollowGetReq) -> Result<FollowGetResp, Failure> {
    let from = from_account(req.from)?;
    let list = match opt_int(req.follow_type.as_ref(), "FollowType")? {
        Some(n) => FollowList::parse(n)?,
        None => return Err(invalid("FollowType is required").into()),
    };
    let start = parse_follow_cursor(req.cursor.as_deref().unwrap_or_default())?;
    let want = match opt_int(req.want.as_ref(), "WantNum")? {
        None => FOLLOW_PAGE_DEFAULT,
        Some(n) if n > 0 => (n as usize).min(FOLLOW_PAGE_MAX),
        Some(n) => return Err(invalid(format!("WantNum must be positive, got {n}")).into()),
    };
    let (page, more) = ctx
        .store()
        .follow_page(ctx.caller.app.sdkappid, from, list, start, want)
        .await?;
    let next = if more {
        (start + page.len()).to_string()
    } else {
        String::new()
    };
    Ok(FollowGetResp {
        items: page
            .into_iter()
            .map(|e| FollowItem {
                to: e.user,
                time: e.time,
                profile: tag_values(e.profile),
            })
            .collect(),
        next,
    })
}

#[derive(Serialize)]
pub struct InfoItem {
    #[serde(rename = "To_Account")]
    to: String,
    #[serde(rename = "FollowerCount")]
    followers: u64,
    #[serde(rename = "FollowingCount")]
    followings: u64,
    #[serde(rename = "MutualFollowingCount")]
    mutual: u64,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: String,
}

#[derive(Serialize)]
pub struct FollowInfoResp {
    #[serde(rename = "FollowInfo")]
    items: Vec<InfoItem>,
}

/// spec: relationships.md §22: an unknown target is 30003 with zero counts.
pub async fn follow_get_info(ctx: &Ctx, req: FollowTargetsReq) -> Result<FollowInfoResp, Failure> {
    let from = from_account(req.from)?;
    let to = targets(req.to, "To_Account", MAX_FOLLOW_PER_CALL)?;
    let found = ctx
        .store()
        .follow_counts(ctx.caller.app.sdkappid, from, to.clone())
        .await?;
    let items = to
        .into_iter()
        .zip(found)
        .map(|(to, f)| {
            let (code, info) = code_info(&match f {
                Some(_) => Ok(()),
                None => unknown(&to),
            });
            let (followers, followings, mutual) = f.unwrap_or_default();
            InfoItem {
                to,
                followers,
                followings,
                mutual,
                code,
                info,
            }
        })
        .collect();
    Ok(FollowInfoResp { items })
}
