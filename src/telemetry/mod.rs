//! Telemetry from the harness's side: the collector a run starts beside its target, each trial's
//! inbox in it, the filing of events to the calls they belong to, and the wait for them after a
//! step's answers. The forwarder that feeds the collector is deployed with the function.

mod collector;
mod filing;
pub mod forwarder;

use std::time::Duration;

use serde_json::Value;

pub use collector::{BODY_LIMIT, Collector, CollectorError};
pub use filing::{Arrival, file};

use collector::InboxHandle;

/// One telemetry stream of FunctionGraph's Telemetry API (research notes §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryType {
    Platform,
    Function,
    Extension,
}

impl TelemetryType {
    pub const ALL: [TelemetryType; 3] = [
        TelemetryType::Platform,
        TelemetryType::Function,
        TelemetryType::Extension,
    ];

    /// The name in `case.toml` and in a subscription's `types`.
    pub fn name(self) -> &'static str {
        match self {
            TelemetryType::Platform => "platform",
            TelemetryType::Function => "function",
            TelemetryType::Extension => "extension",
        }
    }

    pub fn from_name(name: &str) -> Option<TelemetryType> {
        TelemetryType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A trial's telemetry: its inbox in the collector and the request ids its calls were answered
/// with. Dropping it closes the inbox.
pub struct TrialTelemetry {
    inbox: InboxHandle,
    request_ids: Vec<String>,
    /// The step in flight (0: none yet).
    step: usize,
}

impl TrialTelemetry {
    pub fn open(collector: &Collector) -> TrialTelemetry {
        TrialTelemetry {
            inbox: collector.open_inbox(),
            request_ids: Vec::new(),
            step: 0,
        }
    }

    /// The URL the trial's forwarder sends to (`FGCONFORM_COLLECTOR_URL`).
    pub fn url(&self) -> &str {
        &self.inbox.url
    }

    /// Step `step` (1-based) is in flight from now until the next one begins: events arriving
    /// meanwhile without a request id of the trial belong to its calls.
    pub fn begin_step(&mut self, step: usize) {
        self.step = step;
        self.inbox.inbox.set_step(step);
    }

    /// The calls of the step in flight were answered with these request ids.
    pub fn answered(&mut self, calls: &[Option<String>]) {
        self.request_ids.extend(calls.iter().flatten().cloned());
    }

    /// The events of each call of the step in flight, as filed now.
    pub fn events(&self, calls: &[Option<String>]) -> Vec<Vec<Value>> {
        file(
            &self.inbox.inbox.arrivals(),
            &self.request_ids,
            self.step,
            calls,
        )
    }

    /// Waits until `holds` accepts the events of each call of the step in flight, or `within`
    /// passes (the harness gives the target's `telemetry_wait`: FunctionGraph promises no
    /// delivery time, and a platform that sends nothing must still cost only one verdict);
    /// answers the events as they then are. It wakes only when events arrive.
    pub async fn wait(
        &self,
        calls: &[Option<String>],
        within: Duration,
        mut holds: impl FnMut(&[Vec<Value>]) -> bool,
    ) -> Vec<Vec<Value>> {
        let deadline = tokio::time::Instant::now() + within;
        let mut changes = self.inbox.inbox.changes();
        loop {
            // Marked seen before reading, so an event arriving in between wakes the next wait.
            changes.borrow_and_update();
            let events = self.events(calls);
            if holds(&events) {
                return events;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                // The deadline passed (or the collector is gone): judge what arrived.
                Ok(Err(_)) | Err(_) => return self.events(calls),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WAIT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn waiting_ends_when_the_events_hold_and_at_the_deadline_otherwise() {
        let collector = Collector::start("127.0.0.1:0".parse().unwrap(), None)
            .await
            .unwrap();
        let mut telemetry = TrialTelemetry::open(&collector);
        telemetry.begin_step(1);
        let calls = [Some("r-1".to_owned())];
        telemetry.answered(&calls);
        let url = telemetry.url().to_owned();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            fgref::http::plain_client_builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(url)
                .body(r#"[{"name":"platform.report","traceId":"r-1"}]"#)
                .send()
                .await
                .unwrap();
        });
        let started = std::time::Instant::now();
        let events = telemetry
            .wait(&calls, WAIT, |events| !events[0].is_empty())
            .await;
        assert_eq!(
            events,
            [vec![json!({"name": "platform.report", "traceId": "r-1"})]]
        );
        assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
        sender.await.unwrap();

        let started = std::time::Instant::now();
        let within = Duration::from_millis(300);
        let events = telemetry
            .wait(&calls, within, |events| events[0].len() > 1)
            .await;
        assert_eq!(events[0].len(), 1);
        assert!(started.elapsed() >= within);
        collector.stop().await;
    }
}
