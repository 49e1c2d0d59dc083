//! The web console at `/console` (README, "Console"): static HTML, CSS and JavaScript modules
//! compiled into the binary, and the admin endpoints under `/_timber/` it reads where the REST
//! API has no equivalent (`api.rs`). The page itself needs no sign-in to load: it holds no
//! data; everything it shows comes from calls that carry an admin's UserSig.

mod api;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub(crate) use api::{accounts, act, c2c, events, groups};

/// The console's files: (name under `/console/`, content type, bytes).
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("web/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("web/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("web/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("web/api.js"),
    ),
    (
        "ui.js",
        "text/javascript; charset=utf-8",
        include_str!("web/ui.js"),
    ),
    (
        "accounts.js",
        "text/javascript; charset=utf-8",
        include_str!("web/accounts.js"),
    ),
    (
        "groups.js",
        "text/javascript; charset=utf-8",
        include_str!("web/groups.js"),
    ),
    (
        "history.js",
        "text/javascript; charset=utf-8",
        include_str!("web/history.js"),
    ),
    (
        "c2c.js",
        "text/javascript; charset=utf-8",
        include_str!("web/c2c.js"),
    ),
    (
        "callbacks.js",
        "text/javascript; charset=utf-8",
        include_str!("web/callbacks.js"),
    ),
    (
        "events.js",
        "text/javascript; charset=utf-8",
        include_str!("web/events.js"),
    ),
    (
        "act.js",
        "text/javascript; charset=utf-8",
        include_str!("web/act.js"),
    ),
];

/// The console's routes, merged into the server's router.
pub(crate) fn routes() -> Router<Arc<crate::State>> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(|| file(Path("index.html".to_owned()))))
        .route("/console/{file}", get(file))
        .route("/_timber/accounts", get(accounts))
        .route("/_timber/groups", get(groups))
        .route("/_timber/c2c", get(c2c))
        .route("/_timber/events", get(events))
        .route("/_timber/act", post(act))
}

async fn file(Path(name): Path<String>) -> Response {
    let Some((_, ty, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    };
    let mut resp = (StatusCode::OK, *body).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    // Nothing but the console's own files and its calls to this server; the UserSig in the
    // fragment is never sent anywhere (no referrer either).
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}
