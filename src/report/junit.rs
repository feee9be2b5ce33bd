//! The JUnit XML report (`--junit`), written with quick-junit as cargo-nextest writes its own:
//! one `testsuite` per runtime id (`case-format` for cases that do not load), one `testcase`
//! per trial; REPORT-FORMAT.md gives the mapping.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::libtest;
use super::summary::{RunInfo, verdict_name};
use crate::record::TrialRecord;
use crate::verdict::Verdict;

/// The report's XML.
pub fn render(given: &RunInfo, records: &[TrialRecord]) -> String {
    let mut suites: BTreeMap<String, Vec<&TrialRecord>> = BTreeMap::new();
    for record in records {
        let suite = record
            .runtime
            .map_or_else(|| "case-format".to_owned(), |r| r.to_string());
        suites.entry(suite).or_default().push(record);
    }
    let mut report = Report::new("fgconform");
    report.set_timestamp(given.started_at);
    if let Ok(time) = (given.finished_at - given.started_at).to_std() {
        report.set_time(time);
    }
    for (name, mut records) in suites {
        records.sort_by(|a, b| a.id.cmp(&b.id));
        let mut suite = TestSuite::new(name);
        suite.add_test_cases(records.into_iter().map(test_case));
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .expect("a report of strings always serializes")
}

fn test_case(record: &TrialRecord) -> TestCase {
    let name = record
        .id
        .split_once("::")
        .map_or(record.id.as_str(), |(_, case)| case);
    let area = name.split("::").next().unwrap_or_default();
    let message = libtest::message(record).unwrap_or_default();
    let verdict = verdict_name(record);
    let reason = record.expected_failure.as_deref().unwrap_or_default();
    let mut out = None;
    let status = match verdict {
        "pass" => TestCaseStatus::success(),
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
            if let Verdict::Fail(failure) = &record.verdict
                && !failure.evidence.log.is_empty()
            {
                out = Some(failure.evidence.log.clone());
            }
            status
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(area).set_time(record.duration);
    if let Some(out) = out {
        case.set_system_out(out);
    }
    case
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
            &["skipped", "error", "failure", "system-out", "system-err"],
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
        ("system-out", &[], &[]),
        ("system-err", &[], &[]),
    ];

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
        let xml = render(&sample::run_info(), &sample::records());
        check_structure(&xml);
        let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(
            (report.tests, report.failures, report.errors),
            (7, 2, 2),
            "{xml}"
        );
        let names: Vec<_> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Node.js20.15", "case-format"]);
        let node = &report.test_suites[0];
        assert_eq!(
            (node.tests, node.failures, node.errors, node.skipped),
            (6, 2, 1, 1)
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
        assert!(matches!(
            case("handler::skips").status,
            TestCaseStatus::Skipped { .. }
        ));
    }
}
