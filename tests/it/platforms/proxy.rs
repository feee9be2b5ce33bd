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
mod function_faults;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bills in 100 ms units, as FunctionGraph did years ago.
    BillingRoundedTo100Ms,
    /// Leaves out `X-CFF-Billing-Duration`.
    NoBillingHeader,
    /// Reports no memory used.
    MemoryUsedZero,
    /// The log without the `Start invoke request` / `Finish invoke request` lines.
    NoPlatformLogLines,
    /// Returns the log even when the caller did not ask for the tail.
    LogWithoutAsking,
    /// `X-Cff-Function-Log` as plain text instead of base64.
    LogHeaderNotBase64,
    /// Puts the previous call's log in front of this call's.
    LogOfPreviousCall,
    /// Runs functions with ten times their configured timeout.
    TimeoutNotEnforced,
    /// Runs functions with four times their memory_size (and reports the configured size).
    MemoryNotEnforced,
    /// Accepts bodies over 6 MB (it passes the function `{}` instead).
    OversizedBodyAccepted,
    /// Accepts a body that is not JSON (passes it on as a JSON string).
    NonJsonAccepted,
    /// Answers every FSS.1xxx validation error as a generic FSS.0400.
    GenericErrorCodes,
    /// CreateFunction with an existing name replaces the function.
    DuplicateReplaces,
    /// DeleteFunction answers 204 but keeps the function.
    DeleteKeepsFunction,
    /// One call at a time per function: concurrent calls queue for the one warm instance.
    ConcurrentCallsShareAnInstance,
    /// Never recycles idle instances (fgref's idle time is an hour behind the proxy).
    IdleNeverRecycled,
    /// Leaves out `X-Cff-Invoke-Summary`.
    NoSummary,
    /// A flaky platform: the first invoke answer of the proxy's life carries a wrong result
    /// (`"the first answer is wrong"`); every later one is right (`selftest::retries`).
    FirstInvokeWrong,
    /// Runs initializers with twice their `initializer_timeout` (and reports the configured one).
    InitializerTimeoutDoubled,
    /// Clamps CreateFunction's documented boundaries instead of taking them as given: timeout 3
    /// becomes 4, memory_size 1536 becomes 2048, user_data keeps 19 entries, values of 1 KB or
    /// more are cut to 1000 characters.
    BoundariesClamped,
    /// DeleteFunction answers 200 with `{}` instead of 204 (and deletes).
    DeleteAnswers200,
    /// CreateFunction's answer gives `code_size` one byte off and `digest` of an empty package.
    CreateAnswerMisdescribesCode,
    /// The function model's `cpu` in cores (1), not millicores.
    CpuInCores,
    /// CreateFunction's answer leaves out what the request set: empty `user_data`, no
    /// initializer, the default `timeout`.
    CreateAnswerForgetsConfiguration,
    /// Takes any `pre_stop_handler`, `pre_stop_timeout` and `encrypted_user_data` (it drops them).
    OptionalFieldsUnchecked,
    /// Gives an initializer without `initializer_timeout` one of 3 s instead of refusing it.
    InitializerTimeoutDefaulted,
    /// Takes calls without credentials as if they carried them.
    CredentialsNotChecked,
    /// Answers every synchronous call with the v1 body, whatever `X-CFF-Request-Version` asks.
    AnswerAlwaysV1,
    /// Leaves out `X-Cff-Response-Version`.
    ResponseVersionMissing,
    /// The v1 body's `status` as a string (`"200"`), not an integer.
    BodyStatusAsText,
    /// ListFunctions ignores `package_name`: its page also holds a function of another package.
    ListFunctionsIgnorePackage,
    /// ListFunctions' page has no `count`.
    ListFunctionsWithoutCount,
    /// ListFunctions takes a negative `maxitems` as 0 (400 functions) instead of refusing it.
    NegativeMaxitemsAccepted,
    /// A result over the response limit comes back as an empty success instead of failing.
    OversizedResultEmptied,
    /// Accepts asynchronous invocations with 200 instead of 202.
    AsyncAnsweredOk,
    /// Accepts asynchronous invocations with an empty `request_id`.
    AsyncRequestIdEmpty,
    /// Lists every failed asynchronous call as SUCCESS.
    AsyncFailureListedAsSuccess,
    /// Lists asynchronous calls with `error_code` as a string and times with milliseconds and a
    /// zone (`2026-01-02T03:04:05.000Z`).
    AsyncRecordsOfAnotherShape,
    /// Refuses asynchronous invocations over 64 KiB (413 FSS.0413).
    AsyncBodyLimit64Kb,
    /// Accepts asynchronous invocations over 256 KiB (it queues `{}` instead).
    AsyncOversizedBodyAccepted,
    /// Answers an asynchronous invocation only once the call has ended.
    AsyncAnsweredWhenTheCallEnds,
    /// Not broken: asynchronous calls as the documents also allow. The 202 names the request in
    /// camel case too (an older edition of the page says both are answered), records are listed
    /// newest first (no order is documented), a failed call's `error_code` is 1 and its
    /// `error_message` "failed" (neither is documented), a body over 256 KiB is refused with 400
    /// `FSS.0400` (the page's status list has no 413), and a body `{"body": …}` is unwrapped
    /// (the reference's example wraps the event so, without saying whether it must).
    AsyncOtherAllowedChoices,
    /// Not broken: answers 400, a status the pages' own lists give, where the error-code table
    /// pairs FSS.0406 with 406 and FSS.1061 with 409 (CONTRADICTIONS.md #21).
    StatusesFromThePagesLists,
    /// Runs every asynchronous call with the event `{}`, not the request's body.
    AsyncEventDropped,
    /// Lists asynchronous calls of every status, whatever `status` asks for.
    AsyncStatusFilterIgnored,
    /// Lists every asynchronous call, whatever `limit` asks for.
    AsyncLimitIgnored,
    /// Not broken: the v1 body has no `log` field at all when the caller did not ask for the
    /// tail ("no log is returned").
    NoLogFieldUnasked,
}

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
    if create {
        body = function_faults::rewrite_create(fault, body);
        if fault == Fault::DuplicateReplaces
            && let Ok(model) = serde_json::from_slice::<Value>(&body)
        {
            let urn = format!(
                "urn:fss:fgref:{}:function:{}:{}:latest",
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
    if parts.method == Method::DELETE && fault == Fault::DeleteKeepsFunction {
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
    let mut status = status;
    if fault == Fault::StatusesFromThePagesLists
        && matches!(status, StatusCode::NOT_ACCEPTABLE | StatusCode::CONFLICT)
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
    if parts.method == Method::DELETE && fault == Fault::DeleteAnswers200 && status.is_success() {
        status = StatusCode::OK;
        body = Bytes::from_static(b"{}");
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
