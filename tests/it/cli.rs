//! The command line behaves as documented: listing has no side effects, malformed input gets a
//! clear error, and the exit status tells the outcome.

use crate::support::selftest;
use libtest_mimic::{Failed, Trial};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, outcomes, text};

pub fn trials() -> Vec<Trial> {
    vec![
        selftest("selftest::cli::list-starts-nothing", list_starts_nothing),
        selftest(
            "selftest::cli::malformed-case-names-file-key-line",
            malformed_case,
        ),
        selftest("selftest::cli::bad-flags-exit-2", bad_flags),
        selftest(
            "selftest::cli::runtime-outside-range-is-skipped",
            runtime_outside_range,
        ),
        selftest("selftest::cli::coverage-counts", coverage_counts),
        selftest(
            "selftest::cli::bootstrap-only-inside-fgref",
            bootstrap_only_inside_fgref,
        ),
    ]
}

/// `--nodejs-bootstrap` replaces the language runtime inside the embedded fgref; on any other
/// target it would test the target's own runtime while seeming to test the one named.
fn bootstrap_only_inside_fgref() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("t.toml");
    std::fs::write(
        &target,
        "name = \"elsewhere\"\nurl = \"http://127.0.0.1:9\"\nproject_id = \"p\"\nruntimes = [\"Node.js20.15\"]\nfeatures = []\n",
    )?;
    let cases = corpus(&[("area/echo", CASE_TOML, ECHO_JS, r#"{"result": {}}"#)]);
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--nodejs-bootstrap",
            "runtime.js",
        ],
        &[],
    );
    let out = text(&output);
    if output.status.code() != Some(2) || !out.contains("--nodejs-bootstrap") {
        return Err(format!("--nodejs-bootstrap on a url target must stop the run:\n{out}").into());
    }
    Ok(())
}

fn list_starts_nothing() -> Result<(), Failed> {
    // A target that cannot start proves nothing was started: listing must still succeed.
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("t.toml");
    std::fs::write(
        &target,
        "name = \"never\"\ncommand = [\"/nonexistent/fgconform-target\"]\nruntimes = [\"Node.js20.15\"]\nfeatures = []\n",
    )?;
    let output = fgconform(&["--list", "--target", target.to_str().unwrap()], &[]);
    let out = text(&output);
    if !output.status.success() || !out.contains("Node.js20.15::handler::") {
        return Err(format!("--list failed or listed no corpus trial:\n{out}").into());
    }
    Ok(())
}

fn malformed_case() -> Result<(), Failed> {
    let cases = corpus(&[
        ("area/good", CASE_TOML, ECHO_JS, r#"{"result": {}}"#),
        (
            "area/bad",
            &format!("{CASE_TOML}colour = \"red\"\n"),
            ECHO_JS,
            "{}",
        ),
        (
            "area/bad-json",
            CASE_TOML,
            ECHO_JS,
            "{\n  \"result\": {\"$prefx\": \"a\"}\n}",
        ),
    ]);
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let found = outcomes(&output);
    let (outcome, message) = found
        .get("case-format::area::bad")
        .ok_or("no trial for the malformed case.toml")?;
    if outcome != "failed"
        || !message.contains("case.toml")
        || !message.contains("colour")
        || !message.contains("line 4")
    {
        return Err(format!("case.toml error does not name file, key and line: {message}").into());
    }
    let (outcome, message) = found
        .get("case-format::area::bad-json")
        .ok_or("no trial for the malformed expected.json")?;
    if outcome != "failed" || !message.contains("expected.json:2") || !message.contains("$prefx") {
        return Err(
            format!("expected.json error does not name file, key and line: {message}").into(),
        );
    }
    match found.get("Node.js20.15::area::good") {
        Some((outcome, _)) if outcome == "ok" => {}
        other => {
            return Err(format!(
                "the good case beside malformed ones did not pass: {other:?}\n{}",
                text(&output)
            )
            .into());
        }
    }
    if output.status.code() != Some(101) {
        return Err(format!("exit status {:?}, expected 101", output.status.code()).into());
    }
    Ok(())
}

fn bad_flags() -> Result<(), Failed> {
    for args in [
        &["--runtime", "Node.js99.1"][..],
        &["--feature", "telepathy"],
        &["--target", "/nonexistent.toml"],
    ] {
        let output = fgconform(args, &[]);
        let out = text(&output);
        if output.status.code() != Some(2) || !out.contains("error:") {
            return Err(
                format!("{args:?}: exit {:?}, output:\n{out}", output.status.code()).into(),
            );
        }
    }
    Ok(())
}

fn runtime_outside_range() -> Result<(), Failed> {
    let toml = format!("{CASE_TOML}runtimes = [\"Node.js6.10\"]\n");
    let cases = corpus(&[("area/old-only", &toml, ECHO_JS, "{}")]);
    let output = fgconform(&["--cases", cases.path().to_str().unwrap()], &[]);
    let out = text(&output);
    if !output.status.success()
        || !out.contains("ignored")
        || !out.contains("outside the case's runtimes")
    {
        return Err(format!("expected one skipped trial:\n{out}").into());
    }
    Ok(())
}

fn coverage_counts() -> Result<(), Failed> {
    let observed = CASE_TOML.replace("documented", "observed");
    let callback = format!("{CASE_TOML}features = [\"callback\", \"errors\"]\n");
    let old = format!("{observed}runtimes = [\"Node.js6.10\"]\n");
    let cases = corpus(&[
        ("one/a", &callback, ECHO_JS, "{}"),
        ("one/b", CASE_TOML, ECHO_JS, "{}"),
        ("two/c", &old, ECHO_JS, "{}"),
    ]);
    let output = fgconform(
        &["--coverage", "--cases", cases.path().to_str().unwrap()],
        &[],
    );
    let out = text(&output);
    let row = |name: &str| {
        out.lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .map(|line| {
                line.split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    };
    let expected = [
        ("callback", "1 0 0 1"),
        ("errors", "1 0 0 1"),
        ("promise", "0 0 0 0"),
        ("one", "2 0 0 2"),
        ("two", "0 1 0 1"),
        ("Node.js6.10", "2 1 0 3"),
        ("Node.js20.15", "2 0 0 2"),
    ];
    for (name, counts) in expected {
        if row(name).as_deref() != Some(counts) {
            return Err(format!("row `{name}` should read `{counts}`:\n{out}").into());
        }
    }
    if !output.status.success() || !out.starts_with("3 cases: 2 documented, 1 observed") {
        return Err(format!("unexpected coverage output:\n{out}").into());
    }
    let broken = corpus(&[(
        "one/bad",
        &format!("{CASE_TOML}colour = 1\n"),
        ECHO_JS,
        "{}",
    )]);
    let output = fgconform(
        &["--coverage", "--cases", broken.path().to_str().unwrap()],
        &[],
    );
    if output.status.code() != Some(2) || !text(&output).contains("colour") {
        return Err(format!("a broken case must stop --coverage:\n{}", text(&output)).into());
    }
    Ok(())
}
