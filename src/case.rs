//! Loading one case directory: `case.toml`, `code/`, and each step's event and expectation.
//! The format is documented in CASE-FORMAT.md; every error names the file, the key and the line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::matcher::{Matcher, MatcherError};
use crate::runtime_id::RuntimeRange;

/// The project's features; `features` in `case.toml` must name these (CASE-FORMAT.md).
pub const FEATURES: [(&str, &str); 19] = [
    (
        "callback",
        "the handler answers through callback(err, data)",
    ),
    ("async-handler", "async handlers (Node.js 8.10+)"),
    ("promise", "handlers that return a Promise (Node.js 8.10+)"),
    ("initializer", "the initializer entry point"),
    ("context", "the context object's methods"),
    (
        "user-data",
        "user_data: environment variables set on the function",
    ),
    ("request-id", "request ids: context, headers and body agree"),
    (
        "logger",
        "context.getLogger() and console output in the call's log",
    ),
    (
        "errors",
        "failed calls: error types, messages and stack traces",
    ),
    (
        "apig",
        "the APIG-shaped response {statusCode, headers, isBase64Encoded, body}",
    ),
    (
        "summary",
        "the execution summary and billing headers of an invoke",
    ),
    (
        "platform-log",
        "the platform's Start/Finish lines and the log tail (body and header)",
    ),
    (
        "timeout",
        "a call past the function's timeout, and the instance after it",
    ),
    (
        "memory-limit",
        "memory_size enforced: a call past it fails, the next works",
    ),
    (
        "crash",
        "an instance process that exits or throws outside a call",
    ),
    ("sizes", "request and response size limits, non-JSON bodies"),
    (
        "api-errors",
        "CreateFunction, DeleteFunction and InvokeFunction errors (FSS codes)",
    ),
    (
        "instances",
        "instances: concurrency, idle recycling, deletion",
    ),
    (
        "environment",
        "what a function's process sees of its environment",
    ),
];

/// Names the harness binds before a trial's first step (CASE-FORMAT.md, "Captures").
pub const PREBOUND: [&str; 5] = ["func_name", "func_urn", "package", "runtime", "memory_size"];

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Huawei's or OTC's documentation says so.
    Documented,
    /// Captured from the live service (community docs, real payloads).
    Observed,
    /// Only Huawei's open-source runtime shows it.
    Implementation,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Documented => "documented",
            Level::Observed => "observed",
            Level::Implementation => "implementation",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", file.display())]
    Toml { file: PathBuf, message: String },
    #[error("{}:{line}: `{key}`: {message}", file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{}:{line}:{column}: not valid JSON: {message}", file.display())]
    Json {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A loaded case, ready to run.
#[derive(Debug)]
pub struct Case {
    pub dir: PathBuf,
    /// `area::case`, the path below the corpus root.
    pub id: String,
    pub description: String,
    pub spec: Vec<String>,
    pub level: Level,
    pub features: Vec<String>,
    pub runtimes: RuntimeRange,
    pub function: FunctionSettings,
    /// What CreateFunction must answer, when the case checks the deploy itself.
    pub deploy: Option<ApiStep>,
    pub steps: Vec<Step>,
}

/// CreateFunction fields a case sets, defaults applied.
#[derive(Debug, Clone)]
pub struct FunctionSettings {
    /// Sent as is instead of the harness's unique name (for names a target must refuse).
    pub func_name: Option<String>,
    /// Sent instead of the trial's runtime id (for ids a target must refuse).
    pub runtime: Option<String>,
    pub handler: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub initializer_handler: Option<String>,
    pub initializer_timeout: Option<u32>,
    pub user_data: BTreeMap<String, String>,
}

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
    pub pause: Pause,
    pub expected: Expected,
}

/// What a step does to the deployed function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// InvokeFunction (synchronous).
    Invoke,
    /// CreateFunction again, with the same name and settings.
    Create,
    /// DeleteFunction.
    Delete,
}

