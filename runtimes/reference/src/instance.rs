//! Instances: one language-runtime process each, with its own runtime API, its output capture,
//! and the table of every live process so none outlives the platform.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use axum::body::Bytes;
use rustix::process::{Pid, Signal, kill_process_group};
use tokio::{
    process::Command,
    sync::{mpsc, watch},
    task::AbortHandle,
    time::timeout,
};

use crate::{
    logs::LogCapture,
    nodejs::NodeBinary,
    runtime_api::{self, Answer, Invocation, RuntimeEvent},
};

/// How long a SIGKILLed process may take to be reaped before the platform stops waiting.
const REAP_TIMEOUT: Duration = Duration::from_secs(5);

/// `PATH` for instances when fgref itself has none.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error("failed to set up the instance's {what}: {source}")]
    Setup {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("failed to start {}: {source}; check that it is an executable node binary", node.display())]
    Exec {
        node: PathBuf,
        source: std::io::Error,
    },
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
    /// `user_data` keys, then the `RUNTIME_*` variables (without `RUNTIME_API_ADDR`).
    pub env: Vec<(String, String)>,
}

/// Every live instance process, so deletion and shutdown can kill and reap them all, even the
/// ones a call currently holds.
#[derive(Default)]
pub(crate) struct InstanceTable {
    inner: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    closing: bool,
    closed_owners: HashSet<u64>,
    next_id: u64,
    live: HashMap<u64, Live>,
}

struct Live {
    pid: u32,
    owner: u64,
    exited: watch::Receiver<bool>,
}

impl InstanceTable {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, pid: u32, owner: u64, exited: watch::Receiver<bool>) -> Option<u64> {
        let mut table = self.lock();
        if table.closing || table.closed_owners.contains(&owner) {
            return None;
        }
        table.next_id += 1;
        let id = table.next_id;
        table.live.insert(id, Live { pid, owner, exited });
        Some(id)
    }

    fn forget(&self, id: u64) {
        self.lock().live.remove(&id);
    }

    /// Kills and reaps every instance of `owner`, and refuses it new ones.
    pub(crate) async fn stop_owner(&self, owner: u64) {
        let doomed: Vec<_> = {
            let mut table = self.lock();
            table.closed_owners.insert(owner);
            table
                .live
                .values()
                .filter(|l| l.owner == owner)
                .map(|l| (l.pid, l.exited.clone()))
                .collect()
        };
        stop_all(doomed).await;
    }

    /// Kills and reaps every instance, and refuses new ones.
    pub(crate) async fn stop_everything(&self) {
        let doomed: Vec<_> = {
            let mut table = self.lock();
            table.closing = true;
            table
                .live
                .values()
                .map(|l| (l.pid, l.exited.clone()))
                .collect()
        };
        stop_all(doomed).await;
    }

    /// Kills every instance without waiting: for `Drop`, where nothing can be awaited.
    pub(crate) fn kill_everything_now(&self) {
        let mut table = self.lock();
        table.closing = true;
        for live in table.live.values() {
            if !*live.exited.borrow() {
                kill_group(live.pid);
            }
        }
    }
}

async fn stop_all(doomed: Vec<(u32, watch::Receiver<bool>)>) {
    let mut waits = tokio::task::JoinSet::new();
    for (pid, mut exited) in doomed {
        if !*exited.borrow() {
            kill_group(pid);
        }
        waits.spawn(async move {
            let _ = timeout(REAP_TIMEOUT, exited.wait_for(|e| *e)).await;
        });
    }
    waits.join_all().await;
}

fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    // ESRCH just means the group is already gone.
    let _ = kill_process_group(pid, Signal::KILL);
}

