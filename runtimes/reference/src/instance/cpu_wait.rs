//! The time a busy machine takes from an instance: how long the kernel kept its process ready to
//! run but without a CPU (the run delay of /proc/PID/schedstat, for its main thread, where the
//! function's JavaScript runs). fgref's limits leave that time out, so that how busy the machine
//! is changes no call's or initialisation's outcome: FunctionGraph gives each instance CPU of
//! its own (`RUNTIME_CPU`), and a shared test machine must not take it away.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

/// One process's run delay, read through its /proc/PID/schedstat kept open (the pid may be
/// another process's once this one is reaped; the open file is not).
pub(super) struct CpuWait {
    schedstat: Option<File>,
}

impl CpuWait {
    pub(super) fn new(pid: u32) -> Self {
        Self {
            schedstat: File::open(format!("/proc/{pid}/schedstat")).ok(),
        }
    }

    /// How long the process has waited for a CPU since it started; zero where the kernel keeps
    /// no such figure (the limits are then plain wall-clock time).
    pub(super) fn so_far(&self) -> Duration {
        self.schedstat
            .as_ref()
            .and_then(read_run_delay)
            .unwrap_or_default()
    }
}

fn read_run_delay(mut schedstat: &File) -> Option<Duration> {
    schedstat.seek(SeekFrom::Start(0)).ok()?;
    let mut text = String::with_capacity(64);
    schedstat.read_to_string(&mut text).ok()?;
    run_delay(&text)
}

/// The second figure of a schedstat line (`<on-CPU ns> <run delay ns> <timeslices>`).
fn run_delay(schedstat: &str) -> Option<Duration> {
    let nanos = schedstat.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// A limit on a process's own time: `limit` from `start`, pushed back by however long the
/// machine has kept the process waiting for a CPU since then.
#[derive(Clone, Copy)]
pub(super) struct OwnDeadline {
    start: Instant,
    limit: Duration,
    waited_before: Duration,
}

impl OwnDeadline {
    /// `limit` counted from `start`, when the process had waited `waited_before` in all.
    pub(super) fn new(start: Instant, limit: Duration, waited_before: Duration) -> Self {
        Self {
            start,
            limit,
            waited_before,
        }
    }

    /// When the limit runs out, the process having waited `waited` in all by now.
    pub(super) fn at(&self, waited: Duration) -> tokio::time::Instant {
        let stolen = waited.saturating_sub(self.waited_before);
        tokio::time::Instant::from_std(self.start + self.limit + stolen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_delay_is_the_second_figure() {
        assert_eq!(
            run_delay("337488514 4425752 202\n"),
            Some(Duration::from_nanos(4_425_752))
        );
        assert_eq!(run_delay("garbage"), None);
    }

    /// Pins the calling thread to CPU 0.
    fn pin_to_cpu_zero() {
        // SAFETY: a zeroed cpu_set_t is valid; the calls only read it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(0, &mut set);
            assert_eq!(
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
                0
            );
        }
    }

    fn spin_for(wall: Duration) {
        let until = Instant::now() + wall;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn a_thread_that_shares_its_cpu_has_its_deadline_pushed_back_by_the_wait() {
        pin_to_cpu_zero();
        // SAFETY: gettid has no preconditions; /proc/TID/schedstat is this thread's.
        let me = CpuWait::new(unsafe { libc::gettid() } as u32);
        let start = Instant::now();
        let deadline = OwnDeadline::new(start, Duration::from_secs(1), me.so_far());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let rival = std::thread::spawn({
            let stop = std::sync::Arc::clone(&stop);
            move || {
                pin_to_cpu_zero();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            }
        });
        // Two spinning threads on one CPU: each waits about half of the time.
        spin_for(Duration::from_millis(400));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        rival.join().unwrap();
        let pushed = deadline.at(me.so_far()) - tokio::time::Instant::from_std(start);
        assert!(
            pushed >= Duration::from_millis(1050),
            "the limit was pushed back by only {:?}",
            pushed.saturating_sub(Duration::from_secs(1))
        );
        assert_eq!(CpuWait::new(u32::MAX).so_far(), Duration::ZERO);
    }
}
