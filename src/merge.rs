//! `fgconform merge`: one report from the JSON reports of a run's shards (`--partition`, or any
//! split of one run over CI jobs), written as JSON, JUnit and HTML through the same renderers a
//! run uses. Shards of different suites, corpora, targets or selections are refused, and so is a
//! trial that two shards both hold: the merged report must be one run's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use crate::partition::Partition;
use crate::report::json::{self, Report, RuntimeInfo, StatementOutcome, Totals};
use crate::report::{html, junit};
use crate::runtime_id::RuntimeId;

/// What `fgconform merge` was asked for.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The shards' JSON reports.
    pub shards: Vec<PathBuf>,
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard to merge: name the shards' JSON reports")]
    NoShards,
    #[error("cannot read the shard {}: {why}", file.display())]
    Read { file: PathBuf, why: String },
    #[error("{} is not an fgconform JSON report ({}): {why}", file.display(), json::FORMAT)]
    NotAReport { file: PathBuf, why: String },
    #[error(
        "the shards are not of one run: {what} is {first_value} in {}, {second_value} in {}; \
         merge only the shards of one run",
        first.display(),
        second.display()
    )]
    Differ {
        what: &'static str,
        first: PathBuf,
        first_value: String,
        second: PathBuf,
        second_value: String,
    },
    #[error(
        "the shards overlap: trial {id} is in both {} and {}; merge each shard once, from one \
         --partition",
        first.display(),
        second.display()
    )]
    Overlap {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{flag}: cannot write {}: {why}", file.display())]
    Write {
        flag: &'static str,
        file: PathBuf,
        why: std::io::Error,
    },
}

/// A merge's report and what to tell about it.
#[derive(Debug)]
pub struct Merged {
    pub report: Report,
    /// One line: how many shards and trials, and the totals.
    pub summary: String,
}

/// Reads the shards, merges them and writes the reports asked for.
pub fn merge_files(options: &MergeOptions) -> Result<Merged, MergeError> {
    let mut shards = Vec::new();
    for file in &options.shards {
        let text = std::fs::read_to_string(file).map_err(|e| MergeError::Read {
            file: file.clone(),
            why: e.to_string(),
        })?;
        let report: Report = serde_json::from_str(&text).map_err(|e| MergeError::NotAReport {
            file: file.clone(),
            why: e.to_string(),
        })?;
        shards.push((file.clone(), report));
    }
    let report = merge(&shards)?;
    let outputs = [
        (&options.json, "--json"),
        (&options.junit, "--junit"),
        (&options.html, "--html"),
    ];
    for (file, flag) in outputs {
        let Some(file) = file else { continue };
        let text = match flag {
            "--json" => json::render(&report),
            "--junit" => junit::render(&report),
            _ => html::render(&report),
        };
        write(file, &text).map_err(|why| MergeError::Write {
            flag,
            file: file.clone(),
            why,
        })?;
    }
    let t = &report.totals;
    let mut summary = format!(
        "merged {} shard(s): {} trials: {} pass, {} flaky, {} fail, {} error, {} skipped, {} \
         case-invalid, {} expected-failure, {} unexpected-pass",
        shards.len(),
        t.total,
        t.pass,
        t.flaky,
        t.fail,
        t.error,
        t.skipped,
        t.case_invalid,
        t.expected_failure,
        t.unexpected_pass
    );
    if let Some(partition) = &report.run_info.selection.partition {
        summary.push_str(&format!(
            "\nnote: the shards ({partition}) are not every shard of one partition; the missing \
             shards' trials are not in the report"
        ));
    }
    Ok(Merged { report, summary })
}

fn write(file: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(file, text)
}

