//! Node's own start-up, measured apart from the initializer. FunctionGraph boots an instance
//! before it runs the initializer, so `initializer_timeout` counts the initializer alone; fgref's
//! deadline runs from the spawn, so it adds what starting this release of node takes, measured
//! once per release (`node -e 0`, the fastest of three runs: what starting takes, not what a busy
//! moment adds to it), plus a small margin for scheduling.

use std::collections::BTreeMap;
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

/// Measures `node`'s start-up unless its release was measured already.
pub(super) async fn measure(node: &NodeBinary) {
    if measured(&node.version).is_some() {
        return;
    }
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        match run_once(node).await {
            Some(took) => fastest = fastest.min(took),
            None => return,
        }
    }
    MEASURED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(node.version.clone(), fastest);
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
}
