//! The JUnit XML report (`--junit`), written with quick-junit as cargo-nextest writes its own,
//! from the JSON report (so a run and a merge of shards write the same XML): one `testsuite` per
//! runtime id (`case-format` for cases that do not load), one `testcase` per trial, a flaky
//! trial's failed attempts as `flakyFailure`/`flakyError`; REPORT-FORMAT.md gives the mapping.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::DateTime;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::json::{self, AttemptInfo};

/// The XML of a JSON report (a run's or a merge's: both render through here).
pub fn render(json: &json::Report) -> String {
    let mut suites: BTreeMap<String, Vec<&json::Trial>> = BTreeMap::new();
    for trial in &json.trials {
        let suite = trial
            .runtime
            .clone()
            .unwrap_or_else(|| "case-format".to_owned());
        suites.entry(suite).or_default().push(trial);
    }
    let mut report = Report::new("fgconform");
    let at = |text: &str| DateTime::parse_from_rfc3339(text).ok();
    let (started, finished) = (
        at(&json.run_info.started_at),
        at(&json.run_info.finished_at),
    );
    if let Some(started) = started {
        report.set_timestamp(started);
        if let Some(Ok(time)) = finished.map(|finished| (finished - started).to_std()) {
            report.set_time(time);
        }
    }
    for (name, mut trials) in suites {
        trials.sort_by(|a, b| a.id.cmp(&b.id));
        let mut suite = TestSuite::new(name);
        suite.add_test_cases(trials.into_iter().map(test_case));
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .expect("a report of strings always serializes")
}

fn millis(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default()
}

fn test_case(trial: &json::Trial) -> TestCase {
    let name = trial
        .id
        .split_once("::")
        .map_or(trial.id.as_str(), |(_, case)| case);
    let message = trial.message.clone().unwrap_or_default();
    let verdict = trial.verdict.as_str();
    let reason = trial.expected_reason.as_deref().unwrap_or_default();
    let mut out = None;
    let mut status = match verdict {
        "pass" | "flaky" => TestCaseStatus::success(),
        "expected-failure" => {
            out = Some(format!("failed as expected: {reason}\n\n{message}"));
            TestCaseStatus::success()
        }
        "skipped" => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(message.as_str());
            status
        }
        _ => {
            let (kind, text) = match verdict {
                "unexpected-pass" => (
                    NonSuccessKind::Failure,
                    format!(
                        "passed, but the expectations file expects it to fail ({reason})\n{message}"
                    ),
                ),
                "fail" => (NonSuccessKind::Failure, message),
                _ => (NonSuccessKind::Error, message),
            };
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_type(verdict)
                .set_message(text.lines().next().unwrap_or_default())
                .set_description(text.as_str());
            if let Some(failure) = trial.failure.as_ref().filter(|f| !f.log.is_empty()) {
                out = Some(failure.log.clone());
            }
            status
        }
    };
    // Failed attempts before the last: on a success `flakyFailure`/`flakyError`, on a failure
    // `rerunFailure`/`rerunError`, as cargo-nextest writes them.
    status.add_reruns(trial.failed_attempts.iter().map(rerun));
    let mut case = TestCase::new(name, status);
    case.set_classname(trial.area.as_str())
        .set_time(millis(trial.duration_ms));
    if let Some(out) = out {
        case.set_system_out(out);
    }
    case
}

