//! The seam to the reference platform: everything only the embedded fgref needs (its Node.js
//! releases, the bootstrap override, starting and stopping it) is reached through here, so the
//! rest of the harness treats every target alike.

mod releases;

use std::collections::BTreeMap;
use std::time::Duration;

pub use releases::{InstallEvent, InstallEvents, Progress, Settings, install_all, release_of};

use crate::runtime_id::RuntimeId;

/// fgref, running inside the harness for this run.
pub struct Embedded {
    server: fgref::Server,
    /// Runtimes no node can serve, with the message their trials report.
    unavailable: BTreeMap<RuntimeId, String>,
}

impl Embedded {
    /// Installs the releases `runtimes` need (unless offline), then starts fgref, taking only
    /// calls with `token` or signed by `access_key` when either is given; instances in a network
    /// namespace of their own reach `host_ports` of this machine's loopback.
    pub async fn start(
        settings: &Settings,
        runtimes: &[RuntimeId],
        token: Option<String>,
        access_key: Option<fgref::AccessKey>,
        idle_timeout: Duration,
        host_ports: Vec<u16>,
    ) -> Result<Embedded, String> {
        let unavailable = releases::prepare(runtimes, settings).await;
        let config = fgref::Config {
            nodejs_bootstrap: settings.nodejs_bootstrap.clone(),
            token,
            access_key,
            node_cache: settings.node_cache.clone(),
            idle_timeout,
            host_ports,
            ..fgref::Config::default()
        };
        let server = fgref::Server::start(config)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Embedded {
            server,
            unavailable,
        })
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Why `runtime` cannot run here, when it cannot.
    pub fn unavailable(&self, runtime: RuntimeId) -> Option<&str> {
        self.unavailable.get(&runtime).map(String::as_str)
    }

    /// Stops fgref and waits until its instances are gone.
    pub async fn stop(self) {
        self.server.shutdown().await;
    }

    /// Kills fgref's instances at once, while trials may still hold it (Ctrl-C).
    pub async fn kill_now(&self) {
        self.server.abort().await;
    }
}
