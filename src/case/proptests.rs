//! Property tests of the loader: any `case.toml` and any `expected.json`, garbage or nearly
//! right, loads or fails with an error naming the file and the line (and the key, where the file
//! parsed); nothing panics.

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// Whether `message` names `file` and a line: `file:N:` with N ≥ 1, or toml's `line N`.
fn names_file_and_line(message: &str, file: &str) -> bool {
    let located = message.split(&format!("{file}:")).skip(1).any(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<usize>().is_ok_and(|line| line >= 1)
    });
    let toml_line = message.contains(file)
        && message
            .split("line ")
            .skip(1)
            .any(|rest| rest.starts_with(|c: char| c.is_ascii_digit() && c != '0'));
    located || toml_line
}

/// The error of loading a case with these files (a `code/` folder and an `event.json` beside
/// them), checked to name its file and line; `Ok` when the case loads.
fn check_load(case_toml: &str, expected: &str) -> Result<(), TestCaseError> {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("area/name");
    std::fs::create_dir_all(dir.join("code")).unwrap();
    std::fs::create_dir_all(dir.join("deps/lib")).unwrap();
    std::fs::write(dir.join("case.toml"), case_toml).unwrap();
    std::fs::write(dir.join("expected.json"), expected).unwrap();
    std::fs::write(dir.join("event.json"), "{\"k\": 1}").unwrap();
    std::fs::write(dir.join("bad.json"), "{\n  \"k\": \n}").unwrap();
    std::fs::write(dir.join("ok.json"), "{\"status\": 200}").unwrap();
    let Err(error) = Case::load(root.path(), &dir) else {
        return Ok(());
    };
    let message = error.to_string();
    let file = match &error {
        CaseError::Read { file, .. }
        | CaseError::Toml { file, .. }
        | CaseError::Invalid { file, .. }
        | CaseError::Json { file, .. } => file.clone(),
    };
    prop_assert!(
        !matches!(error, CaseError::Read { .. }),
        "every file the case names exists, yet: {}",
        message
    );
    if let CaseError::Invalid { key, .. } = &error {
        prop_assert!(
            message.contains(&format!("`{key}`")),
            "no key in: {}",
            message
        );
    }
    let name = file.file_name().map(Path::new).unwrap().to_string_lossy();
    prop_assert!(
        names_file_and_line(&message, &name),
        "no file and line in: {}",
        message
    );
    Ok(())
}

/// TOML values of every type, with strings a case might use.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(toml::Value::Boolean),
        any::<i64>().prop_map(toml::Value::Integer),
        (0i64..200).prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        proptest::sample::select(vec![
            "documented",
            "observed",
            "idle",
            "invoke",
            "create",
            "delete",
            "callback",
            "telemetry",
            "platform",
            "function",
            "lib",
            "Node.js12.13+",
            "Node.js9.0",
            "expected.json",
            "event.json",
            "bad.json",
            "index.handler",
            "https://x",
        ])
        .prop_map(|s| toml::Value::String(s.to_owned())),
        any::<String>().prop_map(toml::Value::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        proptest::collection::vec(inner, 0..3).prop_map(toml::Value::Array)
    })
}

/// A key, how often it is there, and its values.
type Field = (&'static str, f64, BoxedStrategy<toml::Value>);

/// One of `options`, the first ones (the right ones) far more often than the last.
fn text(options: &'static [&'static str]) -> BoxedStrategy<toml::Value> {
    let last = options.len() - 1;
    prop_oneof![
        8 => proptest::sample::select(&options[..last.max(1)]),
        1 => Just(options[last]),
    ]
    .prop_map(|s| toml::Value::String(s.to_owned()))
    .boxed()
}

fn texts(options: &'static [&'static str]) -> BoxedStrategy<toml::Value> {
    proptest::collection::vec(text(options), 0..3)
        .prop_map(toml::Value::Array)
        .boxed()
}

fn int(range: std::ops::Range<i64>) -> BoxedStrategy<toml::Value> {
    range.prop_map(toml::Value::Integer).boxed()
}

/// A table where each field is there most of the time, nearly always of the right type with a
/// plausible value, and now and then an unknown key.
fn table(fields: Vec<Field>) -> BoxedStrategy<toml::Table> {
    let entries: Vec<_> = fields
        .into_iter()
        .map(|(key, present, good)| {
            let value = prop_oneof![30 => good, 1 => toml_value()];
            proptest::option::weighted(present, value.prop_map(move |v| (key.to_owned(), v)))
        })
        .collect();
    let unknown = proptest::option::weighted(0.02, ("[a-z_]{1,8}", toml_value()));
    (entries, unknown)
        .prop_map(|(entries, unknown)| entries.into_iter().flatten().chain(unknown).collect())
        .boxed()
}

