//! Observing an answer: what a target's reply to an invoke or an API call shows, in the shape
//! `expected.json` talks about. A reply too broken to say anything about the behaviour is a
//! protocol error instead.

use serde_json::Value;

use crate::matcher::Mismatch;
use crate::wire::{ProtocolError, Reply, RequestVersion};

/// What kind of call a step makes, which decides what can be observed of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// InvokeFunction: the result, the error, the summary, the logs and the headers.
    Invoke,
    /// CreateFunction or DeleteFunction: the status and the API error only.
    Api,
    /// An asynchronous invoke: the status, the API error and the request id its 202 names.
    AsyncInvoke,
    /// ListAsyncInvocations for the last asynchronous invoke: the status, the API error and that
    /// invocation's record.
    AsyncOutcome,
    /// ListAsyncInvocations or ListFunctions with a query of the case's: the status, the API
    /// error and the page.
    List,
    /// CreateDependencyVersion or DeleteDependencyVersion: the status, the API error and the
    /// dependency version a 2xx CreateDependencyVersion answer describes.
    Dependency,
}

/// What one answer showed.
#[derive(Debug, Default)]
pub struct Observation {
    pub status: u16,
    /// The body of a non-2xx answer, parsed when it is JSON; absent on a 2xx answer.
    pub api_error: Option<Value>,
    /// `X-Cff-Request-Id`; of an asynchronous invoke, the `request_id` its answer's body names.
    pub request_id: Option<String>,
    /// A 2xx answer's JSON body of CreateFunction (the function's model); absent when the body
    /// is empty (DeleteFunction's 204) or not JSON.
    pub function: Option<Value>,
    /// A 2xx answer's JSON body of CreateDependencyVersion (the version's model); absent when
    /// the body is empty (DeleteDependencyVersion's 204) or not JSON.
    pub dependency: Option<Value>,
    /// The asynchronous invocation's record, as ListAsyncInvocations lists it.
    pub invocation: Option<Value>,
    /// A page of ListAsyncInvocations, whole.
    pub listing: Option<Value>,
    /// Whether the call was a function error (`X-Is-Func-Err`, `X-Func-Err-Code`).
    pub failed: bool,
    /// The v1 body's `status`; absent when the body has none.
    pub body_status: Option<Value>,
    /// The v1 body's `result`, as sent.
    pub result_text: Option<String>,
    /// `X-Cff-Invoke-Summary`, parsed when it is JSON.
    pub summary: Option<Value>,
    /// Every header by lower-case name, each value parsed when it is JSON.
    pub headers: Value,
    /// The v1 body's `log`; `None` when the body had none (a missing log is not an empty one:
    /// `not_contains` and `max_bytes` must not hold against it).
    pub log: Option<String>,
    /// `X-Cff-Function-Log`, decoded; `None` when absent.
    pub log_header: Option<String>,
    /// The telemetry events filed for this call, in arrival order (empty when the function
    /// subscribes to none).
    pub telemetry: Vec<Value>,
}

impl Observation {
    /// An invoke's answer, asked with `version`, with the telemetry events filed for it. Without
    /// a `status` expectation any status but 200 is the target breaking the protocol, not a
    /// behaviour; so is a 200 whose body is not the v1 body when the v1 body was asked for. A v1
    /// body whose `request_id` differs from the header is a mismatch the caller must report.
    /// Asked for another format, the body is the function's output: the result, with no log.
    pub fn of_invoke(
        reply: &Reply,
        expects_status: bool,
        version: RequestVersion,
        telemetry: Vec<Value>,
    ) -> Result<(Observation, Vec<Mismatch>), ProtocolError> {
        if reply.status != 200 && !expects_status {
            return Err(reply.api_error("InvokeFunction"));
        }
        if reply.status == 200 && !version.is_v1() {
            let observation = Observation {
                status: reply.status,
                request_id: reply.request_id().map(str::to_owned),
                failed: reply.is_function_error(),
                result_text: Some(String::from_utf8_lossy(&reply.body).into_owned()),
                summary: reply.invoke_summary(),
                headers: reply.headers_value(),
                log_header: reply.function_log(),
                telemetry,
                ..Observation::default()
            };
            return Ok((observation, Vec::new()));
        }
        let body = if reply.status == 200 {
            Some(reply.invoke_body()?)
        } else {
            None
        };
        let request_id = reply.request_id().map(str::to_owned);
        let mut mismatches = Vec::new();
        if let Some(body) = &body
            && Some(&body.request_id) != request_id.as_ref()
        {
            mismatches.push(Mismatch {
                path: "body.request_id".into(),
                expected: format!(
                    "the X-Cff-Request-Id header ({})",
                    request_id.as_deref().unwrap_or("absent")
                ),
                actual: format!("{:?}", body.request_id),
            });
        }
        let (log, result_text, body_status) = match body {
            Some(body) => (body.log, Some(body.result), body.status),
            None => (None, None, None),
        };
        let observation = Observation {
            status: reply.status,
            api_error: reply.api_error_value(),
            request_id,
            function: None,
            dependency: None,
            body_status,
            invocation: None,
            listing: None,
            failed: reply.is_function_error(),
            result_text,
            summary: reply.invoke_summary(),
            headers: reply.headers_value(),
            log,
            log_header: reply.function_log(),
            telemetry,
        };
        Ok((observation, mismatches))
    }

