//! fgref: a local FunctionGraph that runs Node.js functions, the reference target of fgconform.
//!
//! It serves the platform API of `PROTOCOL.md` (CreateFunction, GetFunctionConfig,
//! DeleteFunction, synchronous and asynchronous InvokeFunction, and dependency versions) on
//! 127.0.0.1, runs each function instance as a process of its own that speaks FunctionGraph's
//! custom runtime API, and owns what a platform owns: timeouts, the execution summary, memory
//! measurement and log capture.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fgref::Error> {
//! let server = fgref::Server::start(fgref::Config::default()).await?;
//! println!("listening on {}", server.url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Surprising behaviour worth knowing:
//! - Functions, their asynchronous calls' records and dependency versions live in memory only; a
//!   restart forgets them.
//! - A runtime id needs its exact Node release in the node cache
//!   (`<cache>/<version>/bin/node`); otherwise the system `node` serves it only if its major
//!   version matches, and invoking fails with `FSS.0500` when neither is there. fgref itself
//!   never downloads; [`node::install`] puts releases into the cache (fgconform calls it before
//!   a run).
//! - `memory_size` is enforced on the node process's own resident memory (its peak, read every
//!   10 ms and with each answer); processes a function starts are not counted.
//! - Dropping a [`Server`] kills its instances but cannot wait for them; call
//!   [`Server::shutdown`] to be sure they are gone.
//! - [`Server::start`] makes the whole process non-dumpable (no core dumps; its
//!   `/proc/PID/environ`, `mem` and `fd/` are refused to same-user processes without
//!   `CAP_SYS_PTRACE`), so functions cannot read secrets from it, also when a harness embeds
//!   fgref; instances run without capabilities. It refuses a non-loopback `listen` address
//!   without a token or an access key unless `unauthenticated_network_listen` is set.
//!
//! Where things are: `api` (routes, validation) answers the platform API behind `auth`, in the
//! shapes of `messages`, with the errors of `error`; `registry` keeps the functions (and
//! `async_calls` the records of their asynchronous calls), `dependencies` the dependency
//! versions, `code_root` lays a function's dependencies and code into one directory through
//! `unpack`; `invoke` runs one call on an `instance` (a language-runtime process with its
//! runtime API, memory watch and output capture) and frames its `call_log`; [`node`] knows the
//! runtime ids, their releases, where those live and how to install them; [`http`] makes the
//! HTTP clients.

mod api;
mod async_calls;
mod auth;
mod call_log;
mod code_root;
mod data_dir;
mod dates;
mod dependencies;
mod error;
mod fault;
pub mod http;
mod instance;
mod invoke;
mod messages;
pub mod node;
mod platform;
mod registry;
mod serve;
mod telemetry;
mod unpack;

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use api::NODE_VERSION_HEADER;
pub use auth::AccessKey;
pub use error::Error;
#[cfg(feature = "self-test-faults")]
#[doc(hidden)]
pub use fault::{TELEMETRY_FAULT_VAR, fault_names};

use crate::{dependencies::Dependencies, platform::Platform, registry::Registry};

/// How long shutdown waits for the API's open connections before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How an fgref platform is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the platform API listens; 127.0.0.1:0 picks a free port.
    pub listen: SocketAddr,
    /// A language runtime to run instead of ours (PROTOCOL.md §5).
    pub nodejs_bootstrap: Option<PathBuf>,
    /// When set (or `access_key` is), a call must carry `X-Auth-Token` with this value, or be
    /// signed with `access_key`.
    pub token: Option<String>,
    /// When set (or `token` is), a call must be signed with this key (Huawei Cloud's AK/SK
    /// scheme, `SDK-HMAC-SHA256`, as the official SDKs sign), or carry `token`.
    pub access_key: Option<AccessKey>,
    /// Where packages and our runtime are unpacked; `None`: a fresh temporary directory,
    /// removed at shutdown.
    pub data_dir: Option<PathBuf>,
    /// Where exact Node releases live (`<cache>/<version>/bin/node`); `None`:
    /// `$FGREF_NODE_CACHE`, else `~/.cache/fgref/node`.
    pub node_cache: Option<PathBuf>,
    /// How long an instance stays warm without calls; OTC documents one minute.
    pub idle_timeout: Duration,
    /// Loopback ports of this machine that instances in a network namespace of their own (those
    /// with extensions) can still reach at the same address (`fgref --host-port`): a telemetry
    /// collector, for instance.
    pub host_ports: Vec<u16>,
    /// Listen on a non-loopback `listen` address although neither `token` nor `access_key` is
    /// set (`fgref --unauthenticated-network-listen`): anyone who reaches the address can then
    /// run code on this machine. Without it, [`Server::start`] refuses such an address.
    pub unauthenticated_network_listen: bool,
    /// The most instances the platform runs at once, over all functions (`fgref
    /// --max-instances`); `None`: unlimited. Past it an idle instance of another function is
    /// stopped to make room, and with none idle the call gets 429 `FSS.0429`.
    pub max_instances: Option<usize>,
    /// How long a client may take to send a request's headers before its connection is closed.
    pub header_read_timeout: Duration,
    /// The most client connections the platform API serves at once (`fgref --max-connections`);
    /// more wait to be accepted.
    pub max_connections: usize,
}

