//! When trials start: how many at once, and which first. Most of a trial's time is waiting (on a
//! function's timeout, an idle pause, a telemetry buffer), not CPU, so more trials run at once
//! than there are cores; and the longest start first, as the last run on the same target
//! measured them, so that a run does not end waiting on one long trial that started last.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::TrialRecord;
use crate::verdict::Verdict;

/// Trials at once per core when `--test-threads` is not given. A trial spends most of its time
/// waiting; measured on the project's 2-core machine, longest first, the corpus's wall time
/// stops falling at about 12 per core, where the cores are busy (2 threads: 33.6 s; 16: 7.0 s;
/// 24: 6.0 s; 32: no less), and the matrix's at 75.8 s with 24.
const WORKERS_PER_CORE: usize = 12;

/// The memory a running trial may hold, for bounding the default worker count: a node
/// instance at a case's `memory_size` (up to 256 MB in the corpus), most of them far less.
const MEMORY_PER_WORKER: u64 = 256 * 1024 * 1024;

/// The variable giving the worker count when `--test-threads` is not given.
pub const WORKERS_VAR: &str = "FGCONFORM_TEST_THREADS";

/// The variable naming the directory the measured durations are kept in.
pub const CACHE_DIR_VAR: &str = "FGCONFORM_CACHE_DIR";

/// The file in that directory.
const DURATIONS_FILE: &str = "durations.json";

/// How many trials run at once when `--test-threads` is not given: `FGCONFORM_TEST_THREADS`
/// when set, else [`WORKERS_PER_CORE`] per core, as many as the available memory holds at
/// [`MEMORY_PER_WORKER`] each, and never fewer than the cores. Errs on a variable that is not a
/// positive number.
pub fn default_workers() -> Result<usize, String> {
    if let Some(set) = std::env::var_os(WORKERS_VAR).filter(|v| !v.is_empty()) {
        return set
            .to_str()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n: &usize| n > 0)
            .ok_or_else(|| {
                format!("{WORKERS_VAR}={set:?} is not a positive number of trials to run at once")
            });
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(workers_for(cores, available_memory()))
}

/// [`WORKERS_PER_CORE`] per core, as many as `memory` bytes hold, never fewer than the cores.
fn workers_for(cores: usize, memory: Option<u64>) -> usize {
    let by_cpu = cores * WORKERS_PER_CORE;
    let by_memory = memory.map_or(by_cpu, |bytes| {
        usize::try_from(bytes / MEMORY_PER_WORKER).unwrap_or(usize::MAX)
    });
    by_cpu.min(by_memory).max(cores)
}

/// `MemAvailable` of /proc/meminfo, bytes.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Puts the trials in the order they should start: the longest expected first (`None`, not
/// known, counts as longest, so a trial of unknown length is never left for last), keeping the
/// given order among equals.
pub fn longest_first<T>(trials: &mut [(T, Option<Duration>)]) {
    trials.sort_by_key(|(_, expected)| Reverse(expected.unwrap_or(Duration::MAX)));
}

/// How long each trial took when it last ran on a target, kept between runs in
/// `$FGCONFORM_CACHE_DIR/durations.json` (default `~/.cache/fgconform/`), by target name.
#[derive(Debug, Default)]
pub struct Durations {
    file: Option<PathBuf>,
    target: String,
    known: BTreeMap<String, u64>,
}

/// The file: target name → trial id → milliseconds.
#[derive(Serialize, Deserialize, Default)]
struct DurationsFile {
    targets: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Durations {
    /// What the last runs on `target` measured; nothing when there is no cache directory or the
    /// file is missing or unreadable (the order then falls back to the cases' own pauses).
    pub fn load(target: &str) -> Durations {
        let file = cache_dir().map(|dir| dir.join(DURATIONS_FILE));
        let known = file
            .as_deref()
            .and_then(read)
            .and_then(|mut all| all.targets.remove(target))
            .unwrap_or_default();
        Durations {
            file,
            target: target.to_owned(),
            known,
        }
    }

    /// How long trial `id` took when it last ran.
    pub fn of(&self, id: &str) -> Option<Duration> {
        self.known.get(id).map(|&ms| Duration::from_millis(ms))
    }

    /// Keeps how long each trial of `records` that ran took, for the next run's order. Writing
    /// is best-effort: a cache that cannot be written only costs the next run its order.
    pub fn remember(&self, records: &[TrialRecord]) {
        let Some(file) = &self.file else { return };
        let ran = records
            .iter()
            .filter(|r| r.runtime.is_some() && !matches!(r.verdict, Verdict::Skipped(_)));
        let mut measured = ran.peekable();
        if measured.peek().is_none() {
            return;
        }
        // Re-read, so that runs on other targets (or of other shards) finishing meanwhile keep
        // what they wrote.
        let mut all = read(file).unwrap_or_default();
        let mine = all.targets.entry(self.target.clone()).or_default();
        for record in measured {
            let ms = u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX);
            mine.insert(record.id.clone(), ms);
        }
        let _ = write(file, &all);
    }
}

/// `$FGCONFORM_CACHE_DIR`, else `~/.cache/fgconform`.
fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_VAR).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(Path::new(&home).join(".cache/fgconform"))
}

fn read(file: &Path) -> Option<DurationsFile> {
    serde_json::from_slice(&std::fs::read(file).ok()?).ok()
}

/// Writes `all` to `file` whole or not at all (a temporary file renamed over it), so that a
/// concurrent reader never sees half a file.
fn write(file: &Path, all: &DurationsFile) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // One write per run, so the process id names the temporary file uniquely.
    let temporary = dir.join(format!(".{DURATIONS_FILE}.{}", std::process::id()));
    std::fs::write(&temporary, serde_json::to_vec(all)?)?;
    std::fs::rename(&temporary, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_expected_start_first_and_the_unknown_before_them() {
        let ms = |n| Some(Duration::from_millis(n));
        let mut trials = vec![
            ("short", ms(50)),
            ("timeout", ms(3000)),
            ("invalid-case", None),
            ("idle", ms(4000)),
            ("also-short", ms(50)),
        ];
        longest_first(&mut trials);
        let order: Vec<_> = trials.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            order,
            ["invalid-case", "idle", "timeout", "short", "also-short"]
        );
    }

    #[test]
    fn twelve_workers_a_core_as_far_as_memory_goes_and_never_fewer_than_the_cores() {
        const GIB: u64 = 1 << 30;
        assert_eq!(workers_for(2, Some(24 * GIB)), 24);
        assert_eq!(workers_for(2, None), 24);
        assert_eq!(workers_for(8, Some(2 * GIB)), 8);
        assert_eq!(workers_for(4, Some(GIB)), 4);
        assert_eq!(workers_for(1, Some(0)), 1);
    }
}
