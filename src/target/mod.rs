//! Targets: what a descriptor in `runtimes/` describes and the harness drives. A target is one of
//! three kinds (the embedded fgref, a command started for the run, a URL); `start` brings it up
//! for a run, with the telemetry collector its functions send to, and both come down at its end,
//! after what the run's trials left live on the target is deleted (also on Ctrl-C).

mod command;
mod descriptor;
mod error;
mod remote;
mod timeouts;

use std::path::Path;
use std::time::Duration;

pub use descriptor::{Target, TargetKind};
pub use error::TargetError;
pub use remote::Credentials;
pub use timeouts::Timeouts;

use crate::live::Live;
use crate::live::RunScope;
use crate::names::RunPrefix;
use crate::reference;
use crate::runtime_id::RuntimeId;
use crate::telemetry::Collector;
use crate::wire::{Auth, Client, Settings};

/// A bound on deleting what is still live on the target when the run ends or is interrupted.
const DELETE_LIVE_TIMEOUT: Duration = Duration::from_secs(20);

impl Target {
    /// Reads and checks the descriptor at `path`.
    pub fn load(path: &Path) -> Result<Target, TargetError> {
        descriptor::load(path)
    }

    /// Long enough for the target to have noticed the idle time passing and acted on it.
    /// `--nodejs-bootstrap` replaces the language runtime inside the embedded fgref only: on any
    /// other target the run would test that target's own runtime while seeming to test the one
    /// named.
    pub fn check_bootstrap(&self, reference: &reference::Settings) -> Result<(), TargetError> {
        match (&reference.nodejs_bootstrap, &self.kind) {
            (Some(_), TargetKind::Command { .. } | TargetKind::Url(_)) => {
                Err(TargetError::BootstrapElsewhere {
                    name: self.name.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    pub fn idle_pause(&self) -> Duration {
        self.idle_timeout.mul_f64(1.5) + Duration::from_secs(1)
    }

    pub fn declares(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }

    /// A client of this target at `url` (where it runs) sending `auth` (`credentials.read()`),
    /// over HTTPS as its `ca_file` says, with its `api_call` limit.
    pub fn client(&self, url: String, auth: Auth) -> Result<Client, TargetError> {
        Ok(Client::new(Settings {
            base: url,
            project_id: self.project_id.clone(),
            auth,
            ca: self.ca_certs.clone(),
            api_timeout: self.timeouts.api_call,
        })?)
    }

    /// A client for a target that outlives runs (a `url` or `region`), as a run builds it, for
    /// `cleanup`; `None` for the embedded fgref and a command target, both started afresh for
    /// each run.
    pub fn lasting_client(&self) -> Result<Option<Client>, TargetError> {
        let TargetKind::Url(url) = &self.kind else {
            return Ok(None);
        };
        let auth = self
            .credentials
            .read()
            .map_err(|message| TargetError::Start {
                name: self.name.clone(),
                message,
            })?;
        Ok(Some(self.client(url.clone(), auth)?))
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
        let mut auth = self.credentials.read().map_err(start_error)?;
        // FunctionGraph refuses calls without credentials, and a case checks that it does: the
        // embedded fgref always takes a token, this run's own when the descriptor names none.
        if matches!(self.kind, TargetKind::Embedded) && matches!(auth, Auth::None) {
            auth = Auth::Token(uuid::Uuid::new_v4().to_string());
        }
        // The embedded fgref takes exactly the credentials the harness sends.
        let (token, access_key) = match &auth {
            Auth::None | Auth::Withheld => (None, None),
            Auth::Token(token) => (Some(token.clone()), None),
            Auth::AccessKey(signer) => (
                None,
                Some(fgref::AccessKey {
                    id: signer.access.clone(),
                    secret: signer.secret.clone(),
                }),
            ),
        };
        let collector = Collector::start(self.collector_listen, self.collector_url.clone())
            .await
            .map_err(|e| start_error(e.to_string()))?;
        let (url, process) = match &self.kind {
            TargetKind::Embedded => {
                let embedded = reference::Embedded::start(
                    reference,
                    runtimes,
                    token,
                    access_key,
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
        let client = self.client(url, auth)?;
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
            Process::Child(child) => command::stop(&mut child.into_inner()).await,
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
            Process::Child(child) => command::stop(&mut *child.lock().await).await,
            Process::Remote => {}
        }
    }
}
