//! Errors: why `Server::start` failed, and the FSS errors the platform API answers with.

use std::path::PathBuf;

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::{auth::Refusal, messages::ErrorBody};

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to listen on {addr}: {cause}; pick a free address, or port 0")]
    Bind {
        addr: std::net::SocketAddr,
        cause: std::io::Error,
    },
    #[error("failed to prepare the data directory {}: {cause}; check that it is writable", path.display())]
    DataDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the Node.js bootstrap {} is not usable: {cause}; pass an existing file to --nodejs-bootstrap (or FGREF_NODEJS_BOOTSTRAP)", path.display())]
    Bootstrap {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "refusing to listen on {addr} without authentication: anyone who reaches it could run code on this machine. Require a token (FGREF_TOKEN or --token-file) or an access key (--access-key with FGREF_SECRET_KEY or --secret-key-file), listen on a loopback address (127.0.0.1), or pass --unauthenticated-network-listen if you really mean it"
    )]
    UnauthenticatedListen { addr: std::net::SocketAddr },
    #[error("failed to make fgref non-dumpable (prctl PR_SET_DUMPABLE): {0}")]
    Shield(std::io::Error),
    /// `FGREF_TELEMETRY_FAULT` names no fault (a self-test build only).
    #[cfg(feature = "self-test-faults")]
    #[error("{0}")]
    Faults(String),
}

/// An error of the platform API itself, answered as `{"error_code": "FSS.xxxx", "error_msg": ...}`.
///
/// The codes and statuses are the OTC error-code table's (PROTOCOL.md §1); which request gets
/// which code is read from the code's message, since no source maps them to requests.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FssError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotJson(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidHandler(String),
    #[error("{0}")]
    InvalidPackage(String),
    #[error("{0}")]
    InvalidRuntime(String),
    #[error("{0}")]
    InvalidCodeType(String),
    #[error("{0}")]
    InvalidMemory(String),
    #[error("{0}")]
    InvalidTimeout(String),
    #[error("{0}")]
    InvalidUserData(String),
    #[error("{0}")]
    InvalidCode(String),
    #[error("{0}")]
    MissingCode(String),
    #[error("{0}")]
    TooManyUserData(String),
    #[error("{0}")]
    UserDataTooLarge(String),
    #[error("{0}")]
    InvalidInitializer(String),
    #[error("{0}")]
    InvalidInitializerTimeout(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    InvalidVersion(String),
    #[error("{0}")]
    DescriptionTooLong(String),
    #[error("{0}")]
    InvalidDependency(String),
    #[error("{0}")]
    InvalidDependencyType(String),
    #[error("{0}")]
    TooManyDependencies(String),
    #[error("{0}")]
    NoSuchDependency(String),
    #[error("{0}")]
    DependencyInUse(String),
    #[error(transparent)]
    Unauthorized(#[from] Refusal),
    #[error("{0}")]
    NoSuchFunction(String),
    #[error("no such route; see PROTOCOL.md for the calls fgref serves")]
    NoSuchRoute,
    #[error("{0}")]
    FunctionExists(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    PackageTooLarge(String),
    #[error("{0}")]
    TooManyInstances(String),
    #[error("{0}")]
    Platform(String),
}

impl FssError {
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "FSS.0400"),
            Self::NotJson(_) => (StatusCode::NOT_ACCEPTABLE, "FSS.0406"),
            Self::InvalidName(_) => (StatusCode::BAD_REQUEST, "FSS.1002"),
            Self::InvalidHandler(_) => (StatusCode::BAD_REQUEST, "FSS.1003"),
            Self::InvalidPackage(_) => (StatusCode::BAD_REQUEST, "FSS.1004"),
            Self::InvalidRuntime(_) => (StatusCode::BAD_REQUEST, "FSS.1005"),
            Self::InvalidCodeType(_) => (StatusCode::BAD_REQUEST, "FSS.1006"),
            Self::InvalidMemory(_) => (StatusCode::BAD_REQUEST, "FSS.1007"),
            Self::InvalidTimeout(_) => (StatusCode::BAD_REQUEST, "FSS.1008"),
            Self::InvalidUserData(_) => (StatusCode::BAD_REQUEST, "FSS.1009"),
            Self::InvalidCode(_) => (StatusCode::BAD_REQUEST, "FSS.1011"),
            Self::MissingCode(_) => (StatusCode::BAD_REQUEST, "FSS.1012"),
            Self::TooManyUserData(_) => (StatusCode::BAD_REQUEST, "FSS.1017"),
            Self::UserDataTooLarge(_) => (StatusCode::BAD_REQUEST, "FSS.1018"),
            Self::InvalidInitializer(_) => (StatusCode::BAD_REQUEST, "FSS.1404"),
            Self::InvalidInitializerTimeout(_) => (StatusCode::BAD_REQUEST, "FSS.1405"),
            Self::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "FSS.1001"),
            Self::InvalidVersion(_) => (StatusCode::BAD_REQUEST, "FSS.1015"),
            Self::DescriptionTooLong(_) => (StatusCode::BAD_REQUEST, "FSS.1019"),
            Self::InvalidDependency(_) => (StatusCode::BAD_REQUEST, "FSS.1024"),
            Self::InvalidDependencyType(_) => (StatusCode::BAD_REQUEST, "FSS.1032"),
            Self::TooManyDependencies(_) => (StatusCode::FORBIDDEN, "FSS.1045"),
            Self::NoSuchDependency(_) => (StatusCode::NOT_FOUND, "FSS.1056"),
            Self::DependencyInUse(_) => (StatusCode::PRECONDITION_FAILED, "FSS.1033"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "FSS.0401"),
            Self::NoSuchFunction(_) => (StatusCode::NOT_FOUND, "FSS.1051"),
            Self::NoSuchRoute => (StatusCode::NOT_FOUND, "FSS.0404"),
            Self::FunctionExists(_) => (StatusCode::CONFLICT, "FSS.1061"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "FSS.0413"),
            Self::PackageTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "FSS.1071"),
            Self::TooManyInstances(_) => (StatusCode::TOO_MANY_REQUESTS, "FSS.0429"),
            Self::Platform(_) => (StatusCode::INTERNAL_SERVER_ERROR, "FSS.0500"),
        }
    }
}

impl IntoResponse for FssError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error_code: code.to_owned(),
            error_msg: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
