//! The function routes: CreateFunction (with its dependencies), ListFunctions,
//! GetFunctionConfig and DeleteFunction.

use std::{sync::Arc, time::SystemTime};

use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, RawQuery, State,
        rejection::{BytesRejection, PathRejection},
    },
    http::StatusCode,
};

use sha2::{Digest as _, Sha512};

use super::{
    dependencies::{dependency_error, hex},
    extract::{body_error, lookup, path_error},
    validate::{check_max_instance_num, validate},
};
use crate::{
    code_root::{self, CodeRootError, Layer},
    dates,
    error::FssError,
    messages::{
        CreateFunctionRequest, FunctionModel, ListFunctionsResponse, StrategyConfig,
        UpdateMaxInstanceRequest,
    },
    platform::Platform,
    registry::{self, Function, FunctionKey},
};

pub(super) async fn create_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FunctionModel>, FssError> {
    let Path(project_id) = path.map_err(path_error)?;
    let body = body.map_err(body_error)?;
    let request: CreateFunctionRequest = serde_json::from_slice(&body)
        .map_err(|e| FssError::BadRequest(format!("invalid CreateFunction body: {e}")))?;
    let valid = validate(&request)?;
    let key = FunctionKey {
        project_id: project_id.clone(),
        package: request.package.clone(),
        name: request.func_name.clone(),
    };
    let exists = |key: &FunctionKey| {
        FssError::FunctionExists(format!(
            "function {} already exists in package {}; delete it first or pick another name",
            key.name, key.package
        ))
    };
    if platform.registry.contains(&key) {
        return Err(exists(&key));
    }
    // Held until the function exists, so none of its versions can be deleted meanwhile.
    let lease = platform
        .dependencies
        .acquire(&project_id, &valid.depend_version_list)
        .map_err(dependency_error)?;
    let layers: Vec<Layer> = lease
        .versions
        .iter()
        .map(|v| Layer {
            id: v.model.id.clone(),
            zip: v.zip.clone(),
        })
        .collect();
    let uid = platform.registry.next_uid();
    // A directory of its own under a name no one can guess, created exclusively: code an
    // earlier function ran cannot have prepared it.
    let dir = tempfile::Builder::new()
        .prefix(&format!("{uid}-"))
        .tempdir_in(&platform.functions_dir)
        .map_err(|e| {
            FssError::Platform(format!(
                "failed to create the function's directory in {}: {e}",
                platform.functions_dir.display()
            ))
        })?
        .keep();
    let code_root = dir.join("code");
    let code_size = valid.zip.len() as u64;
    let digest = hex(&Sha512::digest(&valid.zip));
    let unpack_into = code_root.clone();
    let laid_out =
        tokio::task::spawn_blocking(move || code_root::lay_out(&unpack_into, &layers, &valid.zip))
            .await;
    let extension_scripts = match laid_out {
        Ok(Ok(scripts)) => scripts,
        Ok(Err(e)) => {
            remove_dir(dir).await;
            return Err(match e {
                CodeRootError::Code(_) => FssError::InvalidCode(e.to_string()),
                CodeRootError::Dependency { .. } => FssError::InvalidDependency(e.to_string()),
                CodeRootError::Read { .. } => FssError::Platform(e.to_string()),
            });
        }
        Err(e) => {
            remove_dir(dir).await;
            return Err(FssError::Platform(format!(
                "failed to unpack the package: {e}"
            )));
        }
    };
    let model = FunctionModel {
        func_urn: key.urn(),
        func_name: request.func_name,
        namespace: project_id,
        project_name: registry::REGION.to_owned(),
        package: request.package,
        runtime: request.runtime,
        handler: request.handler,
        memory_size: valid.memory_size,
        timeout: valid.timeout,
        code_type: request.code_type,
        code_size,
        digest,
        description: valid.description,
        user_data: request.user_data.unwrap_or_default(),
        version: registry::VERSION.to_owned(),
        initializer_handler: valid.initializer_handler,
        initializer_timeout: valid.initializer_timeout,
        last_modified: dates::rfc3339_seconds(SystemTime::now()),
        // After the function model example (128 MB ↔ 300 millicores).
        cpu: valid.memory_size * 300 / 128,
        strategy_config: StrategyConfig { concurrency: -1 },
        depend_version_list: valid.depend_version_list,
        max_instance_num: valid.max_instance_num,
        function_type: valid.function_type,
    };
    let mut function = Function::new(
        uid,
        key.clone(),
        model,
        dir.clone(),
        code_root,
        valid.user_data,
    );
    function.extension_scripts = extension_scripts;
    match platform.registry.insert(function) {
        Some(function) => {
            lease.keep();
            Ok(Json(function.model_now()))
        }
        None => {
            remove_dir(dir).await;
            Err(exists(&key))
        }
    }
}

async fn remove_dir(dir: std::path::PathBuf) {
    // Leftovers only cost disk space in fgref's data directory.
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(dir)).await;
}

/// ListFunctions' page size when `maxitems` is absent, 0 or larger, and its largest ("If this
/// parameter is not set or is 0 or greater than 400, the default value 400 is used",
/// https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0105.html).
const MAX_LISTED: u64 = 400;

