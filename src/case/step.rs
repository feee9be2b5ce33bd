//! A case's steps: what each one does to the deployed function (invoke, create, delete, list) or
//! to a dependency version, with which body, how often at once, after which pause, and what it
//! expects.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::file::{CaseError, inside, load_expected, named_file, parse_json, read, read_bytes};
use super::function::has_deps_folder;
use crate::expect::Expected;
use crate::observe::CallKind;
use crate::wire::RequestVersion;

#[derive(Debug)]
pub struct Step {
    /// `event.json → expected.json`, for messages.
    pub label: String,
    pub expected_file: PathBuf,
    pub action: Action,
    /// The invoke body (an event, or raw bytes a target must refuse).
    pub event: Vec<u8>,
    /// Identical invokes sent at once; each answer must match `expected`.
    pub concurrent: u32,
    /// Whether to ask for the log tail (`X-Cff-Log-Type: tail`).
    pub log_tail: bool,
    /// The body format an invoke asks for (`X-CFF-Request-Version`).
    pub request_version: RequestVersion,
    /// Whether an invoke carries the target's credentials (`false`: none, to be refused).
    pub credentials: bool,
    /// Of an `async-outcome` step: whether to wait for the call to end, or judge the first
    /// answer.
    pub wait_for_end: bool,
    /// Of a `list-async` step: the query string, as sent (`status=FAIL&limit=1`).
    pub query: String,
    /// Of a `delete` step: which URN DeleteFunction names.
    pub urn: DeleteUrn,
    /// Of a `create-dependency` step: the version to create; of a `delete-dependency` step,
    /// `folder` names the `[function] dependencies` version to delete (absent: the one the last
    /// `create-dependency` step created).
    pub dependency: Option<DependencyStep>,
    pub pause: Pause,
    pub expected: Expected,
}

/// What a step does to the deployed function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// InvokeFunction (synchronous).
    Invoke,
    /// CreateFunction again, with the same name and settings.
    Create,
    /// DeleteFunction.
    Delete,
    /// AsyncInvokeFunction: the event queued for an asynchronous call, answered at once.
    InvokeAsync,
    /// ListAsyncInvocations, asked until the last `invoke-async` step's call has ended (or the
    /// step's time is up), and that call's record.
    AsyncOutcome,
    /// ListAsyncInvocations with the step's `query`, once, and the page it answers.
    ListAsync,
    /// ListFunctions with the step's `query`, once, and the page it answers.
    ListFunctions,
    /// CreateDependencyVersion of a `deps/<folder>/` of the case, with the step's fields.
    CreateDependency,
    /// DeleteDependencyVersion of a version the trial created.
    DeleteDependency,
}

impl Action {
    /// The name `action` takes in `case.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Invoke => "invoke",
            Action::Create => "create",
            Action::Delete => "delete",
            Action::InvokeAsync => "invoke-async",
            Action::AsyncOutcome => "async-outcome",
            Action::ListAsync => "list-async",
            Action::ListFunctions => "list-functions",
            Action::CreateDependency => "create-dependency",
            Action::DeleteDependency => "delete-dependency",
        }
    }
}

/// A dependency step's `dependency = { … }`: the `deps/<folder>/` it concerns and, for
/// CreateDependencyVersion, the fields sent instead of the harness's (for values a target must
/// refuse).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyStep {
    pub folder: String,
    /// Sent as is instead of the harness's unique name.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Sent instead of `zip`.
    pub depend_type: Option<String>,
    /// Sent instead of the trial's runtime id.
    pub runtime: Option<String>,
    /// What `depend_file` holds: the zipped folder (default), or a file a target must refuse.
    #[serde(default)]
    pub depend_file: DependFileForm,
}

/// A dependency step's `depend_file`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DependFileForm {
    /// The folder, zipped.
    #[default]
    Zip,
    /// Base64 of bytes that are no zip.
    NotAZip,
    /// The folder zipped with an incompressible file that takes the zip past 40 MB (and 40
    /// MiB), the most CreateDependencyVersion takes.
    #[serde(rename = "over-40-mb")]
    Over40Mb,
    /// The folder zipped with 30,001 more empty files, past the 30,000 a dependency may hold.
    #[serde(rename = "over-30000-files")]
    Over30000Files,
}

impl DependencyStep {
    /// Whether anything but the folder is set: only CreateDependencyVersion takes fields.
    fn sets_fields(&self) -> bool {
        self.name.is_some()
            || self.description.is_some()
            || self.depend_type.is_some()
            || self.runtime.is_some()
            || self.depend_file != DependFileForm::Zip
    }
}

/// The URN a `delete` step names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeleteUrn {
    /// The function's URN without a version: the whole function.
    #[default]
    Function,
    /// The URN of its latest version (`…:latest`), which DeleteFunction's page says cannot be
    /// deleted.
    Latest,
}

/// A wait before a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    None,
    /// Longer than the target's idle time, so its idle instances are recycled.
    Idle,
    Millis(u64),
}

