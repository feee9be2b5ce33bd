//! One invocation (synchronous, or an asynchronous one's run): find or start an instance, initialise it, tell its extensions,
//! run the call, turn what happened into FunctionGraph's result, summary and log, and deliver
//! the call's telemetry before answering.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use axum::body::Bytes;
use serde::Serialize;

use crate::{
    call_log::{self, FinishFigures},
    error::FssError,
    fault::{Faults, TelemetryFault},
    instance::{
        CallOutcome, InitOutcome, Instance, Launch, MAX_RESULT_BYTES, SpawnError, UP_LIMIT,
    },
    messages::{FunctionModel, InvokeSummary},
    node,
    platform::Platform,
    registry::{Function, VERSION},
};

mod capacity;
mod events;
mod page_cache;

/// openYuanrong's text for a runtime process that dies (research notes §5.2, 4204).
const EXITED_MESSAGE: &str = "runtime process is exited";

/// FunctionGraph's text when an instance goes past `memory_size` (OTC FAQ title; 4205 in the
/// research notes §5.2).
const MEMORY_MESSAGE: &str = "runtime memory limit exceeded";

/// fgref's errorType for [`MEMORY_MESSAGE`]; no source names one.
const MEMORY_ERROR_TYPE: &str = "RuntimeMemoryLimitExceeded";

/// Why a call failed; the codes are fgref's choice (PROTOCOL.md §4), after FunctionGraph's
/// worker codes where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The runtime reported an error through `invocation/error`.
    Function,
    /// The runtime reported an error through `init/error`.
    Initialisation,
    Timeout,
    Exited,
    OutOfMemory,
    /// The runtime's answer was over the 6 MB response limit.
    ResponseTooLarge,
}

impl Failure {
    pub(crate) fn err_code(self) -> u32 {
        match self {
            Self::Function => 4002,
            Self::Initialisation => 4201,
            Self::Timeout => 4010,
            Self::Exited => 4204,
            Self::OutOfMemory => 4205,
            Self::ResponseTooLarge => 4008,
        }
    }
}

/// A finished call, ready to be answered.
pub(crate) struct Completed {
    pub request_id: String,
    pub result: Bytes,
    pub failure: Option<Failure>,
    pub summary: InvokeSummary,
    pub log: String,
    pub node_version: String,
}

#[derive(Serialize)]
struct ErrorPayload<'a> {
    #[serde(rename = "errorMessage")]
    error_message: &'a str,
    #[serde(rename = "errorType")]
    error_type: &'a str,
}

fn error_payload(message: &str, error_type: &str) -> Bytes {
    let payload = ErrorPayload {
        error_message: message,
        error_type,
    };
    Bytes::from(serde_json::to_vec(&payload).unwrap_or_default())
}

/// The runtime's `errorMessage`, or its whole body when that is not the documented JSON.
fn init_error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct InitError {
        #[serde(rename = "errorMessage")]
        error_message: String,
    }
    match serde_json::from_slice::<InitError>(body) {
        Ok(e) => e.error_message,
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// Per-call bookkeeping shared by every way a call can end.
struct Call<'a> {
    request_id: String,
    started: SystemTime,
    function: &'a Function,
    node_version: String,
}

impl Call<'_> {
    fn complete(
        self,
        result: Bytes,
        failure: Option<Failure>,
        output: &[u8],
        duration: Duration,
        peak_kb: Option<u64>,
    ) -> Completed {
        let (summary, figures) = summarise(duration, peak_kb, self.function.model.memory_size);
        let log = call_log::compose(
            &self.request_id,
            self.started,
            output,
            SystemTime::now(),
            &figures,
        );
        Completed {
            request_id: self.request_id,
            result,
            failure,
            summary,
            log,
            node_version: self.node_version,
        }
    }
}

