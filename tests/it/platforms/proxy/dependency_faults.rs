//! The faulty proxy's rewrites of the dependency API (what CreateDependencyVersion is sent and
//! answers) and of what DeleteFunction and DeleteDependencyVersion answer.

use std::io::Write as _;

use axum::body::Bytes;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::Fault;

/// Whether the call is CreateDependencyVersion (`POST …/fgs/dependencies/version`).
pub(super) fn is_create(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST && path.ends_with("/fgs/dependencies/version")
}

/// CreateDependencyVersion's request as a platform that checks less passes it on; any other
/// call's body (`create_dependency` false) as it is.
pub(super) fn rewrite_create(fault: Fault, create_dependency: bool, body: Bytes) -> Bytes {
    if !create_dependency {
        return body;
    }
    let Ok(mut request) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    match fault {
        // Takes any name, description, type and runtime: fgref is sent ones it takes.
        Fault::DependencyFieldsUnchecked => {
            if let Some(name) = request["name"]
                .as_str()
                .filter(|name| !name.starts_with(|c: char| c.is_ascii_alphabetic()))
            {
                request["name"] = json!(format!("fgc-{name}"));
            }
            if let Some(description) = request["description"].as_str() {
                request["description"] = json!(description.chars().take(512).collect::<String>());
            }
            request["depend_type"] = json!("zip");
            request["runtime"] = json!("Node.js20.15");
        }
        // Takes any files: fgref is sent a zip of one plain file instead.
        Fault::DependencyFilesUnchecked => {
            let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let written = writer
                .start_file("lib.js", zip::write::SimpleFileOptions::default())
                .is_ok()
                && writer.write_all(b"module.exports = 1;\n").is_ok();
            match writer.finish() {
                Ok(zip) if written => {
                    request["depend_file"] = json!(BASE64.encode(zip.into_inner()))
                }
                _ => return body,
            }
        }
        _ => return body,
    }
    Bytes::from(request.to_string())
}

/// CreateDependencyVersion's 2xx answer as the fault gives it.
pub(super) fn rewrite_create_answer(fault: Fault, body: Bytes) -> Bytes {
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut version) if fault == Fault::DependencyVersionsFromZero => {
            if let Some(n) = version["version"].as_u64() {
                version["version"] = json!(n.saturating_sub(1));
            }
            Bytes::from(version.to_string())
        }
        _ => body,
    }
}

/// The answer to a DELETE of `path` (DeleteFunction, or DeleteDependencyVersion under
/// `…/fgs/dependencies/`) as the fault gives it.
pub(super) fn rewrite_delete_answer(
    fault: Fault,
    path: &str,
    status: StatusCode,
    body: Bytes,
) -> (StatusCode, Bytes) {
    let dependency = path.contains("/fgs/dependencies/");
    match fault {
        Fault::DeleteAnswers200 if !dependency && status.is_success() => {
            (StatusCode::OK, Bytes::from_static(b"{}"))
        }
        Fault::DependencyDeleteAnswers200 if dependency && status == StatusCode::NO_CONTENT => {
            (StatusCode::OK, Bytes::from_static(b"{}"))
        }
        // Claims to delete a version in use (and keeps it, since fgref refused).
        Fault::DependencyInUseDeleted
            if dependency && status == StatusCode::PRECONDITION_FAILED =>
        {
            (StatusCode::NO_CONTENT, Bytes::new())
        }
        _ => (status, body),
    }
}
