//! The function routes: CreateFunction (with its dependencies), GetFunctionConfig and
//! DeleteFunction.

use std::{sync::Arc, time::SystemTime};

use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, State,
        rejection::{BytesRejection, PathRejection},
    },
    http::StatusCode,
};

use super::{
    dependencies::dependency_error,
    extract::{body_error, lookup, path_error},
    validate::validate,
};
use crate::{
    code_root::{self, CodeRootError, Layer},
    dates,
    error::FssError,
    messages::{CreateFunctionRequest, FunctionModel, StrategyConfig},
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
    let dir = platform.functions_dir.join(uid.to_string());
    let code_root = dir.join("code");
    let code_size = valid.zip.len() as u64;
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
        user_data: request.user_data.unwrap_or_default(),
        version: registry::VERSION.to_owned(),
        initializer_handler: valid.initializer_handler,
        initializer_timeout: valid.initializer_timeout,
        last_modified: dates::rfc3339_seconds(SystemTime::now()),
        // After the function model example (128 MB ↔ 300 millicores).
        cpu: valid.memory_size * 300 / 128,
        strategy_config: StrategyConfig { concurrency: -1 },
        depend_version_list: valid.depend_version_list,
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
            Ok(Json(function.model.clone()))
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

pub(super) async fn get_function_config(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<FunctionModel>, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
    Ok(Json(function.model.clone()))
}

pub(super) async fn delete_function(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, FssError> {
    let Path((project_id, urn)) = path.map_err(path_error)?;
    let function = lookup(&platform, &project_id, &urn)?;
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