fn rerun(attempt: &AttemptInfo) -> TestRerun {
    let kind = if attempt.verdict == "error" {
        NonSuccessKind::Error
    } else {
        NonSuccessKind::Failure
    };
    let mut rerun = TestRerun::new(kind);
    rerun
        .set_type(attempt.verdict.as_str())
        .set_message(attempt.message.lines().next().unwrap_or_default())
        .set_description(attempt.message.as_str())
        .set_time(millis(attempt.duration_ms));
    rerun
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The Jenkins JUnit format's elements, the children each may hold and their attributes, as
    /// the format is documented (not the XSD itself, which the project does not ship). Looser in
    /// one place: `testsuites` may carry `skipped`, `timestamp` and `uuid`, which quick-junit
    /// writes and Jenkins ignores. Every element of the report must be here, inside its parent.
    const SCHEMA: &[(&str, &[&str], &[&str])] = &[
        (
            "testsuites",
            &["testsuite"],
            &[
                "name",
                "time",
                "tests",
                "failures",
                "disabled",
                "errors",
                "skipped",
                "timestamp",
                "uuid",
            ],
        ),
        (
            "testsuite",
            &["properties", "testcase", "system-out", "system-err"],
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "group",
                "time",
                "disabled",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
                "version",
            ],
        ),
        ("properties", &["property"], &[]),
        ("property", &[], &["name", "value"]),
        (
            "testcase",
            &[
                "skipped",
                "error",
                "failure",
                "flakyFailure",
                "flakyError",
                "rerunFailure",
                "rerunError",
                "system-out",
                "system-err",
            ],
            &[
                "name",
                "assertions",
                "time",
                "classname",
                "status",
                "timestamp",
                "group",
            ],
        ),
        ("skipped", &[], &["message"]),
        ("error", &[], &["message", "type"]),
        ("failure", &[], &["message", "type"]),
        ("flakyFailure", RERUN_CHILDREN, RERUN_ATTRIBUTES),
        ("flakyError", RERUN_CHILDREN, RERUN_ATTRIBUTES),
        ("rerunFailure", RERUN_CHILDREN, RERUN_ATTRIBUTES),
        ("rerunError", RERUN_CHILDREN, RERUN_ATTRIBUTES),
        ("stackTrace", &[], &[]),
        ("system-out", &[], &[]),
        ("system-err", &[], &[]),
    ];

    const RERUN_CHILDREN: &[&str] = &["stackTrace", "system-out", "system-err"];
    const RERUN_ATTRIBUTES: &[&str] = &["message", "type", "timestamp", "time"];

    /// Walks `xml` and checks every element and attribute against [`SCHEMA`].
    fn check_structure(xml: &str) {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut open: Vec<String> = Vec::new();
        loop {
            let event = reader.read_event().expect("well-formed XML");
            let (element, empty) = match &event {
                Event::Start(e) => (e.clone(), false),
                Event::Empty(e) => (e.clone(), true),
                Event::End(_) => {
                    open.pop();
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let name = String::from_utf8(element.name().as_ref().to_vec()).unwrap();
            let (_, _, attributes) = SCHEMA
                .iter()
                .find(|(n, _, _)| *n == name)
                .unwrap_or_else(|| panic!("<{name}> is not in the schema"));
            match open.last() {
                None => assert_eq!(name, "testsuites"),
                Some(parent) => {
                    let (_, children, _) = SCHEMA.iter().find(|(n, _, _)| n == parent).unwrap();
                    assert!(
                        children.contains(&name.as_str()),
                        "<{name}> inside <{parent}>"
                    );
                }
            }
            for attribute in element.attributes() {
                let key = String::from_utf8(attribute.unwrap().key.as_ref().to_vec()).unwrap();
                assert!(attributes.contains(&key.as_str()), "{name}/@{key}");
            }
            if !empty {
                open.push(name);
            }
        }
        assert!(open.is_empty());
    }

    #[test]
    fn parses_back_with_one_suite_per_runtime_the_counts_and_the_schema() {
        let xml = render(&json::report(&sample::run_info(), &sample::records()));
        check_structure(&xml);
        let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(
            (report.tests, report.failures, report.errors),
            (8, 2, 2),
            "{xml}"
        );
        let names: Vec<_> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Node.js20.15", "case-format"]);
        let node = &report.test_suites[0];
        assert_eq!(
            (node.tests, node.failures, node.errors, node.skipped),
            (7, 2, 1, 1)
        );
        let case = |name: &str| {
            report
                .test_suites
                .iter()
                .flat_map(|s| &s.test_cases)
                .find(|c| c.name.as_str() == name)
                .unwrap()
        };
        let failed = case("handler::fails");
        assert_eq!(
            failed.classname.as_ref().map(|c| c.as_str()),
            Some("handler")
        );
        assert_eq!(failed.time, Some(std::time::Duration::from_millis(1500)));
        let TestCaseStatus::NonSuccess {
            kind, description, ..
        } = &failed.status
        else {
            panic!("{failed:?}");
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert!(
            description
                .as_ref()
                .unwrap()
                .as_str()
                .contains("+  \"a\": 2")
        );
        assert_eq!(
            failed.system_out.as_ref().unwrap().as_str(),
            "a log line <&>"
        );
        let known = case("handler::known");
        assert!(matches!(known.status, TestCaseStatus::Success { .. }));
        assert!(
            known
                .system_out
                .as_ref()
                .unwrap()
                .as_str()
                .starts_with("failed as expected: known bug")
        );
        let invalid = case("handler::broken");
        assert!(matches!(
            invalid.status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        ));
        let TestCaseStatus::Success { flaky_runs } = &case("handler::flaky").status else {
            panic!("a flaky trial is a success with its failed attempts");
        };
        assert_eq!(flaky_runs.len(), 1);
        assert_eq!(flaky_runs[0].kind, NonSuccessKind::Failure);
        assert!(
            xml.contains("<flakyFailure") && xml.contains("(first try)"),
            "{xml}"
        );
        // A trial that failed every attempt carries the earlier ones as reruns.
        let mut report = json::report(&sample::run_info(), &sample::records());
        let fails = report
            .trials
            .iter_mut()
            .find(|t| t.id == "Node.js20.15::handler::fails")
            .unwrap();
        fails.failed_attempts = vec![AttemptInfo {
            verdict: "error".into(),
            duration_ms: 5.0,
            message: "ERROR (the target broke)".into(),
        }];
        let rerun = render(&report);
        check_structure(&rerun);
        assert!(
            rerun.contains("<rerunError") && rerun.contains("ERROR (the target broke)"),
            "{rerun}"
        );
        assert!(matches!(
            case("handler::skips").status,
            TestCaseStatus::Skipped { .. }
        ));
    }
}
