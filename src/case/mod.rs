//! Loading one case directory: `case.toml`, `code/`, and each step's event and expectation
//! (CASE-FORMAT.md). Every error names the file, the key and the line.

mod file;
mod function;
#[cfg(test)]
mod proptests;
mod step;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use file::{CaseError, line_of, read};
pub use function::{FuncCodeForm, FunctionSettings, OmittedField};
pub use step::{Action, DeleteUrn, DependFileForm, DependencyStep, DeployCheck, Pause, Step};

use crate::expect::{ExpectError, PREBOUND};
use crate::feature;
use crate::observe::CallKind;
use crate::runtime_id::RuntimeRange;
use file::{expect_error, find_line, load_expected, named_file};
use function::{FunctionFile, Source, load_function};
use step::{StepFile, load_step};

/// How strong a case's source is: how far its expectation binds a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Documented,
    Observed,
    Implementation,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Documented, Level::Observed, Level::Implementation];

    /// The name in `case.toml` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Level::Documented => "documented",
            Level::Observed => "observed",
            Level::Implementation => "implementation",
        }
    }

    /// The level called `name`.
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.name() == name)
    }

    /// What the level means, for help texts.
    pub fn about(self) -> &'static str {
        match self {
            Level::Documented => "Huawei's or OTC's documentation says so",
            Level::Observed => "Captured from the live service (community docs, real payloads)",
            Level::Implementation => "Only Huawei's open-source runtime shows it",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a case's `statements` key says, with the lines the errors about it name.
#[derive(Debug, Clone, Default)]
pub struct Citations {
    /// Each statement id, with its line.
    pub ids: Vec<(usize, String)>,
    /// Whether the key is there at all.
    pub given: bool,
    /// The key's line, or `level`'s when the key is missing.
    pub line: usize,
}

impl Citations {
    pub fn cites(&self, id: &str) -> bool {
        self.ids.iter().any(|(_, cited)| cited == id)
    }
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
    /// The statements (`statements/*.toml`) the case says it checks.
    pub statements: Citations,
    pub features: Vec<String>,
    pub runtimes: RuntimeRange,
    pub function: FunctionSettings,
    /// What CreateFunction must answer, when the case checks the deploy itself.
    pub deploy: Option<DeployCheck>,
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    description: String,
    spec: Spanned<Vec<String>>,
    level: Spanned<Level>,
    statements: Option<Spanned<Vec<Spanned<String>>>>,
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

impl Case {
    /// Loads the case in `dir`; `root` is the corpus root its id is relative to. Its citations
    /// are checked against the corpus's registry apart (`statements::check_citations`).
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
        let statements = match parsed.statements {
            Some(field) => Citations {
                line: line_of(&text, field.span().start),
                given: true,
                ids: field
                    .into_inner()
                    .into_iter()
                    .map(|id| (line_of(&text, id.span().start), id.into_inner()))
                    .collect(),
            },
            None => Citations {
                line: line_of(&text, parsed.level.span().start),
                given: false,
                ids: Vec::new(),
            },
        };
        for feature in &parsed.features {
            if let Err(unknown) = feature::check(feature.get_ref()) {
                return Err(invalid(feature.span(), "features", unknown.to_string()));
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

        let features: Vec<&str> = parsed
            .features
            .iter()
            .map(|f| f.get_ref().as_str())
            .collect();
        let source = Source {
            file: &file,
            text: &text,
        };
        let checks_deploy = parsed.deploy.is_some();
        let function = load_function(parsed.function, dir, &source, &features, checks_deploy)?;

        let code = dir.join("code");
        // The folder itself, not a link to one elsewhere (whose files would be uploaded).
        if !std::fs::symlink_metadata(&code).is_ok_and(|meta| meta.is_dir()) {
            return Err(CaseError::Read {
                file: code,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "every case needs a code/ directory (a directory, not a symbolic link)",
                ),
            });
        }

        let deploy = match parsed.deploy {
            Some(deploy) => {
                let expected_file =
                    named_file(dir, &deploy.expected).map_err(|message| CaseError::Invalid {
                        file: file.clone(),
                        line: find_line(&text, "[deploy]"),
                        key: "deploy.expected".into(),
                        message,
                    })?;
                let expected = load_expected(&expected_file, CallKind::Api)?;
                Some(DeployCheck {
                    label: format!("deploy → {}", deploy.expected),
                    expected_file,
                    expected,
                })
            }
            None => None,
        };

        // A case that checks only its deploy has no invoke to default to.
        let step_files = if parsed.steps.is_empty() && deploy.is_none() {
            vec![Spanned::new(0..0, StepFile::only_step())]
        } else {
            parsed.steps
        };
        let mut steps: Vec<Step> = Vec::new();
        for spanned in step_files {
            let span = spanned.span();
            let step = spanned.into_inner();
            let step = load_step(dir, step, |key: &str, message: String| {
                invalid(span.clone(), key, message)
            })?;
            let after_async = steps.iter().any(|s| s.action == Action::InvokeAsync);
            if step.action == Action::AsyncOutcome && !after_async {
                return Err(invalid(
                    span,
                    "steps.action",
                    "an `async-outcome` step reads the outcome of the last `invoke-async` step before it; there is none".into(),
                ));
            }
            if step.action == Action::DeleteDependency {
                let created = steps.iter().any(|s| s.action == Action::CreateDependency);
                let problem = match &step.dependency {
                    Some(d) if !function.dependencies.contains(&d.folder) => Some(format!(
                        "`{}` is not among `[function] dependencies`, the versions the function was deployed with",
                        d.folder
                    )),
                    None if !created => Some(
                        "a `delete-dependency` step without `dependency` deletes the version the last `create-dependency` step created; there is none".to_owned(),
                    ),
                    _ => None,
                };
                if let Some(message) = problem {
                    return Err(invalid(span, "steps.dependency", message));
                }
            }
            steps.push(step);
        }
        check_captures(&steps)?;
        check_telemetry_expected(&steps, &function)?;

        Ok(Case {
            dir: dir.to_owned(),
            id: case_id(root, dir),
            description: parsed.description,
            spec: parsed.spec.into_inner(),
            level: parsed.level.into_inner(),
            statements,
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
            let text = read(&step.expected_file)?;
            let message = format!(
                "`{name}` is never captured; capture it with {{\"$capture\": \"{name}\"}} or use one of {}",
                PREBOUND.join(", ")
            );
            return Err(expect_error(
                &step.expected_file,
                &text,
                ExpectError::new(name, message),
            ));
        }
    }
    Ok(())
}

/// A step can only see telemetry the function subscribes to: expecting it otherwise is a mistake
/// in the case, not something a target could satisfy.
fn check_telemetry_expected(steps: &[Step], function: &FunctionSettings) -> Result<(), CaseError> {
    if !function.telemetry.is_empty() {
        return Ok(());
    }
    match steps.iter().find(|step| step.expected.awaits_events()) {
        Some(step) => {
            let text = read(&step.expected_file)?;
            Err(expect_error(
                &step.expected_file,
                &text,
                ExpectError::new(
                    "telemetry",
                    "the step expects telemetry, but the case's `[function]` subscribes to none; set `telemetry = [...]` there".into(),
                ),
            ))
        }
        None => Ok(()),
    }
}

/// The id of the case in `dir` of the corpus at `root`: its path below the root, `::`-joined.
pub fn case_id(root: &Path, dir: &Path) -> String {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("::")
}
