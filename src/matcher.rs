//! The matcher language of `expected.json` (CASE-FORMAT.md, "Matchers").
//!
//! A matcher is compiled once when the case loads, so a misspelt `$` key is an error in the case
//! rather than a silent pass. Checking a value also produces the *reconciled* expected value: the
//! expected side with every part that matched replaced by the actual value, so a unified diff of
//! reconciled-vs-actual shows only what really differs.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub enum Matcher {
    /// A scalar that must be equal (numbers compare by value: `128` equals `128.0`).
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
    Range(f64, f64),
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
}

#[derive(Debug, Clone)]
pub enum Bound {
    Number(f64),
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

pub const OPERATORS: [&str; 14] = [
    "$any",
    "$type",
    "$regex",
    "$prefix",
    "$range",
    "$oneOf",
    "$all",
    "$absent",
    "$capture",
    "$same",
    "$ge",
    "$le",
    "$ceil",
    "$containsCapture",
];

const TYPES: [&str; 9] = [
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "null",
    "uuid",
    "timestamp",
];

/// A matcher that cannot be compiled: `path` locates it inside the expected value, `key` is the
/// offending key (used to find its line in the file).
#[derive(Debug, Clone, thiserror::Error)]
#[error("at `{path}`: {message}")]
pub struct MatcherError {
    pub path: String,
    pub key: String,
    pub message: String,
}

/// Values bound by `$capture` (and the ones the harness pre-binds), shared across a trial's steps.
#[derive(Debug, Clone, Default)]
pub struct Captures(HashMap<String, Value>);

impl Captures {
    pub fn bind(&mut self, name: &str, value: Value) {
        self.0.insert(name.to_owned(), value);
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
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
    pub fn compile(value: &Value, path: &str) -> Result<Matcher, MatcherError> {
        match value {
            Value::Object(map) if !map.is_empty() && map.keys().all(|k| k.starts_with('$')) => {
                compile_ops(map, path)
            }
            Value::Object(map) => {
                if let Some(key) = map.keys().find(|k| k.starts_with('$')) {
                    return Err(MatcherError {
                        path: path.to_owned(),
                        key: key.clone(),
                        message: format!(
                            "`{key}` stands beside plain keys; a matcher object has only `$` keys \
                             (put the matcher under the key it constrains)"
                        ),
                    });
                }
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Matcher::compile(v, &join(path, k))?)))
                    .collect::<Result<_, _>>()
                    .map(Matcher::Object)
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Matcher::compile(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()
                .map(Matcher::Array),
            scalar => Ok(Matcher::Equal(scalar.clone())),
        }
    }

