//! Instances: one language-runtime process each, with its own runtime API and output capture,
//! waited on for its answer, its exit, its deadline and its memory limit.

mod logs;
mod memory;
mod process;
mod runtime_api;
mod table;

use std::{
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::body::Bytes;
use tokio::{
    sync::{mpsc, watch},
    task::AbortHandle,
    time::timeout,
};

pub(crate) use process::{Launch, SpawnError};
pub(crate) use runtime_api::{Answer, MAX_RESULT_BYTES};
pub(crate) use table::InstanceTable;

use self::{
    logs::LogCapture,
    memory::MemoryWatch,
    process::{REAP_TIMEOUT, kill_group},
    runtime_api::{Invocation, RuntimeEvent},
};

/// One instance process. Dropping it kills the process group; [`Instance::stop`] also waits.
pub(crate) struct Instance {
    pid: u32,
    memory: MemoryWatch,
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
        let stdout = Stdio::from(output.try_clone().map_err(setup("output pipe"))?);
        let (mut child, pid) = match process::spawn(&launch, api.addr, stdout, Stdio::from(output))
        {
            Ok(spawned) => spawned,
            Err(error) => {
                api.task.abort();
                return Err(error);
            }
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
            memory: MemoryWatch::new(pid, launch.memory_mb),
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
        let mut poll = memory::poll();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Ready) => {
                        // A spike since the last poll would be forgotten once the first call
                        // resets the peak.
                        if let Some(peak_kb) = self.memory.over_limit(None) {
                            return self.init_out_of_memory(peak_kb).await;
                        }
                        self.initialised = true;
                        return InitOutcome::Ready;
                    }
                    Some(RuntimeEvent::InitError(answer)) => {
                        if let Some(peak_kb) = self.memory.over_limit(answer.peak_kb) {
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
                    if let Some(peak_kb) = self.memory.over_limit(None) {
                        return self.init_out_of_memory(peak_kb).await;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let peak_kb = self.memory.peak_now();
                    self.kill_and_reap().await;
                    return InitOutcome::TimedOut { log: self.logs.cut(), peak_kb };
                }
            }
        }
    }

    fn init_exited(&mut self) -> InitOutcome {
        let log = self.logs.cut();
        if let Some(peak_kb) = self.memory.death_by_memory(&log) {
            return InitOutcome::OutOfMemory { log, peak_kb };
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

    fn call_exited(&mut self, duration: Duration) -> CallOutcome {
        let log = self.logs.cut();
        if let Some(peak_kb) = self.memory.death_by_memory(&log) {
            return CallOutcome::OutOfMemory {
                log,
                duration,
                peak_kb,
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
        self.memory.start_call();
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
        let mut poll = memory::poll();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Answer { request_id: id, ok, answer }) if id == request_id => {
                        let duration = answer.at.saturating_duration_since(dispatched);
                        // The peak read with the answer catches a spike every poll missed.
                        if let Some(peak_kb) = self.memory.over_limit(answer.peak_kb) {
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
                    if let Some(peak_kb) = self.memory.over_limit(None) {
                        let duration = dispatched.elapsed();
                        self.kill_and_reap().await;
                        return CallOutcome::OutOfMemory { log: self.logs.cut(), duration, peak_kb };
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let duration = dispatched.elapsed();
                    let peak_kb = self.memory.peak_now();
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
