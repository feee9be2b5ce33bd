//! The Telemetry API's events as FunctionGraph documents them ("处理遥测", functiongraph_06_2713,
//! research notes §9.3): their names, their fields, and which log lines become events. Values
//! only; delivering them is the instance's business.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use crate::{
    dates,
    fault::{Faults, TelemetryFault},
};

/// The three subscribable streams (`types` of a subscription).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Platform,
    Function,
    Extension,
}

impl Stream {
    pub(crate) fn from_name(name: &str) -> Option<Stream> {
        match name {
            "platform" => Some(Stream::Platform),
            "function" => Some(Stream::Function),
            "extension" => Some(Stream::Extension),
            _ => None,
        }
    }

    /// The stream an event belongs to, from its `name`.
    pub(crate) fn of(event: &Value) -> Option<Stream> {
        match event.get("name")?.as_str()? {
            "function" => Some(Stream::Function),
            "extension" => Some(Stream::Extension),
            name if name.starts_with("platform.") => Some(Stream::Platform),
            _ => None,
        }
    }
}

/// Only lines carrying these tags are collected (the page's notes under Function and Extension).
pub(crate) const FUNCTION_TAG: &str = "[Function]";
pub(crate) const EXTENSION_TAG: &str = "[Extension]";

/// `reportMetrics`, the figures of an initialisation or a call.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReportMetrics {
    #[serde(rename = "durationMs")]
    pub duration_ms: f64,
    #[serde(rename = "billingDurationMS")]
    pub billing_duration_ms: f64,
    #[serde(rename = "memoryUsed")]
    pub memory_used: f64,
    #[serde(rename = "memorySize")]
    pub memory_size: u32,
    #[serde(rename = "podName")]
    pub pod_name: String,
}

/// The phase a group of platform events reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `platform.initStart`, `platform.initRuntimeDone`, `platform.initReport`.
    Init,
    /// `platform.start`, `platform.RuntimeDone`, `platform.report`.
    Invoke,
}

/// What the platform knows when a phase ends.
pub(crate) struct PhaseEnd<'a> {
    pub trace_id: &'a str,
    pub started: SystemTime,
    pub ended: SystemTime,
    pub success: bool,
    pub metrics: ReportMetrics,
    pub fault: Faults,
}

/// `status`: the page shows only "success"; **fgref** says "failure" otherwise.
fn status(success: bool, fault: Faults) -> &'static str {
    match success {
        true if fault.has(TelemetryFault::StatusNotSuccess) => "ok",
        true => "success",
        false => "failure",
    }
}

/// The phase's start event.
pub(crate) fn start(phase: Phase, trace_id: &str, started: SystemTime) -> Value {
    let name = match phase {
        Phase::Init => "platform.initStart",
        Phase::Invoke => "platform.start",
    };
    serde_json::json!({
        "name": name,
        "startTime": dates::iso8601_millis(started),
        "traceId": trace_id,
    })
}

/// The phase's done event and its report, in that order.
pub(crate) fn end(phase: Phase, end: &PhaseEnd<'_>) -> [Value; 2] {
    let (done, report) = match phase {
        Phase::Init => ("platform.initRuntimeDone", "platform.initReport"),
        // The page's capital R, not AWS's `platform.runtimeDone`.
        Phase::Invoke if end.fault.has(TelemetryFault::AwsRuntimeDoneCasing) => {
            ("platform.runtimeDone", "platform.report")
        }
        Phase::Invoke => ("platform.RuntimeDone", "platform.report"),
    };
    let started = dates::iso8601_millis(end.started);
    let mut metrics = end.metrics.clone();
    if end.fault.has(TelemetryFault::WrongMemorySize) {
        metrics.memory_size *= 2;
    }
    if end.fault.has(TelemetryFault::Billing100Ms) {
        metrics.billing_duration_ms = (metrics.duration_ms / 100.0).ceil().max(1.0) * 100.0;
    }
    let metrics = serde_json::to_value(metrics).unwrap_or(Value::Null);
    let mut report = serde_json::json!({
        "name": report,
        "startTime": started,
        "traceId": end.trace_id,
        "endTime": dates::iso8601_millis(end.ended),
        "status": status(end.success, end.fault),
    });
    // The schema names the object `metrics`, the page's example `reportMetrics`
    // (CONTRADICTIONS.md): fgref sends both, so a reader of either finds it.
    if !end.fault.has(TelemetryFault::ReportMetricsOnly) {
        report["metrics"] = metrics.clone();
    }
    if !end.fault.has(TelemetryFault::MetricsOnly) {
        report["reportMetrics"] = metrics;
    }
    let done = serde_json::json!({
        "name": done,
        "startTime": started,
        "traceId": end.trace_id,
        "status": status(end.success, end.fault),
    });
    [done, report]
}

