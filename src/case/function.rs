//! A case's `[function]` table: the CreateFunction settings with their defaults, the telemetry
//! the function subscribes to, and the dependencies (`deps/<name>/`) deployed with it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::file::{CaseError, find_line, line_of};
use crate::telemetry::TelemetryType;
use crate::telemetry::forwarder::USER_DATA_KEYS;

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
    /// The telemetry types the harness's forwarder subscribes to; empty: no forwarder.
    pub telemetry: Vec<TelemetryType>,
    /// Folder names below `deps/`, each deployed as a dependency, in this order.
    pub dependencies: Vec<String>,
    pub description: Option<String>,
    pub pre_stop_handler: Option<String>,
    pub pre_stop_timeout: Option<u32>,
    /// Sent as CreateFunction's `encrypted_user_data` (JSON object text), when not empty.
    pub encrypted_user_data: BTreeMap<String, String>,
    /// Sent instead of the harness's package `default` (to list one group's functions).
    pub package: Option<String>,
    /// Sent instead of `zip` (for code entry modes a target must refuse).
    pub code_type: Option<String>,
    /// How `func_code` is sent: the zipped `code/` (the default), or spoiled for a target to
    /// refuse.
    pub func_code: FuncCodeForm,
    /// Fields CreateFunction is sent without, for a platform's default or refusal.
    pub omit: Vec<OmittedField>,
}

/// `[function] omit`: a field of CreateFunction's request left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OmittedField {
    Package,
    Timeout,
}

impl OmittedField {
    fn name(self) -> &'static str {
        match self {
            OmittedField::Package => "package",
            OmittedField::Timeout => "timeout",
        }
    }
}

/// `[function] func_code`: what CreateFunction's `func_code` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FuncCodeForm {
    /// `{"file": <the zipped code/, base64>}`.
    #[default]
    Zip,
    /// No `func_code` at all.
    Omitted,
    /// `{"file": …}` with text that is not base64.
    NotBase64,
    /// The zipped `code/` with an incompressible file that takes the zip past 50 MB (and 50 MiB),
    /// the most CreateFunction takes.
    #[serde(rename = "over-50-mb")]
    Over50Mb,
    /// The zipped `code/` with a file of zeros that takes what it unpacks to past 1,500 MB (and
    /// 1,500 MiB), the most a package may unpack to.
    #[serde(rename = "unpacks-over-1500-mb")]
    UnpacksOver1500Mb,
}

/// `[function]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FunctionFile {
    func_name: Option<String>,
    runtime: Option<String>,
    handler: Option<String>,
    memory_size: Option<u32>,
    timeout: Option<u32>,
    initializer_handler: Option<String>,
    initializer_timeout: Option<u32>,
    user_data: Option<BTreeMap<String, String>>,
    telemetry: Option<Spanned<Vec<Spanned<String>>>>,
    dependencies: Option<Spanned<Vec<Spanned<String>>>>,
    description: Option<String>,
    pre_stop_handler: Option<String>,
    pre_stop_timeout: Option<u32>,
    encrypted_user_data: Option<BTreeMap<String, String>>,
    package: Option<String>,
    code_type: Option<String>,
    func_code: Option<FuncCodeForm>,
    omit: Option<Spanned<Vec<OmittedField>>>,
}

/// The longest dependency folder name: the harness's unique dependency name adds 13 characters
/// and FunctionGraph allows 96.
const MAX_DEPENDENCY_NAME: usize = 64;

/// Where `case.toml` is and what it says, for errors that name the file, the key and the line.
pub(super) struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    fn invalid(&self, line: usize, key: &str, message: String) -> CaseError {
        CaseError::Invalid {
            file: self.file.to_owned(),
            line,
            key: key.to_owned(),
            message,
        }
    }

    fn at<T>(&self, spanned: &Spanned<T>, key: &str, message: String) -> CaseError {
        self.invalid(line_of(self.text, spanned.span().start), key, message)
    }
}

