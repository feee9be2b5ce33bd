//! The log expectation, `{"contains": [m…], "not_contains": [m…], "max_bytes": n, "absent_ok":
//! true}`: how it loads and how it holds against a log's lines.

use serde_json::Value;

use super::error::ExpectError;
use crate::matcher::{Captures, Matcher, Mismatch};

#[derive(Debug, Default)]
pub struct LogExpectation {
    /// Matched as an ordered subsequence of the log's lines.
    pub contains: Vec<Matcher>,
    /// No line may match any of these.
    pub not_contains: Vec<Matcher>,
    pub max_bytes: Option<u64>,
    /// An answer without this log holds too ("no log is returned" read as absent or empty);
    /// otherwise a missing log is a mismatch, since `not_contains` and `max_bytes` must not hold
    /// against nothing.
    pub absent_ok: bool,
}

impl LogExpectation {
    /// The expectation under `key` (`log`, `log_header`).
    pub fn load(key: &str, value: &Value) -> Result<LogExpectation, ExpectError> {
        let Value::Object(log) = value else {
            return Err(ExpectError::new(
                key,
                format!(
                    "`{key}` takes {{\"contains\": [...], \"not_contains\": [...], \"max_bytes\": n, \"absent_ok\": true}}"
                ),
            ));
        };
        let mut expectation = LogExpectation::default();
        for (log_key, item) in log {
            let list = |item: &Value| match item {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        Matcher::compile(item, &format!("{key}.{log_key}[{i}]"))
                            .map_err(ExpectError::from)
                    })
                    .collect::<Result<Vec<_>, _>>(),
                _ => Err(ExpectError::new(
                    log_key,
                    format!("`{key}.{log_key}` takes an array of matchers"),
                )),
            };
            match log_key.as_str() {
                "contains" => expectation.contains = list(item)?,
                "not_contains" => expectation.not_contains = list(item)?,
                "absent_ok" => {
                    expectation.absent_ok = item.as_bool().ok_or_else(|| {
                        ExpectError::new(log_key, format!("`{key}.absent_ok` takes true or false"))
                    })?
                }
                "max_bytes" => {
                    expectation.max_bytes = Some(item.as_u64().ok_or_else(|| {
                        ExpectError::new(
                            log_key,
                            format!("`{key}.max_bytes` takes a non-negative integer"),
                        )
                    })?)
                }
                _ => {
                    return Err(ExpectError::new(
                        log_key,
                        format!(
                            "unknown key `{key}.{log_key}`; expected contains, not_contains, max_bytes or absent_ok"
                        ),
                    ));
                }
            }
        }
        Ok(expectation)
    }

    pub fn matchers(&self) -> impl Iterator<Item = &Matcher> {
        self.contains.iter().chain(&self.not_contains)
    }

    /// Checks `log`, reporting under `field`.
    pub fn check(
        &self,
        field: &str,
        log: &str,
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) {
        let lines: Vec<Value> = log.lines().map(|l| Value::String(l.to_owned())).collect();
        let mut next = 0;
        for (i, matcher) in self.contains.iter().enumerate() {
            match (next..lines.len()).find(|&at| matcher.is_satisfied(Some(&lines[at]), captures)) {
                Some(at) => next = at + 1,
                None => {
                    mismatches.push(Mismatch {
                        path: format!("{field}.contains[{i}]"),
                        expected: format!(
                            "a line matching {} after line {next}",
                            matcher.to_value()
                        ),
                        actual: format!(
                            "none among the {} lines after it",
                            lines.len() - next.min(lines.len())
                        ),
                    });
                    break;
                }
            }
        }
        for (i, matcher) in self.not_contains.iter().enumerate() {
            if let Some(at) = lines
                .iter()
                .position(|line| matcher.is_satisfied(Some(line), &mut captures.clone()))
            {
                mismatches.push(Mismatch {
                    path: format!("{field}.not_contains[{i}]"),
                    expected: format!("no line matching {}", matcher.to_value()),
                    actual: format!("line {}: {}", at + 1, lines[at]),
                });
            }
        }
        if let Some(max) = self.max_bytes
            && log.len() as u64 > max
        {
            mismatches.push(Mismatch {
                path: format!("{field}.max_bytes"),
                expected: format!("at most {max} bytes"),
                actual: format!("{} bytes", log.len()),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expectation: Value, log: &str) -> Vec<Mismatch> {
        let mut out = Vec::new();
        LogExpectation::load("log", &expectation).unwrap().check(
            "log",
            log,
            &mut Captures::default(),
            &mut out,
        );
        out
    }

    #[test]
    fn contains_is_an_ordered_subsequence() {
        let log = "Start invoke request 'r'\nhello\nworld\nFinish invoke request 'r'";
        let ordered = json!({"contains": [{"$prefix": "Start"}, "world", {"$prefix": "Finish"}]});
        assert_eq!(check(ordered, log), []);
        assert_eq!(check(json!({"contains": ["world", "hello"]}), log).len(), 1);
        let forbidden = json!({"not_contains": ["hello"], "max_bytes": 10});
        assert_eq!(check(forbidden, log).len(), 2);
    }

    #[test]
    fn absent_ok_loads_and_must_be_a_boolean() {
        let loaded = LogExpectation::load("log", &json!({"max_bytes": 0, "absent_ok": true}));
        assert!(loaded.unwrap().absent_ok);
        assert!(!LogExpectation::load("log", &json!({})).unwrap().absent_ok);
        let error = LogExpectation::load("log", &json!({"absent_ok": "yes"})).unwrap_err();
        assert_eq!(error.key, "absent_ok");
    }

    #[test]
    fn malformed_log_expectations_name_the_key() {
        let error = LogExpectation::load("log", &json!({"contains": "x"})).unwrap_err();
        assert_eq!(error.key, "contains");
        let error = LogExpectation::load("log_header", &json!({"lines": []})).unwrap_err();
        assert!(error.message.contains("log_header.lines"), "{error}");
    }
}
