//! The emulator kit under `/_timber/`: reset an app (or all) to its configured state, export
//! and import an app's whole state as one JSON document, and inject faults. Authenticated like
//! the REST API (an app admin's UserSig in the query); answered with the REST envelope.
//! Not part of Tencent's API: for test suites (README, "Using timber in your tests").

pub mod faults;

use crate::auth::{self, Caller, Query};
use crate::envelope::{self, Service};
use crate::State;
use axum::body::Body;
use axum::extract::{RawQuery, State as AxState};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use timber_core::{AppId, Error, ErrorCode};
use timber_store::{AppDump, NewAccount, Store};

/// The `format` of an exported document.
pub const FORMAT: &str = "timber-app-state/1";

/// An app's state as `/_timber/export` writes it and `/_timber/import` and `--seed` read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// [`FORMAT`].
    pub format: String,
    /// The app it was exported from (import puts the rows into the app it is called for).
    #[serde(default)]
    pub sdkappid: Option<AppId>,
    /// Rows by table, each row an object of column → value, without the `app` column.
    #[serde(default)]
    pub tables: AppDump,
}

/// What the server was started with, to reset to: the seed documents by app.
#[derive(Default)]
pub struct Seed {
    pub by_app: Vec<(AppId, Document)>,
}

impl Seed {
    /// Reads a seed file: one [`Document`] or a JSON array of them. A document goes to the
    /// app its `sdkappid` names; when one app is hosted, a single document goes to it whatever
    /// it names (a file exported elsewhere seeds a `storage = "memory"` app of random id).
    pub fn parse(text: &str, hosted: &[AppId]) -> Result<Seed, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let docs: Vec<Document> = match value {
            serde_json::Value::Array(_) => serde_json::from_value(value),
            _ => serde_json::from_value(value).map(|d| vec![d]),
        }
        .map_err(|e| format!("not a timber state document: {e}"))?;
        let single = docs.len() == 1 && hosted.len() == 1;
        let mut by_app = Vec::new();
        for doc in docs {
            if doc.format != FORMAT {
                return Err(format!("format {:?} is not {FORMAT:?}", doc.format));
            }
            let app = match doc.sdkappid {
                Some(id) if hosted.contains(&id) => id,
                _ if single => hosted[0],
                other => return Err(format!("SDKAppID {other:?} is not hosted here")),
            };
            by_app.push((app, doc));
        }
        Ok(by_app).map(|by_app| Seed { by_app })
    }
}

/// Puts `app` back to its configured state: no rows, its admin accounts, then its seed.
pub async fn restore(state: &State, app: AppId, now: i64) -> Result<(), Error> {
    let store = &state.store;
    store.reset_app(app).await.map_err(internal)?;
    if let Some((_, doc)) = state.seed.by_app.iter().find(|(a, _)| *a == app) {
        store
            .import_app(app, doc.tables.clone())
            .await
            .map_err(refusal_or_internal)?;
    }
    ensure_admins(state, app, now).await?;
    state.callbacks.forget(app);
    state.faults.clear(Some(app));
    state.limits.forget(app);
    Ok(())
}

async fn ensure_admins(state: &State, app: AppId, now: i64) -> Result<(), Error> {
    let Some(config) = state.apps.get(app) else {
        return Ok(());
    };
    let admins = config
        .all_admins()
        .into_iter()
        .map(NewAccount::bare)
        .collect();
    state
        .store
        .import_accounts(app, admins, now)
        .await
        .map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> Error {
    tracing::error!(error = %e, "emulator control failed");
    ErrorCode::AccountInternal.into()
}

fn refusal_or_internal(e: timber_store::StoreError) -> Error {
    match e {
        timber_store::StoreError::Domain(e) => e,
        e => internal(e),
    }
}

/// The admin calling a control endpoint; 60010 for a non-admin, as the REST API.
async fn caller(state: &State, raw: Option<&str>) -> Result<Caller, Error> {
    auth::authenticate(
        state,
        Service::Login,
        Query::parse(raw),
        timber_core::now_secs(),
    )
    .await
}

fn ok(extra: serde_json::Value) -> Vec<u8> {
    let mut body = serde_json::json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0});
    if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body.to_string().into_bytes()
}

