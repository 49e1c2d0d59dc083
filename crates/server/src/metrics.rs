//! A handful of counters in the Prometheus text format at `/metrics`. Hand-written: a few
//! atomics do not justify a metrics framework.

use crate::State;
use axum::extract::State as AxState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    failed: AtomicU64,
    micros: AtomicU64,
    /// Kept by the binary's accept loop, which owns the connections; shown here so that one
    /// endpoint has everything.
    pub connections: Connections,
}

impl Metrics {
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
    out
}