/// ListFunctions: the project's functions (of one package with `package_name`), oldest first,
/// `maxitems` of them from position `marker`.
pub(super) async fn list_functions(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<ListFunctionsResponse>, FssError> {
    let Path(project_id) = path.map_err(path_error)?;
    let query = ListQuery::parse(query.as_deref().unwrap_or(""))?;
    let mut functions: Vec<_> = platform
        .registry
        .all()
        .into_iter()
        .filter(|f| f.key.project_id == project_id)
        .filter(|f| query.package.as_ref().is_none_or(|p| *p == f.key.package))
        .collect();
    functions.sort_by_key(|f| f.uid);
    let count = functions.len() as u64;
    let functions: Vec<FunctionModel> = functions
        .iter()
        .skip(usize::try_from(query.marker).unwrap_or(usize::MAX))
        .take(usize::try_from(query.max_items).unwrap_or(usize::MAX))
        .map(|f| f.model_now())
        .collect();
    Ok(Json(ListFunctionsResponse {
        next_marker: (query.marker + functions.len() as u64).min(count),
        count,
        functions,
    }))
}

/// ListFunctions' query parameters.
#[derive(Debug, PartialEq)]
struct ListQuery {
    /// Functions to skip (**fgref**: the documented "final record queried last time" is a
    /// position, as `next_marker` answers it).
    marker: u64,
    max_items: u64,
    package: Option<String>,
}

impl ListQuery {
    /// `marker` a non-negative integer (default 0); `maxitems` an integer, 0 or over 400 meaning
    /// 400, negative a parameter error; both else 400 `FSS.1001` (**fgref**: the page names no
    /// code for "a message indicating a parameter error"); other parameters are ignored.
    fn parse(query: &str) -> Result<ListQuery, FssError> {
        let mut parsed = ListQuery {
            marker: 0,
            max_items: MAX_LISTED,
            package: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = |what: &str| {
                FssError::InvalidQuery(format!("query parameter {key}={value:?} is not {what}"))
            };
            match key {
                "marker" => {
                    parsed.marker = value.parse().map_err(|_| bad("a non-negative integer"))?;
                }
                "maxitems" => {
                    let n: i64 = value.parse().map_err(|_| bad("an integer"))?;
                    let n = u64::try_from(n).map_err(|_| bad("0 or more"))?;
                    parsed.max_items = if n == 0 {
                        MAX_LISTED
                    } else {
                        n.min(MAX_LISTED)
                    };
                }
                "package_name" => parsed.package = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(parsed)
    }
}

pub(super) async fn get_function_config(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<FunctionModel>, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    Ok(Json(function.model_now()))
}

/// UpdateFunctionMaxInstanceConfig: a new `max_instance_num` for the instances started from now
/// on (those running keep running); without the field, nothing changes. Answers the model.
pub(super) async fn update_max_instance_config(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FunctionModel>, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    let body = body.map_err(body_error)?;
    let request: UpdateMaxInstanceRequest = serde_json::from_slice(&body).map_err(|e| {
        FssError::BadRequest(format!("invalid UpdateFunctionMaxInstanceConfig body: {e}"))
    })?;
    if let Some(value) = request.max_instance_num {
        function.instances.set_limit(check_max_instance_num(value)?);
    }
    Ok(Json(function.model_now()))
}

pub(super) async fn delete_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    // DeleteFunction's page: a URN with a version deletes only that version, the latest one may
    // not be deleted, and the whole function goes by a URN without a version.
    if let Ok((_, Some(version))) = registry::parse_urn(&urn) {
        return Err(FssError::InvalidVersion(format!(
            "version {version} of a function cannot be deleted; to delete the function, name it without a version: {}",
            urn.rsplit_once(':')
                .map_or(urn.as_str(), |(function, _)| function)
        )));
    }
    let Some(function) = platform.registry.remove(&function.key) else {
        return Err(FssError::NoSuchFunction(format!(
            "function {urn} was deleted concurrently"
        )));
    };
    // Its code root holds copies: the versions may go now.
    platform
        .dependencies
        .release(&function.model.depend_version_list);
    for instance in function.close() {
        instance.stop().await;
    }
    // Busy instances too: PROTOCOL.md §3 says they stop before the call returns.
    platform.instances.stop_owner(function.uid).await;
    remove_dir(function.dir.clone()).await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_default_clamp_and_refuse_garbage() {
        let parse = |q: &str| ListQuery::parse(q).unwrap();
        assert_eq!(parse("").marker, 0);
        assert_eq!(parse("").max_items, MAX_LISTED);
        assert_eq!(parse("maxitems=0").max_items, MAX_LISTED);
        assert_eq!(parse("maxitems=401").max_items, MAX_LISTED);
        let query = parse("marker=3&maxitems=2&package_name=app&other=x");
        assert_eq!(
            query,
            ListQuery {
                marker: 3,
                max_items: 2,
                package: Some("app".into()),
            }
        );
        for bad in [
            "marker=-1",
            "marker=x",
            "maxitems=-1",
            "maxitems=two",
            "marker",
        ] {
            let error = ListQuery::parse(bad).unwrap_err();
            assert_eq!(error.status_and_code().1, "FSS.1001", "{bad}");
        }
    }
}
