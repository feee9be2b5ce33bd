//! Log capture: an instance's stdout and stderr share one pipe, so their order is kept, and the
//! platform cuts the captured output into per-call logs framed by FunctionGraph's platform lines.

use std::{
    io,
    os::fd::OwnedFd,
    sync::{Arc, Mutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use tokio::{net::unix::pipe, task::JoinHandle};

/// The pipe's capacity. Node writes to a pipe synchronously only while the pipe has room; once
/// it is full, node queues the rest and writes it later, after the answer the runtime already
/// posted, and stderr can overtake queued stdout. A roomy pipe keeps node's writes synchronous,
/// so a cut at the answer is exact unless a call writes this much faster than fgref reads it.
/// 1 MiB is Linux's default limit for unprivileged processes (/proc/sys/fs/pipe-max-size).
const PIPE_BYTES: usize = 1024 * 1024;

/// Output kept between two cuts. Only the last 4 KB of a call's log are ever returned, so an
/// instance that writes a lot while idle must not grow the platform's memory.
const KEEP_BYTES: usize = 64 * 1024;

/// The read end of an instance's output pipe and what has been read from it so far.
///
/// Every read of the pipe happens under `captured`'s mutex. That is what makes a cut exact: the
/// runtime API locks, drains the pipe until it would block and takes the buffer, so no byte the
/// runtime wrote before its answer can still be in flight in a reader task.
///
/// Reads are plain `read(2)` calls, not `Receiver::try_read`: tokio's `try_read` answers
/// `WouldBlock` without reading while its reactor has not yet seen the pipe become readable,
/// which would leave just-written output behind at a cut.
pub(crate) struct LogCapture {
    pipe: pipe::Receiver,
    captured: Mutex<Captured>,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    eof: bool,
}

impl LogCapture {
    /// A capture and the blocking write end to hand to the instance as stdout and stderr.
    /// Must be called inside a tokio runtime.
    pub(crate) fn new() -> io::Result<(Arc<Self>, OwnedFd)> {
        let (tx, rx) = pipe::pipe()?;
        // A smaller pipe still works, only less exactly (see PIPE_BYTES).
        let _ = rustix::pipe::fcntl_setpipe_size(&rx, PIPE_BYTES);
        let capture = Arc::new(Self {
            pipe: rx,
            captured: Mutex::default(),
        });
        Ok((capture, tx.into_blocking_fd()?))
    }

    /// Reads the pipe as output arrives, so a chatty instance never blocks on a full pipe.
    pub(crate) fn spawn_reader(self: &Arc<Self>) -> JoinHandle<()> {
        let capture = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if capture.pipe.readable().await.is_err() {
                    return;
                }
                let mut captured = capture.lock();
                // Inside try_io, so the WouldBlock that ends the drain clears tokio's readiness
                // flag, unless the pipe became readable again meanwhile.
                let _ = capture.pipe.try_io(|| capture.drain(&mut captured));
                if captured.eof {
                    return;
                }
            }
        })
    }

    /// Everything captured since the last cut, including what still sits in the pipe.
    pub(crate) fn cut(&self) -> Vec<u8> {
        let mut captured = self.lock();
        let _ = self.drain(&mut captured);
        std::mem::take(&mut captured.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Captured> {
        self.captured.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads until the pipe is empty (`Err(WouldBlock)`) or closed (`Ok`).
    fn drain(&self, captured: &mut Captured) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        while !captured.eof {
            match rustix::io::read(&self.pipe, &mut chunk) {
                Ok(0) => captured.eof = true,
                Ok(n) => keep_tail(&mut captured.bytes, &chunk[..n], KEEP_BYTES),
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::AGAIN) => return Err(io::ErrorKind::WouldBlock.into()),
                // Nothing more will come from a pipe that fails otherwise.
                Err(_) => captured.eof = true,
            }
        }
        Ok(())
    }
}

fn keep_tail(buf: &mut Vec<u8>, more: &[u8], keep: usize) {
    buf.extend_from_slice(more);
    if buf.len() > keep {
        let excess = buf.len() - keep;
        buf.drain(..excess);
    }
}

