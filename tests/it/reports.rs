//! The whole-run reports, end to end: a run of a tiny corpus (one passing case, one failing)
//! writes `--json`, `--junit` and `--html` (into directories it creates), and the JSON's totals
//! and the failing trial's diff are right.

use crate::support::selftest;
use libtest_mimic::{Failed, Trial};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, text};

pub fn trials() -> Vec<Trial> {
    vec![selftest(
        "selftest::reports::json-junit-html",
        json_junit_html,
    )]
}

fn json_junit_html() -> Result<(), Failed> {
    let cases = corpus(&[
        ("area/passes", CASE_TOML, ECHO_JS, r#"{"result": {}}"#),
        ("area/fails", CASE_TOML, ECHO_JS, r#"{"result": {"a": 1}}"#),
    ]);
    let out = tempfile::tempdir()?;
    let json = out.path().join("new/report.json");
    let junit = out.path().join("new/junit.xml");
    let html = out.path().join("other/report.html");
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--runtime",
            "Node.js20.15",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[("FGCONFORM_JSON", &json), ("FGCONFORM_HTML", &html)],
    );
    if output.status.code() != Some(101) {
        return Err(format!("expected one failing trial (exit 101):\n{}", text(&output)).into());
    }
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
    let totals = &report["totals"];
    if (
        totals["pass"].as_u64(),
        totals["fail"].as_u64(),
        totals["total"].as_u64(),
    ) != (Some(1), Some(1), Some(2))
    {
        return Err(format!("wrong totals: {totals}").into());
    }
    let trials = report["trials"].as_array().cloned().unwrap_or_default();
    let ids: Vec<_> = trials.iter().filter_map(|t| t["id"].as_str()).collect();
    if ids != ["Node.js20.15::area::fails", "Node.js20.15::area::passes"] {
        return Err(format!("wrong trials: {ids:?}").into());
    }
    let failed = &trials[0];
    let diff = failed["failure"]["diffs"][0]["unified"]
        .as_str()
        .unwrap_or_default();
    if failed["verdict"] != "fail"
        || failed["failure"]["diffs"][0]["field"] != "result"
        || !diff.contains("-  \"a\": 1")
        || !diff.contains("--- expected result")
    {
        return Err(format!("wrong failing trial: {failed:#}").into());
    }
    let run_info = &report["run_info"];
    if run_info["corpus"]["cases"] != 2
        || !run_info["corpus"]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
        || run_info["target"]["kind"] != "embedded"
    {
        return Err(format!("wrong run_info: {run_info:#}").into());
    }
    let xml = std::fs::read_to_string(&junit)?;
    if !xml.contains("<testsuite name=\"Node.js20.15\" tests=\"2\"")
        || !xml.contains("<testcase name=\"area::fails\" classname=\"area\"")
    {
        return Err(format!("wrong JUnit report:\n{xml}").into());
    }
    let page = std::fs::read_to_string(&html)?;
    if !page.contains("fgconform-report/1") {
        return Err(format!("the HTML report does not embed the JSON:\n{page}").into());
    }

    // A report that cannot be written is a setup error naming the file.
    let blocked = out.path().join("new/report.json/x.xml");
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--runtime",
            "Node.js20.15",
            "--exact",
            "Node.js20.15::area::passes",
            "--junit",
            blocked.to_str().unwrap(),
        ],
        &[],
    );
    let said = text(&output);
    if output.status.code() != Some(2) || !said.contains("--junit: cannot write") {
        return Err(format!("expected a write error (exit 2):\n{said}").into());
    }
    Ok(())
}
