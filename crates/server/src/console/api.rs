//! The console's admin endpoints: paged lists the REST API does not have (accounts, groups
//! with their heads and watermarks, one-to-one conversations), the live feed of an app's
//! changes as server-sent events, and requests made as a member. Each is authenticated like
//! the REST API (an admin's UserSig in the query) and answered with the REST envelope; they
//! read through the store traits (`ConsoleStore`) and the member methods, nothing else.

use crate::auth::{self, Caller, Query};
use crate::envelope::{self, Service};
use crate::member::Session;
use crate::State;
use axum::body::Body;
use axum::extract::{RawQuery, State as AxState};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use timber_core::{Error, ErrorCode};
use timber_store::console::MAX_PAGE;

/// The query's other parameters, percent-decoded (`+` stays `+`, as in [`Query::parse`]).
fn param(raw: Option<&str>, name: &str) -> Option<String> {
    raw.unwrap_or("").split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
        (n == name).then(|| percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

fn limit(raw: Option<&str>) -> Result<u64, Error> {
    match param(raw, "limit") {
        None => Ok(50),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::HttpParse,
                    format!("limit must be 1..={MAX_PAGE}"),
                )
            }),
    }
}

async fn caller(state: &State, raw: Option<&str>) -> Result<Caller, Error> {
    auth::authenticate(
        state,
        Service::Login,
        Query::parse(raw),
        timber_core::now_secs(),
    )
    .await
}

fn internal(e: impl std::fmt::Display) -> Error {
    tracing::error!(error = %e, "console read failed");
    ErrorCode::AccountInternal.into()
}

fn answer(result: Result<Value, Error>) -> Response {
    let bytes = match result {
        Ok(Value::Object(extra)) => {
            let mut body = serde_json::Map::new();
            body.insert("ActionStatus".into(), "OK".into());
            body.insert("ErrorInfo".into(), "".into());
            body.insert("ErrorCode".into(), 0.into());
            body.extend(extra);
            Value::Object(body).to_string().into_bytes()
        }
        Ok(_) => envelope::fail_body(None, &ErrorCode::AccountInternal.into()),
        Err(e) => envelope::fail_body(None, &e),
    };
    crate::json_response(bytes, 0)
}

/// `GET /_timber/accounts?…&prefix=&after=&limit=`: accounts in UserID order.
pub(crate) async fn accounts(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.as_deref();
    answer(
        async {
            let app = caller(&state, raw).await?.app.sdkappid;
            let page = state
                .store
                .accounts_page(
                    app,
                    param(raw, "prefix").unwrap_or_default(),
                    param(raw, "after").unwrap_or_default(),
                    limit(raw)?,
                )
                .await
                .map_err(internal)?;
            let rows: Vec<Value> = page
                .rows
                .iter()
                .map(|a| json!({"UserID": a.user_id, "Nick": a.nick, "CreateTime": a.created_at}))
                .collect();
            Ok(json!({"Accounts": rows, "Next": page.next, "Total": page.total}))
        }
        .await,
    )
}

/// `GET /_timber/groups?…&prefix=&type=&after=&limit=`: live groups in GroupId order.
pub(crate) async fn groups(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.as_deref();
    answer(
        async {
            let app = caller(&state, raw).await?.app.sdkappid;
            let ty = param(raw, "type").filter(|t| !t.is_empty());
            if let Some(t) = &ty {
                if timber_core::group::GroupType::parse(t).is_none() {
                    return Err(Error::new(
                        ErrorCode::HttpParse,
                        format!("type {t:?} is not a group type"),
                    ));
                }
            }
            let page = state
                .store
                .groups_page(
                    app,
                    param(raw, "prefix").unwrap_or_default(),
                    ty,
                    param(raw, "after").unwrap_or_default(),
                    limit(raw)?,
                )
                .await
                .map_err(internal)?;
            let rows: Vec<Value> = page
                .rows
                .iter()
                .map(|g| {
                    json!({
                        "GroupId": g.group_id, "Type": g.ty, "Name": g.name,
                        "Owner_Account": g.owner, "MemberNum": g.member_num,
                        "NextMsgSeq": g.next_msg_seq, "ClearedUpTo": g.cleared_upto,
                        "CreateTime": g.create_time,
                    })
                })
                .collect();
            Ok(json!({"Groups": rows, "Next": page.next, "Total": page.total}))
        }
        .await,
    )
}