/// One report from `shards` (each with the file it came from, for the errors).
pub fn merge(shards: &[(PathBuf, Report)]) -> Result<Report, MergeError> {
    let Some((first_file, first)) = shards.first() else {
        return Err(MergeError::NoShards);
    };
    for (file, report) in shards {
        if report.format != json::FORMAT {
            return Err(MergeError::NotAReport {
                file: file.clone(),
                why: format!("its format is `{}`", report.format),
            });
        }
    }
    same(shards, "the suite version", |r| {
        r.run_info.suite.version.clone()
    })?;
    same(shards, "the suite's git revision", |r| {
        r.run_info.suite.git_revision.clone().unwrap_or_default()
    })?;
    same(shards, "the corpus digest", |r| {
        r.run_info.corpus.digest.clone()
    })?;
    same(shards, "the target", |r| {
        let target = &r.run_info.target;
        let url = target.url.as_deref().unwrap_or("-");
        format!("{} ({}, {url})", target.name, target.kind)
    })?;
    same(shards, "the selected levels", |r| {
        r.run_info.selection.levels.join(",")
    })?;
    same(shards, "the selected features", |r| {
        r.run_info.selection.features.join(",")
    })?;

    let mut owner: BTreeMap<&str, &Path> = BTreeMap::new();
    let mut trials = Vec::new();
    for (file, report) in shards {
        for trial in &report.trials {
            if let Some(first) = owner.insert(&trial.id, file) {
                return Err(MergeError::Overlap {
                    id: trial.id.clone(),
                    first: first.to_owned(),
                    second: file.clone(),
                });
            }
            trials.push(trial.clone());
        }
    }
    trials.sort_by(|a, b| a.id.cmp(&b.id));

    let mut runtimes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut selected = BTreeSet::new();
    for (_, report) in shards {
        for (runtime, info) in &report.run_info.runtimes {
            runtimes
                .entry(runtime.clone())
                .or_default()
                .extend(info.node_versions.iter().cloned());
        }
        selected.extend(report.run_info.selection.runtimes.iter().cloned());
    }
    let mut selected: Vec<String> = selected.into_iter().collect();
    selected.sort_by_key(|id| (RuntimeId::parse(id), id.clone()));

    let mut run_info = first.run_info.clone();
    run_info.runtimes = runtimes
        .into_iter()
        .map(|(runtime, versions)| {
            let node_versions = versions.into_iter().collect();
            (runtime, RuntimeInfo { node_versions })
        })
        .collect();
    run_info.selection.runtimes = selected;
    run_info.selection.partition = partition_of(shards);
    run_info.started_at = extreme(shards, first_file, |r| &r.run_info.started_at, false)?;
    run_info.finished_at = extreme(shards, first_file, |r| &r.run_info.finished_at, true)?;
    Ok(Report {
        format: json::FORMAT.into(),
        run_info,
        totals: Totals::of(&trials),
        statements: StatementOutcome::of(&trials),
        trials,
    })
}

/// Every shard says the same `what`, or the first two that differ are named.
fn same(
    shards: &[(PathBuf, Report)],
    what: &'static str,
    value: impl Fn(&Report) -> String,
) -> Result<(), MergeError> {
    let (first_file, first) = &shards[0];
    let first_value = value(first);
    for (file, report) in &shards[1..] {
        let other = value(report);
        if other != first_value {
            return Err(MergeError::Differ {
                what,
                first: first_file.clone(),
                first_value,
                second: file.clone(),
                second_value: other,
            });
        }
    }
    Ok(())
}

/// The earliest (or, `latest`, the latest) of the shards' times, as its shard wrote it.
fn extreme(
    shards: &[(PathBuf, Report)],
    first_file: &Path,
    at: impl Fn(&Report) -> &String,
    latest: bool,
) -> Result<String, MergeError> {
    let mut best: Option<(DateTime<FixedOffset>, &String)> = None;
    for (file, report) in shards {
        let text = at(report);
        let time = DateTime::parse_from_rfc3339(text).map_err(|e| MergeError::NotAReport {
            file: file.clone(),
            why: format!("its time `{text}` is not ISO 8601: {e}"),
        })?;
        let better = best.is_none_or(|(b, _)| if latest { time > b } else { time < b });
        if better {
            best = Some((time, text));
        }
    }
    best.map(|(_, text)| text.clone())
        .ok_or_else(|| MergeError::NotAReport {
            file: first_file.to_owned(),
            why: "no time".into(),
        })
}

