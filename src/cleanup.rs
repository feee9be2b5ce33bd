//! `fgconform cleanup`: deletes from a target the functions earlier runs left behind (a run
//! killed with SIGKILL, a machine that went down), found with ListFunctions by the suite's names
//! (`names`): every `<function_prefix>-<run id>-…` of the descriptor's prefix, or one run's with
//! `--prefix`. Lists every page first, then deletes, since a delete shifts the pages' positions.

use std::path::PathBuf;

use crate::names::{self, RunPrefix};
use crate::target::{Target, TargetError, TargetKind};
use crate::wire::{Client, FunctionModel, ProtocolError};

/// Exit status when every matching function was deleted (or would be, with `--dry-run`).
pub const EXIT_OK: u8 = 0;
/// Exit status when a delete failed.
pub const EXIT_DELETE_FAILED: u8 = 1;
/// Exit status when cleanup could not start: the descriptor, `--prefix`, the listing.
pub const EXIT_SETUP: u8 = 2;

/// Functions asked for per ListFunctions page (FunctionGraph's most).
const PAGE: u32 = 400;
/// A bound on the pages of one listing, against a target whose `next_marker` never ends.
const MAX_PAGES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct CleanupOptions {
    /// The target descriptor.
    pub target: PathBuf,
    /// One run's prefix, `<function_prefix>-<run id>`: only that run's functions.
    pub prefix: Option<String>,
    /// List what would be deleted, delete nothing.
    pub dry_run: bool,
}

/// Why cleanup could not start.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(
        "--prefix `{0}` is no run prefix; give `<function_prefix>-<run id>` as the leftovers' \
         names begin, e.g. `fgc-1a2b3c4d` (without --prefix: every run's)"
    )]
    Prefix(String),
    #[error("cannot list the target's functions: {0}")]
    List(ProtocolError),
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(std::io::Error),
}

/// What cleanup did: the text to print (a line per function, then the count) and the exit
/// status.
#[derive(Debug)]
pub struct Cleaned {
    pub text: String,
    pub code: u8,
}

/// Which names cleanup deletes.
enum Matching {
    /// Every run's under the descriptor's `function_prefix`.
    Suite(String),
    /// One run's.
    Run(RunPrefix),
}

impl Matching {
    fn matches(&self, name: &str) -> bool {
        match self {
            Matching::Suite(prefix) => names::is_suite_name(name, prefix),
            Matching::Run(run) => run.owns(name),
        }
    }

    fn describe(&self) -> String {
        match self {
            Matching::Suite(prefix) => format!("`{prefix}-<run id>-…`"),
            Matching::Run(run) => format!("`{run}-…`"),
        }
    }
}

/// Runs cleanup as `options` say.
pub fn cleanup(options: &CleanupOptions) -> Result<Cleaned, CleanupError> {
    let target = Target::load(&options.target)?;
    let matching = match &options.prefix {
        Some(text) => {
            Matching::Run(RunPrefix::parse(text).ok_or_else(|| CleanupError::Prefix(text.clone()))?)
        }
        None => Matching::Suite(target.function_prefix.clone()),
    };
    let Some(client) = target.lasting_client()? else {
        let kind = match target.kind {
            TargetKind::Embedded => "the embedded fgref",
            _ => "a command target",
        };
        return Ok(Cleaned {
            text: format!(
                "nothing to clean up: `{}` is {kind}, started afresh for each run, so no function \
                 outlives its run; cleanup is for `url` targets\n",
                target.name
            ),
            code: EXIT_OK,
        });
    };
    let tokio_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CleanupError::Runtime)?;
    tokio_runtime.block_on(clean(&client, &target.name, &matching, options.dry_run))
}

async fn clean(
    client: &Client,
    target: &str,
    matching: &Matching,
    dry_run: bool,
) -> Result<Cleaned, CleanupError> {
    let functions = list_all(client).await.map_err(CleanupError::List)?;
    let (ours, others): (Vec<_>, Vec<_>) = functions
        .into_iter()
        .partition(|f| matching.matches(&f.func_name));
    let mut text = String::new();
    let mut failed = Vec::new();
    for function in &ours {
        if dry_run {
            text.push_str(&format!("would delete {}\n", function.func_name));
            continue;
        }
        match client.delete_function(&function.func_urn).await {
            Ok(reply) if reply.is_success() || reply.status == 404 => {
                text.push_str(&format!("deleted {}\n", function.func_name));
            }
            Ok(reply) => {
                let why = reply.api_error("DeleteFunction");
                text.push_str(&format!("FAIL {}: {why}\n", function.func_name));
                failed.push(function.func_name.clone());
            }
            Err(why) => {
                text.push_str(&format!("FAIL {}: {why}\n", function.func_name));
                failed.push(function.func_name.clone());
            }
        }
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    let done = ours.len() - failed.len();
    text.push_str(&format!(
        "cleanup of `{target}`: {verb} {done} function(s) named {}; left {} other function(s) \
         alone",
        matching.describe(),
        others.len()
    ));
    if !failed.is_empty() {
        text.push_str(&format!(
            "; {} delete(s) failed: {}",
            failed.len(),
            failed.join(", ")
        ));
    }
    text.push('\n');
    Ok(Cleaned {
        text,
        code: if failed.is_empty() {
            EXIT_OK
        } else {
            EXIT_DELETE_FAILED
        },
    })
}

/// Every function ListFunctions answers, page by page along `next_marker`, until a page is
/// empty, the marker stops moving, or it reaches `count`.
async fn list_all(client: &Client) -> Result<Vec<FunctionModel>, ProtocolError> {
    let mut functions = Vec::new();
    let mut marker = 0;
    for _ in 0..MAX_PAGES {
        let page = client.list_functions(marker, PAGE).await?;
        if page.functions.is_empty() {
            break;
        }
        let next = page
            .next_marker
            .unwrap_or(marker + page.functions.len() as u64);
        functions.extend(page.functions);
        if next <= marker || page.count.is_some_and(|count| next >= count) {
            break;
        }
        marker = next;
    }
    Ok(functions)
}
