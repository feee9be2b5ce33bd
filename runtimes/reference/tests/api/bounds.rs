//! fgref's bounds end to end (PROTOCOL.md §4 "Instance limits", §1 "Connections and bodies",
//! §5 "Per-instance limits"): `max_instance_num` and the platform's instance cap, bodies refused
//! by their declared length before they are read, the header-read timeout and the connection
//! limit, a fresh directory per run and per function, and the rlimits of an instance.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Fixture, PROJECT};

/// Sends `request` on a new connection and reads until the server closes it or `limit` passes;
/// `None` when it did not answer in time.
fn raw_exchange(fixture: &Fixture, request: &[u8], limit: Duration) -> Option<String> {
    let mut stream = TcpStream::connect(fixture.server.addr()).unwrap();
    stream.write_all(request).unwrap();
    read_until_closed(&mut stream, limit)
}

/// What `stream` sends until it closes; `None` if it is still open after `limit`.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&received).into_owned());
            }
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_oversize_body_is_refused_before_it_is_read_even_when_signed() {
    let f = Fixture::start_with(|c| {
        c.access_key = Some(fgref::AccessKey {
            id: "AK".into(),
            secret: "sk".into(),
        });
    })
    .await;
    let urn = "urn:fss:fgref:p1:function:default:any:latest";
    for (path, length) in [
        (format!("functions/{urn}/invocations"), 7_000_000),
        ("functions".to_owned(), 200_000_000),
    ] {
        // The body never comes: only a server that checks the length first can answer.
        let request = format!(
            "POST /v2/{PROJECT}/fgs/{path} HTTP/1.1\r\nHost: fgref\r\nContent-Type: application/json\r\nAuthorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00\r\nX-Sdk-Date: 20260101T000000Z\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{"
        );
        let f = &f;
        let answer = tokio::task::block_in_place(|| {
            raw_exchange(f, request.as_bytes(), Duration::from_secs(5))
        });
        let answer = answer.unwrap_or_else(|| panic!("{path}: no answer within 5 s"));
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("FSS.0413"), "{path}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn max_instance_num_bounds_a_functions_instances_and_shows_in_the_model() {
    let f = Fixture::start().await;
    let (status, model) = f
        .create(&super::create_body("one", json!({"max_instance_num": 1})))
        .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["max_instance_num"], 1);
    let urn = model["func_urn"].as_str().unwrap().to_owned();
    let (_, default) = f.create(&super::create_body("dflt", json!({}))).await;
    assert_eq!(default["max_instance_num"], 400, "{default}");
    for bad in [1001, -2] {
        let (status, body) = f
            .create(&super::create_body("bad", json!({"max_instance_num": bad})))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error_code"], "FSS.0400", "{body}");
    }
    let busy = f.invoke(&urn, json!({"tag": "busy", "sleep_ms": 3000}));
    let second = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        f.invoke(&urn, json!({"tag": "second"})).await
    };
    let (busy, second) = tokio::join!(busy, second);
    assert_eq!(busy.status, StatusCode::OK, "{}", busy.body);
    assert_eq!(
        second.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        second.body
    );
    assert_eq!(second.json()["error_code"], "FSS.0429", "{}", second.body);
    // The busy instance is idle now: it serves the next call.
    let third = f.invoke(&urn, json!({"tag": "third"})).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.body);

    let (_, disabled) = f
        .create(&super::create_body("off", json!({"max_instance_num": 0})))
        .await;
    let refused = f
        .invoke(disabled["func_urn"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("disabled"), "{}", refused.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_cap_stops_idle_instances_and_refuses_when_all_are_busy() {
    let f = Fixture::start_with(|c| c.max_instances = Some(1)).await;
    let a = f.create_ok("a", json!({})).await;
    let b = f.create_ok("b", json!({})).await;
    let first = f.invoke(&a, json!({"tag": "a"})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // a's instance is idle: it makes room for b's.
    let other = f.invoke(&b, json!({"tag": "b"})).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    assert!(
        super::gone_within(super::pid_of(&first), Duration::from_secs(5)).await,
        "a's idle instance was not stopped"
    );
    let busy = f.invoke(&b, json!({"tag": "busy", "sleep_ms": 3000}));
    let refused = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        f.invoke(&a, json!({"tag": "refused"})).await
    };
    let (busy, refused) = tokio::join!(busy, refused);
    assert_eq!(busy.status, StatusCode::OK, "{}", busy.body);
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["error_code"], "FSS.0429", "{}", refused.body);
    assert!(refused.body.contains("--max-instances"), "{}", refused.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_sends_half_a_header_is_cut_off() {
    let f = Fixture::start_with(|c| c.header_read_timeout = Duration::from_millis(500)).await;
    let started = Instant::now();
    let half = format!("GET /v2/{PROJECT}/fgs/functions HTTP/1.1\r\nHost: fgref\r\nX-Slow: ");
    let answer =
        tokio::task::block_in_place(|| raw_exchange(&f, half.as_bytes(), Duration::from_secs(5)));
    assert!(answer.is_some(), "the connection was still open after 5 s");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // Nor may a connection that sends nothing at all hold its place.
    let silent = tokio::task::block_in_place(|| raw_exchange(&f, b"", Duration::from_secs(5)));
    assert!(
        silent.is_some(),
        "a silent connection was still open after 5 s"
    );
    // Nor one kept alive after its request, once the next one is as late.
    let request = format!("GET /v2/{PROJECT}/fgs/functions HTTP/1.1\r\nHost: fgref\r\n\r\n");
    let kept = tokio::task::block_in_place(|| {
        raw_exchange(&f, request.as_bytes(), Duration::from_secs(5))
    });
    let kept = kept.expect("a kept-alive connection was still open after 5 s");
    assert!(kept.starts_with("HTTP/1.1 200"), "{kept}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_past_the_limit_wait_until_one_closes() {
    let f = Fixture::start_with(|c| c.max_connections = 2).await;
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(f.server.addr()).unwrap())
        .collect();
    let request = format!(
        "GET /v2/{PROJECT}/fgs/functions HTTP/1.1\r\nHost: fgref\r\nConnection: close\r\n\r\n"
    );
    let mut third = TcpStream::connect(f.server.addr()).unwrap();
    third.write_all(request.as_bytes()).unwrap();
    tokio::task::block_in_place(|| {
        let waiting = read_until_closed(&mut third, Duration::from_millis(700));
        assert_eq!(
            waiting, None,
            "a third connection was served past the limit of 2"
        );
        drop(held);
        let answer = read_until_closed(&mut third, Duration::from_secs(5))
            .expect("the third connection was not served once the others closed");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    });
}

#[tokio::test]
async fn a_reused_data_dir_is_never_merged_or_written_through() {
    // What an earlier fgref (before fresh directories) left, and a link its function planted.
    let data = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.js");
    std::fs::write(&victim, "untouched").unwrap();
    let stale_root = data.path().join("functions/1/code");
    std::fs::create_dir_all(&stale_root).unwrap();
    std::fs::write(stale_root.join("stale.txt"), "stale").unwrap();
    std::os::unix::fs::symlink(&victim, stale_root.join("index.js")).unwrap();
    // And what a run killed with SIGKILL left: its unlocked run directory.
    let gone_run = data.path().join("fgref-gone");
    std::fs::create_dir(&gone_run).unwrap();
    std::fs::write(gone_run.join(".lock"), "").unwrap();
    std::fs::write(gone_run.join("left.js"), "").unwrap();
    let data_dir = data.path().to_owned();
    let f = Fixture::start_with(|c| c.data_dir = Some(data_dir)).await;
    assert!(!gone_run.exists(), "a gone run's directory was kept");
    let urn = f.create_ok("fresh", json!({})).await;
    let invoked = f.invoke(&urn, json!({"tag": "t"})).await;
    assert_eq!(invoked.status, StatusCode::OK, "{}", invoked.body);
    let cwd = invoked.result()["cwd"].as_str().unwrap().to_owned();
    let code_root = std::path::Path::new(&cwd);
    assert!(code_root.starts_with(data.path()), "{cwd}");
    assert!(
        !code_root.join("stale.txt").exists(),
        "stale files merged into {cwd}"
    );
    assert!(code_root.join("index.js").is_file());
    assert!(!code_root.join("index.js").is_symlink());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
}

#[tokio::test]
async fn instances_get_the_documented_descriptor_and_file_size_limits() {
    let f = Fixture::start().await;
    let urn = f.create_ok("limits", json!({})).await;
    let result = |invoked: super::Invoked| -> Value {
        assert_eq!(invoked.status, StatusCode::OK, "{}", invoked.body);
        invoked.result()
    };
    // Node and the runtime hold a few descriptors of their own.
    let many = result(f.invoke(&urn, json!({"open_files": 1100})).await);
    assert_eq!(many["error"], "EMFILE", "{many}");
    let opened = many["opened"].as_u64().unwrap();
    assert!((900..1024).contains(&opened), "{many}");
    let fine = result(f.invoke(&urn, json!({"open_files": 500})).await);
    assert_eq!(fine, json!({"opened": 500, "error": ""}));
    let big = result(
        f.invoke(&urn, json!({"file_bytes": 512 * 1024 * 1024 + 1}))
            .await,
    );
    assert_eq!(big["error"], "EFBIG", "{big}");
    let at_limit = result(
        f.invoke(&urn, json!({"file_bytes": 512 * 1024 * 1024}))
            .await,
    );
    assert_eq!(at_limit["error"], "", "{at_limit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_max_instance_config_changes_the_limit_and_the_model() {
    let f = Fixture::start().await;
    let urn = f.create_ok("tunable", json!({})).await;
    let url = format!("{}/config-max-instance", f.function_url(&urn));
    let put = |body: Value| {
        let request = f.client.put(&url).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, model) = put(json!({"max_instance_num": 0})).await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["max_instance_num"], 0);
    let config = f.client.get(format!("{}/config", f.function_url(&urn)));
    let config: Value = config.send().await.unwrap().json().await.unwrap();
    assert_eq!(config["max_instance_num"], 0, "{config}");
    let refused = f.invoke(&urn, json!({})).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    let (status, body) = put(json!({"max_instance_num": 1001})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_code"], "FSS.0400", "{body}");
    let (_, model) = put(json!({})).await;
    assert_eq!(model["max_instance_num"], 0, "no field: no change");
    let (_, model) = put(json!({"max_instance_num": -1})).await;
    assert_eq!(model["max_instance_num"], -1);
    let allowed = f.invoke(&urn, json!({})).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
}
