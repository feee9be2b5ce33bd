//! The extension API of one instance (`EXTENSION_API_ADDR`, served beside the runtime API):
//! `POST /extension/register` (functiongraph_06_2707) and `POST /telemetry`
//! (functiongraph_06_2712), with every refusal the pages imply.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    ops::RangeInclusive,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::cpu_wait::OwnDeadline;
use super::outbox::{Outbox, Subscriber};
use crate::{
    fault::{Faults, TelemetryFault},
    telemetry::Stream,
};

/// The documented header names.
const NAME_HEADER: &str = "functiongraph-extension-name";
const ADDRESS_HEADER: &str = "functiongraph-extension-address";

/// "The server address must be within 127.0.0.1:8081–127.0.0.1:8090" (extension API), and the
/// telemetry listener's port too (telemetry subscription page).
pub(crate) const PORTS: RangeInclusive<u16> = 8081..=8090;

/// "A maximum of 10 extensions" (extension API).
pub(crate) const MAX_EXTENSIONS: usize = 10;

/// A registered extension.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub name: String,
    pub addr: SocketAddr,
}

pub(crate) struct ExtensionApi {
    /// The file names of the scripts the platform started, each of which must register.
    started: Vec<String>,
    function_name: String,
    function_version: String,
    fault: Faults,
    registered: Mutex<Vec<Registered>>,
    /// The number registered, for the platform waiting on them.
    count: watch::Sender<usize>,
    /// Bumped by every request to this API, accepted or refused: the extensions' progress.
    requests: watch::Sender<u64>,
    outbox: Arc<Outbox>,
}

/// The 200 body, and with `errorInfo` filled the body of a refusal (**fgref**: the page shows
/// only the 200 body and says other codes are errors).
#[derive(Serialize)]
struct RegisterAnswer<'a> {
    #[serde(rename = "functionName")]
    function_name: &'a str,
    #[serde(rename = "functionVersion")]
    function_version: &'a str,
    #[serde(rename = "errorInfo")]
    error_info: ErrorInfo,
}

#[derive(Serialize, Default)]
struct ErrorInfo {
    #[serde(rename = "errorType")]
    error_type: String,
    #[serde(rename = "errorMessage")]
    error_message: String,
}

/// `POST /telemetry`'s body; every field required.
#[derive(Deserialize)]
struct TelemetrySubscription {
    subscriber: SubscriberField,
    types: Vec<String>,
}

#[derive(Deserialize)]
struct SubscriberField {
    protocol: String,
    uri: String,
}

impl ExtensionApi {
    pub(crate) fn new(
        started: Vec<String>,
        (function_name, function_version): (String, String),
        fault: Faults,
        outbox: Arc<Outbox>,
    ) -> Arc<Self> {
        Arc::new(Self {
            started,
            function_name,
            function_version,
            fault,
            registered: Mutex::default(),
            count: watch::channel(0).0,
            requests: watch::channel(0).0,
            outbox,
        })
    }

    fn registered(&self) -> MutexGuard<'_, Vec<Registered>> {
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn extensions(&self) -> Vec<Registered> {
        self.registered().clone()
    }

    /// Started scripts that have not registered.
    pub(crate) fn missing(&self) -> Vec<String> {
        let registered = self.registered();
        self.started
            .iter()
            .filter(|name| !registered.iter().any(|r| &r.name == *name))
            .cloned()
            .collect()
    }

    /// Waits until every started script registered, or the maximum did (the rest can never),
    /// and answers true; answers false once `quiet` passes without any request to this API,
    /// counted from the extensions' start and then from each request, and pushed back by what
    /// `cpu_waited` (the extensions' wait for a CPU so far) grows by meanwhile. A start that a
    /// busy machine stretches keeps its extensions making requests, or waiting for a CPU, so only
    /// extensions that have stopped trying are given up on, however busy the machine.
    pub(crate) async fn all_registered(
        &self,
        quiet: Duration,
        cpu_waited: impl Fn() -> Duration,
    ) -> bool {
        let target = self.started.len().min(MAX_EXTENSIONS);
        let mut count = self.count.subscribe();
        let mut requests = self.requests.subscribe();
        let registered = count.wait_for(|n| *n >= target);
        tokio::pin!(registered);
        let mut window = OwnDeadline::new(Instant::now(), quiet, cpu_waited());
        loop {
            tokio::select! {
                biased;
                _ = &mut registered => return true,
                request = requests.changed() => {
                    if request.is_err() {
                        return false;
                    }
                    window = OwnDeadline::new(Instant::now(), quiet, cpu_waited());
                }
                _ = tokio::time::sleep_until(window.at(cpu_waited())) => {
                    if window.at(cpu_waited()) <= tokio::time::Instant::now() {
                        return false;
                    }
                }
            }
        }
    }

    fn note_request(&self) {
        self.requests.send_modify(|n| *n += 1);
    }

