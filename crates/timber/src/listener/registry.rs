//! The open connections, and the cap on how many there may be.
//!
//! At `max_connections` a new connection closes the connection that has been idle the longest
//! (no request in flight: waiting for its next request, or for the rest of a request head)
//! and takes its place; only when every connection has a request in flight is the new one
//! refused, accepted and closed at once so that its client learns at once instead of hanging
//! in the kernel's backlog. Closing the longest-idle one keeps legitimate clients served when
//! idle or slow connections fill the cap: those are the idle ones, they have been idle since
//! they were accepted, and a client that is using its connection was idle for a moment at
//! most. Refusing instead would let anyone who opens `max_connections` connections and sends
//! nothing lock everyone else out for a whole `idle_timeout_secs`. The connections a new one
//! can never displace (a request in flight) are bounded in time by the body read timeout and
//! the handlers' own bounds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use timber_server::{Connections, State};
use tokio::sync::Notify;

/// The phases of a connection, the low two bits of [`Conn::state`].
const IDLE: u64 = 0;
const BUSY: u64 = 1;
const EVICTED: u64 = 2;
/// Upgraded to another protocol (a member's WebSocket): busy for good.
const UPGRADED: u64 = 3;
const PHASE: u64 = 0b11;

/// How often the accept loop says it is at the cap, at most.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// One connection as the registry, its I/O and its service see it.
pub(super) struct Conn {
    id: u64,
    /// `(answered << 2) | phase`: the number of requests answered so far, and the phase.
    /// One word, so that the I/O wrapper reads both at once; and the evictor can take an
    /// idle connection only with a compare-and-swap that fails once a request has begun.
    state: AtomicU64,
    /// When the connection last became idle, in milliseconds since the registry started.
    idle_since_ms: AtomicU64,
    /// Notified when the connection is evicted: its task then drops it.
    pub evicted: Notify,
}

/// Where a connection is, as its I/O wrapper needs to know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Phase {
    /// No request in flight: a request head may be on its way, or nothing at all.
    pub idle: bool,
    /// Requests answered so far: a new value means a new wait for a request began.
    pub answered: u64,
}

impl Conn {
    pub fn phase(&self) -> Phase {
        let state = self.state.load(Ordering::Acquire);
        Phase {
            idle: state & PHASE == IDLE,
            answered: state >> 2,
        }
    }

    /// A request head arrived. False when the connection was evicted meanwhile: the request
    /// must then not run, for its connection is about to be dropped.
    pub fn begin_request(&self) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            if state & PHASE != IDLE {
                // EVICTED; BUSY cannot happen (HTTP/1 serves one request at a time).
                return state & PHASE == BUSY;
            }
            let busy = (state & !PHASE) | BUSY;
            match self
                .state
                .compare_exchange(state, busy, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
    }

    /// The request was answered with 101: the connection is never idle again.
    pub fn upgraded(&self) {
        let state = self.state.load(Ordering::Acquire);
        self.state
            .store((state & !PHASE) | UPGRADED, Ordering::Release);
    }

