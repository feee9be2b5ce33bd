//! The commands that are not a run (`certify`, `verify`, `merge`, `cleanup`): each its own
//! flags, dispatched before libtest's flags are parsed.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::certify::{self, CertifyOptions, VerifyOptions};
use crate::cleanup::{self, CleanupOptions};
use crate::coverage::StatementCoverage;
use crate::merge::{self, MergeOptions};
use crate::select::Selection;
use crate::statements;

/// `fgconform certify`: a certification bundle (README.md, "Certifying a platform").
///
/// Runs every `documented` case on every runtime the target declares (`--runtime all`) as a child
/// of this binary and writes into DIR: report.json, junit.xml, report.html, run.log (the run's
/// text output), PRODUCT.toml (for the vendor; an existing one is kept) and MANIFEST.toml (the
/// sha256 of every other file, the suite version, the corpus digest). Exit status: 0 when the
/// bundle was written, failing trials or not (`verify` judges them); 2 when it could not be.
#[derive(Debug, Parser)]
#[command(name = "fgconform certify")]
pub struct CertifyCli {
    /// The target descriptor (runtimes/<name>.toml) [default: the embedded fgref].
    #[arg(long, env = "FGCONFORM_TARGET", value_name = "FILE")]
    pub target: Option<PathBuf>,

    /// The bundle directory, created when missing.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The corpus root [default: the project's cases/].
    #[arg(long, env = "FGCONFORM_CASES", value_name = "DIR")]
    pub cases: Option<PathBuf>,

    /// Runtime ids, comma-separated, or `all` [default: all]. A bundle for fewer runtimes than
    /// the target declares certifies only those.
    #[arg(long, value_delimiter = ',', value_name = "ID|all")]
    pub runtime: Vec<String>,

    /// Run nothing: rewrite MANIFEST.toml over the files in DIR (after filling PRODUCT.toml).
    #[arg(long)]
    pub rehash: bool,
}

/// `fgconform verify`: checks a certification bundle offline.
///
/// Prints each check as `ok   <check>` or `FAIL <check>: <why>`: the files against MANIFEST.toml
/// (nothing missing, changed or unlisted); the suite version; the corpus digest (MANIFEST.toml,
/// report.json and this suite's corpus agree); every documented case present exactly once per
/// runtime in report.json and in junit.xml, the two agreeing trial by trial; the totals against
/// the trials and run.log's `test result:` line; no verdict but pass, skipped with a reason, or
/// expected-failure with a reason (listed); PRODUCT.toml's six fields filled in.
/// Exit status: 0 all checks pass, 1 a check failed, 2 the bundle cannot be read.
#[derive(Debug, Parser)]
#[command(name = "fgconform verify")]
pub struct VerifyCli {
    /// The bundle directory `fgconform certify` wrote.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// The corpus to check against [default: the project's cases/].
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
}

/// `fgconform merge`: one report from the JSON reports of a run's shards.
///
/// Reads each SHARD (the `--json` report of one `--partition hash:K/N` or `slice:K/N` run, or of
/// any job of a run split over CI jobs) and writes the merged report: its trials are the shards'
/// trials, its totals recounted, its run_info the earliest start, the latest finish and every
/// runtime and node version. Refuses shards of different suite versions, corpus digests, targets
/// or level and feature selections, and a trial two shards both hold, naming the files.
/// Exit status: 0 when the report was merged (whatever its verdicts), 2 when it was refused or
/// could not be read or written.
#[derive(Debug, Parser)]
#[command(name = "fgconform merge")]
pub struct MergeCli {
    /// The shards' JSON reports.
    #[arg(value_name = "SHARD.json", required = true)]
    pub shards: Vec<PathBuf>,

