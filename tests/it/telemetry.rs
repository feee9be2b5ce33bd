//! The forwarder the harness ships with telemetry functions, run as an instance runs it (`bash
//! extension/extensionFgconformForwarder.sh` with the platform's environment) on the nodes at
//! hand, against a fake extension API built here and the harness's real collector.

use crate::support::selftest;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use fgconform::telemetry::forwarder::{self, COLLECTOR_URL_VAR, TYPES_VAR};
use fgconform::telemetry::{Collector, TrialTelemetry};
use libtest_mimic::{Completion, Failed, Trial};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// How long the forwarder may take to start, register and subscribe.
const START_TIMEOUT: Duration = Duration::from_secs(15);

pub fn trials() -> Vec<Trial> {
    let mut trials = vec![
        selftest("selftest::telemetry::forwarder-on-the-system-node", || {
            forwards_everything(&which_node()?)
        }),
        selftest(
            "selftest::telemetry::forwarder-waits-at-most-2s-for-the-collector",
            || gives_up_on_a_silent_collector(&which_node()?),
        ),
        selftest(
            "selftest::telemetry::forwarder-without-its-environment-says-why",
            || says_what_is_missing(&which_node()?),
        ),
    ];
    // The forwarder runs on the function's own node: the oldest, 6.10, is the one that matters.
    let name = "selftest::telemetry::forwarder-on-node-6.10";
    trials.push(
        match fgref::node::resolve("Node.js6.10", fgref::node::default_cache().as_deref()) {
            Ok(node) => selftest(name, move || forwards_everything(&node.path)),
            Err(error) => Trial::ignorable_test(name, move || {
                Ok(Completion::ignored_with(format!(
                    "skipped: {error}; `cargo run --release -- --install-runtimes --runtime Node.js6.10` installs it"
                )))
            }),
        },
    );
    trials
}

/// The machine's `node`, as an instance's PATH would find it.
fn which_node() -> Result<PathBuf, Failed> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("node"))
        .find(|node| node.is_file())
        .ok_or_else(|| "no `node` on PATH".into())
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// What the fake extension API saw, in order.
#[derive(Default)]
struct Seen {
    calls: Vec<(String, HeaderMap, String)>,
}

/// A fake of the platform's extension API on 127.0.0.1:0: `/extension/register` and `/telemetry`
/// answer 200 (as FunctionGraph documents) and record what came.
async fn fake_extension_api() -> (SocketAddr, Arc<Mutex<Seen>>) {
    async fn record(
        path: &'static str,
        State(seen): State<Arc<Mutex<Seen>>>,
        headers: HeaderMap,
        body: String,
    ) -> String {
        seen.lock()
            .unwrap()
            .calls
            .push((path.to_owned(), headers, body));
        if path == "/extension/register" {
            json!({"functionName": "f", "functionVersion": "latest",
                   "errorInfo": {"errorType": "", "errorMessage": ""}})
            .to_string()
        } else {
            String::new()
        }
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let router = Router::new()
        .route(
            "/extension/register",
            post(|s, h, b| record("/extension/register", s, h, b)),
        )
        .route("/telemetry", post(|s, h, b| record("/telemetry", s, h, b)))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, seen)
}

/// The forwarder's zip, unpacked as a platform lays a dependency out in the code root.
fn unpack_forwarder() -> Result<tempfile::TempDir, Failed> {
    let root = tempfile::tempdir()?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(forwarder::zip()?))?;
    archive.extract(root.path())?;
    Ok(root)
}

/// `bash <root>/extension/extensionFgconformForwarder.sh` in `root`, with only the environment
/// an instance gives it: `node`'s directory first on PATH, and `env`.
fn start_forwarder(root: &Path, node: &Path, env: &[(&str, &str)]) -> Result<Child, Failed> {
    let node_dir = node.parent().ok_or("node has no directory")?;
    let mut command = Command::new("bash");
    command
        .arg(root.join(forwarder::SCRIPT_PATH))
        .current_dir(root)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", node_dir.display()))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Ok(command.spawn()?)
}

/// Its stderr so far, for failure messages (the forwarder is killed first).
async fn stderr_of(mut child: Child) -> String {
    let _ = child.kill().await;
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ =
            tokio::time::timeout(Duration::from_secs(2), stderr.read_to_string(&mut text)).await;
    }
    text
}

