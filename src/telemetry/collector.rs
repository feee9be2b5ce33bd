//! The collector: the harness's HTTP server that the forwarders send their telemetry to
//! (`POST /telemetry/{token}`, a JSON array of events), keeping each trial's events in arrival
//! order with the step that was in flight when they came.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::filing::Arrival;

/// The largest body the collector takes: far above a batch of events, far below trouble.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// How long stopping waits for open connections before it cuts them.
const STOP_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    #[error("the telemetry collector cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The collector, listening for this run.
pub struct Collector {
    addr: SocketAddr,
    /// The base URL functions reach it at.
    url: String,
    inboxes: Arc<Inboxes>,
    stop: Option<oneshot::Sender<()>>,
    serve: Option<JoinHandle<()>>,
}

impl Collector {
    /// Binds `listen` and serves in a task of its own. Functions reach it at `url` when given
    /// (a target elsewhere needs the address the operator made reachable), else at its own
    /// address.
    pub async fn start(
        listen: SocketAddr,
        url: Option<String>,
    ) -> Result<Collector, CollectorError> {
        let bind_error = |source| CollectorError::Bind {
            addr: listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let inboxes = Arc::new(Inboxes::default());
        let router = Router::new()
            .route("/telemetry/{token}", post(receive))
            .with_state(Arc::clone(&inboxes));
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = tokio::spawn(async move {
            // A failing accept loop ends the task; the trials then see no events and say so.
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Collector {
            addr,
            url: url.unwrap_or_else(|| format!("http://{addr}")),
            inboxes,
            stop: Some(stop),
            serve: Some(serve),
        })
    }

    /// Where the collector listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL functions reach it at (no trailing `/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new inbox under a fresh token; it closes when the handle is dropped.
    pub fn open_inbox(&self) -> InboxHandle {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let inbox = Arc::new(Inbox::default());
        lock(&self.inboxes.0).insert(token.clone(), Arc::clone(&inbox));
        InboxHandle {
            url: format!("{}/telemetry/{token}", self.url),
            token,
            inbox,
            inboxes: Arc::clone(&self.inboxes),
        }
    }

    /// Stops serving: open connections get a moment to finish, then are cut.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut serve) = self.serve.take()
            && tokio::time::timeout(STOP_GRACE, &mut serve).await.is_err()
        {
            serve.abort();
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(serve) = &self.serve {
            serve.abort();
        }
    }
}

/// Every open inbox, by token.
#[derive(Default)]
struct Inboxes(Mutex<HashMap<String, Arc<Inbox>>>);

/// One trial's events.
#[derive(Default)]
pub struct Inbox {
    state: Mutex<InboxState>,
    /// The number of events so far, so a waiting trial wakes when more arrive.
    count: watch::Sender<usize>,
}

#[derive(Default)]
struct InboxState {
    /// The step in flight: 0 before the first, then 1, 2, … as the trial says.
    step: usize,
    arrivals: Vec<Arrival>,
}

impl Inbox {
    /// Files the events that come from now on under `step`.
    pub fn set_step(&self, step: usize) {
        lock(&self.state).step = step;
    }

    /// Every event so far, in arrival order.
    pub fn arrivals(&self) -> Vec<Arrival> {
        lock(&self.state).arrivals.clone()
    }

    /// A receiver that changes whenever events arrive.
    pub fn changes(&self) -> watch::Receiver<usize> {
        self.count.subscribe()
    }

    fn receive(&self, events: Vec<Value>) {
        let count = {
            let mut state = lock(&self.state);
            let step = state.step;
            state
                .arrivals
                .extend(events.into_iter().map(|event| Arrival { event, step }));
            state.arrivals.len()
        };
        self.count.send_replace(count);
    }
}

/// A trial's inbox: its token, the URL its function forwards to, and the events.
pub struct InboxHandle {
    pub token: String,
    /// `{collector url}/telemetry/{token}`.
    pub url: String,
    pub inbox: Arc<Inbox>,
    inboxes: Arc<Inboxes>,
}

impl Drop for InboxHandle {
    fn drop(&mut self) {
        lock(&self.inboxes.0).remove(&self.token);
    }
}

/// A lock whose holder panicked still guards plain data that is whole after every statement.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `POST /telemetry/{token}`: a JSON array of events, at most [`BODY_LIMIT`] bytes.
async fn receive(
    State(inboxes): State<Arc<Inboxes>>,
    Path(token): Path<String>,
    body: Body,
) -> (StatusCode, String) {
    let Some(inbox) = lock(&inboxes.0).get(&token).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            format!(
                "no trial is collecting telemetry under the token {token:?} (finished, or never started)"
            ),
        );
    };
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return (
            StatusCode::BAD_REQUEST,
            format!("the body is over {BODY_LIMIT} bytes, or broke off"),
        );
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(events)) => {
            inbox.receive(events);
            (StatusCode::OK, String::new())
        }
        Ok(other) => (
            StatusCode::BAD_REQUEST,
            format!(
                "telemetry comes as a JSON array of events, not {}",
                kind_of(&other)
            ),
        ),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {error}"),
        ),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let response = fgref::http::plain_client_builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(url)
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    #[tokio::test]
    async fn events_are_kept_per_token_in_arrival_order_with_the_step_in_flight() {
        let collector = Collector::start("127.0.0.1:0".parse().unwrap(), None)
            .await
            .unwrap();
        assert!(collector.addr().ip().is_loopback() && collector.addr().port() != 0);
        assert_eq!(collector.url(), format!("http://{}", collector.addr()));
        let one = collector.open_inbox();
        let other = collector.open_inbox();
        assert_eq!(
            one.url,
            format!("{}/telemetry/{}", collector.url(), one.token)
        );
        let changes = one.inbox.changes();
        assert_eq!(
            post(&one.url, r#"[{"name":"a"},{"name":"b"}]"#).await.0,
            200
        );
        one.inbox.set_step(1);
        assert_eq!(post(&one.url, r#"[{"name":"c"}]"#).await.0, 200);
        assert_eq!(post(&other.url, r#"[]"#).await.0, 200);
        assert!(changes.has_changed().unwrap());
        let seen: Vec<_> = one
            .inbox
            .arrivals()
            .into_iter()
            .map(|a| (a.event["name"].as_str().unwrap().to_owned(), a.step))
            .collect();
        assert_eq!(seen, [("a".into(), 0), ("b".into(), 0), ("c".into(), 1)]);
        assert!(other.inbox.arrivals().is_empty());

        let url = one.url.clone();
        drop(one);
        let (status, text) = post(&url, "[]").await;
        assert_eq!(status, 404, "{text}");
        collector.stop().await;
    }

    #[tokio::test]
    async fn bad_bodies_are_refused_with_400() {
        let collector = Collector::start("127.0.0.1:0".parse().unwrap(), None)
            .await
            .unwrap();
        let inbox = collector.open_inbox();
        for (body, needle) in [
            ("not json".as_bytes().to_vec(), "not JSON"),
            (br#"{"name":"platform.start"}"#.to_vec(), "not an object"),
            (b"\"[]\"".to_vec(), "not a string"),
            (vec![b' '; BODY_LIMIT + 1], "over 1048576 bytes"),
        ] {
            let (status, text) = post(&inbox.url, body).await;
            assert_eq!(status, 400, "{text}");
            assert!(text.contains(needle), "{text}");
        }
        assert!(inbox.inbox.arrivals().is_empty());
        let (status, _) = post(&format!("{}/elsewhere", collector.url()), "[]").await;
        assert_eq!(status, 404);
        collector.stop().await;
    }
}
