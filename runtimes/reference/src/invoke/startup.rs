//! Node's own start-up, measured apart from the initializer. FunctionGraph boots an instance
//! before it runs the initializer, so `initializer_timeout` counts the initializer alone; fgref's
//! deadline runs from the spawn, so it adds what starting this release of node takes, measured
//! once per release (`node -e 0`, the fastest of three runs: what starting takes, not what a busy
//! moment adds to it), plus a small margin for scheduling. A release in the node cache keeps its
//! figure in a file beside it, so the three runs happen once per machine rather than once per
//! fgref process (the project's self-tests start hundreds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::node::NodeBinary;

/// Added to the measured start-up: the scheduling noise of a busy machine, and loading the
/// language runtime's own script.
pub(super) const MARGIN: Duration = Duration::from_millis(200);

/// The start-up assumed when it could not be measured.
const UNMEASURED: Duration = Duration::from_millis(500);

/// How long one measuring run may take before it counts as unmeasured.
const MEASURE_LIMIT: Duration = Duration::from_secs(10);

static MEASURED: Mutex<BTreeMap<String, Duration>> = Mutex::new(BTreeMap::new());

/// Measures `node`'s start-up unless its release was measured already. The first time, it also
/// reads the binary into the page cache: an instance of a release whose binary is still on disk
/// (a run's first, while a build writes back, eight releases at once) would spend seconds in
/// page faults inside its deadline, before node's own start-up even begins.
pub(super) async fn measure(node: &NodeBinary) {
    if measured(&node.version).is_some() {
        return;
    }
    let path = node.path.clone();
    let _ = tokio::task::spawn_blocking(move || read_ahead(&path)).await;
    let kept = kept_file(node);
    let fastest = match kept.as_deref().and_then(read_kept) {
        Some(took) => took,
        None => {
            let mut fastest = Duration::MAX;
            for _ in 0..3 {
                match run_once(node).await {
                    Some(took) => fastest = fastest.min(took),
                    None => return,
                }
            }
            if let Some(file) = &kept {
                keep(file, fastest);
            }
            fastest
        }
    };
    MEASURED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(node.version.clone(), fastest);
}

/// Asks the kernel to read all of `file` into the page cache (readahead(2): nothing is copied,
/// and a file already there costs one call).
fn read_ahead(file: &Path) {
    use std::os::fd::AsRawFd;
    let Ok(open) = std::fs::File::open(file) else {
        return;
    };
    let Ok(len) = open.metadata().map(|meta| meta.len()) else {
        return;
    };
    // SAFETY: a plain syscall on a descriptor this function owns.
    unsafe {
        libc::readahead(
            open.as_raw_fd(),
            0,
            usize::try_from(len).unwrap_or(usize::MAX),
        )
    };
}

/// Where a release in the node cache (`<cache>/<version>/bin/node`) keeps its start-up; `None`
/// for a node elsewhere (the system's, standing in), which is measured by every process.
fn kept_file(node: &NodeBinary) -> Option<PathBuf> {
    let release_dir = node.path.parent()?.parent()?;
    (release_dir.file_name()? == node.version.as_str())
        .then(|| release_dir.join(".fgref-startup-micros"))
}

fn read_kept(file: &Path) -> Option<Duration> {
    let text = std::fs::read_to_string(file).ok()?;
    let micros: u64 = text.trim().parse().ok()?;
    Some(Duration::from_micros(micros)).filter(|took| *took < MEASURE_LIMIT)
}

/// Writes the figure beside the release; a cache that cannot be written is measured again next
/// time. Written to a temporary file and renamed, so a concurrent reader never sees half of it.
fn keep(file: &Path, took: Duration) {
    let temporary = file.with_extension(format!("{}.tmp", std::process::id()));
    if std::fs::write(&temporary, took.as_micros().to_string()).is_ok()
        && std::fs::rename(&temporary, file).is_err()
    {
        let _ = std::fs::remove_file(&temporary);
    }
}

/// What the initialisation deadline adds to the configured limit for an instance of `version`:
/// its measured start-up (or [`UNMEASURED`]) plus [`MARGIN`].
pub(super) fn allowance(version: &str) -> Duration {
    measured(version).unwrap_or(UNMEASURED) + MARGIN
}

fn measured(version: &str) -> Option<Duration> {
    MEASURED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(version)
        .copied()
}

async fn run_once(node: &NodeBinary) -> Option<Duration> {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&node.path)
        .args(["-e", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    match tokio::time::timeout(MEASURE_LIMIT, child.wait()).await {
        Ok(Ok(status)) if status.success() => Some(started.elapsed()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_allowance_is_the_measured_start_up_plus_the_margin() {
        assert_eq!(allowance("0.0.0-never-measured"), UNMEASURED + MARGIN);
        let Ok(node) = crate::node::resolve("Node.js20.15", None) else {
            return; // no node 20 on this machine: nothing to measure
        };
        measure(&node).await;
        let took = measured(&node.version).expect("measured");
        assert!(took < Duration::from_secs(2), "node took {took:?} to start");
        assert_eq!(allowance(&node.version), took + MARGIN);
    }

    #[test]
    fn a_release_in_the_cache_keeps_its_figure_beside_it() {
        let cache = tempfile::tempdir().unwrap();
        let release = NodeBinary {
            path: cache.path().join("20.15.1/bin/node"),
            version: "20.15.1".into(),
        };
        let file = kept_file(&release).expect("a release in the cache keeps its figure");
        assert_eq!(file, cache.path().join("20.15.1/.fgref-startup-micros"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        assert_eq!(read_kept(&file), None);
        keep(&file, Duration::from_micros(61_234));
        assert_eq!(read_kept(&file), Some(Duration::from_micros(61_234)));
        std::fs::write(&file, "garbage").unwrap();
        assert_eq!(
            read_kept(&file),
            None,
            "an unreadable figure is measured again"
        );
        let system = NodeBinary {
            path: "/usr/bin/node".into(),
            version: "20.20.2".into(),
        };
        assert_eq!(kept_file(&system), None);
    }
}
