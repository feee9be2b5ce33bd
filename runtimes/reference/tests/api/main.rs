//! The platform API end to end: a real `fgref::Server` on 127.0.0.1:0 running a tiny test
//! runtime (below) on the system node; dependency versions in `dependencies`; extensions and
//! telemetry in `extensions`; in `sdk`, the official SDK against the `fgref` binary; in
//! `secrets`, a function looking for the `fgref` binary's secrets, and its listen refusal.

mod bounds;
mod dependencies;
mod extensions;
mod listing;
mod sdk;
mod secrets;

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use fgref::{Config, Server};
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

const PROJECT: &str = "p1";

/// A runtime speaking PROTOCOL.md §5, steered by the event: `sleep_ms` delays the answer,
/// `fail` answers through invocation/error, `exit` kills the process mid-call, `spam` writes
/// that many 1 KB lines right before answering, `raw` answers
/// with that string instead of JSON, `big_bytes` answers with that many bytes, `alloc_mb`
/// keeps a filled (resident) Buffer of that many MB, `heap_mb` keeps that many MB of JS strings,
/// `tagged` writes `[Function]<tagged>`, `fetch` answers with the body of
/// `GET http://127.0.0.1:<fetch>/seen` (an extension's observations).
/// `FAIL_INIT` in user_data reports an init error; `ALLOC_INIT_MB` allocates like `alloc_mb`
/// before the first poll.
const TEST_RUNTIME: &str = r#"'use strict';
const http = require('http');
const [host, port] = process.env.RUNTIME_API_ADDR.split(':');
function call(method, path, body, done) {
  const req = http.request({ host, port, method, path }, (res) => {
    let data = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { data += chunk; });
    res.on('end', () => done(res, data));
  });
  req.on('error', (e) => { console.error('runtime API failed: ' + e.message); process.exit(1); });
  req.end(body === null ? undefined : body);
}
console.log('booting ' + process.env.RUNTIME_FUNC_NAME);
const kept = [];
function next() {
  call('GET', '/v1/runtime/invocation/request', null, (res, body) => {
    const id = res.headers['x-cff-request-id'];
    const event = JSON.parse(body);
    console.log('handling ' + event.tag);
    console.error('stderr of ' + event.tag);
    if (event.tagged) console.log('[Function]' + event.tagged);
    if (event.fetch) {
      return http.get({ host: '127.0.0.1', port: event.fetch, path: '/seen' }, (r) => {
        let data = '';
        r.on('data', (c) => { data += c; });
        r.on('end', () => call('POST', '/v1/runtime/invocation/response/' + id, data, next));
      });
    }
    const answer = () => {
      if (event.exit) process.exit(3);
      if (event.open_files || event.file_bytes) return call('POST',
        '/v1/runtime/invocation/response/' + id, JSON.stringify(tryLimits(event)), next);
      if (event.alloc_mb) kept.push(Buffer.alloc(event.alloc_mb * 1048576, 1));
      for (let i = 0; i < (event.heap_mb || 0) * 1024; i++) kept.push('x'.repeat(1000) + i);
      if (event.big_bytes) {
        return call('POST', '/v1/runtime/invocation/response/' + id, 'x'.repeat(event.big_bytes), next);
      }
      for (let i = 0; i < (event.spam || 0); i++) console.log(i + ' ' + 'x'.repeat(1000));
      if (event.spam) console.error('last words of ' + event.tag);
      if (event.fail) {
        const error = JSON.stringify({ errorMessage: event.fail, errorType: 'Error' });
        return call('POST', '/v1/runtime/invocation/error/' + id, error, next);
      }
      const env = {};
      for (const k of ['GREETING', 'HOME', 'RUNTIME_HANDLER', 'RUNTIME_MEMORY', 'RUNTIME_CPU',
                       'RUNTIME_USERDATA', 'RUNTIME_CODE_ROOT', 'RUNTIME_PROJECT_ID']) {
        env[k] = process.env[k];
      }
      const result = event.raw !== undefined ? event.raw
        : JSON.stringify({ tag: event.tag, pid: process.pid, cwd: process.cwd(), env: env,
                           invokeType: res.headers['x-cff-invoke-type'] });
      call('POST', '/v1/runtime/invocation/response/' + id, result, next);
    };
    if (event.sleep_ms) setTimeout(answer, event.sleep_ms); else answer();
  });
}
// `open_files`: opens that many descriptors (then closes them); `file_bytes`: makes a file of
// that size in RUNTIME_LOG_DIR; answers how many opened and the error code met, if any.
function tryLimits(event) {
  const fs = require('fs');
  const fds = [];
  let error = '';
  try {
    while (fds.length < (event.open_files || 0)) fds.push(fs.openSync('/dev/null', 'r'));
    if (event.file_bytes) {
      const path = process.env.RUNTIME_LOG_DIR + '/big';
      fs.writeFileSync(path, '');
      try { fs.truncateSync(path, event.file_bytes); } finally { fs.unlinkSync(path); }
    }
  } catch (e) { error = e.code; }
  fds.forEach((fd) => fs.closeSync(fd));
  return { opened: fds.length, error: error };
}
if (process.env.FAIL_INIT) {
  const error = JSON.stringify({ errorMessage: process.env.FAIL_INIT, errorType: 'Error' });
  call('POST', '/v1/runtime/init/error', error, () => process.exit(1));
} else {
  if (process.env.ALLOC_INIT_MB) kept.push(Buffer.alloc(process.env.ALLOC_INIT_MB * 1048576, 1));
  next();
}
"#;

