//! The language runtime's process: its command line and environment, its own process group, and
//! killing that group.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::process::{Child, Command};

use super::{
    network::{self, Network},
    privileges,
};
use crate::{fault::TelemetryFault, node::NodeBinary};

/// How long a SIGKILLed process may take to be reaped before the platform stops waiting.
pub(super) const REAP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the platform waits for every started extension to register before the language
/// runtime starts (**fgref**; the pages say the name header is used to check each booted).
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
        "extension {} did not register within {}s of its start (FunctionGraph-Extension-Name names the script that was started)",
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
    pub fault: Option<TelemetryFault>,
}

/// Starts the language runtime of `launch`, pointed at the runtime API on `api`, writing to
/// `stdout` and `stderr`; returns the child and its pid, which is also its process group.
pub(super) fn spawn(
    launch: &Launch<'_>,
    api: SocketAddr,
    network: &Network,
    stdout: Stdio,
    stderr: Stdio,
) -> Result<(Child, u32), SpawnError> {
    let mut command = base_command(&launch.node.path, launch, network);
    command
        // Without it V8 sizes its heap from the machine, not from memory_size: a JS-heap
        // allocation would then end as whatever V8 does at its own limit, possibly far past
        // memory_size. With it the heap stops growing at memory_size, so the RSS limit (or V8's
        // heap-OOM abort, which is reported as the same memory failure) is reached first.
        .arg(format!("--max-old-space-size={}", launch.memory_mb))
        .arg(launch.bootstrap)
        .env("RUNTIME_API_ADDR", api.to_string());
    start(command, stdout, stderr, &launch.node.path)
}

/// Starts `bash <script>`, an extension of `launch`, told the extension API is on `api`
/// (`EXTENSION_API_ADDR`, the extension API page).
pub(super) fn spawn_extension(
    launch: &Launch<'_>,
    script: &Path,
    api: SocketAddr,
    network: &Network,
    stdout: Stdio,
    stderr: Stdio,
) -> Result<(Child, u32), SpawnError> {
    let mut command = base_command(Path::new("bash"), launch, network);
    command
        .arg(script)
        .env("EXTENSION_API_ADDR", api.to_string());
    if launch.fault == Some(crate::fault::TelemetryFault::NoExtensionApiAddr) {
        command.env_remove("EXTENSION_API_ADDR");
    }
    start(command, stdout, stderr, Path::new("bash"))
}

fn start(
    mut command: Command,
    stdout: Stdio,
    stderr: Stdio,
    program: &Path,
) -> Result<(Child, u32), SpawnError> {
    command.stdout(stdout).stderr(stderr);
    let spawned = command.spawn();
    // The command holds our copies of the pipe's write end; only once they are closed does
    // the pipe report end-of-file when the instance dies.
    drop(command);
    let child = spawned.map_err(|source| SpawnError::Exec {
        node: program.to_path_buf(),
        source,
    })?;
    let Some(pid) = child.id() else {
        return Err(SpawnError::Setup {
            what: "process",
            source: std::io::Error::other("the process exited before it could be tracked"),
        });
    };
    Ok((child, pid))
}

/// Kills the process group `pid` leads: the language runtime and whatever it started.
pub(super) fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    // ESRCH just means the group is already gone.
    let _ = kill_process_group(pid, Signal::KILL);
}

/// What the language runtime and the extensions share: the code root as working directory, the
/// instance's environment, its network, and a process group of their own.
fn base_command(program: &Path, launch: &Launch<'_>, network: &Network) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(launch.code_root)
        .env_clear()
        .env("PATH", instance_path(&launch.node.path))
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        // Its own group, so killing the group also kills whatever the process started.
        .process_group(0)
        .kill_on_drop(true);
    let platform = rustix::process::getpid();
    let ns = network.enter_before_exec();
    // SAFETY: between fork and exec this makes only the prctl, getppid, rlimit, signal, setns and
    // capset syscalls; the namespace's descriptor is open in the parent (held by `network`) across
    // the spawn.
    unsafe {
        command.pre_exec(move || {
            // Killed with the platform even when the platform itself is SIGKILLed and cannot
            // kill its groups; a parent already gone by now is a platform that died meanwhile.
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
            if rustix::process::getppid() != Some(platform) {
                return Err(std::io::Error::other(
                    "the platform exited during the spawn",
                ));
            }
            super::limits::apply()?;
            if let Some(ns) = ns {
                network::enter(ns)?;
            }
            // Last: entering the namespace needs CAP_SYS_ADMIN.
            privileges::drop_privileges()
        });
    }
    command
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
