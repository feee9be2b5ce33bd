//! Why a call could not be interpreted as the protocol says: it did not complete, the target
//! refused it, or it answered something that is not the protocol.

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("{call} did not complete: {message}")]
    Transport { call: &'static str, message: String },
    #[error("{call} answered HTTP {status} {error_code}: {error_msg}")]
    Api {
        call: &'static str,
        status: u16,
        error_code: String,
        error_msg: String,
    },
    /// HTTP 401: the target did not accept the client's credentials.
    #[error("{call}: the target refused {credentials}: HTTP {status} {error_code}: {error_msg}")]
    Refused {
        call: &'static str,
        /// What the client sent: the signature, the token, or nothing.
        credentials: &'static str,
        status: u16,
        error_code: String,
        error_msg: String,
    },
    /// A 2xx answer without something the protocol needs from it.
    #[error("{call} answered without {what}")]
    Missing {
        call: &'static str,
        what: &'static str,
    },
    #[error("{call} answered HTTP {status} with a body that is not the protocol's: {detail}")]
    Garbage {
        call: &'static str,
        status: u16,
        detail: String,
    },
    /// The body went on past the harness's limit (`session::MAX_BODY`): streaming forever, or
    /// far more than FunctionGraph ever answers.
    #[error(
        "{call} answered HTTP {status} with a body over the harness's limit of {limit} bytes (PROTOCOL.md, \"Limits\"); the rest was not read"
    )]
    TooLarge {
        call: &'static str,
        status: u16,
        limit: usize,
    },
}
