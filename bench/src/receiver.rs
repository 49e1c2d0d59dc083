//! The app backend of the callback scenarios: a keep-alive HTTP server in the bench process
//! that answers every callback with `ErrorCode` 0, a before-callback after about 1 ms (an app
//! that checks a message quickly), an after-callback at once.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

/// How long the receiver thinks about a before-callback.
pub const BEFORE_DELAY: Duration = Duration::from_millis(1);

/// Starts the receiver on a free port; returns its URL.
pub async fn start() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    });
    Ok(format!("http://{addr}/im"))
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let before = req
        .uri()
        .query()
        .is_some_and(|q| q.contains("CallbackCommand=Group.CallbackBefore"));
    // Read the whole body, as a real backend does, before answering.
    let _ = req.into_body().collect().await;
    if before {
        tokio::time::sleep(BEFORE_DELAY).await;
    }
    Ok(Response::builder()
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#,
        )))
        .expect("a fixed response is valid"))
}
