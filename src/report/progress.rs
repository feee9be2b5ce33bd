//! Installing Node.js releases, told to a person: progress and notes on stderr (libtest owns
//! stdout during a run), and `--install-runtimes`' table of where each release is on stdout.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::reference::{InstallEvent, Progress};

/// Renders install events as they come; shared by the tasks that install.
pub struct InstallProgress {
    terminal: bool,
    download: Mutex<Option<ProgressLine>>,
}

impl Default for InstallProgress {
    fn default() -> Self {
        InstallProgress {
            terminal: std::io::stderr().is_terminal(),
            download: Mutex::new(None),
        }
    }
}

impl InstallProgress {
    pub fn show(&self, event: InstallEvent) {
        let mut download = self.download.lock().unwrap_or_else(|e| e.into_inner());
        if let InstallEvent::Progress { progress, .. } = event {
            if let Some(line) = download.as_mut() {
                line.show(progress);
            }
            return;
        }
        if let Some(mut line) = download.take() {
            line.finish();
        }
        match event {
            InstallEvent::Downloading {
                runtime,
                version,
                package,
                registry,
            } => {
                eprintln!(
                    "installing Node.js {version} for {runtime}: {package}@{version} from {registry}"
                );
                *download = Some(ProgressLine::new(version, self.terminal));
            }
            InstallEvent::Progress { .. } | InstallEvent::NotInstalled { .. } => {}
            InstallEvent::Installed {
                version,
                downloaded,
                elapsed,
                node,
            } => {
                let size = downloaded
                    .map(|bytes| format!("{}, ", megabytes(bytes)))
                    .unwrap_or_default();
                eprintln!(
                    "installed Node.js {version} ({size}{:.1} s): {}",
                    elapsed.as_secs_f64(),
                    node.display()
                );
            }
            InstallEvent::Ready {
                runtime,
                version,
                downloaded,
                node,
            } => {
                let how = if downloaded {
                    "installed"
                } else {
                    "already installed"
                };
                println!(
                    "{:<13} {version:<8} {how:<17} {}",
                    runtime.as_str(),
                    node.display()
                );
            }
            InstallEvent::Unreachable { error } => eprintln!(
                "note: {error}\nnote: continuing without installing; runtimes whose exact release is missing run on the system node where its major matches"
            ),
            InstallEvent::NoInstaller { error } => {
                eprintln!("note: cannot install Node.js releases ({error}); using what is there")
            }
            InstallEvent::Failed {
                runtime,
                version,
                error,
            } => eprintln!("error: installing Node.js {version} for {runtime} failed: {error}"),
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The progress of one download: a line every 10 % when stderr is a file or pipe (CI logs), one
/// line redrawn in place when it is a terminal.
struct ProgressLine {
    version: String,
    terminal: bool,
    /// The last tenth printed (pipe).
    printed_tenth: u64,
    /// The last redraw (terminal).
    drawn_at: Option<Instant>,
    line_open: bool,
}

const REDRAW_EVERY: Duration = Duration::from_millis(100);

impl ProgressLine {
    fn new(version: String, terminal: bool) -> Self {
        Self {
            version,
            terminal,
            printed_tenth: 0,
            drawn_at: None,
            line_open: false,
        }
    }

    fn show(&mut self, progress: Progress) {
        match progress {
            Progress::WaitingForLock => {
                self.finish();
                eprintln!(
                    "  Node.js {}: another process is installing it; waiting",
                    self.version
                );
            }
            Progress::Unpacking => {
                self.finish();
                eprintln!("  Node.js {}: integrity verified; unpacking", self.version);
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
                        eprint!("\r  Node.js {}: {text}\x1b[K", self.version);
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
                        eprintln!("  Node.js {}: {text}", self.version);
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
