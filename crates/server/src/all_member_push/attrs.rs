//! The nine attribute and tag commands. spec: push-and-operations.md §1.3–§1.11. Names,
//! values and tags are checked by `timber_core::push`; a refused request writes nothing.

use crate::envelope::{self, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use timber_core::push::{check_account_list, check_tag, check_tags};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
pub struct SetAttrNameReq {
    #[serde(rename = "AttrNames")]
    names: Map<String, Value>,
}

/// im_set_attr_name (§1.3): a name that is not a string is 90033, as the rest.
pub async fn im_set_attr_name(ctx: &Ctx, req: SetAttrNameReq) -> Result<Empty, Failure> {
    let names = req
        .names
        .into_iter()
        .map(|(slot, name)| match name {
            Value::String(n) => Ok((slot, n)),
            other => Err(Error::new(
                ErrorCode::PushAttrInvalid,
                format!("the name of slot {slot:?} must be a string, got {other}"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ctx.store()
        .set_attr_names(ctx.caller.app.sdkappid, names)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct GetAttrNameReq {}

#[derive(Serialize)]
pub struct GetAttrNameResp {
    #[serde(rename = "AttrNames")]
    names: Map<String, Value>,
}

/// im_get_attr_name (§1.4): only named slots.
pub async fn im_get_attr_name(ctx: &Ctx, _: GetAttrNameReq) -> Result<GetAttrNameResp, Failure> {
    let names = ctx.store().get_attr_names(ctx.caller.app.sdkappid).await?;
    Ok(GetAttrNameResp {
        names: names
            .into_iter()
            .map(|(slot, name)| (slot.to_string(), Value::String(name)))
            .collect(),
    })
}

/// `To_Account`: an array of accounts, or one account as a one-element list (§1.11).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<Value>),
        Other(Value),
    }
    match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => Ok(vec![s]),
        OneOrMany::Many(v) => {
            envelope::accounts(serde_json::Value::Array(v)).map_err(serde::de::Error::custom)
        }
        OneOrMany::Other(v) => envelope::account(v)
            .map(|s| vec![s])
            .map_err(serde::de::Error::custom),
    }
}

#[derive(Deserialize)]
pub struct AccountsReq {
    #[serde(rename = "To_Account", deserialize_with = "envelope::accounts")]
    to: Vec<String>,
}

#[derive(Serialize)]
struct UserAttrs {
    #[serde(rename = "To_Account")]
    user: String,
    #[serde(rename = "Attrs")]
    attrs: Map<String, Value>,
}

#[derive(Serialize)]
pub struct GetAttrResp {
    #[serde(rename = "UserAttrs")]
    users: Vec<UserAttrs>,
}

/// im_get_attr (§1.5): request order; an account without attributes (or unknown) gets `{}`.
pub async fn im_get_attr(ctx: &Ctx, req: AccountsReq) -> Result<GetAttrResp, Failure> {
    check_account_list(req.to.iter().map(String::as_str))?;
    let got = ctx
        .store()
        .get_attrs(ctx.caller.app.sdkappid, req.to)
        .await?;
    Ok(GetAttrResp {
        users: got
            .into_iter()
            .map(|(user, attrs)| UserAttrs {
                user,
                attrs: attrs
                    .into_iter()
                    .map(|(n, v)| (n, Value::String(v)))
                    .collect(),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct SetEntry {
    #[serde(rename = "To_Account", deserialize_with = "envelope::account")]
    user: String,
    #[serde(rename = "Attrs")]
    attrs: Map<String, Value>,
}

#[derive(Deserialize)]
pub struct SetAttrReq {
    /// `Attrs` is the dobyte client's spelling (§8).
    #[serde(
        rename = "UserAttrs",
        alias = "Attrs",
        deserialize_with = "envelope::objects"
    )]
    users: Vec<SetEntry>,
}

/// im_set_attr (§1.6).
pub async fn im_set_attr(ctx: &Ctx, req: SetAttrReq) -> Result<Empty, Failure> {
    check_account_list(req.users.iter().map(|e| e.user.as_str()))?;
    let attrs = req
        .users
        .into_iter()
        .map(|e| (e.user, e.attrs.into_iter().collect()))
        .collect();
    ctx.store()
        .set_attrs(ctx.caller.app.sdkappid, attrs)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
struct RemoveEntry {
    #[serde(rename = "To_Account", deserialize_with = "envelope::account")]
    user: String,
    #[serde(rename = "Attrs")]
    attrs: Vec<String>,
}

#[derive(Deserialize)]
pub struct RemoveAttrReq {
    #[serde(
        rename = "UserAttrs",
        alias = "Attrs",
        deserialize_with = "envelope::objects"
    )]
    users: Vec<RemoveEntry>,
}

/// im_remove_attr (§1.7): attribute names as an array; one the user lacks is no error.
pub async fn im_remove_attr(ctx: &Ctx, req: RemoveAttrReq) -> Result<Empty, Failure> {
    check_account_list(req.users.iter().map(|e| e.user.as_str()))?;
    let attrs = req.users.into_iter().map(|e| (e.user, e.attrs)).collect();
    ctx.store()
        .remove_attrs(ctx.caller.app.sdkappid, attrs)
        .await?;
    Ok(Empty {})
}

#[derive(Serialize)]
struct UserTags {
    #[serde(rename = "To_Account")]
    user: String,
    #[serde(rename = "Tags")]
    tags: Vec<String>,
}

#[derive(Serialize)]
pub struct GetTagResp {
    #[serde(rename = "UserTags")]
    users: Vec<UserTags>,
}

/// im_get_tag (§1.8): tags in the order they were added.
pub async fn im_get_tag(ctx: &Ctx, req: AccountsReq) -> Result<GetTagResp, Failure> {
    check_account_list(req.to.iter().map(String::as_str))?;
    let got = ctx
        .store()
        .get_tags(ctx.caller.app.sdkappid, req.to)
        .await?;
    Ok(GetTagResp {
        users: got
            .into_iter()
            .map(|(user, tags)| UserTags { user, tags })
            .collect(),
    })
}

#[derive(Deserialize)]
struct TagEntry {
    #[serde(rename = "To_Account", deserialize_with = "envelope::account")]
    user: String,
    #[serde(rename = "Tags")]
    tags: Vec<String>,
}

#[derive(Deserialize)]
pub struct TagsReq {
    #[serde(rename = "UserTags", deserialize_with = "envelope::objects")]
    users: Vec<TagEntry>,
}

/// im_add_tag (§1.9): ≤ 10 tags per user per request (90032), each 1–50 bytes (90040,
/// 90020); a user past 100 tags 90032.
pub async fn im_add_tag(ctx: &Ctx, req: TagsReq) -> Result<Empty, Failure> {
    check_account_list(req.users.iter().map(|e| e.user.as_str()))?;
    for e in &req.users {
        check_tags(&e.tags)?;
    }
    let tags = req.users.into_iter().map(|e| (e.user, e.tags)).collect();
    ctx.store().add_tags(ctx.caller.app.sdkappid, tags).await?;
    Ok(Empty {})
}

/// im_remove_tag (§1.10): tags the user lacks are ignored; each must still be a tag.
pub async fn im_remove_tag(ctx: &Ctx, req: TagsReq) -> Result<Empty, Failure> {
    check_account_list(req.users.iter().map(|e| e.user.as_str()))?;
    for e in &req.users {
        e.tags.iter().try_for_each(|t| check_tag(t))?;
    }
    let tags = req.users.into_iter().map(|e| (e.user, e.tags)).collect();
    ctx.store()
        .remove_tags(ctx.caller.app.sdkappid, tags)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
pub struct RemoveAllTagsReq {
    #[serde(rename = "To_Account", deserialize_with = "one_or_many")]
    to: Vec<String>,
}

/// im_remove_all_tags (§1.11).
pub async fn im_remove_all_tags(ctx: &Ctx, req: RemoveAllTagsReq) -> Result<Empty, Failure> {
    check_account_list(req.to.iter().map(String::as_str))?;
    ctx.store()
        .remove_all_tags(ctx.caller.app.sdkappid, req.to)
        .await?;
    Ok(Empty {})
}
