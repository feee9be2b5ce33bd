//! The dependency routes (PROTOCOL.md §6): ListDependencies, CreateDependencyVersion,
//! ListDependencyVersion, ShowDependencyVersion and DeleteDependencyVersion.

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, RawQuery, State,
        rejection::{BytesRejection, PathRejection},
    },
    http::StatusCode,
};
use md5::{Digest, Md5};

use super::{
    extract::{body_error, path_error},
    validate_dependency::{check_file_names, validate_dependency},
};
use crate::{
    dependencies::DependencyError,
    error::FssError,
    messages::{
        CreateDependencyVersionRequest, DependencyVersion, ListDependenciesResponse,
        ListDependenciesResult, ListDependencyVersionResponse,
    },
    platform::Platform,
    unpack::{self, Limits},
};

/// ListDependencyVersion's page size when `maxitems` is absent, and its largest: "an integer,
/// 0–400, default 400" (https://support.huaweicloud.com/api-functiongraph/functiongraph_06_0153.html).
const MAX_ITEMS: u64 = 400;

/// The FSS error of each way a dependency lookup fails.
pub(super) fn dependency_error(error: DependencyError) -> FssError {
    match error {
        DependencyError::NoSuchVersionId(_) | DependencyError::NoSuchVersion { .. } => {
            FssError::NoSuchDependency(error.to_string())
        }
        DependencyError::InUse { .. } => FssError::DependencyInUse(error.to_string()),
    }
}