/// `GET /_timber/c2c?…&user=&after=&limit=`: one-to-one conversations in creation order.
pub(crate) async fn c2c(AxState(state): AxState<Arc<State>>, RawQuery(raw): RawQuery) -> Response {
    let raw = raw.as_deref();
    answer(
        async {
            let app = caller(&state, raw).await?.app.sdkappid;
            let after = match param(raw, "after").filter(|a| !a.is_empty()) {
                None => 0,
                Some(a) => a.parse::<u64>().map_err(|_| {
                    Error::new(ErrorCode::HttpParse, "after must be a cursor from Next")
                })?,
            };
            let user = param(raw, "user").filter(|u| !u.is_empty());
            let page = state
                .store
                .c2c_page(app, user, after, limit(raw)?)
                .await
                .map_err(internal)?;
            let rows: Vec<Value> = page
                .rows
                .iter()
                .map(|c| json!({"UserA": c.user_a, "UserB": c.user_b, "LastTime": c.last_time}))
                .collect();
            Ok(json!({"Conversations": rows, "Next": page.next, "Total": page.total}))
        }
        .await,
    )
}

/// `GET /_timber/events?…`: every change of the app as it commits, one server-sent event
/// each (`data: {"member":…,"frame":…}`); `event: lagged` says how many were skipped by a
/// reader that fell [`crate::member::hub::OBSERVER_BACKLOG`] behind.
pub(crate) async fn events(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let app = match caller(&state, raw.as_deref()).await {
        Ok(c) => c.app.sdkappid,
        Err(e) => return answer(Err(e)),
    };
    let observer = state.members.observe(app);
    let stream = futures_util::stream::unfold(observer, |mut o| async move {
        use tokio::sync::broadcast::error::RecvError;
        let event = match o.rx.recv().await {
            Ok(text) => Event::default().data(&*text),
            Err(RecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(event), o))
    });
    // A first comment at once, so that the browser's EventSource reports the stream open.
    let hello = futures_util::stream::once(async {
        Ok::<_, std::convert::Infallible>(Event::default().comment("timber"))
    });
    use futures_util::StreamExt;
    Sse::new(hello.chain(stream))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `POST /_timber/act?…&as=USER` with `{"method": …, "params": {…}}`: runs one member method
/// (members.md §3) as `USER`, as a connection of theirs would, without one: the same rules,
/// callbacks and codes. Answers `Result`, or the method's error as `ErrorCode`/`ErrorInfo`
/// (a JSON-RPC error as 60002 with its code as `RpcCode`).
pub(crate) async fn act(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
    peer: Option<axum::Extension<crate::ClientAddr>>,
    body: Body,
) -> Response {
    let raw = raw.as_deref();
    let result = async {
        let caller = caller(&state, raw).await?;
        let me = param(raw, "as").unwrap_or_default();
        timber_core::account::validate_user_id(&me).map_err(|why| {
            Error::new(
                ErrorCode::HttpParse,
                format!("as must name the member: {why}"),
            )
        })?;
        let exists = state
            .store
            .accounts_exist(caller.app.sdkappid, vec![me.clone()])
            .await
            .map_err(internal)?;
        if exists.first() != Some(&true) {
            return Err(Error::new(
                ErrorCode::AccountNotFound,
                format!("{me} is not an account of the app"),
            ));
        }
        let bytes = crate::read_body(body, state.settings.max_body_bytes).await?;
        #[derive(serde::Deserialize)]
        struct Call {
            method: String,
            #[serde(default)]
            params: serde_json::Map<String, Value>,
        }
        let call: Call = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorCode::JsonParse,
                format!("the body must be {{\"method\": …, \"params\": {{…}}}}: {e}"),
            )
        })?;
        let session = Session {
            state: state.clone(),
            app: caller.app.clone(),
            handle: state.members.detached(&me),
            me,
            client_ip: peer.map(|p| p.0 .0.to_string()).unwrap_or_default(),
            joined_rooms: Mutex::new(Vec::new()),
        };
        let origin = session.handle.id;
        let outcome = crate::member::hub::ORIGIN
            .scope(origin, session.call(&call.method, &call.params))
            .await;
        Ok(outcome)
    }
    .await;
    match result {
        Err(e) => answer(Err(e)),
        Ok(Ok(v)) => answer(Ok(json!({"Result": v}))),
        // A Tencent code is answered as it is; a JSON-RPC one (an unknown method, bad
        // params: negative) as 60002, with the member protocol's code beside it.
        Ok(Err(e)) => {
            let body = match u32::try_from(e.code) {
                Ok(code) => {
                    json!({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": e.message})
                }
                Err(_) => json!({
                    "ActionStatus": "FAIL",
                    "ErrorCode": ErrorCode::HttpParse.code(),
                    "ErrorInfo": e.message,
                    "RpcCode": e.code,
                }),
            };
            crate::json_response(body.to_string().into_bytes(), 0)
        }
    }
}
