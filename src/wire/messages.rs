//! The protocol's messages (PROTOCOL.md §2–§4, and the dependency calls of FunctionGraph's API),
//! one type each, named after its route.

use serde::{Deserialize, Serialize};

/// `POST /v2/{project_id}/fgs/functions`
#[derive(Debug, Serialize)]
pub struct CreateFunctionRequest {
    pub func_name: String,
    /// Mandatory for FunctionGraph; `None` only in a request a case sends without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub runtime: String,
    pub handler: String,
    pub memory_size: u32,
    /// Mandatory for FunctionGraph; `None` only in a request a case sends without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    pub code_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub func_code: Option<FuncCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_user_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_stop_handler: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_stop_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initializer_handler: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initializer_timeout: Option<u32>,
    /// Dependency version ids (`DependencyVersion::id`), in the order their files are laid out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depend_version_list: Vec<String>,
}

/// `func_code` of CreateFunction.
#[derive(Debug, Serialize)]
pub struct FuncCode {
    /// The zip, base64.
    pub file: String,
}

/// `POST /v2/{project_id}/fgs/dependencies/version` (CreateDependencyVersion): a zip whose root
/// is laid out in the code root of every function that lists the version.
#[derive(Debug, Serialize)]
pub struct CreateDependencyVersionRequest {
    /// `zip`: the file is in `depend_file` (FunctionGraph also knows `obs`, a link).
    pub depend_type: String,
    /// The zip, base64.
    pub depend_file: String,
    /// The runtime id the dependency is for.
    pub runtime: String,
    /// 1–96 letters, digits, `_`, `.`, `-`; versions are numbered per name.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A dependency version: the answer of CreateDependencyVersion. `DELETE
/// /v2/{project_id}/fgs/dependencies/{dep_id}/version/{version}` deletes it.
#[derive(Debug, Clone, Deserialize)]
pub struct DependencyVersion {
    /// The version's own id, what `depend_version_list` names.
    pub id: String,
    /// The dependency's id, shared by its versions.
    pub dep_id: String,
    /// 1, 2, … per dependency name.
    pub version: u64,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The function model: the answer of CreateFunction and of
/// `GET /v2/{project_id}/fgs/functions/{func_urn}/config`.
#[derive(Debug, Clone, Deserialize)]
pub struct FunctionModel {
    pub func_urn: String,
    pub func_name: String,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// `GET /v2/{project_id}/fgs/functions?marker=M&maxitems=N` (ListFunctions): one page of the
/// project's functions.
#[derive(Debug, Clone, Deserialize)]
pub struct ListFunctionsResponse {
    #[serde(default)]
    pub functions: Vec<FunctionModel>,
    /// The `marker` of the next page.
    pub next_marker: Option<u64>,
    /// How many functions match, on every page.
    pub count: Option<u64>,
}

/// `GET /v2/{project_id}/fgs/dependencies?marker=M&maxitems=N` (ListDependencies): one page of
/// the project's dependencies.
#[derive(Debug, Clone, Deserialize)]
pub struct ListDependenciesResponse {
    #[serde(default)]
    pub dependencies: Vec<ListedDependency>,
    pub next_marker: Option<u64>,
    pub count: Option<u64>,
}

/// An entry of ListDependencies' answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedDependency {
    /// The dependency's id, what ListDependencyVersion takes.
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// `GET /v2/{project_id}/fgs/dependencies/{depend_id}/version?marker=M&maxitems=N`
/// (ListDependencyVersion): one page of a dependency's versions.
#[derive(Debug, Clone, Deserialize)]
pub struct ListDependencyVersionResponse {
    #[serde(default)]
    pub dependencies: Vec<DependencyVersion>,
    pub next_marker: Option<u64>,
    pub count: Option<u64>,
}

/// The v1 body of `POST /v2/{project_id}/fgs/functions/{func_urn}/invocations`.
#[derive(Debug, Clone, Deserialize)]
pub struct InvokeResponseV1 {
    pub request_id: String,
    pub result: String,
    /// `None` when the body has no `log` at all, which is not an empty log.
    #[serde(default)]
    pub log: Option<String>,
    /// Any JSON, so that a status of the wrong type is a mismatch a case reports rather than a
    /// body that does not parse.
    #[serde(default)]
    pub status: Option<serde_json::Value>,
}

/// The 202 body of `POST /v2/{project_id}/fgs/functions/{func_urn}/invocations-async`
/// (AsyncInvokeFunction).
#[derive(Debug, Clone, Deserialize)]
pub struct AsyncInvokeFunctionResponse {
    pub request_id: String,
}

/// `GET /v2/{project_id}/fgs/functions/{func_urn}/async-invocations?request_id=ID`
/// (ListAsyncInvocations): the records, kept as they came, since a case matches them whole.
#[derive(Debug, Clone, Deserialize)]
pub struct ListAsyncInvocationsResponse {
    #[serde(default)]
    pub invocations: Vec<serde_json::Value>,
}

/// The body of every API error: `{"error_code": "FSS.xxxx", "error_msg": "..."}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiErrorBody {
    pub error_code: String,
    pub error_msg: String,
}
