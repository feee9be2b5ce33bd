//! Getting the Node.js releases that fgref's runtimes need into its node cache: all at once
//! (`--install-runtimes`), or before a run for the runtimes its trials use, with progress on
//! stderr (libtest-mimic owns stdout).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fgref::node::install::{InstallError, Installed, Installer, Progress};

use crate::runtime_id::RuntimeId;

/// The exact Node.js release a runtime id runs on.
pub fn release_of(runtime: RuntimeId) -> Option<&'static str> {
    fgref::node::release_of(runtime.as_str())
}

/// `--node-cache`, else fgref's own default.
pub fn node_cache(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_owned).or_else(fgref::node::default_cache)
}

/// What installing before a run left behind.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Runtimes no node can serve (their release could not be installed, or is absent and the
    /// system node is another major), with the message their trials report.
    pub failed: BTreeMap<RuntimeId, String>,
}

/// Before fgref starts: installs the releases of `runtimes` that the cache lacks (unless
/// `offline`), then finds out which runtimes no node can serve, so that their trials say why
/// instead of failing one by one. An unreachable registry is said once and ends the installing:
/// fgref then uses the system node where its major matches. Any other failure is said and kept for
/// that runtime's trials.
pub async fn prepare(runtimes: &[RuntimeId], cache: Option<&Path>, offline: bool) -> Prepared {
    let mut prepared = match cache {
        Some(cache) if !offline => install_missing(runtimes, cache).await,
        _ => Prepared::default(),
    };
    for &runtime in runtimes {
        if prepared.failed.contains_key(&runtime) {
            continue;
        }
        if let Err(error) = fgref::node::resolve(runtime.as_str(), cache) {
            let hint = if offline {
                format!(
                    "; without --offline (FGCONFORM_OFFLINE) the run installs it, or `cargo run --release -- --install-runtimes --runtime {runtime}`"
                )
            } else {
                format!(
                    "; `cargo run --release -- --install-runtimes --runtime {runtime}` installs it"
                )
            };
            prepared.failed.insert(runtime, format!("{error}{hint}"));
        }
    }
    prepared
}

async fn install_missing(runtimes: &[RuntimeId], cache: &Path) -> Prepared {
    let mut prepared = Prepared::default();
    let missing: Vec<_> = runtimes
        .iter()
        .filter_map(|&runtime| Some((runtime, release_of(runtime)?)))
        .filter(|(_, version)| fgref::node::install::installed(cache, version).is_none())
        .collect();
    if missing.is_empty() {
        return prepared;
    }
    let installer = match Installer::new(cache, fgref::node::install::registry_from_env()) {
        Ok(installer) => installer,
        Err(error) => {
            eprintln!("note: cannot install Node.js releases ({error}); using what is there");
            return prepared;
        }
    };
    for (runtime, version) in missing {
        match install_one(&installer, runtime, version).await {
            Ok(_) => {}
            Err(error) if error.is_unreachable() => {
                eprintln!(
                    "note: {error}\nnote: continuing without installing; runtimes whose exact release is missing run on the system node where its major matches"
                );
                break;
            }
            Err(error) => {
                eprintln!("error: installing Node.js {version} for {runtime} failed: {error}");
                prepared.failed.insert(
                    runtime,
                    format!("Node.js {version}, which {runtime} runs on, could not be installed: {error}"),
                );
            }
        }
    }
    prepared
}

/// `--install-runtimes`: installs every release of `runtimes`, prints where each one is on stdout,
/// and returns whether all are there.
pub async fn install_all(runtimes: &[RuntimeId], cache: &Path) -> Result<(), String> {
    let installer = Installer::new(cache, fgref::node::install::registry_from_env())
        .map_err(|e| e.to_string())?;
    let mut failures = Vec::new();
    for &runtime in runtimes {
        let Some(version) = release_of(runtime) else {
            continue;
        };
        match install_one(&installer, runtime, version).await {
            Ok(installed) => {
                let how = if installed.downloaded.is_some() {
                    "installed"
                } else {
                    "already installed"
                };
                println!(
                    "{:<13} {version:<8} {how:<17} {}",
                    runtime.as_str(),
                    installed.node.display()
                );
            }
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
) -> Result<Installed, InstallError> {
    if let Some(node) = fgref::node::install::installed(installer.cache(), version) {
        return Ok(Installed {
            version: version.to_owned(),
            node,
            downloaded: None,
        });
    }
    eprintln!(
        "installing Node.js {version} for {runtime}: {}@{version} from {}",
        fgref::node::install::PACKAGE,
        installer.registry()
    );
    let started = Instant::now();
    let mut display = ProgressDisplay::new(version, std::io::stderr().is_terminal());
    let result = installer
        .install(version, &mut |progress| display.show(progress))
        .await;
    display.finish();
    if let Ok(installed) = &result {
        let size = installed
            .downloaded
            .map(|bytes| format!("{}, ", megabytes(bytes)))
            .unwrap_or_default();
        eprintln!(
            "installed Node.js {version} ({size}{:.1} s): {}",
            started.elapsed().as_secs_f64(),
            installed.node.display()
        );
    }
    result
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Progress of one install on stderr: a line every 10 % when stderr is a file or pipe (CI logs),
/// one line redrawn in place when it is a terminal.
struct ProgressDisplay<'a> {
    version: &'a str,
    terminal: bool,
    /// The last tenth printed (pipe) or the last redraw (terminal).
    printed_tenth: u64,
    drawn_at: Option<Instant>,
    line_open: bool,
}

const REDRAW_EVERY: Duration = Duration::from_millis(100);

impl<'a> ProgressDisplay<'a> {
    fn new(version: &'a str, terminal: bool) -> Self {
        Self {
            version,
            terminal,
            printed_tenth: 0,
            drawn_at: None,
            line_open: false,
        }
    }

    fn show(&mut self, progress: Progress) {
        let version = self.version;
        match progress {
            Progress::WaitingForLock => {
                self.finish();
                eprintln!("  Node.js {version}: another process is installing it; waiting");
            }
            Progress::Unpacking => {
                self.finish();
                eprintln!("  Node.js {version}: integrity verified; unpacking");
            }
            Progress::Downloading { done, total } => {
                let text = match total {
                    Some(total) if total > 0 => {
                        format!("{:>3} % of {}", done * 100 / total, megabytes(total))
                    }
                    _ => megabytes(done),
                };
                if self.terminal {
                    let due = self.drawn_at.is_none_or(|at| at.elapsed() >= REDRAW_EVERY);
                    if due || Some(done) == total {
                        eprint!("\r  Node.js {version}: {text}\x1b[K");
                        let _ = std::io::stderr().flush();
                        self.drawn_at = Some(Instant::now());
                        self.line_open = true;
                    }
                } else {
                    // Tenths of the total, or of every 5 MB when the size is unknown.
                    let tenth = match total {
                        Some(total) if total > 0 => done * 10 / total,
                        _ => done / 5_000_000,
                    };
                    if tenth > self.printed_tenth {
                        self.printed_tenth = tenth;
                        eprintln!("  Node.js {version}: {text}");
                    }
                }
            }
        }
    }

    fn finish(&mut self) {
        if self.line_open {
            eprintln!();
            self.line_open = false;
        }
    }
}
