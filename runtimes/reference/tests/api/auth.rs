//! Who may call, end to end: the token when one is configured, and AK/SK-signed requests (each
//! refusal saying why).

use super::*;

#[tokio::test]
async fn token_is_required_when_configured() {
    let f = Fixture::start_with(|c| c.token = Some("secret".into())).await;
    let body = create_body("auth", json!({}));
    let refused = f
        .client
        .post(f.functions_url())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error_code"],
        "FSS.0401"
    );
    let wrong = f
        .client
        .post(f.functions_url())
        .header("X-Auth-Token", "guess")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let accepted = f
        .client
        .post(f.functions_url())
        .header("X-Auth-Token", "secret")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    f.server.shutdown().await;
}

/// Signs as Huawei Cloud's SDKs do (`SDK-HMAC-SHA256`), for requests with no query string and
/// segments that need no encoding beyond `:`; PROTOCOL.md §1 has the algorithm.
fn sign(method: &str, url: &str, body: &[u8], date: &str, key: (&str, &str)) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    let url = reqwest::Url::parse(url).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let canonical = format!(
        "{method}\n{}/\n\ncontent-type:application/json\nhost:{host}\nx-sdk-date:{date}\n\ncontent-type;host;x-sdk-date\n{}",
        url.path(),
        hex(&Sha256::digest(body))
    );
    let to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key.1.as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    format!(
        "SDK-HMAC-SHA256 Access={}, SignedHeaders=content-type;host;x-sdk-date, Signature={}",
        key.0,
        hex(&mac.finalize().into_bytes())
    )
}

/// `X-Sdk-Date`: `YYYYMMDDTHHMMSSZ`, UTC.
fn sdk_date(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let civil = civil_from_days(days);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        civil.0,
        civil.1,
        civil.2,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`, for dates after 1970.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(month <= 2), month, day)
}

#[tokio::test]
async fn signed_requests_pass_and_refusals_say_why() {
    const KEY: (&str, &str) = ("AKTEST", "sk-test");
    let f = Fixture::start_with(|c| {
        c.token = Some("secret".into());
        c.access_key = Some(fgref::AccessKey {
            id: KEY.0.into(),
            secret: KEY.1.into(),
        });
    })
    .await;
    let url = f.functions_url();
    let body = create_body("signed", json!({})).to_string();
    let now = std::time::SystemTime::now();
    let send = |authorization: String, date: String, body: String| {
        f.client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-sdk-date", date)
            .header("authorization", authorization)
            .body(body)
            .send()
    };
    let refusal = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], "FSS.0401", "{body}");
        body["error_msg"].as_str().unwrap().to_owned()
    };

    let date = sdk_date(now);
    let good = sign("POST", &url, body.as_bytes(), &date, KEY);
    let changed = send(good.clone(), date.clone(), body.replace("signed", "forged"));
    assert!(
        refusal(changed.await.unwrap())
            .await
            .starts_with("bad signature")
    );
    let unknown = sign("POST", &url, body.as_bytes(), &date, ("AKOTHER", KEY.1));
    let unknown = send(unknown, date.clone(), body.clone());
    assert!(
        refusal(unknown.await.unwrap())
            .await
            .starts_with("unknown access key")
    );
    let stale = sdk_date(now - Duration::from_secs(20 * 60));
    let signed_stale = sign("POST", &url, body.as_bytes(), &stale, KEY);
    let stale = send(signed_stale, stale, body.clone());
    assert!(
        refusal(stale.await.unwrap())
            .await
            .starts_with("clock skew")
    );
    let unsigned = f.client.post(&url).body(body.clone()).send();
    assert!(
        refusal(unsigned.await.unwrap())
            .await
            .starts_with("no credentials")
    );

    // The handler reads the body the signature check read.
    let accepted = send(good, date, body).await.unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let model: Value = accepted.json().await.unwrap();
    assert_eq!(model["func_name"], "signed");
    f.server.shutdown().await;
}
