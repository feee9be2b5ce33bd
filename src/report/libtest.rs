//! The first report: libtest's own lines. libtest-mimic prints one line per trial and the summary;
//! this sink gives it each record's outcome, and for a trial that did not pass the text under its
//! name: the mismatches, a diff per field, the call's log and the command that reruns it.

use std::fmt::Write as _;
use std::time::Duration;

use libtest_mimic::{Completion, Failed};
use serde_json::Value;
use similar::TextDiff;

use crate::record::TrialRecord;
use crate::verdict::{Evidence, Failure, FieldDiff, Verdict};

/// What libtest shows for `record`.
pub fn outcome(record: &TrialRecord) -> Result<Completion, Failed> {
    match &record.verdict {
        Verdict::Pass => Ok(Completion::Completed),
        Verdict::Skipped(reason) => Ok(Completion::ignored_with(reason)),
        _ => Err(message(record).unwrap_or_default().into()),
    }
}

/// The text libtest shows under a trial that did not pass (for a skipped one, the reason it
/// prints); `None` for a pass. The whole-run reports quote it as it is.
pub fn message(record: &TrialRecord) -> Option<String> {
    let rerun = &record.rerun;
    match &record.verdict {
        Verdict::Pass => None,
        Verdict::Skipped(reason) => Some(reason.clone()),
        Verdict::CaseInvalid(message) => Some(message.clone()),
        Verdict::Fail(failure) => Some(format!("{}\nrerun: {rerun}\n", failure_text(failure))),
        Verdict::Error(error) => Some(format!(
            "ERROR (the target or the harness broke; this is not a conformance verdict): {error}\nrerun: {rerun}\n"
        )),
    }
}

/// A failure as a person reads it: where, each mismatch on a line, a diff per structured field,
/// the call's log.
pub fn failure_text(failure: &Failure) -> String {
    let mut out = String::new();
    let Evidence {
        request_id,
        mismatches,
        diffs,
        log,
    } = &failure.evidence;
    let request = request_id
        .as_deref()
        .map(|id| format!(", request {id}"))
        .unwrap_or_default();
    let at = if failure.step == 0 {
        "the deploy".to_owned()
    } else {
        format!("step {} of {}", failure.step, failure.steps)
    };
    let _ = writeln!(out, "FAIL at {at} ({}{request}):", failure.step_label);
    for mismatch in mismatches {
        let _ = writeln!(out, "  {mismatch}");
    }
    for diff in diffs {
        let _ = write!(out, "\n{}", unified_diff(diff));
    }
    if !log.is_empty() {
        let _ = writeln!(out, "\nlog of the call:");
        for line in log.lines() {
            let _ = writeln!(out, "  | {line}");
        }
    }
    out
}

/// The unified diff of a field's expected (reconciled) value against the actual one.
pub fn unified_diff(diff: &FieldDiff) -> String {
    let expected = pretty(&diff.expected);
    let actual = pretty(&diff.actual);
    TextDiff::configure()
        .timeout(Duration::from_millis(500))
        .diff_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("expected {}", diff.field),
            &format!("actual {}", diff.field),
        )
        .to_string()
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Mismatch;
    use serde_json::json;

    #[test]
    fn a_failure_renders_mismatches_a_diff_the_log_and_the_rerun_command() {
        let failure = Failure {
            step: 1,
            steps: 2,
            step_label: "event.json → expected.json".into(),
            evidence: Evidence {
                request_id: Some("r-1".into()),
                mismatches: vec![Mismatch {
                    path: "error.errorType".into(),
                    expected: "\"Error\"".into(),
                    actual: "\"TypeError\"".into(),
                }],
                diffs: vec![FieldDiff {
                    field: "error".into(),
                    expected: json!({"errorType": "Error", "errorMessage": "m"}),
                    actual: json!({"errorType": "TypeError", "errorMessage": "m"}),
                }],
                log: "line one\nline two".into(),
            },
        };
        let record = TrialRecord {
            id: "Node.js20.15::area::case".into(),
            case_dir: "cases/area/case".into(),
            runtime: None,
            level: None,
            features: Vec::new(),
            statements: Vec::new(),
            verdict: Verdict::Fail(Box::new(failure)),
            steps: Vec::new(),
            node_version: None,
            duration: Duration::ZERO,
            rerun: "cargo run --release -- --exact 'x'".into(),
            expected_failure: None,
            failed_attempts: Vec::new(),
        };
        let Err(failed) = outcome(&record) else {
            panic!("a failure must fail the trial");
        };
        let text = failed.message().unwrap().to_owned();
        assert!(
            text.contains("FAIL at step 1 of 2 (event.json → expected.json, request r-1)"),
            "{text}"
        );
        assert!(
            text.contains("error.errorType: expected \"Error\", got \"TypeError\""),
            "{text}"
        );
        assert!(
            text.contains("--- expected error") && text.contains("+++ actual error"),
            "{text}"
        );
        assert!(
            text.contains("-  \"errorType\": \"Error\"")
                && text.contains("+  \"errorType\": \"TypeError\""),
            "{text}"
        );
        assert!(text.contains("  | line two"), "{text}");
        assert!(
            text.ends_with("rerun: cargo run --release -- --exact 'x'\n"),
            "{text}"
        );
    }
}
