//! The platform API's messages (PROTOCOL.md §1–§4, §6): one serde type per message, named after
//! its call, with FunctionGraph's field names. Nothing else lives here.

use serde::{Deserialize, Serialize};

/// The body of every error of the platform API itself:
/// `{"error_code": "FSS.xxxx", "error_msg": ...}`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub error_code: String,
    pub error_msg: String,
}

/// CreateFunction: `POST /v2/{project_id}/fgs/functions`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateFunctionRequest {
    pub func_name: String,
    pub package: String,
    /// A runtime id, e.g. `Node.js20.15`.
    pub runtime: String,
    pub handler: String,
    pub memory_size: i64,
    pub timeout: i64,
    pub code_type: String,
    #[serde(default)]
    pub func_code: Option<FuncCode>,
    #[serde(default)]
    pub user_data: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub encrypted_user_data: Option<String>,
    #[serde(default)]
    pub pre_stop_handler: Option<String>,
    #[serde(default)]
    pub pre_stop_timeout: Option<i64>,
    #[serde(default)]
    pub initializer_handler: Option<String>,
    #[serde(default)]
    pub initializer_timeout: Option<i64>,
    /// Ids of dependency versions (the `id` CreateDependencyVersion answers), in the order
    /// their files are laid into the code root (PROTOCOL.md §6).
    #[serde(default)]
    pub depend_version_list: Option<Vec<String>>,
    /// The most instances the function may have at once: -1 unlimited, 0 disabled (PROTOCOL.md
    /// §4, "Instance limits").
    #[serde(default)]
    pub max_instance_num: Option<i64>,
    /// The function's version kind, `v1` or `v2` (CONTRADICTIONS.md #41: fgref's default `v2`).
    #[serde(default, rename = "type")]
    pub function_type: Option<String>,
}

/// UpdateFunctionMaxInstanceConfig: `PUT .../functions/{func_urn}/config-max-instance`.
#[derive(Debug, Deserialize)]
pub(crate) struct UpdateMaxInstanceRequest {
    #[serde(default)]
    pub max_instance_num: Option<i64>,
}

/// CreateFunction's `func_code`: the zip, base64.
#[derive(Debug, Deserialize)]
pub(crate) struct FuncCode {
    #[serde(default)]
    pub file: Option<String>,
}

/// The function model: the answer to GetFunctionConfig
/// (`GET /v2/{project_id}/fgs/functions/{func_urn}/config`) and to CreateFunction.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FunctionModel {
    pub func_urn: String,
    pub func_name: String,
    pub namespace: String,
    pub project_name: String,
    pub package: String,
    /// A runtime id, e.g. `Node.js20.15`.
    pub runtime: String,
    pub handler: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub code_type: String,
    pub code_size: u64,
    /// SHA-512 of the code package, lowercase hex (CreateFunction's example answer).
    pub digest: String,
    pub description: String,
    pub user_data: String,
    pub version: String,
    pub initializer_handler: String,
    pub initializer_timeout: u32,
    pub last_modified: String,
    pub cpu: u32,
    pub strategy_config: StrategyConfig,
    pub depend_version_list: Vec<String>,
    pub max_instance_num: i64,
    /// `v1` or `v2`: what CreateFunction was sent, `v2` when it was sent none.
    #[serde(rename = "type")]
    pub function_type: String,
}

/// ListFunctions' answer: `GET /v2/{project_id}/fgs/functions`
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0105.html).
#[derive(Debug, Serialize)]
pub(crate) struct ListFunctionsResponse {
    pub functions: Vec<FunctionModel>,
    /// Where the next page starts: the `marker` to send for it.
    pub next_marker: u64,
    /// How many functions match, on every page.
    pub count: u64,
}

/// The function model's `strategy_config`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StrategyConfig {
    pub concurrency: i32,
}

