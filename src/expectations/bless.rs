//! `--bless-expectations`: the expectations file rewritten from a run's records, one entry per
//! trial id that failed or errored, sorted; a reason already given for the trial is kept, a new
//! entry says `TODO`. Trials the run did not reach keep what the old file said of them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::Expectations;
use crate::record::TrialRecord;
use crate::verdict::Verdict;

/// The reason a new entry gets.
pub const TODO_REASON: &str = "TODO: say why";

const HEADER: &str = "\
# The trials this target is expected to fail (fgconform's expectations file, README: \"Adopting
# the suite on a runtime that does not pass yet\"). A listed trial that fails or errors passes the
# run; one that passes fails it until its entry is removed. `id`: a trial id, a case id
# (`area::case`, every runtime) or a glob over trial ids (`*::area::*`); `reason`: why.
# Written by `fgconform --bless-expectations`, which keeps the reasons; replace each TODO.
";

/// What blessing needs before the run: where the file goes and what it said.
#[derive(Debug)]
pub struct Blessing {
    /// Where the file is written.
    pub file: PathBuf,
    /// The descriptor, when it does not name an expectations file yet (`file` is then the
    /// default next to it, `<descriptor stem>.expectations.toml`).
    pub unnamed_in: Option<PathBuf>,
    /// The file as it was, if it existed.
    pub existing: Option<Expectations>,
    /// Every trial of the corpus on the target, the run's or not.
    pub trials: Vec<String>,
}

/// What blessing wrote.
#[derive(Debug, PartialEq, Eq)]
pub struct Blessed {
    pub file: PathBuf,
    pub entries: usize,
    /// Entries whose reason is still `TODO`.
    pub todo: usize,
    pub unnamed_in: Option<PathBuf>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    expected_failure: Vec<EntryOut<'a>>,
}

#[derive(Serialize)]
struct EntryOut<'a> {
    id: &'a str,
    reason: &'a str,
}

impl Blessing {
    /// The entries of the new file, trial id → reason, sorted by trial id.
    pub fn entries(&self, records: &[TrialRecord]) -> BTreeMap<String, String> {
        let ran: BTreeMap<&str, &TrialRecord> = records
            .iter()
            .filter(|record| record.runtime.is_some())
            .map(|record| (record.id.as_str(), record))
            .collect();
        let old_reason = |trial: &str| {
            self.existing
                .as_ref()
                .and_then(|existing| existing.lookup(trial))
                .map(|entry| entry.reason.clone())
        };
        let mut entries = BTreeMap::new();
        let every = self
            .trials
            .iter()
            .map(String::as_str)
            .chain(ran.keys().copied());
        for trial in every {
            let listed = match ran.get(trial) {
                Some(record) => match record.verdict {
                    Verdict::Fail(_) | Verdict::Error(_) => {
                        Some(old_reason(trial).unwrap_or_else(|| TODO_REASON.to_owned()))
                    }
                    Verdict::Pass | Verdict::Skipped(_) | Verdict::CaseInvalid(_) => None,
                },
                None => old_reason(trial),
            };
            if let Some(reason) = listed {
                entries.insert(trial.to_owned(), reason);
            }
        }
        entries
    }

    /// Writes the file for `records`.
    pub fn write(&self, records: &[TrialRecord]) -> std::io::Result<Blessed> {
        let entries = self.entries(records);
        std::fs::write(&self.file, render(&entries))?;
        Ok(Blessed {
            file: self.file.clone(),
            entries: entries.len(),
            todo: entries.values().filter(|r| *r == TODO_REASON).count(),
            unnamed_in: self.unnamed_in.clone(),
        })
    }
}

/// The file's text: the header, then one `[[expected_failure]]` per entry.
pub fn render(entries: &BTreeMap<String, String>) -> String {
    let file = FileOut {
        expected_failure: entries
            .iter()
            .map(|(id, reason)| EntryOut { id, reason })
            .collect(),
    };
    let body = toml::to_string(&file).unwrap_or_default();
    format!("{HEADER}\n{body}")
}
