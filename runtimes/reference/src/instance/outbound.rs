//! The platform's own HTTP calls to processes inside an instance (invoke events to extensions,
//! telemetry deliveries), over sockets made in the instance's network, each within a deadline.

use std::{net::SocketAddr, time::Duration};

use axum::body::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;

use super::network::Network;

#[derive(Debug, thiserror::Error)]
pub(crate) enum OutboundError {
    #[error("could not connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("POST http://{addr}{path} failed: {source}")]
    Http {
        addr: SocketAddr,
        path: String,
        source: hyper::Error,
    },
    #[error("POST http://{addr}{path} got no answer within {limit:?}")]
    TimedOut {
        addr: SocketAddr,
        path: String,
        limit: Duration,
    },
}

/// POSTs `body` as JSON to `http://addr{path}` inside `network`; the answer's status, once its
/// head arrived, all within `limit`.
pub(crate) async fn post_json(
    network: &Network,
    addr: SocketAddr,
    path: &str,
    body: Bytes,
    limit: Duration,
) -> Result<StatusCode, OutboundError> {
    let timed_out = || OutboundError::TimedOut {
        addr,
        path: path.to_owned(),
        limit,
    };
    tokio::time::timeout(limit, post(network, addr, path, body, limit))
        .await
        .map_err(|_| timed_out())?
}

async fn post(
    network: &Network,
    addr: SocketAddr,
    path: &str,
    body: Bytes,
    limit: Duration,
) -> Result<StatusCode, OutboundError> {
    let http = |source| OutboundError::Http {
        addr,
        path: path.to_owned(),
        source,
    };
    let stream = network
        .connect(addr, limit)
        .await
        .map_err(|source| OutboundError::Connect { addr, source })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http)?;
    let driver = tokio::spawn(connection);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, addr.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(body))
        .expect("a POST with a path and two valid headers is a valid request");
    let answer = sender.send_request(request).await;
    // The body, if any, is not read: only the status counts, and dropping the connection
    // closes it.
    driver.abort();
    answer.map(|response| response.status()).map_err(http)
}
