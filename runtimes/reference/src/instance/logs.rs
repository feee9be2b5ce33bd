//! Capture of an instance's output: its stdout and stderr share one pipe, so their order is
//! kept, and the platform cuts what it captured at each answer of the language runtime.

use std::{
    io,
    os::fd::OwnedFd,
    sync::{Arc, Mutex, PoisonError},
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

#[cfg(test)]
mod tests {
    use std::{io::Write, time::Duration};

    use super::*;

    #[test]
    fn keep_tail_bounds_the_buffer() {
        let mut buf = b"abc".to_vec();
        keep_tail(&mut buf, b"defg", 5);
        assert_eq!(buf, b"cdefg");
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
