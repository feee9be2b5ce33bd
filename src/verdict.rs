//! Verdicts and their evidence. Evidence is structured while the trial runs and rendered once,
//! into the text libtest prints, with a diff of expected against actual.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;
use similar::TextDiff;

use crate::matcher::Mismatch;
use crate::package::PackageError;
use crate::protocol::ProtocolError;

#[derive(Debug)]
pub enum Verdict {
    Pass,
    /// The target behaved, and the behaviour is not the expected one.
    Fail(Box<Failure>),
    /// The target or the harness broke; says nothing about the behaviour.
    Error(TrialError),
}

#[derive(Debug)]
pub struct Failure {
    /// 1-based; 0 for the deploy (CreateFunction) a case checks with `[deploy]`.
    pub step: usize,
    pub steps: usize,
    pub step_label: String,
    pub evidence: Evidence,
}

/// What one step observed that its expectation did not allow.
#[derive(Debug)]
pub struct Evidence {
    pub request_id: Option<String>,
    pub mismatches: Vec<Mismatch>,
    pub diffs: Vec<FieldDiff>,
    pub log: String,
}

/// One observed field whose expectation did not hold, for the diff.
#[derive(Debug)]
pub struct FieldDiff {
    pub field: String,
    /// The expectation reconciled with the actual value: equal wherever a matcher held.
    pub expected: Value,
    pub actual: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error("the target is unavailable: {0}")]
    TargetUnavailable(String),
    /// The Node.js release the trial's runtime needs could not be installed (not a network
    /// failure: those fall back to the system node).
    #[error("{0}")]
    NodeNotInstalled(String),
    #[error("cannot package the case: {0}")]
    Package(#[from] PackageError),
    #[error("deploying the function failed: {0}")]
    Deploy(ProtocolError),
    #[error("step {step} ({label}): {source}")]
    Invoke {
        step: usize,
        label: String,
        source: ProtocolError,
    },
    #[error("the trial did not finish within {0:?}; the target hangs or is very slow")]
    TimedOut(Duration),
}

impl Verdict {
    /// The text libtest prints for a trial that did not pass.
    pub fn render(&self, rerun: &str) -> String {
        match self {
            Verdict::Pass => String::new(),
            Verdict::Fail(failure) => format!("{}\nrerun: {rerun}\n", failure.render()),
            Verdict::Error(error) => {
                format!(
                    "ERROR (the target or the harness broke; this is not a conformance verdict): {error}\nrerun: {rerun}\n"
                )
            }
        }
    }
}

impl Failure {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let Evidence {
            request_id,
            mismatches,
            diffs,
            log,
        } = &self.evidence;
        let request = request_id
            .as_deref()
            .map(|id| format!(", request {id}"))
            .unwrap_or_default();
        let at = if self.step == 0 {
            "the deploy".to_owned()
        } else {
            format!("step {} of {}", self.step, self.steps)
        };
        let _ = writeln!(out, "FAIL at {at} ({}{request}):", self.step_label);
        for mismatch in mismatches {
            let _ = writeln!(out, "  {mismatch}");
        }
        for diff in diffs {
            let expected = pretty(&diff.expected);
            let actual = pretty(&diff.actual);
            let text = TextDiff::configure()
                .timeout(Duration::from_millis(500))
                .diff_lines(&expected, &actual)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("expected {}", diff.field),
                    &format!("actual {}", diff.field),
                )
                .to_string();
            let _ = write!(out, "\n{text}");
        }
        if !log.is_empty() {
            let _ = writeln!(out, "\nlog of the call:");
            for line in log.lines() {
                let _ = writeln!(out, "  | {line}");
            }
        }
        out
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let text = Verdict::Fail(Box::new(failure)).render("cargo run --release -- --exact 'x'");
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
