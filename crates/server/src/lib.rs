//! timber's HTTP layer: the REST envelope, the dispatch table, one module per service, and the
//! operational endpoints (`/healthz`, `/readyz`, `/metrics`).
//!
//! Data only moves down (HTTP → handler → domain → store) and answers only move up; nothing
//! here writes SQL, and the store never sees HTTP.

mod all_member_push;
pub mod apps;
mod audit_mgr;
pub mod auth;
pub mod callbacks;
mod configsvc;
mod console;
mod dispatch;
mod editions;
pub mod envelope;
mod failure;
#[doc(hidden)]
pub mod fuzzing;
mod group_open_avchatroom_http_svc;
mod group_open_http_svc;
mod health;
mod im_cos_msg;
mod im_open_login_svc;
pub mod kit;
pub mod member;
mod metrics;
mod million_group_open_http_svc;
mod moderation;
mod msg_body;
mod official_account_open_http_svc;
mod open_msg_svc;
mod openconfigsvr;
mod openim;
mod openim_msg_ext;
mod openim_robot_http_svc;
mod profile;
pub mod rate_limits;
mod recentcontact;
mod sns;
pub mod sweeper;

use apps::Apps;
use auth::{Query, SigCache};
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use envelope::Service;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use timber_core::{Error, ErrorCode};
use timber_store::Store;
use tracing::Instrument;

pub use dispatch::COMMANDS;

/// Resumes the deliveries of im_push tasks a stop interrupted (called once at start).
pub async fn resume_pushes(store: Arc<dyn Store>) {
    all_member_push::push::resume_deliveries(store).await;
}
pub use metrics::{Connections, Metrics};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest accepted request body; beyond it the answer is 93000.
    pub max_body_bytes: usize,
    /// How clients reach this server (`http://host:port`), for the URLs it hands out
    /// (get_history's files); empty: the URLs are paths.
    pub public_url: String,
    /// Frames a member connection may have waiting; beyond, it is closed with 4008.
    pub member_queue_frames: usize,
    /// A member connection that sends nothing this long is closed; it is pinged three times
    /// as often.
    pub member_idle_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_body_bytes: 1 << 20,
            public_url: String::new(),
            member_queue_frames: member::hub::DEFAULT_QUEUE,
            member_idle_secs: member::IDLE_AFTER.as_secs(),
        }
    }
}

/// Everything a request may use, shared by all of them.
pub struct State {
    pub store: Arc<dyn Store>,
    pub apps: Apps,
    pub settings: Settings,
    pub sigs: SigCache,
    next_request_id: AtomicU64,
    pub metrics: metrics::Metrics,
    /// batchsendmsg's 12,000 messages a minute per app.
    pub(crate) batch_budget: openim::budget::Budget,
    pub callbacks: callbacks::Callbacks,
    /// get_history's generated files, served for an hour.
    pub(crate) history_files: open_msg_svc::Files,
    /// The member hub of this node (members.md): live connections and delivery.
    pub members: Arc<member::Hub>,
    /// The group service's documented call rates, when an app asks for them.
    pub(crate) group_rates: editions::Rates,
    /// What `/_timber/reset` puts back after the admins (`timber serve --seed`).
    pub seed: kit::Seed,
    /// Faults `/_timber/faults` injected.
    pub faults: kit::faults::Faults,
    /// The call counts of apps with `rate_limits = "cloud"`.
    pub limits: rate_limits::RateLimits,
}

impl State {
    /// The state, and the store told which after-events the apps want.
    pub fn new(store: Arc<dyn Store>, apps: Apps, settings: Settings) -> Arc<State> {
        State::with_seed(store, apps, settings, kit::Seed::default())
    }

    /// Like [`State::new`], with the seed a reset restores (applied already by the caller).
    pub fn with_seed(
        store: Arc<dyn Store>,
        apps: Apps,
        settings: Settings,
        seed: kit::Seed,
    ) -> Arc<State> {
        let callbacks = callbacks::Callbacks::default();
        store.set_callback_filter(Arc::new(callbacks::Filter {
            apps: apps.clone(),
            recorded: callbacks.recorded.clone(),
        }));
        let mut hub = member::Hub::new(settings.member_queue_frames);
        hub.idle = std::time::Duration::from_secs(settings.member_idle_secs.max(1));
        let members = Arc::new(hub);
        store.set_change_sink(members.clone());
        let metrics = metrics::Metrics::default();
        metrics.register(Box::new(callbacks.counts.clone()));
        metrics.register(Box::new(callbacks.seconds.clone()));
        Arc::new(State {
            members,
            store,
            apps,
            settings,
            sigs: SigCache::new(100_000),
            next_request_id: AtomicU64::new(1),
            metrics,
            batch_budget: openim::budget::Budget::default(),
            callbacks,
            history_files: open_msg_svc::Files::default(),
            group_rates: editions::Rates::default(),
            seed,
            faults: kit::faults::Faults::default(),
            limits: rate_limits::RateLimits::default(),
        })
    }
}

