//! The protocol's messages (PROTOCOL.md §2–§4), one type each, named after its route.

use serde::{Deserialize, Serialize};

/// `POST /v2/{project_id}/fgs/functions`
#[derive(Debug, Serialize)]
pub struct CreateFunctionRequest {
    pub func_name: String,
    pub package: String,
    pub runtime: String,
    pub handler: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub code_type: &'static str,
    pub func_code: FuncCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initializer_handler: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initializer_timeout: Option<u32>,
}

/// `func_code` of CreateFunction.
#[derive(Debug, Serialize)]
pub struct FuncCode {
    /// The zip, base64.
    pub file: String,
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

/// The v1 body of `POST /v2/{project_id}/fgs/functions/{func_urn}/invocations`.
#[derive(Debug, Clone, Deserialize)]
pub struct InvokeResponseV1 {
    pub request_id: String,
    pub result: String,
    #[serde(default)]
    pub log: String,
    pub status: Option<i64>,
}

/// The body of every API error: `{"error_code": "FSS.xxxx", "error_msg": "..."}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiErrorBody {
    pub error_code: String,
    pub error_msg: String,
}
