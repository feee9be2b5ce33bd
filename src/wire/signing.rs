//! Huawei Cloud's AK/SK request signing (`SDK-HMAC-SHA256`), as the official SDKs sign
//! (`huaweicloudsdkcore/signer/signer.py` in the Python SDK): every header of the request is
//! signed, and the signature goes into `Authorization` beside `X-Sdk-Date`.
//!
//! ```text
//! canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n
//!                     signed headers \n hex(sha256(body))
//! string to sign    = SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical request))
//! signature         = hex(hmac-sha256(secret key, string to sign))
//! ```

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::corpus_digest::hex;

const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// An access key pair that signs requests.
#[derive(Clone)]
pub struct Signer {
    /// The access key id (AK), sent as `Access=`.
    pub access: String,
    /// The secret access key (SK), never sent.
    pub secret: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access", &self.access)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// What a request consists of, as far as its signature goes.
pub struct Unsigned<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: Option<&'a str>,
    /// Every header that is sent, with `Host` and `X-Sdk-Date` among them.
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
    /// `X-Sdk-Date`: `YYYYMMDDTHHMMSSZ`, UTC.
    pub date: &'a str,
}

impl Signer {
    /// The `Authorization` value for `request`, signing every header it has.
    pub fn authorization(&self, request: &Unsigned<'_>) -> String {
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        headers.sort();
        let signed: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        let signed = signed.join(";");
        let mut canonical = format!(
            "{}\n{}\n{}\n",
            request.method.to_ascii_uppercase(),
            canonical_uri(request.path),
            canonical_query(request.query.unwrap_or(""))
        );
        for (name, value) in &headers {
            canonical.push_str(&format!("{name}:{value}\n"));
        }
        canonical.push_str(&format!(
            "\n{signed}\n{}",
            hex(&Sha256::digest(request.body))
        ));
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{}",
            request.date,
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(string_to_sign.as_bytes());
        let signature = hex(&mac.finalize().into_bytes());
        format!(
            "{ALGORITHM} Access={}, SignedHeaders={signed}, Signature={signature}",
            self.access
        )
    }

    /// Signs `request` as it will be sent, at `date` (`YYYYMMDDTHHMMSSZ`): sets `Host` (so the
    /// value signed is the value sent) and `X-Sdk-Date`, then `Authorization`.
    pub fn sign(&self, request: &mut reqwest::Request, date: &str) -> Result<(), String> {
        let url = request.url().clone();
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(format!("{url} has no host to sign")),
        };
        let value = |text: &str| {
            HeaderValue::from_str(text).map_err(|e| format!("cannot send {text:?}: {e}"))
        };
        let headers = request.headers_mut();
        headers.insert(reqwest::header::HOST, value(&host)?);
        headers.insert(HeaderName::from_static("x-sdk-date"), value(date)?);
        let mut sent = Vec::new();
        for (name, value) in request.headers() {
            let text = value
                .to_str()
                .map_err(|_| format!("header {name} is not text and cannot be signed"))?;
            sent.push((name.as_str().to_owned(), text.to_owned()));
        }
        let body = match request.body() {
            None => &[][..],
            Some(body) => body.as_bytes().ok_or("a streamed body cannot be signed")?,
        };
        let authorization = self.authorization(&Unsigned {
            method: request.method().as_str(),
            path: url.path(),
            query: url.query(),
            headers: sent,
            body,
            date,
        });
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value(&authorization)?);
        Ok(())
    }
}

/// `X-Sdk-Date` for now: `YYYYMMDDTHHMMSSZ`, UTC.
pub fn sdk_date_now() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Each path segment decoded and encoded again as Python's `quote(segment, safe='~')`, with a
/// trailing slash always.
fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode(path);
    let mut uri = decoded
        .split(|&b| b == b'/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `key=value` pairs sorted, each part encoded as in the path.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(text).collect()
}

/// RFC 3986's unreserved characters: the only bytes the SDK leaves unescaped.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Every byte but the unreserved ones as `%XX`.
fn percent_encode(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, ESCAPED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests the official Python SDK signed (huaweicloudsdkcore 3.1.219,
    /// `Signer.sign` on an `SdkRequest` with host `127.0.0.1:8080` and a fixed `X-Sdk-Date`).
    fn signer() -> Signer {
        Signer {
            access: "AKFGREFTEST".into(),
            secret: "SKfgrefTestSecret0123456789".into(),
        }
    }

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_invoke_is_signed_as_the_sdk_signs_it() {
        let request = Unsigned {
            method: "POST",
            path: "/v2/p1/fgs/functions/urn%3Afss%3Afgref%3Ap1%3Afunction%3Adefault%3Ahello%3Alatest/invocations",
            query: None,
            headers: headers(&[
                ("Content-Type", "application/json"),
                ("X-Sdk-Date", "20261121T101500Z"),
                ("X-Project-Id", "p1"),
                ("X-Cff-Log-Type", "tail"),
                ("X-CFF-Request-Version", "v1"),
                ("User-Agent", "huaweicloud-usdk-python/3.0"),
                ("Host", "127.0.0.1:8080"),
            ]),
            body: br#"{"name": "fgref"}"#,
            date: "20261121T101500Z",
        };
        assert_eq!(
            signer().authorization(&request),
            "SDK-HMAC-SHA256 Access=AKFGREFTEST, SignedHeaders=content-type;host;user-agent;x-cff-log-type;x-cff-request-version;x-project-id;x-sdk-date, Signature=3697d6b5f41a61e6617ba1021d4aac3d25559b212934a0c0d0ec8d7f0957131e"
        );
    }

    #[test]
    fn a_get_with_a_query_is_signed_as_the_sdk_signs_it() {
        let request = Unsigned {
            method: "GET",
            path: "/v2/p1/fgs/functions",
            query: Some("a=y&a=z&marker=0&maxitems=10&package%20name=a%20b%2F%C3%BC~%2A"),
            headers: headers(&[
                ("Content-Type", "application/json"),
                ("X-Sdk-Date", "20261121T101500Z"),
                ("X-Project-Id", "p1"),
                ("Host", "127.0.0.1:8080"),
            ]),
            body: b"",
            date: "20261121T101500Z",
        };
        assert!(signer().authorization(&request).ends_with(
            "SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=018cc5e1a9551ed8211e5c6867e98422475a7be6bf5b277ef3e425a308b117c9"
        ));
    }

    #[test]
    fn a_request_is_signed_with_host_date_and_every_header_it_sends() {
        let client = fgref::http::plain_client_builder().build().unwrap();
        let mut request = client
            .post("https://functiongraph.ap-southeast-1.myhuaweicloud.com/v2/p/fgs/functions/urn%3Ax/invocations")
            .header("X-Project-Id", "p")
            .header("X-CFF-Request-Version", "v1")
            .header("Content-Type", "application/json")
            .body("{}")
            .build()
            .unwrap();
        signer().sign(&mut request, "20261121T101500Z").unwrap();
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(
            header("host"),
            "functiongraph.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(header("x-sdk-date"), "20261121T101500Z");
        assert!(
            header("authorization").contains(
                "SignedHeaders=content-type;host;x-cff-request-version;x-project-id;x-sdk-date,"
            ),
            "{}",
            header("authorization")
        );
        assert_eq!(canonical_uri("/a%3Ab/c"), "/a%3Ab/c/");
        assert_eq!(sdk_date_now().len(), 16);
        assert!(!format!("{:?}", signer()).contains("Secret0123"));
    }
}
