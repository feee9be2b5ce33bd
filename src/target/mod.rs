//! Targets: what a descriptor in `runtimes/` describes and the harness drives. A target is one of
//! three kinds (the embedded fgref, a command started for the run, a URL); `start` brings it up
//! for a run, with the telemetry collector its functions send to, and both come down at its end,
//! after what the run's trials left live on the target is deleted (also on Ctrl-C).

mod command;
mod descriptor;
mod error;

use std::path::Path;
use std::time::Duration;

pub use descriptor::{Target, TargetKind};
pub use error::TargetError;

use crate::live::Live;
use crate::names::RunPrefix;
use crate::reference;
use crate::runtime_id::RuntimeId;
use crate::telemetry::Collector;
use crate::trial::RunScope;
use crate::wire::Client;

/// A bound on deleting what is still live on the target when the run ends or is interrupted.
const DELETE_LIVE_TIMEOUT: Duration = Duration::from_secs(20);

impl Target {
    /// Reads and checks the descriptor at `path`.
    pub fn load(path: &Path) -> Result<Target, TargetError> {
        descriptor::load(path)
    }

    /// Long enough for the target to have noticed the idle time passing and acted on it.
    pub fn idle_pause(&self) -> Duration {
        self.idle_timeout.mul_f64(1.5) + Duration::from_secs(1)
    }

    pub fn declares(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }

    /// A client for a target that outlives runs (a `url`), as a run builds it, for `cleanup`;
    /// `None` for the embedded fgref and a command target, both started afresh for each run.
    pub fn lasting_client(&self) -> Result<Option<Client>, TargetError> {
        let TargetKind::Url(url) = &self.kind else {
            return Ok(None);
        };
        let token = match &self.token_env {
            Some(var) => Some(std::env::var(var).map_err(|_| TargetError::Start {
                name: self.name.clone(),
                message: format!("the environment variable {var} (token_env) is not set"),
            })?),
            None => None,
        };
        Ok(Some(Client::new(url, &self.project_id, token)?))
    }

    /// Starts the telemetry collector, then starts (or reaches) the target for a run whose trials
    /// use `runtimes`; the embedded fgref takes its settings from `reference`.
    pub async fn start(
        &self,
        runtimes: &[RuntimeId],
        reference: &reference::Settings,
    ) -> Result<RunningTarget, TargetError> {
        let start_error = |message: String| TargetError::Start {
            name: self.name.clone(),
            message,
        };
        let token = match &self.token_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                start_error(format!(
                    "the environment variable {var} (token_env) is not set"
                ))
            })?),
            None => None,
        };
        let collector = Collector::start(self.collector_listen, self.collector_url.clone())
            .await
            .map_err(|e| start_error(e.to_string()))?;
        let (url, process) = match &self.kind {
            TargetKind::Embedded => {
                let embedded = reference::Embedded::start(
                    reference,
                    runtimes,
                    token.clone(),
                    self.idle_timeout,
                    // Instances with extensions live in a network namespace of their own; the
                    // collector's port is how their forwarder gets out.
                    vec![collector.addr().port()],
                )
                .await
                .map_err(start_error)?;
                (embedded.url(), Process::Embedded(Box::new(embedded)))
            }
            TargetKind::Command { program, dir } => {
                let (url, child) = command::spawn(dir, program).await.map_err(start_error)?;
                (
                    url,
                    Process::Child(Box::new(tokio::sync::Mutex::new(child))),
                )
            }
            TargetKind::Url(url) => (url.clone(), Process::Remote),
        };
        let client = Client::new(&url, &self.project_id, token)?;
        Ok(RunningTarget {
            client,
            collector,
            scope: RunScope {
                prefix: RunPrefix::new(&self.function_prefix),
                live: Live::default(),
            },
            process,
        })
    }
}

/// A target that is up for this run.
pub struct RunningTarget {
    pub client: Client,
    /// Where the target's functions send their telemetry.
    pub collector: Collector,
    /// The run's name prefix and what its trials have live on the target.
    pub scope: RunScope,
    process: Process,
}

enum Process {
    Embedded(Box<reference::Embedded>),
    // Behind a mutex so a signal handler can kill it while trials still hold the target.
    Child(Box<tokio::sync::Mutex<tokio::process::Child>>),
    Remote,
}

impl RunningTarget {
    /// Why the target cannot serve `runtime`, when it knows so before any call.
    pub fn unavailable(&self, runtime: RuntimeId) -> Option<&str> {
        match &self.process {
            Process::Embedded(embedded) => embedded.unavailable(runtime),
            Process::Child(_) | Process::Remote => None,
        }
    }

    /// Deletes what the run's trials still have on the target (within a bound), closing the
    /// registry so that nothing more is created.
    async fn delete_live(&self) {
        let _ = tokio::time::timeout(
            DELETE_LIVE_TIMEOUT,
            self.scope.live.delete_all(&self.client),
        )
        .await;
    }

    /// Brings the target down; for a started one, waits until its processes are gone. What the
    /// trials left live is deleted first; the collector stops last, so the last events still have
    /// somewhere to go.
    pub async fn stop(self) {
        self.delete_live().await;
        match self.process {
            Process::Embedded(embedded) => embedded.stop().await,
            Process::Child(child) => {
                let _ = child.into_inner().kill().await;
            }
            Process::Remote => {}
        }
        self.collector.stop().await;
    }

    /// Ctrl-C: deletes what the trials have live on the target (within a bound, while they may
    /// still run), then kills what the target started without waiting for them to let go of it.
    pub async fn abort(&self) {
        self.delete_live().await;
        self.kill_now().await;
    }

    /// Kills what the target started, without waiting for trials to let go of it.
    async fn kill_now(&self) {
        match &self.process {
            Process::Embedded(embedded) => embedded.kill_now().await,
            Process::Child(child) => {
                let _ = child.lock().await.kill().await;
            }
            Process::Remote => {}
        }
    }
}
