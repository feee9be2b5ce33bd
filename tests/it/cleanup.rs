//! Nothing the suite creates outlives its run on a target that outlives the harness (a `url`
//! target: a standalone fgref here): a trial cut off by a timeout still deletes its function;
//! Ctrl-C deletes every live function and dependency version before the harness exits; and
//! `fgconform cleanup` deletes exactly the suite's leftovers of earlier runs (all runs', or one
//! run's with `--prefix`), nothing with `--dry-run`, and says which delete failed.

use crate::support::selftest;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use libtest_mimic::{Failed, Trial};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, project_root, text, wait_for};

pub fn trials() -> Vec<Trial> {
    vec![
        selftest(
            "selftest::cleanup::timed-out-trial-leaves-no-function",
            timed_out_trial_leaves_no_function,
        ),
        selftest(
            "selftest::cleanup::ctrl-c-deletes-live-functions",
            ctrl_c_deletes_live_functions,
        ),
        selftest(
            "selftest::cleanup::deletes-exactly-the-leftovers",
            cleanup_deletes_exactly_the_leftovers,
        ),
    ]
}

/// What the front of the standalone fgref does besides passing requests on.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Front {
    /// Passes everything on.
    Faithful,
    /// Never answers an invoke of a function whose name holds `hangs` (the trial's step times
    /// out); passes other invokes on after a second, and everything else at once.
    HangInvokes,
    /// Refuses every DeleteFunction with 500 FSS.0500.
    RefuseDeletes,
}