    /// The expectation as written in the case.
    pub fn to_value(&self) -> Value {
        match self {
            Matcher::Equal(v) => v.clone(),
            Matcher::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, m)| (k.clone(), m.to_value()))
                    .collect(),
            ),
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
                        Op::OneOf(ms) | Op::All(ms) => {
                            ms.iter().for_each(|m| m.visit_captures(binds, uses))
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Whether `actual` satisfies the matcher; captures are bound only when it does.
    pub fn is_satisfied(&self, actual: Option<&Value>, captures: &mut Captures) -> bool {
        let mut scratch_captures = captures.clone();
        let mut scratch = Vec::new();
        self.check(actual, "", &mut scratch_captures, &mut scratch);
        if scratch.is_empty() {
            *captures = scratch_captures;
        }
        scratch.is_empty()
    }

    /// Checks `actual` (`None`: the key is absent), records every mismatch, binds captures, and
    /// returns the reconciled expected value (`None`: expected to be absent).
    pub fn check(
        &self,
        actual: Option<&Value>,
        path: &str,
        captures: &mut Captures,
        mismatches: &mut Vec<Mismatch>,
    ) -> Option<Value> {
        match (self, actual) {
            (Matcher::Ops { ops, source }, _) => {
                check_ops(ops, source, actual, path, captures, mismatches)
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
            (Matcher::Object(fields), Some(Value::Object(actual_map))) => {
                // Checked in the expectation's key order, so a capture binds before a later key
                // uses it; the reconciled object follows the actual key order for the diff.
                let checked: Vec<(&String, Option<Value>)> = fields
                    .iter()
                    .map(|(key, m)| {
                        (
                            key,
                            m.check(actual_map.get(key), &join(path, key), captures, mismatches),
                        )
                    })
                    .collect();
                let mut reconciled = Map::new();
                for (key, value) in actual_map {
                    match checked.iter().find(|(k, _)| *k == key) {
                        Some((_, Some(v))) => {
                            reconciled.insert(key.clone(), v.clone());
                        }
                        Some((_, None)) => {}
                        None => {
                            reconciled.insert(key.clone(), value.clone());
                        }
                    }
                }
                for (key, v) in checked
                    .into_iter()
                    .filter(|(k, _)| !actual_map.contains_key(*k))
                {
                    if let Some(v) = v {
                        reconciled.insert(key.clone(), v);
                    }
                }
                Some(Value::Object(reconciled))
            }
            (Matcher::Array(items), Some(Value::Array(actual_items))) => {
                let mut reconciled = Vec::new();
                for (i, m) in items.iter().enumerate() {
                    if let Some(v) = m.check(
                        actual_items.get(i),
                        &format!("{path}[{i}]"),
                        captures,
                        mismatches,
                    ) {
                        reconciled.push(v);
                    }
                }
                if actual_items.len() > items.len() {
                    mismatches.push(Mismatch {
                        path: path.to_owned(),
                        expected: format!("{} elements", items.len()),
                        actual: format!("{} elements", actual_items.len()),
                    });
                }
                Some(Value::Array(reconciled))
            }
            (m, Some(actual)) => {
                mismatches.push(mismatch(path, &m.to_value(), Some(actual)));
                Some(m.to_value())
            }
        }
    }
}

fn check_ops(
    ops: &[Op],
    source: &Value,
    actual: Option<&Value>,
    path: &str,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) -> Option<Value> {
    let Some(actual) = actual else {
        if matches!(ops, [Op::Absent]) {
            return None;
        }
        mismatches.push(mismatch(path, source, None));
        return Some(source.clone());
    };
    let mut failures = Vec::new();
    for op in ops {
        if let Err(why) = check_op(op, actual, path, captures) {
            failures.push(why);
        }
    }
    if failures.is_empty() {
        return Some(actual.clone());
    }
    mismatches.push(Mismatch {
        path: path.to_owned(),
        expected: format!("{} ({})", compact(source), failures.join("; ")),
        actual: compact(actual),
    });
    if ops.iter().any(|op| matches!(op, Op::Absent)) {
        None
    } else {
        Some(source.clone())
    }
}

/// `Err` says why the operator does not hold.
fn check_op(op: &Op, actual: &Value, path: &str, captures: &mut Captures) -> Result<(), String> {
    match op {
        Op::Any => Ok(()),
        Op::Type(t) => has_type(*t, actual)
            .then_some(())
            .ok_or_else(|| format!("not of type {}", type_name(*t))),
        Op::Regex(re) => match actual {
            Value::String(s) if re.is_match(s) => Ok(()),
            Value::String(_) => Err("does not match the regex".into()),
            _ => Err("not a string".into()),
        },
        Op::Prefix(prefix) => match actual {
            Value::String(s) if s.starts_with(prefix.as_str()) => Ok(()),
            Value::String(_) => Err("does not start with the prefix".into()),
            _ => Err("not a string".into()),
        },
        Op::Range(min, max) => {
            let n = number(actual)?;
            (*min <= n && n <= *max)
                .then_some(())
                .ok_or_else(|| format!("{n} is outside [{min}, {max}]"))
        }
        Op::OneOf(options) => options
            .iter()
            .any(|m| m.is_satisfied(Some(actual), captures))
            .then_some(())
            .ok_or_else(|| "matches none of the options".into()),
        Op::All(all) => {
            let mut inner = Vec::new();
            for m in all {
                m.check(Some(actual), path, captures, &mut inner);
            }
            if inner.is_empty() {
                Ok(())
            } else {
                Err(inner
                    .iter()
                    .map(|m| m.expected.clone())
                    .collect::<Vec<_>>()
                    .join("; "))
            }
        }
        Op::Absent => Err("must be absent".into()),
        Op::Capture(name) => {
            captures.bind(name, actual.clone());
            Ok(())
        }
        Op::Same(name) => {
            let bound = bound(captures, name)?;
            json_eq(bound, actual)
                .then_some(())
                .ok_or_else(|| format!("differs from `{name}` = {}", compact(bound)))
        }
        Op::Ge(b) => {
            let (n, limit) = (number(actual)?, bound_number(b, captures)?);
            (n >= limit)
                .then_some(())
                .ok_or_else(|| format!("{n} < {limit}"))
        }
        Op::Le(b) => {
            let (n, limit) = (number(actual)?, bound_number(b, captures)?);
            (n <= limit)
                .then_some(())
                .ok_or_else(|| format!("{n} > {limit}"))
        }
        Op::Ceil(name) => {
            let n = number(actual)?;
            let of = number(bound(captures, name)?)
                .map_err(|_| format!("capture `{name}` is not a number"))?;
            (n == of.ceil())
                .then_some(())
                .ok_or_else(|| format!("ceil({of}) is {}, not {n}", of.ceil()))
        }
        Op::ContainsCapture(name) => {
            let needle = match bound(captures, name)? {
                Value::String(s) => s.clone(),
                other => compact(other),
            };
            match actual {
                Value::String(s) if s.contains(&needle) => Ok(()),
                Value::String(_) => Err(format!("does not contain `{name}` = {needle:?}")),
                _ => Err("not a string".into()),
            }
        }
    }
}

fn bound<'a>(captures: &'a Captures, name: &str) -> Result<&'a Value, String> {
    captures
        .get(name)
        .ok_or_else(|| format!("nothing was captured as `{name}` before this point"))
}

