//! Group counters: get, update, delete. spec: groups-more.md §4.

use super::{group_id, invalid, required};
use crate::envelope::{opt_objects, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use timber_core::group::{check_counter_key, CounterMode, MAX_COUNTER_KEYS};
use timber_core::{Error, ErrorCode};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CounterKeysReq {
    group_id: Option<String>,
    group_counter_keys: Option<Vec<String>>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Counter {
    key: String,
    value: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CountersResp {
    group_counter: Vec<Counter>,
}

fn counters(list: Vec<(String, i64)>) -> CountersResp {
    CountersResp {
        group_counter: list
            .into_iter()
            .map(|(key, value)| Counter { key, value })
            .collect(),
    }
}

/// `GroupCounterKeys`: each a valid key (10004); `None` = all counters.
fn keys(keys: Option<Vec<String>>) -> Result<Option<Vec<String>>, Error> {
    if let Some(keys) = &keys {
        keys.iter().try_for_each(|k| check_counter_key(k))?;
    }
    Ok(keys)
}

/// spec: groups-more.md §4.2. The named keys that exist, request order (absent ones left
/// out, inferred), or every counter by ascending key. Community 10007.
pub async fn get_group_counter(ctx: &Ctx, req: CounterKeysReq) -> Result<CountersResp, Failure> {
    let id = group_id(req.group_id)?;
    let keys = keys(req.group_counter_keys)?;
    let list = ctx
        .store()
        .group_counters(ctx.caller.app.sdkappid, id, keys)
        .await?;
    Ok(counters(list))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateCounterReq {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "opt_objects")]
    group_counter: Option<Vec<Counter>>,
    mode: Option<String>,
}

/// spec: groups-more.md §4.3. `Mode` `Set`, `Increase` or `Decrease` (case-sensitive; absent
/// or other 10004). More than 20 entries, or a group left with more than 20 keys, is 10063;
/// leaving the int64 range is 10004; the request is atomic. Answers each key's new value.
pub async fn update_group_counter(
    ctx: &Ctx,
    req: UpdateCounterReq,
) -> Result<CountersResp, Failure> {
    let id = group_id(req.group_id)?;
    let mode = required(req.mode, "Mode")?;
    let mode = CounterMode::parse(&mode)
        .ok_or_else(|| invalid(format!("Mode {mode:?} is not Set, Increase or Decrease")))?;
    let list = required(req.group_counter, "GroupCounter")?;
    if list.is_empty() {
        return Err(invalid("GroupCounter is empty").into());
    }
    if list.len() > MAX_COUNTER_KEYS {
        return Err(Error::new(
            ErrorCode::GroupCounterTooManyKeys,
            format!(
                "GroupCounter has {} entries; at most {MAX_COUNTER_KEYS} are allowed",
                list.len()
            ),
        )
        .into());
    }
    let items = list
        .into_iter()
        .map(|c| {
            check_counter_key(&c.key)?;
            Ok((c.key, c.value))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let list = ctx
        .store()
        .update_group_counters(ctx.caller.app.sdkappid, id, mode, items)
        .await?;
    Ok(counters(list))
}

/// spec: groups-more.md §4.4. Deletes the named keys (absent ones are fine), or without
/// `GroupCounterKeys` every counter. Community 10007.
pub async fn delete_group_counter(ctx: &Ctx, req: CounterKeysReq) -> Result<Empty, Failure> {
    let id = group_id(req.group_id)?;
    let keys = keys(req.group_counter_keys)?;
    ctx.store()
        .delete_group_counters(ctx.caller.app.sdkappid, id, keys)
        .await?;
    Ok(Empty {})
}
