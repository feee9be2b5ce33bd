//! Targets started for the run: the descriptor's `command`, run until it prints
//! `listening on http://ADDR`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// How long a started target may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `command` (a relative program path with a slash is relative to `base`, like a script
/// beside the descriptor) and answers the URL it announces, with the child, which dies with the
/// harness.
pub async fn spawn(
    base: &Path,
    command: &[String],
) -> Result<(String, tokio::process::Child), String> {
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
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let announce = async {
        while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                return Ok(url.to_owned());
            }
        }
        Err("it exited without printing `listening on http://ADDR`".to_owned())
    };
    let url = tokio::time::timeout(START_TIMEOUT, announce)
        .await
        .map_err(|_| {
            format!("it did not print `listening on http://ADDR` within {START_TIMEOUT:?}")
        })??;
    // Keep reading so the target never blocks on a full stdout pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((url, child))
}