    /// The response was handed over (or the request abandoned): idle again, one more answered.
    fn end_request(&self, now_ms: u64) {
        self.idle_since_ms.store(now_ms, Ordering::Relaxed);
        let state = self.state.load(Ordering::Acquire);
        if state & PHASE == BUSY {
            let idle = ((state >> 2) + 1) << 2 | IDLE;
            let _ = self
                .state
                .compare_exchange(state, idle, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    /// Marks an idle connection evicted; false if a request began first.
    fn try_evict(&self) -> bool {
        let state = self.state.load(Ordering::Acquire);
        state & PHASE == IDLE
            && self
                .state
                .compare_exchange(
                    state,
                    (state & !PHASE) | EVICTED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }
}

pub(super) struct Registry {
    max: usize,
    started: Instant,
    state: Arc<State>,
    inner: Mutex<Inner>,
}

struct Inner {
    conns: HashMap<u64, Arc<Conn>>,
    next_id: u64,
    /// When each [`Warning`] was last logged.
    last_warned: [Option<Instant>; 2],
}

/// What the registry warns about, each at most once per [`WARN_EVERY`].
#[derive(Clone, Copy)]
enum Warning {
    Evicting = 0,
    Refusing = 1,
}

impl Registry {
    pub fn new(max: usize, state: Arc<State>) -> Registry {
        Registry {
            max,
            started: Instant::now(),
            state,
            inner: Mutex::new(Inner {
                conns: HashMap::new(),
                next_id: 0,
                last_warned: [None; 2],
            }),
        }
    }

    pub fn stats(&self) -> &Connections {
        &self.state.metrics.connections
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Takes a new connection in, closing the longest-idle one at the cap; `None` when the
    /// cap is reached and no connection is idle (the caller closes the new one).
    pub fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Connections::count(&self.stats().accepted);
        let mut evicted = false;
        while inner.conns.len() >= self.max {
            if !self.evict_longest_idle(&mut inner) {
                Connections::count(&self.stats().refused);
                self.warn(&mut inner, Warning::Refusing);
                return None;
            }
            evicted = true;
        }
        if evicted {
            self.warn(&mut inner, Warning::Evicting);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let conn = Arc::new(Conn {
            id,
            state: AtomicU64::new(IDLE),
            idle_since_ms: AtomicU64::new(self.now_ms()),
            evicted: Notify::new(),
        });
        inner.conns.insert(id, conn.clone());
        self.stats().open.fetch_add(1, Ordering::Relaxed);
        Some(Admitted {
            registry: self.clone(),
            conn,
        })
    }

    /// Closes the longest-idle connection, if any is idle (used when the process runs out of
    /// file descriptors all the same: the store's files share the limit).
    pub fn evict_one(&self) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        self.evict_longest_idle(&mut inner)
    }

    /// A scan of all connections, done only at the cap: a few microseconds per thousand.
    fn evict_longest_idle(&self, inner: &mut Inner) -> bool {
        // A connection that turns busy between the scan and the swap is skipped; a few tries.
        for _ in 0..4 {
            let victim = inner
                .conns
                .values()
                .filter(|c| c.phase().idle)
                .min_by_key(|c| c.idle_since_ms.load(Ordering::Relaxed))
                .cloned();
            let Some(victim) = victim else {
                return false;
            };
            if victim.try_evict() {
                // Out of the count now; its task drops the socket when it is next polled.
                inner.conns.remove(&victim.id);
                victim.evicted.notify_one();
                Connections::count(&self.stats().evicted);
                tracing::debug!(conn = victim.id, "idle connection closed to make room");
                return true;
            }
        }
        false
    }

    fn warn(&self, inner: &mut Inner, warning: Warning) {
        let now = Instant::now();
        let last = &mut inner.last_warned[warning as usize];
        if last.is_none_or(|at| now.duration_since(at) >= WARN_EVERY) {
            *last = Some(now);
            let what = match warning {
                Warning::Evicting => {
                    "at max_connections: idle connections are closed to make room for new ones"
                }
                Warning::Refusing => {
                    "at max_connections with every connection busy: new connections are refused"
                }
            };
            tracing::warn!(max_connections = self.max, "{what}");
        }
    }
}

/// A connection's place in the registry, held by its task; dropping it frees the place.
pub(super) struct Admitted {
    registry: Arc<Registry>,
    pub conn: Arc<Conn>,
}

impl Admitted {
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut inner = self
            .registry
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        inner.conns.remove(&self.conn.id);
        drop(inner);
        self.registry.stats().open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Lives as long as a request is in flight (until hyper has taken the whole response body):
/// its drop makes the connection idle again.
pub(super) struct RequestGuard {
    registry: Arc<Registry>,
    conn: Arc<Conn>,
}

impl RequestGuard {
    pub fn new(registry: Arc<Registry>, conn: Arc<Conn>) -> RequestGuard {
        RequestGuard { registry, conn }
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.conn.end_request(self.registry.now_ms());
    }
}
