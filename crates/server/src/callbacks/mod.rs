//! Third-party callbacks (callbacks.md): the HTTP transport to the app's `callback_url`, the
//! before-callbacks a handler asks before it touches the store, the log of every attempt, and
//! (`dispatcher.rs`) the delivery of the after-events the store records in its outbox.
//!
//! A before-callback is asked by the handler, after its field checks and before the store
//! operation: nothing is locked while the app thinks, and each request waits only for its own
//! answer. An after-event is written by the store operation itself, in its transaction, so it
//! exists exactly when its change committed; the dispatcher sends it later.

pub mod dispatcher;

use crate::apps::{App, Apps, BeforeFailure};
use crate::auth::Query;
use crate::{Ctx, State};
use axum::extract::{RawQuery, State as AxState};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use timber_core::callback::{decide, now_millis, BeforeKind, Verdict};
use timber_core::AppId;
use timber_store::outbox::CallbackFilter;
use tokio::sync::Notify;

/// Every callback's timeout, fixed by the docs (callbacks.md §4).
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Attempts kept per app for `GET /_timber/callbacks` (in memory: gone at restart).
pub const LOG_PER_APP: usize = 1000;

/// Callback latency buckets, in seconds: a backend on the same machine answers in a
/// millisecond or two, and nothing waits past the 2 s timeout.
const CALLBACK_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5,
];

/// The platform of every event timber sees: all come from its REST API (callbacks.md §1).
const OPT_PLATFORM: &str = "RESTAPI";

/// The callback machinery shared by every request and the dispatcher.
pub struct Callbacks {
    /// Pooled keep-alive connections to the apps' URLs.
    client: reqwest::Client,
    log: Mutex<HashMap<AppId, VecDeque<Attempt>>>,
    /// `timber_callbacks_total{command,outcome}`, registered by `Metrics`.
    pub(crate) counts: prometheus::IntCounterVec,
    /// `timber_callback_duration_seconds{command}`: from sending to the answer or failure.
    pub(crate) seconds: prometheus::HistogramVec,
    /// Woken when a write of this node recorded events.
    pub(crate) recorded: Arc<Notify>,
}

impl Default for Callbacks {
    fn default() -> Self {
        // https URLs: rustls with ring, trusting the system's certificates (SSL_CERT_FILE
        // and SSL_CERT_DIR name others). A provider installed already stays.
        // ring has no post-quantum key exchange (hence deprecated); aws-lc, which has, needs
        // cmake to build. A callback to the app's backend does not need it.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
        Callbacks {
            client: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .pool_idle_timeout(Duration::from_secs(60))
                // The app's URL is called as configured: no proxy from the environment,
                // which reqwest would otherwise look up for every request.
                .no_proxy()
                .build()
                .expect("an HTTP client with default TLS-less settings always builds"),
            log: Mutex::default(),
            counts: prometheus::IntCounterVec::new(
                prometheus::Opts::new(
                    "timber_callbacks_total",
                    "Callback deliveries attempted, by command and outcome.",
                ),
                &["command", "outcome"],
            )
            .expect("valid metric"),
            seconds: prometheus::HistogramVec::new(
                prometheus::HistogramOpts::new(
                    "timber_callback_duration_seconds",
                    "Time from sending a callback to its answer or failure, by command.",
                )
                .buckets(CALLBACK_BUCKETS.to_vec()),
                &["command"],
            )
            .expect("valid metric"),
            recorded: Arc::default(),
        }
    }
}

/// One delivery attempt, as `GET /_timber/callbacks` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attempt {
    /// Unix ms when it was sent.
    pub time: i64,
    pub command: String,
    pub url: String,
    pub body: String,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    pub answer: Option<String>,
    pub latency_ms: f64,
    /// `ok`, or `failed` with `error` saying why.
    pub outcome: &'static str,
    pub error: Option<String>,
}

/// Tells the store which events each app wants, and wakes this node's dispatcher.
pub(crate) struct Filter {
    pub(crate) apps: Apps,
    pub(crate) recorded: Arc<Notify>,
}

impl CallbackFilter for Filter {
    fn wants(&self, app: AppId, command: &str) -> bool {
        self.apps
            .get(app)
            .is_some_and(|a| a.wants_callback(command))
    }

    fn recorded(&self) {
        self.recorded.notify_one();
    }
}

