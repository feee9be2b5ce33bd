//! What a step expects (`expected.json`) and how it is checked against what was observed. The
//! keys are defined once, in [`KEYS`]; loading, checking and the capture check all go through
//! that table, so a new key is one entry there (and a row in CASE-FORMAT.md).

mod error;
mod keys;
mod log;
mod telemetry;

use serde_json::{Map, Value};

pub use error::ExpectError;
pub use keys::{KEYS, Key, Reads};
pub use log::LogExpectation;
pub use telemetry::TelemetryExpectation;

use crate::matcher::{Captures, Matcher, Mismatch};
use crate::observe::{CallKind, Observation};
use crate::verdict::FieldDiff;

/// Names the harness binds before a trial's first step (CASE-FORMAT.md, "Captures").
pub const PREBOUND: [&str; 7] = [
    "func_name",
    "func_urn",
    "package",
    "runtime",
    "memory_size",
    "code_size",
    "code_digest",
];

/// A step's expectation: the keys `expected.json` sets, in checking order; absent keys are not
/// checked.
#[derive(Debug, Default)]
pub struct Expected {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    key: &'static Key,
    check: Check,
}

/// An expectation bound to the part of the observation it reads.
#[derive(Debug)]
enum Check {
    Value {
        read: fn(&Observation) -> Option<Value>,
        matcher: Matcher,
    },
    Log {
        text: fn(&Observation) -> Option<&str>,
        missing: &'static str,
        expectation: LogExpectation,
    },
    Events {
        read: fn(&Observation) -> &[Value],
        expectation: TelemetryExpectation,
    },
}

impl Expected {
    /// The expectation `map` (an `expected.json` object) states for a call of `kind`.
    pub fn load(map: &Map<String, Value>, kind: CallKind) -> Result<Expected, ExpectError> {
        let mut entries = Vec::new();
        for (name, value) in map {
            let key = match keys::find(name) {
                Some(key) if key.observed_on(kind) => key,
                found => {
                    let why = if found.is_some() {
                        "is not observed by this kind of step"
                    } else {
                        "is unknown"
                    };
                    let allowed: Vec<_> = KEYS
                        .iter()
                        .filter(|key| key.observed_on(kind))
                        .map(|key| key.name)
                        .collect();
                    return Err(ExpectError::new(
                        name,
                        format!("key `{name}` {why}; expected one of {}", allowed.join(", ")),
                    ));
                }
            };
            (key.validate)(value)?;
            let check = match key.reads {
                Reads::Value(read) => Check::Value {
                    read,
                    matcher: Matcher::compile(value, name)?,
                },
                Reads::Log { text, missing } => Check::Log {
                    text,
                    missing,
                    expectation: LogExpectation::load(name, value)?,
                },
                Reads::Events(read) => Check::Events {
                    read,
                    expectation: TelemetryExpectation::load(name, value)?,
                },
            };
            entries.push(Entry { key, check });
        }
        entries.sort_by_key(|entry| position(entry.key));
        Ok(Expected { entries })
    }

    /// Whether any HTTP status is an answer to check (a `status` expectation), rather than only
    /// success being the protocol.
    pub fn admits_any_status(&self) -> bool {
        self.entries.iter().any(|entry| entry.key.admits_any_status)
    }

    /// Every matcher, for the check that each capture a matcher uses is bound somewhere.
    pub fn matchers(&self) -> impl Iterator<Item = &Matcher> {
        self.entries
            .iter()
            .flat_map(|entry| -> Box<dyn Iterator<Item = &Matcher>> {
                match &entry.check {
                    Check::Value { matcher, .. } => Box::new(std::iter::once(matcher)),
                    Check::Log { expectation, .. } => Box::new(expectation.matchers()),
                    Check::Events { expectation, .. } => Box::new(expectation.matchers()),
                }
            })
    }

    /// Whether a key reads telemetry events, which may arrive after the answer: the harness
    /// then waits for them before judging.
    pub fn awaits_events(&self) -> bool {
        self.entries
            .iter()
            .any(|entry| matches!(entry.check, Check::Events { .. }))
    }

    /// Whether every key that reads telemetry events holds for `observation`, with the captures
    /// the keys before it would bind; `captures` is left as it was.
    pub fn events_hold(&self, observation: &Observation, captures: &Captures) -> bool {
        let mut scratch = captures.clone();
        let mut mismatches = Vec::new();
        let mut held = true;
        for entry in &self.entries {
            let before = mismatches.len();
            entry.check(observation, &mut scratch, &mut mismatches, &mut Vec::new());
            if matches!(entry.check, Check::Events { .. }) && mismatches.len() > before {
                held = false;
            }
        }
        held
    }

    /// Checks `observation` key by key, in order, adding what did not hold to `mismatches`;
    /// answers a diff for each structured value that differed.
    pub fn check(
        &self,
        observation: &Observation,
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) -> Vec<FieldDiff> {
        let mut diffs = Vec::new();
        for entry in &self.entries {
            entry.check(observation, captures, mismatches, &mut diffs);
        }
        diffs
    }
}

