//! One keep-alive HTTP/1.1 connection to timber, and the REST call helper built on it.

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// Where to call and as whom.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub sdkappid: u64,
    pub identifier: String,
    pub usersig: String,
}

impl Target {
    /// `/v4/{path}?…` with the envelope's query parameters (a fixed `random`, as real clients do).
    pub fn uri(&self, path: &str) -> String {
        format!(
            "/v4/{path}?sdkappid={}&identifier={}&usersig={}&random=1&contenttype=json",
            self.sdkappid, self.identifier, self.usersig
        )
    }
}

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    /// POSTs `body` to `uri` and returns the response body.
    pub async fn post(&mut self, uri: &str, body: Bytes) -> anyhow::Result<Bytes> {
        self.sender.ready().await?;
        let req = Request::post(uri)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .body(Full::new(body))?;
        let resp = self.sender.send_request(req).await?;
        if !resp.status().is_success() {
            bail!("HTTP {}", resp.status());
        }
        Ok(resp.into_body().collect().await?.to_bytes())
    }

    /// GETs `uri` and returns the response body.
    pub async fn get(&mut self, uri: &str) -> anyhow::Result<Bytes> {
        self.sender.ready().await?;
        let req = Request::get(uri)
            .header("host", &self.host)
            .body(Full::new(Bytes::new()))?;
        let resp = self.sender.send_request(req).await?;
        if !resp.status().is_success() {
            bail!("HTTP {}", resp.status());
        }
        Ok(resp.into_body().collect().await?.to_bytes())
    }

    /// Calls `path` and fails unless the answer is `ActionStatus: OK`; returns the JSON.
    pub async fn call_ok(
        &mut self,
        target: &Target,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let bytes = self
            .post(&target.uri(path), Bytes::from(body.to_string()))
            .await?;
        if !is_ok(&bytes) {
            bail!("{path} failed: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes)?)
    }
}

/// Every successful answer starts with the OK envelope (timber writes it first).
pub fn is_ok(body: &[u8]) -> bool {
    body.starts_with(br#"{"ActionStatus":"OK""#)
}
