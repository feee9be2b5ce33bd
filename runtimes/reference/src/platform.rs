//! The platform's shared state: what every request handler and invocation reads, set up once by
//! `Server::start`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use crate::{
    auth::Gate,
    dependencies::Dependencies,
    fault::Faults,
    instance::{InstanceTable, Quota},
    registry::Registry,
};

/// The state every request handler shares.
pub(crate) struct Platform {
    pub gate: Gate,
    pub bootstrap: PathBuf,
    pub node_cache: Option<PathBuf>,
    pub functions_dir: PathBuf,
    pub idle_timeout: Duration,
    pub host_ports: Vec<u16>,
    pub faults: Faults,
    pub registry: Registry,
    pub dependencies: Dependencies,
    pub instances: Arc<InstanceTable>,
    /// Every live instance of the platform under `Config::max_instances`.
    pub instance_quota: Arc<Quota>,
}
