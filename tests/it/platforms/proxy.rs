//! The faulty proxy the broken platforms put in front of a correct fgref: each [`Fault`] is one
//! platform behaviour it gets wrong, by rewriting requests and answers (or fgref's settings).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use libtest_mimic::Failed;
use serde_json::{Value, json};

/// The idle time the proxy's descriptor declares (and a correct fgref behind it keeps). A warm
/// step must reach the instance within it: at 2 s, a loaded `cargo test` once let a case's warm
/// step arrive after its instance was recycled.
pub const IDLE_SECONDS: u64 = 4;

/// The invoke allowances of the proxy's descriptor: a 6 MB answer through a debug-built proxy and
/// fgref on a loaded `cargo test` once took longer than the 10 s a local target gets. No broken
/// platform's failure rests on the harness giving up, so a longer wait costs only a hang's time.
pub const INVOKE_TIMEOUTS: &str = "[timeouts]\ncold_invoke = 40\nwarm_invoke = 40\n";

/// The token the proxy's fgref takes, as FunctionGraph takes only credentialed calls: a target
/// descriptor for the proxy names it with `token_env = "{TOKEN_ENV}"`, fgconform's environment
/// carries it.
pub const TOKEN: &str = "fgconform-proxy-token";
pub const TOKEN_ENV: &str = "FGCONFORM_PROXY_TOKEN";

mod async_faults;
mod dependency_faults;
mod fault;
mod function_faults;

pub use fault::Fault;

