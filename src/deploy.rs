//! Deploying a case's function: its dependencies (each `deps/<name>/`, then the telemetry
//! forwarder) as dependency versions, the CreateFunction request (its package zipped and
//! encoded), the case's own check of CreateFunction's answer (`[deploy]`), the function model it
//! answers, and deleting all of it again. Names carry the run's prefix (`names`); what is created
//! is registered with the run's `Live` registry until it is deleted.

use base64::Engine as _;

use sha2::{Digest as _, Sha512};

use crate::corpus_digest::hex;

use crate::case::{Case, FuncCodeForm, OmittedField};
use crate::judge;
use crate::live::{Live, Pending};
use crate::matcher::Captures;
use crate::names::RunPrefix;
use crate::package::{self, Filler, PackageError};
use crate::runtime_id::RuntimeId;
use crate::telemetry::forwarder;
use crate::verdict::{Failure, TrialError, Verdict};
use crate::wire::{
    Client, CreateDependencyVersionRequest, CreateFunctionRequest, DependencyVersion, FuncCode,
    FunctionModel, ProtocolError, unversioned_urn,
};

/// The package every function of the harness belongs to, unless its case names another.
pub const PACKAGE: &str = "default";

/// What a trial created on the target, so that every way out of the trial deletes it; each
/// item is also in the run's [`Live`] registry until its delete went through.
#[derive(Debug)]
pub struct Created {
    live: Live,
    func_urn: Option<String>,
    /// In the order they were created, each with the `deps/` folder it was deployed from for
    /// the function (`forwarder` for the forwarder; `None`: created by a step).
    dependencies: Vec<(Option<String>, DependencyVersion)>,
}

impl Created {
    pub fn new(live: Live) -> Created {
        Created {
            live,
            func_urn: None,
            dependencies: Vec::new(),
        }
    }

    /// Announces a creation; an error once the run is stopping (Ctrl-C), when nothing more may
    /// be created.
    pub(crate) fn begin(&self) -> Result<Pending, TrialError> {
        self.live.begin().ok_or_else(|| {
            TrialError::TargetUnavailable(
                "the run is stopping (interrupted): nothing more is created on the target".into(),
            )
        })
    }

    fn function(&mut self, func_urn: String) {
        self.live.add_function(&func_urn);
        self.func_urn = Some(func_urn);
    }

    /// Records a dependency version the trial created, from `folder` when it was deployed for
    /// the function.
    pub(crate) fn dependency(&mut self, folder: Option<String>, version: DependencyVersion) {
        self.live.add_dependency(&version.dep_id, version.version);
        self.dependencies.push((folder, version));
    }

    /// The version the function was deployed with from `deps/<folder>/`.
    pub(crate) fn function_dependency(&self, folder: &str) -> Option<&DependencyVersion> {
        self.dependencies
            .iter()
            .find(|(from, _)| from.as_deref() == Some(folder))
            .map(|(_, version)| version)
    }

    /// Deletes the function, then every dependency version (a platform may refuse to delete a
    /// dependency a function still uses). Best effort: a target that cannot delete still gave
    /// its verdict on the behaviour, and a case may have deleted the function itself; what is
    /// not gone stays in the run's registry for the run's end.
    pub async fn delete(self, client: &Client) {
        if let Some(func_urn) = &self.func_urn {
            let reply = client.delete_function(func_urn).await.ok();
            self.live.deleted_function(func_urn, reply.as_ref());
        }
        for (_, version) in &self.dependencies {
            let reply = client
                .delete_dependency_version(&version.dep_id, version.version)
                .await
                .ok();
            self.live
                .deleted_dependency(&version.dep_id, version.version, reply.as_ref());
        }
    }
}

/// Creates a dependency version of each `deps/<name>/` of `case`, in the order the case lists
/// them, then of the forwarder when `with_forwarder`, each for `runtime`; answers their
/// version ids in that order, each named under `prefix`. Every version created is in `created`,
/// whatever happens next.
pub async fn dependencies(
    client: &Client,
    prefix: &RunPrefix,
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
            depend_type: "zip".into(),
            depend_file: base64::engine::general_purpose::STANDARD.encode(zip),
            runtime: runtime.as_str().into(),
            name: prefix.dependency_name(&name),
            description: None,
        };
        let pending = created.begin()?;
        let version = client
            .create_dependency_version(&request)
            .await
            .map_err(|source| TrialError::Dependency {
                name: request.name.clone(),
                source,
            })?;
        ids.push(version.id.clone());
        created.dependency(Some(name), version);
        drop(pending);
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

