//! The names of what the suite creates on a target. Every function and dependency version of one
//! run carries the run's prefix, `<function_prefix>-<run id>` (`fgc-1a2b3c4d`), so that
//! `fgconform cleanup` can tell the leftovers of earlier runs from everything else on an account,
//! and one run's from another's.

use std::fmt;

/// The descriptor's `function_prefix` when it sets none.
pub const DEFAULT_PREFIX: &str = "fgc";
/// The longest `function_prefix`, so that a function name keeps room for the case.
pub const MAX_PREFIX: usize = 16;
/// Hex digits of a run id.
const RUN_ID_LEN: usize = 8;
/// Hex digits that make a name unique within its run.
const UNIQUE_LEN: usize = 6;
/// FunctionGraph's longest function name (PROTOCOL.md §2).
const MAX_FUNCTION_NAME: usize = 60;
/// FunctionGraph's longest dependency name (PROTOCOL.md §6).
const MAX_DEPENDENCY_NAME: usize = 96;

/// Why `prefix` cannot be a `function_prefix`, if it cannot: 1–16 letters, digits, `-` and `_`,
/// a letter first, a letter or digit last (so every name it begins is valid for a function and
/// for a dependency).
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let valid = (1..=MAX_PREFIX).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && prefix.ends_with(|c: char| c.is_ascii_alphanumeric())
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{prefix}` is no function prefix; give 1 to {MAX_PREFIX} letters, digits, `-` or `_`, \
             starting with a letter and ending with a letter or digit"
        ))
    }
}

/// One run's prefix: `<function_prefix>-<8 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPrefix(String);

impl RunPrefix {
    /// A new run's prefix under `function_prefix` (checked with [`check_prefix`]).
    pub fn new(function_prefix: &str) -> RunPrefix {
        RunPrefix(format!("{function_prefix}-{}", hex(RUN_ID_LEN)))
    }

    /// `text` when it is a run prefix, `<function_prefix>-<8 hex digits>` (what
    /// `cleanup --prefix` takes).
    pub fn parse(text: &str) -> Option<RunPrefix> {
        let (prefix, run) = text.rsplit_once('-')?;
        (check_prefix(prefix).is_ok() && is_run_id(run)).then(|| RunPrefix(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` is one this run made: it starts with `<run prefix>-`.
    pub fn owns(&self, name: &str) -> bool {
        name.strip_prefix(&self.0)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('-'))
    }

    /// A function name for a trial of `case_id`: `<run prefix>-<case slug>-<6 hex digits>`,
    /// within FunctionGraph's rules (letters, digits, `-`, `_`, at most 60 characters, a letter
    /// first, a letter or digit last); the slug is cut to fit.
    pub fn function_name(&self, case_id: &str) -> String {
        let slug: String = case_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let budget = MAX_FUNCTION_NAME - self.0.len() - 2 - UNIQUE_LEN;
        let slug: String = slug.chars().take(budget).collect();
        format!("{}-{slug}-{}", self.0, hex(UNIQUE_LEN))
    }

    /// A dependency name for the case's folder (or the forwarder) `name`:
    /// `<run prefix>-<name>-<6 hex digits>`, within FunctionGraph's rules (letters, digits, `_`,
    /// `.`, `-`, at most 96 characters, a letter first, a letter or digit last).
    pub fn dependency_name(&self, name: &str) -> String {
        let budget = MAX_DEPENDENCY_NAME - self.0.len() - 2 - UNIQUE_LEN;
        let name: String = name.chars().take(budget).collect();
        format!("{}-{name}-{}", self.0, hex(UNIQUE_LEN))
    }
}

impl fmt::Display for RunPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `name` is one some run made under `function_prefix`:
/// `<function_prefix>-<8 hex digits>-<more>`.
pub fn is_suite_name(name: &str, function_prefix: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(function_prefix)
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    match rest.split_once('-') {
        Some((run, more)) => is_run_id(run) && !more.is_empty(),
        None => false,
    }
}

fn is_run_id(text: &str) -> bool {
    text.len() == RUN_ID_LEN
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// `len` random lowercase hex digits (at most 32).
fn hex(len: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..len].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_function_name(name: &str) -> bool {
        name.len() <= 60
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }

    #[test]
    fn function_names_carry_the_run_prefix_and_stay_valid() {
        let long = "area::".to_owned() + &"very-long-case-name-".repeat(10);
        for prefix in [DEFAULT_PREFIX, "a", "team_b-suite-xyz"] {
            let run = RunPrefix::new(prefix);
            assert_eq!(run.as_str().len(), prefix.len() + 9);
            for id in ["handler::callback-echo", &long, "a::b"] {
                let name = run.function_name(id);
                assert!(valid_function_name(&name), "{name}");
                assert!(name.starts_with(&format!("{run}-")), "{name}");
                assert!(run.owns(&name) && is_suite_name(&name, prefix), "{name}");
                assert_ne!(name, run.function_name(id));
            }
        }
        let name = RunPrefix::new("fgc").function_name("handler::callback-echo");
        assert!(
            name.contains("-handler--callback-echo-"),
            "the case stays readable: {name}"
        );
    }

    #[test]
    fn dependency_names_carry_the_run_prefix_and_stay_valid() {
        let run = RunPrefix::new("team_b-suite-xyz");
        let name = run.dependency_name(&"d.e_p-1".repeat(20));
        assert!(name.len() <= 96, "{name}");
        assert!(name.starts_with(&format!("{run}-d.e_p-1")));
        assert!(name.ends_with(|c: char| c.is_ascii_alphanumeric()));
        assert!(run.owns(&name) && is_suite_name(&name, "team_b-suite-xyz"));
        assert_ne!(run.dependency_name("x"), run.dependency_name("x"));
    }

    #[test]
    fn suite_names_are_told_from_others_and_runs_from_runs() {
        let run = RunPrefix::new("fgc");
        let other_run = RunPrefix::new("fgc");
        let mine = run.function_name("area::case");
        assert!(!other_run.owns(&mine));
        for foreign in [
            "fgc",
            "fgc-",
            "fgc-handler-echo-1a2b3c",
            "fgc-1A2B3C4D-case-1a2b3c",
            "fgc-1a2b3c4d-",
            "fgcx-1a2b3c4d-case",
            "my-function",
        ] {
            assert!(!is_suite_name(foreign, "fgc"), "{foreign}");
        }
        assert!(is_suite_name("fgc-1a2b3c4d-case-1a2b3c", "fgc"));
        assert!(!is_suite_name(&mine, "fg"));
        assert!(!run.owns(run.as_str()));
    }

    #[test]
    fn run_prefixes_parse_and_function_prefixes_are_checked() {
        let run = RunPrefix::new("my-team");
        assert_eq!(RunPrefix::parse(run.as_str()), Some(run));
        for bad in [
            "fgc",
            "fgc-1a2b3c4",
            "fgc-1a2b3c4dx",
            "-1a2b3c4d",
            "1x-1a2b3c4d",
        ] {
            assert_eq!(RunPrefix::parse(bad), None, "{bad}");
        }
        assert!(check_prefix("fgc").is_ok());
        assert!(check_prefix("a_b-c9").is_ok());
        for bad in ["", "1fgc", "fgc-", "fg.c", &"a".repeat(17)] {
            let error = check_prefix(bad).unwrap_err();
            assert!(error.contains("no function prefix"), "{bad}: {error}");
        }
    }
}