/// The runtime id the system node serves, so the tests run on whatever node the machine has.
fn runtime_id() -> &'static str {
    fgref::node::RELEASES
        .iter()
        .map(|release| release.runtime_id)
        .find(|id| fgref::node::resolve(id, None).is_ok())
        .expect("these tests need a system `node` whose major version fgref serves (6–20)")
}

struct Fixture {
    server: Server,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

struct Invoked {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Invoked {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The v1 body's `result`, parsed as JSON.
    fn result(&self) -> Value {
        let result = self.json()["result"].as_str().unwrap().to_owned();
        serde_json::from_str(&result).unwrap_or_else(|e| panic!("{e}: {result}"))
    }
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bootstrap = dir.path().join("test-runtime.js");
        std::fs::write(&bootstrap, TEST_RUNTIME).unwrap();
        let mut config = Config {
            nodejs_bootstrap: Some(bootstrap),
            // No cached releases: every runtime id falls back to the system node.
            node_cache: Some(dir.path().join("node-cache")),
            ..Config::default()
        };
        adjust(&mut config);
        let server = Server::start(config).await.unwrap();
        let client = fgref::http::plain_client_builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            server,
            client,
            _dir: dir,
        }
    }

    fn functions_url(&self) -> String {
        format!("{}/v2/{PROJECT}/fgs/functions", self.server.url())
    }

    fn function_url(&self, urn: &str) -> String {
        // Clients percent-encode the URN, as the SDKs do.
        format!("{}/{}", self.functions_url(), urn.replace(':', "%3A"))
    }

    async fn create(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.functions_url())
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// Creates `name` with the default test package; `extra` overrides request fields.
    async fn create_ok(&self, name: &str, extra: Value) -> String {
        let (status, model) = self.create(&create_body(name, extra)).await;
        assert_eq!(status, StatusCode::OK, "{model}");
        model["func_urn"].as_str().unwrap().to_owned()
    }

    async fn invoke(&self, urn: &str, event: Value) -> Invoked {
        self.invoke_with(
            urn,
            &event.to_string(),
            &[("X-CFF-Request-Version", "v1"), ("X-Cff-Log-Type", "tail")],
        )
        .await
    }

