//! The invoke route: InvokeFunction, and its answer with FunctionGraph's headers and log tails.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, State,
        rejection::{BytesRejection, PathRejection},
    },
    http::{HeaderMap, HeaderName, HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};

use super::extract::{body_error, check_event, lookup, path_error};
use crate::{
    call_log,
    error::FssError,
    invoke::{self, Completed},
    messages::InvokeResponseV1,
    platform::Platform,
};

/// The header fgref answers every invoke with: the Node.js release that ran the call (e.g.
/// `20.15.1`), fgref's own addition to FunctionGraph's headers.
pub const NODE_VERSION_HEADER: &str = "X-Fgref-Node-Version";

/// The body `log` and the `X-Cff-Function-Log` header carry different tails (PROTOCOL.md §4).
const BODY_LOG_BYTES: usize = 4096;
const HEADER_LOG_BYTES: usize = 2000;

pub(super) async fn invoke_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    let event = body.map_err(body_error)?;
    check_event(&event)?;
    let header_is = |name: &str, value: &str| {
        headers
            .get(name)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
    };
    let v1 = header_is("x-cff-request-version", "v1");
    let with_log = header_is("x-cff-log-type", "tail");
    // A task of its own, so a client that hangs up does not abandon the instance mid-call.
    let request_id = uuid::Uuid::new_v4().to_string();
    let call = tokio::spawn(invoke::invoke(
        Arc::clone(&platform),
        function,
        event,
        request_id,
    ));
    let completed = call
        .await
        .map_err(|e| FssError::Platform(format!("the invocation failed inside fgref: {e}")))??;
    Ok(invoke_response(completed, v1, with_log))
}

fn invoke_response(completed: Completed, v1: bool, with_log: bool) -> Response {
    let Completed {
        request_id,
        result,
        failure,
        summary,
        log,
        node_version,
    } = completed;
    let mut headers = HeaderMap::new();
    let mut set = |name: &str, value: String| {
        // `from_bytes` lower-cases, so a name may be spelt as documented (NODE_VERSION_HEADER).
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    };
    set("x-cff-request-id", request_id.clone());
    set(
        "x-cff-invoke-summary",
        serde_json::to_string(&summary).unwrap_or_default(),
    );
    set(
        "x-cff-billing-duration",
        summary.billing_duration.to_string(),
    );
    set(
        "x-cff-response-version",
        if v1 { "v1" } else { "v0" }.to_owned(),
    );
    set(
        "x-func-err-code",
        failure.map_or(0, |f| f.err_code()).to_string(),
    );
    set("x-is-func-err", failure.is_some().to_string());
    set(NODE_VERSION_HEADER, node_version);
    if with_log {
        set(
            "x-cff-function-log",
            BASE64.encode(call_log::tail(&log, HEADER_LOG_BYTES)),
        );
    }
    if v1 {
        let body = InvokeResponseV1 {
            request_id,
            result: String::from_utf8_lossy(&result).into_owned(),
            log: if with_log {
                call_log::tail(&log, BODY_LOG_BYTES).to_owned()
            } else {
                String::new()
            },
            status: if failure.is_some() { 500 } else { 200 },
        };
        (headers, Json(body)).into_response()
    } else {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        (headers, result).into_response()
    }
}
