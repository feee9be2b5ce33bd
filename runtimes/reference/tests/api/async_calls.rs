//! AsyncInvokeFunction and ListAsyncInvocations end to end: the 202 before the call ends, the
//! call running under the request id answered, each way a call ends as its record tells it, the
//! listing's filters and pages, the refusals, and that a function's records go with it.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Fixture;

/// How long a test waits for an asynchronous call to end; the slowest one times out after 3 s.
const ENDED_WITHIN: Duration = Duration::from_secs(40);

impl Fixture {
    async fn invoke_async(&self, urn: &str, body: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/invocations-async", self.function_url(urn)))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// The request id of an accepted call of `event`.
    async fn accepted(&self, urn: &str, event: Value) -> String {
        let (status, body) = self.invoke_async(urn, &event.to_string()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let keys: Vec<_> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["request_id"], "{body}");
        let request_id = body["request_id"].as_str().unwrap().to_owned();
        assert_eq!(request_id.len(), 36, "a UUID: {body}");
        request_id
    }

    async fn list_async(&self, urn: &str, query: &str) -> (StatusCode, Value) {
        let url = format!("{}/async-invocations?{query}", self.function_url(urn));
        let response = self.client.get(url).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// The one record of `request_id`.
    async fn record(&self, urn: &str, request_id: &str) -> Value {
        let (status, page) = self
            .list_async(urn, &format!("request_id={request_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["count"], 1, "{page}");
        page["invocations"][0].clone()
    }

    /// The record of `request_id` once the call ended, polled every 100 ms.
    async fn ended(&self, urn: &str, request_id: &str) -> Value {
        let deadline = Instant::now() + ENDED_WITHIN;
        loop {
            let record = self.record(urn, request_id).await;
            if record["status"] == "SUCCESS" || record["status"] == "FAIL" {
                return record;
            }
            assert!(
                Instant::now() < deadline,
                "not ended within {ENDED_WITHIN:?}: {record}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn is_utc_seconds(text: &str) -> bool {
    text.len() == 19
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        })
}

/// A record's fields, each as documented, and its times in order.
fn check_shape(record: &Value) {
    let keys: Vec<_> = record.as_object().unwrap().keys().cloned().collect();
    let mut expected = [
        "request_id",
        "status",
        "error_message",
        "error_code",
        "start_time",
        "end_time",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected, "{record}");
    assert!(record["error_code"].is_i64(), "{record}");
    let start = record["start_time"].as_str().unwrap();
    assert!(is_utc_seconds(start), "{record}");
    let end = record["end_time"].as_str().unwrap();
    assert!(
        end.is_empty() || (is_utc_seconds(end) && end >= start),
        "{record}"
    );
}

/// A server the test runtime's `report` posts to: its port, and what it was told.
async fn report_server() -> (u16, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/report",
        axum::routing::post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(serde_json::from_str(&body).unwrap_or(Value::String(body)));
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, rx)
}

#[tokio::test]
async fn an_async_call_succeeds_under_the_request_id_answered() {
    let f = Fixture::start().await;
    let urn = f.create_ok("async-ok", json!({})).await;
    let (port, mut reports) = report_server().await;
    let request_id = f
        .accepted(&urn, json!({"tag": "async", "report": port}))
        .await;
    let report = tokio::time::timeout(ENDED_WITHIN, reports.recv())
        .await
        .expect("the function reported nothing")
        .unwrap();
    assert_eq!(report["request_id"], request_id.as_str(), "{report}");
    assert_eq!(report["tag"], "async", "{report}");

    let record = f.ended(&urn, &request_id).await;
    check_shape(&record);
    assert_eq!(record["request_id"], request_id.as_str(), "{record}");
    assert_eq!(record["status"], "SUCCESS", "{record}");
    assert_eq!(record["error_code"], 0, "{record}");
    assert_eq!(record["error_message"], "", "{record}");
    assert!(!record["end_time"].as_str().unwrap().is_empty(), "{record}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn an_async_call_is_answered_before_a_slow_handler_ends() {
    let f = Fixture::start().await;
    let urn = f.create_ok("async-slow", json!({"timeout": 10})).await;
    let request_id = f
        .accepted(&urn, json!({"tag": "slow", "sleep_ms": 2000}))
        .await;
    // The handler is still asleep (or its instance still starting): the call has not ended.
    let record = f.record(&urn, &request_id).await;
    check_shape(&record);
    assert!(
        record["status"] == "WAIT" || record["status"] == "RUNNING",
        "{record}"
    );
    assert_eq!(record["end_time"], "", "{record}");
    assert_eq!(
        (
            record["error_code"].clone(),
            record["error_message"].clone()
        ),
        (json!(0), json!("")),
        "{record}"
    );
    let record = f.ended(&urn, &request_id).await;
    assert_eq!(record["status"], "SUCCESS", "{record}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_failing_handler_fails_its_async_call_with_4002_and_the_error() {
    let f = Fixture::start().await;
    let urn = f.create_ok("async-fail", json!({})).await;
    let request_id = f
        .accepted(&urn, json!({"tag": "t", "fail": "thrown on purpose"}))
        .await;
    let record = f.ended(&urn, &request_id).await;
    check_shape(&record);
    assert_eq!(record["status"], "FAIL", "{record}");
    assert_eq!(record["error_code"], 4002, "{record}");
    let message = record["error_message"].as_str().unwrap();
    let error: Value = serde_json::from_str(message).unwrap_or_else(|e| panic!("{e}: {record}"));
    assert_eq!(error["errorMessage"], "thrown on purpose", "{record}");
    assert!(!record["end_time"].as_str().unwrap().is_empty(), "{record}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn an_async_call_past_its_timeout_fails_with_4010() {
    let f = Fixture::start().await;
    let urn = f.create_ok("async-timeout", json!({"timeout": 3})).await;
    let request_id = f
        .accepted(&urn, json!({"tag": "stuck", "sleep_ms": 20_000}))
        .await;
    let record = f.ended(&urn, &request_id).await;
    check_shape(&record);
    assert_eq!(record["status"], "FAIL", "{record}");
    assert_eq!(record["error_code"], 4010, "{record}");
    let message = record["error_message"].as_str().unwrap();
    assert!(message.contains("timed out after 3s"), "{record}");
    f.server.shutdown().await;
}

fn ids(page: &Value) -> Vec<&str> {
    page["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn async_calls_are_listed_by_status_time_and_page_in_acceptance_order() {
    let f = Fixture::start().await;
    let urn = f.create_ok("async-list", json!({})).await;
    let (status, empty) = f.list_async(&urn, "").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(
        empty,
        json!({"invocations": [], "count": 0, "next_marker": 0})
    );

    let first = f.accepted(&urn, json!({"tag": "1"})).await;
    let second = f.accepted(&urn, json!({"tag": "2", "fail": "no"})).await;
    let third = f.accepted(&urn, json!({"tag": "3"})).await;
    for id in [&first, &second, &third] {
        f.ended(&urn, id).await;
    }

    let (_, all) = f.list_async(&urn, "unknown=ignored").await;
    assert_eq!(ids(&all), [&first, &second, &third], "{all}");
    assert_eq!((&all["count"], &all["next_marker"]), (&json!(3), &json!(3)));
    all["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(check_shape);

    let (_, page) = f.list_async(&urn, "limit=2").await;
    assert_eq!(ids(&page), [&first, &second], "{page}");
    assert_eq!(
        (&page["count"], &page["next_marker"]),
        (&json!(3), &json!(2))
    );
    let (_, page) = f.list_async(&urn, "marker=2&limit=2").await;
    assert_eq!(ids(&page), [&third], "{page}");
    assert_eq!(
        (&page["count"], &page["next_marker"]),
        (&json!(3), &json!(3))
    );
    let (_, page) = f.list_async(&urn, "marker=3&limit=0").await;
    assert_eq!(ids(&page), Vec::<&str>::new(), "{page}");
    assert_eq!(
        (&page["count"], &page["next_marker"]),
        (&json!(3), &json!(3))
    );

    let (_, failed) = f.list_async(&urn, "status=FAIL").await;
    assert_eq!(ids(&failed), [&second], "{failed}");
    assert_eq!(failed["count"], 1, "{failed}");
    let (_, succeeded) = f.list_async(&urn, "status=SUCCESS&limit=1").await;
    assert_eq!(ids(&succeeded), [&first], "{succeeded}");
    assert_eq!(
        (&succeeded["count"], &succeeded["next_marker"]),
        (&json!(2), &json!(1))
    );
    let (_, discarded) = f.list_async(&urn, "status=DISCARD").await;
    assert_eq!(discarded["count"], 0, "{discarded}");

    let (_, wide) = f
        .list_async(
            &urn,
            "query_begin_time=2000-01-01T00:00:00&query_end_time=2999-12-31T23:59:59",
        )
        .await;
    assert_eq!(wide["count"], 3, "{wide}");
    let (_, later) = f
        .list_async(&urn, "query_begin_time=2999-01-01T00:00:00")
        .await;
    assert_eq!(later["count"], 0, "{later}");
    let (_, earlier) = f
        .list_async(
            &urn,
            "query_begin_time=2000-01-01T00:00:00&query_end_time=2000-01-01T01:00:00",
        )
        .await;
    assert_eq!(earlier["count"], 0, "{earlier}");
    // The listing's own times are ones it takes back: the first call's start, to the second.
    let start = all["invocations"][0]["start_time"].as_str().unwrap();
    let (_, from_start) = f
        .list_async(
            &urn,
            &format!("query_begin_time={start}&query_end_time={start}"),
        )
        .await;
    assert!(ids(&from_start).contains(&first.as_str()), "{from_start}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn async_calls_refuse_what_is_wrong_and_go_with_their_function() {
    let f = Fixture::start().await;
    let urn = f.create_ok("async-refusals", json!({})).await;
    for (query, names) in [
        ("status=done", "WAIT, RUNNING, SUCCESS, FAIL, DISCARD"),
        ("status=success", "WAIT, RUNNING, SUCCESS, FAIL, DISCARD"),
        ("limit=ten", "integer"),
        ("limit=-1", "0 or more"),
        ("marker=-1", "non-negative integer"),
        ("query_begin_time=yesterday", "YYYY-MM-DDTHH:MM:SS"),
        ("query_end_time=2024-01-01T00:00:00Z", "YYYY-MM-DDTHH:MM:SS"),
    ] {
        let (status, refusal) = f.list_async(&urn, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {refusal}");
        assert_eq!(refusal["error_code"], "FSS.0400", "{query}: {refusal}");
        let message = refusal["error_msg"].as_str().unwrap();
        assert!(message.contains(names), "{query}: {refusal}");
    }

    let missing = urn.replace("async-refusals", "no-such-function");
    let (status, refusal) = f.list_async(&missing, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refusal}");
    assert_eq!(refusal["error_code"], "FSS.1051", "{refusal}");
    let (status, refusal) = f.invoke_async(&missing, "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refusal}");
    assert_eq!(refusal["error_code"], "FSS.1051", "{refusal}");

    let (status, refusal) = f.invoke_async(&urn, "not json").await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{refusal}");
    assert_eq!(refusal["error_code"], "FSS.0406", "{refusal}");

    // 256 KiB of JSON (a string event) is taken; a byte more is not.
    let at_limit = format!("\"{}\"", "x".repeat(256 * 1024 - 2));
    let (status, accepted) = f.invoke_async(&urn, &at_limit).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let over = format!("\"{}\"", "x".repeat(256 * 1024 - 1));
    let (status, refusal) = f.invoke_async(&urn, &over).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{refusal}");
    assert_eq!(refusal["error_code"], "FSS.0413", "{refusal}");
    let (_, listed) = f.list_async(&urn, "").await;
    assert_eq!(
        listed["count"], 1,
        "only the call taken is recorded: {listed}"
    );

    let request_id = accepted["request_id"].as_str().unwrap();
    f.ended(&urn, request_id).await;
    let deleted = f.client.delete(f.delete_url(&urn)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = f.create_ok("async-refusals", json!({})).await;
    assert_eq!(again, urn);
    let (status, fresh) = f.list_async(&urn, "").await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(
        fresh["count"], 0,
        "the deleted function's records are gone: {fresh}"
    );
    f.server.shutdown().await;
}
