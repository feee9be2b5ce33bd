//! Running the `fgconform` binary the way a user does, and reading its libtest JSON events.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use std::sync::{Condvar, Mutex};

use libtest_mimic::{Failed, Trial};

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs fgconform with `args`, in the project root, offline, with `env` added.
pub fn fgconform(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = fgconform_env_free(Path::new(env!("CARGO_BIN_EXE_fgconform")));
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run fgconform")
}

/// `program` (fgconform, or this test binary) to run in the project root, offline, with none of
/// the variables that would change what it runs.
pub fn fgconform_env_free(program: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(project_root());
    for var in [
        "FGCONFORM_CASES",
        "FGCONFORM_TARGET",
        "FGCONFORM_RUNTIME",
        "FGCONFORM_LEVEL",
        "FGCONFORM_FEATURE",
        "FGCONFORM_JSON",
        "FGCONFORM_JUNIT",
        "FGCONFORM_HTML",
        "FGCONFORM_PARTITION",
        "FGCONFORM_RETRIES",
        "FGREF_NODEJS_BOOTSTRAP",
        fgref::TELEMETRY_FAULT_VAR,
        "npm_config_registry",
    ] {
        command.env_remove(var);
    }
    // Two trials at once in each run a self-test starts, as many as the self-tests run at once
    // (main.rs) make the machine's share; and the durations the runs measure (broken subjects
    // among them) kept apart from the user's, which order the user's runs.
    command.env(fgconform::schedule::WORKERS_VAR, "2");
    command.env(
        fgconform::schedule::CACHE_DIR_VAR,
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("fgconform-cache"),
    );
    // No test downloads unless it says so, and none can reach the real registry.
    command.env("FGCONFORM_OFFLINE", "1");
    command.env("FGREF_NPM_REGISTRY", "http://127.0.0.1:9");
    command
}

/// Trial name → event (`ok`, `failed`, `ignored`) from `--format json` output, with the failure
/// text of failed trials.
pub fn outcomes(output: &Output) -> BTreeMap<String, (String, String)> {
    let mut found = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if event["type"] == "test" && event["event"] != "started" {
            let name = event["name"].as_str().unwrap_or_default().to_owned();
            let outcome = event["event"].as_str().unwrap_or_default().to_owned();
            let text = event["stdout"].as_str().unwrap_or_default().to_owned();
            found.insert(name, (outcome, text));
        }
    }
    found
}

