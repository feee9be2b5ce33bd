//! `fgconform cleanup`: deletes from a target the functions and dependency versions earlier runs
//! left behind (a run killed with SIGKILL, a machine that went down), found with ListFunctions and
//! ListDependencies by the suite's names (`names`): every `<function_prefix>-<run id>-…` of the
//! descriptor's prefix, or one run's with `--prefix`. Functions go first (a dependency version a
//! function uses cannot be deleted); each list is read to its end before anything is deleted,
//! since a delete shifts the pages' positions.

use std::future::Future;
use std::path::PathBuf;

use crate::names::{self, RunPrefix};
use crate::target::{Target, TargetError, TargetKind};
use crate::wire::{Client, ProtocolError, Reply};

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

/// What a list call's page holds: its entries, `next_marker` and `count`.
type Page<T> = (Vec<T>, Option<u64>, Option<u64>);

async fn clean(
    client: &Client,
    target: &str,
    matching: &Matching,
    dry_run: bool,
) -> Result<Cleaned, CleanupError> {
    let functions = list_all(|marker| async move {
        let page = client.list_functions(marker, PAGE).await?;
        Ok((page.functions, page.next_marker, page.count))
    })
    .await
    .map_err(CleanupError::List)?;
    let (ours, others): (Vec<_>, Vec<_>) = functions
        .into_iter()
        .partition(|f| matching.matches(&f.func_name));
    let mut report = Report::default();
    for function in &ours {
        let deleted = if dry_run {
            None
        } else {
            Some(client.delete_function(&function.func_urn).await)
        };
        report.line(&function.func_name, deleted, "DeleteFunction");
    }
    let deleted_functions = report.done;
    // Dependency versions: those of dependencies with the suite's names, every version.
    let dependencies = list_all(|marker| async move {
        let page = client.list_dependencies(marker, PAGE).await?;
        Ok((page.dependencies, page.next_marker, page.count))
    })
    .await
    .map_err(CleanupError::List)?;
    for dependency in dependencies.iter().filter(|d| matching.matches(&d.name)) {
        let dep_id = dependency.id.as_str();
        let versions = list_all(|marker| async move {
            let page = client
                .list_dependency_versions(dep_id, marker, PAGE)
                .await?;
            Ok((page.dependencies, page.next_marker, page.count))
        })
        .await
        .map_err(CleanupError::List)?;
        for version in versions {
            let deleted = if dry_run {
                None
            } else {
                let (dep_id, number) = (&version.dep_id, version.version);
                Some(client.delete_dependency_version(dep_id, number).await)
            };
            let what = format!("dependency {} version {}", dependency.name, version.version);
            report.line(&what, deleted, "DeleteDependencyVersion");
        }
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    let mut text = report.text;
    text.push_str(&format!(
        "cleanup of `{target}`: {verb} {deleted_functions} function(s) and {} dependency \
         version(s) named {}; left {} other function(s) alone",
        report.done - deleted_functions,
        matching.describe(),
        others.len()
    ));
    if !report.failed.is_empty() {
        text.push_str(&format!(
            "; {} delete(s) failed: {}",
            report.failed.len(),
            report.failed.join(", ")
        ));
    }
    text.push('\n');
    Ok(Cleaned {
        text,
        code: if report.failed.is_empty() {
            EXIT_OK
        } else {
            EXIT_DELETE_FAILED
        },
    })
}

/// The lines cleanup prints, and what it counted.
#[derive(Default)]
struct Report {
    text: String,
    /// Deleted (or, in a dry run, to be deleted).
    done: usize,
    failed: Vec<String>,
}

impl Report {
    /// One line about `what`: deleted, would be (a dry run: `deleted` is `None`), or why not.
    fn line(
        &mut self,
        what: &str,
        deleted: Option<Result<Reply, ProtocolError>>,
        call: &'static str,
    ) {
        let why = match deleted {
            None => {
                self.text.push_str(&format!("would delete {what}\n"));
                self.done += 1;
                return;
            }
            // A 404: someone deleted it first, which is as good.
            Some(Ok(reply)) if reply.is_success() || reply.status == 404 => {
                self.text.push_str(&format!("deleted {what}\n"));
                self.done += 1;
                return;
            }
            Some(Ok(reply)) => reply.api_error(call).to_string(),
            Some(Err(error)) => error.to_string(),
        };
        self.text.push_str(&format!("FAIL {what}: {why}\n"));
        self.failed.push(what.to_owned());
    }
}

/// Every entry of a list call, page by page along `next_marker` (`fetch` answers the page at a
/// marker), until a page is empty, the marker stops moving, or it reaches `count`.
async fn list_all<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ProtocolError>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<Page<T>, ProtocolError>>,
{
    let mut entries = Vec::new();
    let mut marker = 0;
    for _ in 0..MAX_PAGES {
        let (page, next_marker, count) = fetch(marker).await?;
        if page.is_empty() {
            break;
        }
        let next = next_marker.unwrap_or(marker + page.len() as u64);
        entries.extend(page);
        if next <= marker || count.is_some_and(|count| next >= count) {
            break;
        }
        marker = next;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_are_followed_to_the_end_and_a_stuck_marker_stops() {
        let all: Vec<u64> = (0..7).collect();
        let pages = std::cell::Cell::new(0);
        let listed = list_all(|marker| {
            pages.set(pages.get() + 1);
            let page: Vec<u64> = all.iter().copied().skip(marker as usize).take(3).collect();
            let next = marker + page.len() as u64;
            async move { Ok((page, Some(next), None)) }
        })
        .await
        .unwrap();
        assert_eq!(listed, all);
        assert_eq!(pages.get(), 4, "three pages, then the empty one");
        let stuck = list_all(|_| async { Ok((vec![1], Some(0), None)) })
            .await
            .unwrap();
        assert_eq!(stuck, [1], "a marker that does not move ends the listing");
        let counted =
            list_all(|marker| async move { Ok((vec![marker], Some(marker + 1), Some(2))) })
                .await
                .unwrap();
        assert_eq!(counted, [0, 1], "count ends it without an empty page");
    }
}
