//! Group custom attributes: get_group_attr (under `group_open_attr_http_svc`), and
//! modify / set / delete / clear_group_attr. spec: groups-more.md §3. The limits are checked by
//! the store on the state each write leaves (`timber_core::group::decide_attrs`).

use super::{group_id, invalid, required};
use crate::envelope::{opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::group::{check_attr, AttrWrite};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetAttrReq {
    group_id: Option<String>,
}

/// One attribute; lower-case `key` / `value` on the wire (groups-more.md §3.1).
#[derive(Deserialize, Serialize)]
pub struct Attr {
    key: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetAttrResp {
    group_attr_ary: Vec<Attr>,
}

/// spec: groups-more.md §3.2. Every attribute, ascending key (byte order, inferred); `[]`
/// when there are none.
pub async fn get_group_attr(ctx: &Ctx, req: GetAttrReq) -> Result<GetAttrResp, Failure> {
    let id = group_id(req.group_id)?;
    let attrs = ctx.store().group_attrs(ctx.caller.app.sdkappid, id).await?;
    Ok(GetAttrResp {
        group_attr_ary: attrs
            .into_iter()
            .map(|(key, value)| Attr { key, value })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteAttrReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    group_attr: Option<Vec<Attr>>,
}

/// A key to delete: a `value` member, if sent, is ignored (groups-more.md §3.5).
#[derive(Deserialize)]
pub struct AttrKey {
    key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAttrReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    group_attr: Option<Vec<AttrKey>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClearAttrReq {
    group_id: Option<String>,
}

/// Every attribute write counts towards the group's 5 a second (10049, only under the app's
/// `group_rate_limits`; groups-more.md §3.1).
async fn write(ctx: &Ctx, id: String, write: AttrWrite) -> Result<Empty, Failure> {
    ctx.state.group_rates.attr_write(&ctx.caller.app, &id)?;
    ctx.store()
        .write_group_attrs(
            ctx.caller.app.sdkappid,
            id,
            write,
            ctx.caller.identifier.clone(),
        )
        .await?;
    Ok(Empty {})
}

/// The key/value pairs of a request, each checked on its own (10045, 10046, 10004).
fn pairs(list: Vec<Attr>) -> Result<Vec<(String, String)>, Failure> {
    list.into_iter()
        .map(|a| {
            check_attr(&a.key, Some(&a.value))?;
            Ok((a.key, a.value))
        })
        .collect()
}

/// spec: groups-more.md §3.3. Adds or overwrites the listed keys (a key twice: the last value
/// wins); the others stay. An empty list is 10004 (nothing to modify; ours). The whole group
/// may then hold at most 16 keys (10047) and 16,000 bytes of values (10048).
/// Fires Group.CallbackAfterGroupAttrChanged (`modify`).
pub async fn modify_group_attr(ctx: &Ctx, req: WriteAttrReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let list = required(req.group_attr, "GroupAttr")?;
    if list.is_empty() {
        return Err(invalid("GroupAttr is empty").into());
    }
    write(ctx, id, AttrWrite::Modify(pairs(list)?)).await
}

/// spec: groups-more.md §3.4. Replaces the whole set; an empty list clears it (inferred).
/// Fires Group.CallbackAfterGroupAttrChanged (`set`).
pub async fn set_group_attr(ctx: &Ctx, req: WriteAttrReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let list = required(req.group_attr, "GroupAttr")?;
    write(ctx, id, AttrWrite::Set(pairs(list)?)).await
}

/// spec: groups-more.md §3.5. Removes the listed keys; a key that is not set refuses the
/// whole request (10050, inferred: all or nothing). An empty list is 10004 (ours).
/// Fires Group.CallbackAfterGroupAttrChanged (`delete`).
pub async fn delete_group_attr(ctx: &Ctx, req: DeleteAttrReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let list = required(req.group_attr, "GroupAttr")?;
    if list.is_empty() {
        return Err(invalid("GroupAttr is empty").into());
    }
    let keys = list
        .into_iter()
        .map(|k| {
            check_attr(&k.key, None)?;
            Ok(k.key)
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    write(ctx, id, AttrWrite::Delete(keys)).await
}

/// spec: groups-more.md §3.6. Removes every attribute; a group without any is fine.
/// Fires Group.CallbackAfterGroupAttrChanged (`clear`).
pub async fn clear_group_attr(ctx: &Ctx, req: ClearAttrReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    write(ctx, id, AttrWrite::Clear).await
}