impl Pause {
    /// How long the pause lasts on a target that needs `idle` to recycle an idle instance.
    pub fn length(self, idle: std::time::Duration) -> std::time::Duration {
        match self {
            Pause::None => std::time::Duration::ZERO,
            Pause::Idle => idle,
            Pause::Millis(ms) => std::time::Duration::from_millis(ms),
        }
    }
}

/// The deploy a case checks with `[deploy]`: what CreateFunction must answer.
#[derive(Debug)]
pub struct DeployCheck {
    pub label: String,
    pub expected_file: PathBuf,
    pub expected: Expected,
}

/// The smallest generated event, `{"data":""}`.
const MIN_EVENT_SIZE: u64 = 11;
/// Room above FunctionGraph's 6 MB limits, without letting a typo allocate gigabytes.
const MAX_EVENT_SIZE: u64 = 64 * 1024 * 1024;

/// A `[[steps]]` entry as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct StepFile {
    action: Option<Action>,
    event: Option<String>,
    body: Option<String>,
    event_size: Option<u64>,
    concurrent: Option<u32>,
    log_tail: Option<bool>,
    request_version: Option<RequestVersion>,
    credentials: Option<bool>,
    wait_for_end: Option<bool>,
    query: Option<String>,
    urn: Option<DeleteUrn>,
    dependency: Option<DependencyStep>,
    pause: Option<PauseField>,
    expected: String,
}

