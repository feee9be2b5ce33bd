//! Memory and size limits end to end: resident buffers, the JS heap and initialisation past
//! `memory_size`, and an answer over the response limit.

use super::*;

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
