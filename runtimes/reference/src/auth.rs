//! Who may call the platform API: the `X-Auth-Token` fgref was started with, or a request signed
//! with Huawei Cloud's AK/SK scheme (`SDK-HMAC-SHA256`), verified the way the official SDKs
//! compute it (`huaweicloudsdkcore/signer/signer.py` in the Python SDK):
//!
//! ```text
//! canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n
//!                     signed headers \n payload hash
//! string to sign    = SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical request))
//! signature         = hex(hmac-sha256(secret key, string to sign))
//! ```

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::logs;

const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// How far `X-Sdk-Date` may be from fgref's clock, either way (API Gateway's limit).
pub(crate) const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);
/// sha256 of nothing: the SDK's payload hash for an empty body, whatever else it says.
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The SDK's payload hash for bodies that are neither JSON nor BSON (uploads).
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

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
    /// A signature to check, which needs the body: see [`verify_signature`].
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
            && sent == expected.as_bytes()
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

/// The parts of `Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=HEX`.
#[derive(Debug, PartialEq, Eq)]
struct Authorization {
    access: String,
    signed_headers: Vec<String>,
    signature: Vec<u8>,
}

fn parse_authorization(value: &[u8]) -> Result<Authorization, Refusal> {
    let value = std::str::from_utf8(value)
        .map_err(|_| Refusal::Malformed("it is not UTF-8".to_owned()))?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme != ALGORITHM {
        return Err(Refusal::UnsupportedScheme(scheme.to_owned()));
    }
    let (mut access, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            return Err(Refusal::Malformed(format!("{part:?} is not NAME=VALUE")));
        };
        let slot = match name.trim() {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => return Err(Refusal::Malformed(format!("unknown field {other:?}"))),
        };
        *slot = Some(value.trim().to_owned());
    }
    let missing = |field: &str| Refusal::Malformed(format!("{field} is missing"));
    let access = access.ok_or_else(|| missing("Access"))?;
    let signed_headers: Vec<String> = signed_headers
        .ok_or_else(|| missing("SignedHeaders"))?
        .split(';')
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let signature = decode_hex(&signature).ok_or_else(|| {
        Refusal::Malformed(format!(
            "Signature {signature:?} is not 64 hexadecimal digits"
        ))
    })?;
    Ok(Authorization {
        access,
        signed_headers,
        signature,
    })
}

/// Checks a request signed with `key` as the SDK signs it. `path` and `query` are the raw
/// (percent-encoded) parts of the request target.
pub(crate) fn verify_signature(
    key: &AccessKey,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refusal> {
    let authorization = headers
        .get("authorization")
        .ok_or(Refusal::Malformed("it is missing".to_owned()))?;
    let authorization = parse_authorization(authorization.as_bytes())?;
    if authorization.access != key.id {
        return Err(Refusal::UnknownKey(authorization.access));
    }
    let date = headers
        .get("x-sdk-date")
        .ok_or(Refusal::MissingDate)?
        .to_str()
        .map_err(|_| Refusal::BadDate("<not ASCII>".to_owned()))?
        .trim();
    let signed_at = parse_sdk_date(date).ok_or_else(|| Refusal::BadDate(date.to_owned()))?;
    check_skew(date, signed_at, now)?;

    let payload_hash = payload_hash(headers, body)?;
    let mut canonical = Vec::new();
    for part in [
        method.to_ascii_uppercase().as_bytes(),
        canonical_uri(path).as_bytes(),
        canonical_query(query.unwrap_or("")).as_bytes(),
    ] {
        canonical.extend_from_slice(part);
        canonical.push(b'\n');
    }
    for name in &authorization.signed_headers {
        let values: Vec<&[u8]> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| v.as_bytes().trim_ascii())
            .collect();
        if values.is_empty() {
            return Err(Refusal::MissingSignedHeader(name.clone()));
        }
        canonical.extend_from_slice(name.as_bytes());
        canonical.push(b':');
        canonical.extend_from_slice(&values.join(&b","[..]));
        canonical.push(b'\n');
    }
    canonical.push(b'\n');
    canonical.extend_from_slice(authorization.signed_headers.join(";").as_bytes());
    canonical.push(b'\n');
    canonical.extend_from_slice(payload_hash.as_bytes());

    let string_to_sign = format!("{ALGORITHM}\n{date}\n{}", hex(&Sha256::digest(&canonical)));
    let mut mac = Hmac::<Sha256>::new_from_slice(key.secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&authorization.signature)
        .map_err(|_| Refusal::BadSignature {
            canonical_request: String::from_utf8_lossy(&canonical).into_owned(),
        })
}