/// A wait before a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    None,
    /// Longer than the target's idle time, so its idle instances are recycled.
    Idle,
    Millis(u64),
}

/// The expectation of an API call that is not an invoke (the deploy, `create`, `delete`).
#[derive(Debug)]
pub struct ApiStep {
    pub label: String,
    pub expected_file: PathBuf,
    pub expected: Expected,
}

/// What `expected.json` asks to observe; absent keys are not checked.
#[derive(Debug, Default)]
pub struct Expected {
    pub request_id: Option<Matcher>,
    pub status: Option<Matcher>,
    pub api_error: Option<Matcher>,
    pub failed: Option<Matcher>,
    pub result: Option<Matcher>,
    pub result_text: Option<Matcher>,
    pub error: Option<Matcher>,
    pub summary: Option<Matcher>,
    pub headers: Option<Matcher>,
    pub log: Option<LogExpectation>,
    pub log_header: Option<LogExpectation>,
}

#[derive(Debug, Default)]
pub struct LogExpectation {
    /// Matched as an ordered subsequence of the log's lines.
    pub contains: Vec<Matcher>,
    /// No line may match any of these.
    pub not_contains: Vec<Matcher>,
    pub max_bytes: Option<u64>,
}

/// The keys of `expected.json`, in the order they are checked within a step.
pub const EXPECTED_KEYS: [&str; 11] = [
    "request_id",
    "status",
    "api_error",
    "failed",
    "result",
    "result_text",
    "error",
    "summary",
    "headers",
    "log",
    "log_header",
];

/// The keys that mean something for an API call other than an invoke.
pub const API_STEP_KEYS: [&str; 2] = ["status", "api_error"];

