//! `verify`: checks a certification bundle offline, against this binary's version and its own
//! corpus: the manifest's hashes, the suite version and corpus digest, every required trial in
//! report.json and junit.xml (agreeing trial by trial), the totals against the trials and run.log,
//! the verdicts, and PRODUCT.toml. Each check is one `ok` or `FAIL` line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, TestCaseStatus};

use crate::case::Level;
use crate::certify::manifest::{
    HASHED, JUNIT_XML, MANIFEST_TOML, Manifest, PRODUCT_TOML, REPORT_JSON, RUN_LOG,
    product_problems, sha256_file,
};
use crate::corpus::load_corpus;
use crate::corpus_digest::corpus_digest;
use crate::report::json::{Report, Totals};
use crate::runtime_id::RuntimeId;
use crate::select::Selection;

/// What `fgconform verify` was asked for.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The bundle directory.
    pub dir: PathBuf,
    /// The corpus to check against; default: the project's `cases/`.
    pub cases: Option<PathBuf>,
}

/// What `verify` found: the text to print (one line per check, plus notes) and the exit code
/// (`EXIT_OK`, `EXIT_CHECK_FAILED`, `EXIT_UNREADABLE`).
#[derive(Debug)]
pub struct Verification {
    pub text: String,
    pub code: u8,
}

struct Checks {
    text: String,
    failed: bool,
}

impl Checks {
    fn check(&mut self, name: &str, problems: Vec<String>) {
        if problems.is_empty() {
            self.text.push_str(&format!("ok   {name}\n"));
        } else {
            self.failed = true;
            for why in problems {
                self.text.push_str(&format!("FAIL {name}: {why}\n"));
            }
        }
    }

    fn unreadable(mut self, name: &str, why: String) -> Verification {
        self.text.push_str(&format!("FAIL {name}: {why}\n"));
        Verification {
            text: self.text,
            code: super::EXIT_UNREADABLE,
        }
    }
}

