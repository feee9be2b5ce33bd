//! Checking a `$` object: every operator against the actual value, as one capture transaction
//! (a `$capture` binds only when its sibling operators hold).

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::numbers::{ceil, compare, json_eq};
use super::structure::{check_contains, check_object};
use super::{Bound, Captures, JsonType, Mismatch, Op, compact, mismatch};

pub fn check_ops(
    ops: &[Op],
    source: &Value,
    actual: Option<&Value>,
    path: &str,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) -> Option<Value> {
    let Some(actual) = actual else {
        // `{"$oneOf": [{"$absent": true}, …]}` says "absent, or else …".
        let absent_allowed = match ops {
            [Op::Absent] => true,
            [Op::OneOf(options)] => options.iter().any(|m| m.is_satisfied(None, captures)),
            _ => false,
        };
        if absent_allowed {
            return None;
        }
        mismatches.push(mismatch(path, source, None));
        return Some(source.clone());
    };
    captures.transaction(|captures| {
        let mut failures = Vec::new();
        // `$exact` and `$contains` report inside the value, with a reconciled value of their own.
        let mut inner = Vec::new();
        let mut structural = None;
        for op in ops {
            match (op, actual) {
                (Op::Exact(fields), Value::Object(map)) => {
                    let before = inner.len();
                    let r = check_object(fields, true, map, path, captures, &mut inner);
                    if inner.len() > before {
                        structural = Some(r);
                    }
                }
                (Op::Contains(wanted), Value::Array(items)) => {
                    let before = inner.len();
                    let r = check_contains(wanted, items, path, captures, &mut inner);
                    if inner.len() > before {
                        structural = Some(r);
                    }
                }
                (Op::Exact(_), _) => failures.push("not an object".to_owned()),
                (Op::Contains(_), _) => failures.push("not an array".to_owned()),
                _ => {
                    if let Err(why) = check_op(op, actual, path, captures) {
                        failures.push(why);
                    }
                }
            }
        }
        if failures.is_empty() && inner.is_empty() {
            return (Some(actual.clone()), true);
        }
        mismatches.append(&mut inner);
        if !failures.is_empty() {
            mismatches.push(Mismatch {
                path: path.to_owned(),
                expected: format!("{} ({})", compact(source), failures.join("; ")),
                actual: compact(actual),
            });
        }
        let reconciled = if ops.iter().any(|op| matches!(op, Op::Absent)) {
            None
        } else if failures.is_empty() && ops.len() == 1 {
            structural
        } else {
            Some(source.clone())
        };
        (reconciled, false)
    })
}

/// `Err` says why the operator does not hold.
fn check_op(op: &Op, actual: &Value, path: &str, captures: &mut Captures) -> Result<(), String> {
    match op {
        Op::Any => Ok(()),
        Op::Type(t) => has_type(*t, actual)
            .then_some(())
            .ok_or_else(|| format!("not of type {}", super::parse::type_name(*t))),
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
            (compare(min, n).is_le() && compare(n, max).is_le())
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
        Op::Not(m) => {
            if m.is_satisfied(Some(actual), &mut captures.clone()) {
                Err(format!(
                    "matches {}, which `$not` excludes",
                    compact(&m.to_value())
                ))
            } else {
                Ok(())
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
            (compare(n, &limit) != Ordering::Less)
                .then_some(())
                .ok_or_else(|| format!("{n} < {limit}"))
        }
        Op::Le(b) => {
            let (n, limit) = (number(actual)?, bound_number(b, captures)?);
            (compare(n, &limit) != Ordering::Greater)
                .then_some(())
                .ok_or_else(|| format!("{n} > {limit}"))
        }
        Op::Ceil(name) => {
            let n = number(actual)?;
            let of = number(bound(captures, name)?)
                .map_err(|_| format!("capture `{name}` is not a number"))?;
            let want = ceil(of);
            (compare(n, &want) == Ordering::Equal)
                .then_some(())
                .ok_or_else(|| format!("ceil({of}) is {want}, not {n}"))
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
        Op::Exact(_) | Op::Contains(_) => unreachable!("checked by check_ops"),
    }
}

fn bound<'a>(captures: &'a Captures, name: &str) -> Result<&'a Value, String> {
    captures
        .get(name)
        .ok_or_else(|| captures.unbound_reason(name))
}

fn bound_number(b: &Bound, captures: &Captures) -> Result<Number, String> {
    match b {
        Bound::Number(n) => Ok(n.clone()),
        Bound::Capture(name) => number(bound(captures, name)?)
            .cloned()
            .map_err(|_| format!("capture `{name}` is not a number")),
    }
}

fn number(v: &Value) -> Result<&Number, String> {
    match v {
        Value::Number(n) => Ok(n),
        _ => Err("not a number".to_owned()),
    }
}

fn has_type(t: JsonType, v: &Value) -> bool {
    static UUID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        )
        .expect("valid regex")
    });
    static TIMESTAMP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
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
