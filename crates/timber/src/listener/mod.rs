//! The accept loop: HTTP/1.1 connections served by hyper, under limits that keep idle and slow
//! clients from exhausting the server (issue 23: 1,124 idle connections against a 1,024
//! open-file limit stopped every legitimate request, for `axum::serve` held them for ever and
//! slept on `EMFILE`).
//!
//! - at most `max_connections` connections; at the cap a new one closes the longest-idle one
//!   (`registry.rs`, which says why);
//! - a request head must arrive within `header_read_timeout_secs`, and a keep-alive connection
//!   may wait `idle_timeout_secs` for its next request (`timed_io.rs`);
//! - a request body must arrive within `body_read_timeout_secs` (`timed_body.rs`).
//!
//! The graceful shutdown is hyper-util's: on the stop signal the loop stops accepting, idle
//! connections close, and requests in flight finish; the future ends when the last connection
//! has closed. The caller bounds that wait (`shutdown_grace_secs`).

mod registry;
mod service;
mod timed_body;
mod timed_io;

use crate::config::Config;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use registry::{Admitted, Registry};
use service::ConnService;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use timber_server::State;
use tokio::net::{TcpListener, TcpStream};

/// The limits on connections, from the configuration.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// File descriptors kept for the store and everything else when `max_connections` is derived
/// from the open-file limit: SQLite opens three per connection (database, WAL, shared memory),
/// one read connection per thread that reads; a PostgreSQL pool one per connection.
const STORE_HEADROOM: u64 = 256;
/// The derived cap never goes past this: each idle connection costs a few KiB of buffers, and
/// a single process rarely has a reason to hold more.
const DEFAULT_MAX_CONNECTIONS_CEILING: u64 = 10_000;

/// `max_connections` when it is not configured: the open-file limit less
/// [`STORE_HEADROOM`] (but at least half of a small limit), at most 10,000; 10,000 when the
/// limit is unknown or unlimited. With the common 1,024 that is 768.
pub fn default_max_connections(open_files: Option<u64>) -> u64 {
    match open_files {
        None => DEFAULT_MAX_CONNECTIONS_CEILING,
        Some(limit) => (limit / 2)
            .max(limit.saturating_sub(STORE_HEADROOM))
            .clamp(1, DEFAULT_MAX_CONNECTIONS_CEILING),
    }
}

impl Limits {
    /// The configured limits; `open_files` is the open-file limit in effect.
    pub fn new(config: &Config, open_files: Option<u64>) -> Limits {
        let max = config
            .max_connections
            .unwrap_or_else(|| default_max_connections(open_files));
        if let Some(limit) = open_files {
            if config.max_connections.is_some() && max + STORE_HEADROOM / 4 > limit {
                tracing::warn!(
                    max_connections = max,
                    open_file_limit = limit,
                    "max_connections leaves almost no file descriptors for the store: accepts \
                     and store files may fail with \"too many open files\""
                );
            }
        }
        Limits {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(config.body_read_timeout_secs),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
            max_connections: usize::try_from(max).unwrap_or(usize::MAX),
        }
    }
}

/// Serves `router` on `listener` until `stop` resolves, then drains (see the module doc).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    state: Arc<State>,
    limits: Limits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tracing::info!(
        max_connections = limits.max_connections,
        header_read_timeout_secs = limits.header_read_timeout.as_secs(),
        body_read_timeout_secs = limits.body_read_timeout.as_secs(),
        idle_timeout_secs = limits.idle_timeout.as_secs(),
        "connection limits"
    );
    let registry = Arc::new(Registry::new(limits.max_connections, state.clone()));
    let graceful = Graceful::new();
    let mut builder = http1::Builder::new();
    // The head timeout is ours (timed_io.rs): hyper's would also cut idle keep-alive waits.
    builder.header_read_timeout(None);
    let builder = Arc::new(builder);
    let mut last_accept_warning: Option<Instant> = None;
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    accept_failed(e, &registry, &mut last_accept_warning).await;
                    continue;
                }
            },
        };
        // At the cap with every connection busy: closed at once, so that its client learns
        // now rather than waiting in the kernel's backlog.
        let Some(admitted) = registry.admit() else {
            drop(stream);
            continue;
        };
        // Small writes go out at once. With Nagle's algorithm a frame pushed to a member
        // while the previous one is unacknowledged waits for the client's ACK, which a
        // client that only listens delays by up to 40 ms (delayed ACKs): a member receiving
        // two messages in quick succession got the second late.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY could not be set: {e}");
        }
        let connection = Connection {
            builder: builder.clone(),
            router: router.clone(),
            limits: limits.clone(),
        };
        tokio::spawn(connection.run(stream, admitted, graceful.watcher()));
    }
    drop(listener);
    // Member connections (upgraded to WebSockets) close with 1001; the wait is bounded by
    // the caller's `shutdown_grace_secs` like the rest.
    state.members.stopping.send_replace(true);
    graceful.shutdown().await;
    state.members.drained().await;
    Ok(())
}

