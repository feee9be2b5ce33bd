//! No process outlives a run: a run SIGKILLed while its instances, their extensions and the
//! telemetry forwarder are up leaves none of them behind (each is tied to the platform's life,
//! PROTOCOL.md §7).

use crate::support::selftest;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use libtest_mimic::{Completion, Failed, Trial};

use crate::support::{project_root, wait_for};

pub fn trials() -> Vec<Trial> {
    let name = "selftest::orphans::a-killed-run-leaves-no-process";
    vec![
        match fgref::node::resolve("Node.js20.15", fgref::node::default_cache().as_deref()) {
            Ok(_) => selftest(name, killed_run_leaves_nothing),
            Err(error) => Trial::ignorable_test(name, move || {
                Ok(Completion::ignored_with(format!("skipped: {error}")))
            }),
        },
    ]
}

fn killed_run_leaves_nothing() -> Result<(), Failed> {
    // fgref's data directory, and so every instance's command line, lies below TMPDIR.
    let tmp = tempfile::tempdir()?;
    let mut run = Command::new(env!("CARGO_BIN_EXE_fgconform"))
        .current_dir(project_root())
        .args(["--runtime", "Node.js20.15", "--test-threads", "4"])
        .args(["--feature", "telemetry", "--feature", "extensions"])
        .env("TMPDIR", tmp.path())
        .env("FGCONFORM_OFFLINE", "1")
        .env_remove("FGCONFORM_CASES")
        .env_remove("FGCONFORM_TARGET")
        .env_remove("FGCONFORM_FEATURE")
        .env_remove(fgref::TELEMETRY_FAULT_VAR)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let seen = wait_for(Duration::from_secs(30), || {
        processes_below(tmp.path()).len() >= 3
    });
    run.kill()?;
    run.wait()?;
    if !seen {
        return Err("the run never had three processes of its own up at once".into());
    }
    if wait_for(Duration::from_secs(5), || {
        processes_below(tmp.path()).is_empty()
    }) {
        return Ok(());
    }
    let left = processes_below(tmp.path());
    for (pid, _) in &left {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    Err(format!("processes outlived the killed run: {left:#?}").into())
}

/// Every process whose command line names a path below `dir`.
pub fn processes_below(dir: &Path) -> Vec<(u32, String)> {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let raw = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
            cmdline.contains(&needle).then_some((pid, cmdline))
        })
        .collect()
}
