//! The asynchronous invocation routes: AsyncInvokeFunction (accept with 202, run the call in the
//! background, record how it ended) and ListAsyncInvocations (those records, filtered and paged).

use std::{sync::Arc, time::SystemTime};

use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, Query, State,
        rejection::{BytesRejection, PathRejection, QueryRejection},
    },
    http::StatusCode,
};

use super::extract::{body_error, check_event, lookup, path_error};
use crate::{
    async_calls::{Ended, Filter, Status},
    dates,
    error::FssError,
    invoke,
    messages::{AsyncInvocation, AsyncInvokeResponse, ListAsyncInvocationsResponse},
    platform::Platform,
    registry::Function,
};

/// AsyncInvokeFunction: the call is recorded as `WAIT` and answered at once; it runs in a task
/// of its own under the request id answered.
pub(super) async fn async_invoke_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AsyncInvokeResponse>), FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    let event = body.map_err(body_error)?;
    check_event(&event)?;
    let request_id = uuid::Uuid::new_v4().to_string();
    function
        .async_calls
        .accept(request_id.clone(), SystemTime::now());
    tokio::spawn(run(platform, function, event, request_id.clone()));
    Ok((
        StatusCode::ACCEPTED,
        Json(AsyncInvokeResponse { request_id }),
    ))
}

/// Runs an accepted call and records how it ended: a failure of the function with its error
/// code and result text, one of the platform with its HTTP status and message.
async fn run(platform: Arc<Platform>, function: Arc<Function>, event: Bytes, request_id: String) {
    function.async_calls.start(&request_id);
    // A task of its own, so that even a panic in the call ends its record.
    let call = tokio::spawn(invoke::invoke(
        platform,
        Arc::clone(&function),
        event,
        request_id.clone(),
    ));
    let ended = match call.await {
        Ok(Ok(completed)) => match completed.failure {
            None => Ended::Success,
            Some(failure) => Ended::Fail {
                code: failure.err_code().into(),
                message: String::from_utf8_lossy(&completed.result).into_owned(),
            },
        },
        Ok(Err(refused)) => Ended::Fail {
            code: refused.status_and_code().0.as_u16().into(),
            message: refused.to_string(),
        },
        Err(e) => Ended::Fail {
            code: StatusCode::INTERNAL_SERVER_ERROR.as_u16().into(),
            message: format!("the invocation failed inside fgref: {e}"),
        },
    };
    function
        .async_calls
        .end(&request_id, ended, SystemTime::now());
}

