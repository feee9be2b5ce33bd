//! The platform API end to end: a real `fgref::Server` on 127.0.0.1:0 running a tiny test
//! runtime (below) on the system node. Function calls in `functions`; who may call in `auth`;
//! InvokeFunction and instances in `invocations`; AsyncInvokeFunction and ListAsyncInvocations
//! in `async_calls`; memory and size limits in `memory`; dependency
//! versions in `dependencies`; extensions and telemetry in `extensions`; the list calls in
//! `listing`; fgref's bounds in `bounds`; in `sdk`, the official SDK against the `fgref` binary;
//! in `secrets`, a function looking for the `fgref` binary's secrets, and its listen refusal.

mod async_calls;
mod auth;
mod bounds;
mod dependencies;
mod extensions;
mod functions;
mod invocations;
mod listing;
mod memory;
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
/// `GET http://127.0.0.1:<fetch>/seen` (an extension's observations), `report` first posts
/// `{"request_id", "tag"}` (the call's id as the runtime API handed it over) to
/// `http://127.0.0.1:<report>/report`, `linger_ms` waits that
/// long after answering before it asks for the next event.
/// It says it is up (`init/start`) first. In user_data: `BOOT_MS` spins that long before that,
/// as a slow start does; `NEVER_UP` makes no request at all; `INIT_MS` waits that long after
/// it before the first poll; `FAIL_INIT`
/// reports an init error; `ALLOC_INIT_MB` allocates like `alloc_mb` before the first poll.
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
      const cpu = process.cpuUsage();
      while (event.spin_cpu_ms) {
        const used = process.cpuUsage(cpu);
        if ((used.user + used.system) / 1000 >= event.spin_cpu_ms) break;
      }
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
      call('POST', '/v1/runtime/invocation/response/' + id, result,
        () => setTimeout(next, event.linger_ms || 0));
    };
    const go = () => { if (event.sleep_ms) setTimeout(answer, event.sleep_ms); else answer(); };
    if (!event.report) return go();
    const report = http.request({ host: '127.0.0.1', port: event.report, method: 'POST',
      path: '/report' }, (r) => { r.resume(); r.on('end', go); });
    report.on('error', go);
    report.end(JSON.stringify({ request_id: id, tag: event.tag }));
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
function init() {
  if (process.env.FAIL_INIT) {
    const error = JSON.stringify({ errorMessage: process.env.FAIL_INIT, errorType: 'Error' });
    return call('POST', '/v1/runtime/init/error', error, () => process.exit(1));
  }
  if (process.env.ALLOC_INIT_MB) kept.push(Buffer.alloc(process.env.ALLOC_INIT_MB * 1048576, 1));
  setTimeout(next, Number(process.env.INIT_MS || 0));
}
// A start-up as long as a loaded machine may make node's, before anything reaches the platform.
const booted = Date.now() + Number(process.env.BOOT_MS || 0);
while (Date.now() < booted) { /* busy, as a slow start is */ }
if (process.env.NEVER_UP) setInterval(() => {}, 1000); else call('POST', '/v1/runtime/init/start', '', init);
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

    /// DeleteFunction's URL for the function `urn` names: without its version, since the latest
    /// version may not be deleted.
    fn delete_url(&self, urn: &str) -> String {
        let function = urn.strip_suffix(":latest").unwrap_or(urn);
        self.function_url(function)
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

fn summary_of(invoked: &Invoked) -> Value {
    serde_json::from_str(invoked.header("x-cff-invoke-summary")).unwrap()
}

/// The URL a started `fgref` binary announces on its first line (`listening on URL`).
async fn listening_url(child: &mut tokio::process::Child) -> String {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let stdout = child.stdout.take().expect("fgref's stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("fgref printed nothing within 30 s")
        .unwrap()
        .expect("fgref exited before listening");
    line.strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("not fgref's first line: {line:?}"))
        .to_owned()
}
