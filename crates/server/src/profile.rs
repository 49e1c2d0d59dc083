//! `v4/profile/*`: user profiles. spec: profiles.md. Its failures use the profile codes
//! (40001 invalid parameter, 40006 internal), and every answer carries `ErrorDisplay`
//! (`Service::shows_error_display`). The tags, their checks and the answers are
//! `timber_core::profile`'s; the app's registered custom tags come from its configuration.

use crate::envelope::{self, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::profile::{
    check_portrait_accounts, check_tag_list, portrait_answer, ProfileItem, RawItem,
    ACCOUNT_NOT_EXIST_INFO,
};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
pub struct PortraitSetReq {
    #[serde(rename = "From_Account", deserialize_with = "envelope::account")]
    from: String,
    #[serde(rename = "ProfileItem", deserialize_with = "envelope::objects")]
    items: Vec<SetItem>,
}

/// One item as it came: the value's type is checked against its tag by the domain.
#[derive(Deserialize)]
struct SetItem {
    #[serde(rename = "Tag")]
    tag: String,
    #[serde(rename = "Value")]
    value: serde_json::Value,
}

/// spec: profiles.md §1. A missing field or an empty `ProfileItem` is 40001 here; the rest
/// (40003, then 40009, 40008, 40610, 40605, 40601) is decided in the write's transaction,
/// and a refused request writes nothing.
pub async fn portrait_set(ctx: &Ctx, req: PortraitSetReq) -> Result<Empty, Failure> {
    if req.items.is_empty() {
        return Err(Error::new(
            ErrorCode::ProfileInvalidParameter,
            "ProfileItem names no tag to set",
        )
        .into());
    }
    // String values (nick, signature, location, custom strings) against the dirty words.
    let texts: Vec<(&str, &str)> = req
        .items
        .iter()
        .filter_map(|i| i.value.as_str().map(|v| (i.tag.as_str(), v)))
        .collect();
    crate::moderation::check_fields(ctx, &texts, ErrorCode::ProfileDirtyWord).await?;
    let items = req
        .items
        .into_iter()
        .map(|i| RawItem {
            tag: i.tag,
            value: i.value,
        })
        .collect();
    let app = &ctx.caller.app;
    ctx.store()
        .set_portrait(
            app.sdkappid,
            ctx.caller.identifier.clone(),
            req.from,
            items,
            app.profile_custom_tags.clone(),
        )
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct PortraitGetReq {
    #[serde(
        rename = "To_Account",
        default,
        deserialize_with = "envelope::opt_accounts"
    )]
    to: Option<Vec<String>>,
    #[serde(rename = "TagList", default)]
    tags: Option<Vec<String>>,
}

#[derive(Serialize)]
struct UserProfileItem {
    #[serde(rename = "To_Account")]
    user: String,
    #[serde(rename = "ProfileItem")]
    items: Vec<ProfileItem>,
    #[serde(rename = "ResultCode")]
    code: u32,
    #[serde(rename = "ResultInfo")]
    info: &'static str,
}

#[derive(Serialize)]
pub struct PortraitGetResp {
    #[serde(rename = "UserProfileItem")]
    items: Vec<UserProfileItem>,
    /// Only when an account failed (profiles.md §2; `Invalid_Account` is never sent).
    #[serde(rename = "Fail_Account", skip_serializing_if = "Vec::is_empty")]
    fail: Vec<String>,
}

/// spec: profiles.md §2. 40002 without accounts, 40001 past 100 or without tags, 40009 /
/// 40007 for a tag, 40003 when no account exists; a missing account among others is its own
/// entry (ResultCode 40003) and in `Fail_Account`.
pub async fn portrait_get(ctx: &Ctx, req: PortraitGetReq) -> Result<PortraitGetResp, Failure> {
    let users = check_portrait_accounts(req.to)?;
    let app = &ctx.caller.app;
    let tags = check_tag_list(req.tags, &app.profile_custom_tags)?;
    let stored = ctx.store().get_portraits(app.sdkappid, users).await?;
    let mut fail = Vec::new();
    let items = portrait_answer(stored, &tags)?
        .into_iter()
        .map(|p| match p.items {
            Some(items) => UserProfileItem {
                user: p.user,
                items,
                code: 0,
                info: "",
            },
            None => {
                fail.push(p.user.clone());
                UserProfileItem {
                    user: p.user,
                    items: Vec::new(),
                    code: ErrorCode::ProfileAccountNotFound.code(),
                    info: ACCOUNT_NOT_EXIST_INFO,
                }
            }
        })
        .collect();
    Ok(PortraitGetResp { items, fail })
}
