//! Numbers compared exactly: integers as integers (`2^53 + 1` differs from `2^53`), an integer
//! and a float by value without rounding the integer through `f64` (`1` equals `1.0`).

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// An integer when the number is one as written (`i64` or `u64`), else its `f64`.
enum Exact {
    Int(i128),
    Float(f64),
}

fn exact(n: &Number) -> Exact {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Exact::Int(i128::from(i)),
        (_, Some(u)) => Exact::Int(i128::from(u)),
        // serde_json holds no NaN or infinity, so this is a finite float.
        _ => Exact::Float(n.as_f64().unwrap_or(0.0)),
    }
}

/// How `i` compares with the finite float `f`, exactly.
fn int_vs_float(i: i128, f: f64) -> Ordering {
    let floor = f.floor();
    // |i| <= 2^64, so a saturated cast of a larger float still orders correctly.
    match i.cmp(&(floor as i128)) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    }
}

/// The exact order of two JSON numbers.
pub fn compare(a: &Number, b: &Number) -> Ordering {
    match (exact(a), exact(b)) {
        (Exact::Int(x), Exact::Int(y)) => x.cmp(&y),
        (Exact::Int(x), Exact::Float(y)) => int_vs_float(x, y),
        (Exact::Float(x), Exact::Int(y)) => int_vs_float(y, x).reverse(),
        (Exact::Float(x), Exact::Float(y)) => x.total_cmp(&y),
    }
}

/// `ceil(n)` as a JSON number: an integer stays itself.
pub fn ceil(n: &Number) -> Number {
    match exact(n) {
        Exact::Int(_) => n.clone(),
        Exact::Float(f) => {
            let c = f.ceil();
            if c.abs() < 9.0e15 {
                Number::from(c as i64)
            } else {
                Number::from_f64(c).unwrap_or_else(|| n.clone())
            }
        }
    }
}

/// Deep equality where numbers compare exactly by value.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare(x, y) == Ordering::Equal,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_compare_exactly_and_floats_by_value() {
        // Through f64 these two are the same number: the old comparison let them match.
        assert!(!json_eq(
            &json!(9007199254740993u64),
            &json!(9007199254740992u64)
        ));
        assert!(!json_eq(&json!(u64::MAX), &json!(u64::MAX - 1)));
        assert!(!json_eq(
            &json!(9007199254740993u64),
            &json!(9007199254740992.0)
        ));
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!(-3), &json!(-3.0)));
        assert!(!json_eq(&json!(1), &json!(1.5)));
        assert_eq!(
            compare(&Number::from(2), &Number::from_f64(1.5).unwrap()),
            Ordering::Greater
        );
        assert_eq!(
            compare(&Number::from(-2), &Number::from_f64(-1.5).unwrap()),
            Ordering::Less
        );
        assert_eq!(
            compare(&Number::from(i64::MIN), &Number::from(u64::MAX)),
            Ordering::Less
        );
        assert_eq!(
            compare(&Number::from(u64::MAX), &Number::from_f64(1e300).unwrap()),
            Ordering::Less
        );
        assert_eq!(ceil(&Number::from_f64(2.1).unwrap()), Number::from(3));
        assert_eq!(
            ceil(&Number::from(9007199254740993u64)),
            Number::from(9007199254740993u64)
        );
    }
}