/// Checks the bundle in `options.dir`.
pub fn verify(options: &VerifyOptions) -> Verification {
    let dir = &options.dir;
    let mut checks = Checks {
        text: String::new(),
        failed: false,
    };
    let manifest = match read(dir, MANIFEST_TOML).and_then(|text| {
        toml::from_str::<Manifest>(&text).map_err(|e| format!("{MANIFEST_TOML}: {e}"))
    }) {
        Ok(manifest) => manifest,
        Err(why) => return checks.unreadable("read the bundle", why),
    };
    checks.check("files match MANIFEST.toml", file_problems(dir, &manifest));

    let report = match read(dir, REPORT_JSON).and_then(|text| {
        serde_json::from_str::<Report>(&text).map_err(|e| format!("{REPORT_JSON}: {e}"))
    }) {
        Ok(report) => report,
        Err(why) => return checks.unreadable("read the bundle", why),
    };
    let junit = match read(dir, JUNIT_XML).and_then(|text| {
        quick_junit::Report::deserialize_from_str(&text).map_err(|e| format!("{JUNIT_XML}: {e}"))
    }) {
        Ok(junit) => junit,
        Err(why) => return checks.unreadable("read the bundle", why),
    };
    let (run_log, product) = match (read(dir, RUN_LOG), read(dir, PRODUCT_TOML)) {
        (Ok(log), Ok(product)) => (log, product),
        (Err(why), _) | (_, Err(why)) => return checks.unreadable("read the bundle", why),
    };
    let root = Selection {
        cases: options.cases.clone(),
        ..Selection::default()
    }
    .cases_root();
    let own_digest = match corpus_digest(&root) {
        Ok(digest) => digest,
        Err(e) => {
            let why = format!("cannot read the corpus {}: {e}", root.display());
            return checks.unreadable("read the corpus", why);
        }
    };
    let required = match required_trials(&root, &report.run_info.selection.runtimes) {
        Ok(required) => required,
        Err(why) => return checks.unreadable("read the corpus", why),
    };

    let version = env!("CARGO_PKG_VERSION");
    let mut problems = Vec::new();
    if manifest.suite_version != version {
        problems.push(format!(
            "{MANIFEST_TOML} says suite version {}, this fgconform is {version}",
            manifest.suite_version
        ));
    }
    if report.run_info.suite.version != version {
        problems.push(format!(
            "{REPORT_JSON} says suite version {}, this fgconform is {version}",
            report.run_info.suite.version
        ));
    }
    checks.check("suite version", problems);

    let mut problems = Vec::new();
    if manifest.corpus_digest != own_digest {
        problems.push(format!(
            "{MANIFEST_TOML} says corpus digest {}, the corpus {} is {own_digest}",
            manifest.corpus_digest,
            root.display()
        ));
    }
    if report.run_info.corpus.digest != manifest.corpus_digest {
        problems.push(format!(
            "{REPORT_JSON}'s run_info.corpus.digest {} differs from {MANIFEST_TOML}'s {}",
            report.run_info.corpus.digest, manifest.corpus_digest
        ));
    }
    checks.check("corpus digest", problems);

    let selection = &report.run_info.selection;
    let mut problems = Vec::new();
    if selection.levels != ["documented"] || !selection.features.is_empty() {
        problems.push(format!(
            "{REPORT_JSON}'s run_info.selection must be level documented and no feature, is \
             levels {:?} features {:?}",
            selection.levels, selection.features
        ));
    }
    if selection.runtimes.is_empty() {
        problems.push(format!(
            "{REPORT_JSON}'s run_info.selection.runtimes is empty"
        ));
    }
    checks.check("selection: every documented case", problems);
    checks.text.push_str(&format!(
        "     runtimes certified: {}\n",
        selection.runtimes.join(", ")
    ));

    let in_json: Vec<(String, &'static str)> = report
        .trials
        .iter()
        .map(|t| (t.id.clone(), json_class(&t.verdict)))
        .collect();
    let in_junit: Vec<(String, &'static str)> = junit
        .test_suites
        .iter()
        .flat_map(|suite| {
            suite.test_cases.iter().map(move |case| {
                let id = format!("{}::{}", suite.name.as_str(), case.name.as_str());
                (id, junit_class(&case.status))
            })
        })
        .collect();
    checks.check(
        "required trials in report.json",
        presence(REPORT_JSON, &required, &in_json),
    );
    checks.check(
        "required trials in junit.xml",
        presence(JUNIT_XML, &required, &in_junit),
    );
    checks.check(
        "report.json and junit.xml agree",
        agreement(&in_json, &in_junit),
    );
    checks.check("totals", totals_problems(&report, &run_log));

    let (problems, notes) = verdict_problems(&report);
    checks.check("verdicts", problems);
    for note in notes {
        checks.text.push_str(&format!("     {note}\n"));
    }

    let problems = match product_problems(&product) {
        Ok(missing) => missing
            .into_iter()
            .map(|field| format!("{PRODUCT_TOML}: `{field}` is empty"))
            .collect(),
        Err(why) => vec![format!("{PRODUCT_TOML}: {why}")],
    };
    checks.check("PRODUCT.toml filled in", problems);

    let code = if checks.failed {
        super::EXIT_CHECK_FAILED
    } else {
        super::EXIT_OK
    };
    Verification {
        text: checks.text,
        code,
    }
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: cannot read: {e}"))
}

/// Every file the manifest lists exists with its hash, the bundle's files are all listed, and
/// nothing else is in the directory.
fn file_problems(dir: &Path, manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, hash) in &manifest.files {
        if name.contains('/') || name.contains('\\') || name == ".." || name == MANIFEST_TOML {
            problems.push(format!(
                "{MANIFEST_TOML} lists `{name}`, not a file of the bundle"
            ));
            continue;
        }
        match sha256_file(&dir.join(name)) {
            Ok(actual) if actual == *hash => {}
            Ok(actual) => problems.push(format!(
                "{name}: sha256 is {actual}, {MANIFEST_TOML} says {hash}"
            )),
            Err(e) => problems.push(format!(
                "{name}: listed in {MANIFEST_TOML}, cannot read: {e}"
            )),
        }
    }
    for name in HASHED {
        if !manifest.files.contains_key(name) {
            problems.push(format!("{name}: not listed in {MANIFEST_TOML}"));
        }
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut unlisted: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name != MANIFEST_TOML && !manifest.files.contains_key(name))
                .collect();
            unlisted.sort();
            for name in unlisted {
                problems.push(format!("{name}: in the bundle but not in {MANIFEST_TOML}"));
            }
        }
        Err(e) => problems.push(format!("cannot list {}: {e}", dir.display())),
    }
    problems
}

