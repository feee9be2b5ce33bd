//! Tests of the gate and of signature verification, against vectors the official Python SDK
//! signed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::{
    signature::{EMPTY_HASH, canonical_query, canonical_uri, parse_authorization, parse_sdk_date},
    *,
};

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

fn check(vector: &Vector, headers: &HeaderMap, body: &str, now: SystemTime) -> Result<(), Refusal> {
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
    let signed_bad_token = headers_of(&[("Authorization", AUTH_INVOKE), ("X-Auth-Token", "guess")]);
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

/// `Authorization` for a request whose canonical form is `canonical` (written out by hand in each
/// test, so the verifier's own canonicalisation is not what is tested against itself).
fn authorization_for(signed_headers: &str, canonical: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    let string_to_sign = format!(
        "SDK-HMAC-SHA256\n{SIGNED_AT}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key().secret.as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    format!(
        "SDK-HMAC-SHA256 Access={}, SignedHeaders={signed_headers}, Signature={}",
        key().id,
        hex(&mac.finalize().into_bytes())
    )
}

/// A GET of `path` with `headers` (plus its `Authorization`), checked now.
fn get(path: &str, headers: &[(&str, &str)], authorization: &str) -> Result<(), Refusal> {
    let mut headers = headers_of(headers);
    headers.insert(
        "authorization",
        HeaderValue::from_str(authorization).unwrap(),
    );
    verify_signature(&key(), "GET", path, None, &headers, b"", signed_at())
}

#[test]
fn host_must_be_signed() {
    let headers = [("X-Sdk-Date", SIGNED_AT), ("Host", "127.0.0.1:8080")];
    let canonical =
        format!("GET\n/v2/p1/fgs/functions/\n\nx-sdk-date:{SIGNED_AT}\n\nx-sdk-date\n{EMPTY_HASH}");
    let result = get(
        "/v2/p1/fgs/functions",
        &headers,
        &authorization_for("x-sdk-date", &canonical),
    );
    assert_eq!(result, Err(Refusal::UnsignedHeader("host".to_owned())));
    // The same request with host signed passes: the refusal is about the list, not the key.
    let canonical = format!(
        "GET\n/v2/p1/fgs/functions/\n\nhost:127.0.0.1:8080\nx-sdk-date:{SIGNED_AT}\n\nhost;x-sdk-date\n{EMPTY_HASH}"
    );
    let result = get(
        "/v2/p1/fgs/functions",
        &headers,
        &authorization_for("host;x-sdk-date", &canonical),
    );
    assert_eq!(result, Ok(()));
}

#[test]
fn every_x_cff_header_sent_must_be_signed() {
    let headers = [
        ("X-Sdk-Date", SIGNED_AT),
        ("Host", "127.0.0.1:8080"),
        ("X-Cff-Log-Type", "tail"),
    ];
    let canonical = format!(
        "GET\n/v2/p1/fgs/functions/\n\nhost:127.0.0.1:8080\nx-sdk-date:{SIGNED_AT}\n\nhost;x-sdk-date\n{EMPTY_HASH}"
    );
    let result = get(
        "/v2/p1/fgs/functions",
        &headers,
        &authorization_for("host;x-sdk-date", &canonical),
    );
    assert_eq!(
        result,
        Err(Refusal::UnsignedHeader("x-cff-log-type".to_owned()))
    );
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("\"x-cff-log-type\""),
        "the refusal names the header"
    );
}

#[test]
fn an_empty_signed_headers_is_refused() {
    let canonical = format!("GET\n/v2/p1/fgs/functions/\n\n\n\n{EMPTY_HASH}");
    let result = get(
        "/v2/p1/fgs/functions",
        &[("X-Sdk-Date", SIGNED_AT)],
        &authorization_for("", &canonical),
    );
    assert_eq!(result, Err(Refusal::NothingSigned));
}

#[test]
fn an_encoded_slash_is_not_a_slash() {
    let headers = [("X-Sdk-Date", SIGNED_AT), ("Host", "127.0.0.1:8080")];
    let canonical_of = |uri: &str| {
        format!(
            "GET\n{uri}\n\nhost:127.0.0.1:8080\nx-sdk-date:{SIGNED_AT}\n\nhost;x-sdk-date\n{EMPTY_HASH}"
        )
    };
    // Signed for the path with two segments a and b: the same path passes, a%2Fb does not.
    let two_segments = authorization_for("host;x-sdk-date", &canonical_of("/v2/p1/a/b/"));
    assert_eq!(get("/v2/p1/a/b", &headers, &two_segments), Ok(()));
    let result = get("/v2/p1/a%2Fb", &headers, &two_segments);
    assert!(
        matches!(result, Err(Refusal::BadSignature { .. })),
        "{result:?}"
    );
    // A `%2F` inside a segment stays encoded in the canonical URI, in either case.
    let one_segment = authorization_for("host;x-sdk-date", &canonical_of("/v2/p1/a%2Fb/"));
    assert_eq!(get("/v2/p1/a%2Fb", &headers, &one_segment), Ok(()));
    assert_eq!(get("/v2/p1/a%2fb", &headers, &one_segment), Ok(()));
    assert!(get("/v2/p1/a/b", &headers, &one_segment).is_err());
    assert_eq!(canonical_uri("/a%2Fb/c"), "/a%2Fb/c/");
    assert_eq!(canonical_uri("/a/b/c"), "/a/b/c/");
}

#[test]
fn tokens_compare_by_value_only() {
    let gate = Gate {
        token: Some("the-token".to_owned()),
        key: None,
    };
    for wrong in ["", "the-toke", "the-token ", "the-tokeN", "x"] {
        assert_eq!(
            gate.admit(&headers_of(&[("X-Auth-Token", wrong)])),
            Admission::Refuse(Refusal::BadToken),
            "{wrong:?}"
        );
    }
    assert_eq!(
        gate.admit(&headers_of(&[("X-Auth-Token", "the-token")])),
        Admission::Accept
    );
}