fn check_skew(date: &str, signed_at: SystemTime, now: SystemTime) -> Result<(), Refusal> {
    let (skew, direction) = match now.duration_since(signed_at) {
        Ok(behind) => (behind, "behind"),
        Err(ahead) => (ahead.duration(), "ahead of"),
    };
    if skew > MAX_CLOCK_SKEW {
        return Err(Refusal::ClockSkew {
            date: date.to_owned(),
            skew_secs: skew.as_secs(),
            direction,
        });
    }
    Ok(())
}

/// The SDK hashes nothing for an empty body, takes `X-Sdk-Content-Sha256` as the hash when the
/// header is there, and otherwise hashes the body. fgref also holds a body to a real hash in that
/// header: else the body could change under a valid signature.
fn payload_hash(headers: &HeaderMap, body: &[u8]) -> Result<String, Refusal> {
    if body.is_empty() {
        return Ok(EMPTY_HASH.to_owned());
    }
    let actual = hex(&Sha256::digest(body));
    match headers.get("x-sdk-content-sha256").map(|v| v.as_bytes()) {
        None | Some(b"") => Ok(actual),
        Some(claimed) => {
            let claimed = String::from_utf8_lossy(claimed).into_owned();
            if claimed == UNSIGNED_PAYLOAD || claimed.eq_ignore_ascii_case(&actual) {
                Ok(claimed)
            } else {
                Err(Refusal::BodyMismatch(claimed))
            }
        }
    }
}