/// Resets the peak RSS the kernel tracks for `pid` (VmHWM) to its current RSS.
pub(crate) fn reset_peak_rss(pid: u32) {
    // Unsupported kernels or a process that just died leave VmHWM as is; the figure is then
    // the peak since start, which still bounds the call's peak.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The peak RSS of `pid` in kB since start or the last [`reset_peak_rss`].
pub(crate) fn peak_rss_kb(pid: u32) -> Option<u64> {
    let process = procfs::process::Process::new(i32::try_from(pid).ok()?).ok()?;
    process.status().ok()?.vmhwm
}

/// One instance process. Dropping it kills the process group; [`Instance::stop`] also waits.
pub(crate) struct Instance {
    pid: u32,
    pub node_version: String,
    pub initialised: bool,
    pub spawned_at: Instant,
    pub idle_since: Instant,
    invocations: mpsc::Sender<Invocation>,
    events: mpsc::UnboundedReceiver<RuntimeEvent>,
    exited: watch::Receiver<bool>,
    logs: Arc<LogCapture>,
    tasks: Vec<AbortHandle>,
}

/// How an instance's initialisation ended.
pub(crate) enum InitOutcome {
    Ready,
    Failed(Answer),
    Exited { log: Vec<u8> },
    TimedOut { log: Vec<u8>, peak_kb: Option<u64> },
}

/// How a call on an instance ended.
pub(crate) enum CallOutcome {
    Answered {
        ok: bool,
        answer: Answer,
        duration: Duration,
    },
    Exited {
        log: Vec<u8>,
        duration: Duration,
    },
    TimedOut {
        log: Vec<u8>,
        duration: Duration,
        peak_kb: Option<u64>,
    },
}

impl Instance {
    pub(crate) async fn spawn(
        table: &Arc<InstanceTable>,
        launch: Launch<'_>,
    ) -> Result<Self, SpawnError> {
        let setup = |what| move |source| SpawnError::Setup { what, source };
        let (logs, output) = LogCapture::new().map_err(setup("output pipe"))?;
        let api = runtime_api::start(Arc::clone(&logs))
            .await
            .map_err(setup("runtime API listener"))?;
        let mut command = command_for(&launch, api.addr);
        command
            .stdout(Stdio::from(
                output.try_clone().map_err(setup("output pipe"))?,
            ))
            .stderr(Stdio::from(output));
        let spawned = command.spawn();
        // The command holds our copies of the pipe's write end; only once they are closed does
        // the pipe report end-of-file when the instance dies.
        drop(command);
        let mut child = match spawned {
            Ok(child) => child,
            Err(source) => {
                api.task.abort();
                return Err(SpawnError::Exec {
                    node: launch.node.path.clone(),
                    source,
                });
            }
        };
        let Some(pid) = child.id() else {
            api.task.abort();
            return Err(SpawnError::Setup {
                what: "process",
                source: std::io::Error::other("the process exited before it could be tracked"),
            });
        };
        api.shared.set_pid(pid);
        let (exited_tx, exited_rx) = watch::channel(false);
        let Some(table_id) = table.register(pid, launch.owner, exited_rx.clone()) else {
            kill_group(pid);
            let _ = timeout(REAP_TIMEOUT, child.wait()).await;
            api.task.abort();
            return Err(SpawnError::Closed);
        };
        let reaper_table = Arc::clone(table);
        tokio::spawn(async move {
            let _ = child.wait().await;
            // Helpers the runtime started (extensions) must not outlive it.
            kill_group(pid);
            let _ = exited_tx.send(true);
            reaper_table.forget(table_id);
        });
        let reader = logs.spawn_reader();
        let now = Instant::now();
        Ok(Self {
            pid,
            node_version: launch.node.version.clone(),
            initialised: false,
            spawned_at: now,
            idle_since: now,
            invocations: api.invocations,
            events: api.events,
            exited: exited_rx,
            logs,
            tasks: vec![api.task.abort_handle(), reader.abort_handle()],
        })
    }

    pub(crate) fn has_exited(&self) -> bool {
        *self.exited.borrow()
    }

    /// Waits until the runtime asks for its first event (initialised), reports an
    /// initialisation error, exits, or `limit` passes.
    pub(crate) async fn initialise(&mut self, limit: Duration) -> InitOutcome {
        let deadline = tokio::time::Instant::from_std(self.spawned_at) + limit;
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Ready) => {
                        self.initialised = true;
                        return InitOutcome::Ready;
                    }
                    Some(RuntimeEvent::InitError(answer)) => return InitOutcome::Failed(answer),
                    Some(RuntimeEvent::Answer { .. }) => {}
                    None => return InitOutcome::Exited { log: self.logs.cut() },
                },
                _ = wait_exit(&mut self.exited) => {
                    return InitOutcome::Exited { log: self.logs.cut() };
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let peak_kb = peak_rss_kb(self.pid);
                    self.kill_and_reap().await;
                    return InitOutcome::TimedOut { log: self.logs.cut(), peak_kb };
                }
            }
        }
    }

    /// Hands `event` to the runtime and waits for its answer, its exit, or `limit`.
    pub(crate) async fn call(
        &mut self,
        request_id: &str,
        event: Bytes,
        limit: Duration,
    ) -> CallOutcome {
        reset_peak_rss(self.pid);
        let dispatched = Instant::now();
        let invocation = Invocation {
            request_id: request_id.to_owned(),
            event,
        };
        // The slot is free: the previous call's event was taken before it could be answered.
        if self.invocations.try_send(invocation).is_err() {
            self.kill_and_reap().await;
            return CallOutcome::Exited {
                log: self.logs.cut(),
                duration: dispatched.elapsed(),
            };
        }
        let deadline = tokio::time::Instant::from_std(dispatched) + limit;
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Answer { request_id: id, ok, answer }) if id == request_id => {
                        let duration = answer.at.saturating_duration_since(dispatched);
                        return CallOutcome::Answered { ok, answer, duration };
                    }
                    Some(_) => {}
                    None => {
                        return CallOutcome::Exited {
                            log: self.logs.cut(),
                            duration: dispatched.elapsed(),
                        };
                    }
                },
                _ = wait_exit(&mut self.exited) => {
                    return CallOutcome::Exited {
                        log: self.logs.cut(),
                        duration: dispatched.elapsed(),
                    };
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let duration = dispatched.elapsed();
                    let peak_kb = peak_rss_kb(self.pid);
                    self.kill_and_reap().await;
                    return CallOutcome::TimedOut { log: self.logs.cut(), duration, peak_kb };
                }
            }
        }
    }

    async fn kill_and_reap(&mut self) {
        if !self.has_exited() {
            kill_group(self.pid);
        }
        let _ = timeout(REAP_TIMEOUT, wait_exit(&mut self.exited)).await;
    }

    /// Kills the instance and waits until its process is reaped.
    pub(crate) async fn stop(mut self) {
        self.kill_and_reap().await;
    }
}

async fn wait_exit(exited: &mut watch::Receiver<bool>) {
    // A dropped sender means the reaper task is gone (runtime shutdown): treat as exited.
    let _ = exited.wait_for(|e| *e).await;
}

impl Drop for Instance {
    fn drop(&mut self) {
        if !self.has_exited() {
            kill_group(self.pid);
        }
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn command_for(launch: &Launch<'_>, api: SocketAddr) -> Command {
    let mut command = Command::new(&launch.node.path);
    command
        .arg(launch.bootstrap)
        .current_dir(launch.code_root)
        .env_clear()
        .env("PATH", instance_path(&launch.node.path))
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .env("RUNTIME_API_ADDR", api.to_string())
        .stdin(Stdio::null())
        // Its own group, so killing the group also kills whatever the runtime started.
        .process_group(0)
        .kill_on_drop(true);
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
