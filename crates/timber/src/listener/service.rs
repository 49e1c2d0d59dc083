//! One connection's HTTP service: the router, with each request marked in flight on its
//! connection (so that neither the idle timeout nor an eviction cuts it) until hyper has taken
//! its whole response, and with its body under the body read timeout.

use super::registry::{Conn, Registry, RequestGuard};
use super::timed_body::TimedBody;
use axum::Router;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::{Request, Response};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

#[derive(Clone)]
pub(super) struct ConnService {
    router: TowerToHyperService<Router>,
    /// The client's address, handed to every request (`ClientIP` of callbacks).
    peer: Option<timber_server::ClientAddr>,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    body_timeout: Duration,
}

impl ConnService {
    pub fn new(
        router: Router,
        peer: Option<std::net::IpAddr>,
        conn: Arc<Conn>,
        registry: Arc<Registry>,
        body_timeout: Duration,
    ) -> ConnService {
        ConnService {
            router: TowerToHyperService::new(router),
            peer: peer.map(timber_server::ClientAddr),
            conn,
            registry,
            body_timeout,
        }
    }
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<GuardedBody>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<GuardedBody>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Answer {
        if !self.conn.begin_request() {
            // Evicted just as this head arrived: the connection's task drops the connection
            // at its next poll, before anything of this request runs.
            return Box::pin(std::future::pending());
        }
        let guard = RequestGuard::new(self.registry.clone(), self.conn.clone());
        let registry = self.registry.clone();
        let body_timeout = self.body_timeout;
        let mut req = req.map(|body| TimedBody::new(body, body_timeout, registry));
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(peer);
        }
        let answer = hyper::service::Service::call(&self.router, req);
        let conn = self.conn.clone();
        Box::pin(async move {
            let response = answer.await?;
            if response.status() == hyper::StatusCode::SWITCHING_PROTOCOLS {
                // A member's WebSocket: the socket is no longer HTTP, and neither the idle
                // timeout nor an eviction may cut it (the member protocol has its own).
                conn.upgraded();
            }
            Ok(response.map(|body| GuardedBody {
                inner: body,
                _guard: guard,
            }))
        })
    }
}

/// A response body that keeps its request in flight until hyper drops it, which it does as
/// soon as it has taken the last frame.
pub(super) struct GuardedBody {
    inner: axum::body::Body,
    _guard: RequestGuard,
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