    /// The answer of a FunctionGraph API call. Without a `status` expectation, a non-2xx answer
    /// means the target broke (an error, not a failure).
    pub fn of_api_call(
        call: &'static str,
        reply: &Reply,
        expects_status: bool,
    ) -> Result<Observation, ProtocolError> {
        if !expects_status && !reply.is_success() {
            return Err(reply.api_error(call));
        }
        Ok(Observation {
            status: reply.status,
            api_error: reply.api_error_value(),
            ..Observation::default()
        })
    }

    /// A CreateFunction or DeleteFunction answer, with the function's model a 2xx CreateFunction
    /// answer holds.
    pub fn of_function_call(
        call: &'static str,
        reply: &Reply,
        expects_status: bool,
    ) -> Result<Observation, ProtocolError> {
        let mut observation = Observation::of_api_call(call, reply, expects_status)?;
        observation.function = success_json(reply);
        Ok(observation)
    }

    /// A CreateDependencyVersion or DeleteDependencyVersion answer, with the version's model a
    /// 2xx CreateDependencyVersion answer holds.
    pub fn of_dependency_call(
        call: &'static str,
        reply: &Reply,
        expects_status: bool,
    ) -> Result<Observation, ProtocolError> {
        let mut observation = Observation::of_api_call(call, reply, expects_status)?;
        observation.dependency = success_json(reply);
        Ok(observation)
    }

    /// An asynchronous invoke's answer: a 2xx names the request in its body's `request_id`
    /// (absent when the body names none, which the step's `request_id` expectation, or the
    /// outcome step after it, reports).
    pub fn of_async_invoke(
        reply: &Reply,
        expects_status: bool,
    ) -> Result<Observation, ProtocolError> {
        let mut observation =
            Observation::of_api_call("AsyncInvokeFunction", reply, expects_status)?;
        if reply.is_success() {
            observation.request_id = reply.async_request_id();
        }
        Ok(observation)
    }

    /// ListAsyncInvocations' answer, with the record of the invocation it was asked about
    /// (`None` when it lists none).
    pub fn of_async_outcome(
        reply: &Reply,
        invocation: Option<Value>,
        expects_status: bool,
    ) -> Result<Observation, ProtocolError> {
        let mut observation =
            Observation::of_api_call("ListAsyncInvocations", reply, expects_status)?;
        observation.invocation = invocation;
        Ok(observation)
    }

    /// A page of ListAsyncInvocations or ListFunctions (`call`): its JSON body on a 2xx answer.
    pub fn of_list(
        call: &'static str,
        reply: &Reply,
        expects_status: bool,
    ) -> Result<Observation, ProtocolError> {
        let mut observation = Observation::of_api_call(call, reply, expects_status)?;
        if reply.is_success() {
            observation.listing = Some(reply.json_body(call)?);
        }
        Ok(observation)
    }

    /// The result, parsed as JSON when it parses, else the string.
    pub fn result(&self) -> Option<Value> {
        self.result_text
            .as_ref()
            .map(|text| serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())))
    }

    /// The error object of a failed call: its result when that is a JSON object.
    pub fn error(&self) -> Option<Value> {
        match self.result() {
            Some(value @ Value::Object(_)) if self.failed => Some(value),
            _ => None,
        }
    }

    /// The log to show beside a failure: the body's, else the header's.
    pub fn log_excerpt(&self) -> String {
        match (self.log.as_deref().unwrap_or_default(), &self.log_header) {
            ("", Some(header)) => header.clone(),
            (body, _) => body.to_owned(),
        }
    }
}

/// The JSON body of a 2xx answer; `None` for another status, an empty body or one that is not
/// JSON.
fn success_json(reply: &Reply) -> Option<Value> {
    if reply.is_success() {
        serde_json::from_slice(&reply.body).ok()
    } else {
        None
    }
}
