//! The case loader's own tests: defaults, and errors that name the file, the key and the line.

use super::*;

fn case_dir(toml: &str, expected: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("area/name");
    std::fs::create_dir_all(dir.join("code")).unwrap();
    std::fs::write(dir.join("case.toml"), toml).unwrap();
    std::fs::write(dir.join("expected.json"), expected).unwrap();
    root
}

const GOOD: &str =
    "description = \"d\"\nspec = [\"https://example.com\"]\nlevel = \"documented\"\n";

fn load(root: &tempfile::TempDir) -> Result<Case, CaseError> {
    Case::load(root.path(), &root.path().join("area/name"))
}

#[test]
fn a_minimal_case_loads_with_defaults() {
    let root = case_dir(GOOD, r#"{"result": "x"}"#);
    let case = load(&root).unwrap();
    assert_eq!(case.id, "area::name");
    assert_eq!(case.function.handler, "index.handler");
    assert_eq!(case.function.memory_size, 128);
    assert_eq!(case.steps.len(), 1);
    assert_eq!(case.steps[0].event, b"{}");
}

#[test]
fn unknown_case_toml_keys_name_file_key_and_line() {
    let root = case_dir(&format!("{GOOD}colour = \"red\"\n"), "{}");
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("case.toml") && err.contains("colour") && err.contains("line 4"),
        "{err}"
    );
}

#[test]
fn unknown_features_and_runtimes_name_the_line() {
    let root = case_dir(
        &format!("{GOOD}features = [\"callback\", \"telepathy\"]\n"),
        "{}",
    );
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("case.toml:4") && err.contains("telepathy"),
        "{err}"
    );
    let root = case_dir(&format!("{GOOD}runtimes = \"Node.js9.0+\"\n"), "{}");
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("case.toml:4") && err.contains("Node.js9.0"),
        "{err}"
    );
}

#[test]
fn expected_json_errors_name_file_key_and_line() {
    let root = case_dir(GOOD, "{\n  \"result\": 1,\n  \"reslt\": 2\n}");
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("expected.json:3") && err.contains("reslt"),
        "{err}"
    );
    let root = case_dir(GOOD, "{\n  \"result\": {\"$prefx\": \"a\"}\n}");
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("expected.json:2") && err.contains("$prefx"),
        "{err}"
    );
    let root = case_dir(GOOD, "{\n  \"result\": \n}");
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("expected.json:3") && err.contains("not valid JSON"),
        "{err}"
    );
}

#[test]
fn same_without_capture_is_an_error() {
    let root = case_dir(GOOD, "{\n  \"result\": {\"$same\": \"rid\"}\n}");
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("expected.json:2") && err.contains("`rid` is never captured"),
        "{err}"
    );
    let root = case_dir(
        GOOD,
        r#"{"request_id": {"$capture": "rid"}, "result": {"$same": "rid"}}"#,
    );
    load(&root).unwrap();
}

#[test]
fn step_keys_are_checked_with_the_steps_line() {
    let steps = |extra: &str| format!("{GOOD}\n[[steps]]\nexpected = \"expected.json\"\n{extra}");
    for (extra, needle) in [
        (
            "action = \"delete\"\nconcurrent = 2\n",
            "belongs to invoke steps",
        ),
        ("event_size = 20\nbody = \"b.txt\"\n", "at most one of"),
        ("pause = \"forever\"\n", "unknown pause"),
        ("concurrent = 0\n", "1 to 64"),
        ("event_size = 5\n", "to 67108864 bytes"),
    ] {
        let root = case_dir(&steps(extra), "{}");
        let err = load(&root).unwrap_err().to_string();
        assert!(err.contains("case.toml:5") && err.contains(needle), "{err}");
    }
    let root = case_dir(&steps("action = \"create\"\n"), r#"{"result": 1}"#);
    let err = load(&root).unwrap_err().to_string();
    assert!(err.contains("not observed by this kind of step"), "{err}");
    let root = case_dir(&steps("event_size = 20\n"), "{}");
    let case = load(&root).unwrap();
    assert_eq!(case.steps[0].event, br#"{"data":"aaaaaaaaa"}"#);
}
