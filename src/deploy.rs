//! Deploying a case's function: its dependencies (each `deps/<name>/`, then the telemetry
//! forwarder) as dependency versions, the CreateFunction request (its package zipped and
//! encoded), the case's own check of CreateFunction's answer (`[deploy]`), the function model it
//! answers, and deleting all of it again.

use base64::Engine as _;

use crate::case::Case;
use crate::judge;
use crate::matcher::Captures;
use crate::package::{self, PackageError};
use crate::runtime_id::RuntimeId;
use crate::telemetry::forwarder;
use crate::verdict::{Failure, TrialError, Verdict};
use crate::wire::{
    Client, CreateDependencyVersionRequest, CreateFunctionRequest, DependencyVersion, FuncCode,
    FunctionModel, ProtocolError,
};

/// The package every function of the harness belongs to.
pub const PACKAGE: &str = "default";

/// What a trial created on the target, so that every way out of the trial deletes it.
#[derive(Debug, Default)]
pub struct Created {
    pub func_urn: Option<String>,
    /// In the order they were created.
    pub dependencies: Vec<DependencyVersion>,
}

impl Created {
    /// Deletes the function, then every dependency version (a platform may refuse to delete a
    /// dependency a function still uses). Best effort: a target that cannot delete still gave
    /// its verdict on the behaviour, and a case may have deleted the function itself.
    pub async fn delete(self, client: &Client) {
        if let Some(func_urn) = &self.func_urn {
            let _ = client.delete_function(func_urn).await;
        }
        for version in &self.dependencies {
            let _ = client
                .delete_dependency_version(&version.dep_id, version.version)
                .await;
        }
    }
}

/// Creates a dependency version of each `deps/<name>/` of `case`, in the order the case lists
/// them, then of the forwarder when `with_forwarder`, each for `runtime`; answers their
/// version ids in that order. Every version created is in `created`, whatever happens next.
pub async fn dependencies(
    client: &Client,
    case: &Case,
    runtime: RuntimeId,
    with_forwarder: bool,
    created: &mut Created,
) -> Result<Vec<String>, TrialError> {
    let mut zips = Vec::new();
    for name in &case.function.dependencies {
        let dir = case.dir.join("deps").join(name);
        zips.push((
            name.clone(),
            zip_blocking(move || package::zip_dir(&dir)).await?,
        ));
    }
    if with_forwarder {
        zips.push(("forwarder".to_owned(), forwarder::zip()?));
    }
    let mut ids = Vec::new();
    for (name, zip) in zips {
        let request = CreateDependencyVersionRequest {
            depend_type: "zip",
            depend_file: base64::engine::general_purpose::STANDARD.encode(zip),
            runtime: runtime.as_str().into(),
            name: unique_name(&name),
        };
        let version = client
            .create_dependency_version(&request)
            .await
            .map_err(|source| TrialError::Dependency {
                name: request.name.clone(),
                source,
            })?;
        ids.push(version.id.clone());
        created.dependencies.push(version);
    }
    Ok(ids)
}

async fn zip_blocking(
    zip: impl FnOnce() -> Result<Vec<u8>, PackageError> + Send + 'static,
) -> Result<Vec<u8>, TrialError> {
    tokio::task::spawn_blocking(zip)
        .await
        .map_err(|e| TrialError::TargetUnavailable(format!("packaging task failed: {e}")))?
        .map_err(TrialError::from)
}

