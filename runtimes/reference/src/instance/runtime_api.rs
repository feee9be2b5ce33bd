//! The custom runtime API one instance's language runtime talks to (PROTOCOL.md §5), served on
//! its own 127.0.0.1 port in the instance's network.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{
        Arc, Mutex, OnceLock, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, Path, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use http_body_util::BodyExt;
use tokio::{net::TcpListener, sync::mpsc, task::JoinHandle};

use super::{logs::LogCapture, memory::peak_rss_kb};

/// FunctionGraph's synchronous response limit (6 MB, research notes §5.3), the figure our
/// Node.js runtime enforces too (`MAX_RESULT_BYTES` in runtime.js). A result or error payload
/// past it fails the call, whichever runtime sent it.
pub(crate) const MAX_RESULT_BYTES: usize = 6 * 1024 * 1024;

/// For `init/error`, whose body is only a message.
const MAX_INIT_ERROR_BYTES: usize = 1024 * 1024;

/// How long the runtime or an extension may take to send a request's headers (**fgref**).
const RUNTIME_API_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Connections to one instance's runtime and extension API at once: its runtime and its
/// extensions need a few (**fgref**).
const RUNTIME_API_CONNECTIONS: usize = 64;

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
    /// The runtime's first request to any route of the runtime API: it is up, and its
    /// initialisation limit counts from `at`.
    Up { at: Instant },
    /// The first `GET .../invocation/request`: initialisation succeeded.
    Ready,
    /// A `GET .../invocation/request` took the call's event: its timeout counts from `at`.
    Taken { request_id: String, at: Instant },
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
    /// The body's real size when it was over [`MAX_RESULT_BYTES`]; `body` is then empty.
    pub oversized: Option<u64>,
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
    up: AtomicBool,
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
            oversized: None,
            at: Instant::now(),
            log: self.logs.cut(),
            peak_kb: self.pid.get().and_then(|pid| peak_rss_kb(*pid)),
        }
    }
}

/// Serves the runtime API for one instance on `listener`, with `beside` (the extension API)
/// on the same address.
pub(crate) fn start(
    logs: Arc<LogCapture>,
    listener: TcpListener,
    beside: Router,
) -> std::io::Result<RuntimeApi> {
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
        up: AtomicBool::new(false),
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
        .route("/v1/runtime/init/start", post(init_start))
        .route(
            "/v1/runtime/init/error",
            post(init_error).layer(DefaultBodyLimit::max(MAX_INIT_ERROR_BYTES)),
        )
        // The runtime's routes only: the extension API beside them is the extensions' to call.
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            first_request,
        ))
        .with_state(Arc::clone(&shared))
        .merge(beside);
    let task = tokio::spawn(async move {
        // Function code can reach this server too: the same bounds as the platform API's.
        let bounds = crate::serve::Bounds {
            header_read_timeout: RUNTIME_API_HEADER_TIMEOUT,
            max_connections: RUNTIME_API_CONNECTIONS,
        };
        crate::serve::serve(listener, app, bounds, std::future::pending()).await;
    });
    Ok(RuntimeApi {
        addr,
        shared,
        invocations: invocations_tx,
        events: events_rx,
        task,
    })
}

/// Tells the platform the runtime is up when it makes its first request, whichever route: the
/// moment the platform itself sees, so node's start-up, however long a busy machine makes it,
/// is outside the initialisation limit by construction.
async fn first_request(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    if !shared.up.swap(true, Ordering::SeqCst) {
        let _ = shared.events.send(RuntimeEvent::Up { at: Instant::now() });
    }
    next.run(request).await
}

// POST /v1/runtime/init/start
async fn init_start(State(shared): State<Arc<Shared>>) -> Response {
    if shared.initialised.load(Ordering::SeqCst) {
        return (StatusCode::CONFLICT, "this instance is already initialised").into_response();
    }
    StatusCode::OK.into_response()
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
    let _ = shared.events.send(RuntimeEvent::Taken {
        request_id: invocation.request_id.clone(),
        at: Instant::now(),
    });
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
    body: Body,
) -> Response {
    answer(&shared, request_id, true, body).await
}

// POST /v1/runtime/invocation/error/{request_id}
async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    body: Body,
) -> Response {
    answer(&shared, request_id, false, body).await
}

/// Reads `body`, keeping at most `limit` bytes but counting all of them, so an oversized
/// answer is reported with its real size without the platform holding it.
async fn read_bounded(mut body: Body, limit: usize) -> Result<(Bytes, u64), axum::Error> {
    let mut kept = Vec::new();
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        total += data.len() as u64;
        if total <= limit as u64 {
            kept.extend_from_slice(&data);
        } else if !kept.is_empty() {
            kept = Vec::new();
        }
    }
    Ok((Bytes::from(kept), total))
}

