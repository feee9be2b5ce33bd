//! The case loader's own tests: defaults, and errors that name the file, the key and the line.

use super::*;
use crate::telemetry::TelemetryType;

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
        (
            "action = \"invoke-async\"\nlog_tail = false\n",
            "not to `action = \"invoke-async\"`",
        ),
        ("action = \"async-outcome\"\n", "before it; there is none"),
        ("wait_for_end = false\n", "belongs to `async-outcome` steps"),
        (
            "query = \"limit=1\"\n",
            "belongs to `list-async` and `list-functions` steps",
        ),
        (
            "action = \"create\"\ncredentials = false\n",
            "belongs to invoke steps",
        ),
        (
            "action = \"list-async\"\nquery = \"status=FAIL limit\"\n",
            "percent-encode ' '",
        ),
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

#[test]
fn async_steps_take_an_event_then_observe_the_record() {
    let toml = format!(
        "{GOOD}[[steps]]\naction = \"invoke-async\"\nevent_size = 20\nexpected = \"expected.json\"\n[[steps]]\naction = \"async-outcome\"\nexpected = \"outcome.json\"\n"
    );
    let root = case_dir(&toml, r#"{"status": 202, "request_id": {"$regex": "."}}"#);
    let dir = root.path().join("area/name");
    std::fs::write(
        dir.join("outcome.json"),
        r#"{"invocation": {"status": "SUCCESS"}}"#,
    )
    .unwrap();
    let case = load(&root).unwrap();
    assert_eq!(case.steps[0].action, Action::InvokeAsync);
    assert_eq!(case.steps[0].event.len(), 20);
    assert_eq!(case.steps[1].action, Action::AsyncOutcome);
    // The record is the outcome step's alone; the result is a synchronous invoke's.
    std::fs::write(dir.join("outcome.json"), r#"{"result": 1}"#).unwrap();
    let err = load(&root).unwrap_err().to_string();
    assert!(err.contains("not observed by this kind of step"), "{err}");
    std::fs::write(dir.join("expected.json"), r#"{"invocation": {}}"#).unwrap();
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("expected.json") && err.contains("invocation"),
        "{err}"
    );
}

#[test]
fn a_named_file_that_is_not_there_is_reported_at_its_key_and_line() {
    for (key, step) in [
        ("steps.expected", "expected = \"documented\"\n"),
        (
            "steps.event",
            "expected = \"expected.json\"\nevent = \"nope.json\"\n",
        ),
        (
            "steps.body",
            "expected = \"expected.json\"\nbody = \"nope.bin\"\n",
        ),
    ] {
        let root = case_dir(&format!("{GOOD}\n[[steps]]\n{step}"), "{}");
        let err = load(&root).unwrap_err().to_string();
        assert!(
            err.contains("case.toml:5") && err.contains(key) && err.contains("is not a file"),
            "{err}"
        );
    }
}

#[test]
fn telemetry_and_dependencies_load_in_order() {
    let root = case_dir(
        &format!(
            "{GOOD}features = [\"telemetry\", \"extensions\"]\n\n[function]\ntelemetry = [\"function\", \"platform\"]\ndependencies = [\"b\", \"a.1\"]\n"
        ),
        r#"{"telemetry": {"events": [{"name": "platform.start"}]}}"#,
    );
    for name in ["a.1", "b"] {
        std::fs::create_dir_all(root.path().join("area/name/deps").join(name)).unwrap();
    }
    let case = load(&root).unwrap();
    assert_eq!(
        case.function.telemetry,
        [TelemetryType::Function, TelemetryType::Platform]
    );
    assert_eq!(case.function.dependencies, ["b", "a.1"]);
    assert!(case.steps[0].expected.awaits_events());
}

#[test]
fn telemetry_and_dependency_errors_name_file_key_and_line() {
    let with = |function: &str| {
        format!(
            "{GOOD}features = [\"telemetry\"]\n\n[function]\nhandler = \"index.handler\"\n{function}"
        )
    };
    for (toml, needle) in [
        (with("telemetry = []\n"), "list the telemetry types"),
        (
            with("telemetry = [\"platform\",\n  \"logs\"]\n"),
            "unknown telemetry type `logs`; expected \"platform\", \"function\", \"extension\"",
        ),
        (
            with("telemetry = [\"platform\",\n  \"platform\"]\n"),
            "`platform` is listed twice",
        ),
        (
            with("dependencies = [\"missing\"]\n"),
            "no folder deps/missing/",
        ),
        (
            with("dependencies = [\"../up\"]\n"),
            "not a dependency folder name",
        ),
        (
            with("telemetry = [\"platform\"]\nuser_data = { FGCONFORM_TELEMETRY_TYPES = \"x\" }\n"),
            "`FGCONFORM_TELEMETRY_TYPES` is set by the harness",
        ),
    ] {
        let root = case_dir(&toml, "{}");
        let err = load(&root).unwrap_err().to_string();
        let line = toml.lines().count();
        assert!(
            err.contains(&format!("case.toml:{line}:")) && err.contains(needle),
            "{needle}: {err}"
        );
        let key = if needle.contains("FGCONFORM") {
            "`function.user_data`"
        } else if needle.contains("folder") {
            "`function.dependencies`"
        } else {
            "`function.telemetry`"
        };
        assert!(err.contains(key), "{key}: {err}");
    }
    let root = case_dir(
        &format!("{GOOD}\n[function]\ntelemetry = [\"platform\"]\n"),
        "{}",
    );
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("case.toml:6:") && err.contains("needs the feature `telemetry`"),
        "{err}"
    );
    let root = case_dir(
        &format!("{GOOD}\n[function]\ndependencies = [\"x\",\n  \"x\"]\n"),
        "{}",
    );
    std::fs::create_dir_all(root.path().join("area/name/deps/x")).unwrap();
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("case.toml:7:") && err.contains("`x` is listed twice"),
        "{err}"
    );
}

