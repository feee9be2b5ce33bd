//! The client that talks to one target: each call of the protocol, each with a deadline.

use std::time::Duration;

use super::error::ProtocolError;
use super::messages::{
    CreateDependencyVersionRequest, CreateFunctionRequest, DependencyVersion, FunctionModel,
    ListDependenciesResponse, ListDependencyVersionResponse, ListFunctionsResponse,
};
use super::reply::Reply;
use super::session::{self, Auth, Settings};

/// Talks to one target.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    project_id: String,
    auth: Auth,
    /// How long an API call other than an invoke may take.
    api_timeout: Duration,
}

impl Client {
    /// The same client sending no credentials, for calls a target must refuse.
    pub fn without_credentials(&self) -> Client {
        Client {
            auth: Auth::Withheld,
            ..self.clone()
        }
    }

    pub fn new(settings: Settings) -> Result<Client, ProtocolError> {
        Ok(Client {
            http: session::http_client(&settings)?,
            base: settings.base.trim_end_matches('/').to_owned(),
            project_id: settings.project_id,
            auth: settings.auth,
            api_timeout: settings.api_timeout,
        })
    }

    fn dependencies_url(&self) -> String {
        format!("{}/v2/{}/fgs/dependencies", self.base, self.project_id)
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
        self.http
            .request(method, url)
            .timeout(timeout)
            .header("X-Project-Id", &self.project_id)
    }

    /// Sends a request made by `request`, with the target's credentials.
    async fn send(
        &self,
        call: &'static str,
        builder: reqwest::RequestBuilder,
    ) -> Result<Reply, ProtocolError> {
        session::send(&self.http, &self.auth, call, builder).await
    }