/// The last `max` bytes of `s`, starting on a character boundary.
pub(crate) fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// RFC 3339 in UTC with second precision, the way FunctionGraph stamps its platform lines.
pub(crate) fn rfc3339_seconds(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's `days_from_civil`), the
/// inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The figures of a call's Finish line.
pub(crate) struct FinishFigures {
    pub duration_ms: f64,
    pub billing_ms: u64,
    pub memory_used_mb: f64,
    pub memory_size_mb: u32,
}

/// A call's log: the platform's Start line, what the instance wrote, the platform's Finish line,
/// in the format observed on FunctionGraph (research notes §4.3).
pub(crate) fn compose(
    request_id: &str,
    started: SystemTime,
    output: &[u8],
    finished: SystemTime,
    figures: &FinishFigures,
) -> String {
    let output = String::from_utf8_lossy(output);
    let newline = if output.is_empty() || output.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!(
        "{start} Start invoke request '{request_id}', version: latest\n\
         {output}{newline}\
         {finish} Finish invoke request '{request_id}', duration: {duration:.3}ms, billing duration: {billing}ms, memory used: {used:.3}MB, billing memory: {size}MB\n",
        start = rfc3339_seconds(started),
        finish = rfc3339_seconds(finished),
        duration = figures.duration_ms,
        billing = figures.billing_ms,
        used = figures.memory_used_mb,
        size = figures.memory_size_mb,
    )
}

#[cfg(test)]
mod tests {
    use std::{io::Write, time::Duration};

    use super::*;

    #[test]
    fn timestamps_are_rfc3339_seconds_utc() {
        assert_eq!(rfc3339_seconds(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let at = UNIX_EPOCH + Duration::from_millis(1_663_674_237_900);
        assert_eq!(rfc3339_seconds(at), "2022-09-20T11:43:57Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_seconds(leap_day), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn days_and_dates_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_778, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(
                days_from_civil(year, month, day),
                days,
                "{year}-{month}-{day}"
            );
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn tail_cuts_on_a_char_boundary() {
        assert_eq!(tail("hello", 10), "hello");
        assert_eq!(tail("hello", 3), "llo");
        // "é" is two bytes: a cut inside it starts after it.
        assert_eq!(tail("aéb", 2), "b");
        assert_eq!(tail("aéb", 3), "éb");
    }

    #[test]
    fn keep_tail_bounds_the_buffer() {
        let mut buf = b"abc".to_vec();
        keep_tail(&mut buf, b"defg", 5);
        assert_eq!(buf, b"cdefg");
    }

    #[test]
    fn compose_frames_output_with_platform_lines() {
        let figures = FinishFigures {
            duration_ms: 65.828,
            billing_ms: 66,
            memory_used_mb: 21.473,
            memory_size_mb: 128,
        };
        let at = UNIX_EPOCH + Duration::from_secs(1_663_674_237);
        let log = compose("id-1", at, b"hello", at, &figures);
        assert_eq!(
            log,
            "2022-09-20T11:43:57Z Start invoke request 'id-1', version: latest\n\
             hello\n\
             2022-09-20T11:43:57Z Finish invoke request 'id-1', duration: 65.828ms, billing duration: 66ms, memory used: 21.473MB, billing memory: 128MB\n"
        );
        let empty = compose("id-1", at, b"", at, &figures);
        assert_eq!(empty.lines().count(), 2);
    }

    #[tokio::test]
    async fn cut_takes_what_is_still_in_the_pipe() {
        let (capture, fd) = LogCapture::new().unwrap();
        let mut writer = std::fs::File::from(fd);
        writer.write_all(b"one\n").unwrap();
        // No reader task runs: the cut itself must drain the pipe.
        assert_eq!(capture.cut(), b"one\n");
        writer.write_all(b"two\n").unwrap();
        drop(writer);
        let reader = capture.spawn_reader();
        tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(capture.cut(), b"two\n");
        assert_eq!(capture.cut(), b"");
    }
}