/// The trial ids a bundle must hold: every `documented` case on each runtime whose range it
/// covers.
fn required_trials(root: &Path, runtimes: &[String]) -> Result<BTreeSet<String>, String> {
    let corpus = load_corpus(root).map_err(|e| e.to_string())?;
    let mut ids = BTreeSet::new();
    for name in runtimes {
        let runtime = RuntimeId::parse(name).ok_or_else(|| {
            format!(
                "{REPORT_JSON}: run_info.selection.runtimes: {}",
                RuntimeId::unknown(name)
            )
        })?;
        for (_, loaded) in &corpus.cases {
            if let Ok(case) = loaded
                && case.level == Level::Documented
                && case.runtimes.contains(runtime)
            {
                ids.insert(format!("{runtime}::{}", case.id));
            }
        }
    }
    Ok(ids)
}

/// Each required trial is in `file` exactly once.
fn presence(file: &str, required: &BTreeSet<String>, found: &[(String, &str)]) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, _) in found {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let mut problems = Vec::new();
    for id in required {
        match counts.get(id.as_str()).copied().unwrap_or(0) {
            1 => {}
            0 => problems.push(format!("{file}: required trial {id} is missing")),
            n => problems.push(format!("{file}: trial {id} is there {n} times")),
        }
    }
    problems
}

/// Both reports hold the same trials with the same outcome.
fn agreement(json: &[(String, &str)], junit: &[(String, &str)]) -> Vec<String> {
    let json: BTreeMap<&str, &str> = json.iter().map(|(id, c)| (id.as_str(), *c)).collect();
    let junit: BTreeMap<&str, &str> = junit.iter().map(|(id, c)| (id.as_str(), *c)).collect();
    let mut problems = Vec::new();
    for (id, class) in &json {
        match junit.get(id) {
            None => problems.push(format!(
                "trial {id} is in {REPORT_JSON}, not in {JUNIT_XML}"
            )),
            Some(other) if other != class => problems.push(format!(
                "trial {id} is {class} in {REPORT_JSON}, {other} in {JUNIT_XML}"
            )),
            Some(_) => {}
        }
    }
    for id in junit.keys().filter(|id| !json.contains_key(*id)) {
        problems.push(format!(
            "trial {id} is in {JUNIT_XML}, not in {REPORT_JSON}"
        ));
    }
    problems
}

/// A verdict name as JUnit can tell it: pass, fail, error or skipped.
fn json_class(verdict: &str) -> &'static str {
    match verdict {
        "pass" | "flaky" | "expected-failure" => "pass",
        "fail" | "unexpected-pass" => "fail",
        "error" | "case-invalid" => "error",
        "skipped" => "skipped",
        _ => "unknown",
    }
}

fn junit_class(status: &TestCaseStatus) -> &'static str {
    match status {
        TestCaseStatus::Success { .. } => "pass",
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            ..
        } => "fail",
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            ..
        } => "error",
        TestCaseStatus::Skipped { .. } => "skipped",
    }
}

