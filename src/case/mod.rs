//! Loading one case directory: `case.toml`, `code/`, and each step's event and expectation
//! (CASE-FORMAT.md). Every error names the file, the key and the line.

mod file;
mod step;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use file::CaseError;
pub use step::{Action, DeployCheck, Pause, Step};

use crate::expect::{ExpectError, PREBOUND};
use crate::feature;
use crate::observe::CallKind;
use crate::runtime_id::RuntimeRange;
use file::{expect_error, find_line, line_of, load_expected, read};
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
    pub deploy: Option<DeployCheck>,
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

fn case_id(root: &Path, dir: &Path) -> String {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("::")
}
