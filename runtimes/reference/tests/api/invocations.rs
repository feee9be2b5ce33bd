//! InvokeFunction end to end: the v1 answer and its headers, the raw answer, each call's output
//! between the platform's lines, errors, initialisation failures, timeouts, process exits, and
//! instances (concurrent, shut down, deleted, idle, a missing release), user_data at its limits;
//! what the time limits count from, and that no timing figure is kept between runs.

use super::*;

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
    let deleted = f.client.delete(f.delete_url(&urn)).send().await.unwrap();
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

/// A function with `initializer_timeout` 1 s whose test runtime gets `user_data`.
fn one_second_initializer(user_data: Value) -> Value {
    json!({
        "initializer_handler": "index.init",
        "initializer_timeout": 1,
        "user_data": user_data.to_string(),
    })
}

#[tokio::test]
async fn the_initialisation_limit_counts_from_the_runtimes_first_request() {
    let f = Fixture::start().await;
    // 1.5 s before its first request (a start-up a loaded machine stretched), then 0.5 s of
    // initialisation: within the 1 s limit, whatever the start-up took.
    let slow_start = one_second_initializer(json!({"BOOT_MS": "1500", "INIT_MS": "500"}));
    let urn = f.create_ok("slowstart", slow_start).await;
    let invoked = f.invoke(&urn, json!({"tag": "after a slow start"})).await;
    assert_eq!(invoked.header("x-is-func-err"), "false", "{}", invoked.body);

    // A quick start, then 1.5 s of initialisation: past the limit.
    let slow_init = one_second_initializer(json!({"INIT_MS": "1500"}));
    let urn = f.create_ok("slowinit", slow_init).await;
    let invoked = f.invoke(&urn, json!({"tag": "after a slow init"})).await;
    assert_eq!(
        invoked.header("x-func-err-code"),
        "4010",
        "{}",
        invoked.body
    );
    assert_eq!(
        invoked.result(),
        json!({"errorMessage": "initialization timed out after 1s", "errorType": "TimeoutError"})
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_runtime_that_never_comes_up_fails_the_call_after_the_start_up_bound() {
    let f = Fixture::start().await;
    let urn = f
        .create_ok("neverup", one_second_initializer(json!({"NEVER_UP": "1"})))
        .await;
    let started = Instant::now();
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    let waited = started.elapsed();
    // fgref's 5 s for a first request, then the 1 s limit.
    assert!(
        waited >= Duration::from_secs(6) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(
        invoked.header("x-func-err-code"),
        "4010",
        "{}",
        invoked.body
    );
    let message = invoked.result()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        message,
        "initialization timed out after 1s: the language runtime made no request to the \
         runtime API within 5s of its start"
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_calls_timeout_counts_from_when_the_runtime_takes_the_event() {
    let f = Fixture::start().await;
    let urn = f.create_ok("lingers", json!({"timeout": 3})).await;
    // The runtime asks for the next event 2 s after this answer: the next call, sent at once,
    // waits for it outside its own 3 s, then runs 2 s.
    let first = f
        .invoke(&urn, json!({"tag": "first", "linger_ms": 2000}))
        .await;
    let second = f
        .invoke(&urn, json!({"tag": "second", "sleep_ms": 2000}))
        .await;
    assert_eq!(second.header("x-is-func-err"), "false", "{}", second.body);
    assert_eq!(pid_of(&second), pid_of(&first), "the same warm instance");
    let duration = summary_of(&second)["duration"].as_f64().unwrap();
    assert!(
        (2000.0..3000.0).contains(&duration),
        "the call's duration counts from the hand-over: {duration} ms"
    );
    f.server.shutdown().await;
}

#[tokio::test]
async fn no_timing_figure_is_kept_in_the_node_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("node-cache");
    let system = fgref::node::resolve(runtime_id(), None).unwrap();
    let release = fgref::node::RELEASES
        .iter()
        .find(|release| release.runtime_id == runtime_id())
        .unwrap()
        .version;
    let node = cache.join(release).join("bin/node");
    std::fs::create_dir_all(node.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&system.path, &node).unwrap();
    let f = Fixture::start_with(|c| c.node_cache = Some(cache.clone())).await;
    let urn = f
        .create_ok("cached", one_second_initializer(json!({})))
        .await;
    let invoked = f.invoke(&urn, json!({"tag": "x"})).await;
    assert_eq!(invoked.header("x-is-func-err"), "false", "{}", invoked.body);
    f.server.shutdown().await;
    let files: Vec<_> = walk(&cache);
    assert_eq!(files, [node], "fgref wrote into the node cache");
}

/// Every file and link below `dir`, sorted.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && !path.is_symlink() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Pins `pid`'s main thread (0: the calling thread) to CPU 0.
fn pin_to_cpu_zero(pid: u32) {
    // SAFETY: a zeroed cpu_set_t is valid; the call only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        let size = std::mem::size_of::<libc::cpu_set_t>();
        assert_eq!(libc::sched_setaffinity(pid as i32, size, &set), 0);
    }
}

#[tokio::test]
async fn time_the_machine_keeps_an_instance_from_its_cpu_is_not_the_calls() {
    let f = Fixture::start().await;
    let urn = f.create_ok("starved", json!({"timeout": 3})).await;
    let pid = pid_of(&f.invoke(&urn, json!({"tag": "warm"})).await);
    // The instance shares CPU 0 with two spinning threads: a busy machine, made on purpose.
    pin_to_cpu_zero(pid);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rivals: Vec<_> = (0..2)
        .map(|_| {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                pin_to_cpu_zero(0);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let started = Instant::now();
    // 2 s of the function's own computing, within its 3 s, however long the machine takes.
    let invoked = f
        .invoke(&urn, json!({"tag": "spin", "spin_cpu_ms": 2000}))
        .await;
    let waited = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for rival in rivals {
        rival.join().unwrap();
    }
    assert!(
        waited > Duration::from_millis(3500),
        "the rivals did not slow the call past its limit ({waited:?}): the test shows nothing"
    );
    assert_eq!(invoked.header("x-is-func-err"), "false", "{}", invoked.body);
    f.server.shutdown().await;
}
