//! The client side of the invoke protocol (PROTOCOL.md): one type per message, named after its
//! route, and a client whose every call has a timeout.

use std::time::Duration;

use reqwest::header::HeaderMap;
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

/// An answer as it came off the wire; the harness interprets it (collect stage).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("{call} did not complete: {message}")]
    Transport { call: &'static str, message: String },
    #[error("{call} answered HTTP {status} {error_code}: {error_msg}")]
    Api {
        call: &'static str,
        status: u16,
        error_code: String,
        error_msg: String,
    },
    #[error("{call} answered HTTP {status} with a body that is not the protocol's: {detail}")]
    Garbage {
        call: &'static str,
        status: u16,
        detail: String,
    },
}

/// Talks to one target.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    project_id: String,
    token: Option<String>,
}

/// How long an API call other than an invoke may take.
const API_TIMEOUT: Duration = Duration::from_secs(30);

impl Client {
    pub fn new(
        base: &str,
        project_id: &str,
        token: Option<String>,
    ) -> Result<Client, ProtocolError> {
        let http = fgref::http::plain_client_builder()
            // Targets are usually on loopback; a proxy from the environment must not intercept them.
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ProtocolError::Transport {
                call: "client setup",
                message: e.to_string(),
            })?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            project_id: project_id.to_owned(),
            token,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn functions_url(&self) -> String {
        format!("{}/v2/{}/fgs/functions", self.base, self.project_id)
    }

    /// URNs contain `:`; real clients percent-encode them, so the harness does too.
    fn function_url(&self, func_urn: &str, suffix: &str) -> String {
        format!(
            "{}/{}{suffix}",
            self.functions_url(),
            func_urn.replace(':', "%3A")
        )
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: String,
        timeout: Duration,
    ) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, url).timeout(timeout);
        match &self.token {
            Some(token) => builder.header("X-Auth-Token", token),
            None => builder,
        }
    }

    pub async fn create_function(
        &self,
        request: &CreateFunctionRequest,
    ) -> Result<FunctionModel, ProtocolError> {
        parse_model("CreateFunction", self.create_function_reply(request).await?)
    }

    /// CreateFunction, whatever it answers: for cases that check the answer itself.
    pub async fn create_function_reply(
        &self,
        request: &CreateFunctionRequest,
    ) -> Result<Reply, ProtocolError> {
        send(
            "CreateFunction",
            self.request(reqwest::Method::POST, self.functions_url(), API_TIMEOUT)
                .json(request),
        )
        .await
    }

    pub async fn get_function_config(
        &self,
        func_urn: &str,
    ) -> Result<FunctionModel, ProtocolError> {
        const CALL: &str = "GetFunctionConfig";
        let url = self.function_url(func_urn, "/config");
        parse_model(
            CALL,
            send(CALL, self.request(reqwest::Method::GET, url, API_TIMEOUT)).await?,
        )
    }

    pub async fn delete_function(&self, func_urn: &str) -> Result<(), ProtocolError> {
        let reply = self.delete_function_reply(func_urn).await?;
        success("DeleteFunction", &reply).map(|_| ())
    }

    /// DeleteFunction, whatever it answers.
    pub async fn delete_function_reply(&self, func_urn: &str) -> Result<Reply, ProtocolError> {
        let url = self.function_url(func_urn, "");
        send(
            "DeleteFunction",
            self.request(reqwest::Method::DELETE, url, API_TIMEOUT),
        )
        .await
    }

    /// A synchronous invoke asking for the v1 body, and for the log tail when `log_tail`. Any
    /// HTTP status is an answer: the caller decides what a non-200 means.
    pub async fn invoke(
        &self,
        func_urn: &str,
        event: &[u8],
        log_tail: bool,
        timeout: Duration,
    ) -> Result<Reply, ProtocolError> {
        let url = self.function_url(func_urn, "/invocations");
        let mut builder = self
            .request(reqwest::Method::POST, url, timeout)
            .header("Content-Type", "application/json")
            .header("X-CFF-Request-Version", "v1");
        if log_tail {
            builder = builder.header("X-Cff-Log-Type", "tail");
        }
        send("InvokeFunction", builder.body(event.to_vec())).await
    }
}

async fn send(
    call: &'static str,
    builder: reqwest::RequestBuilder,
) -> Result<Reply, ProtocolError> {
    let transport = |e: reqwest::Error| ProtocolError::Transport {
        call,
        message: if e.is_timeout() {
            format!("timed out ({e})")
        } else {
            error_chain(&e)
        },
    };
    let response = builder.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(transport)?.to_vec();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn success<'a>(call: &'static str, reply: &'a Reply) -> Result<&'a [u8], ProtocolError> {
    if (200..300).contains(&reply.status) {
        return Ok(&reply.body);
    }
    Err(api_error(call, reply))
}

/// Interprets a non-2xx answer: the protocol's error body, or garbage.
pub fn api_error(call: &'static str, reply: &Reply) -> ProtocolError {
    match serde_json::from_slice::<ApiErrorBody>(&reply.body) {
        Ok(body) => ProtocolError::Api {
            call,
            status: reply.status,
            error_code: body.error_code,
            error_msg: body.error_msg,
        },
        Err(_) => ProtocolError::Garbage {
            call,
            status: reply.status,
            detail: snippet(&reply.body),
        },
    }
}

pub fn parse_model(call: &'static str, reply: Reply) -> Result<FunctionModel, ProtocolError> {
    let body = success(call, &reply)?;
    serde_json::from_slice(body).map_err(|e| ProtocolError::Garbage {
        call,
        status: reply.status,
        detail: format!("{e}: {}", snippet(body)),
    })
}

/// The first bytes of a body, for messages.
pub fn snippet(body: &[u8]) -> String {
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

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}