fn bound_number(b: &Bound, captures: &Captures) -> Result<f64, String> {
    match b {
        Bound::Number(n) => Ok(*n),
        Bound::Capture(name) => {
            number(bound(captures, name)?).map_err(|_| format!("capture `{name}` is not a number"))
        }
    }
}

fn number(v: &Value) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| "not a number".to_owned())
}

fn compile_ops(map: &Map<String, Value>, path: &str) -> Result<Matcher, MatcherError> {
    let err = |key: &str, message: String| MatcherError {
        path: path.to_owned(),
        key: key.to_owned(),
        message,
    };
    let text = |key: &str, v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| err(key, format!("`{key}` takes a string")))
    };
    let matchers = |key: &str, v: &Value| match v {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| Matcher::compile(item, &format!("{path}.{key}[{i}]")))
            .collect::<Result<Vec<_>, _>>(),
        _ => Err(err(
            key,
            format!("`{key}` takes a non-empty array of matchers"),
        )),
    };
    let bound = |key: &str, v: &Value| match v {
        Value::Number(n) => Ok(Bound::Number(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(name) => Ok(Bound::Capture(name.clone())),
        _ => Err(err(
            key,
            format!("`{key}` takes a number or a capture name"),
        )),
    };
    let mut ops = Vec::new();
    for (key, v) in map {
        let op = match key.as_str() {
            "$any" if v == &Value::Bool(true) => Op::Any,
            "$any" => return Err(err(key, "`$any` takes `true`".into())),
            "$type" => {
                let name = text(key, v)?;
                Op::Type(parse_type(&name).ok_or_else(|| {
                    err(
                        key,
                        format!(
                            "unknown type `{name}`; expected one of {}",
                            TYPES.join(", ")
                        ),
                    )
                })?)
            }
            "$regex" => {
                let pattern = text(key, v)?;
                Op::Regex(
                    Regex::new(&pattern).map_err(|e| err(key, format!("invalid regex: {e}")))?,
                )
            }
            "$prefix" => Op::Prefix(text(key, v)?),
            "$range" => match v
                .as_array()
                .map(|a| a.iter().map(Value::as_f64).collect::<Vec<_>>())
            {
                Some(bounds) if matches!(bounds.as_slice(), [Some(a), Some(b)] if a <= b) => {
                    Op::Range(bounds[0].unwrap_or_default(), bounds[1].unwrap_or_default())
                }
                _ => return Err(err(key, "`$range` takes [min, max] with min <= max".into())),
            },
            "$oneOf" => Op::OneOf(matchers(key, v)?),
            "$all" => Op::All(matchers(key, v)?),
            "$absent" if v == &Value::Bool(true) => Op::Absent,
            "$absent" => return Err(err(key, "`$absent` takes `true`".into())),
            "$capture" => Op::Capture(text(key, v)?),
            "$same" => Op::Same(text(key, v)?),
            "$ge" => Op::Ge(bound(key, v)?),
            "$le" => Op::Le(bound(key, v)?),
            "$ceil" => Op::Ceil(text(key, v)?),
            "$containsCapture" => Op::ContainsCapture(text(key, v)?),
            _ => {
                return Err(err(
                    key,
                    format!(
                        "unknown matcher `{key}`; known matchers: {}",
                        OPERATORS.join(", ")
                    ),
                ));
            }
        };
        ops.push(op);
    }
    if ops.len() > 1 && ops.iter().any(|op| matches!(op, Op::Absent)) {
        return Err(err(
            "$absent",
            "`$absent` cannot be combined with other matchers".into(),
        ));
    }
    Ok(Matcher::Ops {
        ops,
        source: Value::Object(map.clone()),
    })
}

fn parse_type(name: &str) -> Option<JsonType> {
    Some(match name {
        "string" => JsonType::String,
        "number" => JsonType::Number,
        "integer" => JsonType::Integer,
        "boolean" => JsonType::Boolean,
        "object" => JsonType::Object,
        "array" => JsonType::Array,
        "null" => JsonType::Null,
        "uuid" => JsonType::Uuid,
        "timestamp" => JsonType::Timestamp,
        _ => return None,
    })
}

fn type_name(t: JsonType) -> &'static str {
    TYPES[t as usize]
}