fn answer(result: Result<Vec<u8>, Error>) -> Response {
    let bytes = result.unwrap_or_else(|e| envelope::fail_body(None, &e));
    crate::json_response(bytes, 0)
}

/// Whether the query asks for every app (`all=1`).
fn wants_all(raw: Option<&str>) -> bool {
    raw.unwrap_or("")
        .split('&')
        .any(|p| p == "all=1" || p == "all=true")
}

/// `POST /_timber/reset`: the caller's app, or with `all=1` every hosted app, back to the
/// configured state.
pub(crate) async fn reset(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer(
        async {
            let caller = caller(&state, raw.as_deref()).await?;
            let now = timber_core::now_secs();
            let started = std::time::Instant::now();
            let apps: Vec<AppId> = if wants_all(raw.as_deref()) {
                state.apps.iter().map(|a| a.sdkappid).collect()
            } else {
                vec![caller.app.sdkappid]
            };
            for app in &apps {
                restore(&state, *app, now).await?;
            }
            Ok(ok(serde_json::json!({
                "Apps": apps,
                "Micros": started.elapsed().as_micros() as u64,
            })))
        }
        .await,
    )
}

/// `GET /_timber/export`: the caller's app as one [`Document`].
pub(crate) async fn export(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    answer(
        async {
            let caller = caller(&state, raw.as_deref()).await?;
            let app = caller.app.sdkappid;
            let tables = state.store.export_app(app).await.map_err(internal)?;
            let doc = Document {
                format: FORMAT.to_owned(),
                sdkappid: Some(app),
                tables,
            };
            serde_json::to_vec(&doc).map_err(internal)
        }
        .await,
    )
}

/// The body's document for `app`: the body itself, or from a JSON array of documents (a
/// seed file's form) the one naming `app`; an array of one goes to `app` whatever it names,
/// as `--seed` does for a server of one app.
fn pick_document(bytes: &[u8], app: AppId) -> Result<Document, Error> {
    let not_a_document = |e: serde_json::Error| {
        Error::new(ErrorCode::JsonParse, format!("not a state document: {e}"))
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(not_a_document)?;
    if !value.is_array() {
        return serde_json::from_value(value).map_err(not_a_document);
    }
    let mut docs: Vec<Document> = serde_json::from_value(value).map_err(not_a_document)?;
    if docs.len() == 1 {
        return Ok(docs.remove(0));
    }
    let at = docs
        .iter()
        .position(|d| d.sdkappid == Some(app))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::HttpParse,
                format!("none of the {} documents is SDKAppID {app}'s", docs.len()),
            )
        })?;
    Ok(docs.swap_remove(at))
}

/// `POST /_timber/import`: replaces the caller's app's state by the body's [`Document`] (or
/// its own of an array of them); the app's admin accounts are there afterwards whatever the
/// document holds.
pub(crate) async fn import(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Response {
    answer(
        async {
            let caller = caller(&state, raw.as_deref()).await?;
            let app = caller.app.sdkappid;
            let bytes = crate::read_body(body, usize::MAX / 16).await?;
            let doc = pick_document(&bytes, app)?;
            if doc.format != FORMAT {
                return Err(Error::new(
                    ErrorCode::HttpParse,
                    format!("format {:?} is not {FORMAT:?}", doc.format),
                ));
            }
            let rows = state
                .store
                .import_app(app, doc.tables)
                .await
                .map_err(refusal_or_internal)?;
            ensure_admins(&state, app, timber_core::now_secs()).await?;
            Ok(ok(serde_json::json!({ "Rows": rows })))
        }
        .await,
    )
}

/// Applies the seed at start (after the admins were imported).
pub async fn apply_seed(store: &Arc<dyn Store>, seed: &Seed) -> Result<(), String> {
    for (app, doc) in &seed.by_app {
        store
            .import_app(*app, doc.tables.clone())
            .await
            .map_err(|e| format!("seeding SDKAppID {app}: {e}"))?;
    }
    Ok(())
}
