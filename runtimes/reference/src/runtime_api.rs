//! The custom runtime API one instance's language runtime talks to (PROTOCOL.md §5), served on
//! its own 127.0.0.1 port.

use std::{
    collections::VecDeque,
    net::{Ipv4Addr, SocketAddr},
    sync::{
        Arc, Mutex, OnceLock, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tokio::{net::TcpListener, sync::mpsc, task::JoinHandle};

use crate::{instance::peak_rss_kb, logs::LogCapture};

/// Results larger than FunctionGraph's 6 MB response limit are still accepted; the limit only
/// protects the platform.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// Request ids remembered after their answer, to tell a duplicate answer (409) from an unknown
/// id (404) without keeping every id an instance ever served.
const REMEMBERED_ANSWERS: usize = 16;

/// An event handed to the runtime by `GET /v1/runtime/invocation/request`.
pub(crate) struct Invocation {
    pub request_id: String,
    pub event: Bytes,
}

/// What the runtime told the platform.
pub(crate) enum RuntimeEvent {
    /// The first `GET .../invocation/request`: initialisation succeeded.
    Ready,
    /// `POST /v1/runtime/init/error`.
    InitError(Answer),
    /// `POST .../invocation/response/{id}` (`ok`) or `POST .../invocation/error/{id}`.
    Answer {
        request_id: String,
        ok: bool,
        answer: Answer,
    },
}

/// A body the runtime posted, with what the platform measured at that moment.
pub(crate) struct Answer {
    pub body: Bytes,
    pub at: Instant,
    /// The instance's output up to the post.
    pub log: Vec<u8>,
    /// The instance's peak RSS, read while the process certainly still lives.
    pub peak_kb: Option<u64>,
}

/// A running runtime API: the platform's side of it.
pub(crate) struct RuntimeApi {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    pub invocations: mpsc::Sender<Invocation>,
    pub events: mpsc::UnboundedReceiver<RuntimeEvent>,
    pub task: JoinHandle<()>,
}

pub(crate) struct Shared {
    pid: OnceLock<u32>,
    logs: Arc<LogCapture>,
    invocations: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
    calls: Mutex<Calls>,
    initialised: AtomicBool,
}

#[derive(Default)]
struct Calls {
    current: Option<String>,
    answered: VecDeque<String>,
}

impl Shared {
    pub(crate) fn set_pid(&self, pid: u32) {
        let _ = self.pid.set(pid);
    }

    fn measure(&self, body: Bytes) -> Answer {
        Answer {
            body,
            at: Instant::now(),
            log: self.logs.cut(),
            peak_kb: self.pid.get().and_then(|pid| peak_rss_kb(*pid)),
        }
    }
}

/// Binds 127.0.0.1:0 and serves the runtime API for one instance.
pub(crate) async fn start(logs: Arc<LogCapture>) -> std::io::Result<RuntimeApi> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    // One slot: an instance runs one call at a time, so at most one event ever waits.
    let (invocations_tx, invocations_rx) = mpsc::channel(1);
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        pid: OnceLock::new(),
        logs,
        invocations: tokio::sync::Mutex::new(invocations_rx),
        events: events_tx,
        calls: Mutex::default(),
        initialised: AtomicBool::new(false),
    });
    let app = Router::new()
        .route("/v1/runtime/invocation/request", get(next_invocation))
        .route(
            "/v1/runtime/invocation/response/{request_id}",
            post(invocation_response),
        )
        .route(
            "/v1/runtime/invocation/error/{request_id}",
            post(invocation_error),
        )
        .route("/v1/runtime/init/error", post(init_error))
        .layer(DefaultBodyLimit::max(MAX_ANSWER_BYTES))
        .with_state(Arc::clone(&shared));
    let task = tokio::spawn(async move {
        // Only fails if accepting fails for good; the instance then times out or exits.
        let _ = axum::serve(listener, app).await;
    });
    Ok(RuntimeApi {
        addr,
        shared,
        invocations: invocations_tx,
        events: events_rx,
        task,
    })
}

