//! Property tests: arbitrary JSON as a matcher never panics the compiler or the check, an error
//! names a key the value holds (so the loader can find its line), a check that holds reconciles
//! to the actual value, and a value without `$` keys matches itself.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::{Captures, Matcher, MatcherError, OPERATORS};

/// Keys a matcher is made of: every operator, a few plain names, and anything at all.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(OPERATORS.to_vec()).prop_map(str::to_owned),
        2 => proptest::sample::select(vec!["a", "b", "errorType", "x"]).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        Just(Value::from(9007199254740993u64)),
        // Strings an operator takes: types, regexes (valid or not), capture names.
        proptest::sample::select(vec![
            "string",
            "integer",
            "uuid",
            "^a+$",
            "(",
            "x",
            "rid",
            "memory_size"
        ])
        .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ]
}

/// Arbitrary JSON, shaped like matchers often enough to reach every operator.
pub fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Whether `key` is a key of some object in `value`.
fn holds_key(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| k == key || holds_key(v, key)),
        Value::Array(items) => items.iter().any(|v| holds_key(v, key)),
        _ => false,
    }
}

fn has_dollar_key(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.starts_with('$') || has_dollar_key(v)),
        Value::Array(items) => items.iter().any(has_dollar_key),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_matchers_compile_or_name_a_key_and_check_without_panicking(
        expected in json(),
        actual in proptest::option::of(json()),
    ) {
        match Matcher::compile(&expected, "result") {
            Err(MatcherError { key, .. }) => {
                prop_assert!(holds_key(&expected, &key), "error names `{}`, not in {}", key, expected);
            }
            Ok(matcher) => {
                let mut captures = Captures::default();
                captures.bind("rid", Value::from("r"));
                let mut mismatches = Vec::new();
                let reconciled = matcher.check(actual.as_ref(), "result", &mut captures.clone(), &mut mismatches);
                let held = matcher.is_satisfied(actual.as_ref(), &mut captures);
                prop_assert_eq!(held, mismatches.is_empty());
                if held {
                    // Nothing differs, so the diff must be empty.
                    prop_assert_eq!(reconciled, actual);
                }
            }
        }
    }

    #[test]
    fn a_value_without_dollar_keys_matches_itself(value in json()) {
        prop_assume!(!has_dollar_key(&value));
        let matcher = Matcher::compile(&value, "result").unwrap();
        prop_assert!(matcher.is_satisfied(Some(&value), &mut Captures::default()));
    }
}