/// The smallest generated event, `{"data":""}`.
const MIN_EVENT_SIZE: u64 = 11;
/// Room above FunctionGraph's 6 MB limits, without letting a typo allocate gigabytes.
const MAX_EVENT_SIZE: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    description: String,
    spec: Spanned<Vec<String>>,
    level: Level,
    #[serde(default)]
    features: Vec<Spanned<String>>,
    runtimes: Option<Spanned<RuntimesField>>,
    #[serde(default)]
    function: FunctionFile,
    deploy: Option<DeployFile>,
    #[serde(default)]
    steps: Vec<Spanned<StepFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployFile {
    expected: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RuntimesField {
    One(String),
    List(Vec<String>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FunctionFile {
    func_name: Option<String>,
    runtime: Option<String>,
    handler: Option<String>,
    memory_size: Option<u32>,
    timeout: Option<u32>,
    initializer_handler: Option<String>,
    initializer_timeout: Option<u32>,
    user_data: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    action: Option<Action>,
    event: Option<String>,
    body: Option<String>,
    event_size: Option<u64>,
    concurrent: Option<u32>,
    log_tail: Option<bool>,
    pause: Option<PauseField>,
    expected: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PauseField {
    Millis(u64),
    Named(String),
}

impl Case {
    /// Loads the case in `dir`; `root` is the corpus root its id is relative to.
    pub fn load(root: &Path, dir: &Path) -> Result<Case, CaseError> {
        let file = dir.join("case.toml");
        let text = read(&file)?;
        let parsed: CaseFile = toml::from_str(&text).map_err(|e| CaseError::Toml {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let invalid =
            |span: std::ops::Range<usize>, key: &str, message: String| CaseError::Invalid {
                file: file.clone(),
                line: line_of(&text, span.start),
                key: key.to_owned(),
                message,
            };

        if parsed.spec.get_ref().is_empty() {
            return Err(invalid(
                parsed.spec.span(),
                "spec",
                "name at least one source for the expectation".into(),
            ));
        }
        for feature in &parsed.features {
            if !FEATURES.iter().any(|(name, _)| name == feature.get_ref()) {
                let known: Vec<_> = FEATURES.iter().map(|(name, _)| *name).collect();
                return Err(invalid(
                    feature.span(),
                    "features",
                    format!(
                        "unknown feature `{}`; known features: {}",
                        feature.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
        let runtimes = match &parsed.runtimes {
            None => RuntimeRange::All,
            Some(field) => match field.get_ref() {
                RuntimesField::One(text) => RuntimeRange::parse(text),
                RuntimesField::List(ids) => {
                    RuntimeRange::parse_list(ids.iter().map(String::as_str))
                }
            }
            .map_err(|message| invalid(field.span(), "runtimes", message))?,
        };

        let f = parsed.function;
        if f.initializer_handler.is_some() != f.initializer_timeout.is_some() {
            return Err(CaseError::Invalid {
                file: file.clone(),
                line: find_line(&text, "initializer_"),
                key: "function.initializer_handler".into(),
                message: "initializer_handler and initializer_timeout go together (FunctionGraph requires both)".into(),
            });
        }
        let function = FunctionSettings {
            func_name: f.func_name,
            runtime: f.runtime,
            handler: f.handler.unwrap_or_else(|| "index.handler".into()),
            memory_size: f.memory_size.unwrap_or(128),
            timeout: f.timeout.unwrap_or(3),
            initializer_handler: f.initializer_handler,
            initializer_timeout: f.initializer_timeout,
            user_data: f.user_data.unwrap_or_default(),
        };

        let code = dir.join("code");
        if !code.is_dir() {
            return Err(CaseError::Read {
                file: code,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "every case needs a code/ directory",
                ),
            });
        }

        let deploy = match parsed.deploy {
            Some(deploy) => {
                let expected_file = dir.join(&deploy.expected);
                let expected = Expected::load_for(&expected_file, &API_STEP_KEYS)?;
                Some(ApiStep {
                    label: format!("deploy → {}", deploy.expected),
                    expected_file,
                    expected,
                })
            }
            None => None,
        };

        // A case that checks only its deploy has no invoke to default to.
        let step_files = if parsed.steps.is_empty() && deploy.is_none() {
            vec![Spanned::new(
                0..0,
                StepFile {
                    action: None,
                    event: None,
                    body: None,
                    event_size: None,
                    concurrent: None,
                    log_tail: None,
                    pause: None,
                    expected: "expected.json".into(),
                },
            )]
        } else {
            parsed.steps
        };
        let mut steps = Vec::new();
        for spanned in step_files {
            let span = spanned.span();
            let step = spanned.into_inner();
            steps.push(load_step(dir, step, |key: &str, message: String| {
                invalid(span.clone(), key, message)
            })?);
        }
        check_captures(&steps)?;

        Ok(Case {
            dir: dir.to_owned(),
            id: case_id(root, dir),
            description: parsed.description,
            spec: parsed.spec.into_inner(),
            level: parsed.level,
            features: parsed
                .features
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            runtimes,
            function,
            deploy,
            steps,
        })
    }

    /// The area: the first component of the id.
    pub fn area(&self) -> &str {
        self.id.split("::").next().unwrap_or(&self.id)
    }
}

/// One `[[steps]]` entry; `invalid` names the step's line in `case.toml`.
fn load_step(
    dir: &Path,
    step: StepFile,
    invalid: impl Fn(&str, String) -> CaseError,
) -> Result<Step, CaseError> {
    let action = step.action.unwrap_or(Action::Invoke);
    let expected_path = dir.join(&step.expected);
    if action != Action::Invoke {
        let invoke_only = [
            ("event", step.event.is_some()),
            ("body", step.body.is_some()),
            ("event_size", step.event_size.is_some()),
            ("concurrent", step.concurrent.is_some()),
            ("log_tail", step.log_tail.is_some()),
        ];
        if let Some((key, _)) = invoke_only.iter().find(|(_, set)| *set) {
            return Err(invalid(
                &format!("steps.{key}"),
                format!("`{key}` belongs to invoke steps, not to `action = \"{action:?}\"`")
                    .to_lowercase(),
            ));
        }
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
        let path = dir.join(name);
        let bytes =
            std::fs::read(&path).map_err(|source| CaseError::Read { file: path, source })?;
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
        let path = dir.join(&name);
        // `event.json` may be absent (the event is then `{}`); any other name must exist.
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
    let expected = if action == Action::Invoke {
        Expected::load(&expected_path)?
    } else {
        Expected::load_for(&expected_path, &API_STEP_KEYS)?
    };
    let label = match action {
        Action::Invoke if concurrent > 1 => {
            format!("{concurrent} × {source} at once → {}", step.expected)
        }
        Action::Invoke => format!("{source} → {}", step.expected),
        Action::Create => format!("CreateFunction again → {}", step.expected),
        Action::Delete => format!("DeleteFunction → {}", step.expected),
    };
    Ok(Step {
        label,
        expected_file: expected_path,
        action,
        event,
        concurrent,
        log_tail: step.log_tail.unwrap_or(true),
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

impl Expected {
    /// An invoke step's expectation: any key of [`EXPECTED_KEYS`].
    pub fn load(file: &Path) -> Result<Expected, CaseError> {
        Expected::load_for(file, &EXPECTED_KEYS)
    }

    /// An expectation that may use only the keys in `allowed`.
    pub fn load_for(file: &Path, allowed: &[&str]) -> Result<Expected, CaseError> {
        let text = read(file)?;
        let value = parse_json(file, &text)?;
        let invalid = |key: &str, message: String| CaseError::Invalid {
            file: file.to_owned(),
            line: find_line(&text, &format!("\"{key}\"")),
            key: key.to_owned(),
            message,
        };
        let Value::Object(map) = value else {
            return Err(CaseError::Invalid {
                file: file.to_owned(),
                line: 1,
                key: "(top level)".into(),
                message: "expected.json holds one JSON object".into(),
            });
        };
        let compile = |key: &str, v: &Value| {
            Matcher::compile(v, key).map_err(|e: MatcherError| CaseError::Invalid {
                file: file.to_owned(),
                line: find_line(&text, &format!("\"{}\"", e.key)),
                key: e.key.clone(),
                message: e.to_string(),
            })
        };
        let mut expected = Expected::default();
        for (key, v) in &map {
            if !allowed.contains(&key.as_str()) {
                let why = if EXPECTED_KEYS.contains(&key.as_str()) {
                    "is not observed by this kind of step"
                } else {
                    "is unknown"
                };
                return Err(invalid(
                    key,
                    format!("key `{key}` {why}; expected one of {}", allowed.join(", ")),
                ));
            }
            match key.as_str() {
                "request_id" => expected.request_id = Some(compile(key, v)?),
                "status" => expected.status = Some(compile(key, v)?),
                "api_error" => expected.api_error = Some(compile(key, v)?),
                "failed" => expected.failed = Some(compile(key, v)?),
                "result" => expected.result = Some(compile(key, v)?),
                "result_text" => expected.result_text = Some(compile(key, v)?),
                "error" => expected.error = Some(compile(key, v)?),
                "summary" => expected.summary = Some(compile(key, v)?),
                "headers" => {
                    if let Value::Object(headers) = v
                        && let Some(name) = headers.keys().find(|name| {
                            !name.starts_with('$') && name.to_ascii_lowercase() != **name
                        })
                    {
                        return Err(invalid(
                            name,
                            format!(
                                "header names are matched in lower case; write `{}`",
                                name.to_ascii_lowercase()
                            ),
                        ));
                    }
                    expected.headers = Some(compile(key, v)?)
                }
                "log" => expected.log = Some(load_log(key, v, &compile, &invalid)?),
                "log_header" => expected.log_header = Some(load_log(key, v, &compile, &invalid)?),
                _ => unreachable!("allowed keys are a subset of EXPECTED_KEYS"),
            }
        }
        Ok(expected)
    }

    pub fn matchers(&self) -> impl Iterator<Item = &Matcher> {
        let log = self
            .log
            .iter()
            .chain(&self.log_header)
            .flat_map(|l| l.contains.iter().chain(&l.not_contains));
        [
            &self.request_id,
            &self.status,
            &self.api_error,
            &self.failed,
            &self.result,
            &self.result_text,
            &self.error,
            &self.summary,
            &self.headers,
        ]
        .into_iter()
        .flatten()
        .chain(log)
    }
}

/// `{"contains": [...], "not_contains": [...], "max_bytes": n}` under `key` (`log`,
/// `log_header`).
fn load_log(
    key: &str,
    v: &Value,
    compile: &impl Fn(&str, &Value) -> Result<Matcher, CaseError>,
    invalid: &impl Fn(&str, String) -> CaseError,
) -> Result<LogExpectation, CaseError> {
    let Value::Object(log) = v else {
        return Err(invalid(
            key,
            format!(
                "`{key}` takes {{\"contains\": [...], \"not_contains\": [...], \"max_bytes\": n}}"
            ),
        ));
    };
    let mut expectation = LogExpectation::default();
    for (log_key, lv) in log {
        let list = |lv: &Value| match lv {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| compile(&format!("{key}.{log_key}[{i}]"), item))
                .collect::<Result<Vec<_>, _>>(),
            _ => Err(invalid(
                log_key,
                format!("`{key}.{log_key}` takes an array of matchers"),
            )),
        };
        match log_key.as_str() {
            "contains" => expectation.contains = list(lv)?,
            "not_contains" => expectation.not_contains = list(lv)?,
            "max_bytes" => {
                expectation.max_bytes = Some(lv.as_u64().ok_or_else(|| {
                    invalid(
                        log_key,
                        format!("`{key}.max_bytes` takes a non-negative integer"),
                    )
                })?)
            }
            _ => {
                return Err(invalid(
                    log_key,
                    format!(
                        "unknown key `{key}.{log_key}`; expected contains, not_contains or max_bytes"
                    ),
                ));
            }
        }
    }
    Ok(expectation)
}

/// Every `$same`, `$ceil` and capture-valued `$ge`/`$le` must name something a step captures or
/// the harness pre-binds: a typo would otherwise fail every run with a confusing message.
fn check_captures(steps: &[Step]) -> Result<(), CaseError> {
    let mut binds = Vec::new();
    let mut uses_by_step = Vec::new();
    for step in steps {
        let mut uses = Vec::new();
        step.expected
            .matchers()
            .for_each(|m| m.visit_captures(&mut binds, &mut uses));
        uses_by_step.push((step, uses));
    }
    for (step, uses) in uses_by_step {
        if let Some(name) = uses
            .iter()
            .find(|name| !binds.contains(name) && !PREBOUND.contains(&name.as_str()))
        {
            let text = std::fs::read_to_string(&step.expected_file).unwrap_or_default();
            return Err(CaseError::Invalid {
                file: step.expected_file.clone(),
                line: find_line(&text, &format!("\"{name}\"")),
                key: name.clone(),
                message: format!(
                    "`{name}` is never captured; capture it with {{\"$capture\": \"{name}\"}} or use one of {}",
                    PREBOUND.join(", ")
                ),
            });
        }
    }
    Ok(())
}

fn read(file: &Path) -> Result<String, CaseError> {
    std::fs::read_to_string(file).map_err(|source| CaseError::Read {
        file: file.to_owned(),
        source,
    })
}

fn parse_json(file: &Path, text: &str) -> Result<Value, CaseError> {
    serde_json::from_str(text).map_err(|e| CaseError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

fn case_id(root: &Path, dir: &Path) -> String {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("::")
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of the first occurrence of `needle`; 0 when it is not there.
fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |offset| line_of(text, offset))
}

#[cfg(test)]
mod tests {
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
        let steps =
            |extra: &str| format!("{GOOD}\n[[steps]]\nexpected = \"expected.json\"\n{extra}");
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
}