    /// Write the merged JSON report (REPORT-FORMAT.md) to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the merged JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write the merged HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Exit status of `merge` when it refused or failed.
const EXIT_MERGE_REFUSED: u8 = 2;

/// `fgconform cleanup`: deletes the functions earlier runs left on a target.
///
/// Lists the target's functions (ListFunctions, every page) and deletes those the suite named:
/// `<function_prefix>-<run id>-…` with the descriptor's `function_prefix` (default `fgc`), or only
/// one run's with --prefix. Prints each function deleted (or, with --dry-run, that would be) and a
/// count. Only `url` targets keep functions between runs; for the embedded fgref and command
/// targets it says so and does nothing. Exit status: 0 all deleted, 1 a delete failed (named), 2
/// cleanup could not start (descriptor, --prefix, listing).
#[derive(Debug, Parser)]
#[command(name = "fgconform cleanup")]
pub struct CleanupCli {
    /// The target descriptor (runtimes/<name>.toml).
    #[arg(long, env = "FGCONFORM_TARGET", value_name = "FILE")]
    pub target: PathBuf,

    /// One run's prefix, `<function_prefix>-<run id>` (how its functions' names begin, e.g.
    /// `fgc-1a2b3c4d`): delete only that run's functions.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,

    /// Print what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `fgconform statements`: which cases check each statement of the corpus's registry.
///
/// Prints the totals (statements per level; checked by a case, unobservable from outside, out of
/// the suite's scope, set aside, not yet checked), each statement of `statements/*.toml` with the
/// cases that cite it and their levels, then the statements no case checks yet with what they
/// say, and the excused ones with why.
/// Exit status: 0 printed; 2 the corpus has no registry, or it or a case does not load.
#[derive(Debug, Parser)]
#[command(name = "fgconform statements")]
pub struct StatementsCli {
    /// The corpus root [default: the project's cases/].
    #[arg(long, env = "FGCONFORM_CASES", value_name = "DIR")]
    pub cases: Option<PathBuf>,
}

/// When the first argument is a command (`certify`, `verify`, `merge`, `cleanup`,
/// `statements`), runs it and
/// returns its exit status; otherwise `None`, and the arguments are a run's.
pub fn command(args: &[OsString]) -> Option<ExitCode> {
    let name = args.get(1)?.to_str()?;
    let rest = || {
        std::iter::once(OsString::from(format!("fgconform {name}")))
            .chain(args[2..].iter().cloned())
    };
    match name {
        "certify" => {
            let cli = CertifyCli::parse_from(rest());
            let options = CertifyOptions {
                target: cli.target,
                out: cli.out,
                cases: cli.cases,
                runtimes: cli.runtime,
                rehash: cli.rehash,
            };
            Some(match certify::certify(&options) {
                Ok(said) => {
                    eprintln!("{said}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::from(certify::EXIT_UNREADABLE)
                }
            })
        }
        "verify" => {
            let cli = VerifyCli::parse_from(rest());
            let verification = certify::verify(&VerifyOptions {
                dir: cli.dir,
                cases: cli.cases,
            });
            print!("{}", verification.text);
            Some(ExitCode::from(verification.code))
        }
        "merge" => {
            let cli = MergeCli::parse_from(rest());
            let options = MergeOptions {
                shards: cli.shards,
                json: cli.json,
                junit: cli.junit,
                html: cli.html,
            };
            Some(match merge::merge_files(&options) {
                Ok(merged) => {
                    eprintln!("{}", merged.summary);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::from(EXIT_MERGE_REFUSED)
                }
            })
        }
        "cleanup" => {
            let cli = CleanupCli::parse_from(rest());
            let options = CleanupOptions {
                target: cli.target,
                prefix: cli.prefix,
                dry_run: cli.dry_run,
            };
            Some(match cleanup::cleanup(&options) {
                Ok(cleaned) => {
                    print!("{}", cleaned.text);
                    ExitCode::from(cleaned.code)
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::from(cleanup::EXIT_SETUP)
                }
            })
        }
        "statements" => {
            let cli = StatementsCli::parse_from(rest());
            let selection = Selection {
                cases: cli.cases,
                ..Selection::default()
            };
            let root = selection.cases_root();
            Some(match super::every_case(&root) {
                Ok((Some(registry), cases)) => {
                    super::print_all(&StatementCoverage::of(&registry, &cases).report());
                    ExitCode::SUCCESS
                }
                Ok((None, _)) => {
                    eprintln!(
                        "error: the corpus {} has no {}/ folder: it registers no statements",
                        root.display(),
                        statements::FOLDER
                    );
                    ExitCode::from(super::EXIT_SETUP)
                }
                Err(code) => code,
            })
        }
        _ => None,
    }
}
