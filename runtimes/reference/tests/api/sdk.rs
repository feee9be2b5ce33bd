//! Huawei Cloud's official Python SDK, unchanged, against a standalone `fgref` that takes only
//! signed requests (or a token the SDK does not have): the SDK's AK/SK signatures verify, and
//! fgref's requests and answers (synchronous and asynchronous invocations among them) are shapes
//! the SDK sends and parses.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::process::{Child, Command};

/// The pinned SDK (the one place its version is written down).
const REQUIREMENTS: &str = include_str!("sdk-requirements.txt");
const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/sdk_client.py");
const PROJECT: &str = "sdk-project";
const ACCESS_KEY: &str = "AKFGREFSDKTEST";
const SECRET_KEY: &str = "fgref-sdk-test-secret";

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("fgref lives in runtimes/reference of the workspace")
}

fn pinned_version() -> &'static str {
    REQUIREMENTS
        .lines()
        .find_map(|line| line.trim().strip_prefix("huaweicloudsdkfunctiongraph=="))
        .expect("sdk-requirements.txt pins huaweicloudsdkfunctiongraph==VERSION")
}

/// `FGREF_SDK_PYTHON`, else the venv `.ci/run` makes.
fn sdk_python() -> PathBuf {
    if let Some(python) = std::env::var_os("FGREF_SDK_PYTHON") {
        return PathBuf::from(python);
    }
    let venv_python = workspace_root().join("target/sdk-venv/bin/python");
    assert!(
        venv_python.exists(),
        "the official SDK is not installed: FGREF_SDK_PYTHON is not set and {} does not exist. \
         From the workspace root, run `python3 -m venv target/sdk-venv && \
         target/sdk-venv/bin/pip install -r runtimes/reference/tests/api/sdk-requirements.txt`, \
         or set FGREF_SDK_PYTHON to a python that has huaweicloudsdkfunctiongraph=={}",
        venv_python.display(),
        pinned_version()
    );
    venv_python
}

/// The `fgref` binary, stopped with SIGTERM (so it stops its instances) when dropped.
struct Fgref {
    child: Child,
    url: String,
}

impl Fgref {
    async fn start() -> Self {
        // Secrets through the environment: fgref takes none on its command line.
        let mut child = Command::new(env!("CARGO_BIN_EXE_fgref"))
            .args(["--listen", "127.0.0.1:0", "--access-key", ACCESS_KEY])
            .env("FGREF_SECRET_KEY", SECRET_KEY)
            .env("FGREF_TOKEN", "a-token-the-sdk-lacks")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("failed to start the fgref binary");
        let url = super::listening_url(&mut child).await;
        Self { child, url }
    }

    async fn stop(mut self) {
        if let Some(pid) = self
            .child
            .id()
            .and_then(|id| rustix::process::Pid::from_raw(id as i32))
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let waited = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        assert!(
            matches!(waited, Ok(Ok(status)) if status.success()),
            "fgref did not stop cleanly on SIGTERM: {waited:?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the official SDK in target/sdk-venv; .ci/run installs it"]
async fn the_official_python_sdk_drives_a_standalone_fgref() {
    let python = sdk_python();
    let fgref = Fgref::start().await;

    let unsigned = fgref::http::plain_client_builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!(
            "{}/v2/{PROJECT}/fgs/functions/urn%3Afss%3Afgref%3A{PROJECT}%3Afunction%3Adefault%3Ax/config",
            fgref.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let refusal: Value = unsigned.json().await.unwrap();
    assert_eq!(refusal["error_code"], "FSS.0401", "{refusal}");

    let ran = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(&python)
            .arg(CLIENT)
            .env("FGREF_URL", &fgref.url)
            .env("FGREF_PROJECT", PROJECT)
            .env("FGREF_AK", ACCESS_KEY)
            .env("FGREF_SK", SECRET_KEY)
            // requests honours proxy variables; fgref is on loopback.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the SDK client did not finish within 120 s")
    .unwrap_or_else(|e| panic!("failed to run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "the SDK client failed ({}):\n{}\n{stdout}",
        ran.status,
        String::from_utf8_lossy(&ran.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: the SDK client printed {stdout:?}"));

    assert_eq!(seen["sdk_version"], pinned_version(), "{seen}");
    let urn = format!("urn:fss:fgref:{PROJECT}:function:default:sdk-hello:latest");
    let created = &seen["created"];
    assert_eq!(created["func_urn"], urn.as_str(), "{seen}");
    assert_eq!(created["runtime"], "Node.js20.15", "{seen}");
    assert_eq!(created["memory_size"], 128, "{seen}");

    let invoked = &seen["invoked"];
    assert_eq!(invoked["http_status"], 200, "{seen}");
    assert_eq!(invoked["status"], 200, "{seen}");
    let result: Value = serde_json::from_str(invoked["result"].as_str().unwrap()).unwrap();
    assert_eq!(result, serde_json::json!({"greeting": "hello sdk"}));
    let request_id = invoked["request_id"].as_str().unwrap();
    assert_eq!(request_id.len(), 36, "a UUID: {seen}");
    assert_eq!(invoked["x_cff_request_id"], request_id, "{seen}");
    let log = invoked["log"].as_str().unwrap();
    assert!(
        log.contains(&format!("Start invoke request '{request_id}'")),
        "{log}"
    );
    assert!(log.contains("hello from the SDK test"), "{log}");

    let called = &seen["async"];
    assert_eq!(called["http_status"], 202, "{seen}");
    let async_id = called["request_id"].as_str().unwrap();
    assert_eq!(async_id.len(), 36, "a UUID: {seen}");
    let listed = &called["listed"];
    assert_eq!(listed["http_status"], 200, "{seen}");
    assert_eq!(listed["count"], 1, "{seen}");
    assert_eq!(listed["next_marker"], 1, "{seen}");
    let record = &listed["records"][0];
    assert_eq!(record["request_id"], async_id, "{seen}");
    assert_eq!(record["status"], "SUCCESS", "{seen}");
    assert_eq!(record["error_code"], 0, "{seen}");
    assert_eq!(record["error_message"], "", "{seen}");
    // Both times parse as the SDK parses a datetime, in UTC, to the second.
    for time in [&record["start_time"], &record["end_time"]] {
        let time = time.as_str().unwrap();
        assert!(
            time.len() == 25 && time.ends_with("+00:00"),
            "{time}: {seen}"
        );
    }

    // The SDK's DeleteFunction with the func_urn CreateFunction answered names the latest
    // version, which may not be deleted; the function's own URN deletes it.
    assert_eq!(seen["latest_deleted"]["http_status"], 400, "{seen}");
    assert_eq!(seen["latest_deleted"]["error_code"], "FSS.1015", "{seen}");
    assert_eq!(seen["deleted"]["http_status"], 204, "{seen}");
    let after = &seen["after_delete"];
    assert_eq!(after["raised"], "ClientRequestException", "{seen}");
    assert_eq!(after["status_code"], 404, "{seen}");
    assert_eq!(after["error_code"], "FSS.1051", "{seen}");
    fgref.stop().await;
}