    fn register(&self, headers: &HeaderMap) -> Result<(), String> {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let name = match header(NAME_HEADER) {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ if self.fault.has(TelemetryFault::RegisterWithoutName) => String::new(),
            _ => return Err("the FunctionGraph-Extension-Name header is missing".to_owned()),
        };
        let Some(address) = header(ADDRESS_HEADER) else {
            return Err("the FunctionGraph-Extension-Address header is missing".to_owned());
        };
        let addr = address
            .parse::<SocketAddrV4>()
            .ok()
            .filter(|a| {
                *a.ip() == Ipv4Addr::LOCALHOST
                    && (PORTS.contains(&a.port())
                        || self.fault.has(TelemetryFault::RegisterAcceptsAnyPort))
            })
            .ok_or_else(|| {
                format!("address {address:?} is not within 127.0.0.1:8081-127.0.0.1:8090")
            })?;
        let mut registered = self.registered();
        let full = registered.len() >= MAX_EXTENSIONS;
        if full && !self.fault.has(TelemetryFault::EleventhExtensionAccepted) {
            return Err(format!("at most {MAX_EXTENSIONS} extensions may register"));
        }
        // Ten extensions hold every valid port, so an eleventh can only be told apart from a
        // port clash by a platform that does not count: the broken one accepts it outright.
        if !full && registered.iter().any(|r| r.addr.port() == addr.port()) {
            return Err(format!(
                "port {} is registered by another extension",
                addr.port()
            ));
        }
        if !name.is_empty() && !self.started.contains(&name) {
            return Err(format!("no extension script named {name:?} was started"));
        }
        if registered
            .iter()
            .any(|r| !name.is_empty() && r.name == name)
        {
            return Err(format!("{name:?} is already registered"));
        }
        registered.push(Registered {
            name,
            addr: SocketAddr::V4(addr),
        });
        let n = registered.len();
        drop(registered);
        self.count.send_replace(n);
        Ok(())
    }

    fn subscribe(&self, body: &[u8]) -> Result<(), String> {
        let request: TelemetrySubscription = serde_json::from_slice(body)
            .map_err(|e| format!("the subscription is not the documented JSON: {e}"))?;
        if request.subscriber.protocol != "POST"
            && !self.fault.has(TelemetryFault::SubscriptionAnyProtocol)
        {
            return Err(format!(
                "subscriber.protocol must be POST, not {:?}",
                request.subscriber.protocol
            ));
        }
        let (mut addr, path) = listener_uri(&request.subscriber.uri)?;
        if self.fault.has(TelemetryFault::LocalhostIsIpv6)
            && request.subscriber.uri.starts_with("http://localhost:")
        {
            addr.set_ip(std::net::Ipv6Addr::LOCALHOST.into());
        }
        if request.types.is_empty() {
            return Err("types must name at least one of platform, function, extension".into());
        }
        let mut streams = Vec::new();
        for name in &request.types {
            let stream = Stream::from_name(name).ok_or_else(|| {
                format!("types: {name:?} is not one of platform, function, extension")
            })?;
            if !streams.contains(&stream) {
                streams.push(stream);
            }
        }
        let subscriber = Subscriber {
            addr,
            path,
            streams,
        };
        let or_replace = self.fault.has(TelemetryFault::SecondSubscriptionAccepted);
        if !self.outbox.subscribe_first(subscriber, or_replace) {
            return Err("this instance already has its one telemetry subscription".to_owned());
        }
        Ok(())
    }
}

/// `http://127.0.0.1:{8081–8090}[/path]` (`localhost` is the page's other name for 127.0.0.1).
fn listener_uri(uri: &str) -> Result<(SocketAddr, String), String> {
    let refuse =
        || format!("subscriber.uri {uri:?} is not http://127.0.0.1:PORT with PORT 8081-8090");
    let rest = uri.strip_prefix("http://").ok_or_else(refuse)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = authority.rsplit_once(':').ok_or_else(refuse)?;
    let port: u16 = port.parse().map_err(|_| refuse())?;
    if !matches!(host, "127.0.0.1" | "localhost") || !PORTS.contains(&port) {
        return Err(refuse());
    }
    Ok((
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        path.to_owned(),
    ))
}

pub(crate) fn router(api: Arc<ExtensionApi>) -> Router {
    Router::new()
        .route("/extension/register", post(register))
        .route("/telemetry", post(subscribe))
        .with_state(api)
}

// POST /extension/register
async fn register(
    State(api): State<Arc<ExtensionApi>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api.note_request();
    let mut result = api.register(&headers);
    if api.fault.has(TelemetryFault::RegisterUnchecked) {
        result = Ok(());
    }
    if api.fault.has(TelemetryFault::RegisterBodyParsed)
        && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
    {
        result = Err("the body is not JSON".to_owned());
    }
    if api.fault.has(TelemetryFault::RegisterAnswerEmpty) && result.is_ok() {
        return StatusCode::OK.into_response();
    }
    let (status, error_info) = match result {
        Ok(()) => (StatusCode::OK, ErrorInfo::default()),
        Err(message) => (
            StatusCode::BAD_REQUEST,
            ErrorInfo {
                error_type: "ExtensionRegisterError".to_owned(),
                error_message: message,
            },
        ),
    };
    let answer = RegisterAnswer {
        function_name: &api.function_name,
        function_version: &api.function_version,
        error_info,
    };
    (status, Json(answer)).into_response()
}

// POST /telemetry
async fn subscribe(State(api): State<Arc<ExtensionApi>>, body: Bytes) -> Response {
    api.note_request();
    let mut result = api.subscribe(&body);
    if api.fault.has(TelemetryFault::SubscriptionUnchecked) {
        result = Ok(());
    }
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_)
            if api
                .fault
                .has(TelemetryFault::SubscriptionRefusalWithoutMessage) =>
        {
            StatusCode::BAD_REQUEST.into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(ErrorInfo {
                error_type: "TelemetrySubscriptionError".to_owned(),
                error_message: message,
            }),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_uris_must_be_loopback_in_the_port_range() {
        assert_eq!(
            listener_uri("http://127.0.0.1:8081").unwrap(),
            (
                SocketAddr::from((Ipv4Addr::LOCALHOST, 8081)),
                "/".to_owned()
            )
        );
        assert_eq!(listener_uri("http://localhost:8090/t").unwrap().1, "/t");
        for bad in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:9000",
            "http://10.0.0.1:8081",
            "https://127.0.0.1:8081",
            "127.0.0.1:8081",
            "http://127.0.0.1",
        ] {
            assert!(listener_uri(bad).is_err(), "{bad}");
        }
    }
}