/// The merged report's `--partition`: none when the shards are every shard of one partition (or
/// none was partitioned), else the shards' partitions, comma-separated: the report is partial.
fn partition_of(shards: &[(PathBuf, Report)]) -> Option<String> {
    let given: Vec<&str> = shards
        .iter()
        .filter_map(|(_, r)| r.run_info.selection.partition.as_deref())
        .collect();
    if given.is_empty() {
        return None;
    }
    let parsed: Vec<Partition> = given.iter().filter_map(|p| p.parse().ok()).collect();
    let complete = parsed.len() == shards.len()
        && parsed
            .iter()
            .all(|p| p.kind == parsed[0].kind && p.total == parsed[0].total)
        && parsed.iter().map(|p| p.shard).collect::<BTreeSet<_>>()
            == (1..=parsed[0].total).collect();
    if complete {
        return None;
    }
    let mut given: Vec<&str> = given;
    given.sort();
    given.dedup();
    Some(given.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The sample run split in two shards by `slice:K/2`.
    fn shards() -> (Report, Vec<(PathBuf, Report)>) {
        let whole = json::report(&sample::run_info(), &sample::records());
        let mut shards = Vec::new();
        for k in 1..=2u64 {
            let mut shard = whole.clone();
            let ids: Vec<&str> = whole.trials.iter().map(|t| t.id.as_str()).collect();
            let partition: Partition = format!("slice:{k}/2").parse().unwrap();
            let keep = partition.keeps(&ids);
            shard.trials = whole
                .trials
                .iter()
                .zip(keep)
                .filter(|(_, keep)| *keep)
                .map(|(t, _)| t.clone())
                .collect();
            shard.totals = Totals::of(&shard.trials);
            shard.run_info.selection.partition = Some(partition.to_string());
            shard.run_info.started_at = format!("2026-01-02T03:0{k}:00.000Z");
            shard.run_info.finished_at = format!("2026-01-02T03:1{}:00.000Z", 3 - k);
            shards.push((PathBuf::from(format!("shard-{k}.json")), shard));
        }
        (whole, shards)
    }

    #[test]
    fn two_shards_merge_into_the_whole_run() {
        let (whole, shards) = shards();
        let merged = merge(&shards).unwrap();
        assert_eq!(merged.trials, whole.trials);
        assert_eq!(merged.totals, whole.totals);
        assert_eq!(merged.run_info.selection, whole.run_info.selection);
        assert_eq!(merged.run_info.runtimes, whole.run_info.runtimes);
        assert_eq!(merged.run_info.started_at, "2026-01-02T03:01:00.000Z");
        assert_eq!(merged.run_info.finished_at, "2026-01-02T03:12:00.000Z");
        let partial = merge(&shards[..1]).unwrap();
        assert_eq!(
            partial.run_info.selection.partition.as_deref(),
            Some("slice:1/2")
        );
    }

    type Edit = fn(&mut Report);

    #[test]
    fn refuses_shards_of_different_runs_naming_both_files() {
        let (_, shards) = shards();
        let edits: [(&str, Edit); 4] = [
            ("the suite version", |r| {
                r.run_info.suite.version = "9.9.9".into()
            }),
            ("the corpus digest", |r| {
                r.run_info.corpus.digest = "sha256:ff".into()
            }),
            ("the target", |r| r.run_info.target.name = "other".into()),
            ("the selected levels", |r| {
                r.run_info.selection.levels = vec!["documented".into()]
            }),
        ];
        for (what, edit) in edits {
            let mut changed = shards.clone();
            edit(&mut changed[1].1);
            let error = merge(&changed).unwrap_err().to_string();
            assert!(
                error.contains(what)
                    && error.contains("shard-1.json")
                    && error.contains("shard-2.json"),
                "{error}"
            );
        }
        let twice = vec![
            shards[0].clone(),
            (PathBuf::from("again.json"), shards[0].1.clone()),
        ];
        let error = merge(&twice).unwrap_err().to_string();
        assert!(
            error.contains("overlap")
                && error.contains("shard-1.json")
                && error.contains("again.json")
                && error.contains(&shards[0].1.trials[0].id),
            "{error}"
        );
    }
}
