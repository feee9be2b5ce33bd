//! Compiling `expected.json` values into matchers, refusing what could never mean anything.

use regex::Regex;
use serde_json::{Map, Value};

use super::{Bound, JsonType, Matcher, Op, join};

pub const OPERATORS: [&str; 17] = [
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
    "$exact",
    "$not",
    "$contains",
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

pub fn compile(value: &Value, path: &str) -> Result<Matcher, MatcherError> {
    match value {
        Value::Object(map) if !map.is_empty() && map.keys().all(|k| k.starts_with('$')) => {
            compile_ops(map, path)
        }
        Value::Object(map) => compile_fields(map, path).map(Matcher::Object),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| compile(v, &format!("{path}[{i}]")))
            .collect::<Result<_, _>>()
            .map(Matcher::Array),
        scalar => Ok(Matcher::Equal(scalar.clone())),
    }
}

fn compile_fields(
    map: &Map<String, Value>,
    path: &str,
) -> Result<Vec<(String, Matcher)>, MatcherError> {
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
        .map(|(k, v)| Ok((k.clone(), compile(v, &join(path, k))?)))
        .collect()
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
            .map(|(i, item)| compile(item, &format!("{path}.{key}[{i}]")))
            .collect::<Result<Vec<_>, _>>(),
        _ => Err(err(
            key,
            format!("`{key}` takes a non-empty array of matchers"),
        )),
    };
    let bound = |key: &str, v: &Value| match v {
        Value::Number(n) => Ok(Bound::Number(n.clone())),
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
            "$range" => match v.as_array().map(Vec::as_slice) {
                Some([Value::Number(a), Value::Number(b)])
                    if super::numbers::compare(a, b).is_le() =>
                {
                    Op::Range(a.clone(), b.clone())
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
            "$exact" => match v {
                Value::Object(fields) if !fields.keys().any(|k| k.starts_with('$')) => {
                    Op::Exact(compile_fields(fields, path)?)
                }
                _ => {
                    return Err(err(
                        key,
                        "`$exact` takes a plain object: every key the value must have, and no \
                         other"
                            .into(),
                    ));
                }
            },
            "$not" => {
                let inner = compile(v, &format!("{path}.$not"))?;
                let mut binds = Vec::new();
                inner.visit_captures(&mut binds, &mut Vec::new());
                if !binds.is_empty() {
                    return Err(err(
                        key,
                        format!(
                            "`$capture` under `$not` would never bind (`{}`); capture beside the `$not`",
                            binds.join("`, `")
                        ),
                    ));
                }
                Op::Not(Box::new(inner))
            }
            "$contains" => Op::Contains(matchers(key, v)?),
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

pub fn type_name(t: JsonType) -> &'static str {
    TYPES[t as usize]
}