/// The CreateFunction request of `case` on `runtime`, named under `prefix` unless the case names
/// its function itself, listing `depend_version_list`; with
/// `collector_url` (the trial's, for a case with `telemetry`), the forwarder's settings go into
/// user_data.
pub async fn request(
    prefix: &RunPrefix,
    case: &Case,
    runtime: RuntimeId,
    depend_version_list: Vec<String>,
    collector_url: Option<&str>,
) -> Result<(CreateFunctionRequest, CodeIdentity), TrialError> {
    let dir = case.dir.join("code");
    const MIB: u64 = 1024 * 1024;
    let filler = match case.function.func_code {
        FuncCodeForm::Over50Mb => Some(Filler::Incompressible(50 * MIB)),
        FuncCodeForm::UnpacksOver1500Mb => Some(Filler::Zeros(1501 * MIB)),
        FuncCodeForm::Zip | FuncCodeForm::Omitted | FuncCodeForm::NotBase64 => None,
    };
    let zip = match filler {
        Some(filler) => zip_blocking(move || package::zip_dir_with_filler(&dir, filler)).await?,
        None => zip_blocking(move || package::zip_dir(&dir)).await?,
    };
    let code = CodeIdentity {
        size: zip.len() as u64,
        sha512: hex(&Sha512::digest(&zip)),
    };
    let f = &case.function;
    let mut user_data = f.user_data.clone();
    if let Some(url) = collector_url {
        let types: Vec<_> = f.telemetry.iter().map(|t| t.name()).collect();
        user_data.insert(forwarder::COLLECTOR_URL_VAR.into(), url.to_owned());
        user_data.insert(forwarder::TYPES_VAR.into(), types.join(","));
    }
    let user_data =
        (!user_data.is_empty()).then(|| serde_json::to_string(&user_data).unwrap_or_default());
    let func_code = match f.func_code {
        FuncCodeForm::Zip | FuncCodeForm::Over50Mb | FuncCodeForm::UnpacksOver1500Mb => {
            Some(FuncCode {
                file: base64::engine::general_purpose::STANDARD.encode(zip),
            })
        }
        FuncCodeForm::Omitted => None,
        FuncCodeForm::NotBase64 => Some(FuncCode {
            file: "%% not base64 %%".into(),
        }),
    };
    let request = CreateFunctionRequest {
        func_name: f
            .func_name
            .clone()
            .unwrap_or_else(|| prefix.function_name(&case.id)),
        package: (!f.omit.contains(&OmittedField::Package))
            .then(|| f.package.clone().unwrap_or_else(|| PACKAGE.into())),
        runtime: f.runtime.clone().unwrap_or_else(|| runtime.as_str().into()),
        handler: f.handler.clone(),
        memory_size: f.memory_size,
        timeout: (!f.omit.contains(&OmittedField::Timeout)).then_some(f.timeout),
        code_type: f.code_type.clone().unwrap_or_else(|| "zip".into()),
        func_code,
        description: f.description.clone(),
        encrypted_user_data: (!f.encrypted_user_data.is_empty())
            .then(|| serde_json::to_string(&f.encrypted_user_data).unwrap_or_default()),
        pre_stop_handler: f.pre_stop_handler.clone(),
        pre_stop_timeout: f.pre_stop_timeout,
        user_data,
        initializer_handler: f.initializer_handler.clone(),
        initializer_timeout: f.initializer_timeout,
        depend_version_list,
    };
    Ok((request, code))
}

/// The code package the harness zipped for a function, as CreateFunction's answer describes it
/// (`code_size`, `digest`), bound for expectations as `code_size` and `code_digest`.
#[derive(Debug, Clone)]
pub struct CodeIdentity {
    pub size: u64,
    /// SHA-512, lowercase hex, the form of CreateFunction's example answer.
    pub sha512: String,
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
    let pending = created.begin().map_err(Verdict::Error)?;
    let reply = client
        .create_function(request)
        .await
        .map_err(deploy_error)?;
    if let Ok(model) = reply.function_model("CreateFunction") {
        // Even one created against the case's expectation must not linger on the target.
        created.function(model.func_urn);
    }
    drop(pending);
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
    // The two may differ in their version part (`…:latest` or none) and still name one function.
    if unversioned_urn(&config.func_urn) != unversioned_urn(&model.func_urn) {
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
