//! One synchronous invocation: find or start an instance, initialise it, run the call, and turn
//! what happened into FunctionGraph's result, summary and log.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use axum::body::Bytes;
use serde::Serialize;

use crate::{
    call_log::{self, FinishFigures},
    error::FssError,
    instance::{CallOutcome, InitOutcome, Instance, Launch, MAX_RESULT_BYTES},
    messages::InvokeSummary,
    node,
    platform::Platform,
    registry::Function,
};

/// Added to the initialisation deadline for node's own start-up, which FunctionGraph does not
/// count against `initializer_timeout` (its instances are booted before the initializer runs).
const STARTUP_ALLOWANCE: Duration = Duration::from_secs(2);

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

async fn start_instance(platform: &Platform, function: &Function) -> Result<Instance, FssError> {
    let runtime_id = function.model.runtime.clone();
    let cache = platform.node_cache.clone();
    let node = tokio::task::spawn_blocking(move || node::resolve(&runtime_id, cache.as_deref()))
        .await
        .map_err(|e| FssError::Platform(format!("failed to look up the node binary: {e}")))?
        .map_err(|e| FssError::Platform(e.to_string()))?;
    let log_dir = function.log_dir();
    tokio::fs::create_dir_all(&log_dir).await.map_err(|e| {
        FssError::Platform(format!(
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
    };
    Instance::spawn(&platform.instances, launch)
        .await
        .map_err(|e| FssError::Platform(e.to_string()))
}

pub(crate) async fn invoke(
    platform: Arc<Platform>,
    function: Arc<Function>,
    event: Bytes,
) -> Result<Completed, FssError> {
    let started = SystemTime::now();
    let mut instance = match function.take_idle() {
        Some(instance) => instance,
        None => start_instance(&platform, &function).await?,
    };
    let call = Call {
        request_id: uuid::Uuid::new_v4().to_string(),
        started,
        function: &function,
        node_version: instance.node_version.clone(),
    };
    let model = &function.model;
    if !instance.initialised {
        let limit_secs = if model.initializer_handler.is_empty() {
            model.timeout
        } else {
            model.initializer_timeout
        };
        let limit = Duration::from_secs(limit_secs.into()) + STARTUP_ALLOWANCE;
        let since_spawn = instance.spawned_at;
        match instance.initialise(limit).await {
            InitOutcome::Ready => {}
            InitOutcome::Failed(answer) => {
                instance.stop().await;
                let message = init_error_message(&answer.body);
                let result = error_payload(&message, "HandledInitializationError");
                let duration = answer.at.saturating_duration_since(since_spawn);
                return Ok(call.complete(
                    result,
                    Some(Failure::Initialisation),
                    &answer.log,
                    duration,
                    answer.peak_kb,
                ));
            }
            InitOutcome::Exited { log } => {
                let duration = since_spawn.elapsed();
                instance.stop().await;
                let result = error_payload(EXITED_MESSAGE, "RuntimeExitError");
                return Ok(call.complete(result, Some(Failure::Exited), &log, duration, None));
            }
            InitOutcome::OutOfMemory { log, peak_kb } => {
                let duration = since_spawn.elapsed();
                instance.stop().await;
                let result = error_payload(MEMORY_MESSAGE, MEMORY_ERROR_TYPE);
                return Ok(call.complete(
                    result,
                    Some(Failure::OutOfMemory),
                    &log,
                    duration,
                    Some(peak_kb),
                ));
            }
            InitOutcome::TimedOut { log, peak_kb } => {
                let duration = since_spawn.elapsed();
                instance.stop().await;
                let message = format!("initialization timed out after {limit_secs}s");
                let result = error_payload(&message, "TimeoutError");
                return Ok(call.complete(result, Some(Failure::Timeout), &log, duration, peak_kb));
            }
        }
    }
    let limit = Duration::from_secs(model.timeout.into());
    match instance.call(&call.request_id, event, limit).await {
        CallOutcome::Answered {
            ok,
            answer,
            duration,
        } => {
            if let Some(instance) = function.put_idle(instance) {
                instance.stop().await;
            }
            if let Some(size) = answer.oversized {
                // The sentence our Node.js runtime answers for its own oversized results.
                let message =
                    format!("response body size {size} exceeds the limit of {MAX_RESULT_BYTES}");
                return Ok(call.complete(
                    Bytes::from(message),
                    Some(Failure::ResponseTooLarge),
                    &answer.log,
                    duration,
                    answer.peak_kb,
                ));
            }
            let failure = (!ok).then_some(Failure::Function);
            Ok(call.complete(answer.body, failure, &answer.log, duration, answer.peak_kb))
        }
        CallOutcome::OutOfMemory {
            log,
            duration,
            peak_kb,
        } => {
            instance.stop().await;
            let result = error_payload(MEMORY_MESSAGE, MEMORY_ERROR_TYPE);
            Ok(call.complete(
                result,
                Some(Failure::OutOfMemory),
                &log,
                duration,
                Some(peak_kb),
            ))
        }
        CallOutcome::Exited { log, duration } => {
            instance.stop().await;
            let result = error_payload(EXITED_MESSAGE, "RuntimeExitError");
            Ok(call.complete(result, Some(Failure::Exited), &log, duration, None))
        }
        CallOutcome::TimedOut {
            log,
            duration,
            peak_kb,
        } => {
            instance.stop().await;
            // FunctionGraph documents no timeout text (research notes §5.2); this one is ours.
            let message = format!("invoke timed out after {}s", model.timeout);
            let result = error_payload(&message, "TimeoutError");
            Ok(call.complete(result, Some(Failure::Timeout), &log, duration, peak_kb))
        }
    }
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