fn has_type(t: JsonType, v: &Value) -> bool {
    static UUID: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
            .expect("valid regex")
    });
    static TIMESTAMP: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
            .expect("valid regex")
    });
    match t {
        JsonType::String => v.is_string(),
        JsonType::Number => v.is_number(),
        JsonType::Integer => {
            v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        JsonType::Boolean => v.is_boolean(),
        JsonType::Object => v.is_object(),
        JsonType::Array => v.is_array(),
        JsonType::Null => v.is_null(),
        JsonType::Uuid => v.as_str().is_some_and(|s| UUID.is_match(s)),
        JsonType::Timestamp => v.as_str().is_some_and(|s| TIMESTAMP.is_match(s)),
    }
}

/// Deep equality where numbers compare by value.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(expected: Value, actual: Value) -> (Vec<Mismatch>, Option<Value>) {
        let m = Matcher::compile(&expected, "result").unwrap();
        let mut captures = Captures::default();
        let mut out = Vec::new();
        let reconciled = m.check(Some(&actual), "result", &mut captures, &mut out);
        (out, reconciled)
    }

    #[test]
    fn plain_objects_allow_extra_keys_and_compare_numbers_by_value() {
        let (out, reconciled) = run(
            json!({"a": 1, "b": {"c": "x"}}),
            json!({"a": 1.0, "b": {"c": "x", "d": 2}, "e": 3}),
        );
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(
            reconciled.unwrap(),
            json!({"a": 1.0, "b": {"c": "x", "d": 2}, "e": 3})
        );
    }

    #[test]
    fn every_operator_can_fail() {
        let cases = [
            (json!({"$type": "integer"}), json!(1.5)),
            (json!({"$type": "uuid"}), json!("not-a-uuid")),
            (json!({"$type": "timestamp"}), json!("yesterday")),
            (json!({"$regex": "^a+$"}), json!("ab")),
            (
                json!({"$prefix": "function entry exception"}),
                json!("boom"),
            ),
            (json!({"$range": [1, 2]}), json!(3)),
            (json!({"$oneOf": [1, 2]}), json!(3)),
            (
                json!({"$all": [{"$type": "number"}, {"$ge": 10}]}),
                json!(3),
            ),
            (json!({"$ge": 10}), json!(9)),
            (json!({"$le": 10}), json!(11)),
            (json!({"$same": "never_bound"}), json!(1)),
            (json!([1, 2]), json!([1, 2, 3])),
            (json!([1, 2]), json!([1])),
            (json!({"k": {"$absent": true}}), json!({"k": 1})),
            (json!({"k": 1}), json!({})),
            (json!("text"), json!({"text": 1})),
        ];
        for (expected, actual) in cases {
            let (out, _) = run(expected.clone(), actual.clone());
            assert!(!out.is_empty(), "{expected} should not match {actual}");
        }
    }

    #[test]
    fn captures_flow_into_same_ge_and_ceil() {
        let m = Matcher::compile(
            &json!({"duration": {"$capture": "d"}, "billing": {"$ceil": "d"}, "id": {"$same": "rid"}, "after": {"$ge": "d"}}),
            "summary",
        )
        .unwrap();
        let mut captures = Captures::default();
        captures.bind("rid", json!("abc"));
        let mut out = Vec::new();
        m.check(
            Some(&json!({"duration": 2.3, "billing": 3, "id": "abc", "after": 2.4})),
            "summary",
            &mut captures,
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        m.check(
            Some(&json!({"duration": 2.3, "billing": 2, "id": "abd", "after": 1})),
            "summary",
            &mut captures,
            &mut out,
        );
        assert_eq!(out.len(), 3, "{out:?}");
    }

    #[test]
    fn captures_bind_in_the_expectations_key_order() {
        let m = Matcher::compile(
            &json!({"duration": {"$capture": "d"}, "billingDuration": {"$ceil": "d"}}),
            "s",
        )
        .unwrap();
        let mut captures = Captures::default();
        let mut out = Vec::new();
        m.check(
            Some(&json!({"billingDuration": 3, "duration": 2.1})),
            "s",
            &mut captures,
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn reconciled_value_keeps_only_real_differences() {
        let (out, reconciled) = run(
            json!({"errorType": "Error", "errorMessage": {"$prefix": "function entry exception, error: "}}),
            json!({"errorType": "Error", "errorMessage": "boom"}),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "result.errorMessage");
        assert_eq!(
            reconciled.unwrap(),
            json!({"errorType": "Error", "errorMessage": {"$prefix": "function entry exception, error: "}})
        );
    }

    #[test]
    fn unknown_and_mixed_dollar_keys_are_errors() {
        let err = Matcher::compile(&json!({"a": {"$prefx": "x"}}), "result").unwrap_err();
        assert_eq!(err.key, "$prefx");
        assert_eq!(err.path, "result.a");
        assert!(err.message.contains("unknown matcher"));
        assert!(Matcher::compile(&json!({"$type": "string", "plain": 1}), "result").is_err());
        assert!(Matcher::compile(&json!({"$type": "text"}), "result").is_err());
        assert!(Matcher::compile(&json!({"$regex": "("}), "result").is_err());
        assert!(Matcher::compile(&json!({"$absent": true, "$any": true}), "result").is_err());
    }

    #[test]
    fn absent_matches_a_missing_key_only() {
        let (out, _) = run(
            json!({"stackTrace": {"$absent": true}}),
            json!({"errorType": "Error"}),
        );
        assert!(out.is_empty());
    }

    #[test]
    fn contains_capture_ties_a_line_to_a_captured_value() {
        let m = Matcher::compile(&json!({"$containsCapture": "rid"}), "log").unwrap();
        let mut captures = Captures::default();
        captures.bind("rid", json!("1cbe80f3"));
        let line = json!("Start invoke request '1cbe80f3', version: latest");
        assert!(m.is_satisfied(Some(&line), &mut captures));
        let other = json!("Start invoke request 'ffff', version: latest");
        assert!(!m.is_satisfied(Some(&other), &mut captures));
        assert!(!m.is_satisfied(Some(&json!(5)), &mut captures));
    }
}