/// A standalone fgref on a thread of its own, with a front on another port; both stop when this
/// is dropped.
struct Standalone {
    /// The front's URL, for descriptors.
    url: String,
    /// fgref's own URL, to look at what is on it.
    fgref_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct FrontState {
    front: Front,
    upstream: String,
    http: reqwest::Client,
}

impl Standalone {
    fn start(front: Front) -> Result<Standalone, Failed> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(String, String), String>>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let tokio_runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            tokio_runtime.block_on(async move {
                let server = match fgref::Server::start(fgref::Config::default()).await {
                    Ok(server) => server,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let state = std::sync::Arc::new(FrontState {
                    front,
                    upstream: server.url(),
                    http: fgref::http::plain_client_builder()
                        .no_proxy()
                        .build()
                        .expect("reqwest client"),
                });
                let app = axum::Router::new()
                    .fallback(forward)
                    .with_state(state)
                    .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let url = format!("http://{}", listener.local_addr().expect("addr"));
                let _ = ready_tx.send(Ok((url, server.url())));
                // Not graceful: hung invokes must not hold the shutdown. Bounded either way.
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                    () = tokio::time::sleep(Duration::from_secs(300)) => {}
                }
                server.shutdown().await;
            });
        });
        let (url, fgref_url) = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|e| format!("the standalone fgref did not start: {e}"))??;
        Ok(Standalone {
            url,
            fgref_url,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// A descriptor for the front, in `dir`, with `extra` lines.
    fn descriptor(&self, dir: &Path, extra: &str) -> Result<String, Failed> {
        let path = dir.join(format!("standalone-{}.toml", uuid::Uuid::new_v4().simple()));
        std::fs::write(
            &path,
            format!(
                "name = \"standalone\"\nurl = \"{}\"\nruntimes = [\"Node.js20.15\"]\nfeatures = []\n{extra}",
                self.url
            ),
        )?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// The names of the functions on fgref itself (project `fgconform`, every page).
    fn names(&self) -> Result<Vec<String>, Failed> {
        let client = plain_client(&self.fgref_url)?;
        let page = block_on(client.list_functions(0, 400))?;
        Ok(page.functions.into_iter().map(|f| f.func_name).collect())
    }

    /// The names of the dependencies on fgref itself, a `name:version` per version.
    fn dependency_versions(&self) -> Result<Vec<String>, Failed> {
        let client = plain_client(&self.fgref_url)?;
        let mut all = Vec::new();
        for dependency in block_on(client.list_dependencies(0, 400))?.dependencies {
            let versions = block_on(client.list_dependency_versions(&dependency.id, 0, 400))?;
            for version in versions.dependencies {
                all.push(format!("{}:{}", dependency.name, version.version));
            }
        }
        all.sort();
        Ok(all)
    }

    /// Creates a version of the dependency `name` on fgref itself.
    fn create_dependency(&self, name: &str) -> Result<(), Failed> {
        let client = plain_client(&self.fgref_url)?;
        let request = fgconform::wire::CreateDependencyVersionRequest {
            depend_type: "zip".into(),
            depend_file: base64::engine::general_purpose::STANDARD.encode(echo_zip()),
            runtime: "Node.js20.15".into(),
            name: name.to_owned(),
            description: None,
        };
        block_on(client.create_dependency_version(&request))?;
        Ok(())
    }

    /// Creates a function named `name` on fgref itself.
    fn create(&self, name: &str) -> Result<(), Failed> {
        let client = plain_client(&self.fgref_url)?;
        let request = fgconform::wire::CreateFunctionRequest {
            func_name: name.to_owned(),
            package: Some("default".into()),
            runtime: "Node.js20.15".into(),
            handler: "index.handler".into(),
            memory_size: 128,
            timeout: Some(3),
            code_type: "zip".into(),
            func_code: Some(fgconform::wire::FuncCode {
                file: base64::engine::general_purpose::STANDARD.encode(echo_zip()),
            }),
            description: None,
            encrypted_user_data: None,
            pre_stop_handler: None,
            pre_stop_timeout: None,
            user_data: None,
            initializer_handler: None,
            initializer_timeout: None,
            depend_version_list: Vec::new(),
        };
        let reply = block_on(client.create_function(&request))?;
        if !reply.is_success() {
            return Err(format!("creating {name}: {}", reply.api_error("CreateFunction")).into());
        }
        Ok(())
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn forward(State(state): State<std::sync::Arc<FrontState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let is_invoke = parts.uri.path().ends_with("/invocations");
    if is_invoke && state.front == Front::HangInvokes {
        let hangs = parts.uri.path().contains("hangs");
        tokio::time::sleep(Duration::from_secs(if hangs { 120 } else { 1 })).await;
    }
    if parts.method == axum::http::Method::DELETE && state.front == Front::RefuseDeletes {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"error_code":"FSS.0500","error_msg":"deletes are refused here"}"#,
            ))
            .expect("response");
    }
    let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut upstream = state
        .http
        .request(parts.method.clone(), format!("{}{path}", state.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    match upstream.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            response.body(Body::from(bytes)).expect("response")
        }
        Err(e) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::from(e.to_string()))
            .expect("response"),
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

fn echo_zip() -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("index.js", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    writer.write_all(ECHO_JS.as_bytes()).expect("zip write");
    writer.finish().expect("zip").into_inner()
}

/// Whether `name` is one of a run's (the default `fgc` prefix and a run id).
fn a_runs(name: &str) -> bool {
    fgconform::names::is_suite_name(name, "fgc")
}

/// The first trial's invoke hangs until its step times out; while the second trial runs, the
/// first one's function must already be gone (not only at the run's end, which deletes what is
/// left too), and nothing is left after the run.
fn timed_out_trial_leaves_no_function() -> Result<(), Failed> {
    let platform = Standalone::start(Front::HangInvokes)?;
    let dir = tempfile::tempdir()?;
    let target = platform.descriptor(dir.path(), "")?;
    let cases = corpus(&[
        ("area/a-hangs", CASE_TOML, ECHO_JS, "{}"),
        ("area/b-after", CASE_TOML, ECHO_JS, "{}"),
    ]);
    // Snapshots of fgref's functions while the run goes on.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = std::thread::spawn({
        let url = platform.fgref_url.clone();
        let done = std::sync::Arc::clone(&done);
        move || {
            let client = plain_client(&url).expect("client");
            let mut snapshots = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(page) = block_on(client.list_functions(0, 400)) {
                    let names: Vec<String> =
                        page.functions.into_iter().map(|f| f.func_name).collect();
                    snapshots.push(names);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            snapshots
        }
    });
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--target",
            &target,
            "--test-threads",
            "1",
            "--format",
            "json",
        ],
        &[],
    );
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let snapshots = watcher.join().map_err(|_| "the watcher panicked")?;
    let log = text(&output);
    if !log.contains("InvokeFunction did not complete: timed out") {
        return Err(format!("the first trial's invoke did not time out:\n{log}").into());
    }
    let holds = |names: &[String], case: &str| {
        names
            .iter()
            .any(|name| a_runs(name) && name.contains(&format!("-area--{case}-")))
    };
    if !snapshots.iter().any(|names| holds(names, "a-hangs")) {
        return Err(format!("the hanging trial's function never showed: {snapshots:?}").into());
    }
    let second = snapshots.iter().filter(|names| holds(names, "b-after"));
    if let Some(names) = second.clone().find(|names| holds(names, "a-hangs")) {
        return Err(format!(
            "the timed-out trial's function was still there while the next trial ran: {names:?}"
        )
        .into());
    }
    if second.count() == 0 {
        return Err(format!("the second trial's function never showed: {snapshots:?}").into());
    }
    let left = platform.names()?;
    if !left.is_empty() {
        return Err(format!("functions outlived the run: {left:?}\n{log}").into());
    }
    Ok(())
}

