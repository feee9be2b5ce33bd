//! Extensions and telemetry end to end (PROTOCOL.md §7–§8): a dependency brings an extension
//! that registers, subscribes, and reports what it saw to the function, which returns it.

use super::*;

/// An extension steered by its environment: it listens on `EXT_PORT` (default 8081), tries the
/// refusals first, registers, subscribes (unless `NO_SUBSCRIBE`), and serves what it saw at
/// `GET /seen`. `NEVER_REGISTER` makes it hang instead.
const TEST_EXTENSION: &str = r#"'use strict';
const http = require('http');
const [host, port] = process.env.EXTENSION_API_ADDR.split(':');
const name = process.argv[2];
const PORT = Number(process.env.EXT_PORT || 8081);
const seen = { pid: process.pid, name: name, invokes: [], batches: [], refusals: {} };
function post(path, headers, body, done) {
  const req = http.request({ host, port, method: 'POST', path, headers }, (res) => {
    let data = '';
    res.on('data', (c) => { data += c; });
    res.on('end', () => done(res.statusCode, data));
  });
  req.on('error', (e) => { console.error('extension API failed: ' + e.message); process.exit(1); });
  req.end(body);
}
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    if (req.url === '/extension/invoke') { seen.invokes.push(JSON.parse(body)); res.end('{}'); }
    else if (req.url === '/tele') { seen.batches.push(JSON.parse(body)); res.end(); }
    else if (req.url === '/seen') { res.end(JSON.stringify(seen)); }
    else { res.statusCode = 404; res.end(); }
  });
});
if (process.env.NEVER_REGISTER) {
  setInterval(() => {}, 1000);
} else server.listen(PORT, '127.0.0.1', () => {
  const address = '127.0.0.1:' + PORT;
  const subscription = (protocol) => JSON.stringify({
    subscriber: { protocol, uri: 'http://127.0.0.1:' + PORT + '/tele' },
    types: ['platform', 'function', 'extension'],
  });
  const json = { 'Content-Type': 'application/json' };
  // SLOW_REGISTER_MS: a start that takes that long yet keeps trying, a refused attempt every 2 s.
  const until = Date.now() + Number(process.env.SLOW_REGISTER_MS || 0);
  const starting = (go) => Date.now() >= until ? go()
    : post('/extension/register', {}, '', () => setTimeout(() => starting(go), 2000));
  starting(() => post('/extension/register', { 'FunctionGraph-Extension-Address': address }, '', (s1) => {
    seen.refusals.no_name = s1;
    post('/extension/register', { 'FunctionGraph-Extension-Name': name,
                                  'FunctionGraph-Extension-Address': '127.0.0.1:9000' }, '', (s2) => {
      seen.refusals.port_9000 = s2;
      post('/extension/register', { 'FunctionGraph-Extension-Name': name,
                                    'FunctionGraph-Extension-Address': address }, '', (s3, b3) => {
        seen.register = { status: s3, body: JSON.parse(b3) };
        if (process.env.NO_SUBSCRIBE) return;
        post('/telemetry', json, subscription('GET'), (s4) => {
          seen.refusals.get_protocol = s4;
          post('/telemetry', json, subscription('POST'), (s5) => {
            seen.subscribed = s5;
            post('/telemetry', json, subscription('POST'), (s6) => {
              seen.refusals.second = s6;
              console.log('[Extension]ready');
              console.log('an untagged extension line');
            });
          });
        });
      });
    });
  }));
});
"#;

const SCRIPT: &str =
    "#!/bin/bash\nexec node \"$(dirname \"$0\")/test-extension.js\" \"$(basename \"$0\")\"\n";