const FILES: &[&str] = &["expected.json", "ok.json", "event.json", "bad.json"];

fn top() -> BoxedStrategy<toml::Table> {
    table(vec![
        ("description", 0.98, text(&["d", ""])),
        ("spec", 0.98, texts(&["https://example.com"])),
        (
            "level",
            0.98,
            text(&["documented", "observed", "implementation", "hearsay"]),
        ),
        (
            "features",
            0.3,
            texts(&["callback", "telemetry", "telepathy"]),
        ),
        (
            "runtimes",
            0.3,
            text(&["Node.js12.13+", "Node.js9.0", "Node.js6.10..Node.js20.15"]),
        ),
    ])
}

fn function() -> BoxedStrategy<toml::Table> {
    table(vec![
        ("handler", 0.3, text(&["index.handler", ""])),
        ("memory_size", 0.3, int(0..4096)),
        ("timeout", 0.3, int(0..1000)),
        ("initializer_handler", 0.3, text(&["index.init"])),
        ("initializer_timeout", 0.3, int(0..100)),
        (
            "telemetry",
            0.3,
            texts(&["platform", "function", "extension", "nope"]),
        ),
        ("dependencies", 0.3, texts(&["lib", "missing", "../up", ""])),
    ])
}

fn step() -> BoxedStrategy<toml::Table> {
    table(vec![
        ("action", 0.3, text(&["invoke", "create", "delete", "jump"])),
        ("event", 0.3, text(FILES)),
        ("body", 0.3, text(FILES)),
        ("event_size", 0.3, int(0..100)),
        ("concurrent", 0.3, int(0..70)),
        (
            "log_tail",
            0.3,
            any::<bool>().prop_map(toml::Value::Boolean).boxed(),
        ),
        (
            "pause",
            0.3,
            prop_oneof![text(&["idle", "soon"]), int(0..10)].boxed(),
        ),
        ("expected", 0.98, text(FILES)),
    ])
}

/// A `case.toml` close to a real one: the right keys, mostly with values of the right type.
fn case_toml() -> impl Strategy<Value = String> {
    (
        top(),
        proptest::option::of(function()),
        proptest::collection::vec(step(), 0..3),
        proptest::option::weighted(0.2, table(vec![("expected", 0.98, text(FILES))])),
    )
        .prop_map(|(mut top, function, steps, deploy)| {
            if let Some(function) = function {
                top.insert("function".into(), toml::Value::Table(function));
            }
            if !steps.is_empty() {
                let steps = steps.into_iter().map(toml::Value::Table).collect();
                top.insert("steps".into(), toml::Value::Array(steps));
            }
            if let Some(deploy) = deploy {
                top.insert("deploy".into(), toml::Value::Table(deploy));
            }
            toml::to_string(&top).unwrap_or_default()
        })
}

const GOOD: &str =
    "description = \"d\"\nspec = [\"https://example.com\"]\nlevel = \"documented\"\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_as_case_toml_fails_with_file_and_line(text in any::<String>()) {
        check_load(&text, "{}")?;
    }

    #[test]
    fn nearly_right_case_toml_loads_or_names_file_key_and_line(
        text in case_toml(),
        expected in crate::matcher::proptest_json(),
    ) {
        check_load(&text, &serde_json::to_string_pretty(&expected).unwrap())?;
    }

    #[test]
    fn any_expected_json_loads_or_names_file_key_and_line(
        expected in crate::matcher::proptest_json(),
        with_keys in proptest::collection::vec(
            (proptest::sample::select(crate::expect::KEYS.iter().map(|key| key.name).collect::<Vec<_>>()),
             crate::matcher::proptest_json()),
            0..4,
        ),
    ) {
        let mut object = serde_json::Map::new();
        for (key, value) in with_keys {
            object.insert(key.to_owned(), value);
        }
        if let Value::Object(more) = &expected {
            object.extend(more.clone());
        }
        check_load(GOOD, &serde_json::to_string_pretty(&Value::Object(object)).unwrap())?;
        check_load(GOOD, &serde_json::to_string_pretty(&expected).unwrap())?;
    }

    #[test]
    fn any_text_as_expected_json_fails_with_file_and_line(text in any::<String>()) {
        check_load(GOOD, &text)?;
    }
}
