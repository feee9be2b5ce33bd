//! Verdicts and their evidence, as data: what a trial concluded and why. Rendering them is the
//! reports' job (`report`), once, with a diff.

use std::time::Duration;

use serde_json::Value;

use crate::matcher::Mismatch;
use crate::package::PackageError;
use crate::wire::ProtocolError;

#[derive(Debug)]
pub enum Verdict {
    Pass,
    /// The target behaved, and the behaviour is not the expected one.
    Fail(Box<Failure>),
    /// The target or the harness broke; says nothing about the behaviour.
    Error(TrialError),
    /// Not run: the runtime is outside the case's range, or the target does not declare a
    /// feature the case needs. The reason says which.
    Skipped(String),
    /// An input does not load (a case, or an expectations entry naming no trial): the message,
    /// naming its file, key and line, as printed.
    CaseInvalid(String),
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
    /// The call's log, as the answer carried it (empty when it carried none).
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
    /// The target cannot serve the trial's runtime (for fgref: its Node.js release could not be
    /// installed, and no system node stands in); the message says what to do.
    #[error("{0}")]
    RuntimeUnavailable(String),
    #[error("cannot package the case: {0}")]
    Package(#[from] PackageError),
    #[error("deploying the function failed: {0}")]
    Deploy(ProtocolError),
    #[error("creating the dependency {name} failed: {source}")]
    Dependency { name: String, source: ProtocolError },
    #[error("step {step} ({label}): {source}")]
    Invoke {
        step: usize,
        label: String,
        source: ProtocolError,
    },
    #[error("the trial did not finish within {0:?}; the target hangs or is very slow")]
    TimedOut(Duration),
}
