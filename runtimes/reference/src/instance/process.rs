//! The language runtime's process: its command line and environment, its own process group, and
//! killing that group.

use std::{
    ffi::OsStr,
    net::SocketAddr,
    os::fd::OwnedFd,
    path::{Path, PathBuf},
    time::Duration,
};

use rustix::process::{Pid, Signal, kill_process_group};

use super::network::Network;
use super::spawn::{self, Process, Spec};
use crate::{
    fault::{Faults, TelemetryFault},
    node::NodeBinary,
};

/// How long a SIGKILLed process may take to be reaped before the platform stops waiting.
pub(super) const REAP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the platform waits, with no request from the extensions, for every started
/// extension to register before the language runtime starts (**fgref**; the pages say the name
/// header is used to check each booted).
pub(crate) const REGISTER_LIMIT: Duration = Duration::from_secs(5);

/// `PATH` for instances when fgref itself has none.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error("failed to set up the instance's {what}: {source}")]
    Setup {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("failed to start {}: {source}; check that it is installed and executable", node.display())]
    Exec {
        node: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "extension {} did not register, and no extension made a request for {}s (FunctionGraph-Extension-Name names the script that was started)",
        missing.join(", "), REGISTER_LIMIT.as_secs()
    )]
    ExtensionsNotRegistered { missing: Vec<String> },
    #[error(
        "the function is being deleted or fgref is shutting down; retry against a live function"
    )]
    Closed,
}

/// What starts an instance.
pub(crate) struct Launch<'a> {
    pub owner: u64,
    pub node: &'a NodeBinary,
    pub bootstrap: &'a Path,
    pub code_root: &'a Path,
    /// `memory_size`: the instance's resident memory limit, MB.
    pub memory_mb: u32,
    /// `user_data` keys, then the `RUNTIME_*` variables (without `RUNTIME_API_ADDR`).
    pub env: Vec<(String, String)>,
    /// The `extension/extension*.sh` scripts of the function's dependencies.
    pub extension_scripts: &'a [PathBuf],
    /// The function's name and version, as the register answer reports them.
    pub identity: (&'a str, &'a str),
    /// Host loopback ports an instance in a namespace of its own can still reach.
    pub host_ports: &'a [u16],
    pub fault: Faults,
}

/// Starts the language runtime of `launch`, pointed at the runtime API on `api`, writing to
/// `stdout` and `stderr`; returns the process and its pid, which is also its process group.
pub(super) fn spawn(
    launch: &Launch<'_>,
    api: SocketAddr,
    network: &Network,
    stdout: OwnedFd,
    stderr: OwnedFd,
) -> Result<(Process, u32), SpawnError> {
    // No V8 flag: memory_size is held against the process's resident memory (memory.rs), and
    // node sizes its heap itself, from the memory it sees. A flag such as
    // `--max-old-space-size` would also change V8's flag hash, so that node 12 and later
    // reject their built-in code cache and compile `http` and the rest from source at every
    // start (6 to 18 ms of CPU an instance).
    let mut env = base_env(launch);
    env.push(("RUNTIME_API_ADDR".to_owned(), api.to_string()));
    let args = vec![launch.bootstrap.as_os_str()];
    start(
        &launch.node.path,
        args,
        env,
        launch,
        network,
        (stdout, stderr),
    )
}

/// Starts `bash <script>`, an extension of `launch`, told the extension API is on `api`
/// (`EXTENSION_API_ADDR`, the extension API page).
pub(super) fn spawn_extension(
    launch: &Launch<'_>,
    script: &Path,
    api: SocketAddr,
    network: &Network,
    stdout: OwnedFd,
    stderr: OwnedFd,
) -> Result<(Process, u32), SpawnError> {
    let mut env = base_env(launch);
    if !launch.fault.has(TelemetryFault::NoExtensionApiAddr) {
        env.push(("EXTENSION_API_ADDR".to_owned(), api.to_string()));
    }
    let args = vec![script.as_os_str()];
    start(
        Path::new("bash"),
        args,
        env,
        launch,
        network,
        (stdout, stderr),
    )
}

/// Starts `program` with `args` and `env` in `launch`'s code root and `network`, writing to
/// `output` (stdout, stderr: the only copies of the pipe's write end the platform keeps, closed
/// once the process has started, so that the pipe reports end-of-file when it and its children
/// are gone).
fn start(
    program: &Path,
    args: Vec<&OsStr>,
    env: Vec<(String, String)>,
    launch: &Launch<'_>,
    network: &Network,
    (stdout, stderr): (OwnedFd, OwnedFd),
) -> Result<(Process, u32), SpawnError> {
    let spec = Spec {
        program,
        args,
        env,
        cwd: launch.code_root,
        stdout,
        stderr,
        netns: network.enter_before_exec(),
    };
    let process = spawn::spawn(spec).map_err(|source| SpawnError::Exec {
        node: program.to_path_buf(),
        source,
    })?;
    let pid = process.id();
    Ok((process, pid))
}

/// Kills the process group `pid` leads: the language runtime and whatever it started.
pub(super) fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    // ESRCH just means the group is already gone.
    let _ = kill_process_group(pid, Signal::KILL);
}

/// The environment the language runtime and the extensions share: the instance's own (its
/// function's variables and the `RUNTIME_*` ones), with a `PATH`, and nothing of fgref's.
fn base_env(launch: &Launch<'_>) -> Vec<(String, String)> {
    let mut env = vec![("PATH".to_owned(), instance_path(&launch.node.path))];
    // A later entry of the same name wins, as with Command::env.
    for (key, value) in &launch.env {
        env.retain(|(k, _)| k != key);
        env.push((key.clone(), value.clone()));
    }
    env
}

/// fgref's `PATH` with the instance's node first, so a `node` the function spawns is the same
/// release as the one running it.
fn instance_path(node: &Path) -> String {
    let inherited = std::env::var("PATH").unwrap_or_else(|_| FALLBACK_PATH.to_owned());
    match node.parent() {
        Some(bin) if !bin.as_os_str().is_empty() => format!("{}:{inherited}", bin.display()),
        _ => inherited,
    }
}
