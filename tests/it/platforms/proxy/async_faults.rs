//! The faulty proxy's rewrites for the asynchronous-invocation faults: answering only once the
//! call has ended, and ListAsyncInvocations' records of another shape or status.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Fault, ProxyState};

/// Waits (at most a minute) until fgref lists the asynchronous call its 202 `answer` names as
/// ended, for [`Fault::AsyncAnsweredWhenTheCallEnds`].
pub(super) async fn wait_for_async_end(
    state: &ProxyState,
    path: &str,
    headers: &HeaderMap,
    answer: &Bytes,
) {
    let Some(id) = serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|a| a["request_id"].as_str().map(str::to_owned))
    else {
        return;
    };
    let list = path.replace(
        "/invocations-async",
        &format!("/async-invocations?request_id={id}"),
    );
    for _ in 0..300 {
        let mut request = state.http.get(format!("{}{list}", state.upstream));
        if let Some(token) = headers.get("x-auth-token") {
            request = request.header("x-auth-token", token);
        }
        if let Ok(reply) = request.send().await
            && let Ok(page) = reply.json::<Value>().await
            && page["invocations"][0]["status"]
                .as_str()
                .is_some_and(|s| s == "SUCCESS" || s == "FAIL")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// ListAsyncInvocations' `path` (with its query) as the faults that ignore a parameter send it
/// on: without that parameter.
pub(super) fn rewrite_list_query(fault: Fault, path: &str) -> String {
    let ignored = match fault {
        Fault::AsyncStatusFilterIgnored => "status=",
        Fault::AsyncLimitIgnored => "limit=",
        _ => return path.to_owned(),
    };
    let Some((route, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with(ignored))
        .collect();
    format!("{route}?{}", kept.join("&"))
}

/// The asynchronous-invocation faults' rewrite of ListAsyncInvocations' records.
pub(super) fn rewrite_async_records(fault: Fault, body: &mut Bytes) {
    let Ok(mut page) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Some(records) = page["invocations"].as_array_mut() else {
        return;
    };
    if fault == Fault::AsyncOtherAllowedChoices {
        records.reverse();
    }
    for record in records {
        match fault {
            Fault::AsyncFailureListedAsSuccess if record["status"] == "FAIL" => {
                record["status"] = json!("SUCCESS");
            }
            Fault::AsyncOtherAllowedChoices if record["status"] == "FAIL" => {
                record["error_code"] = json!(1);
                record["error_message"] = json!("failed");
            }
            Fault::AsyncRecordsOfAnotherShape => {
                record["error_code"] = json!(record["error_code"].to_string());
                for key in ["start_time", "end_time"] {
                    if let Some(time) = record[key].as_str().filter(|t| !t.is_empty()) {
                        record[key] = json!(format!("{time}.000Z"));
                    }
                }
            }
            _ => {}
        }
    }
    *body = Bytes::from(page.to_string());
}