// GET /v1/runtime/invocation/request
async fn next_invocation(State(shared): State<Arc<Shared>>) -> Response {
    if !shared.initialised.swap(true, Ordering::SeqCst) {
        let _ = shared.events.send(RuntimeEvent::Ready);
    }
    let invocation = shared.invocations.lock().await.recv().await;
    let Some(invocation) = invocation else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the instance is stopping").into_response();
    };
    shared
        .calls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .current = Some(invocation.request_id.clone());
    let request_id = HeaderValue::from_str(&invocation.request_id)
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    let empty = HeaderValue::from_static("");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("x-cff-request-id"),
                request_id,
            ),
            (
                header::HeaderName::from_static("x-cff-invoke-type"),
                HeaderValue::from_static("sync"),
            ),
            // fgref has no agencies, so the credential headers are present but empty.
            (
                header::HeaderName::from_static("x-cff-access-key"),
                empty.clone(),
            ),
            (
                header::HeaderName::from_static("x-cff-secret-key"),
                empty.clone(),
            ),
            (
                header::HeaderName::from_static("x-cff-auth-token"),
                empty.clone(),
            ),
            (
                header::HeaderName::from_static("x-cff-security-token"),
                empty,
            ),
        ],
        invocation.event,
    )
        .into_response()
}

// POST /v1/runtime/invocation/response/{request_id}
async fn invocation_response(
    State(shared): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> Response {
    answer(&shared, request_id, true, body)
}

// POST /v1/runtime/invocation/error/{request_id}
async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> Response {
    answer(&shared, request_id, false, body)
}

fn answer(shared: &Shared, request_id: String, ok: bool, body: Bytes) -> Response {
    {
        let mut calls = shared.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if calls.current.as_deref() != Some(request_id.as_str()) {
            return if calls.answered.contains(&request_id) {
                (
                    StatusCode::CONFLICT,
                    format!("request {request_id} already has a result"),
                )
                    .into_response()
            } else {
                (
                    StatusCode::NOT_FOUND,
                    format!("no request {request_id} is in flight on this instance"),
                )
                    .into_response()
            };
        }
        calls.current = None;
        if calls.answered.len() == REMEMBERED_ANSWERS {
            calls.answered.pop_front();
        }
        calls.answered.push_back(request_id.clone());
    }
    let answer = shared.measure(body);
    let _ = shared.events.send(RuntimeEvent::Answer {
        request_id,
        ok,
        answer,
    });
    StatusCode::OK.into_response()
}

// POST /v1/runtime/init/error
async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if shared.initialised.swap(true, Ordering::SeqCst) {
        return (
            StatusCode::CONFLICT,
            "this instance is already initialised; report call failures to invocation/error/{request_id}",
        )
            .into_response();
    }
    let answer = shared.measure(body);
    let _ = shared.events.send(RuntimeEvent::InitError(answer));
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn client() -> reqwest::Client {
        crate::http::plain_client_builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn answers_are_matched_to_the_call_in_flight() {
        let (logs, _output) = LogCapture::new().unwrap();
        let mut api = start(logs).await.unwrap();
        let base = format!("http://{}/v1/runtime", api.addr);
        let poll = tokio::spawn({
            let url = format!("{base}/invocation/request");
            async move { client().get(url).send().await.unwrap() }
        });
        assert!(matches!(api.events.recv().await, Some(RuntimeEvent::Ready)));
        api.invocations
            .send(Invocation {
                request_id: "r1".into(),
                event: Bytes::from_static(b"{\"k\":1}"),
            })
            .await
            .unwrap();
        let event = poll.await.unwrap();
        assert_eq!(event.headers()["x-cff-request-id"], "r1");
        assert_eq!(event.headers()["x-cff-invoke-type"], "sync");
        assert_eq!(event.headers()["x-cff-access-key"], "");
        assert_eq!(event.text().await.unwrap(), "{\"k\":1}");

        let post = |path: &str| client().post(format!("{base}/{path}")).body("out").send();
        assert_eq!(post("invocation/response/r0").await.unwrap().status(), 404);
        assert_eq!(post("invocation/response/r1").await.unwrap().status(), 200);
        match api.events.recv().await {
            Some(RuntimeEvent::Answer {
                request_id,
                ok,
                answer,
            }) => {
                assert_eq!((request_id.as_str(), ok), ("r1", true));
                assert_eq!(&answer.body[..], b"out");
            }
            _ => panic!("expected the answer to r1"),
        }
        assert_eq!(post("invocation/error/r1").await.unwrap().status(), 409);
        assert_eq!(post("init/error").await.unwrap().status(), 409);
        api.task.abort();
    }
}
