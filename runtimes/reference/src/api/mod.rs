//! The platform API (PROTOCOL.md §1–§4, §6): the router, its body limits, and the gate every
//! call passes before its route.

mod async_invocations;
mod dependencies;
mod extract;
mod functions;
mod invocations;
#[cfg(test)]
mod tests;
mod validate;
mod validate_dependency;

use std::{sync::Arc, time::SystemTime};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};

pub use invocations::NODE_VERSION_HEADER;

use crate::{
    auth::{self, Admission},
    error::FssError,
    platform::Platform,
};

/// FunctionGraph's synchronous request limit (6 MB).
const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;
/// FunctionGraph's asynchronous request limit: "The request body of an asynchronous invocation
/// may carry up to 256 KB" (OTC notes and constraints, Table 3).
const MAX_ASYNC_EVENT_BYTES: usize = 256 * 1024;
/// Room for the base64 text of a package at FunctionGraph's 50 MB zip limit (a dependency's is
/// 40 MB), and 1 MB for the JSON around it: a longer body cannot hold a valid package.
const MAX_CREATE_BYTES: usize = validate::base64_len(50 * 1024 * 1024) + 1024 * 1024;
/// What any other call may carry (they have no body of their own).
const MAX_OTHER_BYTES: usize = 64 * 1024;

/// The body limit of the route `method` and `path` name, checked before any of the body is read.
fn body_limit(method: &axum::http::Method, path: &str) -> usize {
    if method != axum::http::Method::POST {
        MAX_OTHER_BYTES
    } else if path.ends_with("/invocations") {
        MAX_EVENT_BYTES
    } else if path.ends_with("/invocations-async") {
        MAX_ASYNC_EVENT_BYTES
    } else if path.ends_with("/fgs/functions") || path.ends_with("/fgs/dependencies/version") {
        MAX_CREATE_BYTES
    } else {
        MAX_OTHER_BYTES
    }
}

/// How much of a body refused by its declared length is still read (and dropped) before the
/// answer, and for how long: a client still sending when the connection closes gets a reset
/// instead of the 413, so a moderate excess is drained; more is cut off.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(3);

/// Reads and drops up to [`DRAIN_BYTES`] of `body` within [`DRAIN_TIME`], keeping none of it.
async fn drain(body: axum::body::Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut read = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while read <= DRAIN_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
    })
    .await;
}

/// A body over `limit`: 413 `FSS.0413`, as the routes' own limits answer.
fn too_large(limit: usize) -> Response {
    FssError::TooLarge(format!(
        "request body too large: this call may carry at most {limit} bytes"
    ))
    .into_response()
}

pub(crate) fn router(platform: Arc<Platform>) -> Router {
    Router::new()
        .route(
            "/v2/{project_id}/fgs/functions",
            post(functions::create_function)
                .layer(DefaultBodyLimit::max(MAX_CREATE_BYTES))
                .get(functions::list_functions),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/config",
            get(functions::get_function_config),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}",
            axum::routing::delete(functions::delete_function),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/config-max-instance",
            axum::routing::put(functions::update_max_instance_config),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/invocations",
            post(invocations::invoke_function).layer(DefaultBodyLimit::max(MAX_EVENT_BYTES)),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/invocations-async",
            post(async_invocations::async_invoke_function)
                .layer(DefaultBodyLimit::max(MAX_ASYNC_EVENT_BYTES)),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/async-invocations",
            get(async_invocations::list_async_invocations),
        )
        .route(
            "/v2/{project_id}/fgs/dependencies",
            get(dependencies::list_dependencies),
        )
        .route(
            "/v2/{project_id}/fgs/dependencies/version",
            post(dependencies::create_dependency_version)
                .layer(DefaultBodyLimit::max(MAX_CREATE_BYTES)),
        )
        .route(
            "/v2/{project_id}/fgs/dependencies/{depend_id}/version",
            get(dependencies::list_dependency_versions),
        )
        .route(
            "/v2/{project_id}/fgs/dependencies/{depend_id}/version/{version}",
            get(dependencies::show_dependency_version)
                .delete(dependencies::delete_dependency_version),
        )
        .fallback(|| async { FssError::NoSuchRoute })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&platform),
            authenticate,
        ))
        .with_state(platform)
}

/// Admits a call by its token, or by its signature, which covers the body (PROTOCOL.md §1).
async fn authenticate(
    State(platform): State<Arc<Platform>>,
    request: Request,
    next: Next,
) -> Response {
    // Refused by its declared length before anything is read or the caller is known.
    let limit = body_limit(request.method(), request.uri().path());
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        drain(request.into_body()).await;
        return too_large(limit);
    }
    let key = match platform.gate.admit(request.headers()) {
        Admission::Accept => return next.run(request).await,
        Admission::Refuse(refusal) => return FssError::from(refusal).into_response(),
        Admission::CheckSignature(key) => key,
    };
    // The signature covers the body, so it is read here, within the route's own limit.
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(e) => {
            let e = e.into_inner();
            if e.is::<http_body_util::LengthLimitError>() {
                return too_large(limit);
            }
            return FssError::BadRequest(format!("failed to read the request body: {e}"))
                .into_response();
        }
    };
    let verified = auth::verify_signature(
        &key,
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &body,
        SystemTime::now(),
    );
    if let Err(refusal) = verified {
        return FssError::from(refusal).into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(body)))
        .await
}
