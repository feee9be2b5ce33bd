//! Targets: a descriptor (`runtimes/<name>.toml`) says how to reach a FunctionGraph-compatible
//! platform, and `start` brings it up for a run and down at its end.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::protocol::{Client, ProtocolError};
use crate::runtime_id::RuntimeId;

/// How long a started target may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read the target descriptor {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the target descriptor {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("cannot start the target `{name}`: {message}")]
    Start { name: String, message: String },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

/// `runtimes/<name>.toml`. Exactly one of `embedded`, `command` and `url` says how to reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDescriptor {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `"fgref"`: the reference platform, run inside the harness process.
    pub embedded: Option<String>,
    /// A program that serves the protocol and prints `listening on http://ADDR` on stdout.
    pub command: Option<Vec<String>>,
    /// An already running target.
    pub url: Option<String>,
    #[serde(default = "default_project_id")]
    pub project_id: String,
    /// The environment variable holding the `X-Auth-Token` to send, if the target needs one.
    pub token_env: Option<String>,
    /// Runtime ids the target serves.
    pub runtimes: Vec<String>,
    /// Runtime ids a run covers when `--runtime` is not given (default: all of `runtimes`).
    pub default_runtimes: Option<Vec<String>>,
    /// Features the target declares; cases needing others are skipped.
    pub features: Vec<String>,
    /// Seconds an instance stays warm without calls before the target recycles it; cases with
    /// `pause = "idle"` wait longer than this. Default: the one minute OTC documents.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: f64,
}

fn default_idle_timeout() -> f64 {
    60.0
}

fn default_project_id() -> String {
    "fgconform".into()
}

#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    pub descriptor: TargetDescriptor,
    pub runtimes: Vec<RuntimeId>,
    pub default_runtimes: Vec<RuntimeId>,
}

impl Target {
    pub fn load(path: &Path) -> Result<Target, TargetError> {
        let text = std::fs::read_to_string(path).map_err(|source| TargetError::Read {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |message: String| TargetError::Invalid {
            path: path.to_owned(),
            message,
        };
        let descriptor: TargetDescriptor =
            toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let ways = [
            descriptor.embedded.is_some(),
            descriptor.command.is_some(),
            descriptor.url.is_some(),
        ];
        if ways.iter().filter(|w| **w).count() != 1 {
            return Err(invalid(
                "set exactly one of `embedded`, `command` and `url`".into(),
            ));
        }
        if let Some(embedded) = &descriptor.embedded
            && embedded != "fgref"
        {
            return Err(invalid(format!(
                "unknown embedded target `{embedded}`; the only one is `fgref`"
            )));
        }
        let ids = |list: &[String], key: &str| {
            list.iter()
                .map(|id| {
                    RuntimeId::parse(id)
                        .ok_or_else(|| invalid(format!("`{key}`: unknown runtime id `{id}`")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let runtimes = ids(&descriptor.runtimes, "runtimes")?;
        let default_runtimes = match &descriptor.default_runtimes {
            Some(list) => ids(list, "default_runtimes")?,
            None => runtimes.clone(),
        };
        if !(descriptor.idle_timeout.is_finite()
            && (0.1..=3600.0).contains(&descriptor.idle_timeout))
        {
            return Err(invalid(format!(
                "`idle_timeout` is {} seconds; give 0.1 to 3600",
                descriptor.idle_timeout
            )));
        }
        if let Some(id) = default_runtimes.iter().find(|id| !runtimes.contains(id)) {
            return Err(invalid(format!(
                "`default_runtimes` names {id}, which `runtimes` does not list"
            )));
        }
        Ok(Target {
            path: path.to_owned(),
            descriptor,
            runtimes,
            default_runtimes,
        })
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.descriptor.idle_timeout)
    }

    /// Long enough for the target to have noticed the idle time passing and acted on it.
    pub fn idle_pause(&self) -> Duration {
        self.idle_timeout().mul_f64(1.5) + Duration::from_secs(1)
    }

    pub fn declares(&self, feature: &str) -> bool {
        self.descriptor.features.iter().any(|f| f == feature)
    }

    /// Whether this is fgref run inside the harness (whose Node.js releases the harness installs).
    pub fn is_embedded(&self) -> bool {
        self.descriptor.embedded.is_some()
    }

    /// Starts (or reaches) the target; an embedded fgref looks for Node.js releases in
    /// `node_cache` (`None`: fgref's default).
    pub async fn start(&self, node_cache: Option<PathBuf>) -> Result<RunningTarget, TargetError> {
        let d = &self.descriptor;
        let start_error = |message: String| TargetError::Start {
            name: d.name.clone(),
            message,
        };
        let token = match &d.token_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                start_error(format!(
                    "the environment variable {var} (token_env) is not set"
                ))
            })?),
            None => None,
        };
        let (url, process) = if d.embedded.is_some() {
            let config = fgref::Config {
                nodejs_bootstrap: std::env::var_os("FGREF_NODEJS_BOOTSTRAP").map(PathBuf::from),
                token: token.clone(),
                node_cache,
                idle_timeout: self.idle_timeout(),
                ..fgref::Config::default()
            };
            let server = fgref::Server::start(config)
                .await
                .map_err(|e| start_error(e.to_string()))?;
            (server.url(), Process::Embedded(Box::new(server)))
        } else if let Some(command) = &d.command {
            let (url, child) = spawn(self.path.parent().unwrap_or(Path::new(".")), command)
                .await
                .map_err(start_error)?;
            (
                url,
                Process::Child(Box::new(tokio::sync::Mutex::new(child))),
            )
        } else {
            (d.url.clone().unwrap_or_default(), Process::Remote)
        };
        let client = Client::new(&url, &d.project_id, token)?;
        Ok(RunningTarget { client, process })
    }
}

/// A target that is up for this run.
pub struct RunningTarget {
    pub client: Client,
    process: Process,
}

enum Process {
    Embedded(Box<fgref::Server>),
    // Behind a mutex so a signal handler can kill it while trials still hold the target.
    Child(Box<tokio::sync::Mutex<tokio::process::Child>>),
    Remote,
}

impl RunningTarget {
    /// Brings the target down; for a started one, waits until its processes are gone.
    pub async fn stop(self) {
        match self.process {
            Process::Embedded(server) => server.shutdown().await,
            Process::Child(child) => {
                let _ = child.into_inner().kill().await;
            }
            Process::Remote => {}
        }
    }

    /// Kills what the target started, without waiting for trials to let go of it (Ctrl-C).
    pub async fn kill_now(&self) {
        match &self.process {
            Process::Embedded(server) => server.abort().await,
            Process::Child(child) => {
                let _ = child.lock().await.kill().await;
            }
            Process::Remote => {}
        }
    }
}

async fn spawn(base: &Path, command: &[String]) -> Result<(String, tokio::process::Child), String> {
    let (program, args) = command.split_first().ok_or("`command` is empty")?;
    // A relative program path with a slash is relative to the descriptor, like a script beside it.
    let program = if program.contains('/') && Path::new(program).is_relative() {
        base.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut child = tokio::process::Command::new(&program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let announce = async {
        while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                return Ok(url.to_owned());
            }
        }
        Err("it exited without printing `listening on http://ADDR`".to_owned())
    };
    let url = tokio::time::timeout(START_TIMEOUT, announce)
        .await
        .map_err(|_| {
            format!("it did not print `listening on http://ADDR` within {START_TIMEOUT:?}")
        })??;
    // Keep reading so the target never blocks on a full stdout pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((url, child))
}
