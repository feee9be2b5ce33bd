//! A corpus that tries to hurt the harness costs one `case-format` row per bad case, and the rest
//! loads: a symbolic link loop is not followed, an unreadable directory is one row, a file key
//! naming `/dev/zero` is refused before it is read.

use crate::support::selftest;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Failed, Trial};

use crate::support::{CASE_TOML, ECHO_JS, corpus, project_root, text};

pub fn trials() -> Vec<Trial> {
    vec![selftest(
        "selftest::hostile_cases::bad-directories-and-paths-cost-one-row-each",
        bad_directories_and_paths,
    )]
}

fn bad_directories_and_paths() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    let zero =
        format!("{CASE_TOML}[[steps]]\nexpected = \"expected.json\"\nbody = \"/dev/zero\"\n");
    let cases = corpus(&[
        ("a/one", CASE_TOML, ECHO_JS, "{}"),
        ("b/closed/two", CASE_TOML, ECHO_JS, "{}"),
        ("c/three", CASE_TOML, ECHO_JS, "{}"),
        ("d/zero", &zero, ECHO_JS, "{}"),
    ]);
    let root = cases.path();
    std::os::unix::fs::symlink("..", root.join("a/one/loop"))?;
    // Readable by the unprivileged user the run may switch to, but `b/closed`.
    for dir in [
        "",
        "a",
        "a/one",
        "a/one/code",
        "b",
        "c",
        "c/three",
        "c/three/code",
        "d",
    ] {
        std::fs::set_permissions(root.join(dir), std::fs::Permissions::from_mode(0o755))?;
    }
    for dir in ["d/zero", "d/zero/code"] {
        std::fs::set_permissions(root.join(dir), std::fs::Permissions::from_mode(0o755))?;
    }
    for file in [
        "a/one/case.toml",
        "a/one/expected.json",
        "a/one/code/index.js",
        "c/three/case.toml",
        "c/three/expected.json",
        "c/three/code/index.js",
        "d/zero/case.toml",
    ] {
        std::fs::set_permissions(root.join(file), std::fs::Permissions::from_mode(0o644))?;
    }
    std::fs::set_permissions(
        root.join("b/closed"),
        std::fs::Permissions::from_mode(0o000),
    )?;
    let output = list_unprivileged(root.to_str().unwrap());
    std::fs::set_permissions(
        root.join("b/closed"),
        std::fs::Permissions::from_mode(0o755),
    )?;
    let output = output?;
    let listed = String::from_utf8_lossy(&output.stdout);
    let closed_unreadable = !listed.contains("::b::closed::two");
    let mut expected = vec![
        "::a::one: test",
        "::c::three: test",
        "case-format::d::zero: test",
    ];
    if closed_unreadable {
        expected.push("case-format::b::closed: test");
    }
    for line in expected {
        if !listed.contains(line) {
            return Err(format!("`{line}` is not listed:\n{}", text(&output)).into());
        }
    }
    if listed.contains("loop") || !output.status.success() {
        return Err(format!(
            "the listing followed the loop or failed:\n{}",
            text(&output)
        )
        .into());
    }
    Ok(())
}

/// `fgconform --cases ROOT --list`, as an unprivileged user when the tests run as root and
/// `setpriv` is there (root reads every directory), killed after 30 s.
fn list_unprivileged(root: &str) -> Result<Output, Failed> {
    let binary = env!("CARGO_BIN_EXE_fgconform");
    let as_root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    let mut command = if as_root && Command::new("setpriv").arg("--version").output().is_ok() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
        c
    } else {
        Command::new(binary)
    };
    let mut child = command
        .current_dir(project_root())
        .args(["--cases", root, "--list"])
        .env("FGCONFORM_OFFLINE", "1")
        .env_remove("FGCONFORM_TARGET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            return Err("listing the corpus did not end within 30 s (reading /dev/zero?)".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(child.wait_with_output()?)
}
