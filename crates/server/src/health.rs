//! `/healthz` (the process answers) and `/readyz` (the store is reachable).

use crate::State;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use std::sync::Arc;

pub(crate) async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok\n")
}

pub(crate) async fn readyz(AxState(state): AxState<Arc<State>>) -> (StatusCode, String) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unavailable: {e}\n"),
        ),
    }
}
