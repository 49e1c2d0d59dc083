//! `/metrics`, in the Prometheus text format. Per-command counts and latencies (and member
//! connections) are kept by the `prometheus` crate; the connection counters below predate it
//! and keep their names, as does `timber_callbacks_total` (`callbacks/mod.rs`).

use crate::State;
use axum::extract::State as AxState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub struct Metrics {
    registry: prometheus::Registry,
    /// `timber_api_requests_total{service,command,error_code}`.
    api_requests: prometheus::IntCounterVec,
    /// `timber_api_request_duration_seconds{service,command}`.
    api_seconds: prometheus::HistogramVec,
    /// `timber_member_connections`: set when scraped.
    member_connections: prometheus::IntGauge,
    requests: AtomicU64,
    failed: AtomicU64,
    micros: AtomicU64,
    /// Kept by the binary's accept loop, which owns the connections; shown here so that one
    /// endpoint has everything.
    pub connections: Connections,
}

/// Latency buckets, in seconds: the cheapest calls answer in tens of microseconds, a send
/// with a before-callback waits up to its 2 s timeout.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

impl Default for Metrics {
    fn default() -> Self {
        use prometheus::{HistogramOpts, IntCounterVec, IntGauge, Opts};
        let registry = prometheus::Registry::new();
        let api_requests = IntCounterVec::new(
            Opts::new(
                "timber_api_requests_total",
                "REST API calls answered, by service, command and ErrorCode.",
            ),
            &["service", "command", "error_code"],
        )
        .expect("valid metric");
        let api_seconds = prometheus::HistogramVec::new(
            HistogramOpts::new(
                "timber_api_request_duration_seconds",
                "Time to answer REST API calls, by service and command.",
            )
            .buckets(BUCKETS.to_vec()),
            &["service", "command"],
        )
        .expect("valid metric");
        let member_connections = IntGauge::new(
            "timber_member_connections",
            "Member (WebSocket) connections open on this node.",
        )
        .expect("valid metric");
        for c in [
            Box::new(api_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(api_seconds.clone()),
            Box::new(member_connections.clone()),
        ] {
            registry.register(c).expect("registered once");
        }
        Metrics {
            registry,
            api_requests,
            api_seconds,
            member_connections,
            requests: AtomicU64::default(),
            failed: AtomicU64::default(),
            micros: AtomicU64::default(),
            connections: Connections::default(),
        }
    }
}

impl Metrics {
    /// One answered call. `service` and `command` are the route's names when timber knows
    /// them and `"unknown"` otherwise, so that a client's typos cannot grow the label sets;
    /// error codes are the fixed table's (and injected or app-defined ones).
    pub(crate) fn record_call(&self, service: &str, command: &str, error_code: u32, micros: u64) {
        let code = error_code.to_string();
        self.api_requests
            .with_label_values(&[service, command, &code])
            .inc();
        self.api_seconds
            .with_label_values(&[service, command])
            .observe(micros as f64 / 1e6);
        self.record(error_code, micros);
    }

    pub(crate) fn record(&self, error_code: u32, micros: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(micros, Ordering::Relaxed);
        if error_code != 0 {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What the accept loop did with connections: how many are open, and why it closed the ones it
/// closed before their client did (an operator's first question when clients see resets).
#[derive(Default)]
pub struct Connections {
    pub open: AtomicU64,
    pub accepted: AtomicU64,
    /// Closed as soon as accepted: at `max_connections` with none idle to close instead.
    pub refused: AtomicU64,
    /// Idle ones closed to make room for a new connection at `max_connections`.
    pub evicted: AtomicU64,
    /// Closed after `idle_timeout_secs` without a request.
    pub idle_timeouts: AtomicU64,
    /// Closed after `header_read_timeout_secs` without a complete request head.
    pub header_timeouts: AtomicU64,
    /// Requests whose body did not arrive within `body_read_timeout_secs`.
    pub body_timeouts: AtomicU64,
}

impl Connections {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) async fn render(AxState(state): AxState<Arc<State>>) -> String {
    let m = &state.metrics;
    let c = &m.connections;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = format!(
        "# HELP timber_requests_total REST API calls answered.\n\
         # TYPE timber_requests_total counter\n\
         timber_requests_total {}\n\
         # HELP timber_requests_failed_total REST API calls answered with a non-zero ErrorCode.\n\
         # TYPE timber_requests_failed_total counter\n\
         timber_requests_failed_total {}\n\
         # HELP timber_request_seconds_total Time spent answering REST API calls.\n\
         # TYPE timber_request_seconds_total counter\n\
         timber_request_seconds_total {:.6}\n\
         # HELP timber_connections_open HTTP connections open now.\n\
         # TYPE timber_connections_open gauge\n\
         timber_connections_open {}\n\
         # HELP timber_connections_accepted_total HTTP connections accepted.\n\
         # TYPE timber_connections_accepted_total counter\n\
         timber_connections_accepted_total {}\n\
         # HELP timber_connections_refused_total Connections closed at once: at max_connections with none idle.\n\
         # TYPE timber_connections_refused_total counter\n\
         timber_connections_refused_total {}\n\
         # HELP timber_connections_evicted_total Idle connections closed to make room at max_connections.\n\
         # TYPE timber_connections_evicted_total counter\n\
         timber_connections_evicted_total {}\n\
         # HELP timber_connection_timeouts_total Connections closed, or requests refused, for being too slow.\n\
         # TYPE timber_connection_timeouts_total counter\n\
         timber_connection_timeouts_total{{phase=\"idle\"}} {}\n\
         timber_connection_timeouts_total{{phase=\"header\"}} {}\n\
         timber_connection_timeouts_total{{phase=\"body\"}} {}\n",
        load(&m.requests),
        load(&m.failed),
        load(&m.micros) as f64 / 1e6,
        load(&c.open),
        load(&c.accepted),
        load(&c.refused),
        load(&c.evicted),
        load(&c.idle_timeouts),
        load(&c.header_timeouts),
        load(&c.body_timeouts),
    );
    out.push_str(&state.callbacks.render_metrics());
    m.member_connections
        .set(i64::try_from(state.members.connections()).unwrap_or(i64::MAX));
    let encoder = prometheus::TextEncoder::new();
    if let Ok(text) = encoder.encode_to_string(&m.registry.gather()) {
        out.push_str(&text);
    }
    out
}
