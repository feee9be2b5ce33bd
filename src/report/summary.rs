//! What every whole-run report shares: the verdict names reports use, and the facts about a run
//! that its records do not hold (`RunInfo`, which `cli` gathers).

use chrono::{DateTime, Utc};

use crate::record::TrialRecord;
use crate::runtime_id::RuntimeId;
use crate::verdict::Verdict;

/// Every name [`verdict_name`] answers, in the order reports list them.
pub const VERDICT_NAMES: [&str; 8] = [
    "pass",
    "flaky",
    "fail",
    "error",
    "skipped",
    "case-invalid",
    "expected-failure",
    "unexpected-pass",
];

/// The verdict as reports name it: `pass`, `flaky` (passed after failed attempts, `--retries`),
/// `fail`, `error`, `skipped`, `case-invalid`, and for a trial the target's expectations file
/// lists, `expected-failure` (it failed or errored) or `unexpected-pass` (it passed, on whichever
/// attempt: retries come before the expectations file).
pub fn verdict_name(record: &TrialRecord) -> &'static str {
    let expected_to_fail = record.expected_failure.is_some();
    match &record.verdict {
        Verdict::Pass if expected_to_fail => "unexpected-pass",
        Verdict::Fail(_) | Verdict::Error(_) if expected_to_fail => "expected-failure",
        Verdict::Pass if !record.failed_attempts.is_empty() => "flaky",
        Verdict::Pass => "pass",
        Verdict::Fail(_) => "fail",
        Verdict::Error(_) => "error",
        Verdict::Skipped(_) => "skipped",
        Verdict::CaseInvalid(_) => "case-invalid",
    }
}

/// What a report says about the run beside its records: gathered by `cli` around the run.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// `git rev-parse HEAD` of the suite's checkout, when there is one.
    pub git_revision: Option<String>,
    /// The corpus root as given (`--cases`, or the default).
    pub corpus_root: std::path::PathBuf,
    /// `sha256:<hex>` (`corpus_digest`).
    pub corpus_digest: String,
    /// How many case directories the corpus holds.
    pub corpus_cases: usize,
    pub target_name: String,
    /// `embedded`, `command` or `url`.
    pub target_kind: &'static str,
    /// The target's base URL, for a `url` target.
    pub target_url: Option<String>,
    /// The runtime ids the run covers.
    pub runtimes: Vec<RuntimeId>,
    /// `--level`, by name (empty: every level).
    pub levels: Vec<String>,
    /// `--feature` (empty: every feature).
    pub features: Vec<String>,
    /// `--partition`, as given (`hash:1/3`); `None`: the whole selection.
    pub partition: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::TrialError;

    fn record(verdict: Verdict, expected_failure: Option<&str>) -> TrialRecord {
        TrialRecord {
            id: "Node.js20.15::a::b".into(),
            case_dir: "a/b".into(),
            runtime: None,
            level: None,
            features: Vec::new(),
            statements: Vec::new(),
            verdict,
            steps: Vec::new(),
            node_version: None,
            duration: std::time::Duration::ZERO,
            rerun: String::new(),
            expected_failure: expected_failure.map(str::to_owned),
            failed_attempts: Vec::new(),
        }
    }

    fn flaky(expected_failure: Option<&str>) -> TrialRecord {
        TrialRecord {
            failed_attempts: vec![crate::record::Attempt {
                verdict: "fail",
                message: "FAIL".into(),
                duration: std::time::Duration::ZERO,
            }],
            ..record(Verdict::Pass, expected_failure)
        }
    }

    #[test]
    fn names_each_verdict_and_the_expected_ones() {
        let error = || Verdict::Error(TrialError::TargetUnavailable("x".into()));
        let cases = [
            (record(Verdict::Pass, None), "pass"),
            (record(error(), None), "error"),
            (record(Verdict::Skipped("s".into()), None), "skipped"),
            (
                record(Verdict::CaseInvalid("c".into()), None),
                "case-invalid",
            ),
            (record(error(), Some("why")), "expected-failure"),
            (record(Verdict::Pass, Some("why")), "unexpected-pass"),
            (record(Verdict::Skipped("s".into()), Some("why")), "skipped"),
            (flaky(None), "flaky"),
            (flaky(Some("why")), "unexpected-pass"),
        ];
        for (record, name) in cases {
            assert_eq!(verdict_name(&record), name, "{:?}", record.verdict);
            assert!(VERDICT_NAMES.contains(&name));
        }
    }
}
