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

/// How often the peak RSS of an instance is read while it initialises or runs a call. VmHWM
/// is a peak, so a spike between two reads is still seen at the next one.
const MEMORY_POLL: Duration = Duration::from_millis(10);

/// V8's own message when its heap limit (`--max-old-space-size`) is reached.
const HEAP_OOM_TEXT: &[u8] = b"JavaScript heap out of memory";

/// A process that dies with its peak RSS at or above this share of `memory_size` (per cent)
/// is taken to have died of memory: the kernel or V8 killed it before a poll saw the excess.
const NEAR_LIMIT_PERCENT: u64 = 90;

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
    /// `memory_size`: the instance's resident memory limit, MB.
    pub memory_mb: u32,
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
    memory_limit_kb: u64,
    /// The highest peak RSS read since the current call (or the start) began.
    peak_seen_kb: u64,
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
    Exited {
        log: Vec<u8>,
    },
    TimedOut {
        log: Vec<u8>,
        peak_kb: Option<u64>,
    },
    /// Past `memory_size`; the instance is killed.
    OutOfMemory {
        log: Vec<u8>,
        peak_kb: u64,
    },
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
    /// Past `memory_size`; the instance is killed.
    OutOfMemory {
        log: Vec<u8>,
        duration: Duration,
        peak_kb: u64,
    },
}

/// Whether an instance that died had run out of memory: V8 said so, or its peak RSS was near
/// the limit when last read.
pub(crate) fn died_of_memory(log: &[u8], peak_seen_kb: u64, limit_kb: u64) -> bool {
    log.windows(HEAP_OOM_TEXT.len()).any(|w| w == HEAP_OOM_TEXT)
        || peak_seen_kb * 100 >= limit_kb * NEAR_LIMIT_PERCENT
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
            memory_limit_kb: u64::from(launch.memory_mb) * 1024,
            peak_seen_kb: 0,
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
        let mut poll = memory_poll();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Ready) => {
                        // A spike since the last poll would be forgotten once the first call
                        // resets the peak.
                        if let Some(peak_kb) = self.over_memory_limit(None) {
                            return self.init_out_of_memory(peak_kb).await;
                        }
                        self.initialised = true;
                        return InitOutcome::Ready;
                    }
                    Some(RuntimeEvent::InitError(answer)) => {
                        if let Some(peak_kb) = self.over_memory_limit(answer.peak_kb) {
                            self.kill_and_reap().await;
                            return InitOutcome::OutOfMemory { log: answer.log, peak_kb };
                        }
                        return InitOutcome::Failed(answer);
                    }
                    Some(RuntimeEvent::Answer { .. }) => {}
                    None => return self.init_exited(),
                },
                _ = wait_exit(&mut self.exited) => return self.init_exited(),
                _ = poll.tick() => {
                    if let Some(peak_kb) = self.over_memory_limit(None) {
                        return self.init_out_of_memory(peak_kb).await;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let peak_kb = peak_rss_kb(self.pid);
                    self.kill_and_reap().await;
                    return InitOutcome::TimedOut { log: self.logs.cut(), peak_kb };
                }
            }
        }
    }

    fn init_exited(&mut self) -> InitOutcome {
        let log = self.logs.cut();
        if died_of_memory(&log, self.peak_seen_kb, self.memory_limit_kb) {
            return InitOutcome::OutOfMemory {
                log,
                peak_kb: self.peak_seen_kb,
            };
        }
        InitOutcome::Exited { log }
    }

    async fn init_out_of_memory(&mut self, peak_kb: u64) -> InitOutcome {
        self.kill_and_reap().await;
        InitOutcome::OutOfMemory {
            log: self.logs.cut(),
            peak_kb,
        }
    }

    /// The peak RSS when it is past the limit: `measured` if given, else read now. Remembers
    /// the highest peak seen.
    fn over_memory_limit(&mut self, measured: Option<u64>) -> Option<u64> {
        let peak_kb = measured.or_else(|| peak_rss_kb(self.pid))?;
        self.peak_seen_kb = self.peak_seen_kb.max(peak_kb);
        (peak_kb > self.memory_limit_kb).then_some(peak_kb)
    }

    fn call_exited(&mut self, duration: Duration) -> CallOutcome {
        let log = self.logs.cut();
        if died_of_memory(&log, self.peak_seen_kb, self.memory_limit_kb) {
            return CallOutcome::OutOfMemory {
                log,
                duration,
                peak_kb: self.peak_seen_kb,
            };
        }
        CallOutcome::Exited { log, duration }
    }

    /// Hands `event` to the runtime and waits for its answer, its exit, or `limit`.
    pub(crate) async fn call(
        &mut self,
        request_id: &str,
        event: Bytes,
        limit: Duration,
    ) -> CallOutcome {
        reset_peak_rss(self.pid);
        self.peak_seen_kb = 0;
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
        let mut poll = memory_poll();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Answer { request_id: id, ok, answer }) if id == request_id => {
                        let duration = answer.at.saturating_duration_since(dispatched);
                        // The peak read with the answer catches a spike every poll missed.
                        if let Some(peak_kb) = self.over_memory_limit(answer.peak_kb) {
                            self.kill_and_reap().await;
                            return CallOutcome::OutOfMemory { log: answer.log, duration, peak_kb };
                        }
                        return CallOutcome::Answered { ok, answer, duration };
                    }
                    Some(_) => {}
                    None => return self.call_exited(dispatched.elapsed()),
                },
                _ = wait_exit(&mut self.exited) => return self.call_exited(dispatched.elapsed()),
                _ = poll.tick() => {
                    if let Some(peak_kb) = self.over_memory_limit(None) {
                        let duration = dispatched.elapsed();
                        self.kill_and_reap().await;
                        return CallOutcome::OutOfMemory { log: self.logs.cut(), duration, peak_kb };
                    }
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

fn memory_poll() -> tokio::time::Interval {
    let mut poll = tokio::time::interval(MEMORY_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    poll
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
        // Without it V8 sizes its heap from the machine, not from memory_size: a JS-heap
        // allocation would then end as whatever V8 does at its own limit, possibly far past
        // memory_size. With it the heap stops growing at memory_size, so the RSS limit (or V8's
        // heap-OOM abort, which is reported as the same memory failure) is reached first.
        .arg(format!("--max-old-space-size={}", launch.memory_mb))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_is_put_down_to_memory_on_v8s_word_or_a_peak_near_the_limit() {
        let limit = 128 * 1024;
        let v8 = b"<--- JS stacktrace --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n";
        assert!(died_of_memory(v8, 50 * 1024, limit));
        assert!(died_of_memory(b"", 116 * 1024, limit));
        assert!(!died_of_memory(b"bye\n", 60 * 1024, limit));
        assert!(!died_of_memory(b"", 0, limit));
    }
}