/// CreateDependencyVersion: `POST /v2/{project_id}/fgs/dependencies/version`
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0152.html).
#[derive(Debug, Deserialize)]
pub(crate) struct CreateDependencyVersionRequest {
    /// `zip`, or `obs` with `depend_link` (which fgref refuses, so reads no link).
    pub depend_type: String,
    /// The zip, base64; required with `zip`.
    #[serde(default)]
    pub depend_file: Option<String>,
    /// A runtime id, e.g. `Node.js20.15`.
    pub runtime: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A dependency version: the answer to CreateDependencyVersion and to ShowDependencyVersion
/// (`GET /v2/{project_id}/fgs/dependencies/{depend_id}/version/{version}`), and an entry of
/// ListDependencyVersion's answer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DependencyVersion {
    /// The version's own id: what `depend_version_list` names.
    pub id: String,
    pub owner: String,
    pub link: String,
    /// A runtime id, e.g. `Node.js20.15`.
    pub runtime: String,
    /// MD5 of the zip, hex.
    pub etag: String,
    /// Bytes of the zip.
    pub size: u64,
    pub name: String,
    pub description: String,
    pub file_name: String,
    /// 1, 2, … per dependency.
    pub version: u64,
    /// The dependency's id, shared by its versions.
    pub dep_id: String,
    /// Seconds since the Unix epoch.
    pub last_modified: u64,
}

/// ListDependencyVersion's answer: `GET /v2/{project_id}/fgs/dependencies/{depend_id}/version`.
#[derive(Debug, Serialize)]
pub(crate) struct ListDependencyVersionResponse {
    pub dependencies: Vec<DependencyVersion>,
    pub next_marker: u64,
    pub count: u64,
}

/// An entry of ListDependencies' answer: one dependency, with its latest version's fields.
#[derive(Debug, Serialize)]
pub(crate) struct ListDependenciesResult {
    /// The dependency's id (`dep_id` of its versions): what ListDependencyVersion takes.
    pub id: String,
    pub owner: String,
    pub link: String,
    pub runtime: String,
    pub etag: String,
    pub size: u64,
    pub name: String,
    pub file_name: String,
    pub description: String,
    /// The latest version's number.
    pub version: u64,
    pub last_modified: u64,
}

/// ListDependencies' answer: `GET /v2/{project_id}/fgs/dependencies`
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0127.html).
#[derive(Debug, Serialize)]
pub(crate) struct ListDependenciesResponse {
    pub dependencies: Vec<ListDependenciesResult>,
    pub next_marker: u64,
    pub count: u64,
}

/// The body of InvokeFunction's answer
/// (`POST /v2/{project_id}/fgs/functions/{func_urn}/invocations`) with
/// `X-CFF-Request-Version: v1`.
#[derive(Debug, Serialize)]
pub(crate) struct InvokeResponseV1 {
    pub request_id: String,
    pub result: String,
    pub log: String,
    pub status: u16,
}

/// AsyncInvokeFunction's answer (202):
/// `POST /v2/{project_id}/fgs/functions/{func_urn}/invocations-async`
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0126.html).
#[derive(Debug, Serialize)]
pub(crate) struct AsyncInvokeResponse {
    pub request_id: String,
}

/// ListAsyncInvocations' answer:
/// `GET /v2/{project_id}/fgs/functions/{func_urn}/async-invocations`
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0112_00_3.html).
#[derive(Debug, Serialize)]
pub(crate) struct ListAsyncInvocationsResponse {
    pub invocations: Vec<AsyncInvocation>,
    /// How many records match the filters, over every page.
    pub count: u64,
    /// The `marker` of the next page.
    pub next_marker: u64,
}

/// An entry of ListAsyncInvocations' answer: one asynchronous call.
#[derive(Debug, Serialize)]
pub(crate) struct AsyncInvocation {
    pub request_id: String,
    /// `WAIT`, `RUNNING`, `SUCCESS`, `FAIL` or `DISCARD`.
    pub status: &'static str,
    /// Empty unless the call failed.
    pub error_message: String,
    /// 0 unless the call failed.
    pub error_code: i64,
    /// `YYYY-MM-DDTHH:MM:SS`, UTC.
    pub start_time: String,
    /// As `start_time`; empty until the call ends.
    pub end_time: String,
}

/// InvokeFunction's `X-Cff-Invoke-Summary` header.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InvokeSummary {
    pub duration: f64,
    #[serde(rename = "billingDuration")]
    pub billing_duration: u64,
    #[serde(rename = "memorySize")]
    pub memory_size: u32,
    #[serde(rename = "memoryUsed")]
    pub memory_used: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_serialises_with_functiongraph_names() {
        let summary = InvokeSummary {
            duration: 1.913,
            billing_duration: 2,
            memory_size: 128,
            memory_used: 41.512,
        };
        assert_eq!(
            serde_json::to_string(&summary).unwrap(),
            r#"{"duration":1.913,"billingDuration":2,"memorySize":128,"memoryUsed":41.512}"#
        );
    }
}