    /// CreateFunction, whatever it answers: the caller decides what a refusal means.
    pub async fn create_function(
        &self,
        request: &CreateFunctionRequest,
    ) -> Result<Reply, ProtocolError> {
        self.send(
            "CreateFunction",
            self.request(
                reqwest::Method::POST,
                self.functions_url(),
                self.api_timeout,
            )
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
        self.send(
            CALL,
            self.request(reqwest::Method::GET, url, self.api_timeout),
        )
        .await?
        .function_model(CALL)
    }

    /// ListFunctions: the page of at most `max_items` functions from position `marker` (the
    /// previous page's `next_marker`).
    pub async fn list_functions(
        &self,
        marker: u64,
        max_items: u32,
    ) -> Result<ListFunctionsResponse, ProtocolError> {
        self.page("ListFunctions", self.functions_url(), marker, max_items)
            .await
    }

    /// ListDependencies: the page of at most `max_items` dependencies from position `marker`.
    pub async fn list_dependencies(
        &self,
        marker: u64,
        max_items: u32,
    ) -> Result<ListDependenciesResponse, ProtocolError> {
        self.page(
            "ListDependencies",
            self.dependencies_url(),
            marker,
            max_items,
        )
        .await
    }

    /// ListDependencyVersion: the page of at most `max_items` versions of `dep_id` from
    /// position `marker`.
    pub async fn list_dependency_versions(
        &self,
        dep_id: &str,
        marker: u64,
        max_items: u32,
    ) -> Result<ListDependencyVersionResponse, ProtocolError> {
        let url = format!("{}/{dep_id}/version", self.dependencies_url());
        self.page("ListDependencyVersion", url, marker, max_items)
            .await
    }

    /// One page of a list call at `url`. The query is part of the URL handed to `request`, so
    /// whatever authenticates a request covers it.
    async fn page<T: serde::de::DeserializeOwned>(
        &self,
        call: &'static str,
        url: String,
        marker: u64,
        max_items: u32,
    ) -> Result<T, ProtocolError> {
        let url = format!("{url}?marker={marker}&maxitems={max_items}");
        self.send(
            call,
            self.request(reqwest::Method::GET, url, self.api_timeout),
        )
        .await?
        .page(call)
    }

    /// DeleteFunction of the whole function, whatever it answers: `func_urn` is sent without its
    /// version, since a URN naming a version deletes only that version and the latest version
    /// may not be deleted at all (DeleteFunction's page).
    pub async fn delete_function(&self, func_urn: &str) -> Result<Reply, ProtocolError> {
        self.delete_function_urn(unversioned_urn(func_urn)).await
    }

    /// DeleteFunction of `urn` as given, version and all, whatever it answers.
    pub async fn delete_function_urn(&self, urn: &str) -> Result<Reply, ProtocolError> {
        let url = self.function_url(urn, "");
        self.send(
            "DeleteFunction",
            self.request(reqwest::Method::DELETE, url, self.api_timeout),
        )
        .await
    }

    /// CreateDependencyVersion; a refusal is the target breaking the protocol (the harness only
    /// sends dependencies a target must take).
    pub async fn create_dependency_version(
        &self,
        request: &CreateDependencyVersionRequest,
    ) -> Result<DependencyVersion, ProtocolError> {
        self.create_dependency_version_reply(request)
            .await?
            .dependency_version("CreateDependencyVersion")
    }

    /// CreateDependencyVersion, whatever it answers.
    pub async fn create_dependency_version_reply(
        &self,
        request: &CreateDependencyVersionRequest,
    ) -> Result<Reply, ProtocolError> {
        let url = format!("{}/version", self.dependencies_url());
        self.send(
            "CreateDependencyVersion",
            self.request(reqwest::Method::POST, url, self.api_timeout)
                .json(request),
        )
        .await
    }

    /// DeleteDependencyVersion, whatever it answers.
    pub async fn delete_dependency_version(
        &self,
        dep_id: &str,
        version: u64,
    ) -> Result<Reply, ProtocolError> {
        let url = format!("{}/{dep_id}/version/{version}", self.dependencies_url());
        self.send(
            "DeleteDependencyVersion",
            self.request(reqwest::Method::DELETE, url, self.api_timeout),
        )
        .await
    }

    /// AsyncInvokeFunction: `event` queued for an asynchronous call, whatever the target answers.
    pub async fn invoke_async(&self, func_urn: &str, event: &[u8]) -> Result<Reply, ProtocolError> {
        let url = self.function_url(func_urn, "/invocations-async");
        let builder = self
            .request(reqwest::Method::POST, url, self.api_timeout)
            .header("Content-Type", "application/json");
        self.send("AsyncInvokeFunction", builder.body(event.to_vec()))
            .await
    }

    /// ListAsyncInvocations with `query` (`status=FAIL&limit=1`, as written, or empty), whatever
    /// the target answers.
    pub async fn list_async_invocations_where(
        &self,
        func_urn: &str,
        query: &str,
    ) -> Result<Reply, ProtocolError> {
        let suffix = if query.is_empty() {
            "/async-invocations".to_owned()
        } else {
            format!("/async-invocations?{query}")
        };
        let url = self.function_url(func_urn, &suffix);
        self.send(
            "ListAsyncInvocations",
            self.request(reqwest::Method::GET, url, self.api_timeout),
        )
        .await
    }

    /// ListFunctions with `query` (`package_name=x&maxitems=1`, as written, or empty), whatever
    /// the target answers.
    pub async fn list_functions_where(&self, query: &str) -> Result<Reply, ProtocolError> {
        let mut url = self.functions_url();
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        self.send(
            "ListFunctions",
            self.request(reqwest::Method::GET, url, self.api_timeout),
        )
        .await
    }

    /// ListAsyncInvocations of the one request `request_id`, whatever the target answers.
    pub async fn list_async_invocations(
        &self,
        func_urn: &str,
        request_id: &str,
    ) -> Result<Reply, ProtocolError> {
        let id =
            percent_encoding::utf8_percent_encode(request_id, percent_encoding::NON_ALPHANUMERIC);
        self.list_async_invocations_where(func_urn, &format!("request_id={id}"))
            .await
    }

    /// A synchronous invoke asking for the body format `version` (the v1 body unless a case asks
    /// for another), and for the log tail when `log_tail`. Any HTTP status is an answer: the
    /// caller decides what a non-200 means.
    pub async fn invoke(
        &self,
        func_urn: &str,
        event: &[u8],
        log_tail: bool,
        version: RequestVersion,
        timeout: Duration,
    ) -> Result<Reply, ProtocolError> {
        let url = self.function_url(func_urn, "/invocations");
        let mut builder = self
            .request(reqwest::Method::POST, url, timeout)
            .header("Content-Type", "application/json");
        if let Some(version) = version.header_value() {
            builder = builder.header("X-CFF-Request-Version", version);
        }
        if log_tail {
            builder = builder.header("X-Cff-Log-Type", "tail");
        }
        self.send("InvokeFunction", builder.body(event.to_vec()))
            .await
    }
}

/// `X-CFF-Request-Version` of a synchronous invoke: which body the answer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum RequestVersion {
    /// `v1`: the JSON body with `request_id`, `result`, `log` and `status`.
    #[default]
    #[serde(rename = "v1")]
    V1,
    /// `v0`: the body in text format, the function's output.
    #[serde(rename = "v0")]
    V0,
    /// No header at all.
    #[serde(rename = "none")]
    Unset,
}

impl RequestVersion {
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            RequestVersion::V1 => Some("v1"),
            RequestVersion::V0 => Some("v0"),
            RequestVersion::Unset => None,
        }
    }

    /// Whether the answer's body is the v1 JSON body rather than the function's raw output.
    pub fn is_v1(self) -> bool {
        self == RequestVersion::V1
    }
}

/// `urn:fss:<region>:<project_id>:function:<package>:<name>` of a function URN that may end
/// with a version or alias (`…:latest`); a URN of another shape is answered as it is.
pub fn unversioned_urn(func_urn: &str) -> &str {
    match func_urn.match_indices(':').nth(6) {
        Some((at, _)) if func_urn.starts_with("urn:fss:") => &func_urn[..at],
        _ => func_urn,
    }
}

#[cfg(test)]
mod tests {
    use super::unversioned_urn;

    #[test]
    fn a_urn_loses_its_version_and_nothing_else() {
        let bare = "urn:fss:eu-de:p1:function:default:hello";
        assert_eq!(unversioned_urn(&format!("{bare}:latest")), bare);
        assert_eq!(unversioned_urn(bare), bare);
        assert_eq!(
            unversioned_urn("not-a-urn:a:b:c:d:e:f:g"),
            "not-a-urn:a:b:c:d:e:f:g"
        );
    }
}
