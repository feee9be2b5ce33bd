use std::path::Path;
use std::time::Duration;

use super::bless::{Blessing, TODO_REASON, render};
use super::*;
use crate::record::TrialRecord;
use crate::verdict::TrialError;

fn parse(text: &str) -> Result<Expectations, ExpectationsError> {
    Expectations::parse(Path::new("t.expectations.toml"), text)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const THREE: &str = "\
# header
[[expected_failure]]
id = \"Node.js6.10::handler::foo\"
reason = \"one\"

[[expected_failure]]
id = \"handler::foo\"
reason = \"two\"

[[expected_failure]]
id = \"*::telemetry::*\"
reason = \"three\"
";

#[test]
fn entries_keep_their_line_and_reason() {
    let expectations = parse(THREE).unwrap();
    let lines: Vec<_> = expectations
        .entries
        .iter()
        .map(|e| (e.id.as_str(), e.reason.as_str(), e.line))
        .collect();
    assert_eq!(
        lines,
        [
            ("Node.js6.10::handler::foo", "one", 2),
            ("handler::foo", "two", 6),
            ("*::telemetry::*", "three", 10),
        ]
    );
    assert!(parse("").unwrap().entries.is_empty());
}

#[test]
fn a_trial_id_wins_over_a_case_id_which_wins_over_a_glob() {
    let expectations = parse(THREE).unwrap();
    let reason = |trial: &str| expectations.lookup(trial).map(|e| e.reason.as_str());
    assert_eq!(reason("Node.js6.10::handler::foo"), Some("one"));
    assert_eq!(reason("Node.js20.15::handler::foo"), Some("two"));
    assert_eq!(reason("Node.js20.15::handler::foobar"), None);
    assert_eq!(reason("Node.js20.15::telemetry::a"), Some("three"));
    assert_eq!(reason("Node.js20.15::handler::bar"), None);
    // A case id never matches a longer or shorter case.
    assert_eq!(reason("Node.js20.15::x::handler::foo"), None);
}

#[test]
fn globs_match_trial_ids_but_never_case_format_or_expectations_trials() {
    let expectations =
        parse("[[expected_failure]]\nid = \"*\"\nreason = \"everything\"\n").unwrap();
    assert!(expectations.lookup("Node.js8.10::a::b").is_some());
    assert!(expectations.lookup("case-format::a::b").is_none());
    assert!(expectations.lookup("expectations::f.toml:3").is_none());
    let runtimes =
        parse("[[expected_failure]]\nid = \"Node.js1[0-4]*::a::*\"\nreason = \"old\"\n").unwrap();
    assert!(runtimes.lookup("Node.js12.13::a::b").is_some());
    assert!(runtimes.lookup("Node.js20.15::a::b").is_none());
}

#[test]
fn entries_matching_no_trial_are_dangling_with_their_line() {
    let expectations = parse(THREE).unwrap();
    let trials = vec![
        "Node.js6.10::handler::foo".to_owned(),
        "Node.js6.10::handler::bar".to_owned(),
    ];
    let dangling: Vec<_> = expectations
        .dangling(&trials)
        .into_iter()
        .map(|e| e.line)
        .collect();
    assert_eq!(dangling, [10]);
    let message = Dangling(&expectations.file, &expectations.entries[2]).to_string();
    assert!(
        message.starts_with("t.expectations.toml:10: `id`: `*::telemetry::*` matches no trial"),
        "{message}"
    );
}

#[test]
fn every_error_names_the_file_the_key_and_the_line() {
    for (text, needle) in [
        (
            "[[expected_failure]]\nid = \"a::b\"\nrason = \"typo\"\n",
            "t.expectations.toml:3: `rason`: unknown field `rason`",
        ),
        (
            "[[expected_failures]]\nid = \"a::b\"\nreason = \"r\"\n",
            "t.expectations.toml:1: `expected_failures`: unknown field `expected_failures`",
        ),
        (
            "\n[[expected_failure]]\nid = \"a::b\"\n",
            "t.expectations.toml:2: `expected_failure`: missing field `reason`",
        ),
        (
            "[[expected_failure]]\nid = \"a::b\"\nreason = 3\n",
            "t.expectations.toml:3: `reason`: invalid type",
        ),
        (
            "[[expected_failure]]\nid = \"a::b\"\nreason = \"  \"\n",
            "t.expectations.toml:3: `reason`: is empty",
        ),
        (
            "[[expected_failure]]\nid = \"\"\nreason = \"r\"\n",
            "t.expectations.toml:2: `id`: is empty",
        ),
        (
            "[[expected_failure]]\nid = \"Node.js9::a::b\"\nreason = \"r\"\n",
            "t.expectations.toml:2: `id`: `Node.js9::a::b`: unknown runtime id `Node.js9`",
        ),
        (
            "[[expected_failure]]\nid = \"Node.js20.15::a\"\nreason = \"r\"\n",
            "t.expectations.toml:2: `id`: `Node.js20.15::a` names a runtime but no case",
        ),
        (
            "[[expected_failure]]\nid = \"handler\"\nreason = \"r\"\n",
            "t.expectations.toml:2: `id`: `handler` is neither a trial id",
        ),
        (
            "[[expected_failure]]\nid = \"*::[a\"\nreason = \"r\"\n",
            "t.expectations.toml:2: `id`: `*::[a` is not a valid glob",
        ),
        (
            "[[expected_failure]]\nid = \"case-format::a::b\"\nreason = \"r\"\n",
            "t.expectations.toml:2: `id`: `case-format::a::b`: `case-format` trials cannot",
        ),
        (
            "[[expected_failure]]\nid = \"a::b\"\nreason = \"r\"\n[[expected_failure]]\nid = \"a::b\"\nreason = \"again\"\n",
            "t.expectations.toml:5: `id`: `a::b` is listed twice; the first entry is at line 1",
        ),
        (
            "[[expected_failure]]\nid = \"a::b\"\nreason = \"r\n",
            "t.expectations.toml:3: `reason`:",
        ),
    ] {
        let message = error(text);
        assert!(message.starts_with(needle), "{needle}\n  got: {message}");
    }
    let missing = Expectations::load(Path::new("/nonexistent/x.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("the expectations file /nonexistent/x.toml: cannot read"),
        "{missing}"
    );
}

#[test]
fn a_listed_failure_or_error_is_ok_and_a_listed_pass_fails_naming_the_entry() {
    let expectations = parse(THREE).unwrap();
    let entry = &expectations.entries[1];
    let file = Path::new("runtimes/mine.expectations.toml");
    let fail = Verdict::Fail(Box::new(crate::verdict::Failure {
        step: 1,
        steps: 1,
        step_label: "event.json → expected.json".into(),
        evidence: crate::verdict::Evidence {
            request_id: None,
            mismatches: Vec::new(),
            diffs: Vec::new(),
            log: String::new(),
        },
    }));
    let error = Verdict::Error(TrialError::TimedOut(Duration::from_secs(1)));
    for verdict in [fail, error] {
        assert!(matches!(
            entry.outcome(file, &verdict),
            Some(Ok(Completion::Completed))
        ));
    }
    let Some(Err(failed)) = entry.outcome(file, &Verdict::Pass) else {
        panic!("a listed pass must fail");
    };
    assert_eq!(
        failed.message(),
        Some("passes now: remove the entry at runtimes/mine.expectations.toml:6")
    );
    assert!(entry.outcome(file, &Verdict::Skipped("s".into())).is_none());
    assert!(
        entry
            .outcome(file, &Verdict::CaseInvalid("c".into()))
            .is_none()
    );
}

fn record(id: &str, verdict: Verdict) -> TrialRecord {
    TrialRecord {
        id: id.into(),
        case_dir: "a/b".into(),
        runtime: crate::runtime_id::RuntimeId::parse(id.split("::").next().unwrap()),
        level: None,
        features: Vec::new(),
        statements: Vec::new(),
        verdict,
        steps: Vec::new(),
        node_version: None,
        duration: Duration::ZERO,
        rerun: String::new(),
        expected_failure: None,
        failed_attempts: Vec::new(),
    }
}

#[test]
fn blessing_lists_failures_sorted_keeps_reasons_and_what_did_not_run() {
    let existing = parse(THREE).unwrap();
    let blessing = Blessing {
        file: "t.expectations.toml".into(),
        unnamed_in: None,
        existing: Some(existing),
        trials: vec![
            "Node.js6.10::handler::foo".into(),
            "Node.js20.15::handler::foo".into(),
            "Node.js20.15::handler::new".into(),
            "Node.js20.15::handler::fine".into(),
            "Node.js8.10::handler::foo".into(),
        ],
    };
    let timeout = || Verdict::Error(TrialError::TimedOut(Duration::from_secs(1)));
    let records = vec![
        record("Node.js6.10::handler::foo", timeout()),
        record("Node.js20.15::handler::foo", Verdict::Pass),
        record("Node.js20.15::handler::new", timeout()),
        record("Node.js20.15::handler::fine", Verdict::Pass),
        record(
            "case-format::handler::broken",
            Verdict::CaseInvalid("x".into()),
        ),
    ];
    let entries = blessing.entries(&records);
    let listed: Vec<_> = entries
        .iter()
        .map(|(id, reason)| (id.as_str(), reason.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("Node.js20.15::handler::new", TODO_REASON),
            ("Node.js6.10::handler::foo", "one"),
            // Did not run: what the old file said of it stays.
            ("Node.js8.10::handler::foo", "two"),
        ]
    );
    let text = render(&entries);
    assert!(text.starts_with("# "), "{text}");
    let again = parse(&text).unwrap();
    assert_eq!(again.entries.len(), 3);
    assert_eq!(again.entries[0].id, "Node.js20.15::handler::new");
    assert_eq!(again.entries[0].reason, TODO_REASON);
    assert!(
        parse(&render(&Default::default()))
            .unwrap()
            .entries
            .is_empty()
    );
}
