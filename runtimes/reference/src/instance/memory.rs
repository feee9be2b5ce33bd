//! An instance's memory: its peak RSS as the kernel tracks it (VmHWM), and `memory_size` held
//! against it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

/// How often the peak RSS of an instance is read while it initialises or runs a call. VmHWM
/// is a peak, so a spike between two reads is still seen at the next one.
const MEMORY_POLL: Duration = Duration::from_millis(10);

/// V8's own message when its heap limit is reached (its default, or a runtime's own
/// `--max-old-space-size`).
const HEAP_OOM_TEXT: &[u8] = b"JavaScript heap out of memory";

/// A process that dies with its peak RSS at or above this share of `memory_size` (per cent)
/// is taken to have died of memory: the kernel or V8 killed it before a poll saw the excess.
const NEAR_LIMIT_PERCENT: u64 = 90;

/// Resets the peak RSS the kernel tracks for `pid` (VmHWM) to its current RSS.
fn reset_peak_rss(pid: u32) {
    // Unsupported kernels or a process that just died leave VmHWM as is; the figure is then
    // the peak since start, which still bounds the call's peak.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The peak RSS of `pid` in kB since start or the last [`reset_peak_rss`].
pub(super) fn peak_rss_kb(pid: u32) -> Option<u64> {
    peak_rss_kb_of(&File::open(format!("/proc/{pid}/status")).ok()?)
}

/// The peak RSS in kB from `status`, an open /proc/PID/status, which the kernel renders anew
/// whenever it is read from the start. Read every 10 ms of every running call, so kept open
/// rather than looked up by path each time, and only the one line is parsed. `None` once the
/// process is gone: the open file stays that process's, whatever process later gets its pid.
fn peak_rss_kb_of(mut status: &File) -> Option<u64> {
    status.seek(SeekFrom::Start(0)).ok()?;
    let mut text = Vec::with_capacity(4096);
    status.read_to_end(&mut text).ok()?;
    vm_hwm_kb(&text)
}

/// The `VmHWM:` figure (kB) of a /proc/PID/status text.
fn vm_hwm_kb(status: &[u8]) -> Option<u64> {
    let line = status
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"VmHWM:"))?;
    std::str::from_utf8(line)
        .ok()?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// Whether an instance that died had run out of memory: V8 said so, or its peak RSS was near
/// the limit when last read.
fn died_of_memory(log: &[u8], peak_seen_kb: u64, limit_kb: u64) -> bool {
    log.windows(HEAP_OOM_TEXT.len()).any(|w| w == HEAP_OOM_TEXT)
        || peak_seen_kb * 100 >= limit_kb * NEAR_LIMIT_PERCENT
}

/// The ticks at which a waiting instance's peak RSS is read.
pub(super) fn poll() -> tokio::time::Interval {
    let mut poll = tokio::time::interval(MEMORY_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    poll
}

/// One instance's limit and the highest peak RSS read against it since the current call (or the
/// start) began.
pub(super) struct MemoryWatch {
    pid: u32,
    /// /proc/PID/status, open while the instance lives; `None` if it could not be opened.
    status: Option<File>,
    limit_kb: u64,
    peak_seen_kb: u64,
}

impl MemoryWatch {
    /// `memory_mb` is `memory_size`, MB.
    pub(super) fn new(pid: u32, memory_mb: u32) -> Self {
        Self {
            pid,
            status: File::open(format!("/proc/{pid}/status")).ok(),
            limit_kb: u64::from(memory_mb) * 1024,
            peak_seen_kb: 0,
        }
    }

    /// Starts a call: the kernel's peak back to the current RSS, and no peak seen yet.
    pub(super) fn start_call(&mut self) {
        reset_peak_rss(self.pid);
        self.peak_seen_kb = 0;
    }

    /// The peak RSS read now; `None` once the process is gone.
    pub(super) fn peak_now(&self) -> Option<u64> {
        match &self.status {
            Some(status) => peak_rss_kb_of(status),
            None => peak_rss_kb(self.pid),
        }
    }

    /// The peak RSS when it is past the limit: `measured` if given, else read now. Remembers
    /// the highest peak seen.
    pub(super) fn over_limit(&mut self, measured: Option<u64>) -> Option<u64> {
        let peak_kb = measured.or_else(|| self.peak_now())?;
        self.peak_seen_kb = self.peak_seen_kb.max(peak_kb);
        (peak_kb > self.limit_kb).then_some(peak_kb)
    }

    /// For an instance that died with `log` as its last output: the highest peak seen, when it
    /// died of memory.
    pub(super) fn death_by_memory(&self, log: &[u8]) -> Option<u64> {
        died_of_memory(log, self.peak_seen_kb, self.limit_kb).then_some(self.peak_seen_kb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_read_from_the_status_line_in_kb() {
        let status = b"Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t   43224 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(vm_hwm_kb(status), Some(43224));
        assert_eq!(vm_hwm_kb(b"Name:\tnode\n"), None);
        let own = std::fs::read("/proc/self/status").unwrap();
        assert!(vm_hwm_kb(&own).is_some_and(|kb| kb > 0));
    }

    #[test]
    fn an_open_status_file_is_read_anew_and_answers_none_once_its_process_is_gone() {
        let own = File::open("/proc/self/status").unwrap();
        let first = peak_rss_kb_of(&own).unwrap();
        // More than the whole peak so far, written, so the peak must rise past it.
        let grown = vec![1u8; usize::try_from(first + 16 * 1024).unwrap() * 1024];
        let second = peak_rss_kb_of(&own).unwrap();
        assert!(second > first, "{first} kB, then {second} kB");
        drop(grown);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let status = File::open(format!("/proc/{}/status", child.id())).unwrap();
        child.wait().unwrap();
        assert_eq!(peak_rss_kb_of(&status), None);
    }

    #[test]
    fn a_death_is_put_down_to_memory_on_v8s_word_or_a_peak_near_the_limit() {
        let limit = 128 * 1024;
        let v8 = b"<--- JS stacktrace --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n";
        assert!(died_of_memory(v8, 50 * 1024, limit));
        assert!(died_of_memory(b"", 116 * 1024, limit));
        assert!(!died_of_memory(b"bye\n", 60 * 1024, limit));
        assert!(!died_of_memory(b"", 0, limit));
    }
}
