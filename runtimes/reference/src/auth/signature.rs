//! AK/SK signatures (`SDK-HMAC-SHA256`), verified the way Huawei Cloud's official SDKs compute
//! them (`huaweicloudsdkcore/signer/signer.py` in the Python SDK):
//!
//! ```text
//! canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n
//!                     signed headers \n payload hash
//! string to sign    = SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical request))
//! signature         = hex(hmac-sha256(secret key, string to sign))
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::gate::{AccessKey, MAX_CLOCK_SKEW, Refusal};
use crate::dates;

const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// sha256 of nothing: the SDK's payload hash for an empty body, whatever else it says.
pub(super) const EMPTY_HASH: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Headers the signature must cover when a request carries them, besides `host`.
const X_CFF_PREFIX: &str = "x-cff-";
/// The SDK's payload hash for bodies that are neither JSON nor BSON (uploads).
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The parts of `Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=HEX`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Authorization {
    access: String,
    pub(super) signed_headers: Vec<String>,
    signature: Vec<u8>,
}

pub(super) fn parse_authorization(value: &[u8]) -> Result<Authorization, Refusal> {
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
    check_coverage(&authorization.signed_headers, headers)?;
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

/// **fgref**: the signature must cover `host` and every `x-cff-*` header the request carries
/// (they steer the call: log type, request version, invoke type), so none of them can be added
/// or changed under a valid signature. The official SDKs sign every header they send, so their
/// requests pass.
fn check_coverage(signed: &[String], headers: &HeaderMap) -> Result<(), Refusal> {
    if signed.is_empty() {
        return Err(Refusal::NothingSigned);
    }
    let must_sign = headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| *name == "host" || name.starts_with(X_CFF_PREFIX));
    for name in std::iter::once("host").chain(must_sign) {
        if !signed.iter().any(|s| s == name) {
            return Err(Refusal::UnsignedHeader(name.to_owned()));
        }
    }
    Ok(())
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

/// The path split at its `/`, each segment decoded and then encoded as Python's
/// `quote(segment, safe='~')`, and always a trailing slash (which the request itself never has).
///
/// The SDK decodes the whole path before it splits, so for it `/a%2Fb` and `/a/b` are the same
/// canonical URI; fgref splits first (**fgref**), so `%2F` stays `%2F` and a signature over one
/// path does not admit the other. The two agree on every path without `%2F`, which is every path
/// the SDK sends to FunctionGraph (no project id, URN or dependency id contains `/`).
pub(super) fn canonical_uri(path: &str) -> String {
    let mut uri = path
        .split('/')
        .map(|segment| percent_encode(&String::from_utf8_lossy(&percent_decode(segment))))
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `key=value` pairs decoded, sorted by key then value, and re-encoded; a key without `=` has an
/// empty value.
pub(super) fn canonical_query(query: &str) -> String {
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
pub(super) fn parse_sdk_date(date: &str) -> Option<SystemTime> {
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
    let days = dates::days_from_civil(i64::from(year), month, day);
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