/// `Sign` of callbacks.md §2: lowercase hex of SHA-256(token ‖ RequestTime).
pub fn sign(token: &str, request_time: i64) -> String {
    let digest = Sha256::digest(format!("{token}{request_time}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The app's URL with the query of callbacks.md §1, then `Sign` and `RequestTime` (§2).
fn url_for(app: &App, base: &str, command: &str, client_ip: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{base}{sep}SdkAppid={}&CallbackCommand={command}&contenttype=json&ClientIP={client_ip}&OptPlatform={OPT_PLATFORM}",
        app.sdkappid
    );
    if let Some(token) = &app.callback_token {
        let now = timber_core::now_secs();
        url.push_str(&format!("&Sign={}&RequestTime={now}", sign(token, now)));
    }
    url
}

impl Callbacks {
    /// Posts `body` to the app's URL and returns its JSON answer, or why the callback failed
    /// (§3: no connection, a timeout, a status other than 200, a body that is not a JSON
    /// object). Every attempt is logged and counted.
    pub(crate) async fn post(
        &self,
        app: &App,
        command: &str,
        body: String,
        client_ip: &str,
    ) -> Result<Value, String> {
        let Some(base) = &app.callback_url else {
            return Err("the app has no callback_url".into());
        };
        let url = url_for(app, base, command, client_ip);
        let started = Instant::now();
        let sent = self
            .client
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await;
        let (status, answer, result) = match sent {
            Err(e) => (None, None, Err(describe(&e))),
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.text().await {
                    Err(e) => (Some(status), None, Err(describe(&e))),
                    Ok(text) => {
                        let result = if status != 200 {
                            Err(format!("HTTP status {status}"))
                        } else {
                            match serde_json::from_str::<Value>(&text) {
                                Ok(v @ Value::Object(_)) => Ok(v),
                                _ => Err("the answer is not a JSON object".to_owned()),
                            }
                        };
                        (Some(status), Some(text), result)
                    }
                }
            }
        };
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        self.remember(
            app.sdkappid,
            Attempt {
                time: now_millis(),
                command: command.to_owned(),
                url,
                body,
                status,
                answer,
                latency_ms: started.elapsed().as_secs_f64() * 1e3,
                outcome,
                error: result.as_ref().err().cloned(),
            },
        );
        result
    }

    fn remember(&self, app: AppId, attempt: Attempt) {
        self.counts
            .with_label_values(&[attempt.command.as_str(), attempt.outcome])
            .inc();
        self.seconds
            .with_label_values(&[attempt.command.as_str()])
            .observe(attempt.latency_ms / 1e3);
        if let Ok(mut log) = self.log.lock() {
            let entries = log.entry(app).or_default();
            if entries.len() == LOG_PER_APP {
                entries.pop_front();
            }
            entries.push_back(attempt);
        }
    }

    /// The app's logged attempts, oldest first.
    pub fn attempts(&self, app: AppId) -> Vec<Attempt> {
        self.log
            .lock()
            .map(|log| log.get(&app).map(|l| l.iter().cloned().collect()))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Forgets the app's logged attempts (`/_timber/reset`).
    pub fn forget(&self, app: AppId) {
        if let Ok(mut log) = self.log.lock() {
            log.remove(&app);
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("timed out after {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        format!("could not connect: {e}")
    } else {
        e.to_string()
    }
}

/// `fields` as a callback body: `CallbackCommand` first, `EventTime` (ms) last.
pub(crate) fn body(command: &str, fields: Value) -> String {
    let mut body = Map::new();
    body.insert("CallbackCommand".into(), command.into());
    if let Value::Object(fields) = fields {
        body.extend(fields);
    }
    body.insert("EventTime".into(), now_millis().into());
    Value::Object(body).to_string()
}

/// Whether this request is to ask the app before it goes on.
pub(crate) fn wants_before(ctx: &Ctx, kind: BeforeKind) -> bool {
    ctx.caller.app.wants_callback(kind.command())
}

/// Asks the app's before-callback `kind` with `fields` and returns what it decided
/// (callbacks.md §5); the app's failure follows its `callback_before_failure`. Nothing is
/// locked meanwhile. An app that does not want `kind` allows everything.
pub(crate) async fn before(ctx: &Ctx, kind: BeforeKind, fields: Value) -> Verdict {
    let app = &ctx.caller.app;
    if !app.wants_callback(kind.command()) {
        return Verdict::allow();
    }
    let answer = ctx
        .state
        .callbacks
        .post(
            app,
            kind.command(),
            body(kind.command(), fields),
            &ctx.client_ip,
        )
        .await;
    if let Err(why) = &answer {
        tracing::warn!(command = kind.command(), %why, "before-callback failed");
    }
    decide(
        kind,
        answer.as_ref().map_err(drop),
        app.callback_before_failure == BeforeFailure::Deny,
    )
}

/// `GET /_timber/callbacks?sdkappid=…&identifier=…&usersig=…`: the app's last
/// [`LOG_PER_APP`] callback attempts, oldest first, for an app admin (the REST API's
/// authentication). In memory: a restart forgets them.
pub(crate) async fn log_endpoint(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let now = timber_core::now_secs();
    let service = crate::envelope::Service::OpenIm;
    let bytes =
        match crate::auth::authenticate(&state, service, Query::parse(raw.as_deref()), now).await {
            Err(e) => crate::envelope::fail_body(None, &e),
            Ok(caller) => {
                #[derive(Serialize)]
                #[serde(rename_all = "PascalCase")]
                struct Log {
                    action_status: &'static str,
                    error_code: u32,
                    error_info: &'static str,
                    attempts: Vec<Attempt>,
                }
                serde_json::to_vec(&Log {
                    action_status: "OK",
                    error_code: 0,
                    error_info: "",
                    attempts: state.callbacks.attempts(caller.app.sdkappid),
                })
                .unwrap_or_default()
            }
        };
    crate::json_response(bytes, 0)
}
