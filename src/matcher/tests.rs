//! The matcher's unit tests: every operator can hold and fail, reconciled values, captures.

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
fn one_of_with_an_absent_option_allows_a_missing_key() {
    let expected = json!({"function": {"$oneOf": [{"$absent": true}, {"timeout": 3}]}});
    assert!(run(expected.clone(), json!({"status": 400})).0.is_empty());
    assert!(
        run(expected.clone(), json!({"function": {"timeout": 3}}))
            .0
            .is_empty()
    );
    assert_eq!(
        run(expected, json!({"function": {"timeout": 900}})).0.len(),
        1
    );
    let without = json!({"function": {"$oneOf": [{"timeout": 3}, {"timeout": 4}]}});
    assert_eq!(run(without, json!({"status": 400})).0.len(), 1);
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

fn holds(expected: Value, actual: Value) -> bool {
    run(expected, actual).0.is_empty()
}

#[test]
fn exact_refuses_extra_keys_where_a_plain_object_allows_them() {
    let actual = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": 4});
    assert!(holds(json!({"a": 1, "b": {"c": 2}}), actual.clone()));
    assert!(!holds(
        json!({"$exact": {"a": 1, "b": {"c": 2}}}),
        actual.clone()
    ));
    // Only the top level is exact: nested objects keep their own rule.
    assert!(holds(
        json!({"$exact": {"a": 1, "b": {"c": 2}, "e": 4}}),
        actual.clone()
    ));
    assert!(holds(json!({"$exact": {}}), json!({})));
    assert!(!holds(json!({"$exact": {}}), json!([])));
    // The extra key is a mismatch of its own, left out of the expected side of the diff.
    let (out, reconciled) = run(json!({"$exact": {"a": 1, "b": {"c": 2}}}), actual);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].path, "result.e");
    assert_eq!(reconciled.unwrap(), json!({"a": 1, "b": {"c": 2, "d": 3}}));
}

#[test]
fn not_holds_where_its_matcher_does_not() {
    assert!(holds(
        json!({"k": {"$not": {"$prefix": "x"}}}),
        json!({"k": "abc"})
    ));
    assert!(!holds(
        json!({"k": {"$not": {"$prefix": "a"}}}),
        json!({"k": "abc"})
    ));
    assert!(!holds(json!({"k": {"$not": 5}}), json!({"k": 5.0})));
    // A missing value matches nothing, `$not` included.
    assert!(!holds(json!({"k": {"$not": 5}}), json!({})));
    let err = Matcher::compile(&json!({"$not": {"a": {"$capture": "x"}}}), "r").unwrap_err();
    assert!(err.message.contains("never bind"), "{err}");
}

#[test]
fn contains_finds_each_matcher_a_distinct_element_in_any_order() {
    let actual = json!([{"n": "b"}, 1, {"n": "a", "x": 1}]);
    assert!(holds(
        json!({"$contains": [{"n": "a"}, {"n": "b"}]}),
        actual.clone()
    ));
    // A greedy search would give 1 to the first matcher and fail the second.
    assert!(holds(
        json!({"$contains": [{"$type": "number"}, 1]}),
        json!([1, 2])
    ));
    assert!(!holds(json!({"$contains": [1, 1]}), json!([1, 2])));
    assert!(!holds(json!({"$contains": [1]}), json!({"a": 1})));
    let (out, reconciled) = run(
        json!({"$contains": [{"n": "a"}, {"n": "c"}]}),
        actual.clone(),
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].path, "result.$contains[1]");
    let mut shown = actual.as_array().unwrap().clone();
    shown.push(json!({"n": "c"}));
    assert_eq!(reconciled.unwrap(), Value::Array(shown));
}

#[test]
fn integers_are_not_compared_through_f64() {
    // 2^53 + 1 and 2^53 are one f64: the old comparison let these pass.
    assert!(!holds(
        json!(9007199254740993u64),
        json!(9007199254740992u64)
    ));
    assert!(!holds(
        json!({"$ge": 9007199254740993u64}),
        json!(9007199254740992u64)
    ));
    assert!(!holds(
        json!({"$range": [0, 9007199254740992u64]}),
        json!(9007199254740993u64)
    ));
    assert!(holds(
        json!({"$le": 9007199254740993u64}),
        json!(9007199254740993u64)
    ));
    assert!(holds(json!(128), json!(128.0)));
    let m = Matcher::compile(&json!({"$same": "n"}), "r").unwrap();
    let mut captures = Captures::default();
    captures.bind("n", json!(u64::MAX));
    assert!(!m.is_satisfied(Some(&json!(u64::MAX - 1)), &mut captures));
}

#[test]
fn a_capture_binds_only_when_its_siblings_match() {
    let cases = [
        (
            json!({"a": {"$capture": "x"}, "b": 1}),
            json!({"a": 5, "b": 2}),
        ),
        (json!([{"$capture": "x"}, 1]), json!([5, 2])),
        (json!({"$capture": "x", "$ge": 10}), json!(5)),
        (
            json!({"$all": [{"$capture": "x"}, {"$type": "string"}]}),
            json!(5),
        ),
        (
            json!({"$exact": {"a": {"$capture": "x"}}}),
            json!({"a": 5, "b": 1}),
        ),
    ];
    for (expected, actual) in cases {
        let m = Matcher::compile(&expected, "r").unwrap();
        let mut captures = Captures::default();
        let mut out = Vec::new();
        m.check(Some(&actual), "r", &mut captures, &mut out);
        assert!(!out.is_empty(), "{expected} should not match {actual}");
        assert_eq!(captures.get("x"), None, "{expected} bound x on {actual}");
    }
    // A later use says why the name is unbound.
    let m = Matcher::compile(
        &json!({"a": {"k": {"$capture": "x"}, "b": 1}, "c": {"$same": "x"}}),
        "r",
    )
    .unwrap();
    let mut out = Vec::new();
    m.check(
        Some(&json!({"a": {"k": 5, "b": 2}, "c": 5})),
        "r",
        &mut Captures::default(),
        &mut out,
    );
    assert!(out[1].expected.contains("did not match"), "{out:?}");
    // And binds when everything around it matched.
    let m = Matcher::compile(&json!({"a": {"$capture": "x"}, "b": 1}), "r").unwrap();
    let mut captures = Captures::default();
    assert!(m.is_satisfied(Some(&json!({"a": 5, "b": 1})), &mut captures));
    assert_eq!(captures.get("x"), Some(&json!(5)));
}

#[test]
fn new_matchers_refuse_malformed_arguments() {
    for bad in [
        json!({"$exact": [1]}),
        json!({"$exact": {"$type": "string"}}),
        json!({"$contains": []}),
        json!({"$contains": {"a": 1}}),
        json!({"$not": {"$prefx": "a"}}),
        json!({"$range": [2, 1]}),
    ] {
        assert!(Matcher::compile(&bad, "r").is_err(), "{bad} compiled");
    }
}

/// Every example in CASE-FORMAT.md's matcher section compiles.
#[test]
fn case_format_matcher_examples_compile() {
    let doc = include_str!("../../CASE-FORMAT.md");
    let section = doc
        .split("\n## Matchers")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("CASE-FORMAT.md has a Matchers section");
    let examples: Vec<&str> = section
        .split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    assert!(examples.len() >= 2);
    for example in examples {
        let value: Value = serde_json::from_str(example).expect(example);
        Matcher::compile(&value, "").unwrap_or_else(|e| panic!("{example}: {e}"));
    }
}
