//! An instance's extension processes: each `extension*.sh` of the function's dependencies run
//! with bash (extension packaging page, functiongraph_06_2705), its output read line by line for
//! `extension` telemetry events, and its process group tracked, so none outlives the instance.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, SystemTime},
};

use serde_json::Value;
use tokio::{sync::watch, task::AbortHandle};

use super::cpu_wait::CpuWait;
use super::{
    logs::LogCapture,
    network::Network,
    outbox::Outbox,
    process::{self, Launch, SpawnError, kill_group},
    table::InstanceTable,
};
use crate::{
    fault::Faults,
    telemetry::{self, Stream},
};

/// How often the extensions' `[Extension]` lines go out between calls (**fgref**: the page says
/// nothing of batching; a call's own delivery also takes every line written before it).
const LINE_DELIVERY_PERIOD: Duration = Duration::from_millis(100);

/// The running extensions of one instance. Dropping it kills them.
#[derive(Default)]
pub(crate) struct ExtensionProcesses {
    groups: Vec<u32>,
    /// How long the machine kept each process from a CPU.
    cpu_waits: Vec<CpuWait>,
    output: Option<Arc<ExtensionOutput>>,
    tasks: Vec<AbortHandle>,
}

/// The extensions' stdout and stderr, one pipe, read as it comes and cut exactly when events
/// are taken, like the language runtime's output at an answer.
struct ExtensionOutput {
    capture: Arc<LogCapture>,
    /// A line the last cut ended in the middle of.
    partial: Mutex<Vec<u8>>,
    fault: Faults,
}

impl ExtensionOutput {
    /// An `extension` event for each complete line written since the last call that carries
    /// `[Extension]`.
    fn take_events(&self) -> Vec<Value> {
        let mut partial = self.partial.lock().unwrap_or_else(PoisonError::into_inner);
        partial.extend(self.capture.cut());
        let complete = match partial.iter().rposition(|b| *b == b'\n') {
            Some(end) => partial.drain(..=end).collect::<Vec<u8>>(),
            None => return Vec::new(),
        };
        telemetry::log_lines(Stream::Extension, &complete, SystemTime::now(), self.fault)
    }
}

/// Delivers the extensions' tagged lines as they come, so one written between calls (or while
/// the platform still waits for registrations) does not wait for the next call.
async fn deliver_lines(output: Arc<ExtensionOutput>, outbox: Arc<Outbox>) {
    let mut tick = tokio::time::interval(LINE_DELIVERY_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let events = output.take_events();
        if !events.is_empty() {
            outbox.deliver_now(events).await;
        }
    }
}

impl ExtensionProcesses {
    /// Starts every extension script of `launch`, pointed at the extension API on `api`.
    pub(super) fn start(
        table: &Arc<InstanceTable>,
        launch: &Launch<'_>,
        api: SocketAddr,
        network: &Network,
        outbox: &Arc<Outbox>,
    ) -> Result<Self, SpawnError> {
        let mut started = Self::default();
        if launch.extension_scripts.is_empty() {
            return Ok(started);
        }
        let setup = |what| move |source| SpawnError::Setup { what, source };
        let (capture, write_end) = LogCapture::new().map_err(setup("extension output pipe"))?;
        started.tasks.push(capture.spawn_reader().abort_handle());
        let output = Arc::new(ExtensionOutput {
            capture,
            partial: Mutex::default(),
            fault: launch.fault,
        });
        started.tasks.push(
            tokio::spawn(deliver_lines(Arc::clone(&output), Arc::clone(outbox))).abort_handle(),
        );
        started.output = Some(output);
        for script in launch.extension_scripts {
            let stdout = write_end
                .try_clone()
                .map_err(setup("extension output pipe"))?;
            let stderr = write_end
                .try_clone()
                .map_err(setup("extension output pipe"))?;
            let (mut child, pid) =
                process::spawn_extension(launch, script, api, network, stdout, stderr)?;
            started.groups.push(pid);
            started.cpu_waits.push(CpuWait::new(pid));
            let (exited_tx, exited_rx) = watch::channel(false);
            let Some(table_id) = table.register(pid, launch.owner, exited_rx) else {
                return Err(SpawnError::Closed);
            };
            let reaper_table = Arc::clone(table);
            // Outlives the instance on purpose: it reaps the killed process and takes it off
            // the table.
            tokio::spawn(async move {
                let _ = child.wait().await;
                kill_group(pid);
                let _ = exited_tx.send(true);
                reaper_table.forget(table_id);
            });
        }
        Ok(started)
    }

    /// The longest any of the extensions' processes has waited for a CPU since it started: what
    /// a busy machine took from their start.
    pub(super) fn cpu_waited(&self) -> Duration {
        self.cpu_waits
            .iter()
            .map(CpuWait::so_far)
            .max()
            .unwrap_or_default()
    }

    /// The `[Extension]` lines written since the last delivery, as events.
    pub(super) fn take_events(&self) -> Vec<Value> {
        self.output
            .as_ref()
            .map_or_else(Vec::new, |output| output.take_events())
    }

    pub(super) fn kill(&self) {
        for &group in &self.groups {
            kill_group(group);
        }
    }
}

impl Drop for ExtensionProcesses {
    fn drop(&mut self) {
        self.kill();
        for task in &self.tasks {
            task.abort();
        }
    }
}
