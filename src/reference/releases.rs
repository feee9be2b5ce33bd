//! The Node.js releases a run needs, got into fgref's node cache: all at once
//! (`--install-runtimes`), or before a run for the runtimes its trials use. What happens is told
//! as events; `report::progress` renders them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use fgref::node::install::Progress;
use fgref::node::install::{InstallError, Installed, Installer};

use crate::runtime_id::RuntimeId;

/// Where the events of installing Node.js releases go.
pub type InstallEvents = Arc<dyn Fn(InstallEvent) + Send + Sync>;

/// What the embedded fgref needs beyond its descriptor, from the command line.
#[derive(Clone)]
pub struct Settings {
    /// fgref's node cache (`--node-cache`, else fgref's default); `None` when there is none.
    pub node_cache: Option<PathBuf>,
    /// Download nothing: missing releases fall back to the system node of the same major.
    pub offline: bool,
    /// A language runtime to run inside fgref instead of ours (`--nodejs-bootstrap`).
    pub nodejs_bootstrap: Option<PathBuf>,
    pub events: InstallEvents,
}

impl Settings {
    /// `--node-cache`, else fgref's own default.
    pub fn node_cache_from(flag: Option<&Path>) -> Option<PathBuf> {
        flag.map(Path::to_owned).or_else(fgref::node::default_cache)
    }
}

/// The exact Node.js release a runtime id runs on in fgref.
pub fn release_of(runtime: RuntimeId) -> Option<&'static str> {
    fgref::node::release_of(runtime.as_str())
}

/// What installing Node.js releases is doing.
#[derive(Debug, Clone)]
pub enum InstallEvent {
    /// A release is missing from the cache; downloading it starts.
    Downloading {
        runtime: RuntimeId,
        version: String,
        package: &'static str,
        registry: String,
    },
    /// How far the download of `version` is.
    Progress { version: String, progress: Progress },
    /// A started download ended with the release in the cache; `downloaded` is `None` when
    /// another process installed it meanwhile.
    Installed {
        version: String,
        downloaded: Option<u64>,
        elapsed: Duration,
        node: PathBuf,
    },
    /// A started download ended without the release; what went wrong follows.
    NotInstalled { version: String },
    /// `--install-runtimes`: where a runtime's release is, and whether this run downloaded it.
    Ready {
        runtime: RuntimeId,
        version: String,
        downloaded: bool,
        node: PathBuf,
    },
    /// Before a run: the registry cannot be reached, so installing stops and the system node
    /// stands in where its major matches.
    Unreachable { error: String },
    /// Before a run: no installer can be made; the run uses what the cache holds.
    NoInstaller { error: String },
    /// Before a run: a release could not be installed; its runtime's trials say so.
    Failed {
        runtime: RuntimeId,
        version: String,
        error: String,
    },
}

/// Before fgref starts: installs the releases of `runtimes` that the cache lacks (unless
/// offline), then finds the runtimes no node can serve, so that their trials say why instead of
/// failing one by one. An unreachable registry ends the installing: fgref then uses the system
/// node where its major matches. Answers those runtimes, with the message for their trials.
pub async fn prepare(runtimes: &[RuntimeId], settings: &Settings) -> BTreeMap<RuntimeId, String> {
    let cache = settings.node_cache.as_deref();
    let mut unavailable = match cache {
        Some(cache) if !settings.offline => install_missing(runtimes, cache, settings).await,
        _ => BTreeMap::new(),
    };
    for &runtime in runtimes {
        if unavailable.contains_key(&runtime) {
            continue;
        }
        if let Err(error) = fgref::node::resolve(runtime.as_str(), cache) {
            let hint = if settings.offline {
                format!(
                    "; without --offline (FGCONFORM_OFFLINE) the run installs it, or `cargo run --release -- --install-runtimes --runtime {runtime}`"
                )
            } else {
                format!(
                    "; `cargo run --release -- --install-runtimes --runtime {runtime}` installs it"
                )
            };
            unavailable.insert(runtime, format!("{error}{hint}"));
        }
    }
    unavailable
}

async fn install_missing(
    runtimes: &[RuntimeId],
    cache: &Path,
    settings: &Settings,
) -> BTreeMap<RuntimeId, String> {
    let mut failed = BTreeMap::new();
    let missing: Vec<_> = runtimes
        .iter()
        .filter_map(|&runtime| Some((runtime, release_of(runtime)?)))
        .filter(|(_, version)| fgref::node::install::installed(cache, version).is_none())
        .collect();
    if missing.is_empty() {
        return failed;
    }
    let events = &settings.events;
    let installer = match Installer::new(cache, fgref::node::install::registry_from_env()) {
        Ok(installer) => installer,
        Err(error) => {
            events(InstallEvent::NoInstaller {
                error: error.to_string(),
            });
            return failed;
        }
    };
    for (runtime, version) in missing {
        match install_one(&installer, runtime, version, settings).await {
            Ok(_) => {}
            Err(error) if error.is_unreachable() => {
                events(InstallEvent::Unreachable {
                    error: error.to_string(),
                });
                break;
            }
            Err(error) => {
                events(InstallEvent::Failed {
                    runtime,
                    version: version.to_owned(),
                    error: error.to_string(),
                });
                failed.insert(
                    runtime,
                    format!("Node.js {version}, which {runtime} runs on, could not be installed: {error}"),
                );
            }
        }
    }
    failed
}

/// `--install-runtimes`: installs every release of `runtimes` into `settings`' cache, telling
/// where each one is; the error names every release that could not be installed.
pub async fn install_all(runtimes: &[RuntimeId], settings: &Settings) -> Result<(), String> {
    if settings.offline {
        return Err(
            "--install-runtimes downloads, and --offline (FGCONFORM_OFFLINE) forbids it".into(),
        );
    }
    let cache = settings.node_cache.as_deref().ok_or(
        "there is no node cache: set --node-cache or FGREF_NODE_CACHE (HOME is not set either)",
    )?;
    let installer = Installer::new(cache, fgref::node::install::registry_from_env())
        .map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    for &runtime in runtimes {
        let Some(version) = release_of(runtime) else {
            continue;
        };
        match install_one(&installer, runtime, version, settings).await {
            Ok(installed) => (settings.events)(InstallEvent::Ready {
                runtime,
                version: version.to_owned(),
                downloaded: installed.downloaded.is_some(),
                node: installed.node,
            }),
            Err(error) => {
                failures.push(format!("{runtime} (Node.js {version}): {error}"));
                if error.is_unreachable() {
                    break;
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\nerror: "))
    }
}

async fn install_one(
    installer: &Installer,
    runtime: RuntimeId,
    version: &str,
    settings: &Settings,
) -> Result<Installed, InstallError> {
    if let Some(node) = fgref::node::install::installed(installer.cache(), version) {
        return Ok(Installed {
            version: version.to_owned(),
            node,
            downloaded: None,
        });
    }
    let events = &settings.events;
    events(InstallEvent::Downloading {
        runtime,
        version: version.to_owned(),
        package: fgref::node::install::PACKAGE,
        registry: installer.registry().to_owned(),
    });
    let started = Instant::now();
    let result = installer
        .install(version, &mut |progress| {
            events(InstallEvent::Progress {
                version: version.to_owned(),
                progress,
            })
        })
        .await;
    events(match &result {
        Ok(installed) => InstallEvent::Installed {
            version: version.to_owned(),
            downloaded: installed.downloaded,
            elapsed: started.elapsed(),
            node: installed.node.clone(),
        },
        Err(_) => InstallEvent::NotInstalled {
            version: version.to_owned(),
        },
    });
    result
}
