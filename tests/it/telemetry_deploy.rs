//! The harness's side of telemetry cases end to end, against a fake platform built here: the
//! dependency versions it creates (the case's, then the forwarder, last), CreateFunction's
//! `depend_version_list` and user_data, the deletes on the way out (function first), the filing
//! of events per step, the wait, and a telemetry mismatch as a failure with its diff.

use crate::support::selftest;
use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use base64::Engine as _;
use libtest_mimic::{Failed, Trial};
use serde_json::{Value, json};

use crate::support::{fgconform, outcomes, text};

pub fn trials() -> Vec<Trial> {
    vec![selftest(
        "selftest::telemetry::harness-side-against-a-fake-platform",
        harness_side,
    )]
}

/// What the fake platform was asked, in order, and what it holds.
#[derive(Default)]
struct Platform {
    log: Vec<String>,
    /// Function name → its CreateFunction body.
    functions: HashMap<String, Value>,
    /// Dependency name → the file names in its zip.
    zips: HashMap<String, Vec<String>>,
    versions: u32,
    /// Function name → calls so far (the first is a cold start).
    calls: HashMap<String, u32>,
}

type Shared = Arc<Mutex<Platform>>;

async fn create_dependency_version(State(p): State<Shared>, body: String) -> impl IntoResponse {
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    let name = request["name"].as_str().unwrap_or_default().to_owned();
    let zip = base64::engine::general_purpose::STANDARD
        .decode(request["depend_file"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let files = zip::ZipArchive::new(Cursor::new(zip))
        .map(|archive| {
            archive
                .file_names()
                .filter_map(Result::ok)
                .map(|n| n.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut p = p.lock().unwrap();
    p.versions += 1;
    let n = p.versions;
    p.log.push(format!(
        "create-dependency {name} {} {} -> ver-{n}",
        request["runtime"].as_str().unwrap_or_default(),
        request["depend_type"].as_str().unwrap_or_default()
    ));
    p.zips.insert(name.clone(), files);
    axum::Json(
        json!({"id": format!("ver-{n}"), "dep_id": format!("dep-{n}"), "version": 1, "name": name}),
    )
}

fn model(name: &str) -> Value {
    json!({"func_urn": format!("urn:fss:fake:p:function:default:{name}:latest"), "func_name": name})
}

async fn create_function(State(p): State<Shared>, body: String) -> impl IntoResponse {
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    let name = request["func_name"].as_str().unwrap_or_default().to_owned();
    let mut p = p.lock().unwrap();
    p.log.push(format!(
        "create-function {name} {}",
        request["depend_version_list"]
    ));
    p.functions.insert(name.clone(), request);
    axum::Json(model(&name))
}

fn name_of(urn: &str) -> String {
    urn.split(':').nth(6).unwrap_or_default().to_owned()
}

async fn get_config(Path((_, urn)): Path<(String, String)>) -> impl IntoResponse {
    axum::Json(model(&name_of(&urn)))
}

async fn delete_function(
    State(p): State<Shared>,
    Path((_, urn)): Path<(String, String)>,
) -> StatusCode {
    p.lock()
        .unwrap()
        .log
        .push(format!("delete-function {}", name_of(&urn)));
    StatusCode::NO_CONTENT
}

async fn delete_version(
    State(p): State<Shared>,
    Path((_, dep, version)): Path<(String, String, String)>,
) -> StatusCode {
    p.lock()
        .unwrap()
        .log
        .push(format!("delete-dependency {dep}/{version}"));
    StatusCode::NO_CONTENT
}

/// Delivers the call's events to the collector the way platform and forwarder together would
/// (cold start events first on the first call; the `[Function]` line has no traceId), then
/// answers the call.
async fn invoke(
    State(p): State<Shared>,
    Path((_, urn)): Path<(String, String)>,
) -> impl IntoResponse {
    let name = name_of(&urn);
    let rid = uuid::Uuid::new_v4().to_string();
    let (url, cold) = {
        let mut p = p.lock().unwrap();
        let calls = p.calls.entry(name.clone()).or_default();
        *calls += 1;
        let cold = *calls == 1;
        let user_data: Value = p.functions[&name]["user_data"]
            .as_str()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        p.log.push(format!("invoke {name}"));
        (
            user_data["FGCONFORM_COLLECTOR_URL"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            cold,
        )
    };
    let t = "2026-03-02T08:15:04.510Z";
    let mut events = Vec::new();
    if cold {
        events.push(json!({"name": "platform.initStart", "startTime": t, "traceId": rid}));
    }
    events.extend([
        json!({"name": "platform.start", "startTime": t, "traceId": rid}),
        json!({"name": "function", "startTime": t, "logs": "[Function]hello"}),
        json!({"name": "platform.RuntimeDone", "startTime": t, "traceId": rid, "status": "success"}),
        json!({"name": "platform.report", "startTime": t, "traceId": rid, "endTime": t, "status": "success"}),
    ]);
    let delivered = fgref::http::plain_client_builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .post(&url)
        .json(&events)
        .send()
        .await
        .map(|r| r.status().as_u16());
    if delivered.as_ref().ok() != Some(&200) {
        p.lock()
            .unwrap()
            .log
            .push(format!("delivery to {url:?} failed: {delivered:?}"));
    }
    let mut headers = HeaderMap::new();
    headers.insert("x-cff-request-id", rid.parse().unwrap());
    let body = json!({"request_id": rid, "result": "ok", "log": "", "status": 200});
    (headers, axum::Json(body))
}

fn serve(runtime: &tokio::runtime::Runtime) -> (std::net::SocketAddr, Shared) {
    let shared = Shared::default();
    let router = Router::new()
        .route(
            "/v2/{project}/fgs/dependencies/version",
            post(create_dependency_version),
        )
        .route(
            "/v2/{project}/fgs/dependencies/{dep}/version/{version}",
            delete(delete_version),
        )
        .route("/v2/{project}/fgs/functions", post(create_function))
        .route("/v2/{project}/fgs/functions/{urn}", delete(delete_function))
        .route("/v2/{project}/fgs/functions/{urn}/config", get(get_config))
        .route(
            "/v2/{project}/fgs/functions/{urn}/invocations",
            post(invoke),
        )
        .with_state(Arc::clone(&shared));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, shared)
}

const HOLDS_TOML: &str = r#"description = "telemetry per step"
spec = ["https://support.huaweicloud.com/api-functiongraph/functiongraph_06_2713.html"]
level = "documented"
features = ["telemetry"]

[function]
telemetry = ["platform", "function"]
dependencies = ["lib"]

[[steps]]
expected = "expected.json"

[[steps]]
expected = "warm.json"
"#;

const HOLDS_EXPECTED: &str = r#"{
  "request_id": {"$capture": "rid"},
  "telemetry": {"events": [
    {"name": "platform.initStart", "traceId": {"$same": "rid"}},
    {"name": "function", "logs": "[Function]hello"},
    {"name": "platform.report", "traceId": {"$same": "rid"}, "status": "success"}
  ]}
}"#;

/// The warm call's events are exactly its own: none of the first step's leak into it.
const HOLDS_WARM: &str = r#"{
  "request_id": {"$capture": "rid2"},
  "telemetry": {"exhaustive": true, "events": [
    {"name": "platform.start", "traceId": {"$same": "rid2"}},
    {"name": "function"},
    {"name": "platform.RuntimeDone", "traceId": {"$same": "rid2"}},
    {"name": "platform.report", "traceId": {"$same": "rid2"}}
  ]}
}"#;

const MISSING_TOML: &str = r#"description = "an event the platform never sends"
spec = ["https://support.huaweicloud.com/api-functiongraph/functiongraph_06_2713.html"]
level = "documented"
features = ["telemetry"]

[function]
telemetry = ["platform"]
"#;

const MISSING_EXPECTED: &str =
    r#"{"telemetry": {"events": [{"name": "platform.start"}, {"name": "platform.restoreStart"}]}}"#;

fn harness_side() -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (addr, platform) = serve(&runtime);
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("fake.toml");
    std::fs::write(
        &target,
        format!(
            "name = \"fake\"\nurl = \"http://{addr}\"\nproject_id = \"p\"\nruntimes = [\"Node.js20.15\"]\nfeatures = [\"telemetry\"]\n"
        ),
    )?;
    let cases = dir.path().join("cases");
    for (id, toml, files) in [
        (
            "telemetry/holds",
            HOLDS_TOML,
            &[("expected.json", HOLDS_EXPECTED), ("warm.json", HOLDS_WARM)][..],
        ),
        (
            "telemetry/missing",
            MISSING_TOML,
            &[("expected.json", MISSING_EXPECTED)][..],
        ),
    ] {
        let case = cases.join(id);
        std::fs::create_dir_all(case.join("code"))?;
        std::fs::write(
            case.join("code/index.js"),
            "exports.handler = function () {};",
        )?;
        std::fs::write(case.join("case.toml"), toml)?;
        for (name, content) in files {
            std::fs::write(case.join(name), content)?;
        }
    }
    std::fs::create_dir_all(cases.join("telemetry/holds/deps/lib"))?;
    std::fs::write(
        cases.join("telemetry/holds/deps/lib/lib.js"),
        "exports.x = 1;",
    )?;

    // One thread, and no durations from earlier runs (which start the longest trial first):
    // the trials run in the corpus's order, `holds` first.
    let no_history = tempfile::tempdir()?;
    let started = Instant::now();
    let output = fgconform(
        &[
            "--cases",
            cases.to_str().ok_or("path")?,
            "--target",
            target.to_str().ok_or("path")?,
            "--test-threads",
            "1",
            "--format",
            "json",
        ],
        &[(fgconform::schedule::CACHE_DIR_VAR, no_history.path())],
    );
    let took = started.elapsed();
    let found = outcomes(&output);
    let platform = platform.lock().unwrap();
    let log = platform.log.join("\n");
    let context = format!("platform log:\n{log}\n{}", text(&output));

    match found.get("Node.js20.15::telemetry::holds") {
        Some((outcome, _)) if outcome == "ok" => {}
        other => return Err(format!("holds: {other:?}\n{context}").into()),
    }
    match found.get("Node.js20.15::telemetry::missing") {
        Some((outcome, message))
            if outcome == "failed"
                && !message.contains("ERROR (")
                && message.contains("telemetry.events[1]: expected an event matching {\"name\":\"platform.restoreStart\"}")
                && message.contains("--- expected telemetry\n+++ actual telemetry") => {}
        other => return Err(format!("missing: {other:?}\n{context}").into()),
    }
    if took < Duration::from_secs(5) {
        return Err(format!(
            "the failing case did not wait 5 s for its events ({took:?})\n{context}"
        )
        .into());
    }

    // The `holds` trial (the first, one thread), in order: its dependency, then the forwarder;
    // the function listing both in that order; two calls; the function deleted before each
    // version.
    let holds: Vec<&str> = platform.log.iter().map(String::as_str).take(8).collect();
    // Names carry the run's prefix, `fgc-<run id>-`; the shapes below leave the run id out.
    let run_id = regex::Regex::new(r"^fgc-[0-9a-f]{8}-")?;
    let unrun = |name: &str| run_id.replace(name, "fgc-").into_owned();
    let shape: Vec<String> = holds
        .iter()
        .map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["create-dependency", name, runtime, kind, "->", id] => format!(
                    "create-dependency {} {runtime} {kind} {id}",
                    unrun(name.rsplit_once('-').map_or(*name, |(prefix, _)| prefix))
                ),
                ["create-function", _, list] => format!("create-function {list}"),
                [verb, _] if verb.ends_with("function") || *verb == "invoke" => verb.to_string(),
                _ => line.to_string(),
            }
        })
        .collect();
    let expected = [
        "create-dependency fgc-lib Node.js20.15 zip ver-1",
        "create-dependency fgc-forwarder Node.js20.15 zip ver-2",
        "create-function [\"ver-1\",\"ver-2\"]",
        "invoke",
        "invoke",
        "delete-function",
        "delete-dependency dep-1/1",
        "delete-dependency dep-2/1",
    ];
    if shape != expected {
        return Err(
            format!("the holds trial asked {shape:#?}, not {expected:#?}\n{context}").into(),
        );
    }
    let zips = |prefix: &str| {
        platform
            .zips
            .iter()
            .find(|(name, _)| unrun(name).starts_with(prefix))
            .map(|(_, files)| files.clone())
            .unwrap_or_default()
    };
    if zips("fgc-lib-") != ["lib.js"]
        || zips("fgc-forwarder-")
            != [
                "extension/extensionFgconformForwarder.sh",
                "extension/forwarder.js",
            ]
    {
        return Err(format!("zips: {:?}\n{context}", platform.zips).into());
    }
    let function = platform
        .functions
        .iter()
        .find(|(name, _)| unrun(name).starts_with("fgc-telemetry--holds-"))
        .map(|(_, request)| request)
        .ok_or("no holds function")?;
    let user_data: Value = serde_json::from_str(function["user_data"].as_str().unwrap_or("{}"))?;
    let url = user_data["FGCONFORM_COLLECTOR_URL"]
        .as_str()
        .unwrap_or_default();
    let url_shape = regex::Regex::new(r"^http://127\.0\.0\.1:[0-9]+/telemetry/[0-9a-f]{32}$")?;
    if user_data["FGCONFORM_TELEMETRY_TYPES"] != "platform,function" || !url_shape.is_match(url) {
        return Err(format!("user_data {user_data}\n{context}").into());
    }
    // The case without dependencies lists only the forwarder.
    let missing = regex::Regex::new(r"create-function fgc-[0-9a-f]{8}-telemetry--missing-")?;
    if !missing.is_match(&log) || !log.contains("[\"ver-3\"]") {
        return Err(format!("the missing trial's CreateFunction\n{context}").into());
    }
    Ok(())
}
