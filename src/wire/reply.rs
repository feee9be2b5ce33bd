//! An answer as it came off the wire, and what FunctionGraph's headers and bodies in it say:
//! `X-Cff-Request-Id`, `X-Is-Func-Err`/`X-Func-Err-Code`, `X-Cff-Invoke-Summary`,
//! `X-Cff-Function-Log`, the v1 body, the function model and the API error body.

use base64::Engine as _;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::ProtocolError;
use super::messages::{
    ApiErrorBody, AsyncInvokeFunctionResponse, DependencyVersion, FunctionModel, InvokeResponseV1,
    ListAsyncInvocationsResponse,
};

/// One HTTP answer, undecoded.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value, when it is there and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `X-Cff-Request-Id`.
    pub fn request_id(&self) -> Option<&str> {
        self.header("X-Cff-Request-Id")
    }

    /// The `request_id` an asynchronous invoke's body names, when it names one.
    pub fn async_request_id(&self) -> Option<String> {
        serde_json::from_slice::<AsyncInvokeFunctionResponse>(&self.body)
            .ok()
            .map(|body| body.request_id)
    }

    /// The JSON body of a 2xx answer of `call`, whatever its shape.
    pub fn json_body(&self, call: &'static str) -> Result<Value, ProtocolError> {
        self.success_body(call)
    }

    /// The record ListAsyncInvocations lists for `request_id`; `Ok(None)` when it lists none.
    pub fn async_invocation(&self, request_id: &str) -> Result<Option<Value>, ProtocolError> {
        let page: ListAsyncInvocationsResponse = self.success_body("ListAsyncInvocations")?;
        Ok(page
            .invocations
            .into_iter()
            .find(|record| record["request_id"].as_str() == Some(request_id)))
    }

    /// Whether the call was a function error: `X-Is-Func-Err: true` or a non-zero
    /// `X-Func-Err-Code`.
    pub fn is_function_error(&self) -> bool {
        self.header("X-Is-Func-Err")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || self
                .header("X-Func-Err-Code")
                .is_some_and(|v| !v.trim().is_empty() && v.trim() != "0")
    }

    /// `X-Cff-Invoke-Summary`, parsed; the raw text when it is not JSON.
    pub fn invoke_summary(&self) -> Option<Value> {
        self.header("X-Cff-Invoke-Summary")
            .map(|raw| serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())))
    }

    /// `X-Cff-Function-Log`, decoded from base64; what came instead, marked, when it is not
    /// base64, so a mismatch says what the target sent.
    pub fn function_log(&self) -> Option<String> {
        self.header("X-Cff-Function-Log")
            .map(
                |b64| match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => format!("(not base64) {b64}"),
                },
            )
    }

    /// `X-Fgref-Node-Version`: the node an invoke ran on, from targets that say (fgref does).
    pub fn node_version(&self) -> Option<&str> {
        self.header(fgref::NODE_VERSION_HEADER)
    }

    /// Every header, by lower-case name, its value parsed as JSON when it parses (so `128` is a
    /// number and the summary an object), else the string.
    pub fn headers_value(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (name, value) in &self.headers {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let parsed = serde_json::from_str(&text).unwrap_or(Value::String(text));
            map.insert(name.as_str().to_owned(), parsed);
        }
        Value::Object(map)
    }

    /// The body of a non-2xx answer: the `{error_code, error_msg}` object, or whatever came.
    pub fn api_error_value(&self) -> Option<Value> {
        if self.is_success() {
            return None;
        }
        Some(
            serde_json::from_slice(&self.body).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&self.body).into_owned())
            }),
        )
    }

    /// A non-2xx answer as an error of `call`: the protocol's error body, or garbage.
    pub fn api_error(&self, call: &'static str) -> ProtocolError {
        match serde_json::from_slice::<ApiErrorBody>(&self.body) {
            Ok(body) => ProtocolError::Api {
                call,
                status: self.status,
                error_code: body.error_code,
                error_msg: body.error_msg,
            },
            Err(_) => ProtocolError::Garbage {
                call,
                status: self.status,
                detail: snippet(&self.body),
            },
        }
    }

    /// The function model CreateFunction and GetFunctionConfig answer.
    pub fn function_model(&self, call: &'static str) -> Result<FunctionModel, ProtocolError> {
        self.success_body(call)
    }

    /// The page a list call (ListFunctions, ListDependencies, ListDependencyVersion) answers.
    pub fn page<T: serde::de::DeserializeOwned>(
        &self,
        call: &'static str,
    ) -> Result<T, ProtocolError> {
        self.success_body(call)
    }

    /// The dependency version CreateDependencyVersion answers.
    pub fn dependency_version(
        &self,
        call: &'static str,
    ) -> Result<DependencyVersion, ProtocolError> {
        self.success_body(call)
    }

    /// The JSON body of a 2xx answer; a non-2xx one as the API error it is.
    fn success_body<T: serde::de::DeserializeOwned>(
        &self,
        call: &'static str,
    ) -> Result<T, ProtocolError> {
        if !self.is_success() {
            return Err(self.api_error(call));
        }
        serde_json::from_slice(&self.body).map_err(|e| ProtocolError::Garbage {
            call,
            status: self.status,
            detail: format!("{e}: {}", snippet(&self.body)),
        })
    }

    /// The v1 body of an invoke answer.
    pub fn invoke_body(&self) -> Result<InvokeResponseV1, ProtocolError> {
        serde_json::from_slice(&self.body).map_err(|e| ProtocolError::Garbage {
            call: "InvokeFunction",
            status: self.status,
            detail: format!("the v1 body does not parse ({e}): {}", snippet(&self.body)),
        })
    }
}

/// The first bytes of a body, for messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut cut = text.len().min(300);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if cut < text.len() {
        format!("{}…", &text[..cut])
    } else {
        text.into_owned()
    }
}
