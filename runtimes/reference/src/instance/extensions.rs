//! An instance's extension processes: each `extension*.sh` of the function's dependencies run
//! with bash (extension packaging page, functiongraph_06_2705), its output read line by line for
//! `extension` telemetry events, and its process group tracked, so none outlives the instance.

use std::{net::SocketAddr, process::Stdio, sync::Arc, time::SystemTime};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::unix::pipe,
    sync::watch,
    task::AbortHandle,
};

use super::{
    network::Network,
    outbox::Outbox,
    process::{self, Launch, SpawnError, kill_group},
    table::InstanceTable,
};
use crate::telemetry::{self, Stream};

/// A longer output line is cut here before it becomes an event.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The running extensions of one instance. Dropping it kills them.
#[derive(Default)]
pub(crate) struct ExtensionProcesses {
    groups: Vec<u32>,
    reader: Option<AbortHandle>,
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
        let (tx, rx) = pipe::pipe().map_err(setup("extension output pipe"))?;
        let write_end = tx
            .into_blocking_fd()
            .map_err(setup("extension output pipe"))?;
        started.reader =
            Some(tokio::spawn(read_lines(rx, Arc::clone(outbox), launch.fault)).abort_handle());
        for script in launch.extension_scripts {
            let stdout = write_end
                .try_clone()
                .map_err(setup("extension output pipe"))?;
            let stderr = write_end
                .try_clone()
                .map_err(setup("extension output pipe"))?;
            let (mut child, pid) = process::spawn_extension(
                launch,
                script,
                api,
                network,
                Stdio::from(stdout),
                Stdio::from(stderr),
            )?;
            started.groups.push(pid);
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

    pub(super) fn kill(&self) {
        for &group in &self.groups {
            kill_group(group);
        }
    }
}

impl Drop for ExtensionProcesses {
    fn drop(&mut self) {
        self.kill();
        if let Some(reader) = &self.reader {
            reader.abort();
        }
    }
}

/// Every line the extensions write; those tagged `[Extension]` become events as they arrive.
async fn read_lines(
    rx: pipe::Receiver,
    outbox: Arc<Outbox>,
    fault: Option<crate::fault::TelemetryFault>,
) {
    let mut reader = BufReader::new(rx);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                line.truncate(MAX_LINE_BYTES);
                let events =
                    telemetry::log_lines(Stream::Extension, &line, SystemTime::now(), fault);
                if !events.is_empty() {
                    outbox.emit(events);
                }
            }
        }
    }
}
