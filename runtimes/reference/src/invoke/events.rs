//! The telemetry events of one call, from what the invocation knows: the instance's
//! initialisation on a cold start, then the call itself, in the documented order.

use std::time::{Duration, SystemTime};

use crate::{
    fault::{Faults, TelemetryFault},
    instance::Instance,
    messages::{FunctionModel, InvokeSummary},
    telemetry::{self, Phase, PhaseEnd, ReportMetrics, Stream},
};

/// Where the events of a call go, and whose they are.
pub(super) struct CallEvents<'a> {
    instance: &'a Instance,
    request_id: &'a str,
    memory_size: u32,
    fault: Faults,
}

impl<'a> CallEvents<'a> {
    pub(super) fn new(
        instance: &'a Instance,
        request_id: &'a str,
        model: &FunctionModel,
        fault: Faults,
    ) -> Self {
        Self {
            instance,
            request_id,
            memory_size: model.memory_size,
            fault,
        }
    }

    /// The id platform events carry: the call's request id ("traceId: 调用ID").
    fn trace_id(&self) -> String {
        if self.fault.has(TelemetryFault::TraceIdNotRequestId) {
            return uuid::Uuid::new_v4().to_string();
        }
        self.request_id.to_owned()
    }

    /// `platform.initStart`, `platform.initRuntimeDone`, `platform.initReport` for an
    /// initialisation that took `duration` from the runtime's start.
    pub(super) fn init(&self, duration: Duration, peak_kb: Option<u64>, success: bool) {
        if self.fault.has(TelemetryFault::NoInitEvents) {
            return;
        }
        let started = self.instance.runtime_started;
        let trace_id = self.trace_id();
        let (summary, _) = super::summarise(duration, peak_kb, self.memory_size);
        let end = PhaseEnd {
            trace_id: &trace_id,
            started,
            ended: started + duration,
            success,
            metrics: self.metrics(&summary),
            fault: self.fault,
        };
        let start = telemetry::start(Phase::Init, &trace_id, started);
        let [done, report] = telemetry::end(Phase::Init, &end);
        self.instance.outbox().emit([start, done, report]);
    }

    /// `platform.start`, a `function` event per tagged line of `output`, `platform.RuntimeDone`
    /// and `platform.report`.
    pub(super) fn call(
        &self,
        started: SystemTime,
        output: &[u8],
        summary: &InvokeSummary,
        success: bool,
    ) {
        let trace_id = self.trace_id();
        let ended = SystemTime::now();
        let end = PhaseEnd {
            trace_id: &trace_id,
            started,
            ended,
            success,
            metrics: self.metrics(summary),
            fault: self.fault,
        };
        let start = telemetry::start(Phase::Invoke, &trace_id, started);
        let lines = telemetry::log_lines(Stream::Function, output, ended, self.fault);
        let [done, report] = telemetry::end(Phase::Invoke, &end);
        let mut events = Vec::with_capacity(lines.len() + 3);
        if self.fault.has(TelemetryFault::EventsOutOfOrder) {
            events.push(done.clone());
        }
        events.push(start);
        events.extend(lines);
        if !self.fault.has(TelemetryFault::EventsOutOfOrder) {
            events.push(done);
        }
        if !self.fault.has(TelemetryFault::NoReport) {
            events.push(report);
        }
        self.instance.outbox().emit(events);
    }

    fn metrics(&self, summary: &InvokeSummary) -> ReportMetrics {
        ReportMetrics {
            duration_ms: summary.duration,
            billing_duration_ms: summary.billing_duration as f64,
            memory_used: summary.memory_used,
            memory_size: summary.memory_size,
            pod_name: self.instance.pod_name.clone(),
        }
    }
}
