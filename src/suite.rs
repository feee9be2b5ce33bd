//! The suite: the selected cases as one libtest trial per (runtime, case), run against a target
//! that the first trial needing it starts; each trial's record goes to the reports. It never
//! sees the command line: it takes a [`Selection`]. A trial the target's expectations file lists
//! passes in libtest when it fails, and fails when it passes; an entry that lists no trial is a
//! failing trial of its own. `--partition` keeps one shard of the trials every other filter left
//! (the others are not run and have no record); `--retries` runs a failed or errored trial again,
//! before the expectations file maps its verdict. Trials start in `schedule`'s order, the longest
//! first, and each run's durations are kept for the next.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};

use crate::case::{Case, CaseError};
use crate::corpus::{CorpusError, LoadedCase, load_corpus};
use crate::expectations::bless::Blessing;
use crate::expectations::{Dangling, Entry, Expectations, ExpectationsError};
use crate::partition::Partition;
use crate::record::{Attempt, TrialRecord};
use crate::reference;
use crate::report::Records;
use crate::report::libtest;
use crate::report::rerun::{Rerun, RerunFlags};
use crate::runtime_id::RuntimeId;
use crate::schedule::{self, Durations};
use crate::select::{SelectError, Selection};
use crate::target::{RunningTarget, Target, TargetError};
use crate::trial::{self, TrialOutcome, TrialPlan};
use crate::verdict::{TrialError, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error(transparent)]
    Expectations(#[from] ExpectationsError),
}

/// Everything a run needs before its trials start.
pub struct Suite {
    cases_root: PathBuf,
    /// The target descriptor's path.
    descriptor: PathBuf,
    selection: Selection,
    /// The target's expectations file, when its descriptor names one (and it exists, when
    /// blessing).
    expectations: Option<Arc<Expectations>>,
    target: Arc<SharedTarget>,
    runtimes: Vec<RuntimeId>,
    rerun: Rerun,
    records: Arc<Records>,
    /// `--partition`: only this shard of the selected trials runs.
    partition: Option<Partition>,
    /// `--retries`: how many more times a failed or errored trial runs.
    retries: u32,
    /// How long each trial took when it last ran on this target: the longest start first.
    durations: Durations,
}

/// What planning knows of a trial: the runtime the target must prepare for it, if it reaches the
/// target, and how long it is expected to take, if known.
#[derive(Default, Clone, Copy)]
struct Planned {
    runtime: Option<RuntimeId>,
    expected: Option<Duration>,
}

/// The target, started by the first trial that needs it.
struct SharedTarget {
    target: Target,
    reference: reference::Settings,
    /// The runtimes some selected trial runs on, known once the trials are planned.
    needs: OnceLock<Vec<RuntimeId>>,
    running: tokio::sync::OnceCell<Result<RunningTarget, String>>,
}

