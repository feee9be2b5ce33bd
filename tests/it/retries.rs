//! `--retries` against a flaky platform: a proxy in front of fgref whose first invoke answer is
//! wrong. With `--retries 1` the trial passes on its second attempt and is FLAKY (ok in libtest,
//! `flaky` in the JSON report with the failed attempt's message, `flakyFailure` in JUnit, named
//! on stderr); without retries the same trial fails; listed in the target's expectations file,
//! it passes on the retry, before the file is consulted: an unexpected pass.

use crate::support::selftest;
use libtest_mimic::{Completion, Failed, Trial};

use crate::platforms::proxy::{Fault, IDLE_SECONDS, Proxy, TOKEN, TOKEN_ENV};
use crate::support::{CASE_TOML, corpus, fgconform, text};

type Test = fn() -> Result<(), Failed>;

pub fn trials() -> Vec<Trial> {
    let tests: [(&str, Test); 3] = [
        ("flaky-with-retries", flaky_with_retries),
        ("fail-without-retries", fail_without_retries),
        (
            "listed-flaky-is-unexpected-pass",
            listed_flaky_is_unexpected_pass,
        ),
    ];
    tests
        .into_iter()
        .map(|(name, test)| {
            let name = format!("selftest::retries::{name}");
            match fgref::node::resolve("Node.js20.15", fgref::node::default_cache().as_deref()) {
                Ok(_) => selftest(name, test),
                Err(error) => Trial::ignorable_test(name, move || {
                    Ok(Completion::ignored_with(format!("skipped: {error}")))
                }),
            }
        })
        .collect()
}

const ID: &str = "Node.js20.15::area::answers";
const ANSWERS_JS: &str =
    "exports.handler = function (event, context, callback) { callback(null, {n: 1}); };";

/// Runs the one-case corpus against a fresh flaky proxy with `args` added (and, when `listed`,
/// an expectations file listing its trial); the JSON report and the JUnit XML beside the output.
fn run(
    args: &[&str],
    listed: bool,
) -> Result<(std::process::Output, serde_json::Value, String), Failed> {
    let cases = corpus(&[(
        "area/answers",
        CASE_TOML,
        ANSWERS_JS,
        r#"{"result": {"n": 1}}"#,
    )]);
    let proxy = Proxy::start(Fault::FirstInvokeWrong)?;
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("flaky.toml");
    let mut descriptor = format!(
        "name = \"flaky\"\nurl = \"{}\"\nruntimes = [\"Node.js20.15\"]\nfeatures = \"all\"\nidle_timeout = {IDLE_SECONDS}\ntoken_env = \"{TOKEN_ENV}\"\n",
        proxy.url
    );
    if listed {
        descriptor.push_str("expectations = \"flaky.expectations.toml\"\n");
        std::fs::write(
            dir.path().join("flaky.expectations.toml"),
            format!("[[expected_failure]]\nid = \"{ID}\"\nreason = \"known flaky\"\n"),
        )?;
    }
    std::fs::write(&target, descriptor)?;
    let json = dir.path().join("report.json");
    let junit = dir.path().join("junit.xml");
    let mut all = vec![
        "--cases",
        cases.path().to_str().ok_or("temp path is not UTF-8")?,
        "--target",
        target.to_str().ok_or("temp path is not UTF-8")?,
        "--json",
        json.to_str().ok_or("temp path is not UTF-8")?,
        "--junit",
        junit.to_str().ok_or("temp path is not UTF-8")?,
    ];
    all.extend(args);
    let output = fgconform(&all, &[(TOKEN_ENV, std::path::Path::new(TOKEN))]);
    drop(proxy);
    let report = std::fs::read_to_string(&json)
        .map_err(|e| format!("no JSON report ({e}):\n{}", text(&output)))?;
    let report: serde_json::Value = serde_json::from_str(&report)?;
    let xml = std::fs::read_to_string(&junit)?;
    Ok((output, report, xml))
}

fn trial(report: &serde_json::Value) -> serde_json::Value {
    report["trials"]
        .as_array()
        .and_then(|trials| trials.iter().find(|t| t["id"] == ID))
        .cloned()
        .unwrap_or_default()
}

fn flaky_with_retries() -> Result<(), Failed> {
    let (output, report, xml) = run(&["--retries", "1"], false)?;
    let said = text(&output);
    let trial = trial(&report);
    let attempts = trial["failed_attempts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if output.status.code() != Some(0)
        || trial["verdict"] != "flaky"
        || report["totals"]["flaky"] != 1
        || report["totals"]["pass"] != 0
        || attempts.len() != 1
        || attempts[0]["verdict"] != "fail"
        || !attempts[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("the first answer is wrong"))
    {
        return Err(format!("expected a flaky trial (exit 0):\n{trial:#}\n{said}").into());
    }
    if !said.contains(&format!("test {ID} ... ok"))
        || !said.contains("flaky: 1 trial(s) passed only on a retry")
        || !said.contains(ID)
    {
        return Err(format!("libtest's lines or the flaky notice are wrong:\n{said}").into());
    }
    let junit = quick_junit::Report::deserialize_from_str(&xml)?;
    let case = junit
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .find(|c| c.name.as_str() == "area::answers")
        .ok_or("no testcase area::answers")?;
    match &case.status {
        quick_junit::TestCaseStatus::Success { flaky_runs }
            if flaky_runs.len() == 1
                && flaky_runs[0].kind == quick_junit::NonSuccessKind::Failure
                && xml.contains("<flakyFailure") => {}
        other => return Err(format!("expected a flakyFailure:\n{other:?}\n{xml}").into()),
    }
    Ok(())
}

fn fail_without_retries() -> Result<(), Failed> {
    let (output, report, xml) = run(&[], false)?;
    let trial = trial(&report);
    if output.status.code() != Some(101)
        || trial["verdict"] != "fail"
        || trial["failed_attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        || report["totals"]["flaky"] != 0
        || xml.contains("flakyFailure")
        || text(&output).contains("flaky:")
    {
        return Err(format!(
            "without --retries the trial must fail:\n{trial:#}\n{}",
            text(&output)
        )
        .into());
    }
    Ok(())
}

fn listed_flaky_is_unexpected_pass() -> Result<(), Failed> {
    let (output, report, _) = run(&["--retries", "1"], true)?;
    let said = text(&output);
    let trial = trial(&report);
    if output.status.code() != Some(101)
        || trial["verdict"] != "unexpected-pass"
        || trial["failed_attempts"].as_array().map_or(0, Vec::len) != 1
        || !said.contains("passes now: remove the entry at")
    {
        return Err(format!("expected an unexpected pass:\n{trial:#}\n{said}").into());
    }
    Ok(())
}