/// What a handler gets besides its typed request.
/// The address a request came from, put into its extensions by the connection that read it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

pub struct Ctx {
    pub state: Arc<State>,
    pub caller: auth::Caller,
    /// The caller's address ("" when unknown): callbacks report it as `ClientIP`.
    pub client_ip: String,
    pub service: Service,
    /// Unix seconds at the start of the request: one clock reading per request.
    pub now: i64,
}

impl Ctx {
    pub fn store(&self) -> &dyn Store {
        &*self.state.store
    }

    /// The app's message retention at this request's instant.
    pub fn retention(&self) -> timber_core::message::Retention {
        timber_core::message::Retention {
            days: self.caller.app.retention_days,
            now: self.now,
        }
    }
}

/// The router: the REST API under `/v4/{service}/{command}` and the operational endpoints.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v4/{service}/{command}", any(api))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/_timber/callbacks", get(callbacks::log_endpoint))
        .route("/_timber/reset", axum::routing::post(kit::reset))
        .route("/_timber/export", get(kit::export))
        .route("/_timber/import", axum::routing::post(kit::import))
        .route("/_timber/faults", any(kit::faults::endpoint))
        .route("/_timber/push_task", get(all_member_push::task_endpoint))
        .route("/_timber/history/{token}", get(open_msg_svc::download))
        .route("/v1/member", get(member::connect))
        .merge(console::routes())
        .fallback(unknown_path)
        .with_state(state)
}

/// One REST call, end to end (rest-protocol.md §6): route → method → app and UserSig →
/// admin → body → handler. Every outcome is HTTP 200 with the envelope.
async fn api(
    AxState(state): AxState<Arc<State>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(raw_query): RawQuery,
    peer: Option<axum::Extension<ClientAddr>>,
    method: Method,
    body: Body,
) -> Response {
    // A segment that does not percent-decode to UTF-8 names no service: 60009, not HTTP 400.
    let (service_name, command) = match path {
        Ok(Path(segments)) => segments,
        Err(_) => ("<invalid>".to_owned(), "<invalid>".to_owned()),
    };
    let started = Instant::now();
    let request_id = state.next_request_id.fetch_add(1, Ordering::Relaxed);
    // Every line logged while answering (store failures included) names the request. The
    // span is at ERROR level so that it is there whenever anything is logged at all, with
    // `log = "warn"` or `"error"` too.
    let span = tracing::error_span!("request", request_id);
    async move {
        let service = Service::parse(&service_name);
        let client_ip = peer.map(|p| p.0 .0.to_string()).unwrap_or_default();
        let call = Call {
            service,
            command: &command,
            raw_query,
            method,
            client_ip,
        };
        let outcome = handle(&state, call, body).await;
        let (bytes, code) = match outcome {
            Ok(bytes) => (bytes, 0),
            Err(e) => (envelope::fail_body(service, &e), e.code.code()),
        };
        let micros = started.elapsed().as_micros() as u64;
        let (svc_label, cmd_label) = match service {
            Some(s) if dispatch::is_known(s, &command) => (s.name(), command.as_str()),
            _ => ("unknown", "unknown"),
        };
        state
            .metrics
            .record_call(svc_label, cmd_label, code, micros);
        tracing::info!(
            service = %service_name,
            command = %command,
            error_code = code,
            micros,
            "request"
        );
        json_response(bytes, request_id)
    }
    .instrument(span)
    .await
}

/// What `handle` is asked, from the request's head.
struct Call<'a> {
    service: Option<Service>,
    command: &'a str,
    raw_query: Option<String>,
    method: Method,
    client_ip: String,
}