/// One `function` or `extension` event per output line that carries the stream's tag.
pub(crate) fn log_lines(
    stream: Stream,
    output: &[u8],
    at: SystemTime,
    fault: Faults,
) -> Vec<Value> {
    let (name, tag, untagged_fault) = match stream {
        Stream::Function => (
            "function",
            FUNCTION_TAG,
            TelemetryFault::UntaggedFunctionLines,
        ),
        Stream::Extension => (
            "extension",
            EXTENSION_TAG,
            TelemetryFault::UntaggedExtensionLines,
        ),
        Stream::Platform => return Vec::new(),
    };
    let at = dates::iso8601_millis(at);
    String::from_utf8_lossy(output)
        .lines()
        .filter(|line| line.contains(tag) || (fault.has(untagged_fault) && !line.is_empty()))
        .map(|line| serde_json::json!({"name": name, "startTime": at, "logs": line}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn metrics() -> ReportMetrics {
        ReportMetrics {
            duration_ms: 10.6,
            billing_duration_ms: 11.0,
            memory_used: 23.4,
            memory_size: 128,
            pod_name: "fgref-1-2".to_owned(),
        }
    }

    #[test]
    fn events_carry_the_documented_names_and_fields() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_millis(1_675_209_830_000);
        let start = start(Phase::Init, "rid", t0);
        assert_eq!(
            start,
            serde_json::json!({"name": "platform.initStart", "startTime": "2023-02-01T00:03:50.000Z", "traceId": "rid"})
        );
        let end = PhaseEnd {
            trace_id: "rid",
            started: t0,
            ended: t0 + Duration::from_millis(11),
            success: true,
            metrics: metrics(),
            fault: Faults::default(),
        };
        let [done, report] = super::end(Phase::Invoke, &end);
        assert_eq!(done["name"], "platform.RuntimeDone");
        assert_eq!(done["status"], "success");
        assert_eq!(report["name"], "platform.report");
        assert_eq!(report["endTime"], "2023-02-01T00:03:50.011Z");
        for key in ["metrics", "reportMetrics"] {
            assert_eq!(report[key]["billingDurationMS"], 11.0);
            assert_eq!(report[key]["memorySize"], 128);
            assert_eq!(report[key]["podName"], "fgref-1-2");
        }
    }

    #[test]
    fn only_tagged_lines_become_log_events() {
        let out = b"plain\n2023 rid INFO [Function]hello\n[Extension]x\n";
        let events = log_lines(
            Stream::Function,
            out,
            SystemTime::UNIX_EPOCH,
            Faults::default(),
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["logs"], "2023 rid INFO [Function]hello");
        assert_eq!(events[0]["name"], "function");
        let ext = log_lines(
            Stream::Extension,
            out,
            SystemTime::UNIX_EPOCH,
            Faults::default(),
        );
        assert_eq!(ext.len(), 1);
        assert_eq!(ext[0]["logs"], "[Extension]x");
    }

    #[test]
    fn streams_are_known_by_event_name() {
        assert_eq!(
            Stream::of(&start(Phase::Invoke, "r", SystemTime::now())),
            Some(Stream::Platform)
        );
        assert_eq!(
            Stream::of(&serde_json::json!({"name": "function"})),
            Some(Stream::Function)
        );
        assert_eq!(Stream::from_name("logs"), None);
    }
}
