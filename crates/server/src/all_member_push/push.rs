//! im_push (§1.2, §8): checks the request, records the task in one transaction, answers its
//! TaskId, and delivers it in the background: batches of [`BATCH`] recipients, each its own
//! transaction, so a push to a large app never holds every account in memory or one long
//! write. The offline entries are the task's `push_deliveries` rows; nothing goes to roaming
//! history.

use crate::failure::Failure;
use crate::msg_body::checked_body;
use crate::openim::fields::{body_error, opt_u32};
use crate::Ctx;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use timber_core::push::{check_account, life_time, parse_condition};
use timber_core::{AppId, Error, ErrorCode};
use timber_store::push::NewPush;
use timber_store::Store;

/// Recipients delivered per transaction.
pub const BATCH: usize = 500;

#[derive(Deserialize)]
pub struct ImPushReq {
    #[serde(
        rename = "From_Account",
        default,
        deserialize_with = "crate::envelope::opt_account"
    )]
    from: Option<String>,
    #[serde(rename = "MsgRandom", default)]
    random: Option<Value>,
    #[serde(rename = "MsgBody", default)]
    body: Option<Box<RawValue>>,
    #[serde(rename = "MsgLifeTime", default)]
    life_time: Option<Value>,
    #[serde(rename = "Condition", default)]
    condition: Option<Value>,
    #[serde(rename = "OfflinePushInfo", default)]
    offline: Option<Value>,
}

#[derive(Serialize)]
pub struct ImPushResp {
    #[serde(rename = "TaskId")]
    task_id: String,
}

/// spec: push-and-operations.md §1.2. 90045 when the app has push turned off; then 90005
/// `MsgRandom`, 90002 / 90007 / 90010 `MsgBody`, 90026 `MsgLifeTime`, the condition's codes
/// (90039, 90032, 90040, 90020, 90022, 90033), and under the app's `push_limits` 90024 /
/// 90047. A `MsgRandom` of the last 7 days answers its task and pushes nothing again.
pub async fn im_push(ctx: &Ctx, req: ImPushReq) -> Result<ImPushResp, Failure> {
    let app = &ctx.caller.app;
    if !app.push_to_all {
        return Err(ErrorCode::PushNotEnabled.into());
    }
    let random = opt_u32(
        req.random.as_ref(),
        "MsgRandom",
        ErrorCode::MsgRandomInvalid,
    )?
    .ok_or_else(|| Error::new(ErrorCode::MsgRandomInvalid, "MsgRandom is required"))?;
    let raw = req
        .body
        .ok_or_else(|| Error::new(ErrorCode::MsgBodyFormat, "MsgBody is required"))?;
    let body = checked_body(&raw).map_err(body_error)?;
    let life_time = life_time(req.life_time.as_ref())?;
    let condition = parse_condition(req.condition.as_ref())?;
    let offline = match req.offline {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.to_string()),
        Some(other) => {
            return Err(Error::new(
                ErrorCode::OpenimJsonParse,
                format!("OfflinePushInfo must be an object, got {other}"),
            )
            .into())
        }
    };
    let sender = req.from.unwrap_or_else(|| ctx.caller.identifier.clone());
    check_account(&sender)?;
    let created = ctx
        .store()
        .create_push(
            app.sdkappid,
            NewPush {
                sender,
                random,
                life_time,
                condition,
                body,
                offline,
                now: ctx.now,
                limits: app.push_limits,
            },
        )
        .await?;
    if created.fresh {
        spawn_delivery(ctx.state.store.clone(), app.sdkappid, created.counter);
    }
    Ok(ImPushResp {
        task_id: created.task_id,
    })
}

/// Delivers task `counter` to its end in the background, batch after batch; a failing
/// batch is retried after a pause (the task's cursor only moves when a batch commits).
pub fn spawn_delivery(store: Arc<dyn Store>, app: AppId, counter: u64) {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            match store.deliver_push_batch(app, counter, BATCH).await {
                Ok(true) => break,
                Ok(false) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(app, counter, error = %e, "a push batch failed");
                    if failures >= 10 {
                        tracing::error!(
                            app,
                            counter,
                            "push delivery gave up; resumed at the next start"
                        );
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

/// Resumes every push whose delivery had not finished (a restart in the middle of one).
pub async fn resume_deliveries(store: Arc<dyn Store>) {
    match store.unfinished_pushes().await {
        Ok(tasks) => {
            for (app, counter) in tasks {
                spawn_delivery(store.clone(), app, counter);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read unfinished pushes"),
    }
}
