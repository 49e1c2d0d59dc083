//! The idle and header timeouts, on the connection's socket.
//!
//! hyper's own `header_read_timeout` starts when hyper begins waiting for a request head, so
//! on a keep-alive connection it also bounds the wait for the next request: it cannot give
//! idle connections a longer wait than slow heads. This wrapper keeps the two apart, as Go's
//! `ReadHeaderTimeout`/`IdleTimeout` and nginx's `client_header_timeout`/`keepalive_timeout`
//! do: a new connection must send its whole first request head within the header timeout of
//! being accepted; after a response it may wait the idle timeout for the first byte of its
//! next request, whose head must then be complete within the header timeout of that byte.
//! While a request is in flight neither applies (the body has its own timeout, in
//! `timed_body.rs`).
//!
//! A read that would wait past the deadline fails with `TimedOut` instead, which makes hyper
//! close the connection. The timer is armed only when a read has to wait, so a request whose
//! head arrives in one read costs two clock readings and no timer.

use super::registry::{Conn, Registry};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use timber_server::Connections;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

pub(super) struct TimedIo {
    io: TcpStream,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    header_timeout: Duration,
    idle_timeout: Duration,
    /// The request count (see [`Conn::phase`]) the deadline was set for.
    answered: u64,
    /// Whether the deadline is a header deadline (some of a head arrived) or an idle one.
    head_begun: bool,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl TimedIo {
    pub fn new(
        io: TcpStream,
        conn: Arc<Conn>,
        registry: Arc<Registry>,
        header_timeout: Duration,
        idle_timeout: Duration,
    ) -> TimedIo {
        TimedIo {
            io,
            conn,
            registry,
            header_timeout,
            idle_timeout,
            answered: 0,
            // The first request's head is due within the header timeout of the accept.
            head_begun: true,
            deadline: Instant::now() + header_timeout,
            sleep: None,
        }
    }

    /// Bytes came in: if they start a request head after an idle wait, the head is now due
    /// within the header timeout.
    fn bytes_arrived(&mut self) {
        let phase = self.conn.phase();
        if phase.idle && (phase.answered != self.answered || !self.head_begun) {
            self.answered = phase.answered;
            self.head_begun = true;
            self.deadline = Instant::now() + self.header_timeout;
        }
    }

    /// A read has to wait: ready with the error to answer once the deadline has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let phase = self.conn.phase();
        if !phase.idle {
            return Poll::Pending;
        }
        if phase.answered != self.answered {
            // A response went out since: the wait for the next request begins.
            self.answered = phase.answered;
            self.head_begun = false;
            self.deadline = Instant::now() + self.idle_timeout;
        }
        let deadline = self.deadline;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        ready!(sleep.as_mut().poll(cx));
        let stats = self.registry.stats();
        let (counter, what) = if self.head_begun {
            (
                &stats.header_timeouts,
                "no complete request head within header_read_timeout_secs",
            )
        } else {
            (&stats.idle_timeouts, "no request within idle_timeout_secs")
        };
        Connections::count(counter);
        tracing::debug!("connection closed: {what}");
        Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, what))
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

/// Writes go straight through (vectored too: hyper writes head and body in one `writev`).
impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