/// hyper-util's graceful shutdown, which cannot watch a connection that may be upgraded
/// (`http1::UpgradeableConnection`, needed for members' WebSockets): the same watch channel,
/// with the connection told by hand.
struct Graceful {
    tx: tokio::sync::watch::Sender<()>,
}

struct Watcher {
    rx: tokio::sync::watch::Receiver<()>,
}

impl Graceful {
    fn new() -> Graceful {
        Graceful {
            tx: tokio::sync::watch::channel(()).0,
        }
    }

    fn watcher(&self) -> Watcher {
        Watcher {
            rx: self.tx.subscribe(),
        }
    }

    /// Tells every connection, then waits until each has ended.
    async fn shutdown(self) {
        let _ = self.tx.send(());
        self.tx.closed().await;
    }
}

struct Connection {
    builder: Arc<http1::Builder>,
    router: Router,
    limits: Limits,
}

impl Connection {
    async fn run(self, stream: TcpStream, admitted: Admitted, watcher: Watcher) {
        let registry = admitted.registry().clone();
        let conn = admitted.conn.clone();
        let peer = stream.peer_addr().ok().map(|a| a.ip().to_canonical());
        let io = timed_io::TimedIo::new(
            stream,
            conn.clone(),
            registry.clone(),
            self.limits.header_read_timeout,
            self.limits.idle_timeout,
        );
        let service = ConnService::new(
            self.router,
            peer,
            conn.clone(),
            registry,
            self.limits.body_read_timeout,
        );
        let mut rx = watcher.rx;
        let serving = self
            .builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        tokio::pin!(serving);
        let mut told = false;
        loop {
            tokio::select! {
                biased;
                // Idle (no request in flight): dropping the connection loses nothing.
                _ = conn.evicted.notified() => break,
                _ = rx.changed(), if !told => {
                    told = true;
                    serving.as_mut().graceful_shutdown();
                }
                served = serving.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!("connection ended: {e}");
                    }
                    break;
                }
            }
        }
        // An upgraded connection (a member's WebSocket) lives on in its own task: it leaves
        // the registry here, and its socket keeps its request marked in flight (service.rs).
        drop(admitted);
    }
}

/// An accept that failed. Errors of the one connection (reset before accepted) are nothing;
/// anything else (`EMFILE`: out of file descriptors all the same, the store's files share the
/// limit) closes the longest-idle connection to free one and pauses briefly, for the failed
/// connection stays in the backlog and the next accept would fail at once again.
async fn accept_failed(e: std::io::Error, registry: &Registry, last: &mut Option<Instant>) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    let freed = registry.evict_one();
    let now = Instant::now();
    if last.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(10)) {
        *last = Some(now);
        tracing::warn!(freed_an_idle_connection = freed, "accept failed: {e}");
    }
    let pause = if freed { 10 } else { 100 };
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_max_connections_follows_the_open_file_limit() {
        assert_eq!(default_max_connections(Some(1024)), 768);
        assert_eq!(default_max_connections(Some(4096)), 3840);
        assert_eq!(default_max_connections(Some(300)), 150);
        assert_eq!(default_max_connections(Some(1)), 1);
        assert_eq!(default_max_connections(Some(1 << 20)), 10_000);
        assert_eq!(default_max_connections(None), 10_000);
    }
}
