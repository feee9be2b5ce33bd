//! A target's expectations file: the trials it is known to fail, each with a reason, so that a
//! run on a runtime that does not pass yet is green until something changes. Loading (errors name
//! the file, the key and the line), matching trial ids, entries that match nothing, and what
//! libtest shows for a listed trial. `bless` rewrites the file from a run's records.

pub mod bless;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use glob::Pattern;
use libtest_mimic::{Completion, Failed};
use serde::Deserialize;
use toml::Spanned;

use crate::case::line_of;
use crate::runtime_id::RuntimeId;
use crate::verdict::Verdict;

/// The trials a target is expected to fail, as its expectations file lists them.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// The file, as the descriptor's directory and its `expectations` key make it.
    pub file: PathBuf,
    /// In file order.
    pub entries: Vec<Entry>,
}

/// One `[[expected_failure]]` entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// As written.
    pub id: String,
    pub reason: String,
    /// The line of its `[[expected_failure]]` header.
    pub line: usize,
    selector: Selector,
}

/// What an entry's `id` selects.
#[derive(Debug, Clone)]
enum Selector {
    /// `Node.js6.10::area::case`: one trial.
    Trial,
    /// `area::case`: the case on every runtime.
    Case,
    /// A glob over trial ids, `*::area::*`.
    Glob(Pattern),
}

impl Selector {
    /// How specific the selector is: a trial id wins over a case id, which wins over a glob.
    fn rank(&self) -> u8 {
        match self {
            Selector::Trial => 0,
            Selector::Case => 1,
            Selector::Glob(_) => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    #[error("the expectations file {}: cannot read: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: `{key}`: {message}", file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectationsFile {
    #[serde(default)]
    expected_failure: Vec<Spanned<EntryFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    id: Spanned<String>,
    reason: Spanned<String>,
}

/// The prefix of the trials that are not a case on a runtime, which no entry may name.
const NOT_TRIALS: [&str; 2] = ["case-format::", "expectations::"];

impl Expectations {
    /// Reads the expectations file at `file`.
    pub fn load(file: &Path) -> Result<Expectations, ExpectationsError> {
        let text = std::fs::read_to_string(file).map_err(|source| ExpectationsError::Read {
            file: file.to_owned(),
            source,
        })?;
        Expectations::parse(file, &text)
    }

    /// The expectations in `text`, read from `file` (for messages).
    pub fn parse(file: &Path, text: &str) -> Result<Expectations, ExpectationsError> {
        let invalid = |span: Range<usize>, key: &str, message: String| ExpectationsError::Invalid {
            file: file.to_owned(),
            line: line_of(text, span.start),
            key: key.to_owned(),
            message,
        };
        let parsed: ExpectationsFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            invalid(
                span.clone(),
                &key_at(text, span.start),
                e.message().trim().to_owned(),
            )
        })?;
        let mut entries: Vec<Entry> = Vec::new();
        for spanned in parsed.expected_failure {
            let line = line_of(text, spanned.span().start);
            let EntryFile { id, reason } = spanned.into_inner();
            let selector = selector(id.get_ref()).map_err(|m| invalid(id.span(), "id", m))?;
            if reason.get_ref().trim().is_empty() {
                return Err(invalid(
                    reason.span(),
                    "reason",
                    "is empty; say why the trial fails (a bug, a missing feature, a known difference)".into(),
                ));
            }
            if let Some(earlier) = entries.iter().find(|e| e.id == *id.get_ref()) {
                return Err(invalid(
                    id.span(),
                    "id",
                    format!(
                        "`{}` is listed twice; the first entry is at line {}",
                        earlier.id, earlier.line
                    ),
                ));
            }
            entries.push(Entry {
                id: id.into_inner(),
                reason: reason.into_inner().trim().to_owned(),
                line,
                selector,
            });
        }
        Ok(Expectations {
            file: file.to_owned(),
            entries,
        })
    }

    /// The entry that lists `trial` (`<runtime>::<area>::<case>`), the most specific one when
    /// several do: a trial id, then a case id, then a glob, each in file order.
    pub fn lookup(&self, trial: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .filter(|entry| entry.matches(trial))
            .min_by_key(|entry| entry.selector.rank())
    }