#[test]
fn expecting_telemetry_needs_a_subscription() {
    let root = case_dir(
        GOOD,
        "{\n  \"result\": 1,\n  \"telemetry\": {\"events\": []}\n}",
    );
    let err = load(&root).unwrap_err().to_string();
    assert!(
        err.contains("expected.json:3") && err.contains("subscribes to none"),
        "{err}"
    );
}

#[test]
fn an_escaped_key_is_found_on_its_line() {
    // Found by the property tests: the key `a"b` is written `"a\"b"`, so looking for the raw
    // text found nothing and the error said line 0.
    let root = case_dir(GOOD, "{\n  \"result\": 1,\n  \"a\\\"b\": 2\n}");
    let err = load(&root).unwrap_err().to_string();
    assert!(err.contains("expected.json:3"), "{err}");
}

/// Each file key of `case.toml`, pointed out of the case folder, is refused naming the key and
/// the line, before anything is read (`body = "/dev/zero"` would never end).
#[test]
fn file_keys_must_stay_inside_the_case_folder() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), "{}").unwrap();
    let steps = "[[steps]]\nexpected = \"expected.json\"\n";
    for (toml, key, says) in [
        (
            format!("{GOOD}{steps}body = \"/dev/zero\"\n"),
            "steps.body",
            "absolute path",
        ),
        (
            format!("{GOOD}{steps}event = \"../../../etc/passwd\"\n"),
            "steps.event",
            "leaves the case folder",
        ),
        (
            format!("{GOOD}[[steps]]\nexpected = \"/etc/hostname\"\n"),
            "steps.expected",
            "absolute path",
        ),
        (
            format!("{GOOD}[deploy]\nexpected = \"../x.json\"\n"),
            "deploy.expected",
            "leaves the case folder",
        ),
        (
            format!("{GOOD}{steps}event = \"link.json\"\n"),
            "steps.event",
            "through a symbolic link",
        ),
    ] {
        let root = case_dir(&toml, "{}");
        let dir = root.path().join("area/name");
        std::os::unix::fs::symlink(outside.path().join("secret.json"), dir.join("link.json"))
            .unwrap();
        let err = load(&root).unwrap_err().to_string();
        assert!(
            err.contains("case.toml:4") && err.contains(&format!("`{key}`")) && err.contains(says),
            "{toml}: {err}"
        );
    }
}

#[test]
fn a_device_or_a_fifo_inside_the_case_is_not_read() {
    let root = case_dir(
        &format!("{GOOD}[[steps]]\nexpected = \"expected.json\"\nbody = \"zero\"\n"),
        "{}",
    );
    let dir = root.path().join("area/name");
    // A link inside the folder to a device outside it is refused as leading out.
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
    let err = load(&root).unwrap_err().to_string();
    assert!(err.contains("through a symbolic link"), "{err}");
    std::fs::remove_file(dir.join("zero")).unwrap();
    if std::process::Command::new("mkfifo")
        .arg(dir.join("zero"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let err = load(&root).unwrap_err().to_string();
        assert!(
            err.contains("zero: cannot read: not a regular file"),
            "{err}"
        );
    }
}

#[test]
fn code_as_a_link_out_of_the_case_is_refused() {
    let root = case_dir(GOOD, "{}");
    let dir = root.path().join("area/name");
    std::fs::remove_dir(dir.join("code")).unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("code")).unwrap();
    let err = load(&root).unwrap_err().to_string();
    assert!(err.contains("not a symbolic link"), "{err}");
}
