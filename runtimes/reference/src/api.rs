//! The platform API (PROTOCOL.md §1–§4): routes, one serde type per message, and validation.

use std::{sync::Arc, time::SystemTime};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{
        DefaultBodyLimit, Path, Request, State,
        rejection::{BytesRejection, PathRejection},
    },
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde::{Deserialize, Serialize};

use crate::{
    Platform,
    auth::{self, Admission},
    error::FssError,
    invoke::{self, Completed},
    logs,
    nodejs::{self, RUNTIMES},
    package,
    registry::{self, Function, FunctionKey},
};

/// FunctionGraph's synchronous request limit (6 MB).
const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;
/// Room for a base64 package well above FunctionGraph's 50 MB zip limit.
const MAX_CREATE_BYTES: usize = 128 * 1024 * 1024;
/// The body `log` and the `X-Cff-Function-Log` header carry different tails (PROTOCOL.md §4).
const BODY_LOG_BYTES: usize = 4096;
const HEADER_LOG_BYTES: usize = 2000;

/// FunctionGraph's zip upload limit (FSS.1071, 50 MB).
const MAX_ZIP_BYTES: usize = 50 * 1024 * 1024;
/// `user_data` limits: FSS.1017 and FSS.1018. Sources disagree on the size: the error-code
/// table says 2 KB, CreateFunction's field description says 4 KB and the Notes and
/// Constraints table "4,096 characters"; the last is the most specific, so it is ours.
/// None says what is measured; fgref counts the characters of the `user_data` string.
const MAX_USER_DATA_ENTRIES: usize = 20;
const MAX_USER_DATA_CHARS: usize = 4096;

const MEMORY_SIZES: &[u32] = &[
    128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
];
const TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 3..=259_200;
const INITIALIZER_TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=300;

// Any error of the platform API.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ApiError {
    pub error_code: String,
    pub error_msg: String,
}

// POST /v2/{project_id}/fgs/functions
#[derive(Debug, Deserialize)]
pub(crate) struct CreateFunctionRequest {
    pub func_name: String,
    pub package: String,
    pub runtime: String,
    pub handler: String,
    pub memory_size: i64,
    pub timeout: i64,
    pub code_type: String,
    #[serde(default)]
    pub func_code: Option<FuncCode>,
    #[serde(default)]
    pub user_data: Option<String>,
    #[serde(default)]
    pub initializer_handler: Option<String>,
    #[serde(default)]
    pub initializer_timeout: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FuncCode {
    #[serde(default)]
    pub file: Option<String>,
}

// GET /v2/{project_id}/fgs/functions/{func_urn}/config, and the answer to CreateFunction.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FunctionModel {
    pub func_urn: String,
    pub func_name: String,
    pub namespace: String,
    pub project_name: String,
    pub package: String,
    pub runtime: String,
    pub handler: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub code_type: String,
    pub code_size: u64,
    pub user_data: String,
    pub version: String,
    pub initializer_handler: String,
    pub initializer_timeout: u32,
    pub last_modified: String,
    pub cpu: u32,
    pub strategy_config: StrategyConfig,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StrategyConfig {
    pub concurrency: i32,
}

// POST /v2/{project_id}/fgs/functions/{func_urn}/invocations with `X-CFF-Request-Version: v1`.
#[derive(Debug, Serialize)]
pub(crate) struct InvokeResponseV1 {
    pub request_id: String,
    pub result: String,
    pub log: String,
    pub status: u16,
}

// The `X-Cff-Invoke-Summary` header.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InvokeSummary {
    pub duration: f64,
    #[serde(rename = "billingDuration")]
    pub billing_duration: u64,
    #[serde(rename = "memorySize")]
    pub memory_size: u32,
    #[serde(rename = "memoryUsed")]
    pub memory_used: f64,
}

pub(crate) fn router(platform: Arc<Platform>) -> Router {
    Router::new()
        .route(
            "/v2/{project_id}/fgs/functions",
            post(create_function).layer(DefaultBodyLimit::max(MAX_CREATE_BYTES)),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/config",
            get(get_function_config),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}",
            axum::routing::delete(delete_function),
        )
        .route(
            "/v2/{project_id}/fgs/functions/{func_urn}/invocations",
            post(invoke_function).layer(DefaultBodyLimit::max(MAX_EVENT_BYTES)),
        )
        .fallback(|| async { FssError::NoSuchRoute })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&platform),
            authenticate,
        ))
        .with_state(platform)
}

