//! The body read timeout: a request body must have arrived in full within
//! `body_read_timeout_secs` of the end of its head.
//!
//! Past the deadline the body yields an error instead of waiting on: the handler reading it
//! answers 60002 ("the request body could not be read: …"), and hyper, left with a body not
//! read to its end, closes the connection after that answer. Bounding the whole body (not
//! the gap between two bytes) is what stops a client trickling a byte a second, or a chunked
//! body announcing 2^64−1 bytes, from holding a connection for ever; the body size limit
//! (`max_body_bytes`) bounds what a fast one may send. The timer is armed only when a read of
//! the body has to wait, so a body that came with its head costs nothing.

use super::registry::Registry;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use timber_server::Connections;
use tokio::time::{Instant, Sleep};

pub(super) struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    expired: bool,
    registry: Arc<Registry>,
}

impl TimedBody {
    pub fn new(inner: Incoming, timeout: Duration, registry: Arc<Registry>) -> TimedBody {
        TimedBody {
            inner,
            deadline: Instant::now() + timeout,
            timeout,
            sleep: None,
            expired: false,
            registry,
        }
    }
}

/// What reading the body fails with at the deadline.
#[derive(Debug)]
pub(super) struct BodyTimeout(Duration);

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the body did not arrive within {} s (body_read_timeout_secs)",
            self.0.as_secs()
        )
    }
}

impl std::error::Error for BodyTimeout {}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(sleep.as_mut().poll(cx));
        this.expired = true;
        Connections::count(&this.registry.stats().body_timeouts);
        tracing::debug!("request body not complete within body_read_timeout_secs");
        Poll::Ready(Some(Err(Box::new(BodyTimeout(this.timeout)))))
    }

    fn is_end_stream(&self) -> bool {
        self.expired || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
