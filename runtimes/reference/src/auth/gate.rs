//! Who may call: the credentials fgref was started with, what a request's headers decide, and
//! every reason a call is refused.

use std::{fmt, time::Duration};

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How far `X-Sdk-Date` may be from fgref's clock, either way (API Gateway's limit).
pub(super) const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// An access key pair: requests signed with `secret` under the name `id` are accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id (AK), sent in the clear as `Access=`.
    pub id: String,
    /// The secret access key (SK), never sent.
    pub secret: String,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// Why a call was refused; each answers 401 `FSS.0401` with this text as `error_msg`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error(
        "no credentials; send X-Auth-Token, or sign the request with an access key (Authorization: SDK-HMAC-SHA256 ... and X-Sdk-Date)"
    )]
    Missing,
    #[error("wrong X-Auth-Token; send the token fgref was started with (--token)")]
    BadToken,
    #[error(
        "X-Auth-Token is not accepted: fgref was started without --token; sign the request with its access key instead"
    )]
    TokenNotEnabled,
    #[error(
        "signed requests are not accepted: fgref was started without --access-key/--secret-key; send X-Auth-Token instead"
    )]
    SigningNotEnabled,
    #[error(
        "unsupported Authorization scheme {0:?}; sign with SDK-HMAC-SHA256 or send X-Auth-Token"
    )]
    UnsupportedScheme(String),
    #[error(
        "malformed Authorization header: {0}; expected SDK-HMAC-SHA256 Access=AK, SignedHeaders=h1;h2, Signature=HEX"
    )]
    Malformed(String),
    #[error(
        "unknown access key {0:?}; sign with the access key fgref was started with (--access-key)"
    )]
    UnknownKey(String),
    #[error("X-Sdk-Date is missing; a signed request carries it (YYYYMMDDTHHMMSSZ, UTC)")]
    MissingDate,
    #[error("X-Sdk-Date {0:?} is not of the form YYYYMMDDTHHMMSSZ (UTC)")]
    BadDate(String),
    #[error(
        "clock skew: X-Sdk-Date {date} is {skew_secs} s {direction} fgref's clock, more than the {} s allowed; fix the client's clock and sign again",
        MAX_CLOCK_SKEW.as_secs()
    )]
    ClockSkew {
        date: String,
        skew_secs: u64,
        direction: &'static str,
    },
    #[error("signed header {0:?} is not in the request; sign only headers that are sent")]
    MissingSignedHeader(String),
    #[error(
        "header {0:?} is not signed: SignedHeaders must list host and every X-Cff-* header the request carries; sign it too"
    )]
    UnsignedHeader(String),
    #[error(
        "SignedHeaders is empty; sign at least host and every X-Cff-* header the request carries"
    )]
    NothingSigned,
    #[error(
        "bad signature: the body does not match X-Sdk-Content-Sha256 {0:?}; the body changed after signing"
    )]
    BodyMismatch(String),
    #[error(
        "bad signature: it does not match the request; it changed after signing, or was signed with another secret key. fgref's canonical request was {canonical_request:?}"
    )]
    BadSignature { canonical_request: String },
}

/// What a request may carry and what fgref was started with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gate {
    pub token: Option<String>,
    pub key: Option<AccessKey>,
}

/// What [`Gate::admit`] decided from the headers alone.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Accept,
    Refuse(Refusal),
    /// A signature to check, which needs the body: see [`verify_signature`](super::signature::verify_signature).
    CheckSignature(AccessKey),
}

impl Gate {
    /// Neither a token nor a key: every call is accepted.
    pub fn is_open(&self) -> bool {
        self.token.is_none() && self.key.is_none()
    }

    /// The right token, or else a signature to check.
    pub fn admit(&self, headers: &HeaderMap) -> Admission {
        if self.is_open() {
            return Admission::Accept;
        }
        let token = headers.get("x-auth-token").map(|v| v.as_bytes());
        if let (Some(sent), Some(expected)) = (token, &self.token)
            && same_secret(sent, expected.as_bytes())
        {
            return Admission::Accept;
        }
        if headers.contains_key("authorization") {
            return match &self.key {
                Some(key) => Admission::CheckSignature(key.clone()),
                None => Admission::Refuse(Refusal::SigningNotEnabled),
            };
        }
        Admission::Refuse(match (token, &self.token) {
            (None, _) => Refusal::Missing,
            (Some(_), Some(_)) => Refusal::BadToken,
            (Some(_), None) => Refusal::TokenNotEnabled,
        })
    }
}

/// Whether `sent` is `expected`, in a time that tells nothing of where they differ, nor (both
/// are hashed to 32 bytes first) of the expected length.
fn same_secret(sent: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(sent).ct_eq(&Sha256::digest(expected)).into()
}