impl Entry {
    /// Checks this key, adding to `mismatches` and, for a structured value that differed, `diffs`.
    fn check(
        &self,
        observation: &Observation,
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
        diffs: &mut Vec<FieldDiff>,
    ) {
        let key = self.key;
        match &self.check {
            Check::Value { read, matcher } => {
                let actual = read(observation);
                let before = mismatches.len();
                let reconciled = matcher.check(actual.as_ref(), key.name, captures, mismatches);
                if mismatches.len() > before
                    && (is_structured(&actual) || is_structured(&reconciled))
                {
                    diffs.push(FieldDiff {
                        field: key.name.to_owned(),
                        expected: reconciled.unwrap_or(Value::Null),
                        actual: actual.unwrap_or(Value::Null),
                    });
                }
            }
            Check::Log {
                text,
                missing,
                expectation,
            } => match text(observation) {
                Some(text) => expectation.check(key.name, text, captures, mismatches),
                None if expectation.absent_ok => {}
                None => mismatches.push(Mismatch {
                    path: key.name.into(),
                    expected: (*missing).into(),
                    actual: "absent".into(),
                }),
            },
            Check::Events { read, expectation } => {
                let events = read(observation);
                let before = mismatches.len();
                let reconciled = expectation.check(key.name, events, captures, mismatches);
                if mismatches.len() > before {
                    diffs.push(FieldDiff {
                        field: key.name.to_owned(),
                        expected: reconciled,
                        actual: Value::Array(events.to_vec()),
                    });
                }
            }
        }
    }
}

fn position(key: &Key) -> usize {
    KEYS.iter()
        .position(|known| std::ptr::eq(known, key))
        .unwrap_or(KEYS.len())
}

/// Scalars read well in the mismatch line alone; objects and arrays get a diff.
fn is_structured(value: &Option<Value>) -> bool {
    matches!(value, Some(Value::Object(_) | Value::Array(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::wire::RequestVersion;

    fn load(value: Value, kind: CallKind) -> Result<Expected, ExpectError> {
        Expected::load(value.as_object().unwrap(), kind)
    }

    #[test]
    fn keys_check_in_table_order_whatever_the_file_order() {
        // `result` uses what `request_id` captures although the file names it first.
        let expected = load(
            json!({"result": {"$same": "rid"}, "request_id": {"$capture": "rid"}}),
            CallKind::Invoke,
        )
        .unwrap();
        let observation = Observation {
            request_id: Some("r-1".into()),
            result_text: Some("\"r-1\"".into()),
            ..Observation::default()
        };
        let mut mismatches = Vec::new();
        expected.check(&observation, &mut Captures::default(), &mut mismatches);
        assert_eq!(mismatches, []);
    }

    #[test]
    fn api_calls_take_only_their_keys() {
        let error = load(json!({"result": 1}), CallKind::Api).unwrap_err();
        assert_eq!(error.key, "result");
        assert_eq!(
            error.message,
            "key `result` is not observed by this kind of step; expected one of status, api_error, function"
        );
        let error = load(json!({"reslt": 1}), CallKind::Invoke).unwrap_err();
        assert!(
            error.message.starts_with("key `reslt` is unknown"),
            "{error}"
        );
        assert!(
            load(json!({"status": 404}), CallKind::Api)
                .unwrap()
                .admits_any_status()
        );
    }

    #[test]
    fn a_missing_log_header_is_a_mismatch_and_structured_values_get_a_diff() {
        let expected = load(
            json!({"error": {"errorType": "Error"}, "log_header": {"contains": ["x"]}}),
            CallKind::Invoke,
        )
        .unwrap();
        let observation = Observation {
            failed: true,
            result_text: Some(r#"{"errorType": "TypeError"}"#.into()),
            ..Observation::default()
        };
        let mut mismatches = Vec::new();
        let diffs = expected.check(&observation, &mut Captures::default(), &mut mismatches);
        let paths: Vec<_> = mismatches.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["error.errorType", "log_header"]);
        assert_eq!(mismatches[1].expected, "an X-Cff-Function-Log header");
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].field, "error");
    }

    #[test]
    fn a_body_without_a_log_is_not_an_empty_log() {
        // A target that sends no `log` at all must not pass `not_contains` or `max_bytes`.
        let reply = crate::wire::Reply {
            status: 200,
            headers: Default::default(),
            body: br#"{"request_id": "", "result": "ok"}"#.to_vec(),
        };
        let (observation, _) =
            Observation::of_invoke(&reply, false, RequestVersion::V1, Vec::new()).unwrap();
        for log in [json!({"not_contains": ["secret"]}), json!({"max_bytes": 0})] {
            let expected = load(json!({ "log": log }), CallKind::Invoke).unwrap();
            let mut mismatches = Vec::new();
            expected.check(&observation, &mut Captures::default(), &mut mismatches);
            assert_eq!(mismatches.len(), 1, "{log}: {mismatches:?}");
            assert_eq!(mismatches[0].path, "log");
            assert_eq!(mismatches[0].expected, "a log");
            assert_eq!(mismatches[0].actual, "absent");
        }
        // Unless the expectation says no log at all holds too.
        let expected = load(
            json!({"log": {"max_bytes": 0, "absent_ok": true}}),
            CallKind::Invoke,
        )
        .unwrap();
        let mut mismatches = Vec::new();
        expected.check(&observation, &mut Captures::default(), &mut mismatches);
        assert_eq!(mismatches, []);
        // An empty log is a log.
        let reply = crate::wire::Reply {
            body: br#"{"request_id": "", "result": "ok", "log": ""}"#.to_vec(),
            ..reply
        };
        let (observation, _) =
            Observation::of_invoke(&reply, false, RequestVersion::V1, Vec::new()).unwrap();
        let expected = load(json!({"log": {"max_bytes": 0}}), CallKind::Invoke).unwrap();
        let mut mismatches = Vec::new();
        expected.check(&observation, &mut Captures::default(), &mut mismatches);
        assert_eq!(mismatches, []);
    }

    #[test]
    fn header_names_must_be_lower_case() {
        let error = load(
            json!({"headers": {"X-Cff-Request-Id": 1}}),
            CallKind::Invoke,
        )
        .unwrap_err();
        assert_eq!(error.key, "X-Cff-Request-Id");
    }
}