pub(super) async fn create_dependency_version(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DependencyVersion>, FssError> {
    let Path(project_id) = path.map_err(path_error)?;
    let body = body.map_err(body_error)?;
    let request: CreateDependencyVersionRequest = serde_json::from_slice(&body)
        .map_err(|e| FssError::BadRequest(format!("invalid CreateDependencyVersion body: {e}")))?;
    let valid = validate_dependency(&request)?;
    let id = uuid::Uuid::new_v4().to_string();
    let zip_path = platform.dependencies.zip_path(&id);
    let zip = valid.zip;
    // Checked as function code is unpacked, before anything is kept; off the async workers,
    // since the check inflates every entry.
    let kept = tokio::task::spawn_blocking(move || {
        unpack::check(&zip, Limits::default())
            .map_err(|e| FssError::InvalidDependency(format!("depend_file: {e}")))?;
        check_file_names(&zip)?;
        std::fs::write(&zip_path, &zip)
            .map_err(|e| FssError::Platform(format!("failed to keep the dependency's zip: {e}")))?;
        Ok::<_, FssError>((zip.len() as u64, hex(&Md5::digest(&zip))))
    })
    .await;
    let (size, etag) = kept
        .map_err(|e| FssError::Platform(format!("failed to check the dependency's zip: {e}")))??;
    let last_modified = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let version = platform
        .dependencies
        .add(&project_id, &request.name, &id, |dep_id, number| {
            DependencyVersion {
                id: id.clone(),
                // fgref: the project stands for the owner's domain, which fgref does not know.
                owner: project_id.clone(),
                // fgref: no OBS, so no link.
                link: String::new(),
                runtime: request.runtime.clone(),
                etag,
                size,
                name: request.name.clone(),
                description: valid.description,
                // fgref: the request names no file; the documented example answers
                // `python-kafka.zip` for the name `python-kafka`.
                file_name: format!("{}.zip", request.name),
                version: number,
                dep_id: dep_id.to_owned(),
                last_modified,
            }
        });
    Ok(Json(version.model.clone()))
}

pub(super) async fn list_dependency_versions(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<ListDependencyVersionResponse>, FssError> {
    let Path((project_id, dep_id)) = path.map_err(path_error)?;
    let (marker, max_items) = page(query.as_deref().unwrap_or(""))?;
    let versions = platform
        .dependencies
        .versions(&project_id, &dep_id)
        .ok_or_else(|| {
            FssError::NoSuchDependency(format!(
                "dependency {dep_id:?} does not exist in project {project_id}"
            ))
        })?;
    let count = versions.len() as u64;
    let dependencies: Vec<DependencyVersion> = versions
        .iter()
        .skip(usize::try_from(marker).unwrap_or(usize::MAX))
        .take(usize::try_from(max_items).unwrap_or(usize::MAX))
        .map(|v| v.model.clone())
        .collect();
    Ok(Json(ListDependencyVersionResponse {
        next_marker: (marker + dependencies.len() as u64).min(count),
        count,
        dependencies,
    }))
}

/// ListDependencies: the project's dependencies by name, each with its latest version's fields,
/// `maxitems` of them from position `marker` (as ListDependencyVersion pages); `name` and
/// `runtime` filter, and `dependency_type=public` finds none (fgref has no public ones).
pub(super) async fn list_dependencies(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<ListDependenciesResponse>, FssError> {
    let Path(project_id) = path.map_err(path_error)?;
    let query = query.as_deref().unwrap_or("");
    let (marker, max_items) = page(query)?;
    let wanted = |key: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
    };
    let (name, runtime) = (wanted("name"), wanted("runtime"));
    let public_only = wanted("dependency_type") == Some("public");
    let matching: Vec<_> = platform
        .dependencies
        .latest(&project_id)
        .into_iter()
        .filter(|_| !public_only)
        .filter(|v| name.is_none_or(|n| n == v.model.name))
        .filter(|v| runtime.is_none_or(|r| r == v.model.runtime))
        .collect();
    let count = matching.len() as u64;
    let dependencies: Vec<_> = matching
        .iter()
        .skip(usize::try_from(marker).unwrap_or(usize::MAX))
        .take(usize::try_from(max_items).unwrap_or(usize::MAX))
        .map(|v| {
            let m = &v.model;
            ListDependenciesResult {
                id: m.dep_id.clone(),
                owner: m.owner.clone(),
                link: m.link.clone(),
                runtime: m.runtime.clone(),
                etag: m.etag.clone(),
                size: m.size,
                name: m.name.clone(),
                file_name: m.file_name.clone(),
                description: m.description.clone(),
                version: m.version,
                last_modified: m.last_modified,
            }
        })
        .collect();
    Ok(Json(ListDependenciesResponse {
        next_marker: (marker + dependencies.len() as u64).min(count),
        count,
        dependencies,
    }))
}

/// `marker` (records to skip, default 0) and `maxitems` (default and at most 400).
fn page(query: &str) -> Result<(u64, u64), FssError> {
    let (mut marker, mut max_items) = (0, MAX_ITEMS);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = || {
            value.parse::<u64>().map_err(|_| {
                FssError::InvalidQuery(format!(
                    "query parameter {key}={value:?} is not a non-negative integer"
                ))
            })
        };
        match key {
            "marker" => marker = number()?,
            "maxitems" => max_items = number()?,
            _ => {}
        }
    }
    if max_items > MAX_ITEMS {
        return Err(FssError::InvalidQuery(format!(
            "maxitems {max_items} is more than {MAX_ITEMS}"
        )));
    }
    Ok((marker, max_items))
}

pub(super) async fn show_dependency_version(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Json<DependencyVersion>, FssError> {
    let Path((project_id, dep_id, version)) = path.map_err(path_error)?;
    let version = platform
        .dependencies
        .version(&project_id, &dep_id, &version)
        .map_err(dependency_error)?;
    Ok(Json(version.model.clone()))
}

pub(super) async fn delete_dependency_version(
    State(platform): State<Arc<Platform>>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<StatusCode, FssError> {
    let Path((project_id, dep_id, version)) = path.map_err(path_error)?;
    let removed = platform
        .dependencies
        .remove(&project_id, &dep_id, &version)
        .map_err(dependency_error)?;
    // A leftover zip only costs disk space in fgref's data directory.
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(&removed.zip)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Lowercase hex, the form of the digests FunctionGraph's answers give.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_default_and_refuse_garbage() {
        assert_eq!(page("").unwrap(), (0, MAX_ITEMS));
        assert_eq!(page("marker=2&maxitems=5&other=x").unwrap(), (2, 5));
        for bad in ["marker=-1", "maxitems=x", "maxitems=401", "marker"] {
            assert_eq!(
                page(bad).unwrap_err().status_and_code().1,
                "FSS.1001",
                "{bad}"
            );
        }
    }

    #[test]
    fn the_etag_is_the_md5_of_the_zip() {
        assert_eq!(hex(&Md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
