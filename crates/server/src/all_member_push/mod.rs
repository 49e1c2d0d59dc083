//! `v4/all_member_push/*`: push to all users, user attributes and tags. spec:
//! push-and-operations.md §1, §8. Its failures use the openim family (90001 invalid, 91000
//! internal) and its own 90009 for a caller who is not an admin.
//!
//! `GET /_timber/push_task?…&task_id=` (the test hook of §8, signed like a REST call by an
//! admin) shows a task of the caller's app and the recipients delivered so far (`summary=1`:
//! the task without them).

pub mod attrs;
pub mod push;

use crate::auth::Query;
use crate::envelope::Service;
use crate::State;
use axum::extract::{RawQuery, State as AxState};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

pub(crate) async fn task_endpoint(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let now = timber_core::now_secs();
    let param = |name: &str| {
        raw.as_deref()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    };
    let task_id = param("task_id").unwrap_or_default();
    // `summary=1`: without the deliveries, for a poller waiting on `Done` of a large push.
    let summary = param("summary").as_deref() == Some("1");
    let answer = async {
        let caller =
            crate::auth::authenticate(&state, Service::Push, Query::parse(raw.as_deref()), now)
                .await?;
        let app = caller.app.sdkappid;
        let internal = |e: timber_store::StoreError| {
            timber_core::Error::new(timber_core::ErrorCode::OpenimInternal, e.to_string())
        };
        let task = state
            .store
            .push_task(app, task_id)
            .await
            .map_err(internal)?;
        let Some(task) = task else {
            return Ok(
                json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "Task": null}),
            );
        };
        let mut out = json!({
            "TaskId": task.task_id, "From_Account": task.sender, "MsgRandom": task.random,
            "Created": task.created, "MsgLifeTime": task.life_time,
            "MsgBody": serde_json::from_str::<serde_json::Value>(&task.body).unwrap_or_default(),
            "Done": task.done, "Recipients": task.recipients,
        });
        if !summary {
            let recipients = state
                .store
                .push_recipients(app, task.counter)
                .await
                .map_err(internal)?;
            out["Deliveries"] = recipients
                .into_iter()
                .map(|(user, expires)| json!({"To_Account": user, "Expires": expires}))
                .collect();
        }
        Ok::<_, timber_core::Error>(json!({
            "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "Task": out,
        }))
    };
    let bytes = match answer.await {
        Ok(v) => serde_json::to_vec(&v).unwrap_or_default(),
        Err(e) => crate::envelope::fail_body(Some(Service::Push), &e),
    };
    crate::json_response(bytes, 0)
}