impl Fixture {
    /// Creates a dependency version from `entries`; its version id.
    async fn create_extension_dependency(&self, name: &str, entries: &[(&str, &str)]) -> String {
        let response = self
            .client
            .post(format!(
                "{}/v2/{PROJECT}/fgs/dependencies/version",
                self.server.url()
            ))
            .json(&json!({
                "depend_type": "zip",
                "depend_file": BASE64.encode(zip_of(entries)),
                "runtime": runtime_id(),
                "name": name,
            }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// A function whose one dependency is the test extension, with `user_data`.
    async fn create_with_extension(&self, name: &str, user_data: Value) -> String {
        let dependency = self
            .create_extension_dependency(
                &format!("{name}-ext"),
                &[
                    ("extension/extensionTest.sh", SCRIPT),
                    ("extension/test-extension.js", TEST_EXTENSION),
                ],
            )
            .await;
        self.create_ok(
            name,
            json!({"depend_version_list": [dependency], "user_data": user_data.to_string()}),
        )
        .await
    }
}

/// What the extension saw, fetched by the function from inside the instance.
async fn seen_by_extension(f: &Fixture, urn: &str, port: u16) -> (Invoked, Value) {
    let invoked = f.invoke(urn, json!({"tag": "fetch", "fetch": port})).await;
    assert_eq!(invoked.header("x-is-func-err"), "false", "{}", invoked.body);
    let seen = invoked.result();
    (invoked, seen)
}

#[tokio::test]
async fn an_extension_registers_hears_every_call_and_receives_its_telemetry() {
    let f = Fixture::start().await;
    let urn = f.create_with_extension("ext", json!({})).await;
    let first = f.invoke(&urn, json!({"tag": "a", "tagged": "one"})).await;
    assert_eq!(first.header("x-is-func-err"), "false", "{}", first.body);
    let rid1 = first.header("x-cff-request-id").to_owned();
    let (second, seen) = seen_by_extension(&f, &urn, 8081).await;
    let rid2 = second.header("x-cff-request-id");

    assert_eq!(seen["register"]["status"], 200);
    assert_eq!(
        seen["register"]["body"],
        json!({"functionName": "ext", "functionVersion": "latest",
               "errorInfo": {"errorType": "", "errorMessage": ""}})
    );
    for refusal in ["no_name", "port_9000", "get_protocol", "second"] {
        assert_eq!(seen["refusals"][refusal], 400, "{refusal}: {seen}");
    }
    assert_eq!(seen["subscribed"], 200);
    assert_eq!(
        seen["invokes"],
        json!([{"traceId": rid1, "invokedFunctionUrn": urn},
               {"traceId": rid2, "invokedFunctionUrn": urn}])
    );

    // The first call's events were delivered before it was answered; the second's are not yet.
    let events: Vec<Value> = seen["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|batch| batch.as_array().unwrap().clone())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] != "extension")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "platform.initStart",
            "platform.initRuntimeDone",
            "platform.initReport",
            "platform.start",
            "function",
            "platform.RuntimeDone",
            "platform.report"
        ],
        "{events:#?}"
    );
    for event in events.iter().filter(|e| e.get("traceId").is_some()) {
        assert_eq!(event["traceId"], rid1.as_str(), "{event}");
    }
    let function = events.iter().find(|e| e["name"] == "function").unwrap();
    assert_eq!(function["logs"], "[Function]one");
    let extension: Vec<&Value> = events.iter().filter(|e| e["name"] == "extension").collect();
    assert_eq!(
        extension.len(),
        1,
        "only the tagged extension line: {extension:?}"
    );
    assert_eq!(extension[0]["logs"], "[Extension]ready");
    let report = events
        .iter()
        .find(|e| e["name"] == "platform.report")
        .unwrap();
    let summary = summary_of(&first);
    for key in ["metrics", "reportMetrics"] {
        let m = &report[key];
        assert_eq!(m["durationMs"], summary["duration"], "{report}");
        assert_eq!(
            m["billingDurationMS"].as_f64(),
            summary["billingDuration"].as_f64()
        );
        assert_eq!(m["memoryUsed"], summary["memoryUsed"]);
        assert_eq!(m["memorySize"], 128);
        assert!(m["podName"].is_string());
    }
    assert_eq!(report["status"], "success");

    let extension_pid = seen["pid"].as_u64().unwrap() as u32;
    let response = f.client.delete(f.delete_url(&urn)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        gone_within(extension_pid, Duration::from_secs(5)).await,
        "the extension outlived its function"
    );
}

#[tokio::test]
async fn concurrent_instances_each_bind_the_same_extension_port() {
    let f = Fixture::start().await;
    let urn = f
        .create_with_extension("pair", json!({"EXT_PORT": "8090", "NO_SUBSCRIBE": "1"}))
        .await;
    let slow = json!({"tag": "c", "sleep_ms": 800});
    let (a, b) = tokio::join!(f.invoke(&urn, slow.clone()), f.invoke(&urn, slow));
    assert_eq!(a.header("x-is-func-err"), "false", "{}", a.body);
    assert_eq!(b.header("x-is-func-err"), "false", "{}", b.body);
    assert_ne!(pid_of(&a), pid_of(&b), "two instances");
    let (_, seen) = seen_by_extension(&f, &urn, 8090).await;
    assert_eq!(seen["register"]["status"], 200, "{seen}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn an_extension_that_never_registers_fails_the_call_naming_it() {
    let f = Fixture::start().await;
    let urn = f
        .create_with_extension("mute", json!({"NEVER_REGISTER": "1"}))
        .await;
    let started = Instant::now();
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(invoked.status, StatusCode::OK);
    assert_eq!(invoked.header("x-is-func-err"), "true");
    let error = invoked.result();
    assert_eq!(error["errorType"], "ExtensionRegisterError");
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap()
            .contains("extensionTest.sh"),
        "{error}"
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn extensions_that_keep_trying_are_waited_for_however_long_their_start() {
    let f = Fixture::start().await;
    // 6 s of refused attempts, 2 s apart, then a registration: longer than fgref's 5 s, but
    // never 5 s without a request, as a start a busy machine stretches.
    let urn = f
        .create_with_extension("slowext", json!({"SLOW_REGISTER_MS": "6000"}))
        .await;
    let started = Instant::now();
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert_eq!(invoked.header("x-is-func-err"), "false", "{}", invoked.body);
    f.server.shutdown().await;
}