fn ctrl_c_deletes_live_functions() -> Result<(), Failed> {
    let platform = Standalone::start(Front::HangInvokes)?;
    let dir = tempfile::tempdir()?;
    let target = platform.descriptor(dir.path(), "")?;
    let with_dependency = format!("{CASE_TOML}[function]\ndependencies = [\"lib\"]\n");
    let cases = corpus(&[
        ("area/hangs-one", CASE_TOML, ECHO_JS, "{}"),
        ("area/hangs-two", &with_dependency, ECHO_JS, "{}"),
    ]);
    std::fs::create_dir_all(cases.path().join("area/hangs-two/deps/lib"))?;
    std::fs::write(cases.path().join("area/hangs-two/deps/lib/lib.js"), "")?;
    let mut run = Command::new(env!("CARGO_BIN_EXE_fgconform"))
        .current_dir(project_root())
        .args(["--cases", cases.path().to_str().unwrap()])
        .args(["--target", &target, "--test-threads", "2"])
        .env("FGCONFORM_OFFLINE", "1")
        .env_remove("FGCONFORM_RUNTIME")
        .env_remove("FGCONFORM_FEATURE")
        .env_remove("FGCONFORM_LEVEL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Both trials hang in their invoke, their functions live on fgref.
    let both_up = wait_for(Duration::from_secs(30), || {
        platform
            .names()
            .is_ok_and(|names| names.iter().filter(|n| a_runs(n)).count() == 2)
    });
    let dependency_seen = platform
        .dependency_versions()
        .is_ok_and(|versions| versions.iter().any(|v| a_runs(v) && v.contains("-lib-")));
    let signalled = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()?;
    let exited = wait_for(Duration::from_secs(30), || {
        run.try_wait().ok().flatten().is_some()
    });
    if !exited {
        let _ = run.kill();
    }
    let status = run.wait()?;
    if !both_up {
        return Err("the run never had both functions on fgref".into());
    }
    if !dependency_seen {
        return Err("the run's dependency version never showed on fgref".into());
    }
    if !signalled.success() || !exited || status.code() != Some(130) {
        return Err(format!("SIGINT did not end the run with 130 within 30 s: {status:?}").into());
    }
    let left = platform.names()?;
    if !left.is_empty() {
        return Err(format!("functions outlived the interrupted run: {left:?}").into());
    }
    let left = platform.dependency_versions()?;
    if !left.is_empty() {
        return Err(format!("dependency versions outlived the interrupted run: {left:?}").into());
    }
    Ok(())
}

fn cleanup_deletes_exactly_the_leftovers() -> Result<(), Failed> {
    let platform = Standalone::start(Front::Faithful)?;
    let dir = tempfile::tempdir()?;
    let target = platform.descriptor(dir.path(), "")?;
    let run_a = [
        "fgc-1a2b3c4d-area--one-aaaaaa",
        "fgc-1a2b3c4d-area--two-bbbbbb",
    ];
    let run_b = "fgc-0f0f0f0f-area--one-cccccc";
    let team = "team-1a2b3c4d-area--one-dddddd";
    let others = ["my-function", "fgc-handler-echo", team];
    for name in run_a.iter().chain([&run_b]).chain(&others) {
        platform.create(name)?;
    }
    // Dependency versions: two of one run's, one of another's, one not the suite's.
    let run_a_dependency = "fgc-1a2b3c4d-forwarder-eeeeee";
    let run_b_dependency = "fgc-0f0f0f0f-lib-ffffff";
    for name in [
        run_a_dependency,
        run_a_dependency,
        run_b_dependency,
        "shared-lib",
    ] {
        platform.create_dependency(name)?;
    }
    let cleanup = |args: &[&str]| {
        let mut all = vec!["cleanup", "--target", target.as_str()];
        all.extend_from_slice(args);
        fgconform(&all, &[])
    };
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };
    let expect_left = |expected: &[&str], after: &str| -> Result<(), Failed> {
        let left = sorted(platform.names()?);
        let expected = sorted(expected.iter().map(|n| (*n).to_owned()).collect());
        if left != expected {
            return Err(format!("after {after}: left {left:?}, expected {expected:?}").into());
        }
        Ok(())
    };
    let all_six = [run_a[0], run_a[1], run_b, others[0], others[1], others[2]];

    let dry = cleanup(&["--dry-run"]);
    let said = String::from_utf8_lossy(&dry.stdout).into_owned();
    let would: Vec<_> = said
        .lines()
        .filter_map(|l| l.strip_prefix("would delete "))
        .filter(|what| !what.starts_with("dependency "))
        .collect();
    if dry.status.code() != Some(0)
        || sorted(would.iter().map(|n| n.to_string()).collect())
            != sorted(vec![run_a[0].into(), run_a[1].into(), run_b.into()])
    {
        return Err(format!("--dry-run named the wrong functions:\n{}", text(&dry)).into());
    }
    expect_left(&all_six, "--dry-run")?;
    if !said.contains(&format!(
        "would delete dependency {run_a_dependency} version 2\n"
    )) || platform.dependency_versions()?.len() != 4
    {
        return Err(format!("--dry-run and dependency versions:\n{}", text(&dry)).into());
    }

    let one_run = cleanup(&["--prefix", "fgc-1a2b3c4d"]);
    if one_run.status.code() != Some(0) {
        return Err(format!("--prefix failed:\n{}", text(&one_run)).into());
    }
    expect_left(
        &[run_b, others[0], others[1], others[2]],
        "--prefix fgc-1a2b3c4d",
    )?;

    let every_run = cleanup(&[]);
    let said = String::from_utf8_lossy(&every_run.stdout).into_owned();
    if every_run.status.code() != Some(0)
        || !said.contains(&format!("deleted {run_b}\n"))
        || !said.contains("deleted 1 function(s) and 1 dependency version(s)")
        || !said.contains("left 3 other function(s) alone")
    {
        return Err(format!("cleanup said:\n{}", text(&every_run)).into());
    }
    expect_left(&others, "cleanup")?;
    if platform.dependency_versions()? != ["shared-lib:1"] {
        return Err(format!("cleanup left: {:?}", platform.dependency_versions()?).into());
    }

    let team_target = platform.descriptor(dir.path(), "function_prefix = \"team\"\n")?;
    let team_run = fgconform(&["cleanup", "--target", &team_target], &[]);
    if team_run.status.code() != Some(0) {
        return Err(format!("function_prefix = \"team\":\n{}", text(&team_run)).into());
    }
    expect_left(&others[..2], "cleanup with function_prefix = \"team\"")?;

    let bad = cleanup(&["--prefix", "fgc"]);
    if bad.status.code() != Some(2) || !text(&bad).contains("is no run prefix") {
        return Err(format!("--prefix fgc was not refused:\n{}", text(&bad)).into());
    }
    let embedded = fgconform(&["cleanup", "--target", "runtimes/reference.toml"], &[]);
    if embedded.status.code() != Some(0) || !text(&embedded).contains("nothing to clean up") {
        return Err(format!("cleanup of the embedded fgref:\n{}", text(&embedded)).into());
    }

    // A delete the target refuses is named, and the exit status is 1.
    let refusing = Standalone::start(Front::RefuseDeletes)?;
    let refusing_target = refusing.descriptor(dir.path(), "")?;
    refusing.create(run_b)?;
    let refused = fgconform(&["cleanup", "--target", &refusing_target], &[]);
    let said = text(&refused);
    if refused.status.code() != Some(1) || !said.contains(&format!("FAIL {run_b}: ")) {
        return Err(format!("a refused delete:\n{said}").into());
    }
    Ok(())
}

/// A client of the standalone fgref, as a descriptor with no credentials builds it.
fn plain_client(url: &str) -> Result<fgconform::wire::Client, fgconform::wire::ProtocolError> {
    fgconform::wire::Client::new(fgconform::wire::Settings {
        base: url.to_owned(),
        project_id: "fgconform".into(),
        auth: fgconform::wire::Auth::None,
        ca: None,
        api_timeout: std::time::Duration::from_secs(30),
    })
}