/// A correct fgref and the faulty proxy in front of it, on a thread of their own; both stop
/// (and fgref's instances with them) when this is dropped.
pub struct Proxy {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    pub fn start(fault: Fault) -> Result<Proxy, Failed> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<String, String>>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let tokio_runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(tokio_runtime) => tokio_runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            tokio_runtime.block_on(async move {
                let idle = if fault == Fault::IdleNeverRecycled {
                    Duration::from_secs(3600)
                } else {
                    Duration::from_secs(IDLE_SECONDS)
                };
                let config = fgref::Config {
                    idle_timeout: idle,
                    token: Some(TOKEN.to_owned()),
                    ..fgref::Config::default()
                };
                let server = match fgref::Server::start(config).await {
                    Ok(server) => server,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let state = Arc::new(ProxyState {
                    fault,
                    upstream: server.url(),
                    http: fgref::http::plain_client_builder()
                        .no_proxy()
                        .build()
                        .expect("reqwest client"),
                    last_log: Mutex::default(),
                    one_at_a_time: tokio::sync::Mutex::default(),
                    answered: AtomicBool::new(false),
                });
                let app = axum::Router::new()
                    .fallback(forward)
                    .with_state(state)
                    .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024));
                let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let url = format!("http://{}", listener.local_addr().expect("local addr"));
                let _ = ready_tx.send(Ok(url));
                // Bounded: a proxy nobody stops goes away by itself.
                let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
                let _ = tokio::time::timeout(Duration::from_secs(600), serve).await;
                server.shutdown().await;
            });
        });
        let url = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|e| format!("the proxy did not start: {e}"))??;
        Ok(Proxy {
            url,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct ProxyState {
    fault: Fault,
    upstream: String,
    http: reqwest::Client,
    /// The last log answered per function URN path, for [`Fault::LogOfPreviousCall`].
    last_log: Mutex<HashMap<String, String>>,
    one_at_a_time: tokio::sync::Mutex<()>,
    /// Whether an invoke was answered yet, for [`Fault::FirstInvokeWrong`].
    answered: AtomicBool,
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let invoke = path.ends_with("/invocations");
    let invoke_async = path.ends_with("/invocations-async");
    let list_async = path.contains("/async-invocations");
    if list_async {
        path = async_faults::rewrite_list_query(state.fault, &path);
    }
    let create = parts.method == Method::POST && path.ends_with("/fgs/functions");
    let list_functions =
        parts.method == Method::GET && parts.uri.path().ends_with("/fgs/functions");
    if list_functions {
        path = function_faults::rewrite_list_query(state.fault, &path);
    }
    path = function_faults::rewrite_delete_path(state.fault, &parts.method, path);
    let mut headers = parts.headers.clone();
    let mut body = body;
    let fault = state.fault;

    if invoke && fault == Fault::LogWithoutAsking {
        headers.insert("x-cff-log-type", HeaderValue::from_static("tail"));
    }
    if fault == Fault::CredentialsNotChecked && !headers.contains_key("x-auth-token") {
        headers.insert("x-auth-token", HeaderValue::from_static(TOKEN));
    }
    if invoke && fault == Fault::AnswerAlwaysV1 {
        headers.insert("x-cff-request-version", HeaderValue::from_static("v1"));
    }
    if invoke && fault == Fault::OversizedBodyAccepted && body.len() > 6 * 1024 * 1024 {
        body = Bytes::from_static(b"{}");
    }
    if invoke_async
        && fault == Fault::AsyncOtherAllowedChoices
        && let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body)
        && let Some(inner) = request.get("body").filter(|_| request.len() == 1)
    {
        body = Bytes::from(inner.to_string());
    }
    // Within the limit only: a platform that drops events still refuses an oversized body.
    if invoke_async && fault == Fault::AsyncEventDropped && body.len() <= 256 * 1024 {
        body = Bytes::from_static(b"{}");
    }
    if invoke_async && fault == Fault::AsyncOversizedBodyAccepted && body.len() > 256 * 1024 {
        body = Bytes::from_static(b"{}");
    }
    let refused = match fault {
        Fault::AsyncOtherAllowedChoices => Some((256, StatusCode::BAD_REQUEST, "FSS.0400")),
        Fault::AsyncBodyLimit64Kb => Some((64, StatusCode::PAYLOAD_TOO_LARGE, "FSS.0413")),
        _ => None,
    };
    if let Some((kib, status, code)) = refused
        && invoke_async
        && body.len() > kib * 1024
    {
        let error = json!({"error_code": code, "error_msg": format!("the body is over {kib} KiB")});
        return Response::builder()
            .status(status)
            .body(Body::from(error.to_string()))
            .unwrap_or_default();
    }
    if invoke
        && fault == Fault::NonJsonAccepted
        && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
    {
        let text = String::from_utf8_lossy(&body).into_owned();
        body = Bytes::from(serde_json::to_vec(&text).unwrap_or_default());
    }
    let create_dependency = dependency_faults::is_create(&parts.method, &path);
    body = dependency_faults::rewrite_create(fault, create_dependency, body);
    if create {
        body = function_faults::rewrite_create(fault, body);
        if fault == Fault::DuplicateReplaces
            && let Ok(model) = serde_json::from_slice::<Value>(&body)
        {
            let urn = format!(
                "urn:fss:fgref:{}:function:{}:{}",
                path.split('/').nth(2).unwrap_or_default(),
                model["package"].as_str().unwrap_or_default(),
                model["func_name"].as_str().unwrap_or_default()
            );
            let url = format!("{}{path}/{}", state.upstream, urn.replace(':', "%3A"));
            let mut delete = state.http.delete(url);
            if let Some(token) = headers.get("x-auth-token") {
                delete = delete.header("x-auth-token", token);
            }
            let _ = delete.send().await;
        }
    }
    if parts.method == Method::DELETE
        && fault == Fault::DeleteKeepsFunction
        && !path.contains("/fgs/dependencies/")
    {
        return Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::empty())
            .unwrap_or_default();
    }

    let _serial = if invoke && fault == Fault::ConcurrentCallsShareAnInstance {
        Some(state.one_at_a_time.lock().await)
    } else {
        None
    };
    headers.remove(axum::http::header::HOST);
    headers.remove(axum::http::header::CONTENT_LENGTH);
    let upstream = state
        .http
        .request(parts.method.clone(), format!("{}{path}", state.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(format!("proxy: {e}")))
                .unwrap_or_default();
        }
    };
    let status = upstream.status();
    let mut headers = upstream.headers().clone();
    let mut body = upstream.bytes().await.unwrap_or_default();
    if invoke && status == StatusCode::OK {
        rewrite_invoke(&state, &path, &mut headers, &mut body);
    }
    if invoke && fault == Fault::ResponseVersionMissing {
        headers.remove("x-cff-response-version");
    }
    if invoke
        && fault == Fault::BodyStatusAsText
        && let Ok(mut answer) = serde_json::from_slice::<Value>(&body)
        && let Some(status) = answer.get("status").and_then(Value::as_i64)
    {
        answer["status"] = json!(status.to_string());
        body = Bytes::from(answer.to_string());
    }
    let asked_for_log = parts
        .headers
        .get("x-cff-log-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"tail"));
    if invoke
        && fault == Fault::NoLogFieldUnasked
        && !asked_for_log
        && let Ok(mut answer) = serde_json::from_slice::<Value>(&body)
        && let Some(fields) = answer.as_object_mut()
    {
        fields.remove("log");
        body = Bytes::from(answer.to_string());
    }
    if fault == Fault::GenericErrorCodes
        && !status.is_success()
        && let Ok(mut error) = serde_json::from_slice::<Value>(&body)
        && error["error_code"]
            .as_str()
            .is_some_and(|code| code.starts_with("FSS.1"))
    {
        error["error_code"] = json!("FSS.0400");
        body = Bytes::from(error.to_string());
    }
    if create && status.is_success() {
        body = function_faults::rewrite_create_answer(fault, body);
    }
    if list_functions && status.is_success() {
        body = function_faults::rewrite_function_list(fault, body);
    }
    if create_dependency && status.is_success() {
        body = dependency_faults::rewrite_create_answer(fault, body);
    }
    let (mut status, mut body) = if parts.method == Method::DELETE {
        dependency_faults::rewrite_delete_answer(fault, &path, status, body)
    } else {
        (status, body)
    };
    if fault == Fault::StatusesFromThePagesLists
        && (matches!(status, StatusCode::NOT_ACCEPTABLE | StatusCode::CONFLICT)
            || (create && status == StatusCode::PAYLOAD_TOO_LARGE))
    {
        status = StatusCode::BAD_REQUEST;
    }
    if invoke_async && status == StatusCode::ACCEPTED {
        match fault {
            Fault::AsyncAnsweredOk => status = StatusCode::OK,
            Fault::AsyncRequestIdEmpty => body = Bytes::from_static(br#"{"request_id":""}"#),
            Fault::AsyncOtherAllowedChoices => {
                if let Ok(mut answer) = serde_json::from_slice::<Value>(&body) {
                    answer["requestId"] = answer["request_id"].clone();
                    body = Bytes::from(answer.to_string());
                }
            }
            _ => {}
        }
    }
    if invoke_async
        && status == StatusCode::ACCEPTED
        && fault == Fault::AsyncAnsweredWhenTheCallEnds
    {
        async_faults::wait_for_async_end(&state, &path, &parts.headers, &body).await;
    }
    if list_async && status.is_success() {
        async_faults::rewrite_async_records(fault, &mut body);
    }
    headers.remove(axum::http::header::CONTENT_LENGTH);
    headers.remove(axum::http::header::TRANSFER_ENCODING);
    let mut response = Response::builder().status(status);
    if let Some(h) = response.headers_mut() {
        *h = headers;
    }
    response.body(Body::from(body)).unwrap_or_default()
}

fn rewrite_invoke(state: &ProxyState, path: &str, headers: &mut HeaderMap, body: &mut Bytes) {
    let summary_header = HeaderName::from_static("x-cff-invoke-summary");
    let billing_header = HeaderName::from_static("x-cff-billing-duration");
    let log_header = HeaderName::from_static("x-cff-function-log");
    let mut v1: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let set = |headers: &mut HeaderMap, name: &HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name.clone(), value);
        }
    };
    let summary: Option<Value> = headers
        .get(&summary_header)
        .and_then(|v| serde_json::from_slice(v.as_bytes()).ok());
    let decoded_log = headers
        .get(&log_header)
        .and_then(|v| BASE64.decode(v.as_bytes()).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    match state.fault {
        Fault::BillingRoundedTo100Ms => {
            if let Some(mut summary) = summary {
                let duration = summary["duration"].as_f64().unwrap_or(0.0);
                let billed = ((duration / 100.0).ceil() * 100.0).max(100.0) as u64;
                summary["billingDuration"] = json!(billed);
                set(headers, &summary_header, summary.to_string());
                set(headers, &billing_header, billed.to_string());
            }
        }
        Fault::NoBillingHeader => {
            headers.remove(&billing_header);
        }
        Fault::NoSummary => {
            headers.remove(&summary_header);
        }
        Fault::MemoryUsedZero => {
            if let Some(mut summary) = summary {
                summary["memoryUsed"] = json!(0);
                set(headers, &summary_header, summary.to_string());
            }
        }
        Fault::MemoryNotEnforced => {
            if let Some(mut summary) = summary
                && let Some(m) = summary["memorySize"].as_u64()
            {
                summary["memorySize"] = json!((m / 4).max(128));
                set(headers, &summary_header, summary.to_string());
            }
        }
        Fault::NoPlatformLogLines => {
            let strip = |log: &str| {
                log.lines()
                    .filter(|line| {
                        !line.contains("Start invoke request")
                            && !line.contains("Finish invoke request")
                    })
                    .map(|line| format!("{line}\n"))
                    .collect::<String>()
            };
            if let Some(log) = v1["log"].as_str() {
                v1["log"] = json!(strip(log));
            }
            if let Some(log) = &decoded_log {
                set(headers, &log_header, BASE64.encode(strip(log)));
            }
        }
        Fault::LogHeaderNotBase64 => {
            if let Some(log) = &decoded_log {
                let plain: String = log
                    .chars()
                    .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
                    .collect();
                set(headers, &log_header, plain);
            }
        }
        Fault::OversizedResultEmptied => {
            if !v1["result"]
                .as_str()
                .is_some_and(|r| r.contains("exceeds the limit"))
            {
                return;
            }
            headers.remove("x-is-func-err");
            headers.remove("x-func-err-code");
            v1["result"] = json!("");
            v1["status"] = json!(200);
        }
        Fault::FirstInvokeWrong => {
            if state.answered.swap(true, Ordering::SeqCst) {
                return;
            }
            v1["result"] = json!("\"the first answer is wrong\"");
        }
        Fault::LogOfPreviousCall => {
            let current = v1["log"].as_str().unwrap_or_default().to_owned();
            let mut last = state.last_log.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(previous) = last.insert(path.to_owned(), current.clone())
                && !current.is_empty()
            {
                v1["log"] = json!(format!("{previous}{current}"));
            }
        }
        _ => return,
    }
    if !v1.is_null() {
        *body = Bytes::from(v1.to_string());
    }
}