async fn answer(shared: &Shared, request_id: String, ok: bool, body: Body) -> Response {
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
    let (body, size) = match read_bounded(body, MAX_RESULT_BYTES).await {
        Ok(read) => read,
        // The call stays claimed: the runtime that broke off its own answer is failing, and
        // the platform sees it exit or time out.
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("failed to read the answer body: {e}"),
            )
                .into_response();
        }
    };
    let mut answer = shared.measure(body);
    if size > MAX_RESULT_BYTES as u64 {
        answer.oversized = Some(size);
    }
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
    use std::net::Ipv4Addr;

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
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let mut api = start(logs, listener, Router::new()).unwrap();
        let base = format!("http://{}/v1/runtime", api.addr);
        let poll = tokio::spawn({
            let url = format!("{base}/invocation/request");
            async move { client().get(url).send().await.unwrap() }
        });
        assert!(matches!(
            api.events.recv().await,
            Some(RuntimeEvent::Up { .. })
        ));
        assert!(matches!(api.events.recv().await, Some(RuntimeEvent::Ready)));
        api.invocations
            .send(Invocation {
                request_id: "r1".into(),
                event: Bytes::from_static(b"{\"k\":1}"),
            })
            .await
            .unwrap();
        let event = poll.await.unwrap();
        assert!(
            matches!(api.events.recv().await, Some(RuntimeEvent::Taken { request_id, .. }) if request_id == "r1")
        );
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
        assert_eq!(post("init/start").await.unwrap().status(), 409);
        api.task.abort();
    }

    #[tokio::test]
    async fn answers_over_the_response_limit_are_measured_not_kept() {
        let (logs, _output) = LogCapture::new().unwrap();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let mut api = start(logs, listener, Router::new()).unwrap();
        let base = format!("http://{}/v1/runtime", api.addr);
        for (id, size) in [("at", MAX_RESULT_BYTES), ("over", MAX_RESULT_BYTES + 1)] {
            let poll = tokio::spawn(client().get(format!("{base}/invocation/request")).send());
            if id == "at" {
                assert!(matches!(
                    api.events.recv().await,
                    Some(RuntimeEvent::Up { .. })
                ));
                assert!(matches!(api.events.recv().await, Some(RuntimeEvent::Ready)));
            }
            api.invocations
                .send(Invocation {
                    request_id: id.into(),
                    event: Bytes::from_static(b"{}"),
                })
                .await
                .unwrap();
            poll.await.unwrap().unwrap();
            assert!(matches!(
                api.events.recv().await,
                Some(RuntimeEvent::Taken { .. })
            ));
            let posted = client()
                .post(format!("{base}/invocation/response/{id}"))
                .body(vec![b'x'; size])
                .send()
                .await
                .unwrap();
            assert_eq!(posted.status(), 200);
            let Some(RuntimeEvent::Answer { answer, .. }) = api.events.recv().await else {
                panic!("expected the answer to {id}");
            };
            if size > MAX_RESULT_BYTES {
                assert_eq!(answer.oversized, Some(size as u64));
                assert!(answer.body.is_empty());
            } else {
                assert_eq!(answer.oversized, None);
                assert_eq!(answer.body.len(), size);
            }
        }
        api.task.abort();
    }

    #[tokio::test]
    async fn the_runtimes_first_request_says_it_is_up_and_the_extension_api_does_not() {
        let (logs, _output) = LogCapture::new().unwrap();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let beside = Router::new().route("/extension/register", post(|| async { "registered" }));
        let mut api = start(logs, listener, beside).unwrap();
        let base = format!("http://{}", api.addr);
        let before = Instant::now();
        let register = client().post(format!("{base}/extension/register")).send();
        assert_eq!(register.await.unwrap().status(), 200);
        assert!(
            api.events.try_recv().is_err(),
            "an extension is not the runtime"
        );
        let start = client()
            .post(format!("{base}/v1/runtime/init/start"))
            .send();
        assert_eq!(start.await.unwrap().status(), 200);
        match api.events.recv().await {
            Some(RuntimeEvent::Up { at }) => assert!(at >= before),
            _ => panic!("expected the runtime to be up"),
        }
        let start = client()
            .post(format!("{base}/v1/runtime/init/start"))
            .send();
        assert_eq!(start.await.unwrap().status(), 200, "not initialised yet");
        assert!(api.events.try_recv().is_err(), "up once");
        api.task.abort();
    }
}
