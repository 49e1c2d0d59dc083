//! `v4/all_member_push/*`: push to all users, user attributes and tags. spec:
//! push-and-operations.md §1, §8. Its failures use the openim family (90001 invalid, 91000
//! internal) and its own 90009 for a caller who is not an admin.
//!
//! `GET /_timber/push_task?…&task_id=` (the test hook of §8, signed like a REST call by an
//! admin) shows a task of the caller's app and the recipients delivered so far.

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
    let task_id = raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("task_id="))
        .unwrap_or("")
        .to_owned();
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
        let recipients = state
            .store
            .push_recipients(app, task.counter)
            .await
            .map_err(internal)?;
        Ok::<_, timber_core::Error>(json!({
            "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
            "Task": {
                "TaskId": task.task_id, "From_Account": task.sender, "MsgRandom": task.random,
                "Created": task.created, "MsgLifeTime": task.life_time,
                "MsgBody": serde_json::from_str::<serde_json::Value>(&task.body).unwrap_or_default(),
                "Done": task.done, "Recipients": task.recipients,
                "Deliveries": recipients.into_iter()
                    .map(|(user, expires)| json!({"To_Account": user, "Expires": expires}))
                    .collect::<Vec<_>>(),
            }
        }))
    };
    let bytes = match answer.await {
        Ok(v) => serde_json::to_vec(&v).unwrap_or_default(),
        Err(e) => crate::envelope::fail_body(Some(Service::Push), &e),
    };
    crate::json_response(bytes, 0)
}
