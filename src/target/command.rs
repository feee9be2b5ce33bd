//! Targets started for the run: the descriptor's `command`, in a process group of its own, run
//! until it prints `listening on http://ADDR` (its output bounded), and stopped gracefully with
//! everything it started: SIGTERM to the group, then SIGKILL after a bound.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, ChildStdout};

/// How long a started target may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest line a started target may print before its address (PROTOCOL.md §1).
const MAX_LINE: usize = 16 * 1024;
/// How many lines it may print before its address.
const MAX_LINES: usize = 10_000;
/// How long a stopped target's group has between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Runs `command` (a relative program path with a slash is relative to `base`, like a script
/// beside the descriptor) in a process group of its own, and answers the URL it announces, with
/// the child. `stop` ends it and its group.
pub async fn spawn(base: &Path, command: &[String]) -> Result<(String, Child), String> {
    let (program, args) = command.split_first().ok_or("`command` is empty")?;
    let program = if program.contains('/') && Path::new(program).is_relative() {
        base.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut child = tokio::process::Command::new(&program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // Its own group, so a stop reaches what it starts (fgref's instances) too.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut reader = Lines::new(stdout);
    let announced = tokio::time::timeout(START_TIMEOUT, reader.announcement())
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "it did not print `listening on http://ADDR` within {START_TIMEOUT:?}"
            ))
        });
    let url = match announced {
        Ok(url) => url,
        Err(message) => {
            stop(&mut child).await;
            return Err(message);
        }
    };
    // Keep reading (and discarding) so the target never blocks on a full stdout pipe.
    tokio::spawn(reader.drain());
    Ok((url, child))
}

/// Stops `child` and its process group: SIGTERM to the group, up to `STOP_GRACE` for the
/// child to exit, then SIGKILL to whatever of the group is left.
pub async fn stop(child: &mut Child) {
    let Some(pid) = child.id() else {
        return; // Already reaped.
    };
    let group = -(pid as libc::pid_t);
    // SAFETY: kill(2) with a negative pid signals the group the child leads; no memory is
    // touched.
    unsafe { libc::kill(group, libc::SIGTERM) };
    let _ = tokio::time::timeout(STOP_GRACE, child.wait()).await;
    // Members that outlived the leader or ignored SIGTERM; the group id stays this pid's while
    // any member lives.
    // SAFETY: as above.
    unsafe { libc::kill(group, libc::SIGKILL) };
    let _ = child.kill().await;
}

/// A started target's stdout, read in chunks: lines only up to `MAX_LINE`.
struct Lines<R> {
    reader: R,
    pending: Vec<u8>,
    buffer: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            pending: Vec::new(),
            buffer: vec![0; 8192],
        }
    }

    /// The URL of the first `listening on URL` line.
    async fn announcement(&mut self) -> Result<String, String> {
        let mut lines = 0;
        loop {
            while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                if let Some(url) = line.trim().strip_prefix("listening on ") {
                    return Ok(url.to_owned());
                }
                lines += 1;
                if lines >= MAX_LINES {
                    return Err(format!(
                        "it printed {MAX_LINES} lines without `listening on http://ADDR`"
                    ));
                }
            }
            if self.pending.len() > MAX_LINE {
                return Err(format!(
                    "it printed a line longer than {MAX_LINE} bytes before `listening on http://ADDR`"
                ));
            }
            let n = self
                .reader
                .read(&mut self.buffer)
                .await
                .map_err(|e| format!("cannot read its output: {e}"))?;
            if n == 0 {
                return Err("it exited without printing `listening on http://ADDR`".into());
            }
            self.pending.extend_from_slice(&self.buffer[..n]);
        }
    }
}

impl Lines<ChildStdout> {
    /// Reads the rest and throws it away, holding no more than one buffer.
    async fn drain(mut self) {
        while let Ok(n) = self.reader.read(&mut self.buffer).await {
            if n == 0 {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_announcement_is_found_and_long_or_many_lines_are_refused() {
        let mut ok = Lines::new(&b"starting\nlistening on http://127.0.0.1:5\nmore\n"[..]);
        assert_eq!(ok.announcement().await.unwrap(), "http://127.0.0.1:5");
        let endless = vec![b'x'; MAX_LINE * 4];
        let error = Lines::new(&endless[..]).announcement().await.unwrap_err();
        assert!(error.contains("a line longer than 16384 bytes"), "{error}");
        let many = "log\n".repeat(MAX_LINES + 1);
        let error = Lines::new(many.as_bytes())
            .announcement()
            .await
            .unwrap_err();
        assert!(error.contains("10000 lines"), "{error}");
        let error = Lines::new(&b"bye\n"[..]).announcement().await.unwrap_err();
        assert!(error.contains("exited without"), "{error}");
    }
}
