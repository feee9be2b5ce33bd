//! Every case can fail: each case id of the corpus is in some broken subject's list (a broken
//! runtime or platform fails it), or on [`NOT_BROKEN`] with the reason no subject fails it. A
//! case no subject can fail proves nothing when it passes. Also: a broken-subject trial whose
//! Node.js release is missing errors under CI rather than reporting ignored, and every fault of
//! fgref's self-test build has a subject.

use crate::support::selftest;
use std::collections::BTreeSet;
use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::{fgconform_env_free, outcomes, project_root};
use crate::{all_subjects, subject};

/// Cases no broken subject fails, each as (case id, the reason it cannot be broken from outside).
/// Empty today: every case has a subject. Keep it short; a case belongs here only when no
/// runtime or platform fault short of breaking far more than the case could fail it.
pub const NOT_BROKEN: &[(&str, &str)] = &[];

pub fn trials() -> Vec<Trial> {
    vec![
        selftest("selftest::every-case-can-fail", every_case_can_fail),
        selftest(
            "selftest::crash-next-call-checks-its-source",
            crash_next_call_checks_its_source,
        ),
        selftest(
            "selftest::missing-release-errors-under-ci",
            missing_release_errors_under_ci,
        ),
    ]
}

fn case_ids(root: &Path) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.join("case.toml").is_file() {
                if let Ok(rel) = path.strip_prefix(root) {
                    ids.insert(rel.to_string_lossy().replace('/', "::"));
                }
            } else if path.is_dir() {
                dirs.push(path);
            }
        }
    }
    ids
}

fn every_case_can_fail() -> Result<(), Failed> {
    let cases = case_ids(&project_root().join("cases"));
    let mut failed: BTreeSet<&str> = BTreeSet::new();
    failed.extend(all_subjects::all().flat_map(|s| s.fails.iter().copied()));
    let not_broken: BTreeSet<&str> = NOT_BROKEN.iter().map(|(id, _)| *id).collect();
    let mut problems = Vec::new();
    for id in &cases {
        if !failed.contains(id.as_str()) && !not_broken.contains(id.as_str()) {
            problems.push(format!(
                "{id}: no broken runtime or platform fails it; add one (tests/it/subjects.rs) or list it in NOT_BROKEN with the reason"
            ));
        }
    }
    for id in failed.iter().chain(&not_broken) {
        if !cases.contains(*id) {
            problems.push(format!("{id}: listed, but no such case in cases/"));
        }
    }
    for id in failed.intersection(&not_broken) {
        problems.push(format!(
            "{id}: a broken subject fails it now; remove it from NOT_BROKEN"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// `crash::timer-throw-after-answer-ends-instance`'s second answer: `{"calls":1}` from a new
/// instance, or the failure its source gives (openYuanrong's `runtime process is exited`,
/// CONTRADICTIONS.md #25), never any text that says "error".
fn crash_next_call_checks_its_source() -> Result<(), Failed> {
    use fgconform::expect::Expected;
    use fgconform::matcher::Captures;
    use fgconform::observe::{CallKind, Observation};
    let path = project_root()
        .join("cases/crash/timer-throw-after-answer-ends-instance/expected-next.json");
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let map = value
        .as_object()
        .ok_or("expected-next.json is not an object")?;
    let expected = Expected::load(map, CallKind::Invoke).map_err(|e| e.to_string())?;
    for (result, holds) in [
        ("{\"calls\":1}", true),
        ("runtime process is exited", true),
        ("{\"calls\":2}", false),
        ("{\"errorMessage\":\"some other error\"}", false),
        ("process exit", false),
    ] {
        let observation = Observation {
            status: 200,
            result_text: Some(result.to_owned()),
            ..Observation::default()
        };
        let mut mismatches = Vec::new();
        expected.check(&observation, &mut Captures::default(), &mut mismatches);
        if mismatches.is_empty() != holds {
            return Err(format!(
                "expected-next.json {} {result:?}",
                if holds { "refuses" } else { "accepts" }
            )
            .into());
        }
    }
    Ok(())
}

/// With an empty node cache, `node6-honours-promise` (Node.js6.10, which the system node never
/// stands in for here unless it is a 6.x) cannot run: ignored on a developer's machine, an error
/// naming the install command under CI.
fn missing_release_errors_under_ci() -> Result<(), Failed> {
    let trial = "selftest::broken-runtime::node6-honours-promise";
    let cache = tempfile::tempdir()?;
    if fgref::node::resolve("Node.js6.10", Some(cache.path())).is_ok() {
        return Ok(()); // the system node is a 6.x: nothing is missing
    }
    let run = |ci: &str| {
        let exe = std::env::current_exe()?;
        let output = fgconform_env_free(&exe)
            .args(["--exact", trial, "--format", "json"])
            .env("FGREF_NODE_CACHE", cache.path())
            .env("CI", ci)
            .output()?;
        let found = outcomes(&output);
        found
            .get(trial)
            .cloned()
            .ok_or_else(|| Failed::from(format!("{trial} did not run: {found:?}")))
    };
    let (outcome, message) = run("true")?;
    if outcome != "failed" || !message.contains("--install-runtimes --runtime Node.js6.10") {
        return Err(format!("under CI: {outcome}: {message}").into());
    }
    let (outcome, _) = run("false")?;
    if outcome != "ignored" {
        return Err(format!("with CI=false: {outcome}, not ignored").into());
    }
    Ok(())
}

/// Every fault fgref knows has a subject, broken or variant, so none is left unproven.
pub fn every_fault_is_proven() -> Trial {
    selftest(
        "selftest::broken-platform::every-telemetry-fault-is-listed",
        || {
            let listed: Vec<&str> = all_subjects::all()
                .filter_map(|subject| match subject.kind {
                    subject::Kind::Fgref(fault) => Some(fault),
                    _ => None,
                })
                .collect();
            let missing: Vec<&str> = fgref::fault_names()
                .filter(|name| !listed.contains(name))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("faults without a subject: {missing:?}").into())
            }
        },
    )
}
