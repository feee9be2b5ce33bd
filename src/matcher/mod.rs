//! The matcher language of `expected.json` (CASE-FORMAT.md, "Matchers").
//!
//! A matcher is compiled once when the case loads (`parse`), so a misspelt `$` key is an error in
//! the case rather than a silent pass. Checking a value also produces the *reconciled* expected
//! value: the expected side with every part that matched replaced by the actual value, so a
//! unified diff of reconciled-vs-actual shows only what really differs. Captures bind only when
//! the object, array or `$` object holding them matched as a whole (`captures`).

mod captures;
mod numbers;
mod ops;
mod parse;
#[cfg(test)]
mod proptests;
mod structure;
#[cfg(test)]
mod tests;

use regex::Regex;
use serde_json::{Number, Value};

pub use captures::Captures;
pub use numbers::json_eq;
pub use parse::{MatcherError, OPERATORS};
/// Arbitrary JSON shaped like matchers, for the case loader's property tests.
#[cfg(test)]
pub use proptests::json as proptest_json;
pub use structure::Assignment;

#[derive(Debug, Clone)]
pub enum Matcher {
    /// A scalar that must be equal (numbers exactly by value: `128` equals `128.0`).
    Equal(Value),
    /// A plain object: the listed keys must match; other keys of the actual object are allowed.
    Object(Vec<(String, Matcher)>),
    /// An array: element by element, same length.
    Array(Vec<Matcher>),
    /// An object whose keys all start with `$`: every operator must hold.
    Ops { ops: Vec<Op>, source: Value },
}

#[derive(Debug, Clone)]
pub enum Op {
    Any,
    Type(JsonType),
    Regex(Regex),
    Prefix(String),
    Range(Number, Number),
    OneOf(Vec<Matcher>),
    All(Vec<Matcher>),
    Absent,
    Capture(String),
    Same(String),
    Ge(Bound),
    Le(Bound),
    Ceil(String),
    /// A string containing the (string) value of a capture: ties a log line to a header.
    ContainsCapture(String),
    /// An object with exactly the keys of the plain-object matcher (`Matcher::Object`) it holds.
    Exact(Vec<(String, Matcher)>),
    /// Holds when the matcher does not (on a value that exists).
    Not(Box<Matcher>),
    /// An array in which each matcher matches a distinct element, in any order.
    Contains(Vec<Matcher>),
}

#[derive(Debug, Clone)]
pub enum Bound {
    Number(Number),
    Capture(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
    Uuid,
    Timestamp,
}

/// One place where the actual value did not satisfy the expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.path, self.expected, self.actual
        )
    }
}

impl Matcher {
    /// Compiles the expectation `value`, found at `path` in `expected.json`.
    pub fn compile(value: &Value, path: &str) -> Result<Matcher, MatcherError> {
        parse::compile(value, path)
    }

    /// The expectation as written in the case.
    pub fn to_value(&self) -> Value {
        match self {
            Matcher::Equal(v) => v.clone(),
            Matcher::Object(fields) => fields_value(fields),
            Matcher::Array(items) => Value::Array(items.iter().map(Matcher::to_value).collect()),
            Matcher::Ops { source, .. } => source.clone(),
        }
    }

    /// Capture names this matcher binds and uses, for checking a case when it loads.
    pub fn visit_captures(&self, binds: &mut Vec<String>, uses: &mut Vec<String>) {
        match self {
            Matcher::Equal(_) => {}
            Matcher::Object(fields) => fields
                .iter()
                .for_each(|(_, m)| m.visit_captures(binds, uses)),
            Matcher::Array(items) => items.iter().for_each(|m| m.visit_captures(binds, uses)),
            Matcher::Ops { ops, .. } => {
                for op in ops {
                    match op {
                        Op::Capture(name) => binds.push(name.clone()),
                        Op::Same(name) | Op::Ceil(name) | Op::ContainsCapture(name) => {
                            uses.push(name.clone())
                        }
                        Op::Ge(Bound::Capture(name)) | Op::Le(Bound::Capture(name)) => {
                            uses.push(name.clone())
                        }
                        Op::OneOf(ms) | Op::All(ms) | Op::Contains(ms) => {
                            ms.iter().for_each(|m| m.visit_captures(binds, uses))
                        }
                        Op::Exact(fields) => fields
                            .iter()
                            .for_each(|(_, m)| m.visit_captures(binds, uses)),
                        // Binds nothing (the compiler refuses a capture under `$not`).
                        Op::Not(m) => m.visit_captures(&mut Vec::new(), uses),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Whether `actual` satisfies the matcher; captures are bound only when it does.
    pub fn is_satisfied(&self, actual: Option<&Value>, captures: &mut Captures) -> bool {
        captures.transaction(|scratch| {
            let mut mismatches = Vec::new();
            self.check(actual, "", scratch, &mut mismatches);
            let held = mismatches.is_empty();
            (held, held)
        })
    }

    /// Checks `actual` (`None`: the key is absent), records every mismatch, binds captures (only
    /// those of objects, arrays and `$` objects that matched whole), and returns the reconciled
    /// expected value (`None`: expected to be absent).
    pub fn check(
        &self,
        actual: Option<&Value>,
        path: &str,
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) -> Option<Value> {
        match (self, actual) {
            (Matcher::Ops { ops, source }, _) => {
                ops::check_ops(ops, source, actual, path, captures, mismatches)
            }
            (_, None) => {
                mismatches.push(mismatch(path, &self.to_value(), None));
                Some(self.to_value())
            }
            (Matcher::Equal(expected), Some(actual)) => {
                if json_eq(expected, actual) {
                    Some(actual.clone())
                } else {
                    mismatches.push(mismatch(path, expected, Some(actual)));
                    Some(expected.clone())
                }
            }
            (Matcher::Object(fields), Some(Value::Object(actual_map))) => Some(
                structure::check_object(fields, false, actual_map, path, captures, mismatches),
            ),
            (Matcher::Array(items), Some(Value::Array(actual_items))) => Some(
                structure::check_array(items, actual_items, path, captures, mismatches),
            ),
            (m, Some(actual)) => {
                mismatches.push(mismatch(path, &m.to_value(), Some(actual)));
                Some(m.to_value())
            }
        }
    }
}

fn fields_value(fields: &[(String, Matcher)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, m)| (k.clone(), m.to_value()))
            .collect(),
    )
}

fn mismatch(path: &str, expected: &Value, actual: Option<&Value>) -> Mismatch {
    Mismatch {
        path: path.to_owned(),
        expected: compact(expected),
        actual: actual.map_or_else(|| "nothing (absent)".to_owned(), compact),
    }
}

fn compact(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
