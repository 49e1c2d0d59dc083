//! `/metrics`, in the Prometheus text format. Per-command counts and latencies, member
//! connections, the store's writer and pool gauges, and the callbacks' counts and latencies
//! (`callbacks/mod.rs`) are kept by the `prometheus` crate; the connection counters below
//! predate it and keep their names.

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
    /// `timber_console_streams`: the console's live feeds open (`/_timber/events`).
    console_streams: prometheus::IntGauge,
    /// `timber_store_*`: the store's writer and pool (`Store::gauges`), set when scraped.
    store: StoreGauges,
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
        let console_streams = IntGauge::new(
            "timber_console_streams",
            "Console live feeds (/_timber/events) open on this node.",
        )
        .expect("valid metric");
        let store = StoreGauges::default();
        for c in [
            Box::new(api_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(api_seconds.clone()),
            Box::new(member_connections.clone()),
            Box::new(console_streams.clone()),
            Box::new(store.writer_queue.clone()),
            Box::new(store.writer_last_batch.clone()),
            Box::new(store.writer_batches.clone()),
            Box::new(store.pool.clone()),
            Box::new(store.pool_max.clone()),
            Box::new(store.pool_waiting.clone()),
        ] {
            registry.register(c).expect("registered once");
        }
        Metrics {
            registry,
            api_requests,
            api_seconds,
            member_connections,
            console_streams,
            store,
            requests: AtomicU64::default(),
            failed: AtomicU64::default(),
            micros: AtomicU64::default(),
            connections: Connections::default(),
        }
    }
}

/// The store's gauges; only those of the store in use are set (and so shown).
struct StoreGauges {
    writer_queue: prometheus::IntGaugeVec,
    writer_last_batch: prometheus::IntGaugeVec,
    writer_batches: prometheus::IntGaugeVec,
    pool: prometheus::IntGaugeVec,
    pool_max: prometheus::IntGaugeVec,
    pool_waiting: prometheus::IntGaugeVec,
}

impl Default for StoreGauges {
    fn default() -> Self {
        // Vectors (of no label for most) so that a gauge the store does not have is absent
        // rather than a misleading 0.
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            prometheus::IntGaugeVec::new(prometheus::Opts::new(name, help), labels)
                .expect("valid metric")
        };
        StoreGauges {
            writer_queue: gauge(
                "timber_store_writer_queue",
                "SQLite: writes waiting for the writer thread; PostgreSQL: writes waiting for their group's batch (group commit).",
                &[],
            ),
            writer_last_batch: gauge(
                "timber_store_writer_last_batch",
                "SQLite, or PostgreSQL with group commit: writes committed together by the last group commit.",
                &[],
            ),
            writer_batches: gauge(
                "timber_store_writer_batches",
                "SQLite, or PostgreSQL with group commit: group commits so far.",
                &[],
            ),
            pool: gauge(
                "timber_store_pool_connections",
                "PostgreSQL: connections of the pool, by state (in_use, idle).",
                &["state"],
            ),
            pool_max: gauge(
                "timber_store_pool_max_connections",
                "PostgreSQL: the pool's capacity.",
                &[],
            ),
            pool_waiting: gauge(
                "timber_store_pool_waiting",
                "PostgreSQL: requests waiting for a connection of the pool.",
                &[],
            ),
        }
    }
}

impl StoreGauges {
    fn set(&self, g: timber_store::StoreGauges) {
        let set = |v: &prometheus::IntGaugeVec, labels: &[&str], value: Option<u64>| {
            if let Some(value) = value {
                v.with_label_values(labels)
                    .set(i64::try_from(value).unwrap_or(i64::MAX));
            }
        };
        set(&self.writer_queue, &[], g.writer_queue);
        set(&self.writer_last_batch, &[], g.writer_last_batch);
        set(&self.writer_batches, &[], g.writer_batches);
        set(&self.pool, &["in_use"], g.pool_in_use);
        let idle = g
            .pool_size
            .zip(g.pool_in_use)
            .map(|(s, u)| s.saturating_sub(u));
        set(&self.pool, &["idle"], idle);
        set(&self.pool_max, &[], g.pool_max);
        set(&self.pool_waiting, &[], g.pool_waiting);
    }
}

impl Metrics {
    /// Adds a collector kept elsewhere (the callbacks' counters) to `/metrics`.
    pub(crate) fn register(&self, c: Box<dyn prometheus::core::Collector>) {
        if let Err(e) = self.registry.register(c) {
            tracing::error!(error = %e, "a metric could not be registered");
        }
    }

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
    m.member_connections
        .set(i64::try_from(state.members.connections()).unwrap_or(i64::MAX));
    m.console_streams
        .set(i64::try_from(state.members.observers()).unwrap_or(i64::MAX));
    m.store.set(state.store.gauges());
    let encoder = prometheus::TextEncoder::new();
    if let Ok(text) = encoder.encode_to_string(&m.registry.gather()) {
        out.push_str(&text);
    }
    out
}
