//! A small run for the reports' unit tests: one trial of every verdict name.

use std::time::Duration;

use chrono::TimeZone;
use serde_json::json;

use super::summary::RunInfo;
use crate::case::Level;
use crate::matcher::Mismatch;
use crate::record::{Attempt, StepRecord, TrialRecord};
use crate::runtime_id::RuntimeId;
use crate::verdict::{Evidence, Failure, FieldDiff, TrialError, Verdict};

pub fn run_info() -> RunInfo {
    let at = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    RunInfo {
        git_revision: None,
        corpus_root: "cases".into(),
        corpus_digest: "sha256:00".into(),
        corpus_cases: 6,
        target_name: "fgref".into(),
        target_kind: "embedded",
        target_url: None,
        runtimes: vec![
            RuntimeId::parse("Node.js6.10").unwrap(),
            RuntimeId::parse("Node.js20.15").unwrap(),
        ],
        levels: Vec::new(),
        features: Vec::new(),
        partition: None,
        started_at: at,
        finished_at: at,
    }
}

fn record(name: &str, verdict: Verdict, expected_failure: Option<&str>) -> TrialRecord {
    let case = name.split_once("::").unwrap().1;
    let invalid = name.starts_with("case-format::");
    TrialRecord {
        id: name.into(),
        case_dir: format!("cases/{}", case.replace("::", "/")).into(),
        runtime: if invalid {
            None
        } else {
            RuntimeId::parse("Node.js20.15")
        },
        level: (!invalid).then_some(Level::Documented),
        features: Vec::new(),
        statements: if invalid {
            Vec::new()
        } else {
            vec![format!(
                "{}.statement",
                case.split("::").next().unwrap_or(case)
            )]
        },
        verdict,
        steps: vec![StepRecord {
            label: "event.json → expected.json".into(),
            request_ids: vec!["r-1".into()],
        }],
        node_version: (!invalid).then(|| "20.15.1".into()),
        duration: Duration::from_millis(1500),
        rerun: "cargo run -- --exact x".into(),
        expected_failure: expected_failure.map(str::to_owned),
        failed_attempts: Vec::new(),
    }
}

fn failure() -> Verdict {
    Verdict::Fail(Box::new(Failure {
        step: 1,
        steps: 1,
        step_label: "event.json → expected.json".into(),
        evidence: Evidence {
            request_id: Some("r-1".into()),
            mismatches: vec![Mismatch {
                path: "result.a".into(),
                expected: "1".into(),
                actual: "2".into(),
            }],
            diffs: vec![FieldDiff {
                field: "result".into(),
                expected: json!({"a": 1}),
                actual: json!({"a": 2}),
            }],
            log: "a log line <&>".into(),
        },
    }))
}

/// One record of each verdict name, deliberately out of id order.
pub fn records() -> Vec<TrialRecord> {
    let error = || Verdict::Error(TrialError::TargetUnavailable("refused".into()));
    vec![
        record(
            "Node.js20.15::handler::unexpected",
            Verdict::Pass,
            Some("was broken"),
        ),
        record("Node.js20.15::handler::ok", Verdict::Pass, None),
        record("Node.js20.15::handler::fails", failure(), None),
        record("Node.js20.15::handler::errs", error(), None),
        record(
            "Node.js20.15::handler::skips",
            Verdict::Skipped("skipped: why".into()),
            None,
        ),
        record(
            "case-format::handler::broken",
            Verdict::CaseInvalid("bad key".into()),
            None,
        ),
        record("Node.js20.15::handler::known", failure(), Some("known bug")),
        TrialRecord {
            failed_attempts: vec![Attempt {
                verdict: "fail",
                message: "FAIL at step 1 of 1 (first try)\nrerun: x\n".into(),
                duration: Duration::from_millis(700),
            }],
            ..record("Node.js20.15::handler::flaky", Verdict::Pass, None)
        },
    ]
}