/// Waits until the fake API has seen `n` calls.
async fn calls_seen(seen: &Mutex<Seen>, n: usize) -> bool {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if seen.lock().unwrap().calls.len() >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn client() -> reqwest::Client {
    fgref::http::plain_client_builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Holds the first free port of 8081–8090, if any, so the forwarder must find another.
fn hold_a_port() -> Option<std::net::TcpListener> {
    (8081..=8090).find_map(|port| std::net::TcpListener::bind(("127.0.0.1", port)).ok())
}

fn forwards_everything(node: &Path) -> Result<(), Failed> {
    tokio_runtime().block_on(async {
        let root = unpack_forwarder()?;
        let collector = Collector::start("127.0.0.1:0".parse()?, None).await?;
        let mut telemetry = TrialTelemetry::open(&collector);
        telemetry.begin_step(1);
        let (api, seen) = fake_extension_api().await;
        let held = hold_a_port();
        let child = start_forwarder(
            root.path(),
            node,
            &[
                ("EXTENSION_API_ADDR", &api.to_string()),
                (COLLECTOR_URL_VAR, telemetry.url()),
                (TYPES_VAR, "platform,function"),
            ],
        )?;
        let checked = check_forwarding(&seen, held.as_ref(), &mut telemetry).await;
        let stderr = stderr_of(child).await;
        collector.stop().await;
        checked.map_err(|why| format!("{why}\nforwarder's stderr:\n{stderr}").into())
    })
}

async fn check_forwarding(
    seen: &Mutex<Seen>,
    held: Option<&std::net::TcpListener>,
    telemetry: &mut TrialTelemetry,
) -> Result<(), String> {
    if !calls_seen(seen, 2).await {
        return Err("the forwarder did not register and subscribe".into());
    }
    let (address, subscription) = {
        let seen = seen.lock().unwrap();
        let (register, headers, _) = &seen.calls[0];
        let (subscribe, _, body) = &seen.calls[1];
        if register != "/extension/register" || subscribe != "/telemetry" {
            return Err(format!(
                "expected register, then subscribe; got {register}, {subscribe}"
            ));
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if header("FunctionGraph-Extension-Name") != "extensionFgconformForwarder.sh" {
            return Err(format!(
                "registered as {:?}",
                header("FunctionGraph-Extension-Name")
            ));
        }
        let address = header("FunctionGraph-Extension-Address");
        let subscription: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        (address, subscription)
    };
    let port: u16 = address
        .strip_prefix("127.0.0.1:")
        .and_then(|port| port.parse().ok())
        .ok_or_else(|| format!("registered the address {address:?}"))?;
    if !(8081..=8090).contains(&port) {
        return Err(format!("listens on {port}, outside 8081-8090"));
    }
    if held.is_some_and(|held| held.local_addr().map(|a| a.port()).ok() == Some(port)) {
        return Err(format!("registered {port}, a port another process holds"));
    }
    let expected = json!({
        "subscriber": {"protocol": "POST", "uri": format!("http://127.0.0.1:{port}")},
        "types": ["platform", "function"]
    });
    if subscription != expected {
        return Err(format!("subscribed with {subscription}, not {expected}"));
    }

    let http = client();
    let invoke = http
        .post(format!("http://{address}/extension/invoke"))
        .json(&json!({"traceId": "r-1", "invokedFunctionUrn": "urn:fss:fgref:p:function:default:f:latest"}))
        .send()
        .await
        .map_err(|e| format!("/extension/invoke: {e}"))?;
    if invoke.status() != 200 {
        return Err(format!("/extension/invoke answered {}", invoke.status()));
    }
    let events = json!([
        {"name": "platform.start", "startTime": "2026-03-02T08:15:04.510Z", "traceId": "r-1"},
        {"name": "function", "startTime": "2026-03-02T08:15:04.511Z", "logs": "[Function]grüße \"quoted\""}
    ]);
    let delivered = http
        .post(format!("http://{address}"))
        .header("Content-Type", "application/json")
        .body(events.to_string())
        .send()
        .await
        .map_err(|e| format!("posting telemetry: {e}"))?;
    if delivered.status() != 200 {
        return Err(format!("telemetry answered {}", delivered.status()));
    }
    // Answered only after the collector took the events: they are there now, unchanged.
    let calls = [Some("r-1".to_owned())];
    telemetry.answered(&calls);
    let filed = telemetry.events(&calls);
    if Value::Array(filed[0].clone()) != events {
        return Err(format!("the collector holds {:?}, not {events}", filed[0]));
    }
    Ok(())
}

/// A collector that accepts connections and never answers: the forwarder answers the platform
/// after 2 s, with an error, and says so on stderr.
fn gives_up_on_a_silent_collector(node: &Path) -> Result<(), Failed> {
    tokio_runtime().block_on(async {
        let root = unpack_forwarder()?;
        // Never accepted: the kernel completes connections into the backlog, nobody reads.
        let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}/telemetry/t", silent.local_addr()?);
        let (api, seen) = fake_extension_api().await;
        let child = start_forwarder(
            root.path(),
            node,
            &[
                ("EXTENSION_API_ADDR", &api.to_string()),
                (COLLECTOR_URL_VAR, &url),
                (TYPES_VAR, "platform"),
            ],
        )?;
        let checked = async {
            if !calls_seen(&seen, 1).await {
                return Err("the forwarder did not register".to_owned());
            }
            let address = seen.lock().unwrap().calls[0]
                .1
                .get("FunctionGraph-Extension-Address")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let started = Instant::now();
            let answer = client()
                .post(format!("http://{address}"))
                .body("[]")
                .send()
                .await
                .map_err(|e| format!("posting telemetry: {e}"))?;
            let took = started.elapsed();
            if answer.status() == 200
                || !(Duration::from_millis(1900)..Duration::from_secs(5)).contains(&took)
            {
                return Err(format!(
                    "answered {} after {took:?}; expected an error after about 2 s",
                    answer.status()
                ));
            }
            Ok(())
        }
        .await;
        let stderr = stderr_of(child).await;
        checked.map_err(|why| format!("{why}\nforwarder's stderr:\n{stderr}"))?;
        if !stderr.contains("fgconform forwarder: forwarding 2 bytes of telemetry to")
            || !stderr.contains("no answer within 2000 ms")
        {
            return Err(format!("stderr does not say what failed:\n{stderr}").into());
        }
        Ok(())
    })
}

/// Started outside an instance, it exits at once and says which variable is missing.
fn says_what_is_missing(node: &Path) -> Result<(), Failed> {
    tokio_runtime().block_on(async {
        let root = unpack_forwarder()?;
        let child = start_forwarder(root.path(), node, &[(TYPES_VAR, "platform")])?;
        let output = tokio::time::timeout(START_TIMEOUT, child.wait_with_output()).await??;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(1)
            || !stderr.contains("fgconform forwarder: EXTENSION_API_ADDR is \"\"")
        {
            return Err(format!("exit {:?}, stderr:\n{stderr}", output.status.code()).into());
        }
        Ok(())
    })
}