/// report.json's totals against its trials, and libtest's counts in run.log against them.
fn totals_problems(report: &Report, run_log: &str) -> Vec<String> {
    let mut counted = Totals::default();
    for trial in &report.trials {
        let slot = match trial.verdict.as_str() {
            "pass" => &mut counted.pass,
            "flaky" => &mut counted.flaky,
            "fail" => &mut counted.fail,
            "error" => &mut counted.error,
            "skipped" => &mut counted.skipped,
            "case-invalid" => &mut counted.case_invalid,
            "expected-failure" => &mut counted.expected_failure,
            "unexpected-pass" => &mut counted.unexpected_pass,
            _ => continue,
        };
        *slot += 1;
        counted.total += 1;
    }
    let mut problems = Vec::new();
    if report.totals != counted {
        problems.push(format!(
            "{REPORT_JSON}: totals say {}, its trials count {}",
            totals_text(&report.totals),
            totals_text(&counted)
        ));
    }
    let passed = counted.pass + counted.flaky + counted.expected_failure;
    let failed = counted.fail + counted.error + counted.case_invalid + counted.unexpected_pass;
    let ignored = counted.skipped;
    match libtest_counts(run_log) {
        None => problems.push(format!("{RUN_LOG}: no `test result:` line")),
        Some(said) if said != (passed, failed, ignored) => problems.push(format!(
            "{RUN_LOG}: `test result:` says {} passed; {} failed; {} ignored, {REPORT_JSON}'s \
             trials make {passed} passed; {failed} failed; {ignored} ignored",
            said.0, said.1, said.2
        )),
        Some(_) => {}
    }
    problems
}

fn totals_text(t: &Totals) -> String {
    format!(
        "pass {} flaky {} fail {} error {} skipped {} case-invalid {} expected-failure {} \
         unexpected-pass {} total {}",
        t.pass,
        t.flaky,
        t.fail,
        t.error,
        t.skipped,
        t.case_invalid,
        t.expected_failure,
        t.unexpected_pass,
        t.total
    )
}

/// (passed, failed, ignored) from the last `test result:` line libtest printed.
fn libtest_counts(run_log: &str) -> Option<(usize, usize, usize)> {
    let line = run_log
        .lines()
        .rev()
        .find(|line| line.starts_with("test result:"))?;
    let count = |word: &str| -> Option<usize> {
        let before = line.split(&format!(" {word}")).next()?;
        before.rsplit(' ').next()?.parse().ok()
    };
    Some((count("passed")?, count("failed")?, count("ignored")?))
}

/// Trials whose verdict certification does not accept, and the expected failures (as notes).
fn verdict_problems(report: &Report) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for trial in &report.trials {
        let id = &trial.id;
        match trial.verdict.as_str() {
            "pass" => {}
            "skipped"
                if trial
                    .message
                    .as_deref()
                    .is_some_and(|m| !m.trim().is_empty()) => {}
            "skipped" => problems.push(format!(
                "{REPORT_JSON}: trial {id} is skipped without a reason"
            )),
            "expected-failure" => match trial.expected_reason.as_deref().map(str::trim) {
                Some(reason) if !reason.is_empty() => {
                    notes.push(format!("expected failure: {id}: {reason}"));
                }
                _ => problems.push(format!(
                    "{REPORT_JSON}: trial {id} is an expected failure without a reason"
                )),
            },
            "flaky" => problems.push(format!(
                "{REPORT_JSON}: trial {id} is flaky: it passed only on a retry, which \
                 certification counts as a failure"
            )),
            other => problems.push(format!("{REPORT_JSON}: trial {id} is {other}")),
        }
    }
    (problems, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_counts_read_the_summary_line() {
        let log = "running 3 tests\ntest result: FAILED. 2 passed; 1 failed; 4 ignored; 0 measured; 0 filtered out; finished in 0.01s\n";
        assert_eq!(libtest_counts(log), Some((2, 1, 4)));
        assert_eq!(libtest_counts("nothing"), None);
    }

    #[test]
    fn reports_must_agree_trial_by_trial() {
        let json = vec![("a".to_owned(), "pass"), ("b".to_owned(), "fail")];
        let junit = vec![("a".to_owned(), "pass"), ("b".to_owned(), "pass")];
        assert_eq!(
            agreement(&json, &junit),
            ["trial b is fail in report.json, pass in junit.xml"]
        );
        assert!(agreement(&json, &json).is_empty());
    }
}