/// The CreateFunction request of `case` on `runtime`, listing `depend_version_list`; with
/// `collector_url` (the trial's, for a case with `telemetry`), the forwarder's settings go into
/// user_data.
pub async fn request(
    case: &Case,
    runtime: RuntimeId,
    depend_version_list: Vec<String>,
    collector_url: Option<&str>,
) -> Result<CreateFunctionRequest, TrialError> {
    let dir = case.dir.join("code");
    let zip = zip_blocking(move || package::zip_dir(&dir)).await?;
    let f = &case.function;
    let mut user_data = f.user_data.clone();
    if let Some(url) = collector_url {
        let types: Vec<_> = f.telemetry.iter().map(|t| t.name()).collect();
        user_data.insert(forwarder::COLLECTOR_URL_VAR.into(), url.to_owned());
        user_data.insert(forwarder::TYPES_VAR.into(), types.join(","));
    }
    let user_data =
        (!user_data.is_empty()).then(|| serde_json::to_string(&user_data).unwrap_or_default());
    Ok(CreateFunctionRequest {
        func_name: f
            .func_name
            .clone()
            .unwrap_or_else(|| function_name(&case.id)),
        package: PACKAGE.into(),
        runtime: f.runtime.clone().unwrap_or_else(|| runtime.as_str().into()),
        handler: f.handler.clone(),
        memory_size: f.memory_size,
        timeout: f.timeout,
        code_type: "zip",
        func_code: FuncCode {
            file: base64::engine::general_purpose::STANDARD.encode(zip),
        },
        user_data,
        initializer_handler: f.initializer_handler.clone(),
        initializer_timeout: f.initializer_timeout,
        depend_version_list,
    })
}

/// Creates the function and checks GetFunctionConfig agrees on it; a function created is in
/// `created`, whatever happens next. `Ok(None)`: the target refused it, as the case's `[deploy]`
/// expects, so there is nothing to invoke.
pub async fn deploy(
    client: &Client,
    case: &Case,
    request: &CreateFunctionRequest,
    captures: &mut Captures,
    created: &mut Created,
) -> Result<Option<FunctionModel>, Verdict> {
    let deploy_error = |e| Verdict::Error(TrialError::Deploy(e));
    let reply = client
        .create_function(request)
        .await
        .map_err(deploy_error)?;
    if let Ok(model) = reply.function_model("CreateFunction") {
        // Even one created against the case's expectation must not linger on the target.
        created.func_urn = Some(model.func_urn);
    }
    if let Some(check) = &case.deploy {
        let evidence = judge::api_call("CreateFunction", &check.expected, &reply, captures)
            .map_err(deploy_error)?;
        if let Some(evidence) = evidence {
            return Err(Verdict::Fail(Box::new(Failure {
                step: 0,
                steps: case.steps.len(),
                step_label: check.label.clone(),
                evidence,
            })));
        }
        if !reply.is_success() {
            return Ok(None);
        }
    }
    let model = reply
        .function_model("CreateFunction")
        .map_err(deploy_error)?;
    let config = client
        .get_function_config(&model.func_urn)
        .await
        .map_err(deploy_error)?;
    if config.func_urn != model.func_urn {
        return Err(deploy_error(ProtocolError::Garbage {
            call: "GetFunctionConfig",
            status: 200,
            detail: format!(
                "func_urn {} differs from CreateFunction's {}",
                config.func_urn, model.func_urn
            ),
        }));
    }
    Ok(Some(model))
}

/// A dependency name unique to the trial: `fgc-<name>-<8 hex digits>`, within FunctionGraph's
/// rules (1–96 letters, digits, `_`, `.`, `-`; a letter first, a letter or digit last) for the
/// folder names a case may use.
fn unique_name(name: &str) -> String {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    format!("fgc-{name}-{}", &unique[..8])
}

/// A FunctionGraph-valid, unique name: letters, digits, `-`, `_`, at most 60 characters,
/// starting with a letter and ending with a letter or digit.
fn function_name(case_id: &str) -> String {
    let slug: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let budget = 60 - "fgc-".len() - 1 - 8;
    let slug: String = slug.chars().take(budget).collect();
    format!("fgc-{slug}-{}", &unique[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_are_valid_and_unique() {
        let long = "area::".to_owned() + &"very-long-case-name-".repeat(10);
        for id in ["handler::callback-echo", &long, "a::b"] {
            let name = function_name(id);
            assert!(name.len() <= 60, "{name}");
            assert!(name.starts_with("fgc-"));
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}"
            );
            assert!(name.chars().last().unwrap().is_ascii_alphanumeric());
            assert_ne!(name, function_name(id));
        }
    }

    #[test]
    fn dependency_names_are_valid_and_unique() {
        let name = unique_name(&"d.e_p-1".repeat(10)[..64]);
        assert!(name.len() <= 96, "{name}");
        assert!(name.starts_with("fgc-d.e_p-1"));
        assert!(name.chars().last().unwrap().is_ascii_alphanumeric());
        assert_ne!(unique_name("x"), unique_name("x"));
    }
}
