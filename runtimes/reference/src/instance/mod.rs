//! Instances: one language-runtime process each (after the function's extensions, which must
//! register first), with its own runtime and extension API, network, output capture and
//! telemetry outbox, waited on for its answer, its exit, its deadline and its memory limit.

mod cpu_wait;
mod extension_api;
mod extensions;
mod limits;
mod logs;
mod memory;
mod network;
mod outbound;
mod outbox;
pub(crate) mod privileges;
mod process;
mod quota;
mod runtime_api;
mod spawn;
mod table;

use std::{
    net::{Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use axum::body::Bytes;
use tokio::{
    sync::{mpsc, watch},
    task::AbortHandle,
    time::timeout,
};

pub(crate) use outbox::Outbox;
pub(crate) use process::{Launch, SpawnError};
pub(crate) use quota::{Full, Quota, Slot};
pub(crate) use runtime_api::{Answer, MAX_RESULT_BYTES};
pub(crate) use table::InstanceTable;

use self::{
    cpu_wait::{CpuWait, OwnDeadline},
    extension_api::ExtensionApi,
    extensions::ExtensionProcesses,
    logs::LogCapture,
    memory::MemoryWatch,
    network::Network,
    process::{REAP_TIMEOUT, REGISTER_LIMIT, kill_group},
    runtime_api::{Invocation, RuntimeEvent},
};
use crate::fault::{Faults, TelemetryFault};

/// How long the platform waits for an extension to take an invoke event (**fgref**: the page
/// does not say whether the platform waits at all).
const ANNOUNCE_LIMIT: Duration = Duration::from_secs(1);

/// How long after its spawn a language runtime may take to make its first runtime-API request
/// before its initialisation clock starts anyway (**fgref**: node starts in tens of
/// milliseconds, a second or two on a machine loaded many times over). It bounds a runtime that
/// never comes up; a runtime that comes up in time gets its whole limit from its first request.
/// Well inside the harness's own cold-start allowance over the function's limits (10 s on this
/// machine), so that such a runtime costs a failed call, not a trial cut off.
pub(crate) const UP_LIMIT: Duration = Duration::from_secs(5);

/// One instance process. Dropping it kills the process group; [`Instance::stop`] also waits.
pub(crate) struct Instance {
    pid: u32,
    memory: MemoryWatch,
    /// What the machine's load has taken from the process, left out of its limits.
    cpu_wait: CpuWait,
    pub node_version: String,
    /// `podName` in telemetry reports.
    pub pod_name: String,
    pub initialised: bool,
    pub spawned_at: Instant,
    /// When the language runtime was started, after the extensions registered.
    pub runtime_started: SystemTime,
    pub idle_since: Instant,
    network: Network,
    outbox: Arc<Outbox>,
    extension_api: Arc<ExtensionApi>,
    fault: Faults,
    /// Declared after the language runtime's fields, so dropping an instance kills the
    /// extensions too.
    extensions: ExtensionProcesses,
    invocations: mpsc::Sender<Invocation>,
    events: mpsc::UnboundedReceiver<RuntimeEvent>,
    exited: watch::Receiver<bool>,
    logs: Arc<LogCapture>,
    tasks: Vec<AbortHandle>,
    /// Its place in the function's and the platform's instance limits, given back when the
    /// instance is dropped.
    pub slot: Option<Slot>,
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
        /// The runtime made a request to the runtime API before the deadline.
        up: bool,
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
        let network = network_for(&launch)
            .await
            .map_err(setup("network namespace"))?;
        let outbox = Arc::new(Outbox::new(network.clone(), launch.fault));
        let scripts = launch
            .extension_scripts
            .iter()
            .filter_map(|s| s.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let identity = (launch.identity.0.to_owned(), launch.identity.1.to_owned());
        let extension_api = ExtensionApi::new(scripts, identity, launch.fault, Arc::clone(&outbox));
        let (logs, output) = LogCapture::new().map_err(setup("output pipe"))?;
        let listener = network
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(setup("runtime API listener"))?;
        let api = runtime_api::start(
            Arc::clone(&logs),
            listener,
            extension_api::router(Arc::clone(&extension_api)),
        )
        .map_err(setup("runtime API listener"))?;
        let aborting = |error| {
            api.task.abort();
            error
        };
        let extensions = ExtensionProcesses::start(table, &launch, api.addr, &network, &outbox)
            .map_err(aborting)?;
        let stdout = output.try_clone().map_err(setup("output pipe"))?;
        let start_runtime = |stdout, output| {
            let started = SystemTime::now();
            process::spawn(&launch, api.addr, &network, stdout, output)
                .map(|spawned| (started, spawned))
                .map_err(aborting)
        };
        // The runtime starts once the extensions registered (a broken platform, a self-test
        // fault, starts it first); until it starts, `runtime` holds its output pipes.
        let runtime = if launch.fault.has(TelemetryFault::RuntimeBeforeExtensions) {
            Ok(start_runtime(stdout, output)?)
        } else {
            Err((stdout, output))
        };
        if !launch.extension_scripts.is_empty()
            && !extension_api
                .all_registered(REGISTER_LIMIT, || extensions.cpu_waited())
                .await
        {
            drop(extensions);
            if let Ok((_, (_, pid))) = &runtime {
                kill_group(*pid);
            }
            return Err(aborting(SpawnError::ExtensionsNotRegistered {
                missing: extension_api.missing(),
            }));
        }
        let (runtime_started, (mut child, pid)) = match runtime {
            Ok(started) => started,
            Err((stdout, output)) => start_runtime(stdout, output)?,
        };
        api.shared.set_pid(pid);
        let (exited_tx, exited_rx) = watch::channel(false);
        let Some(table_id) = table.register(pid, launch.owner, exited_rx.clone()) else {
            kill_group(pid);
            let _ = timeout(REAP_TIMEOUT, child.wait()).await;
            return Err(aborting(SpawnError::Closed));
        };
        let reaper_table = Arc::clone(table);
        tokio::spawn(async move {
            let _ = child.wait().await;
            // Helpers the runtime started must not outlive it.
            kill_group(pid);
            let _ = exited_tx.send(true);
            reaper_table.forget(table_id);
        });
        let reader = logs.spawn_reader();
        let now = Instant::now();
        Ok(Self {
            pid,
            memory: MemoryWatch::new(pid, launch.memory_mb),
            cpu_wait: CpuWait::new(pid),
            node_version: launch.node.version.clone(),
            pod_name: format!("fgref-{}-{pid}", launch.owner),
            initialised: false,
            spawned_at: now,
            runtime_started,
            idle_since: now,
            network,
            outbox,
            extension_api,
            fault: launch.fault,
            extensions,
            invocations: api.invocations,
            events: api.events,
            exited: exited_rx,
            logs,
            tasks: vec![api.task.abort_handle(), reader.abort_handle()],
            slot: None,
        })
    }

    /// The instance's telemetry outbox.
    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Delivers every pending event to the telemetry subscriber, with the `[Extension]` lines
    /// the extensions wrote up to now.
    pub(crate) async fn deliver_telemetry(&self) {
        self.outbox.emit(self.extensions.take_events());
        self.outbox.flush().await;
    }

    /// The node process's peak resident memory so far, KB.
    pub(crate) fn peak_kb(&self) -> Option<u64> {
        self.memory.peak_now()
    }

    /// Tells every registered extension of the call `trace_id` (`POST /extension/invoke`,
    /// extension API page) and waits for their answers, each at most [`ANNOUNCE_LIMIT`].
    pub(crate) async fn announce(&self, trace_id: &str, function_urn: &str) {
        if self.fault.has(TelemetryFault::InvokeEventsNeverSent) {
            return;
        }
        let body = serde_json::json!({"traceId": trace_id, "invokedFunctionUrn": function_urn});
        let body = Bytes::from(body.to_string());
        let mut calls = tokio::task::JoinSet::new();
        let mut addresses: Vec<SocketAddr> = self
            .extension_api
            .extensions()
            .iter()
            .map(|extension| extension.addr)
            .collect();
        if self.fault.has(TelemetryFault::InvokeEventsEveryPort) {
            addresses = extension_api::PORTS
                .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                .collect();
        }
        for addr in addresses {
            let network = self.network.clone();
            let body = body.clone();
            calls.spawn(async move {
                let _ =
                    outbound::post_json(&network, addr, "/extension/invoke", body, ANNOUNCE_LIMIT)
                        .await;
            });
        }
        while calls.join_next().await.is_some() {}
    }

    pub(crate) fn has_exited(&self) -> bool {
        *self.exited.borrow()
    }

    /// Waits until the runtime asks for its first event (initialised), reports an
    /// initialisation error, exits, or `limit` passes. The limit counts from the runtime's first
    /// request to the runtime API (or from [`UP_LIMIT`] after the spawn, if it has made none by
    /// then), leaving out the time the machine kept the process from a CPU: what the platform
    /// sees, never a start-up figure measured at another time.
    pub(crate) async fn initialise(&mut self, limit: Duration) -> InitOutcome {
        let mut up = false;
        let mut own = OwnDeadline::new(self.spawned_at, UP_LIMIT + limit, Duration::ZERO);
        let mut deadline = own.at(self.cpu_wait.so_far());
        let mut poll = memory::poll();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Up { at }) => {
                        up = true;
                        let waited = self.cpu_wait.so_far();
                        let from_up = OwnDeadline::new(at, limit, waited);
                        if from_up.at(waited) < own.at(waited) {
                            own = from_up;
                        }
                        deadline = own.at(waited);
                    }
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
                    Some(RuntimeEvent::Answer { .. } | RuntimeEvent::Taken { .. }) => {}
                    None => return self.init_exited(),
                },
                _ = wait_exit(&mut self.exited) => return self.init_exited(),
                _ = poll.tick() => {
                    if let Some(peak_kb) = self.memory.over_limit(None) {
                        return self.init_out_of_memory(peak_kb).await;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    deadline = own.at(self.cpu_wait.so_far());
                    if deadline > tokio::time::Instant::now() {
                        continue; // the machine kept it waiting: that time is not its own
                    }
                    let peak_kb = self.memory.peak_now();
                    self.kill_and_reap().await;
                    return InitOutcome::TimedOut { log: self.logs.cut(), peak_kb, up };
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

    /// Hands `event` to the runtime and waits for its answer, its exit, or `limit`, counted from
    /// the moment the runtime takes the event (from the hand-over until it does; its own time
    /// between calls is not the call's), leaving out the time the machine kept the process from
    /// a CPU.
    pub(crate) async fn call(
        &mut self,
        request_id: &str,
        event: Bytes,
        limit: Duration,
    ) -> CallOutcome {
        self.memory.start_call();
        let mut started = Instant::now();
        let invocation = Invocation {
            request_id: request_id.to_owned(),
            event,
        };
        // The slot is free: the previous call's event was taken before it could be answered.
        if self.invocations.try_send(invocation).is_err() {
            self.kill_and_reap().await;
            return CallOutcome::Exited {
                log: self.logs.cut(),
                duration: started.elapsed(),
            };
        }
        let mut own = OwnDeadline::new(started, limit, self.cpu_wait.so_far());
        let mut deadline = own.at(self.cpu_wait.so_far());
        let mut poll = memory::poll();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(RuntimeEvent::Taken { request_id: id, at }) if id == request_id => {
                        started = at;
                        own = OwnDeadline::new(at, limit, self.cpu_wait.so_far());
                        deadline = own.at(self.cpu_wait.so_far());
                    }
                    Some(RuntimeEvent::Answer { request_id: id, ok, answer }) if id == request_id => {
                        let duration = answer.at.saturating_duration_since(started);
                        // The peak read with the answer catches a spike every poll missed.
                        if let Some(peak_kb) = self.memory.over_limit(answer.peak_kb) {
                            self.kill_and_reap().await;
                            return CallOutcome::OutOfMemory { log: answer.log, duration, peak_kb };
                        }
                        return CallOutcome::Answered { ok, answer, duration };
                    }
                    Some(_) => {}
                    None => return self.call_exited(started.elapsed()),
                },
                _ = wait_exit(&mut self.exited) => return self.call_exited(started.elapsed()),
                _ = poll.tick() => {
                    if let Some(peak_kb) = self.memory.over_limit(None) {
                        let duration = started.elapsed();
                        self.kill_and_reap().await;
                        return CallOutcome::OutOfMemory { log: self.logs.cut(), duration, peak_kb };
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    deadline = own.at(self.cpu_wait.so_far());
                    if deadline > tokio::time::Instant::now() {
                        continue; // the machine kept it waiting: that time is not its own
                    }
                    let duration = started.elapsed();
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

    /// Kills the instance and its extensions, and waits until its process is reaped.
    pub(crate) async fn stop(mut self) {
        self.kill_and_reap().await;
        self.extensions.kill();
    }
}

/// A network namespace of its own for an instance with extensions, so their documented fixed
/// ports cannot collide with another instance's; the host's where the machine allows none
/// (PROTOCOL.md §7 says what is lost then).
async fn network_for(launch: &Launch<'_>) -> std::io::Result<Network> {
    if launch.extension_scripts.is_empty() {
        return Ok(Network::Host);
    }
    match Network::namespace(launch.host_ports).await {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(Network::Host),
        other => other,
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