/// The platform-wide instance cap by default: OTC's "Number of concurrent executions per
/// account" (100).
pub const DEFAULT_MAX_INSTANCES: usize = 100;

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            nodejs_bootstrap: None,
            token: None,
            access_key: None,
            data_dir: None,
            node_cache: None,
            idle_timeout: Duration::from_secs(60),
            host_ports: Vec::new(),
            unauthenticated_network_listen: false,
            max_instances: Some(DEFAULT_MAX_INSTANCES),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// A running fgref.
pub struct Server {
    addr: SocketAddr,
    platform: Arc<Platform>,
    stop_serving: Option<oneshot::Sender<()>>,
    serve: Option<JoinHandle<()>>,
    reaper: Option<JoinHandle<()>>,
    /// Dropped last: instances run inside it.
    temp_dir: Option<data_dir::RunDir>,
}

impl Server {
    /// Prepares the data directory, binds, and serves the platform API in a task of its own.
    pub async fn start(config: Config) -> Result<Server, Error> {
        check_listen(&config)?;
        instance::privileges::shield_platform().map_err(Error::Shield)?;
        let data_dir_error = |path: &PathBuf| {
            let path = path.clone();
            move |cause| Error::DataDir { path, cause }
        };
        let (temp_dir, data_dir) = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(data_dir_error(dir))?;
                let dir = std::fs::canonicalize(dir).map_err(data_dir_error(dir))?;
                // A fresh directory of this run's own, created exclusively: nothing an earlier
                // run (or its functions' code) left in the data directory is merged or followed.
                let run = data_dir::fresh(&dir).map_err(data_dir_error(&dir))?;
                let run_dir = run.dir.path().to_path_buf();
                (Some(run), run_dir)
            }
            None => {
                let temp = data_dir::temporary().map_err(data_dir_error(&std::env::temp_dir()))?;
                let dir = temp.dir.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let bootstrap = match &config.nodejs_bootstrap {
            Some(path) => {
                let bootstrap_error = |cause| Error::Bootstrap {
                    path: path.clone(),
                    cause,
                };
                // Instances run in their code directory, so a relative path would not resolve.
                let absolute = std::fs::canonicalize(path).map_err(bootstrap_error)?;
                if !absolute.is_file() {
                    return Err(bootstrap_error(std::io::Error::other("not a file")));
                }
                absolute
            }
            None => {
                let dir = data_dir.join("nodejs");
                node::bootstrap::write_into(&dir).map_err(data_dir_error(&dir))?
            }
        };
        let functions_dir = data_dir.join("functions");
        std::fs::create_dir_all(&functions_dir).map_err(data_dir_error(&functions_dir))?;
        let dependencies_dir = data_dir.join("dependencies");
        std::fs::create_dir_all(&dependencies_dir).map_err(data_dir_error(&dependencies_dir))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|cause| Error::Bind {
                addr: config.listen,
                cause,
            })?;
        let addr = listener.local_addr().map_err(|cause| Error::Bind {
            addr: config.listen,
            cause,
        })?;
        #[cfg(feature = "self-test-faults")]
        let faults = fault::Faults::from_env().map_err(Error::Faults)?;
        #[cfg(not(feature = "self-test-faults"))]
        let faults = fault::Faults::default();
        let platform = Arc::new(Platform {
            gate: auth::Gate {
                token: config.token,
                key: config.access_key,
            },
            bootstrap,
            node_cache: config.node_cache.or_else(node::default_cache),
            functions_dir,
            idle_timeout: config.idle_timeout,
            host_ports: config.host_ports,
            faults,
            registry: Registry::default(),
            dependencies: Dependencies::new(dependencies_dir),
            instances: Arc::default(),
            instance_quota: instance::Quota::new(config.max_instances),
        });
        let app = api::router(Arc::clone(&platform));
        let bounds = serve::Bounds {
            header_read_timeout: config.header_read_timeout,
            max_connections: config.max_connections,
        };
        let (stop_serving, stopped) = oneshot::channel::<()>();
        let serve = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            serve::serve(listener, app, bounds, stopped).await;
        });
        let reaper = tokio::spawn(recycle_idle(Arc::clone(&platform)));
        Ok(Server {
            addr,
            platform,
            stop_serving: Some(stop_serving),
            serve: Some(serve),
            reaper: Some(reaper),
            temp_dir,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills every instance process (and its process group), waits for them, and removes the
    /// data directory fgref created, while the server may still be shared: for a signal handler
    /// that must leave nothing behind before the process exits (which skips destructors).
    pub async fn abort(&self) {
        self.platform.instances.stop_everything().await;
        if let Some(temp_dir) = &self.temp_dir {
            let dir = temp_dir.dir.path().to_owned();
            let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(dir)).await;
        }
    }

    /// Stops serving, kills every instance process (and its process group) and waits for them.
    pub async fn shutdown(mut self) {
        // Kill first: the calls in flight then end at once instead of holding graceful
        // shutdown until their timeouts.
        self.platform.instances.stop_everything().await;
        if let Some(reaper) = self.reaper.take() {
            reaper.abort();
        }
        if let Some(stop) = self.stop_serving.take() {
            let _ = stop.send(());
        }
        if let Some(serve) = self.serve.take() {
            let abort = serve.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, serve).await.is_err() {
                abort.abort();
            }
        }
        for function in self.platform.registry.all() {
            for instance in function.close() {
                instance.stop().await;
            }
            if self.temp_dir.is_none() {
                let dir = function.dir.clone();
                let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(dir)).await;
            }
        }
        if self.temp_dir.is_none() {
            // Forgotten like the functions: their zips would only cost disk space.
            let dir = self.platform.dependencies.dir().to_owned();
            let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(dir)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Nothing can be awaited here: kill now; the reaper tasks collect the processes if the
        // runtime lives on, and kill_on_drop covers the case where it does not.
        self.platform.instances.kill_everything_now();
        if let Some(reaper) = self.reaper.take() {
            reaper.abort();
        }
        if let Some(serve) = self.serve.take() {
            serve.abort();
        }
    }
}