/// Each path segment decoded, then encoded as Python's `quote(segment, safe='~')`, and always a
/// trailing slash (which the request itself never has).
fn canonical_uri(path: &str) -> String {
    let decoded = String::from_utf8_lossy(&percent_decode(path)).into_owned();
    let mut uri = decoded
        .split('/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `key=value` pairs decoded, sorted by key then value, and re-encoded; a key without `=` has an
/// empty value.
fn canonical_query(query: &str) -> String {
    let decode = |s: &str| String::from_utf8_lossy(&percent_decode(s)).into_owned();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (key, value) = p.split_once('=').unwrap_or((p, ""));
            (decode(key), decode(value))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Like Python's `unquote`: `%XX` becomes its byte, anything else (a lone `%`, `+`) stays.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Like Python's `quote(s, safe='~')`: RFC 3986 unreserved characters stay, every other byte of
/// the UTF-8 becomes `%XX` in upper case.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &byte in s.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `YYYYMMDDTHHMMSSZ`, UTC.
fn parse_sdk_date(date: &str) -> Option<SystemTime> {
    let bytes = date.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = date.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = logs::days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderName, HeaderValue};

    use super::*;

    /// The vectors below were signed by the official Python SDK itself
    /// (huaweicloudsdkcore 3.1.219, `huaweicloudsdkcore.signer.signer.Signer.sign` on an
    /// `SdkRequest` with host `127.0.0.1:8080` and a fixed `X-Sdk-Date`), with this key.
    fn key() -> AccessKey {
        AccessKey {
            id: "AKFGREFTEST".to_owned(),
            secret: "SKfgrefTestSecret0123456789".to_owned(),
        }
    }

    const SIGNED_AT: &str = "20261121T101500Z";

    fn signed_at() -> SystemTime {
        parse_sdk_date(SIGNED_AT).unwrap()
    }

    struct Vector {
        method: &'static str,
        /// The request target exactly as the SDK sent it (`SdkRequest.uri`).
        target: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
    }

    const AUTH_INVOKE: &str = "SDK-HMAC-SHA256 Access=AKFGREFTEST, SignedHeaders=content-type;host;user-agent;x-cff-log-type;x-cff-request-version;x-project-id;x-sdk-date, Signature=3697d6b5f41a61e6617ba1021d4aac3d25559b212934a0c0d0ec8d7f0957131e";

    /// An InvokeFunction: a JSON body, a percent-encoded URN in the path.
    const INVOKE: Vector = Vector {
        method: "POST",
        target: "/v2/p1/fgs/functions/urn%3Afss%3Afgref%3Ap1%3Afunction%3Adefault%3Ahello%3Alatest/invocations",
        headers: &[
            ("Content-Type", "application/json"),
            ("X-Sdk-Date", SIGNED_AT),
            ("X-Project-Id", "p1"),
            ("X-Cff-Log-Type", "tail"),
            ("X-CFF-Request-Version", "v1"),
            ("User-Agent", "huaweicloud-usdk-python/3.0"),
            ("Host", "127.0.0.1:8080"),
            ("Authorization", AUTH_INVOKE),
        ],
        body: r#"{"name": "fgref"}"#,
    };

    /// A GET with no body and a query the SDK sorted and encoded: query params
    /// `[("marker", "0"), ("maxitems", 10), ("package name", "a b/ü~*"), ("a", "z"), ("a", "y")]`.
    const LIST: Vector = Vector {
        method: "GET",
        target: "/v2/p1/fgs/functions?a=y&a=z&marker=0&maxitems=10&package%20name=a%20b%2F%C3%BC~%2A",
        headers: &[
            ("Content-Type", "application/json"),
            ("X-Sdk-Date", SIGNED_AT),
            ("X-Project-Id", "p1"),
            ("Host", "127.0.0.1:8080"),
            (
                "Authorization",
                "SDK-HMAC-SHA256 Access=AKFGREFTEST, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=018cc5e1a9551ed8211e5c6867e98422475a7be6bf5b277ef3e425a308b117c9",
            ),
        ],
        body: "",
    };

    /// A non-JSON body: the SDK adds `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` and leaves out
    /// the header whose name has an underscore.
    const UPLOAD: Vector = Vector {
        method: "PUT",
        target: "/v2/p1/fgs/functions/f/code",
        headers: &[
            ("Content-Type", "application/octet-stream"),
            ("X-Sdk-Date", SIGNED_AT),
            ("x_ignored", "yes"),
            ("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"),
            ("Host", "127.0.0.1:8080"),
            (
                "Authorization",
                "SDK-HMAC-SHA256 Access=AKFGREFTEST, SignedHeaders=content-type;host;x-sdk-content-sha256;x-sdk-date, Signature=45a0be211449cc8d455bbe84c97d5d1c429769b296f95c92ade48cb4cca7862f",
            ),
        ],
        body: "zip bytes",
    };

    fn headers_of(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    HeaderName::try_from(*k).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    fn check(
        vector: &Vector,
        headers: &HeaderMap,
        body: &str,
        now: SystemTime,
    ) -> Result<(), Refusal> {
        let (path, query) = match vector.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (vector.target, None),
        };
        verify_signature(
            &key(),
            vector.method,
            path,
            query,
            headers,
            body.as_bytes(),
            now,
        )
    }

    fn verify(vector: &Vector) -> Result<(), Refusal> {
        check(
            vector,
            &headers_of(vector.headers),
            vector.body,
            signed_at(),
        )
    }

    #[test]
    fn the_sdks_own_signatures_verify() {
        for vector in [&INVOKE, &LIST, &UPLOAD] {
            assert_eq!(verify(vector), Ok(()), "{}", vector.target);
        }
    }

    #[test]
    fn the_query_may_arrive_in_any_order() {
        let reordered = Vector {
            target: "/v2/p1/fgs/functions?package%20name=a%20b%2F%C3%BC%7E*&maxitems=10&a=z&marker=0&a=y",
            ..LIST
        };
        assert_eq!(verify(&reordered), Ok(()));
    }

    #[test]
    fn a_changed_body_is_refused() {
        let headers = headers_of(INVOKE.headers);
        let result = check(&INVOKE, &headers, r#"{"name": "mallory"}"#, signed_at());
        assert!(
            matches!(result, Err(Refusal::BadSignature { .. })),
            "{result:?}"
        );
        // An unsigned payload is the SDK's choice for uploads: its body is not covered.
        let headers = headers_of(UPLOAD.headers);
        assert_eq!(check(&UPLOAD, &headers, "other bytes", signed_at()), Ok(()));
    }

    #[test]
    fn a_body_must_match_a_real_content_hash() {
        let mut headers = headers_of(INVOKE.headers);
        headers.insert("x-sdk-content-sha256", HeaderValue::from_static(EMPTY_HASH));
        let result = check(&INVOKE, &headers, INVOKE.body, signed_at());
        assert_eq!(result, Err(Refusal::BodyMismatch(EMPTY_HASH.to_owned())));
    }

    #[test]
    fn a_changed_path_method_or_header_is_refused() {
        let other_path = Vector {
            target: "/v2/p1/fgs/functions/urn%3Afss%3Afgref%3Ap1%3Afunction%3Adefault%3Aother%3Alatest/invocations",
            ..INVOKE
        };
        let other_method = Vector {
            method: "PUT",
            ..INVOKE
        };
        for vector in [&other_path, &other_method] {
            assert!(matches!(verify(vector), Err(Refusal::BadSignature { .. })));
        }
        let mut headers = headers_of(INVOKE.headers);
        headers.insert("x-cff-log-type", HeaderValue::from_static("none"));
        let result = check(&INVOKE, &headers, INVOKE.body, signed_at());
        assert!(
            matches!(result, Err(Refusal::BadSignature { .. })),
            "{result:?}"
        );
        headers.remove("x-cff-log-type");
        let result = check(&INVOKE, &headers, INVOKE.body, signed_at());
        assert_eq!(
            result,
            Err(Refusal::MissingSignedHeader("x-cff-log-type".to_owned()))
        );
    }

    #[test]
    fn another_secret_or_key_is_refused() {
        let headers = headers_of(INVOKE.headers);
        let verify_with = |key: &AccessKey| {
            verify_signature(
                key,
                "POST",
                INVOKE.target,
                None,
                &headers,
                INVOKE.body.as_bytes(),
                signed_at(),
            )
        };
        let result = verify_with(&AccessKey {
            secret: "another secret".to_owned(),
            ..key()
        });
        assert!(
            matches!(result, Err(Refusal::BadSignature { .. })),
            "{result:?}"
        );
        let result = verify_with(&AccessKey {
            id: "AKOTHER".to_owned(),
            ..key()
        });
        assert_eq!(result, Err(Refusal::UnknownKey("AKFGREFTEST".to_owned())));
    }

    #[test]
    fn the_date_must_be_within_fifteen_minutes() {
        let headers = headers_of(INVOKE.headers);
        let minutes = |m: u64| Duration::from_secs(m * 60);
        for now in [signed_at() + minutes(15), signed_at() - minutes(15)] {
            assert_eq!(check(&INVOKE, &headers, INVOKE.body, now), Ok(()));
        }
        let late = check(&INVOKE, &headers, INVOKE.body, signed_at() + minutes(16));
        assert!(
            matches!(
                &late,
                Err(Refusal::ClockSkew {
                    skew_secs: 960,
                    direction: "behind",
                    ..
                })
            ),
            "{late:?}"
        );
        let early = check(&INVOKE, &headers, INVOKE.body, signed_at() - minutes(16));
        assert!(
            matches!(
                &early,
                Err(Refusal::ClockSkew {
                    direction: "ahead of",
                    ..
                })
            ),
            "{early:?}"
        );
        let mut undated = headers.clone();
        undated.remove("x-sdk-date");
        assert_eq!(
            check(&INVOKE, &undated, INVOKE.body, signed_at()),
            Err(Refusal::MissingDate)
        );
        undated.insert(
            "x-sdk-date",
            HeaderValue::from_static("2026-11-21T10:15:00Z"),
        );
        assert!(matches!(
            check(&INVOKE, &undated, INVOKE.body, signed_at()),
            Err(Refusal::BadDate(_))
        ));
    }

    #[test]
    fn authorization_headers_are_parsed_strictly() {
        assert_eq!(
            parse_authorization(AUTH_INVOKE.as_bytes())
                .unwrap()
                .signed_headers
                .len(),
            7
        );
        assert_eq!(
            parse_authorization(b"Bearer abc"),
            Err(Refusal::UnsupportedScheme("Bearer".to_owned()))
        );
        for bad in [
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host",
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=abc",
            "SDK-HMAC-SHA256 Access=AK, Signed, Signature=00",
        ] {
            assert!(
                matches!(
                    parse_authorization(bad.as_bytes()),
                    Err(Refusal::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn canonical_parts_follow_the_sdk() {
        assert_eq!(
            canonical_uri("/v2/p1/fgs/functions"),
            "/v2/p1/fgs/functions/"
        );
        assert_eq!(canonical_uri("/a%3Ab/c d/"), "/a%3Ab/c%20d/");
        assert_eq!(canonical_query("b=2&a&a=1"), "a=&a=1&b=2");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn sdk_dates_parse_as_utc() {
        let at = parse_sdk_date("19700102T000001Z").unwrap();
        assert_eq!(at, UNIX_EPOCH + Duration::from_secs(86_401));
        for bad in [
            "19700102T000001",
            "19701302T000001Z",
            "1970010 T000001Z",
            "+9700102T000001Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_gate_takes_a_token_or_a_signature() {
        let both = Gate {
            token: Some("secret".to_owned()),
            key: Some(key()),
        };
        let token_only = Gate {
            token: Some("secret".to_owned()),
            key: None,
        };
        let key_only = Gate {
            token: None,
            key: Some(key()),
        };
        let none = HeaderMap::new();
        let good_token = headers_of(&[("X-Auth-Token", "secret")]);
        let bad_token = headers_of(&[("X-Auth-Token", "guess")]);
        let signed = headers_of(&[("Authorization", AUTH_INVOKE)]);
        let signed_bad_token =
            headers_of(&[("Authorization", AUTH_INVOKE), ("X-Auth-Token", "guess")]);
        assert_eq!(Gate::default().admit(&none), Admission::Accept);
        assert_eq!(both.admit(&good_token), Admission::Accept);
        assert_eq!(both.admit(&none), Admission::Refuse(Refusal::Missing));
        assert_eq!(both.admit(&bad_token), Admission::Refuse(Refusal::BadToken));
        assert_eq!(both.admit(&signed), Admission::CheckSignature(key()));
        assert_eq!(
            both.admit(&signed_bad_token),
            Admission::CheckSignature(key())
        );
        assert_eq!(
            token_only.admit(&signed),
            Admission::Refuse(Refusal::SigningNotEnabled)
        );
        assert_eq!(
            key_only.admit(&good_token),
            Admission::Refuse(Refusal::TokenNotEnabled)
        );
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        assert!(!format!("{:?}", key()).contains("Secret0123"));
    }
}