async fn authenticate(
    State(platform): State<Arc<Platform>>,
    request: Request,
    next: Next,
) -> Response {
    let key = match platform.gate.admit(request.headers()) {
        Admission::Accept => return next.run(request).await,
        Admission::Refuse(refusal) => return FssError::from(refusal).into_response(),
        Admission::CheckSignature(key) => key,
    };
    // The signature covers the body, so it is read here; the route's own limit still applies
    // when its handler reads the copy.
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_CREATE_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            let e = e.into_inner();
            return if e.is::<http_body_util::LengthLimitError>() {
                FssError::TooLarge(format!(
                    "request body too large: a signed request may carry at most {MAX_CREATE_BYTES} bytes"
                ))
            } else {
                FssError::BadRequest(format!("failed to read the request body: {e}"))
            }
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

fn body_error(rejection: BytesRejection) -> FssError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FssError::TooLarge(format!("request body too large: {}", rejection.body_text()))
    } else {
        FssError::BadRequest(format!(
            "failed to read the request body: {}",
            rejection.body_text()
        ))
    }
}

fn path_error(rejection: PathRejection) -> FssError {
    FssError::BadRequest(format!("bad request path: {}", rejection.body_text()))
}

fn lookup(platform: &Platform, project_id: &str, urn: &str) -> Result<Arc<Function>, FssError> {
    let (key, version) = registry::parse_urn(urn).map_err(FssError::BadRequest)?;
    let missing = || {
        FssError::NoSuchFunction(format!(
            "function {urn} does not exist in project {project_id}; create it first (fgref knows only version {})",
            registry::VERSION
        ))
    };
    if key.project_id != project_id || version != registry::VERSION {
        return Err(missing());
    }
    platform.registry.get(&key).ok_or_else(missing)
}

async fn create_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FunctionModel>, FssError> {
    let Path(project_id) = path.map_err(path_error)?;
    let body = body.map_err(body_error)?;
    let request: CreateFunctionRequest = serde_json::from_slice(&body)
        .map_err(|e| FssError::BadRequest(format!("invalid CreateFunction body: {e}")))?;
    let valid = validate(&request)?;
    let key = FunctionKey {
        project_id: project_id.clone(),
        package: request.package.clone(),
        name: request.func_name.clone(),
    };
    let exists = |key: &FunctionKey| {
        FssError::FunctionExists(format!(
            "function {} already exists in package {}; delete it first or pick another name",
            key.name, key.package
        ))
    };
    if platform.registry.contains(&key) {
        return Err(exists(&key));
    }
    let uid = platform.registry.next_uid();
    let dir = platform.functions_dir.join(uid.to_string());
    let code_root = dir.join("code");
    let code_size = valid.zip.len() as u64;
    let unpack_into = code_root.clone();
    let unpacked =
        tokio::task::spawn_blocking(move || package::unpack(&valid.zip, &unpack_into)).await;
    let unpacked = match unpacked {
        Ok(result) => result.map_err(|e| FssError::InvalidCode(e.to_string())),
        Err(e) => Err(FssError::Platform(format!(
            "failed to unpack the package: {e}"
        ))),
    };
    if let Err(e) = unpacked {
        remove_dir(dir).await;
        return Err(e);
    }
    let model = FunctionModel {
        func_urn: key.urn(),
        func_name: request.func_name,
        namespace: project_id,
        project_name: registry::REGION.to_owned(),
        package: request.package,
        runtime: request.runtime,
        handler: request.handler,
        memory_size: valid.memory_size,
        timeout: valid.timeout,
        code_type: request.code_type,
        code_size,
        user_data: request.user_data.unwrap_or_default(),
        version: registry::VERSION.to_owned(),
        initializer_handler: valid.initializer_handler,
        initializer_timeout: valid.initializer_timeout,
        last_modified: logs::rfc3339_seconds(SystemTime::now()),
        // After the function model example (128 MB ↔ 300 millicores).
        cpu: valid.memory_size * 300 / 128,
        strategy_config: StrategyConfig { concurrency: -1 },
    };
    let function = Function::new(
        uid,
        key.clone(),
        model,
        dir.clone(),
        code_root,
        valid.user_data,
    );
    match platform.registry.insert(function) {
        Some(function) => Ok(Json(function.model.clone())),
        None => {
            remove_dir(dir).await;
            Err(exists(&key))
        }
    }
}

async fn remove_dir(dir: std::path::PathBuf) {
    // Leftovers only cost disk space in fgref's data directory.
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(dir)).await;
}

async fn get_function_config(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<FunctionModel>, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    Ok(Json(function.model.clone()))
}