    async fn invoke_with(&self, urn: &str, body: &str, headers: &[(&str, &str)]) -> Invoked {
        let mut request = self
            .client
            .post(format!("{}/invocations", self.function_url(urn)))
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        Invoked {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }
}

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in entries {
        writer
            .start_file(*name, SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn create_body(name: &str, extra: Value) -> Value {
    let zip = zip_of(&[("index.js", "exports.handler = async () => 'unused';")]);
    let mut body = json!({
        "func_name": name,
        "package": "default",
        "runtime": runtime_id(),
        "handler": "index.handler",
        "memory_size": 128,
        "timeout": 3,
        "code_type": "zip",
        "func_code": {"file": BASE64.encode(zip)},
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// user_data text with `entries` keys K0.., each with a value of `value_len` characters.
fn user_data_of(entries: usize, value_len: usize) -> String {
    let object: serde_json::Map<String, Value> = (0..entries)
        .map(|i| (format!("K{i}"), Value::from("v".repeat(value_len))))
        .collect();
    Value::Object(object).to_string()
}

fn pid_of(invoked: &Invoked) -> u32 {
    invoked.result()["pid"].as_u64().unwrap() as u32
}

fn proc_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// `/proc/<pid>` of a killed and reaped process disappears; poll briefly for the reaper.
async fn gone_within(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !proc_exists(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    !proc_exists(pid)
}

#[tokio::test]
async fn create_get_delete_round_trip() {
    let f = Fixture::start().await;
    let (status, model) = f
        .create(&create_body(
            "hello",
            json!({"user_data": "{\"GREETING\":\"hi\"}", "initializer_handler": "index.init", "initializer_timeout": 5}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    let urn = model["func_urn"].as_str().unwrap();
    assert_eq!(urn, "urn:fss:fgref:p1:function:default:hello:latest");
    for (field, expected) in [
        ("func_name", json!("hello")),
        ("namespace", json!(PROJECT)),
        ("package", json!("default")),
        ("runtime", json!(runtime_id())),
        ("handler", json!("index.handler")),
        ("memory_size", json!(128)),
        ("timeout", json!(3)),
        ("code_type", json!("zip")),
        ("user_data", json!("{\"GREETING\":\"hi\"}")),
        ("version", json!("latest")),
        ("initializer_handler", json!("index.init")),
        ("initializer_timeout", json!(5)),
        ("cpu", json!(300)),
        ("strategy_config", json!({"concurrency": -1})),
    ] {
        assert_eq!(model[field], expected, "{field} in {model}");
    }
    assert!(model["code_size"].as_u64().unwrap() > 0);
    assert!(model["last_modified"].as_str().unwrap().ends_with('Z'));

    for url in [
        format!("{}/config", f.function_url(urn)),
        format!(
            "{}/config",
            f.function_url("urn:fss:fgref:p1:function:default:hello")
        ),
    ] {
        let got = f.client.get(url).send().await.unwrap();
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.json::<Value>().await.unwrap(), model);
    }

    let deleted = f.client.delete(f.function_url(urn)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for response in [
        f.client
            .get(format!("{}/config", f.function_url(urn)))
            .send()
            .await
            .unwrap(),
        f.client.delete(f.function_url(urn)).send().await.unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], "FSS.1051", "{body}");
    }
    f.server.shutdown().await;
}

#[tokio::test]
async fn duplicates_and_unknown_functions() {
    let f = Fixture::start().await;
    let urn = f.create_ok("dup", json!({})).await;
    let (status, body) = f.create(&create_body("dup", json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error_code"], "FSS.1061", "{body}");
    // Same name in another package is another function.
    f.create_ok("dup", json!({"package": "other"})).await;

    let missing = f.invoke(&urn.replace(":dup:", ":nope:"), json!({})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error_code"], "FSS.1051");
    let other_version = f.invoke(&urn.replace(":latest", ":v1"), json!({})).await;
    assert_eq!(other_version.status, StatusCode::NOT_FOUND);

    let no_route = f
        .client
        .get(format!("{}/nothing/here", f.server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_route.status(), StatusCode::NOT_FOUND);
    f.server.shutdown().await;
}

#[tokio::test]
async fn validation_errors_carry_their_codes() {
    let f = Fixture::start().await;
    let cases = [
        (json!({"runtime": "Python3.9"}), "FSS.1005"),
        (json!({"handler": "index"}), "FSS.1003"),
        (json!({"memory_size": 100}), "FSS.1007"),
        (json!({"timeout": 1}), "FSS.1008"),
        (json!({"initializer_handler": "init"}), "FSS.1404"),
        (json!({"initializer_handler": "index.init"}), "FSS.1405"),
        (
            json!({"initializer_handler": "index.init", "initializer_timeout": 301}),
            "FSS.1405",
        ),
        (json!({"func_name": "9lives"}), "FSS.1002"),
        (json!({"package": "a b"}), "FSS.1004"),
        (json!({"code_type": "inline"}), "FSS.1006"),
        (json!({"func_code": {}}), "FSS.1012"),
        (json!({"func_code": {"file": "***"}}), "FSS.1011"),
        (
            json!({"func_code": {"file": BASE64.encode("not a zip")}}),
            "FSS.1011",
        ),
        (json!({"memory_size": "128"}), "FSS.0400"),
        (json!({"user_data": "{\"A\": 1}"}), "FSS.1009"),
        (json!({"user_data": user_data_of(21, 1)}), "FSS.1017"),
        (json!({"user_data": user_data_of(1, 4096)}), "FSS.1018"),
    ];
    for (extra, code) in cases {
        let (status, body) = f.create(&create_body("v", extra.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {body}");
        assert_eq!(body["error_code"], code, "{extra}: {body}");
        assert!(!body["error_msg"].as_str().unwrap().is_empty());
    }
    let mut missing = create_body("v", json!({}));
    missing.as_object_mut().unwrap().remove("handler");
    let (status, body) = f.create(&missing).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("FSS.0400"))
    );

    let not_json = f
        .client
        .post(f.functions_url())
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let urn = f.create_ok("v", json!({})).await;
    let invoked = f.invoke_with(&urn, "not json", &[]).await;
    assert_eq!(invoked.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(invoked.json()["error_code"], "FSS.0406");
    f.server.shutdown().await;
}

#[tokio::test]
async fn unsafe_zip_entries_are_refused() {
    let f = Fixture::start().await;
    let zip = zip_of(&[("index.js", "x"), ("../escaped.js", "evil")]);
    let (status, body) = f
        .create(&create_body(
            "slip",
            json!({"func_code": {"file": BASE64.encode(zip)}}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "FSS.1011");
    let message = body["error_msg"].as_str().unwrap();
    assert!(message.contains("../escaped.js"), "{message}");
    // Nothing was registered: the name is still free.
    f.create_ok("slip", json!({})).await;
    f.server.shutdown().await;
}

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

#[tokio::test]
async fn invoke_v1_answers_with_result_summary_and_headers() {
    let f = Fixture::start().await;
    let urn = f
        .create_ok(
            "v1",
            json!({"user_data": "{\"GREETING\":\"hello\"}", "memory_size": 256}),
        )
        .await;
    let invoked = f.invoke(&urn, json!({"tag": "one"})).await;
    assert_eq!(invoked.status, StatusCode::OK, "{}", invoked.body);
    let body = invoked.json();
    let request_id = invoked.header("x-cff-request-id");
    assert_eq!(body["request_id"], request_id);
    assert_eq!(request_id.len(), 36, "a UUID: {request_id}");
    assert_eq!(body["status"], 200);
    assert_eq!(invoked.header("x-cff-response-version"), "v1");
    assert_eq!(invoked.header("x-func-err-code"), "0");
    assert_eq!(invoked.header("x-is-func-err"), "false");
    let system_node = fgref::node::resolve(runtime_id(), None).unwrap();
    assert_eq!(invoked.header("x-fgref-node-version"), system_node.version);

    let summary: Value = serde_json::from_str(invoked.header("x-cff-invoke-summary")).unwrap();
    let keys: Vec<_> = summary.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 4, "{summary}");
    let duration = summary["duration"].as_f64().unwrap();
    let billing = summary["billingDuration"].as_u64().unwrap();
    assert!(duration > 0.0, "{summary}");
    assert_eq!(billing, (duration.ceil() as u64).max(1), "{summary}");
    assert_eq!(
        invoked.header("x-cff-billing-duration"),
        billing.to_string()
    );
    assert_eq!(summary["memorySize"], 256);
    let used = summary["memoryUsed"].as_f64().unwrap();
    assert!(
        used > 5.0 && used < 1024.0,
        "node's peak RSS in MB: {summary}"
    );

    let result = invoked.result();
    assert_eq!(result["tag"], "one");
    assert_eq!(result["invokeType"], "sync");
    let env = &result["env"];
    assert_eq!(env["GREETING"], "hello");
    assert_eq!(env["HOME"], Value::Null, "only PATH is inherited: {env}");
    assert_eq!(env["RUNTIME_HANDLER"], "index.handler");
    assert_eq!(env["RUNTIME_MEMORY"], "256");
    assert_eq!(env["RUNTIME_CPU"], "600");
    assert_eq!(env["RUNTIME_PROJECT_ID"], PROJECT);
    assert_eq!(env["RUNTIME_USERDATA"], "{\"GREETING\":\"hello\"}");
    let code_root = PathBuf::from(env["RUNTIME_CODE_ROOT"].as_str().unwrap());
    assert!(code_root.join("index.js").is_file());
    assert_eq!(result["cwd"], env["RUNTIME_CODE_ROOT"]);
    f.server.shutdown().await;
}

#[tokio::test]
async fn invoke_without_version_header_answers_the_raw_result() {
    let f = Fixture::start().await;
    let urn = f.create_ok("raw", json!({})).await;
    let invoked = f.invoke_with(&urn, r#"{"raw": "plain words"}"#, &[]).await;
    assert_eq!(invoked.status, StatusCode::OK);
    assert_eq!(invoked.body, "plain words");
    assert_eq!(invoked.header("x-cff-response-version"), "v0");
    assert_eq!(invoked.header("x-func-err-code"), "0");
    assert!(invoked.headers.contains_key("x-cff-invoke-summary"));
    assert!(invoked.headers.contains_key("x-cff-request-id"));
    assert!(
        !invoked.headers.contains_key("x-cff-function-log"),
        "no log without X-Cff-Log-Type: tail"
    );

    let no_tail = f
        .invoke_with(&urn, r#"{"raw": "x"}"#, &[("X-CFF-Request-Version", "v1")])
        .await;
    assert_eq!(no_tail.json()["log"], "");
    assert_eq!(no_tail.json()["result"], "x");
    f.server.shutdown().await;
}

#[tokio::test]
async fn each_call_gets_its_own_output_between_platform_lines() {
    let f = Fixture::start().await;
    let urn = f.create_ok("logs", json!({})).await;
    let first = f.invoke(&urn, json!({"tag": "first"})).await;
    let log = first.json()["log"].as_str().unwrap().to_owned();
    let id = first.header("x-cff-request-id");
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines[0].ends_with(&format!("Z Start invoke request '{id}', version: latest")),
        "{log}"
    );
    // Cold start: the runtime's start-up output belongs to the first call, stdout and stderr
    // in the order written.
    assert_eq!(
        &lines[1..4],
        ["booting logs", "handling first", "stderr of first"],
        "{log}"
    );
    let finish = lines[4];
    assert!(
        finish.contains(&format!("Z Finish invoke request '{id}', duration: ")),
        "{log}"
    );
    assert!(finish.contains("ms, billing duration: "), "{finish}");
    assert!(finish.ends_with("MB, billing memory: 128MB"), "{finish}");
    assert_eq!(lines.len(), 5, "{log}");
    let header_log = BASE64.decode(first.header("x-cff-function-log")).unwrap();
    assert_eq!(String::from_utf8(header_log).unwrap(), log);

    let second = f.invoke(&urn, json!({"tag": "second"})).await;
    assert_eq!(pid_of(&first), pid_of(&second), "warm instance reused");
    let log = second.json()["log"].as_str().unwrap().to_owned();
    assert!(log.contains("handling second"), "{log}");
    assert!(!log.contains("first"), "{log}");
    assert!(!log.contains("booting"), "{log}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn output_written_right_before_the_answer_is_in_that_calls_log() {
    let f = Fixture::start().await;
    let urn = f.create_ok("chatty", json!({})).await;
    for round in 0..20 {
        let tag = format!("r{round}");
        let invoked = f.invoke(&urn, json!({"tag": tag, "spam": 100})).await;
        let log = invoked.json()["log"].as_str().unwrap().to_owned();
        let lines: Vec<&str> = log.lines().collect();
        assert!(log.len() <= 4096, "the body log is a 4 KB tail");
        assert_eq!(
            lines[lines.len() - 2],
            format!("last words of {tag}"),
            "{log}"
        );
        assert!(lines[lines.len() - 1].contains("Finish invoke request"));
        let header = BASE64.decode(invoked.header("x-cff-function-log")).unwrap();
        assert!(header.len() <= 2000);
        assert!(log.ends_with(std::str::from_utf8(&header).unwrap()));
    }
    f.server.shutdown().await;
}

#[tokio::test]
async fn function_errors_are_answered_with_200_and_error_headers() {
    let f = Fixture::start().await;
    let urn = f.create_ok("fails", json!({})).await;
    let invoked = f
        .invoke(&urn, json!({"tag": "x", "fail": "it broke"}))
        .await;
    assert_eq!(invoked.status, StatusCode::OK);
    assert_eq!(invoked.header("x-is-func-err"), "true");
    assert_eq!(invoked.header("x-func-err-code"), "4002");
    assert_eq!(invoked.json()["status"], 500);
    assert_eq!(
        invoked.result(),
        json!({"errorMessage": "it broke", "errorType": "Error"})
    );
    // The instance survives a handled error.
    let next = f.invoke(&urn, json!({"tag": "y"})).await;
    assert_eq!(next.header("x-is-func-err"), "false");
    f.server.shutdown().await;
}

#[tokio::test]
async fn init_error_fails_the_call_as_handled_initialization_error() {
    let f = Fixture::start().await;
    let urn = f
        .create_ok(
            "badinit",
            json!({"user_data": "{\"FAIL_INIT\":\"no config\"}"}),
        )
        .await;
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    assert_eq!(invoked.status, StatusCode::OK);
    assert_eq!(invoked.header("x-is-func-err"), "true");
    assert_eq!(invoked.header("x-func-err-code"), "4201");
    assert_eq!(
        invoked.result(),
        json!({"errorMessage": "no config", "errorType": "HandledInitializationError"})
    );
    let log = invoked.json()["log"].as_str().unwrap().to_owned();
    assert!(log.contains("booting badinit"), "{log}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn timeout_kills_the_instance_and_the_next_call_starts_a_new_one() {
    let f = Fixture::start().await;
    let urn = f.create_ok("slow", json!({"timeout": 3})).await;
    let warm = f.invoke(&urn, json!({"tag": "warm"})).await;
    let old_pid = pid_of(&warm);
    let started = Instant::now();
    let invoked = f
        .invoke(&urn, json!({"tag": "slow", "sleep_ms": 20_000}))
        .await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
    assert_eq!(invoked.header("x-is-func-err"), "true");
    assert_eq!(invoked.header("x-func-err-code"), "4010");
    assert_eq!(
        invoked.result(),
        json!({"errorMessage": "invoke timed out after 3s", "errorType": "TimeoutError"})
    );
    let log = invoked.json()["log"].as_str().unwrap().to_owned();
    assert!(log.contains("handling slow"), "{log}");
    assert!(
        !proc_exists(old_pid),
        "the timed-out instance was killed and reaped"
    );

    let next = f.invoke(&urn, json!({"tag": "after"})).await;
    assert_eq!(next.header("x-is-func-err"), "false", "{}", next.body);
    assert_ne!(pid_of(&next), old_pid);
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_process_exit_fails_the_call_in_flight() {
    let f = Fixture::start().await;
    let urn = f.create_ok("exits", json!({})).await;
    let invoked = f.invoke(&urn, json!({"tag": "bye", "exit": true})).await;
    assert_eq!(invoked.header("x-func-err-code"), "4204");
    assert_eq!(
        invoked.result(),
        json!({"errorMessage": "runtime process is exited", "errorType": "RuntimeExitError"})
    );
    assert!(
        invoked.json()["log"]
            .as_str()
            .unwrap()
            .contains("handling bye")
    );
    let next = f.invoke(&urn, json!({"tag": "again"})).await;
    assert_eq!(next.header("x-is-func-err"), "false", "{}", next.body);
    f.server.shutdown().await;
}

#[tokio::test]
async fn concurrent_invokes_get_separate_instances() {
    let f = Fixture::start().await;
    let urn = f.create_ok("busy", json!({})).await;
    let event = json!({"tag": "c", "sleep_ms": 1000});
    let (a, b) = tokio::join!(f.invoke(&urn, event.clone()), f.invoke(&urn, event));
    let pids = [pid_of(&a), pid_of(&b)];
    assert_ne!(pids[0], pids[1]);
    let again = f.invoke(&urn, json!({"tag": "warm"})).await;
    assert!(pids.contains(&pid_of(&again)), "a warm instance is reused");
    f.server.shutdown().await;
    for pid in pids {
        assert!(!proc_exists(pid), "instance {pid} survived shutdown");
    }
}

#[tokio::test]
async fn shutdown_kills_instances_even_mid_call() {
    let f = Fixture::start().await;
    let urn = f.create_ok("stuck", json!({"timeout": 60})).await;
    let idle = pid_of(&f.invoke(&urn, json!({"tag": "idle"})).await);
    let client = f.client.clone();
    let url = format!("{}/invocations", f.function_url(&urn));
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .body(json!({"tag": "stuck", "sleep_ms": 60_000}).to_string())
            .send()
            .await
    });
    // Let the warm instance take the slow call, so shutdown meets it mid-call.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    f.server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!proc_exists(idle), "instance {idle} survived shutdown");
    let _ = tokio::time::timeout(Duration::from_secs(10), in_flight).await;
}

#[tokio::test]
async fn dropping_the_server_kills_its_instances() {
    let f = Fixture::start().await;
    let urn = f.create_ok("dropped", json!({})).await;
    let pid = pid_of(&f.invoke(&urn, json!({"tag": "x"})).await);
    drop(f);
    assert!(
        gone_within(pid, Duration::from_secs(5)).await,
        "{pid} survived"
    );
}

#[tokio::test]
async fn delete_stops_the_functions_instances() {
    let f = Fixture::start().await;
    let urn = f.create_ok("deleted", json!({})).await;
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    let pid = pid_of(&invoked);
    let code_root = PathBuf::from(
        invoked.result()["env"]["RUNTIME_CODE_ROOT"]
            .as_str()
            .unwrap(),
    );
    assert!(code_root.is_dir());
    let deleted = f.client.delete(f.function_url(&urn)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(!proc_exists(pid), "instance {pid} survived DeleteFunction");
    assert!(
        !code_root.exists(),
        "the unpacked package outlived DeleteFunction"
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn idle_instances_are_recycled() {
    let f = Fixture::start_with(|c| c.idle_timeout = Duration::from_millis(200)).await;
    let urn = f.create_ok("idle", json!({})).await;
    let pid = pid_of(&f.invoke(&urn, json!({"tag": "x"})).await);
    assert!(gone_within(pid, Duration::from_secs(5)).await, "{pid} kept");
    let next = f.invoke(&urn, json!({"tag": "y"})).await;
    assert_ne!(pid_of(&next), pid);
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_missing_node_release_is_a_platform_error() {
    let f = Fixture::start().await;
    // Node.js6.10 needs Node 6: not in the empty cache, and no current system node is major 6.
    let urn = f.create_ok("old", json!({"runtime": "Node.js6.10"})).await;
    let invoked = f.invoke(&urn, json!({})).await;
    assert_eq!(invoked.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = invoked.json();
    assert_eq!(body["error_code"], "FSS.0500");
    let message = body["error_msg"].as_str().unwrap();
    assert!(
        message.contains("Node.js6.10") && message.contains("6.10.3"),
        "{message}"
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn user_data_at_its_limits_is_accepted() {
    let f = Fixture::start().await;
    // 20 entries, and 4096 characters: {"K0":"…"} frames the value with 9.
    f.create_ok("twenty", json!({"user_data": user_data_of(20, 1)}))
        .await;
    f.create_ok("fourk", json!({"user_data": user_data_of(1, 4096 - 9)}))
        .await;
    f.server.shutdown().await;
}

fn summary_of(invoked: &Invoked) -> Value {
    serde_json::from_str(invoked.header("x-cff-invoke-summary")).unwrap()
}

/// Asserts a memory failure, that its instance is gone, and that the next call works.
async fn assert_memory_failure(f: &Fixture, urn: &str, event: Value) {
    let warm = f.invoke(urn, json!({"tag": "warm"})).await;
    let old_pid = pid_of(&warm);
    let used = summary_of(&warm)["memoryUsed"].as_f64().unwrap();
    assert!(
        used > 0.0 && used <= 128.0,
        "memoryUsed {used} within 128 MB"
    );

    let invoked = f.invoke(urn, event.clone()).await;
    assert_eq!(invoked.status, StatusCode::OK, "{}", invoked.body);
    assert_eq!(
        invoked.header("x-is-func-err"),
        "true",
        "{event}: {}",
        invoked.body
    );
    assert_eq!(
        invoked.header("x-func-err-code"),
        "4205",
        "{}",
        invoked.body
    );
    assert_eq!(
        invoked.result(),
        json!({"errorMessage": "runtime memory limit exceeded", "errorType": "RuntimeMemoryLimitExceeded"})
    );
    assert_eq!(invoked.json()["status"], 500);
    assert!(
        gone_within(old_pid, Duration::from_secs(5)).await,
        "the instance that ran out of memory survived"
    );

    let next = f.invoke(urn, json!({"tag": "after"})).await;
    assert_eq!(next.header("x-is-func-err"), "false", "{}", next.body);
    assert_ne!(pid_of(&next), old_pid);
}

#[tokio::test]
async fn a_resident_buffer_past_memory_size_fails_the_call() {
    let f = Fixture::start().await;
    let urn = f.create_ok("buffer", json!({"memory_size": 128})).await;
    assert_memory_failure(&f, &urn, json!({"tag": "big", "alloc_mb": 200})).await;
    // Below the limit the same function is fine, and its peak is reported within memory_size.
    let fine = f.invoke(&urn, json!({"tag": "fine", "alloc_mb": 20})).await;
    assert_eq!(fine.header("x-is-func-err"), "false", "{}", fine.body);
    let used = summary_of(&fine)["memoryUsed"].as_f64().unwrap();
    assert!(used > 20.0 && used <= 128.0, "{used}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_js_heap_past_memory_size_fails_the_call() {
    let f = Fixture::start().await;
    let urn = f.create_ok("heap", json!({"memory_size": 128})).await;
    assert_memory_failure(&f, &urn, json!({"tag": "big", "heap_mb": 400})).await;
    f.server.shutdown().await;
}

#[tokio::test]
async fn an_answer_over_the_response_limit_fails_the_call() {
    let f = Fixture::start().await;
    let urn = f.create_ok("bigresult", json!({"timeout": 30})).await;
    let limit = 6 * 1024 * 1024;
    let at = f
        .invoke_with(&urn, &json!({"big_bytes": limit}).to_string(), &[])
        .await;
    assert_eq!(at.header("x-is-func-err"), "false");
    assert_eq!(at.body.len(), limit);
    let over = f
        .invoke(&urn, json!({"tag": "over", "big_bytes": limit + 1}))
        .await;
    assert_eq!(over.header("x-is-func-err"), "true");
    assert_eq!(over.header("x-func-err-code"), "4008");
    assert_eq!(
        over.json()["result"],
        format!(
            "response body size {} exceeds the limit of {limit}",
            limit + 1
        )
    );
    // The runtime behaved; its instance stays warm.
    let next = f.invoke(&urn, json!({"tag": "next"})).await;
    assert_eq!(next.header("x-is-func-err"), "false");
    f.server.shutdown().await;
}

#[tokio::test]
async fn memory_past_the_limit_during_initialisation_fails_the_call() {
    let f = Fixture::start().await;
    let urn = f
        .create_ok(
            "fatinit",
            json!({"memory_size": 128, "user_data": "{\"ALLOC_INIT_MB\":\"200\"}"}),
        )
        .await;
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    assert_eq!(
        invoked.header("x-func-err-code"),
        "4205",
        "{}",
        invoked.body
    );
    assert_eq!(
        invoked.result()["errorMessage"],
        "runtime memory limit exceeded"
    );
    assert!(
        invoked.json()["log"]
            .as_str()
            .unwrap()
            .contains("booting fatinit")
    );
    f.server.shutdown().await;
}