/// Checks `[function]` of the case in `dir` and applies the defaults; `features` are the case's
/// features, `checks_deploy` whether it has `[deploy]` (whose expectation may be a refusal).
pub(super) fn load_function(
    f: FunctionFile,
    dir: &Path,
    source: &Source,
    features: &[&str],
    checks_deploy: bool,
) -> Result<FunctionSettings, CaseError> {
    // Half the pair is a request FunctionGraph refuses: only a case checking that refusal sends it.
    if f.initializer_handler.is_some() != f.initializer_timeout.is_some() && !checks_deploy {
        return Err(source.invalid(
            find_line(source.text, "initializer_"),
            "function.initializer_handler",
            "initializer_handler and initializer_timeout go together (FunctionGraph requires both; \
             only a case whose `[deploy]` checks the refusal sends one alone)"
                .into(),
        ));
    }
    let mut omit = Vec::new();
    if let Some(list) = &f.omit {
        // A request without a mandatory field is one a target may refuse: only a case saying
        // what CreateFunction answers sends it.
        let problem = if !checks_deploy {
            Some("a function sent without a field needs `[deploy]`, to say what CreateFunction answers".to_owned())
        } else {
            list.get_ref().iter().enumerate().find_map(|(i, field)| {
                let set = match field {
                    OmittedField::Package => f.package.is_some(),
                    OmittedField::Timeout => f.timeout.is_some(),
                };
                if list.get_ref()[..i].contains(field) {
                    Some(format!("`{}` is listed twice", field.name()))
                } else {
                    set.then(|| format!("`{0}` is both set and omitted; drop one", field.name()))
                }
            })
        };
        if let Some(message) = problem {
            return Err(source.at(list, "function.omit", message));
        }
        omit = list.get_ref().clone();
    }
    let telemetry = match f.telemetry {
        None => Vec::new(),
        Some(list) => telemetry_types(&list, features, source)?,
    };
    let user_data = f.user_data.unwrap_or_default();
    if !telemetry.is_empty()
        && let Some(key) = USER_DATA_KEYS
            .iter()
            .find(|key| user_data.contains_key(**key))
    {
        return Err(source.invalid(
            find_line(source.text, key),
            "function.user_data",
            format!("`{key}` is set by the harness on a function with `telemetry`; leave it out"),
        ));
    }
    let dependencies = match f.dependencies {
        None => Vec::new(),
        Some(list) => dependency_names(list, dir, source)?,
    };
    Ok(FunctionSettings {
        func_name: f.func_name,
        runtime: f.runtime,
        handler: f.handler.unwrap_or_else(|| "index.handler".into()),
        memory_size: f.memory_size.unwrap_or(128),
        timeout: f.timeout.unwrap_or(3),
        initializer_handler: f.initializer_handler,
        initializer_timeout: f.initializer_timeout,
        user_data,
        telemetry,
        dependencies,
        description: f.description,
        pre_stop_handler: f.pre_stop_handler,
        pre_stop_timeout: f.pre_stop_timeout,
        encrypted_user_data: f.encrypted_user_data.unwrap_or_default(),
        package: f.package,
        code_type: f.code_type,
        func_code: f.func_code.unwrap_or_default(),
        omit,
    })
}

/// `telemetry = [...]`: a non-empty list of distinct types, in a case that declares the feature.
fn telemetry_types(
    list: &Spanned<Vec<Spanned<String>>>,
    features: &[&str],
    source: &Source,
) -> Result<Vec<TelemetryType>, CaseError> {
    const KEY: &str = "function.telemetry";
    let known = || {
        TelemetryType::ALL
            .map(TelemetryType::name)
            .map(|name| format!("\"{name}\""))
            .join(", ")
    };
    if list.get_ref().is_empty() {
        return Err(source.at(
            list,
            KEY,
            format!(
                "list the telemetry types to subscribe to, one or more of {}",
                known()
            ),
        ));
    }
    if !features.contains(&"telemetry") {
        return Err(source.at(
            list,
            KEY,
            "a case with `telemetry` needs the feature `telemetry` in `features`".into(),
        ));
    }
    let mut types = Vec::new();
    for name in list.get_ref() {
        let Some(found) = TelemetryType::from_name(name.get_ref()) else {
            return Err(source.at(
                name,
                KEY,
                format!(
                    "unknown telemetry type `{}`; expected {}",
                    name.get_ref(),
                    known()
                ),
            ));
        };
        if types.contains(&found) {
            return Err(source.at(name, KEY, format!("`{}` is listed twice", found.name())));
        }
        types.push(found);
    }
    Ok(types)
}

/// `dependencies = [...]`: distinct folder names, each a folder `deps/<name>/` of the case.
fn dependency_names(
    list: Spanned<Vec<Spanned<String>>>,
    dir: &Path,
    source: &Source,
) -> Result<Vec<String>, CaseError> {
    const KEY: &str = "function.dependencies";
    let mut names: Vec<String> = Vec::new();
    for spanned in list.into_inner() {
        let name = spanned.get_ref().clone();
        if !is_folder_name(&name) {
            return Err(source.at(
                &spanned,
                KEY,
                format!(
                    "`{name}` is not a dependency folder name: 1 to {MAX_DEPENDENCY_NAME} letters, digits, `_`, `-` or `.`, starting with a letter or digit"
                ),
            ));
        }
        if names.contains(&name) {
            return Err(source.at(&spanned, KEY, format!("`{name}` is listed twice")));
        }
        if !has_deps_folder(dir, &name) {
            return Err(source.at(
                &spanned,
                KEY,
                format!("the case has no folder deps/{name}/ to deploy as the dependency `{name}`"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// Whether `name` can name a `deps/` folder: it becomes part of the dependency's name on the
/// target, and a path below the case, so FunctionGraph's characters only, never `..` or a
/// separator.
pub(super) fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_DEPENDENCY_NAME
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Whether the case in `dir` has the folder `deps/<name>/` itself, not a link to one elsewhere.
pub(super) fn has_deps_folder(dir: &Path, name: &str) -> bool {
    let real_dir =
        |path: std::path::PathBuf| std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir());
    is_folder_name(name) && real_dir(dir.join("deps")) && real_dir(dir.join("deps").join(name))
}
