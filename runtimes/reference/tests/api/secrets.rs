//! What a function can learn of the `fgref` binary that runs it: a function that goes looking
//! for fgref's token and secret key (its parent's `/proc/PID/environ`, `cmdline` and `mem`, its
//! ancestors', every process's) finds nothing; and fgref will not listen on a non-loopback
//! address without authentication.

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::{create_body, runtime_id};

const PROJECT: &str = "p1";
const ACCESS_KEY: &str = "AKSECRETSTEST";

/// A language runtime whose every call looks for the event's `secrets` wherever a function
/// could read them, and answers what it found and what it was refused.
const PROBING_RUNTIME: &str = r#"'use strict';
const fs = require('fs');
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
function field(pid, name) {
  try {
    const status = fs.readFileSync('/proc/' + pid + '/status', 'utf8');
    const m = new RegExp('^' + name + ':\\s+(\\S+)', 'm').exec(status);
    return m ? m[1] : null;
  } catch (e) { return null; }
}
function probe(secrets) {
  const found = [];
  const look = (path) => {
    try {
      const text = fs.readFileSync(path).toString('latin1');
      for (const s of secrets) if (text.includes(s)) found.push(path);
      return 'read';
    } catch (e) { return e.code; }
  };
  const open = (path) => {
    try { fs.closeSync(fs.openSync(path, 'r')); return 'opened'; } catch (e) { return e.code; }
  };
  const ppid = Number(field('self', 'PPid'));
  const parent = {
    pid: ppid,
    environ: look('/proc/' + ppid + '/environ'),
    cmdline: look('/proc/' + ppid + '/cmdline'),
    mem: open('/proc/' + ppid + '/mem'),
  };
  try {
    for (const tid of fs.readdirSync('/proc/' + ppid + '/task')) {
      look('/proc/' + ppid + '/task/' + tid + '/environ');
    }
  } catch (e) { parent.tasks = e.code; }
  const ancestors = [];
  for (let pid = ppid; pid > 1 && ancestors.length < 64; pid = Number(field(pid, 'PPid'))) {
    ancestors.push(pid);
    look('/proc/' + pid + '/environ');
    look('/proc/' + pid + '/cmdline');
  }
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    look('/proc/' + name + '/environ');
    look('/proc/' + name + '/cmdline');
  }
  const own = JSON.stringify(process.env);
  for (const s of secrets) if (own.includes(s)) found.push('process.env');
  return {
    parent, ancestors, found,
    capEff: field('self', 'CapEff'), capPrm: field('self', 'CapPrm'),
    capBnd: field('self', 'CapBnd'), noNewPrivs: field('self', 'NoNewPrivs'),
  };
}
function next() {
  call('GET', '/v1/runtime/invocation/request', null, (res, body) => {
    const id = res.headers['x-cff-request-id'];
    const answer = JSON.stringify(probe(JSON.parse(body).secrets));
    call('POST', '/v1/runtime/invocation/response/' + id, answer, next);
  });
}
next();
"#;

/// The `fgref` binary with a token and a secret key in its environment, killed when dropped.
struct Fgref {
    child: Child,
    url: String,
}

impl Fgref {
    async fn start(dir: &Path, token: &str, secret_key: &str) -> Fgref {
        let bootstrap = dir.join("probing-runtime.js");
        std::fs::write(&bootstrap, PROBING_RUNTIME).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fgref"))
            .args(["--listen", "127.0.0.1:0", "--access-key", ACCESS_KEY])
            .arg("--nodejs-bootstrap")
            .arg(&bootstrap)
            // No cached releases: the system node serves.
            .arg("--node-cache")
            .arg(dir.join("node-cache"))
            .env("FGREF_TOKEN", token)
            .env("FGREF_SECRET_KEY", secret_key)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("failed to start the fgref binary");
        let url = super::listening_url(&mut child).await;
        Fgref { child, url }
    }
}

/// A value no other process on the machine holds.
fn unique(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("fgref-{what}-{}-{nanos:x}", std::process::id())
}

#[tokio::test]
async fn a_function_cannot_read_fgrefs_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (token, secret_key) = (unique("token"), unique("secret-key"));
    let fgref = Fgref::start(dir.path(), &token, &secret_key).await;
    let client = fgref::http::plain_client_builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let functions = format!("{}/v2/{PROJECT}/fgs/functions", fgref.url);
    let created = client
        .post(&functions)
        .header("X-Auth-Token", &token)
        .json(&create_body("prober", json!({"timeout": 30})))
        .send()
        .await
        .unwrap();
    let status = created.status();
    let model: Value = created.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["runtime"], runtime_id());
    let urn = model["func_urn"].as_str().unwrap().replace(':', "%3A");
    let invoked = client
        .post(format!("{functions}/{urn}/invocations"))
        .header("X-Auth-Token", &token)
        .header("X-CFF-Request-Version", "v1")
        .json(&json!({"secrets": [token, secret_key]}))
        .send()
        .await
        .unwrap();
    let status = invoked.status();
    let body: Value = invoked.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen: Value = serde_json::from_str(body["result"].as_str().unwrap()).unwrap();

    assert_eq!(
        seen["found"],
        json!([]),
        "the function found a secret: {seen}"
    );
    let parent = &seen["parent"];
    assert_eq!(
        parent["pid"],
        json!(fgref.child.id().unwrap()),
        "an instance's parent is fgref itself: {seen}"
    );
    // Readable by anyone, and free of secrets.
    assert_eq!(parent["cmdline"], "read", "{seen}");
    for denied in ["environ", "mem"] {
        assert_eq!(parent[denied], "EACCES", "{denied}: {seen}");
    }
    // No capability now, none to regain by exec.
    assert_eq!(seen["capEff"], "0000000000000000", "{seen}");
    assert_eq!(seen["capPrm"], "0000000000000000", "{seen}");
    assert_eq!(seen["noNewPrivs"], "1", "{seen}");
    drop(fgref);
}

#[tokio::test]
async fn fgref_will_not_listen_on_the_network_without_authentication() {
    let refused = Command::new(env!("CARGO_BIN_EXE_fgref"))
        .args(["--listen", "0.0.0.0:0"])
        .env_remove("FGREF_TOKEN")
        .env_remove("FGREF_SECRET_KEY")
        .env_remove("FGREF_ACCESS_KEY")
        .kill_on_drop(true)
        .output();
    let refused = tokio::time::timeout(Duration::from_secs(30), refused)
        .await
        .expect("fgref did not exit within 30 s")
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(refused.stdout.is_empty(), "it must not have listened");
    for hint in [
        "0.0.0.0:0",
        "FGREF_TOKEN",
        "--unauthenticated-network-listen",
    ] {
        assert!(stderr.contains(hint), "{hint} missing from: {stderr}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_fgref"))
        .arg("--help")
        .kill_on_drop(true)
        .output();
    let help = tokio::time::timeout(Duration::from_secs(30), help)
        .await
        .expect("fgref --help did not exit within 30 s")
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for said in [
        "--unauthenticated-network-listen",
        "FGREF_TOKEN",
        "FGREF_SECRET_KEY",
    ] {
        assert!(help.contains(said), "{said} missing from --help: {help}");
    }
}
