//! The JSON report (`--json`, format `fgconform-report/1`): the run's facts and every trial, as
//! REPORT-FORMAT.md describes them field by field. The types here are that format; serde writes
//! them in declaration order, trials sorted by id.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::libtest;
use super::summary::{RunInfo as Given, VERDICT_NAMES, verdict_name};
use crate::record::TrialRecord;
use crate::verdict::Verdict;

pub const FORMAT: &str = "fgconform-report/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub run_info: RunInfo,
    pub totals: Totals,
    /// Each statement the trials cite, with what their verdicts say of it.
    #[serde(default)]
    pub statements: Vec<StatementOutcome>,
    pub trials: Vec<Trial>,
}

/// What the trials that cite a statement say of it. A failing trial may have failed on any of
/// the statements it cites, so `failing` says where to look, not which statement broke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementOutcome {
    pub id: String,
    /// `failing`: a trial citing it failed (`fail`, `flaky`, `expected-failure`); `unsure`: none
    /// failed but one erred; `held`: one passed and none failed or erred; `not-run`: all skipped
    /// or invalid.
    pub verdict: String,
    /// How many trials cite it.
    pub trials: usize,
    /// The trials that failed or erred, by id.
    pub failing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub suite: SuiteInfo,
    pub corpus: CorpusInfo,
    pub target: TargetInfo,
    pub runtimes: BTreeMap<String, RuntimeInfo>,
    pub selection: SelectionInfo,
    pub host: HostInfo,
    pub started_at: String,
    pub finished_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub name: String,
    pub version: String,
    pub git_revision: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    pub root: String,
    pub digest: String,
    pub cases: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeInfo {
    pub node_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionInfo {
    pub runtimes: Vec<String>,
    pub levels: Vec<String>,
    pub features: Vec<String>,
    /// `--partition` (`hash:K/N`, `slice:K/N`); `None`: the whole selection.
    #[serde(default)]
    pub partition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub os: String,
    pub arch: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub pass: usize,
    #[serde(default)]
    pub flaky: usize,
    pub fail: usize,
    pub error: usize,
    pub skipped: usize,
    #[serde(rename = "case-invalid")]
    pub case_invalid: usize,
    #[serde(rename = "expected-failure")]
    pub expected_failure: usize,
    #[serde(rename = "unexpected-pass")]
    pub unexpected_pass: usize,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub id: String,
    pub case: String,
    pub area: String,
    pub case_path: String,
    pub runtime: Option<String>,
    pub level: Option<String>,
    pub features: Vec<String>,
    /// The statements the case cites.
    #[serde(default)]
    pub statements: Vec<String>,
    pub verdict: String,
    pub expected: String,
    pub expected_reason: Option<String>,
    pub duration_ms: f64,
    pub node_version: Option<String>,
    pub steps: Vec<Step>,
    pub message: Option<String>,
    pub failure: Option<FailureInfo>,
    pub rerun: String,
    /// The attempts before the last (`--retries`), oldest first.
    #[serde(default)]
    pub failed_attempts: Vec<AttemptInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptInfo {
    pub verdict: String,
    pub duration_ms: f64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub label: String,
    pub request_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureInfo {
    pub step: usize,
    pub steps: usize,
    pub step_label: String,
    pub request_id: Option<String>,
    pub mismatches: Vec<MismatchInfo>,
    pub diffs: Vec<DiffInfo>,
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MismatchInfo {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffInfo {
    pub field: String,
    pub unified: String,
}

impl Totals {
    /// The totals of `trials`.
    pub fn of(trials: &[Trial]) -> Totals {
        let mut totals = Totals::default();
        for trial in trials {
            debug_assert!(VERDICT_NAMES.contains(&trial.verdict.as_str()));
            totals.count(&trial.verdict);
        }
        totals
    }

    fn count(&mut self, verdict: &str) {
        let slot = match verdict {
            "pass" => &mut self.pass,
            "flaky" => &mut self.flaky,
            "fail" => &mut self.fail,
            "error" => &mut self.error,
            "skipped" => &mut self.skipped,
            "case-invalid" => &mut self.case_invalid,
            "expected-failure" => &mut self.expected_failure,
            _ => &mut self.unexpected_pass,
        };
        *slot += 1;
        self.total += 1;
    }
}

impl StatementOutcome {
    /// The outcome of every statement `trials` cite, by id.
    pub fn of(trials: &[Trial]) -> Vec<StatementOutcome> {
        StatementOutcome::of_cited(
            trials
                .iter()
                .map(|t| (t.id.as_str(), t.verdict.as_str(), t.statements.as_slice())),
        )
    }

    /// The outcome of every statement cited by the trials given as (id, verdict name, cited
    /// statements), by id.
    fn of_cited<'a>(
        trials: impl Iterator<Item = (&'a str, &'a str, &'a [String])>,
    ) -> Vec<StatementOutcome> {
        struct Cited<'a> {
            id: &'a str,
            verdict: &'a str,
        }
        let mut by_id: BTreeMap<&str, Vec<Cited>> = BTreeMap::new();
        for (id, verdict, statements) in trials {
            for statement in statements {
                by_id
                    .entry(statement)
                    .or_default()
                    .push(Cited { id, verdict });
            }
        }
        by_id
            .into_iter()
            .map(|(id, citing)| {
                let has = |verdicts: &[&str]| citing.iter().any(|t| verdicts.contains(&t.verdict));
                let verdict = if has(&["fail", "flaky", "expected-failure"]) {
                    "failing"
                } else if has(&["error"]) {
                    "unsure"
                } else if has(&["pass", "unexpected-pass"]) {
                    "held"
                } else {
                    "not-run"
                };
                let failing = citing
                    .iter()
                    .filter(|t| ["fail", "flaky", "expected-failure", "error"].contains(&t.verdict))
                    .map(|t| t.id.to_owned())
                    .collect();
                StatementOutcome {
                    id: id.to_owned(),
                    verdict: verdict.into(),
                    trials: citing.len(),
                    failing,
                }
            })
            .collect()
    }
}

/// The report of a run: `given` (what `cli` gathered) and its records.
pub fn report(given: &Given, records: &[TrialRecord]) -> Report {
    let mut trials: Vec<Trial> = records
        .iter()
        .map(|record| trial(record, &given.corpus_root))
        .collect();
    trials.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        format: FORMAT.into(),
        run_info: run_info(given, records),
        totals: Totals::of(&trials),
        statements: StatementOutcome::of(&trials),
        trials,
    }
}

/// The report as written to a file: pretty, with a final newline.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report always serializes");
    text.push('\n');
    text
}

fn run_info(given: &Given, records: &[TrialRecord]) -> RunInfo {
    let mut versions: BTreeMap<String, BTreeSet<String>> = given
        .runtimes
        .iter()
        .map(|runtime| (runtime.to_string(), BTreeSet::new()))
        .collect();
    for record in records {
        if let (Some(runtime), Some(version)) = (record.runtime, &record.node_version) {
            versions
                .entry(runtime.to_string())
                .or_default()
                .insert(version.clone());
        }
    }
    let iso = |at: &chrono::DateTime<chrono::Utc>| {
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    RunInfo {
        suite: SuiteInfo {
            name: "fgconform".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_revision: given.git_revision.clone(),
        },
        corpus: CorpusInfo {
            root: given.corpus_root.to_string_lossy().into_owned(),
            digest: given.corpus_digest.clone(),
            cases: given.corpus_cases,
        },
        target: TargetInfo {
            name: given.target_name.clone(),
            kind: given.target_kind.into(),
            url: given.target_url.clone(),
        },
        runtimes: versions
            .into_iter()
            .map(|(runtime, versions)| {
                let node_versions = versions.into_iter().collect();
                (runtime, RuntimeInfo { node_versions })
            })
            .collect(),
        selection: SelectionInfo {
            runtimes: given.runtimes.iter().map(ToString::to_string).collect(),
            levels: given.levels.clone(),
            features: given.features.clone(),
            partition: given.partition.clone(),
        },
        host: HostInfo {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
        },
        started_at: iso(&given.started_at),
        finished_at: iso(&given.finished_at),
    }
}

fn trial(record: &TrialRecord, corpus_root: &Path) -> Trial {
    // `<runtime>::<area>::<case>` or `case-format::<area>::<case>`: the case id follows the first
    // `::`.
    let case = record
        .id
        .split_once("::")
        .map_or(record.id.as_str(), |(_, case)| case)
        .to_owned();
    let area = case.split("::").next().unwrap_or_default().to_owned();
    let failure = match &record.verdict {
        Verdict::Fail(failure) => Some(FailureInfo {
            step: failure.step,
            steps: failure.steps,
            step_label: failure.step_label.clone(),
            request_id: failure.evidence.request_id.clone(),
            mismatches: failure
                .evidence
                .mismatches
                .iter()
                .map(|m| MismatchInfo {
                    path: m.path.clone(),
                    expected: m.expected.clone(),
                    actual: m.actual.clone(),
                })
                .collect(),
            diffs: failure
                .evidence
                .diffs
                .iter()
                .map(|diff| DiffInfo {
                    field: diff.field.clone(),
                    unified: libtest::unified_diff(diff),
                })
                .collect(),
            log: failure.evidence.log.clone(),
        }),
        _ => None,
    };
    Trial {
        id: record.id.clone(),
        case,
        area,
        case_path: case_path(&record.case_dir, corpus_root),
        runtime: record.runtime.map(|r| r.to_string()),
        level: record.level.map(|l| l.name().to_owned()),
        features: record.features.clone(),
        statements: record.statements.clone(),
        verdict: verdict_name(record).into(),
        expected: if record.expected_failure.is_some() {
            "fail"
        } else {
            "pass"
        }
        .into(),
        expected_reason: record.expected_failure.clone(),
        duration_ms: record.duration.as_secs_f64() * 1000.0,
        node_version: record.node_version.clone(),
        steps: record
            .steps
            .iter()
            .map(|step| Step {
                label: step.label.clone(),
                request_ids: step.request_ids.clone(),
            })
            .collect(),
        message: libtest::message(record),
        failure,
        rerun: record.rerun.clone(),
        failed_attempts: record
            .failed_attempts
            .iter()
            .map(|attempt| AttemptInfo {
                verdict: attempt.verdict.into(),
                duration_ms: attempt.duration.as_secs_f64() * 1000.0,
                message: attempt.message.clone(),
            })
            .collect(),
    }
}

/// The case directory relative to the corpus root's parent (`cases/handler/x`), `/`-separated.
fn case_path(case_dir: &Path, corpus_root: &Path) -> String {
    let base = corpus_root.parent().unwrap_or(Path::new(""));
    let relative = case_dir.strip_prefix(base).unwrap_or(case_dir);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn a_statement_is_failing_with_a_failing_trial_and_unsure_after_an_error() {
        let trial = |id: &str, verdict: &str, statements: &[&str]| -> Trial {
            serde_json::from_value(serde_json::json!({
                "id": id, "case": "a::b", "area": "a", "case_path": "cases/a/b", "runtime": null,
                "level": null, "features": [], "statements": statements, "verdict": verdict,
                "expected": "pass", "expected_reason": null, "duration_ms": 0.0,
                "node_version": null, "steps": [], "message": null, "failure": null, "rerun": ""
            }))
            .unwrap()
        };
        let trials = [
            trial("r::a::1", "pass", &["t.kept", "t.broken", "t.unsure"]),
            trial("r::a::2", "expected-failure", &["t.broken"]),
            trial("r::a::3", "error", &["t.unsure"]),
            trial("r::a::4", "skipped", &["t.skipped"]),
        ];
        let outcomes: Vec<(String, String, usize, Vec<String>)> = StatementOutcome::of(&trials)
            .into_iter()
            .map(|o| (o.id, o.verdict, o.trials, o.failing))
            .collect();
        let owned = |id: &str, verdict: &str, n: usize, failing: &[&str]| {
            (
                id.to_owned(),
                verdict.to_owned(),
                n,
                failing.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            outcomes,
            [
                owned("t.broken", "failing", 2, &["r::a::2"]),
                owned("t.kept", "held", 1, &[]),
                owned("t.skipped", "not-run", 1, &[]),
                owned("t.unsure", "unsure", 2, &["r::a::3"]),
            ]
        );
    }

    #[test]
    fn has_the_contract_shape_sorted_trials_totals_and_verdict_names() {
        let report = report(&sample::run_info(), &sample::records());
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(value["format"], "fgconform-report/1");
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(
            keys(&value),
            ["format", "run_info", "totals", "statements", "trials"]
        );
        // Every sample trial that loads cites `handler.statement`; one fails, so it is failing.
        assert_eq!(report.statements.len(), 1);
        assert_eq!(
            (
                report.statements[0].id.as_str(),
                report.statements[0].verdict.as_str()
            ),
            ("handler.statement", "failing")
        );
        assert_eq!(
            keys(&value["run_info"]),
            [
                "suite",
                "corpus",
                "target",
                "runtimes",
                "selection",
                "host",
                "started_at",
                "finished_at"
            ]
        );
        assert_eq!(
            keys(&value["totals"]),
            VERDICT_NAMES
                .iter()
                .chain(&["total"])
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            value["totals"],
            serde_json::json!({"pass": 1, "flaky": 1, "fail": 1, "error": 1, "skipped": 1, "case-invalid": 1,
                "expected-failure": 1, "unexpected-pass": 1, "total": 8})
        );
        let ids: Vec<_> = report.trials.iter().map(|t| t.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(value["run_info"]["started_at"], "2026-01-02T03:04:05.000Z");
        assert_eq!(
            value["run_info"]["runtimes"],
            serde_json::json!({"Node.js20.15": {"node_versions": ["20.15.1"]},
                "Node.js6.10": {"node_versions": []}})
        );

        let by_id = |id: &str| report.trials.iter().find(|t| t.id == id).unwrap();
        let failed = by_id("Node.js20.15::handler::fails");
        assert_eq!(failed.verdict, "fail");
        assert_eq!(failed.case, "handler::fails");
        assert_eq!(failed.area, "handler");
        assert_eq!(failed.case_path, "cases/handler/fails");
        assert_eq!(failed.level.as_deref(), Some("documented"));
        assert_eq!(failed.duration_ms, 1500.0);
        let failure = failed.failure.as_ref().unwrap();
        assert_eq!(failure.mismatches[0].path, "result.a");
        assert!(
            failure.diffs[0].unified.contains("-  \"a\": 1"),
            "{}",
            failure.diffs[0].unified
        );
        let message = failed.message.as_deref().unwrap();
        assert!(message.starts_with("FAIL at step 1 of 1"), "{message}");
        assert!(
            message.ends_with("rerun: cargo run -- --exact x\n"),
            "{message}"
        );

        let invalid = by_id("case-format::handler::broken");
        assert_eq!(
            (invalid.case.as_str(), invalid.runtime.as_deref()),
            ("handler::broken", None)
        );
        assert_eq!(invalid.verdict, "case-invalid");
        let expected = by_id("Node.js20.15::handler::known");
        assert_eq!(expected.verdict, "expected-failure");
        assert_eq!(
            (
                expected.expected.as_str(),
                expected.expected_reason.as_deref()
            ),
            ("fail", Some("known bug"))
        );
        assert_eq!(by_id("Node.js20.15::handler::ok").message, None);
        let flaky = by_id("Node.js20.15::handler::flaky");
        assert_eq!(
            (flaky.verdict.as_str(), flaky.message.as_deref()),
            ("flaky", None)
        );
        assert_eq!(flaky.failed_attempts.len(), 1);
        assert_eq!(flaky.failed_attempts[0].verdict, "fail");
        assert_eq!(flaky.failed_attempts[0].duration_ms, 700.0);
        assert!(flaky.failed_attempts[0].message.contains("(first try)"));
        assert_eq!(
            value["run_info"]["selection"]["partition"],
            serde_json::Value::Null
        );

        let text = render(&report);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }
}