/// Checks that a run against a deliberately broken subject (`subject`, for messages) failed
/// exactly the case ids (`area::case`) in `fails`, on any runtime, passed every other trial,
/// and that each failure is a conformance verdict, not the target breaking down.
pub fn fails_exactly(output: &Output, fails: &[&str], subject: &str) -> Result<(), Failed> {
    let found = outcomes(output);
    if found.is_empty() {
        return Err(format!("the suite produced no verdicts:\n{}", text(output)).into());
    }
    let failed: BTreeSet<String> = found
        .iter()
        .filter(|(_, (outcome, _))| outcome == "failed")
        .map(|(name, _)| {
            name.split_once("::")
                .map_or(name.clone(), |(_, id)| id.to_owned())
        })
        .collect();
    let expected: BTreeSet<String> = fails.iter().map(|id| (*id).to_owned()).collect();
    if failed != expected {
        let missed: Vec<_> = expected.difference(&failed).collect();
        let extra: Vec<_> = failed.difference(&expected).collect();
        return Err(format!(
            "{subject}:\n  not caught by: {missed:?}\n  unexpectedly failing: {extra:?}\n{}",
            text(output)
        )
        .into());
    }
    for (name, (outcome, message)) in &found {
        if outcome == "failed" && message.contains("ERROR (") {
            return Err(format!("{name} errored instead of failing:\n{message}").into());
        }
    }
    Ok(())
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes a tiny corpus: `cases` are (area/name, case.toml, index.js, expected.json).
pub fn corpus(cases: &[(&str, &str, &str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    for (id, toml, code, expected) in cases {
        let dir = root.path().join(id);
        std::fs::create_dir_all(dir.join("code")).unwrap();
        std::fs::write(dir.join("case.toml"), toml).unwrap();
        std::fs::write(dir.join("code/index.js"), code).unwrap();
        std::fs::write(dir.join("expected.json"), expected).unwrap();
    }
    root
}

pub const CASE_TOML: &str = "description = \"echo\"\nspec = [\"https://support.huaweicloud.com/devg-functiongraph/functiongraph_02_0410.html\"]\nlevel = \"documented\"\n";
pub const ECHO_JS: &str =
    "exports.handler = function (event, context, callback) { callback(null, event); };";

/// Whether this is a CI run: `CI` set to anything but empty, `false` or `0`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The trial for a broken subject that cannot run because the Node.js release of `runtime` is
/// not installed: ignored on a developer's machine, but an error under CI, where an ignored
/// trial would read as green while proving nothing.
pub fn release_missing(
    name: String,
    runtime: &str,
    error: impl std::fmt::Display + Send + 'static,
) -> libtest_mimic::Trial {
    let install = format!("cargo run --release -- --install-runtimes --runtime {runtime}");
    if under_ci() {
        libtest_mimic::Trial::test(name, move || {
            Err(format!("cannot run under CI: {error}; install it first: `{install}`").into())
        })
    } else {
        libtest_mimic::Trial::ignorable_test(name, move || {
            Ok(libtest_mimic::Completion::ignored_with(format!(
                "skipped: {error}; `{install}` installs it"
            )))
        })
    }
}

/// Polls `done` every 50 ms until it holds or `limit` passes; answers whether it held.
pub fn wait_for(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    done()
}

/// One in this many of the cases a broken subject cannot affect is run against it.
const SAMPLE_ONE_IN: u64 = 4;

/// The corpus a broken subject runs, copied from the project's `cases/`: every case of an area
/// one of its `fails` lies in (so within those areas it is proven to fail exactly its cases),
/// and a sample of the other cases `among` admits (one in [`SAMPLE_ONE_IN`], chosen by hashing
/// the subject's name with the case id, so each subject samples different cases and together
/// they cover the corpus), which must pass as before.
pub fn affected_corpus(
    subject: &str,
    fails: &[&str],
    among: impl Fn(&str) -> bool,
) -> std::io::Result<tempfile::TempDir> {
    use std::hash::{Hash, Hasher};
    let areas: BTreeSet<&str> = fails
        .iter()
        .filter_map(|id| id.split("::").next())
        .collect();
    let sampled = |id: &str| {
        let mut hasher = std::hash::DefaultHasher::new();
        (subject, id).hash(&mut hasher);
        hasher.finish().is_multiple_of(SAMPLE_ONE_IN)
    };
    let cases = project_root().join("cases");
    let found = fgconform::discover::case_dirs(&cases).map_err(std::io::Error::other)?;
    let root = tempfile::tempdir()?;
    for dir in found {
        let dir = dir.map_err(|unreadable| unreadable.source)?;
        let id = fgconform::case::case_id(&cases, &dir);
        let area = id.split("::").next().unwrap_or_default();
        if areas.contains(area) || (among(&id) && sampled(&id)) {
            let below = dir.strip_prefix(&cases).map_err(std::io::Error::other)?;
            copy_dir(&dir, &root.path().join(below))?;
        }
    }
    // The cases cite the registry's statements, which their loading checks.
    let registry = cases.join(fgconform::statements::FOLDER);
    if registry.is_dir() {
        copy_dir(&registry, &root.path().join(fgconform::statements::FOLDER))?;
    }
    Ok(root)
}

/// Copies the directory `from` to `to`, which must not exist (the corpus has no links).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A self-test: `test` runs once one of the [`SELFTESTS_PER_CORE`] slots a core is free. The
/// corpus's own trials in this binary take none: they start first, as many at once as
/// fgconform's default, and the self-tests follow as the slots allow.
pub fn selftest(
    name: impl Into<String>,
    test: impl FnOnce() -> Result<(), Failed> + Send + 'static,
) -> Trial {
    Trial::test(name, move || {
        let _slot = Slot::take();
        test()
    })
}

/// Self-tests running at once, per core. Most run fgconform two trials at a time
/// (`fgconform_env_free`). Measured on 2 cores: two a core, 167 s for the binary; three, 157 s;
/// at four a core, a step of a broken platform's run once waited out a 2 s idle time that it
/// should not have.
const SELFTESTS_PER_CORE: usize = 3;

/// One of the self-tests' slots, given back when dropped.
struct Slot;

static TAKEN: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl Slot {
    /// Waits for a free slot. A self-test holds one only while it runs, and every self-test
    /// ends (each bounds its own waits), so the wait does too.
    fn take() -> Slot {
        let slots =
            SELFTESTS_PER_CORE * std::thread::available_parallelism().map_or(1, usize::from);
        let mut taken = TAKEN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while *taken >= slots {
            taken = FREED
                .wait(taken)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *taken += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut taken = TAKEN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *taken -= 1;
        FREED.notify_one();
    }
}