impl StepFile {
    /// The step of a case without `[[steps]]`: `event.json` → `expected.json`.
    pub(super) fn only_step() -> StepFile {
        StepFile {
            expected: "expected.json".into(),
            ..StepFile::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PauseField {
    Millis(u64),
    Named(String),
}

/// One `[[steps]]` entry; `invalid` names the step's line in `case.toml`.
pub(super) fn load_step(
    dir: &Path,
    step: StepFile,
    invalid: impl Fn(&str, String) -> CaseError,
) -> Result<Step, CaseError> {
    let action = step.action.unwrap_or(Action::Invoke);
    let expected_path =
        named_file(dir, &step.expected).map_err(|message| invalid("steps.expected", message))?;
    if action != Action::Invoke {
        // An asynchronous invoke sends an event too, but one call, with no log to ask for.
        let sends_event = action == Action::InvokeAsync;
        let invoke_only = [
            ("event", step.event.is_some() && !sends_event),
            ("body", step.body.is_some() && !sends_event),
            ("event_size", step.event_size.is_some() && !sends_event),
            ("concurrent", step.concurrent.is_some()),
            ("log_tail", step.log_tail.is_some()),
            ("request_version", step.request_version.is_some()),
            ("credentials", step.credentials.is_some()),
        ];
        if let Some((key, _)) = invoke_only.iter().find(|(_, set)| *set) {
            return Err(invalid(
                &format!("steps.{key}"),
                format!(
                    "`{key}` belongs to invoke steps, not to `action = \"{}\"`",
                    action.name()
                ),
            ));
        }
    }
    let owned_keys: [(&str, bool, &[Action]); 4] = [
        (
            "wait_for_end",
            step.wait_for_end.is_some(),
            &[Action::AsyncOutcome],
        ),
        (
            "query",
            step.query.is_some(),
            &[Action::ListAsync, Action::ListFunctions],
        ),
        ("urn", step.urn.is_some(), &[Action::Delete]),
        (
            "dependency",
            step.dependency.is_some(),
            &[Action::CreateDependency, Action::DeleteDependency],
        ),
    ];
    if let Some((key, _, owners)) = owned_keys
        .iter()
        .find(|(_, set, owners)| *set && !owners.contains(&action))
    {
        let owners: Vec<String> = owners
            .iter()
            .map(|owner| format!("`{}`", owner.name()))
            .collect();
        return Err(invalid(
            &format!("steps.{key}"),
            format!(
                "`{key}` belongs to {} steps, not to `action = \"{}\"`",
                owners.join(" and "),
                action.name()
            ),
        ));
    }
    match (&step.dependency, action) {
        (None, Action::CreateDependency) => {
            return Err(invalid(
                "steps.dependency",
                "a `create-dependency` step names its folder: `dependency = { folder = \"lib\" }` for deps/lib/".into(),
            ));
        }
        (Some(dependency), Action::CreateDependency) => {
            let folder = &dependency.folder;
            if !has_deps_folder(dir, folder) {
                return Err(invalid(
                    "steps.dependency",
                    format!(
                        "the case has no folder deps/{folder}/ to create a dependency version of"
                    ),
                ));
            }
        }
        (Some(dependency), Action::DeleteDependency) if dependency.sets_fields() => {
            return Err(invalid(
                "steps.dependency",
                "a `delete-dependency` step takes only `folder`, a `[function] dependencies` entry"
                    .into(),
            ));
        }
        _ => {}
    }
    if let Some(query) = &step.query
        && let Some(bad) = query
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "=&-_.:%".contains(*c)))
    {
        return Err(invalid(
            "steps.query",
            format!(
                "`query` is sent as written, so it takes letters, digits and `=&-_.:%` only; percent-encode {bad:?}"
            ),
        ));
    }
    let sources = [
        step.event.is_some(),
        step.body.is_some(),
        step.event_size.is_some(),
    ];
    if sources.iter().filter(|set| **set).count() > 1 {
        return Err(invalid(
            "steps.event",
            "give at most one of `event`, `body` and `event_size`".into(),
        ));
    }
    let (source, event) = if let Some(name) = &step.body {
        // Sent byte for byte: for bodies a target must refuse, so it is not parsed.
        let path = named_file(dir, name).map_err(|message| invalid("steps.body", message))?;
        let bytes = read_bytes(&path)?;
        (name.clone(), bytes)
    } else if let Some(size) = step.event_size {
        if !(MIN_EVENT_SIZE..=MAX_EVENT_SIZE).contains(&size) {
            return Err(invalid(
                "steps.event_size",
                format!(
                    "a generated event has {MIN_EVENT_SIZE} (`{{\"data\":\"\"}}`) to {MAX_EVENT_SIZE} bytes"
                ),
            ));
        }
        (format!("{size}-byte event"), sized_event(size))
    } else {
        let name = step.event.clone().unwrap_or_else(|| "event.json".into());
        // `event.json` may be absent (the event is then `{}`); any other name must exist.
        let path = match &step.event {
            Some(named) => named_file(dir, named),
            None => inside(dir, &name),
        }
        .map_err(|message| invalid("steps.event", message))?;
        if path.exists() || step.event.is_some() {
            let text = read(&path)?;
            parse_json(&path, &text)?;
            (name, text.into_bytes())
        } else {
            (name, b"{}".to_vec())
        }
    };
    let concurrent = step.concurrent.unwrap_or(1);
    if concurrent == 0 || concurrent > 64 {
        return Err(invalid(
            "steps.concurrent",
            "`concurrent` is the number of identical invokes sent at once: 1 to 64".into(),
        ));
    }
    let pause = match step.pause {
        None => Pause::None,
        Some(PauseField::Millis(ms)) => Pause::Millis(ms),
        Some(PauseField::Named(name)) if name == "idle" => Pause::Idle,
        Some(PauseField::Named(name)) => {
            return Err(invalid(
                "steps.pause",
                format!("unknown pause `{name}`; use \"idle\" or a number of milliseconds"),
            ));
        }
    };
    let kind = match action {
        Action::Invoke => CallKind::Invoke,
        Action::Create | Action::Delete => CallKind::Api,
        Action::InvokeAsync => CallKind::AsyncInvoke,
        Action::AsyncOutcome => CallKind::AsyncOutcome,
        Action::ListAsync | Action::ListFunctions => CallKind::List,
        Action::CreateDependency | Action::DeleteDependency => CallKind::Dependency,
    };
    let expected = load_expected(&expected_path, kind)?;
    let label = match action {
        Action::Invoke if concurrent > 1 => {
            format!("{concurrent} × {source} at once → {}", step.expected)
        }
        Action::Invoke => format!("{source} → {}", step.expected),
        Action::Create => format!("CreateFunction again → {}", step.expected),
        Action::Delete if step.urn == Some(DeleteUrn::Latest) => {
            format!("DeleteFunction of the latest version → {}", step.expected)
        }
        Action::Delete => format!("DeleteFunction → {}", step.expected),
        Action::InvokeAsync => format!("{source} asynchronously → {}", step.expected),
        Action::AsyncOutcome => {
            format!("the asynchronous call's outcome → {}", step.expected)
        }
        Action::ListAsync => format!(
            "ListAsyncInvocations?{} → {}",
            step.query.as_deref().unwrap_or_default(),
            step.expected
        ),
        Action::CreateDependency => format!(
            "CreateDependencyVersion of deps/{}/ → {}",
            step.dependency.as_ref().map_or("", |d| d.folder.as_str()),
            step.expected
        ),
        Action::DeleteDependency => match &step.dependency {
            Some(d) => format!(
                "DeleteDependencyVersion of the function's deps/{}/ → {}",
                d.folder, step.expected
            ),
            None => format!(
                "DeleteDependencyVersion of the version created last → {}",
                step.expected
            ),
        },
        Action::ListFunctions => format!(
            "ListFunctions?{} → {}",
            step.query.as_deref().unwrap_or_default(),
            step.expected
        ),
    };
    Ok(Step {
        label,
        expected_file: expected_path,
        action,
        event,
        concurrent,
        log_tail: step.log_tail.unwrap_or(true),
        request_version: step.request_version.unwrap_or_default(),
        credentials: step.credentials.unwrap_or(true),
        wait_for_end: step.wait_for_end.unwrap_or(true),
        query: step.query.unwrap_or_default(),
        urn: step.urn.unwrap_or_default(),
        dependency: step.dependency,
        pause,
        expected,
    })
}

/// `{"data":"aaa…"}`, exactly `size` bytes.
fn sized_event(size: u64) -> Vec<u8> {
    let mut event = b"{\"data\":\"".to_vec();
    event.resize((size - 2) as usize, b'a');
    event.extend_from_slice(b"\"}");
    event
}