/// A non-loopback address needs authentication, or the caller's explicit word that it may go
/// without.
fn check_listen(config: &Config) -> Result<(), Error> {
    let open = config.token.is_none() && config.access_key.is_none();
    if open
        && !config.listen.ip().to_canonical().is_loopback()
        && !config.unauthenticated_network_listen
    {
        return Err(Error::UnauthenticatedListen {
            addr: config.listen,
        });
    }
    Ok(())
}

/// Stops instances idle for longer than the configured idle time.
async fn recycle_idle(platform: Arc<Platform>) {
    let period =
        (platform.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        for function in platform.registry.all() {
            for instance in function.take_expired(platform.idle_timeout) {
                instance.stop().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_go_without_authentication() {
        let config = |listen: &str| Config {
            listen: listen.parse().unwrap(),
            ..Config::default()
        };
        for loopback in [
            "127.0.0.1:0",
            "127.3.2.1:8000",
            "[::1]:0",
            "[::ffff:127.0.0.1]:0",
        ] {
            assert!(check_listen(&config(loopback)).is_ok(), "{loopback}");
        }
        for open in [
            "0.0.0.0:0",
            "192.168.1.5:8000",
            "[::]:0",
            "[::ffff:10.0.0.1]:0",
        ] {
            let refused = check_listen(&config(open)).unwrap_err().to_string();
            assert!(
                refused.contains("--unauthenticated-network-listen")
                    && refused.contains("FGREF_TOKEN"),
                "{refused}"
            );
            let with_token = Config {
                token: Some("t".to_owned()),
                ..config(open)
            };
            assert!(check_listen(&with_token).is_ok(), "{open} with a token");
            let with_key = Config {
                access_key: Some(AccessKey {
                    id: "AK".to_owned(),
                    secret: "SK".to_owned(),
                }),
                ..config(open)
            };
            assert!(check_listen(&with_key).is_ok(), "{open} with a key");
            let said_so = Config {
                unauthenticated_network_listen: true,
                ..config(open)
            };
            assert!(check_listen(&said_so).is_ok(), "{open} with the flag");
        }
    }
}