async fn handle(state: &Arc<State>, call: Call<'_>, body: Body) -> Result<Vec<u8>, Error> {
    let Call {
        service,
        command,
        raw_query,
        method,
        client_ip,
    } = call;
    let service = service.ok_or_else(|| Error::from(ErrorCode::UnknownResource))?;
    if !dispatch::is_known(service, command) {
        return Err(Error::new(
            service.unknown_command(),
            format!("{}/{command} is not a command timber knows", service.name()),
        ));
    }
    // Real clients send some commands as GET, with or without a body: treat GET like POST.
    let bodyless_get = method == Method::GET;
    if method != Method::POST && method != Method::GET {
        return Err(Error::new(
            ErrorCode::HttpParse,
            format!("method {method} is not supported; use POST"),
        ));
    }
    let now = timber_core::now_secs();
    let caller =
        auth::authenticate(state, service, Query::parse(raw_query.as_deref()), now).await?;
    if let Some(hit) = state
        .faults
        .hit(caller.app.sdkappid, service.name(), command)
    {
        tokio::time::sleep(hit.delay).await;
        if let Some(e) = hit.error {
            return Err(e);
        }
    }
    let limited = caller.app.rate_limits == apps::RateLimits::Cloud;
    if limited {
        let verdict = state
            .limits
            .command(caller.app.sdkappid, service.name(), command, now)?;
        if let rate_limits::Verdict::Alarm(limit, count) = verdict {
            alarm(
                state,
                &caller.app,
                service,
                command,
                limit,
                count,
                &client_ip,
            );
        }
    }
    let bytes = read_body(body, state.settings.max_body_bytes).await?;
    if limited && command == "send_group_msg" {
        #[derive(serde::Deserialize)]
        struct Target {
            #[serde(rename = "GroupId")]
            group_id: String,
        }
        // A body without a GroupId is refused by the handler with its own code.
        if let Ok(t) = serde_json::from_slice::<Target>(&bytes) {
            state
                .limits
                .group_message(caller.app.sdkappid, &t.group_id, now)?;
        }
    }
    let body: &[u8] = if bodyless_get && bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    let ctx = Ctx {
        state: state.clone(),
        caller,
        client_ip: client_ip.clone(),
        service,
        now,
    };
    // The store records the address with the events this request's writes cause.
    timber_store::outbox::CLIENT_IP
        .scope(client_ip, dispatch::dispatch(&ctx, command, body))
        .await
}

/// Sends `Alert.RequestOverLimit` in the background: the call that reached 80% of its
/// command's limit does not wait for the app's answer. The body's fields are timber's own
/// (the cloud's are not documented): the service, command, limit and count so far.
fn alarm(
    state: &Arc<State>,
    app: &Arc<apps::App>,
    service: Service,
    command: &str,
    limit: u32,
    count: u32,
    client_ip: &str,
) {
    let name = timber_core::callback::ALERT_REQUEST_OVER_LIMIT;
    if !app.wants_callback(name) {
        return;
    }
    let body = callbacks::body(
        name,
        serde_json::json!({
            "Service": service.name(),
            "Command": command,
            "LimitPerSecond": limit,
            "CallsThisSecond": count,
        }),
    );
    let (state, app, ip) = (state.clone(), app.clone(), client_ip.to_owned());
    tokio::spawn(async move {
        let _ = state.callbacks.post(&app, name, body, &ip).await;
    });
}

/// How far past the limit an oversized body is still read (and discarded), as a multiple of
/// the limit.
const DRAIN_FACTOR: usize = 8;

/// The request body, at most `limit` bytes, or 93000. An oversized body is read on to its
/// end (up to [`DRAIN_FACTOR`] times the limit) and dropped before answering: a client that is
/// still writing it would otherwise find the connection closed and never read the 93000.
pub(crate) async fn read_body(mut body: Body, limit: usize) -> Result<bytes::Bytes, Error> {
    use http_body_util::BodyExt;
    let broken = |e: axum::Error| {
        Error::new(
            ErrorCode::HttpParse,
            format!("the request body could not be read: {e}"),
        )
    };
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(broken)?.into_data() else {
            continue;
        };
        seen += data.len();
        if seen <= limit {
            kept.extend_from_slice(&data);
        } else if seen > limit.saturating_mul(DRAIN_FACTOR) {
            break;
        }
    }
    if seen > limit {
        return Err(Error::new(
            ErrorCode::BodyTooLarge,
            format!("the request body exceeds {limit} bytes"),
        ));
    }
    Ok(kept.freeze())
}

async fn unknown_path() -> Response {
    json_response(
        envelope::fail_body(None, &ErrorCode::UnknownResource.into()),
        0,
    )
}

pub(crate) fn json_response(bytes: Vec<u8>, request_id: u64) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if request_id != 0 {
        headers.insert("x-request-id", HeaderValue::from(request_id));
    }
    resp
}