/// ListAsyncInvocations: the function's asynchronous calls the query takes, in the order they
/// were accepted.
pub(super) async fn list_async_invocations(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<ListAsyncInvocationsResponse>, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    let Query(pairs) = query
        .map_err(|e| FssError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    let query = ListQuery::parse(&pairs, SystemTime::now())?;
    let page = function
        .async_calls
        .list(&query.filter, query.marker, query.limit);
    let next_marker = query.marker.saturating_add(page.records.len() as u64);
    let invocations = page
        .records
        .into_iter()
        .map(|r| AsyncInvocation {
            request_id: r.request_id,
            status: r.status.as_str(),
            error_message: r.error_message,
            error_code: r.error_code,
            start_time: dates::utc_seconds(r.start_time),
            end_time: r.end_time.map(dates::utc_seconds).unwrap_or_default(),
        })
        .collect();
    Ok(Json(ListAsyncInvocationsResponse {
        invocations,
        count: page.count,
        next_marker,
    }))
}

/// The page size without `limit`, or with 0, and the largest ("Max.: 500. Default: 100").
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 500;

/// How far back the listing looks without `query_begin_time` ("the last hour by default").
const DEFAULT_WINDOW_SECS: i64 = 3600;

/// ListAsyncInvocations' query parameters.
#[derive(Debug, PartialEq)]
struct ListQuery {
    filter: Filter,
    /// Records to skip: the `next_marker` of the previous page.
    marker: u64,
    limit: u64,
}

impl ListQuery {
    /// The parameters of `pairs` (the last of a name wins; unknown names are ignored), the
    /// time window's defaults counted back from `now`. A value that is not what its parameter
    /// takes: 400 `FSS.0400` naming what it takes.
    fn parse(pairs: &[(String, String)], now: SystemTime) -> Result<ListQuery, FssError> {
        let now = dates::epoch_seconds(now);
        let mut parsed = ListQuery {
            filter: Filter {
                request_id: None,
                status: None,
                begin: now - DEFAULT_WINDOW_SECS,
                end: now,
            },
            marker: 0,
            limit: DEFAULT_LIMIT,
        };
        for (key, value) in pairs {
            let bad = |what: &str| {
                FssError::BadRequest(format!("query parameter {key}={value:?} is not {what}"))
            };
            let time = || {
                dates::parse_utc_seconds(value).ok_or_else(|| {
                    bad("a UTC time of the form YYYY-MM-DDTHH:MM:SS (e.g. 2024-05-01T08:30:00)")
                })
            };
            match key.as_str() {
                "request_id" => parsed.filter.request_id = Some(value.clone()),
                "status" => {
                    let status = Status::parse(value).ok_or_else(|| {
                        let names: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
                        bad(&format!("one of {}", names.join(", ")))
                    })?;
                    parsed.filter.status = Some(status);
                }
                "marker" => {
                    parsed.marker = value.parse().map_err(|_| bad("a non-negative integer"))?;
                }
                "limit" => {
                    let n: i64 = value.parse().map_err(|_| bad("an integer"))?;
                    let n = u64::try_from(n).map_err(|_| bad("0 or more"))?;
                    parsed.limit = if n == 0 {
                        DEFAULT_LIMIT
                    } else {
                        n.min(MAX_LIMIT)
                    };
                }
                "query_begin_time" => parsed.filter.begin = time()?,
                "query_end_time" => parsed.filter.end = time()?,
                _ => {}
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn parse(query: &[(&str, &str)]) -> Result<ListQuery, FssError> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ListQuery::parse(&pairs, UNIX_EPOCH + Duration::from_secs(NOW))
    }

    #[test]
    fn async_list_queries_default_clamp_and_refuse_garbage() {
        let now = NOW as i64;
        assert_eq!(
            parse(&[]).unwrap(),
            ListQuery {
                filter: Filter {
                    request_id: None,
                    status: None,
                    begin: now - 3600,
                    end: now,
                },
                marker: 0,
                limit: 100,
            }
        );
        assert_eq!(parse(&[("limit", "0")]).unwrap().limit, 100);
        assert_eq!(parse(&[("limit", "500")]).unwrap().limit, 500);
        assert_eq!(parse(&[("limit", "501")]).unwrap().limit, 500);
        let query = parse(&[
            ("request_id", "r1"),
            ("status", "FAIL"),
            ("marker", "3"),
            ("limit", "2"),
            ("query_begin_time", "2023-11-14T00:00:00"),
            ("query_end_time", "2023-11-14T22:13:20"),
            ("other", "ignored"),
        ])
        .unwrap();
        assert_eq!(
            query,
            ListQuery {
                filter: Filter {
                    request_id: Some("r1".into()),
                    status: Some(Status::Fail),
                    begin: now - 80_000,
                    end: now,
                },
                marker: 3,
                limit: 2,
            }
        );
        for bad in [
            ("status", "done"),
            ("status", "success"),
            ("status", ""),
            ("marker", "-1"),
            ("marker", "x"),
            ("limit", "-1"),
            ("limit", "ten"),
            ("limit", ""),
            ("query_begin_time", "yesterday"),
            ("query_end_time", "2023-11-14T22:13:20Z"),
            ("query_end_time", "2023-11-14"),
        ] {
            let error = parse(&[bad]).unwrap_err();
            assert_eq!(error.status_and_code().1, "FSS.0400", "{bad:?}");
        }
        let error = parse(&[("status", "done")]).unwrap_err().to_string();
        assert!(
            error.contains("WAIT, RUNNING, SUCCESS, FAIL, DISCARD"),
            "{error}"
        );
    }
}
