//! The keys of `expected.json`, each defined once: its name, which calls show it, what part of
//! the observation it reads and how it is matched. Their order is the order they are checked
//! in, so captures bind in it (CASE-FORMAT.md, "Captures").

use serde_json::Value;

use super::error::ExpectError;
use crate::observe::{CallKind, Observation};

/// One key of `expected.json`.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    /// The kinds of call whose answers show it.
    pub shown_on: &'static [CallKind],
    /// Whether expecting this key makes any HTTP status an answer to check rather than the
    /// target breaking the protocol (only `status` does).
    pub admits_any_status: bool,
    pub reads: Reads,
    /// Checks on the expected value beyond the matcher language, when the case loads.
    pub validate: fn(&Value) -> Result<(), ExpectError>,
}

/// What a key reads from an observation, which decides how its expectation is written.
#[derive(Debug)]
pub enum Reads {
    /// A value, matched with the matcher language; `None` when the answer lacks it.
    Value(fn(&Observation) -> Option<Value>),
    /// A log's text, matched line by line (`{"contains", "not_contains", "max_bytes"}`);
    /// `missing` names what was expected when the answer has no such log.
    Log {
        text: fn(&Observation) -> Option<&str>,
        missing: &'static str,
    },
    /// Telemetry events, matched as an ordered subsequence (`{"events", "exhaustive"}`); the
    /// harness waits for them after the answers arrive (CASE-FORMAT.md, "Telemetry").
    Events(fn(&Observation) -> &[Value]),
}

impl Key {
    pub fn observed_on(&self, kind: CallKind) -> bool {
        self.shown_on.contains(&kind)
    }
}

/// Keys only a synchronous invoke's answer shows.
const INVOKES: &[CallKind] = &[CallKind::Invoke];
/// Keys every answer shows.
const EVERY_CALL: &[CallKind] = &[
    CallKind::Invoke,
    CallKind::Api,
    CallKind::AsyncInvoke,
    CallKind::AsyncOutcome,
    CallKind::List,
    CallKind::Dependency,
];

/// Every key, in checking order.
pub static KEYS: [Key; 17] = [
    Key {
        name: "request_id",
        shown_on: &[CallKind::Invoke, CallKind::AsyncInvoke],
        admits_any_status: false,
        reads: Reads::Value(|o| o.request_id.clone().map(Value::String)),
        validate: any_value,
    },
    Key {
        name: "status",
        shown_on: EVERY_CALL,
        admits_any_status: true,
        reads: Reads::Value(|o| Some(Value::from(o.status))),
        validate: any_value,
    },
    Key {
        name: "api_error",
        shown_on: EVERY_CALL,
        admits_any_status: false,
        reads: Reads::Value(|o| o.api_error.clone()),
        validate: any_value,
    },
    Key {
        name: "function",
        shown_on: &[CallKind::Api],
        admits_any_status: false,
        reads: Reads::Value(|o| o.function.clone()),
        validate: any_value,
    },
    Key {
        name: "dependency",
        shown_on: &[CallKind::Dependency],
        admits_any_status: false,
        reads: Reads::Value(|o| o.dependency.clone()),
        validate: any_value,
    },
    Key {
        name: "invocation",
        shown_on: &[CallKind::AsyncOutcome],
        admits_any_status: false,
        reads: Reads::Value(|o| o.invocation.clone()),
        validate: any_value,
    },
    Key {
        name: "listing",
        shown_on: &[CallKind::List],
        admits_any_status: false,
        reads: Reads::Value(|o| o.listing.clone()),
        validate: any_value,
    },
    Key {
        name: "failed",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(|o| Some(Value::Bool(o.failed))),
        validate: any_value,
    },
    Key {
        name: "result",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(Observation::result),
        validate: any_value,
    },
    Key {
        name: "result_text",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(|o| o.result_text.clone().map(Value::String)),
        validate: any_value,
    },
    Key {
        name: "error",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(Observation::error),
        validate: any_value,
    },
    Key {
        name: "body_status",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(|o| o.body_status.clone()),
        validate: any_value,
    },
    Key {
        name: "summary",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(|o| o.summary.clone()),
        validate: any_value,
    },
    Key {
        name: "headers",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Value(|o| Some(o.headers.clone())),
        validate: lower_case_header_names,
    },
    Key {
        name: "log",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Log {
            text: |o| o.log.as_deref(),
            missing: "a log",
        },
        validate: any_value,
    },
    Key {
        name: "log_header",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Log {
            text: |o| o.log_header.as_deref(),
            missing: "an X-Cff-Function-Log header",
        },
        validate: any_value,
    },
    // Last, so its matchers can use what every other key captured (`traceId` against
    // `request_id`).
    Key {
        name: "telemetry",
        shown_on: INVOKES,
        admits_any_status: false,
        reads: Reads::Events(|o| &o.telemetry),
        validate: any_value,
    },
];

/// The key called `name`.
pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|key| key.name == name)
}

fn any_value(_: &Value) -> Result<(), ExpectError> {
    Ok(())
}

/// Header names are matched in lower case, so an expectation written otherwise could never hold.
fn lower_case_header_names(expected: &Value) -> Result<(), ExpectError> {
    if let Value::Object(headers) = expected
        && let Some(name) = headers
            .keys()
            .find(|name| !name.starts_with('$') && name.to_ascii_lowercase() != **name)
    {
        return Err(ExpectError::new(
            name,
            format!(
                "header names are matched in lower case; write `{}`",
                name.to_ascii_lowercase()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new key is an entry here and a row in CASE-FORMAT.md's table, in the same order.
    #[test]
    fn case_format_documents_every_key_in_checking_order() {
        let doc = include_str!("../../CASE-FORMAT.md");
        let table = doc
            .split("## `expected.json`")
            .nth(1)
            .and_then(|section| section.split("\n## ").next())
            .expect("CASE-FORMAT.md has an `expected.json` section");
        let documented: Vec<_> = table
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let defined: Vec<_> = KEYS.iter().map(|key| key.name).collect();
        assert_eq!(documented, defined);
    }
}