impl SharedTarget {
    async fn running(&self) -> Result<&RunningTarget, String> {
        self.running
            .get_or_init(|| async {
                // Starting here, not at planning, keeps `--list` and filtered-out runtimes free
                // of downloads and processes.
                let needs = self.needs.get().map(Vec::as_slice).unwrap_or_default();
                self.target
                    .start(needs, &self.reference)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Suite {
    /// The suite of `selection`. When `blessing`, an expectations file the descriptor names but
    /// that does not exist yet is no error: blessing writes it.
    pub fn new(
        selection: Selection,
        reference: reference::Settings,
        rerun: &RerunFlags,
        blessing: bool,
    ) -> Result<Suite, SetupError> {
        let descriptor = selection.target_path();
        let target = Target::load(&descriptor)?;
        target.check_bootstrap(&reference)?;
        let target_name = target.name.clone();
        let runtimes = selection.runtimes_of(&target)?;
        selection.check_features()?;
        let expectations = match &target.expectations {
            Some(file) if blessing && !file.exists() => None,
            Some(file) => Some(Arc::new(Expectations::load(file)?)),
            None => None,
        };
        Ok(Suite {
            cases_root: selection.cases_root(),
            descriptor,
            selection,
            expectations,
            target: Arc::new(SharedTarget {
                target,
                reference,
                needs: OnceLock::new(),
                running: tokio::sync::OnceCell::new(),
            }),
            runtimes,
            rerun: Rerun::new(rerun),
            records: Arc::default(),
            partition: None,
            retries: 0,
            durations: Durations::load(&target_name),
        })
    }

    /// Runs only `partition`'s shard of the trials that every other filter leaves.
    pub fn partitioned(mut self, partition: Option<Partition>) -> Suite {
        self.partition = partition;
        self
    }

    /// Runs a trial that fails or errors up to `retries` more times; one that then passes is
    /// flaky.
    pub fn retrying(mut self, retries: u32) -> Suite {
        self.retries = retries;
        self
    }

    /// The runtime ids the run covers.
    pub fn runtimes(&self) -> &[RuntimeId] {
        &self.runtimes
    }

    /// The target, as its descriptor describes it.
    pub fn target(&self) -> &Target {
        &self.target.target
    }

    /// The corpus root the run reads.
    pub fn cases_root(&self) -> &Path {
        &self.cases_root
    }

    /// Every trial id of the corpus on the target that is not skipped, whatever the selection:
    /// the trials an expectations entry may name.
    fn expectable(&self, corpus: &[LoadedCase]) -> Vec<String> {
        let mut ids = Vec::new();
        for case in corpus.iter().filter_map(|(_, loaded)| loaded.as_ref().ok()) {
            for &runtime in &self.target.target.runtimes {
                if self.skip_reason(case, runtime).is_none() {
                    ids.push(format!("{runtime}::{}", case.id));
                }
            }
        }
        ids
    }

    /// What `--bless-expectations` needs before the run: the file to write (the descriptor's,
    /// else `<descriptor stem>.expectations.toml` beside it), what it said, and every trial.
    pub fn blessing(&self) -> Result<Blessing, SetupError> {
        let corpus = load_corpus(&self.cases_root)?;
        let (file, unnamed_in) = match &self.target.target.expectations {
            Some(file) => (file.clone(), None),
            None => {
                let stem = self
                    .descriptor
                    .file_stem()
                    .map_or_else(|| "target".into(), |s| s.to_string_lossy().into_owned());
                let file = self
                    .descriptor
                    .with_file_name(format!("{stem}.expectations.toml"));
                (file, Some(self.descriptor.clone()))
            }
        };
        Ok(Blessing {
            file,
            unnamed_in,
            existing: self.expectations.as_deref().cloned(),
            trials: self.expectable(&corpus.cases),
        })
    }

    /// One trial per selected (runtime, case); a case that does not load becomes one failing
    /// trial of its own, so the rest of the corpus still runs, and so does an expectations entry
    /// that lists no trial. Then `extra`, started after the corpus's, and the partition over
    /// them all. `args` tells which trials will run, so that the target prepares only their
    /// runtimes.
    fn trials(
        &self,
        handle: &tokio::runtime::Handle,
        args: &Arguments,
        extra: Vec<Trial>,
    ) -> Result<Vec<Trial>, SetupError> {
        let mut trials: Vec<(Trial, Planned)> = Vec::new();
        let corpus = load_corpus(&self.cases_root)?;
        if let Some(expectations) = &self.expectations {
            let expectable = self.expectable(&corpus.cases);
            for entry in expectations.dangling(&expectable) {
                trials.push((self.dangling_trial(expectations, entry), Planned::default()));
            }
        }
        for (dir, loaded) in corpus.cases {
            let case = match loaded {
                Ok(case) => Arc::new(case),
                Err(error) => {
                    trials.push((self.invalid_case_trial(dir, error), Planned::default()));
                    continue;
                }
            };
            if !self.selection.includes(&case) {
                continue;
            }
            for &runtime in &self.runtimes {
                let (trial, reaches_target) = self.trial(handle, Arc::clone(&case), runtime);
                let planned = Planned {
                    runtime: reaches_target.then_some(runtime),
                    expected: reaches_target.then(|| self.expected_duration(&case, runtime)),
                };
                trials.push((trial, planned));
            }
        }
        // After every trial of the corpus: a caller's own trials (the project's self-tests) run
        // once the corpus's are under way, in their given order.
        let after_the_corpus = Planned {
            runtime: None,
            expected: Some(Duration::ZERO),
        };
        trials.extend(extra.into_iter().map(|trial| (trial, after_the_corpus)));
        let trials = self.shard(trials, args);
        let needs: BTreeSet<RuntimeId> = trials
            .iter()
            .filter(|(trial, _)| !args.is_filtered_out(trial) && !args.is_ignored(trial))
            .filter_map(|(_, planned)| planned.runtime)
            .collect();
        let _ = self.target.needs.set(needs.into_iter().collect());
        let mut trials: Vec<(Trial, Option<Duration>)> = trials
            .into_iter()
            .map(|(trial, planned)| (trial, planned.expected))
            .collect();
        // `--list` shows the corpus's order; a run starts the longest trials first.
        if !args.list {
            schedule::longest_first(&mut trials);
        }
        Ok(trials.into_iter().map(|(trial, _)| trial).collect())
    }

    /// The trials of the partition's shard, after libtest's own filters (which keep the trials
    /// they filter out, for libtest to count); the rest are dropped, as if they did not exist.
    fn shard<T>(&self, trials: Vec<(Trial, T)>, args: &Arguments) -> Vec<(Trial, T)> {
        let Some(partition) = self.partition else {
            return trials;
        };
        let selected: Vec<usize> = (0..trials.len())
            .filter(|&i| !args.is_filtered_out(&trials[i].0))
            .collect();
        let ids: Vec<&str> = selected.iter().map(|&i| trials[i].0.name()).collect();
        let mut dropped = vec![false; trials.len()];
        for (&i, keep) in selected.iter().zip(partition.keeps(&ids)) {
            dropped[i] = !keep;
        }
        trials
            .into_iter()
            .zip(dropped)
            .filter(|(_, dropped)| !dropped)
            .map(|(trial, _)| trial)
            .collect()
    }

    fn invalid_case_trial(&self, dir: PathBuf, error: CaseError) -> Trial {
        let id = dir
            .strip_prefix(&self.cases_root)
            .unwrap_or(&dir)
            .to_string_lossy()
            .replace('/', "::");
        let name = format!("case-format::{id}");
        let records = Arc::clone(&self.records);
        let record = TrialRecord {
            id: name.clone(),
            case_dir: dir,
            runtime: None,
            level: None,
            features: Vec::new(),
            statements: Vec::new(),
            verdict: Verdict::CaseInvalid(format!("the case does not load: {error}")),
            steps: Vec::new(),
            node_version: None,
            duration: Duration::ZERO,
            rerun: String::new(),
            expected_failure: None,
            failed_attempts: Vec::new(),
        };
        Trial::ignorable_test(name, move || report(&records, record, None))
    }

    /// The failing trial of an expectations entry that lists no trial, named
    /// `expectations::<file>:<line>`.
    fn dangling_trial(&self, expectations: &Expectations, entry: &Entry) -> Trial {
        let name = format!("expectations::{}", entry.at(&expectations.file));
        let message = Dangling(&expectations.file, entry).to_string();
        let records = Arc::clone(&self.records);
        let record = TrialRecord {
            id: name.clone(),
            case_dir: expectations.file.clone(),
            runtime: None,
            level: None,
            features: Vec::new(),
            statements: Vec::new(),
            verdict: Verdict::CaseInvalid(message.clone()),
            steps: Vec::new(),
            node_version: None,
            duration: Duration::ZERO,
            rerun: String::new(),
            expected_failure: None,
            failed_attempts: Vec::new(),
        };
        Trial::test(name, move || {
            records.push(record);
            Err(message.into())
        })
    }

    /// The trial, and whether running it reaches the target (a skipped one does not).
    fn trial(
        &self,
        handle: &tokio::runtime::Handle,
        case: Arc<Case>,
        runtime: RuntimeId,
    ) -> (Trial, bool) {
        let name = format!("{runtime}::{}", case.id);
        let record = TrialRecord {
            id: name.clone(),
            case_dir: case.dir.clone(),
            runtime: Some(runtime),
            level: Some(case.level),
            features: case.features.clone(),
            statements: case
                .statements
                .ids
                .iter()
                .map(|(_, id)| id.clone())
                .collect(),
            verdict: Verdict::Pass,
            steps: Vec::new(),
            node_version: None,
            duration: Duration::ZERO,
            rerun: self.rerun.command(runtime, &name),
            expected_failure: None,
            failed_attempts: Vec::new(),
        };
        let records = Arc::clone(&self.records);
        if let Some(reason) = self.skip_reason(&case, runtime) {
            let skipped = TrialRecord {
                verdict: Verdict::Skipped(reason),
                ..record
            };
            return (
                Trial::ignorable_test(name, move || report(&records, skipped, None)),
                false,
            );
        }
        // A listed trial: its entry, and the file for the message of an unexpected pass.
        let listed = self.expectations.as_ref().and_then(|expectations| {
            let entry = expectations.lookup(&name)?.clone();
            Some((expectations.file.clone(), entry))
        });
        let record = TrialRecord {
            expected_failure: listed.as_ref().map(|(_, entry)| entry.reason.clone()),
            ..record
        };
        let plan = TrialPlan {
            case,
            runtime,
            idle_pause: self.target.target.idle_pause(),
            timeouts: self.target.target.timeouts,
        };
        let target = Arc::clone(&self.target);
        let handle = handle.clone();
        let retries = self.retries as usize;
        let trial = Trial::ignorable_test(name, move || {
            let mut failed_attempts = Vec::new();
            loop {
                let started = Instant::now();
                let outcome = handle.block_on(async {
                    match target.running().await {
                        Ok(running) => match running.unavailable(runtime) {
                            Some(why) => unrun(TrialError::RuntimeUnavailable(why.to_owned())),
                            None => {
                                let (client, collector) = (&running.client, &running.collector);
                                trial::run(client, collector, &running.scope, &plan).await
                            }
                        },
                        Err(why) => unrun(TrialError::TargetUnavailable(why)),
                    }
                });
                let attempt = TrialRecord {
                    verdict: outcome.verdict,
                    steps: outcome.steps,
                    node_version: outcome.node_version,
                    duration: started.elapsed(),
                    ..again(&record)
                };
                let failed = match attempt.verdict {
                    Verdict::Fail(_) => "fail",
                    Verdict::Error(_) => "error",
                    _ => "",
                };
                if !failed.is_empty() && failed_attempts.len() < retries {
                    failed_attempts.push(Attempt {
                        verdict: failed,
                        message: libtest::message(&attempt).unwrap_or_default(),
                        duration: attempt.duration,
                    });
                    continue;
                }
                let record = TrialRecord {
                    failed_attempts,
                    ..attempt
                };
                return report(&records, record, listed.as_ref());
            }
        });
        (trial, true)
    }

    /// How long the trial of `case` on `runtime` is expected to take: as long as it took when it
    /// last ran on this target, else at least its own pauses.
    fn expected_duration(&self, case: &Case, runtime: RuntimeId) -> Duration {
        let id = format!("{runtime}::{}", case.id);
        self.durations.of(&id).unwrap_or_else(|| {
            let idle = self.target.target.idle_pause();
            case.steps.iter().map(|step| step.pause.length(idle)).sum()
        })
    }

    /// Why the trial of `case` on `runtime` is skipped, if it is.
    fn skip_reason(&self, case: &Case, runtime: RuntimeId) -> Option<String> {
        if !case.runtimes.contains(runtime) {
            return Some(format!(
                "skipped: {runtime} is outside the case's runtimes ({})",
                case.runtimes
            ));
        }
        let target = &self.target.target;
        let missing = case.features.iter().find(|f| !target.declares(f))?;
        Some(format!(
            "skipped: the target does not declare the feature `{missing}`"
        ))
    }

    /// Runs the trials (the corpus's and `extra`, of the partition's shard) as libtest's `args`
    /// say, then brings the target
    /// down. Answers libtest's conclusion and the record of every trial that ran.
    pub fn run(
        self,
        tokio_runtime: &tokio::runtime::Runtime,
        args: &Arguments,
        extra: Vec<Trial>,
    ) -> Result<(Conclusion, Vec<TrialRecord>), SetupError> {
        let trials = self.trials(tokio_runtime.handle(), args, extra)?;
        let conclusion = libtest_mimic::run(args, trials);
        let records = self.records.take();
        self.durations.remember(&records);
        tokio_runtime.block_on(self.stop());
        Ok((conclusion, records))
    }

    /// Brings the target down if a trial started it: what the trials left live is deleted and
    /// its processes stopped, also while the signal handler (`target_stopper`) still holds it.
    async fn stop(self) {
        match Arc::try_unwrap(self.target) {
            Ok(shared) => {
                if let Some(Ok(running)) = shared.running.into_inner() {
                    running.stop().await;
                }
            }
            Err(shared) => {
                if let Some(Ok(running)) = shared.running.get() {
                    running.abort().await;
                }
            }
        }
    }

    /// Stops the target from a signal handler while trials may still hold it, after deleting
    /// what they have live on it.
    pub fn target_stopper(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = Arc::clone(&self.target);
        async move {
            if let Some(Ok(running)) = shared.running.get() {
                running.abort().await;
            }
        }
    }
}

/// A fresh copy of a trial's record before it runs (a record holds a verdict, which has no
/// `Clone`), for each attempt.
fn again(record: &TrialRecord) -> TrialRecord {
    TrialRecord {
        id: record.id.clone(),
        case_dir: record.case_dir.clone(),
        runtime: record.runtime,
        level: record.level,
        features: record.features.clone(),
        statements: record.statements.clone(),
        verdict: Verdict::Pass,
        steps: Vec::new(),
        node_version: None,
        duration: Duration::ZERO,
        rerun: record.rerun.clone(),
        expected_failure: record.expected_failure.clone(),
        failed_attempts: Vec::new(),
    }
}

/// The outcome of a trial that could not run.
fn unrun(error: TrialError) -> TrialOutcome {
    TrialOutcome {
        verdict: Verdict::Error(error),
        steps: Vec::new(),
        node_version: None,
    }
}

/// Hands `record` to the reports, and its outcome to libtest: as the expectations file's entry
/// says for a listed trial that ran, else as its verdict says.
fn report(
    records: &Records,
    record: TrialRecord,
    listed: Option<&(PathBuf, Entry)>,
) -> Result<Completion, Failed> {
    let outcome = listed
        .and_then(|(file, entry)| entry.outcome(file, &record.verdict))
        .unwrap_or_else(|| libtest::outcome(&record));
    records.push(record);
    outcome
}
