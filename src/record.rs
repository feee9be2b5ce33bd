//! Trial records: what running a trial produced, everything a report needs and nothing it must
//! work out again. Running returns records; reports render them.

use std::path::PathBuf;
use std::time::Duration;

use crate::case::Level;
use crate::runtime_id::RuntimeId;
use crate::verdict::Verdict;

/// One trial, run (or skipped, or not loadable).
#[derive(Debug)]
pub struct TrialRecord {
    /// `<runtime>::<area>::<case>`, or `case-format::<area>::<case>` for a case that does not
    /// load: the name libtest shows and `--exact` takes.
    pub id: String,
    /// The case directory.
    pub case_dir: PathBuf,
    /// `None` for a case that does not load.
    pub runtime: Option<RuntimeId>,
    /// `None` for a case that does not load.
    pub level: Option<Level>,
    pub features: Vec<String>,
    /// The ids of the statements the case cites (`statements`); empty for a case that does not
    /// load.
    pub statements: Vec<String>,
    pub verdict: Verdict,
    /// The steps that ran, in order, up to the one that decided the verdict.
    pub steps: Vec<StepRecord>,
    /// The node the target said the trial's last invoke ran on (`X-Fgref-Node-Version`).
    pub node_version: Option<String>,
    pub duration: Duration,
    /// The command that runs this trial again, with the same target and corpus.
    pub rerun: String,
    /// The reason the target's expectations file gives for this trial being expected to fail;
    /// `None`: expected to pass.
    pub expected_failure: Option<String>,
    /// The attempts before the last when `--retries` ran the trial again, oldest first: each
    /// failed or errored. A trial whose last attempt passed after failed ones is flaky.
    pub failed_attempts: Vec<Attempt>,
}

/// One attempt of a trial that failed or errored and was run again (`--retries`).
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `fail` or `error`.
    pub verdict: &'static str,
    /// The text libtest would have printed under it.
    pub message: String,
    pub duration: Duration,
}

/// One step that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// `event.json → expected.json`, as failures name the step.
    pub label: String,
    /// The `X-Cff-Request-Id` of each invoke the step sent (several for `concurrent`); empty for
    /// CreateFunction and DeleteFunction steps.
    pub request_ids: Vec<String>,
}