async fn delete_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    let Some(function) = platform.registry.remove(&function.key) else {
        return Err(FssError::NoSuchFunction(format!(
            "function {urn} was deleted concurrently"
        )));
    };
    for instance in function.close() {
        instance.stop().await;
    }
    // Busy instances too: PROTOCOL.md §3 says they stop before the call returns.
    platform.instances.stop_owner(function.uid).await;
    remove_dir(function.dir.clone()).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn invoke_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    let event = body.map_err(body_error)?;
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&event) {
        return Err(FssError::NotJson(format!(
            "the invoke body must be a JSON value (the event): {e}"
        )));
    }
    let header_is = |name: &str, value: &str| {
        headers
            .get(name)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
    };
    let v1 = header_is("x-cff-request-version", "v1");
    let with_log = header_is("x-cff-log-type", "tail");
    // A task of its own, so a client that hangs up does not abandon the instance mid-call.
    let call = tokio::spawn(invoke::invoke(Arc::clone(&platform), function, event));
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
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
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
    set("x-fgref-node-version", node_version);
    if with_log {
        set(
            "x-cff-function-log",
            BASE64.encode(logs::tail(&log, HEADER_LOG_BYTES)),
        );
    }
    if v1 {
        let body = InvokeResponseV1 {
            request_id,
            result: String::from_utf8_lossy(&result).into_owned(),
            log: if with_log {
                logs::tail(&log, BODY_LOG_BYTES).to_owned()
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

/// The parts of a CreateFunction request that survive validation in another shape.
#[derive(Debug)]
pub(crate) struct ValidFunction {
    pub memory_size: u32,
    pub timeout: u32,
    pub initializer_handler: String,
    pub initializer_timeout: u32,
    pub user_data: Vec<(String, String)>,
    pub zip: Vec<u8>,
}

pub(crate) fn validate(request: &CreateFunctionRequest) -> Result<ValidFunction, FssError> {
    check_func_name(&request.func_name)?;
    check_package(&request.package)?;
    if nodejs::node_version_for(&request.runtime).is_none() {
        let ids: Vec<_> = RUNTIMES.iter().map(|(id, _)| *id).collect();
        return Err(FssError::InvalidRuntime(format!(
            "runtime {:?} is not supported; fgref serves {}",
            request.runtime,
            ids.join(", ")
        )));
    }
    if !is_handler(&request.handler) {
        return Err(FssError::InvalidHandler(format!(
            "handler {:?} is invalid; use [file].[function] with 3–128 characters, e.g. index.handler",
            request.handler
        )));
    }
    let memory_size = u32::try_from(request.memory_size)
        .ok()
        .filter(|m| MEMORY_SIZES.contains(m))
        .ok_or_else(|| {
            FssError::InvalidMemory(format!(
                "memory_size {} is invalid; use one of {MEMORY_SIZES:?} (MB)",
                request.memory_size
            ))
        })?;
    if !TIMEOUT_RANGE.contains(&request.timeout) {
        return Err(FssError::InvalidTimeout(format!(
            "timeout {} is invalid; use {}–{} seconds",
            request.timeout,
            TIMEOUT_RANGE.start(),
            TIMEOUT_RANGE.end()
        )));
    }
    if request.code_type != "zip" {
        return Err(FssError::InvalidCodeType(format!(
            "code_type {:?} is not supported; fgref takes \"zip\" with func_code.file",
            request.code_type
        )));
    }
    let file = request
        .func_code
        .as_ref()
        .and_then(|c| c.file.as_deref())
        .ok_or_else(|| {
            FssError::MissingCode("func_code.file is missing; send the zip as base64".to_owned())
        })?;
    let zip = BASE64
        .decode(file.trim())
        .map_err(|e| FssError::InvalidCode(format!("func_code.file is not valid base64: {e}")))?;
    if zip.len() > MAX_ZIP_BYTES {
        return Err(FssError::PackageTooLarge(format!(
            "the zip is {} bytes, more than FunctionGraph's {MAX_ZIP_BYTES}-byte (50 MB) package limit; make the package smaller",
            zip.len()
        )));
    }
    let user_data = parse_user_data(request.user_data.as_deref().unwrap_or(""))?;
    let (initializer_handler, initializer_timeout) = check_initializer(request)?;
    Ok(ValidFunction {
        memory_size,
        timeout: request.timeout as u32,
        initializer_handler,
        initializer_timeout,
        user_data,
        zip,
    })
}

fn check_func_name(name: &str) -> Result<(), FssError> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let first_ok = name.starts_with(|c: char| c.is_ascii_alphabetic());
    let last_ok = name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if (1..=60).contains(&name.len()) && chars_ok && first_ok && last_ok {
        Ok(())
    } else {
        Err(FssError::InvalidName(format!(
            "func_name {name:?} is invalid; use 1–60 letters, digits, '-' or '_', starting with a letter and ending with a letter or digit"
        )))
    }
}

fn check_package(package: &str) -> Result<(), FssError> {
    let chars_ok = package
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if (1..=64).contains(&package.len()) && chars_ok {
        Ok(())
    } else {
        Err(FssError::InvalidPackage(format!(
            "package {package:?} is invalid; use 1–64 letters, digits, '-', '_' or '.', e.g. default"
        )))
    }
}

/// `[file].[function]`, 3–128 characters; the file part may contain a directory.
pub(crate) fn is_handler(handler: &str) -> bool {
    (3..=128).contains(&handler.len())
        && handler
            .rsplit_once('.')
            .is_some_and(|(file, function)| !file.is_empty() && !function.is_empty())
}

fn check_initializer(request: &CreateFunctionRequest) -> Result<(String, u32), FssError> {
    let handler = request.initializer_handler.as_deref().unwrap_or("");
    let timeout = request.initializer_timeout;
    if handler.is_empty() {
        // Without an initializer a timeout means nothing, but a nonsensical one is still refused.
        return match timeout {
            None | Some(0) => Ok((String::new(), 0)),
            Some(t) if INITIALIZER_TIMEOUT_RANGE.contains(&t) => Ok((String::new(), t as u32)),
            Some(t) => Err(bad_initializer_timeout(t)),
        };
    }
    if !is_handler(handler) {
        return Err(FssError::InvalidInitializer(format!(
            "initializer_handler {handler:?} is invalid; use [file].[function], e.g. index.initializer"
        )));
    }
    match timeout {
        Some(t) if INITIALIZER_TIMEOUT_RANGE.contains(&t) => Ok((handler.to_owned(), t as u32)),
        Some(t) => Err(bad_initializer_timeout(t)),
        None => Err(FssError::InvalidInitializerTimeout(
            "initializer_timeout is missing; it is required with initializer_handler (1–300 seconds)"
                .to_owned(),
        )),
    }
}

fn bad_initializer_timeout(timeout: i64) -> FssError {
    FssError::InvalidInitializerTimeout(format!(
        "initializer_timeout {timeout} is invalid; use {}–{} seconds",
        INITIALIZER_TIMEOUT_RANGE.start(),
        INITIALIZER_TIMEOUT_RANGE.end()
    ))
}

/// `user_data`: a JSON object whose values are strings; each key becomes an environment
/// variable, so it must be a name the environment can hold.
pub(crate) fn parse_user_data(text: &str) -> Result<Vec<(String, String)>, FssError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let chars = text.chars().count();
    if chars > MAX_USER_DATA_CHARS {
        return Err(FssError::UserDataTooLarge(format!(
            "user_data is {chars} characters long, more than the {MAX_USER_DATA_CHARS} FunctionGraph allows; shorten the values"
        )));
    }
    let bad = |why: String| {
        FssError::InvalidUserData(format!(
            "user_data is invalid: {why}; send JSON object text with string values, e.g. {{\"GREETING\":\"hello\"}}"
        ))
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if object.len() > MAX_USER_DATA_ENTRIES {
        return Err(FssError::TooManyUserData(format!(
            "user_data has {} entries, more than the {MAX_USER_DATA_ENTRIES} FunctionGraph allows; merge some values",
            object.len()
        )));
    }
    object
        .into_iter()
        .map(|(key, value)| {
            let serde_json::Value::String(value) = value else {
                return Err(bad(format!("the value of {key:?} is not a string")));
            };
            if key.is_empty() || key.contains(['=', '\0']) || value.contains('\0') {
                return Err(bad(format!(
                    "{key:?} cannot be an environment variable (empty, '=' or NUL)"
                )));
            }
            Ok((key, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateFunctionRequest {
        serde_json::from_value(serde_json::json!({
            "func_name": "hello-world_1",
            "package": "default",
            "runtime": "Node.js20.15",
            "handler": "index.handler",
            "memory_size": 128,
            "timeout": 3,
            "code_type": "zip",
            "func_code": {"file": BASE64.encode(b"zip bytes")},
        }))
        .unwrap()
    }

    fn code_of(request: &CreateFunctionRequest) -> &'static str {
        validate(request).unwrap_err().status_and_code().1
    }

    #[test]
    fn a_good_request_validates() {
        let valid = validate(&request()).unwrap();
        assert_eq!(valid.memory_size, 128);
        assert_eq!(valid.zip, b"zip bytes");
        assert!(valid.user_data.is_empty());
    }

    #[test]
    fn each_bad_field_gets_its_code() {
        type Spoil = fn(&mut CreateFunctionRequest);
        let cases: Vec<(Spoil, &str)> = vec![
            (|r| r.func_name = "1abc".into(), "FSS.1002"),
            (|r| r.func_name = "abc-".into(), "FSS.1002"),
            (|r| r.func_name = "a".repeat(61), "FSS.1002"),
            (|r| r.package = String::new(), "FSS.1004"),
            (|r| r.runtime = "Python3.9".into(), "FSS.1005"),
            (|r| r.handler = "index".into(), "FSS.1003"),
            (|r| r.handler = ".h".into(), "FSS.1003"),
            (|r| r.handler = format!("{}.h", "a".repeat(127)), "FSS.1003"),
            (|r| r.memory_size = 100, "FSS.1007"),
            (|r| r.timeout = 2, "FSS.1008"),
            (|r| r.timeout = 259_201, "FSS.1008"),
            (|r| r.code_type = "inline".into(), "FSS.1006"),
            (|r| r.func_code = None, "FSS.1012"),
            (
                |r| {
                    r.func_code = Some(FuncCode {
                        file: Some("%%%".into()),
                    })
                },
                "FSS.1011",
            ),
            (
                |r| {
                    r.func_code = Some(FuncCode {
                        file: Some(BASE64.encode(vec![0; MAX_ZIP_BYTES + 1])),
                    })
                },
                "FSS.1071",
            ),
            (|r| r.user_data = Some("[1]".into()), "FSS.1009"),
            (|r| r.user_data = Some(r#"{"A":1}"#.into()), "FSS.1009"),
            (|r| r.user_data = Some(user_data_of(21, 1)), "FSS.1017"),
            (|r| r.user_data = Some(user_data_of(2, 3000)), "FSS.1018"),
            (|r| r.initializer_handler = Some("init".into()), "FSS.1404"),
            (
                |r| r.initializer_handler = Some("index.init".into()),
                "FSS.1405",
            ),
            (
                |r| {
                    r.initializer_handler = Some("index.init".into());
                    r.initializer_timeout = Some(301);
                },
                "FSS.1405",
            ),
        ];
        for (index, (spoil, code)) in cases.into_iter().enumerate() {
            let mut r = request();
            spoil(&mut r);
            assert_eq!(code_of(&r), code, "case {index}: {r:?}");
        }
    }

    /// `entries` keys K0.., each with a value of `value_len` characters.
    fn user_data_of(entries: usize, value_len: usize) -> String {
        let object: serde_json::Map<String, serde_json::Value> = (0..entries)
            .map(|i| (format!("K{i}"), "v".repeat(value_len).into()))
            .collect();
        serde_json::Value::Object(object).to_string()
    }

    #[test]
    fn user_data_limits_are_inclusive() {
        assert_eq!(parse_user_data(&user_data_of(20, 1)).unwrap().len(), 20);
        // {"K0":"vvv…"}: 9 characters of framing around the value.
        let exactly = user_data_of(1, MAX_USER_DATA_CHARS - 9);
        assert_eq!(exactly.chars().count(), MAX_USER_DATA_CHARS);
        assert!(parse_user_data(&exactly).is_ok());
        let over = user_data_of(1, MAX_USER_DATA_CHARS - 8);
        assert_eq!(
            parse_user_data(&over).unwrap_err().status_and_code().1,
            "FSS.1018"
        );
        // Characters, not bytes: 4096 two-byte characters still fit.
        let wide = format!("{{\"K\":\"{}\"}}", "é".repeat(MAX_USER_DATA_CHARS - 8));
        assert!(parse_user_data(&wide).is_ok());
    }

    #[test]
    fn handlers_may_live_in_directories() {
        assert!(is_handler("src/index.handler"));
        assert!(is_handler("a.b"));
        assert!(!is_handler("ab"));
        assert!(!is_handler("index."));
    }

    #[test]
    fn user_data_becomes_pairs() {
        let mut pairs = parse_user_data(r#"{"GREETING":"hello","B":""}"#).unwrap();
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                ("B".to_owned(), String::new()),
                ("GREETING".to_owned(), "hello".to_owned())
            ]
        );
        assert!(parse_user_data(r#"{"A=B":"x"}"#).is_err());
        assert!(parse_user_data("").unwrap().is_empty());
    }

    #[test]
    fn summary_serialises_with_functiongraph_names() {
        let summary = InvokeSummary {
            duration: 1.913,
            billing_duration: 2,
            memory_size: 128,
            memory_used: 41.512,
        };
        assert_eq!(
            serde_json::to_string(&summary).unwrap(),
            r#"{"duration":1.913,"billingDuration":2,"memorySize":128,"memoryUsed":41.512}"#
        );
    }
}
