//! A handful of counters in the Prometheus text format at `/metrics`. Hand-written: three
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

pub(crate) async fn render(AxState(state): AxState<Arc<State>>) -> String {
    let m = &state.metrics;
    format!(
        "# HELP timber_requests_total REST API calls answered.\n\
         # TYPE timber_requests_total counter\n\
         timber_requests_total {}\n\
         # HELP timber_requests_failed_total REST API calls answered with a non-zero ErrorCode.\n\
         # TYPE timber_requests_failed_total counter\n\
         timber_requests_failed_total {}\n\
         # HELP timber_request_seconds_total Time spent answering REST API calls.\n\
         # TYPE timber_request_seconds_total counter\n\
         timber_request_seconds_total {:.6}\n",
        m.requests.load(Ordering::Relaxed),
        m.failed.load(Ordering::Relaxed),
        m.micros.load(Ordering::Relaxed) as f64 / 1e6,
    )
}
