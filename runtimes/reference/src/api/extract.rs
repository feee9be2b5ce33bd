//! What the routes take from a request, as FSS errors when it is wrong: the path, the body (an
//! invoke's JSON event), and the function a URN names.

use std::sync::Arc;

use axum::{
    extract::rejection::{BytesRejection, PathRejection},
    http::StatusCode,
};

use crate::{
    error::FssError,
    platform::Platform,
    registry::{self, Function},
};

pub(super) fn body_error(rejection: BytesRejection) -> FssError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FssError::TooLarge(format!("request body too large: {}", rejection.body_text()))
    } else {
        FssError::BadRequest(format!(
            "failed to read the request body: {}",
            rejection.body_text()
        ))
    }
}

/// An invoke's body, the event, must be JSON: 406 `FSS.0406` otherwise.
pub(super) fn check_event(event: &[u8]) -> Result<(), FssError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(event)
        .map(|_| ())
        .map_err(|e| {
            FssError::NotJson(format!(
                "the invoke body must be a JSON value (the event): {e}"
            ))
        })
}

pub(super) fn path_error(rejection: PathRejection) -> FssError {
    FssError::BadRequest(format!("bad request path: {}", rejection.body_text()))
}

/// The function `urn` names in `project_id`.
pub(super) fn lookup(
    platform: &Platform,
    project_id: &str,
    urn: &str,
) -> Result<Arc<Function>, FssError> {
    let (key, version) = registry::parse_urn(urn).map_err(FssError::BadRequest)?;
    let missing = || {
        FssError::NoSuchFunction(format!(
            "function {urn} does not exist in project {project_id}; create it first (fgref knows only version {})",
            registry::VERSION
        ))
    };
    if key.project_id != project_id || version.unwrap_or(registry::VERSION) != registry::VERSION {
        return Err(missing());
    }
    platform.registry.get(&key).ok_or_else(missing)
}