/// The summary figures: duration to the microsecond, billed in whole milliseconds rounded up
/// (FunctionGraph bills 1 ms units), memory in MB to three decimals.
pub(crate) fn summarise(
    duration: Duration,
    peak_kb: Option<u64>,
    memory_size: u32,
) -> (InvokeSummary, FinishFigures) {
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let duration_ms = round3(duration.as_secs_f64() * 1000.0);
    let billing_ms = (duration_ms.ceil() as u64).max(1);
    let memory_used_mb = round3(peak_kb.unwrap_or(0) as f64 / 1024.0);
    let summary = InvokeSummary {
        duration: duration_ms,
        billing_duration: billing_ms,
        memory_size,
        memory_used: memory_used_mb,
    };
    let figures = FinishFigures {
        duration_ms,
        billing_ms,
        memory_used_mb,
        memory_size_mb: memory_size,
    };
    (summary, figures)
}

/// Why no instance could be started.
enum StartError {
    /// The platform itself failed (500).
    Platform(FssError),
    /// An extension did not register: the call fails like a failed initialisation.
    Extensions(String),
}

async fn start_instance(platform: &Platform, function: &Function) -> Result<Instance, StartError> {
    let fail = |message: String| StartError::Platform(FssError::Platform(message));
    let runtime_id = function.model.runtime.clone();
    let cache = platform.node_cache.clone();
    let node = tokio::task::spawn_blocking(move || node::resolve(&runtime_id, cache.as_deref()))
        .await
        .map_err(|e| fail(format!("failed to look up the node binary: {e}")))?
        .map_err(|e| fail(e.to_string()))?;
    page_cache::read_ahead_once(&node).await;
    let log_dir = function.log_dir();
    tokio::fs::create_dir_all(&log_dir).await.map_err(|e| {
        fail(format!(
            "failed to create the log directory {}: {e}",
            log_dir.display()
        ))
    })?;
    let runtime_root = platform
        .bootstrap
        .parent()
        .unwrap_or(&platform.bootstrap)
        .to_path_buf();
    let launch = Launch {
        owner: function.uid,
        node: &node,
        bootstrap: &platform.bootstrap,
        code_root: &function.code_root,
        memory_mb: function.model.memory_size,
        env: function.instance_env(&runtime_root),
        extension_scripts: &function.extension_scripts,
        identity: (&function.model.func_name, VERSION),
        host_ports: &platform.host_ports,
        fault: platform.faults,
    };
    match Instance::spawn(&platform.instances, launch).await {
        Ok(instance) => Ok(instance),
        Err(e @ SpawnError::ExtensionsNotRegistered { .. }) => {
            Err(StartError::Extensions(e.to_string()))
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// How a call ended, before it is framed as FunctionGraph answers it.
struct Ending {
    result: Bytes,
    failure: Option<Failure>,
    output: Vec<u8>,
    duration: Duration,
    peak_kb: Option<u64>,
    /// The instance may serve the next call.
    reusable: bool,
}

impl Ending {
    fn failed(message: &str, error_type: &str, failure: Failure, output: Vec<u8>) -> Self {
        Self {
            result: error_payload(message, error_type),
            failure: Some(failure),
            output,
            duration: Duration::ZERO,
            peak_kb: None,
            reusable: false,
        }
    }

    fn took(mut self, duration: Duration, peak_kb: Option<u64>) -> Self {
        self.duration = duration;
        self.peak_kb = peak_kb;
        self
    }
}

/// Runs one call of `function` with `event` as `request_id`, the id its runtime, log and
/// telemetry carry (a synchronous call's fresh one, or the id an asynchronous call was accepted
/// under).
pub(crate) async fn invoke(
    platform: Arc<Platform>,
    function: Arc<Function>,
    event: Bytes,
    request_id: String,
) -> Result<Completed, FssError> {
    let started = SystemTime::now();
    let mut instance = match function.take_idle(platform.idle_timeout) {
        Some(instance) => instance,
        // The slot first: a call past the limits starts nothing.
        None => match (
            capacity::reserve(&platform, &function).await?,
            start_instance(&platform, &function).await,
        ) {
            (slot, Ok(mut instance)) => {
                instance.slot = Some(slot);
                instance
            }
            (_, Err(StartError::Platform(e))) => return Err(e),
            (_, Err(StartError::Extensions(message))) => {
                let call = Call {
                    request_id,
                    started,
                    function: &function,
                    node_version: String::new(),
                };
                let ending = Ending::failed(
                    &message,
                    "ExtensionRegisterError",
                    Failure::Initialisation,
                    Vec::new(),
                );
                let duration = started.elapsed().unwrap_or_default();
                return Ok(call.complete(ending.result, ending.failure, &[], duration, None));
            }
        },
    };
    let call = Call {
        request_id,
        started,
        function: &function,
        node_version: instance.node_version.clone(),
    };
    let fault = platform.faults;
    let model = &function.model;
    let events = |instance| events::CallEvents::new(instance, &call.request_id, model, fault);
    if !instance.initialised {
        if let Err(ending) = initialise(&mut instance, model).await {
            events(&instance).init(ending.duration, ending.peak_kb, false);
            return Ok(finish(&function, instance, call, ending, None, fault).await);
        }
        let duration = instance.runtime_started.elapsed().unwrap_or_default();
        events(&instance).init(duration, instance.peak_kb(), true);
    } else if fault.has(TelemetryFault::InitEventsEveryCall) {
        events(&instance).init(Duration::from_millis(1), instance.peak_kb(), true);
    }
    instance.announce(&call.request_id, &model.func_urn).await;
    let call_started = SystemTime::now();
    let ending = run_call(&mut instance, &call.request_id, event, model.timeout).await;
    Ok(finish(&function, instance, call, ending, Some(call_started), fault).await)
}

/// Waits for a new instance's initialisation; an `Ending` when it failed.
async fn initialise(instance: &mut Instance, model: &FunctionModel) -> Result<(), Ending> {
    let limit_secs = if model.initializer_handler.is_empty() {
        model.timeout
    } else {
        model.initializer_timeout
    };
    // Counted from the runtime's first request (`Instance::initialise`), so node's own start-up
    // is not the initializer's, however busy the machine.
    let limit = Duration::from_secs(limit_secs.into());
    let since_spawn = instance.spawned_at;
    let ending = match instance.initialise(limit).await {
        InitOutcome::Ready => return Ok(()),
        InitOutcome::Failed(answer) => {
            let message = init_error_message(&answer.body);
            let duration = answer.at.saturating_duration_since(since_spawn);
            Ending::failed(
                &message,
                "HandledInitializationError",
                Failure::Initialisation,
                answer.log,
            )
            .took(duration, answer.peak_kb)
        }
        InitOutcome::Exited { log } => {
            Ending::failed(EXITED_MESSAGE, "RuntimeExitError", Failure::Exited, log)
                .took(since_spawn.elapsed(), None)
        }
        InitOutcome::OutOfMemory { log, peak_kb } => {
            Ending::failed(MEMORY_MESSAGE, MEMORY_ERROR_TYPE, Failure::OutOfMemory, log)
                .took(since_spawn.elapsed(), Some(peak_kb))
        }
        InitOutcome::TimedOut { log, peak_kb, up } => {
            let message = if up {
                format!("initialization timed out after {limit_secs}s")
            } else {
                format!(
                    "initialization timed out after {limit_secs}s: the language runtime made no \
                     request to the runtime API within {}s of its start",
                    UP_LIMIT.as_secs()
                )
            };
            Ending::failed(&message, "TimeoutError", Failure::Timeout, log)
                .took(since_spawn.elapsed(), peak_kb)
        }
    };
    Err(ending)
}

/// Runs the call on an initialised instance.
async fn run_call(instance: &mut Instance, request_id: &str, event: Bytes, timeout: u32) -> Ending {
    let limit = Duration::from_secs(timeout.into());
    match instance.call(request_id, event, limit).await {
        CallOutcome::Answered {
            ok,
            answer,
            duration,
        } => {
            if let Some(size) = answer.oversized {
                // The sentence our Node.js runtime answers for its own oversized results.
                let message =
                    format!("response body size {size} exceeds the limit of {MAX_RESULT_BYTES}");
                return Ending {
                    result: Bytes::from(message),
                    failure: Some(Failure::ResponseTooLarge),
                    output: answer.log,
                    duration,
                    peak_kb: answer.peak_kb,
                    reusable: true,
                };
            }
            Ending {
                result: answer.body,
                failure: (!ok).then_some(Failure::Function),
                output: answer.log,
                duration,
                peak_kb: answer.peak_kb,
                reusable: true,
            }
        }
        CallOutcome::OutOfMemory {
            log,
            duration,
            peak_kb,
        } => Ending::failed(MEMORY_MESSAGE, MEMORY_ERROR_TYPE, Failure::OutOfMemory, log)
            .took(duration, Some(peak_kb)),
        CallOutcome::Exited { log, duration } => {
            Ending::failed(EXITED_MESSAGE, "RuntimeExitError", Failure::Exited, log)
                .took(duration, None)
        }
        CallOutcome::TimedOut {
            log,
            duration,
            peak_kb,
        } => {
            // FunctionGraph documents no timeout text (research notes §5.2); this one is ours.
            let message = format!("invoke timed out after {timeout}s");
            Ending::failed(&message, "TimeoutError", Failure::Timeout, log).took(duration, peak_kb)
        }
    }
}

/// Frames the call's answer, emits its events (`call_started` when the call itself ran) and
/// delivers them while the instance, and so its telemetry subscriber, still lives; then keeps
/// the instance warm or stops it.
async fn finish(
    function: &Function,
    instance: Instance,
    call: Call<'_>,
    ending: Ending,
    call_started: Option<SystemTime>,
    fault: Faults,
) -> Completed {
    let request_id = call.request_id.clone();
    let completed = call.complete(
        ending.result,
        ending.failure,
        &ending.output,
        ending.duration,
        ending.peak_kb,
    );
    if let Some(started) = call_started {
        let success = completed.failure.is_none();
        events::CallEvents::new(&instance, &request_id, &function.model, fault).call(
            started,
            &ending.output,
            &completed.summary,
            success,
        );
    }
    instance.deliver_telemetry().await;
    if ending.reusable {
        if let Some(instance) = function.put_idle(instance) {
            instance.stop().await;
        }
    } else {
        instance.stop().await;
    }
    completed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_rounds_up_to_whole_milliseconds() {
        let (s, f) = summarise(Duration::from_micros(65_828), Some(21_988), 128);
        assert_eq!(s.duration, 65.828);
        assert_eq!(s.billing_duration, 66);
        assert_eq!(s.memory_used, 21.473);
        assert_eq!(s.memory_size, 128);
        assert_eq!(f.billing_ms, 66);
        let (tiny, _) = summarise(Duration::from_nanos(10), None, 256);
        assert_eq!(tiny.billing_duration, 1);
        assert_eq!(tiny.memory_used, 0.0);
        let (exact, _) = summarise(Duration::from_millis(3), None, 128);
        assert_eq!(exact.billing_duration, 3);
    }

    #[test]
    fn error_payloads_keep_functiongraph_key_order() {
        assert_eq!(
            &error_payload("boom", "TimeoutError")[..],
            br#"{"errorMessage":"boom","errorType":"TimeoutError"}"#
        );
    }

    #[test]
    fn init_error_message_falls_back_to_the_body() {
        assert_eq!(
            init_error_message(br#"{"errorMessage":"bad","errorType":"Error"}"#),
            "bad"
        );
        assert_eq!(init_error_message(b"plain text"), "plain text");
    }
}