    /// The entries that match none of `trials`, in file order.
    pub fn dangling<'a>(&'a self, trials: &[String]) -> Vec<&'a Entry> {
        self.entries
            .iter()
            .filter(|entry| !trials.iter().any(|trial| entry.matches(trial)))
            .collect()
    }
}

impl Entry {
    /// Whether the entry lists `trial`, a trial id `<runtime>::<area>::<case>`.
    pub fn matches(&self, trial: &str) -> bool {
        if NOT_TRIALS.iter().any(|prefix| trial.starts_with(prefix)) {
            return false;
        }
        match &self.selector {
            Selector::Trial => trial == self.id,
            Selector::Case => trial
                .split_once("::")
                .is_some_and(|(_, case)| case == self.id),
            Selector::Glob(pattern) => pattern.matches(trial),
        }
    }

    /// What libtest shows for a listed trial with `verdict`: a failure or an error is expected
    /// (ok), a pass is not (failed, saying which entry to remove); `None` for the others
    /// (skipped, case invalid), which show as they would unlisted.
    pub fn outcome(&self, file: &Path, verdict: &Verdict) -> Option<Result<Completion, Failed>> {
        match verdict {
            Verdict::Fail(_) | Verdict::Error(_) => Some(Ok(Completion::Completed)),
            Verdict::Pass => Some(Err(self.passes_now(file).into())),
            Verdict::Skipped(_) | Verdict::CaseInvalid(_) => None,
        }
    }

    /// The message of a listed trial that passes.
    pub fn passes_now(&self, file: &Path) -> String {
        format!("passes now: remove the entry at {}", self.at(file))
    }

    /// `<file>:<line>`.
    pub fn at(&self, file: &Path) -> String {
        format!("{}:{}", file.display(), self.line)
    }
}

/// The message of an entry that matches no trial.
pub struct Dangling<'a>(pub &'a Path, pub &'a Entry);

impl fmt::Display for Dangling<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Dangling(file, entry) = self;
        write!(
            f,
            "{}: `id`: `{}` matches no trial of the corpus on this target (a trial skipped for \
             its runtime range or features does not count); remove the entry or fix the id",
            entry.at(file),
            entry.id
        )
    }
}

/// What an `id` selects, or why it selects nothing.
fn selector(id: &str) -> Result<Selector, String> {
    if id.trim().is_empty() {
        return Err(
            "is empty; give a trial id (`Node.js20.15::area::case`), a case id \
                    (`area::case`) or a glob over trial ids (`*::area::*`)"
                .into(),
        );
    }
    if let Some(prefix) = NOT_TRIALS.iter().find(|prefix| id.starts_with(*prefix)) {
        return Err(format!(
            "`{id}`: `{}` trials cannot be expected to fail; fix what they report",
            prefix.trim_end_matches(':')
        ));
    }
    if id.contains(['*', '?', '[']) {
        return Pattern::new(id)
            .map(Selector::Glob)
            .map_err(|e| format!("`{id}` is not a valid glob: {e}"));
    }
    let parts: Vec<&str> = id.split("::").collect();
    if parts.len() < 2 || parts.iter().any(|part| part.is_empty()) {
        return Err(format!(
            "`{id}` is neither a trial id (`Node.js20.15::area::case`) nor a case id (`area::case`)"
        ));
    }
    if RuntimeId::parse(parts[0]).is_some() {
        if parts.len() < 3 {
            return Err(format!(
                "`{id}` names a runtime but no case; a trial id is `{}::area::case`",
                parts[0]
            ));
        }
        return Ok(Selector::Trial);
    }
    if parts[0].starts_with("Node.js") {
        return Err(format!("`{id}`: {}", RuntimeId::unknown(parts[0])));
    }
    Ok(Selector::Case)
}

/// The key written on the line holding byte `offset` (`key = …`), or the table header's name.
fn key_at(text: &str, offset: usize) -> String {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |at| at + 1);
    let line = text[start..].lines().next().unwrap_or_default().trim();
    let key = match line.split_once('=') {
        Some((key, _)) if !line.starts_with('[') => key.trim().trim_matches('"'),
        _ => line.trim_matches(|c| c == '[' || c == ']').trim(),
    };
    if key.is_empty() {
        "expected_failure".to_owned()
    } else {
        key.to_owned()
    }
}
