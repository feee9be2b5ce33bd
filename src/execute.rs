//! Running one trial: deploy the case's function, invoke each step, collect what the target
//! answered, match it against the step's expectation, and delete the function.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::case::{Action, Case, Expected, LogExpectation, Pause, Step};
use crate::matcher::{Captures, Matcher, Mismatch};
use crate::package;
use crate::protocol::{self, Client, CreateFunctionRequest, FuncCode, InvokeResponseV1, Reply};
use crate::report::NODE_VERSION_HEADER;
use crate::runtime_id::RuntimeId;
use crate::verdict::{Evidence, Failure, FieldDiff, TrialError, Verdict};

/// Allowance over a step's own timeouts for process start-up and the network.
const STEP_SLACK: Duration = Duration::from_secs(10);
/// Allowance for packaging, deploying and deleting.
const DEPLOY_SLACK: Duration = Duration::from_secs(60);

/// One (runtime, case) pair.
#[derive(Debug, Clone)]
pub struct TrialPlan {
    pub case: Arc<Case>,
    pub runtime: RuntimeId,
    /// What `pause = "idle"` waits: longer than the target's idle time.
    pub idle_pause: Duration,
}

impl TrialPlan {
    /// A bound on the whole trial, so a hanging target costs one verdict.
    pub fn deadline(&self) -> Duration {
        let steps: Duration = self
            .case
            .steps
            .iter()
            .map(|step| self.pause(step) + self.step_timeout())
            .sum();
        DEPLOY_SLACK + steps
    }

    fn step_timeout(&self) -> Duration {
        let f = &self.case.function;
        Duration::from_secs(u64::from(f.timeout) + u64::from(f.initializer_timeout.unwrap_or(0)))
            + STEP_SLACK
    }

    fn pause(&self, step: &Step) -> Duration {
        match step.pause {
            Pause::None => Duration::ZERO,
            Pause::Idle => self.idle_pause,
            Pause::Millis(ms) => Duration::from_millis(ms),
        }
    }
}

/// A trial's verdict and the node the target said it ran on.
#[derive(Debug)]
pub struct TrialRun {
    pub verdict: Verdict,
    /// The last `X-Fgref-Node-Version` of the trial's invokes; `None` when the target sent none.
    pub node_version: Option<String>,
}

pub async fn run_trial(client: &Client, plan: &TrialPlan) -> TrialRun {
    let mut node_version = None;
    let verdict =
        match tokio::time::timeout(plan.deadline(), run_steps(client, plan, &mut node_version))
            .await
        {
            Ok(verdict) => verdict,
            Err(_) => Verdict::Error(TrialError::TimedOut(plan.deadline())),
        };
    TrialRun {
        verdict,
        node_version,
    }
}

async fn run_steps(
    client: &Client,
    plan: &TrialPlan,
    node_version: &mut Option<String>,
) -> Verdict {
    let request = match create_request(plan).await {
        Ok(request) => request,
        Err(error) => return Verdict::Error(error),
    };
    let mut captures = Captures::default();
    captures.bind("func_name", Value::String(request.func_name.clone()));
    captures.bind("package", Value::String(PACKAGE.into()));
    captures.bind("runtime", Value::String(plan.runtime.as_str().into()));
    captures.bind("memory_size", Value::from(plan.case.function.memory_size));
    let model = match deploy(client, plan, &request, &mut captures).await {
        Ok(Some(model)) => model,
        // Refused, as the case expected: there is nothing to invoke.
        Ok(None) => return Verdict::Pass,
        Err(verdict) => return verdict,
    };
    captures.bind("func_urn", Value::String(model.func_urn.clone()));

    let mut verdict = Verdict::Pass;
    let steps = plan.case.steps.len();
    for (index, step) in plan.case.steps.iter().enumerate() {
        tokio::time::sleep(plan.pause(step)).await;
        let outcome = match step.action {
            Action::Invoke if step.concurrent > 1 => {
                invoke_concurrently(client, plan, &model.func_urn, step, &mut captures)
                    .await
                    .map(|(evidence, version)| {
                        if version.is_some() {
                            *node_version = version;
                        }
                        evidence
                    })
            }
            Action::Invoke => client
                .invoke(
                    &model.func_urn,
                    &step.event,
                    step.log_tail,
                    plan.step_timeout(),
                )
                .await
                .and_then(|reply| {
                    if let Some(version) = header(&reply, NODE_VERSION_HEADER) {
                        *node_version = Some(version.to_owned());
                    }
                    check_invoke(&step.expected, &reply, &mut captures)
                }),
            Action::Create => client
                .create_function_reply(&request)
                .await
                .and_then(|reply| {
                    check_api_call("CreateFunction", &step.expected, &reply, &mut captures)
                }),
            Action::Delete => client
                .delete_function_reply(&model.func_urn)
                .await
                .and_then(|reply| {
                    check_api_call("DeleteFunction", &step.expected, &reply, &mut captures)
                }),
        };
        match outcome {
            Ok(None) => continue,
            Ok(Some(evidence)) => {
                verdict = Verdict::Fail(Box::new(Failure {
                    step: index + 1,
                    steps,
                    step_label: step.label.clone(),
                    evidence,
                }));
            }
            Err(source) => {
                verdict = Verdict::Error(TrialError::Invoke {
                    step: index + 1,
                    label: step.label.clone(),
                    source,
                });
            }
        }
        break;
    }
    // Best effort: a target that cannot delete still gave its verdict on the behaviour (and a
    // case may have deleted the function itself).
    let _ = client.delete_function(&model.func_urn).await;
    verdict
}

/// Sends `step.concurrent` identical invokes at once and checks every answer; captures carry on
/// from the first. Also answers the node version the first reply names.
async fn invoke_concurrently(
    client: &Client,
    plan: &TrialPlan,
    func_urn: &str,
    step: &Step,
    captures: &mut Captures,
) -> Result<(Option<Evidence>, Option<String>), protocol::ProtocolError> {
    let mut calls = tokio::task::JoinSet::new();
    for call in 0..step.concurrent {
        let client = client.clone();
        let func_urn = func_urn.to_owned();
        let event = step.event.clone();
        let (log_tail, timeout) = (step.log_tail, plan.step_timeout());
        calls.spawn(async move {
            (
                call,
                client.invoke(&func_urn, &event, log_tail, timeout).await,
            )
        });
    }
    let mut replies = Vec::new();
    while let Some(joined) = calls.join_next().await {
        let (call, reply) = joined.map_err(|e| protocol::ProtocolError::Transport {
            call: "InvokeFunction",
            message: format!("the harness task sending it failed: {e}"),
        })?;
        replies.push((call, reply?));
    }
    replies.sort_by_key(|(call, _)| *call);
    let node_version = replies
        .first()
        .and_then(|(_, reply)| header(reply, NODE_VERSION_HEADER))
        .map(str::to_owned);
    let mut first_captures = None;
    for (call, reply) in &replies {
        let mut own = captures.clone();
        if let Some(mut evidence) = check_invoke(&step.expected, reply, &mut own)? {
            let n = step.concurrent;
            for mismatch in &mut evidence.mismatches {
                mismatch.path = format!("call {} of {n}: {}", call + 1, mismatch.path);
            }
            return Ok((Some(evidence), node_version));
        }
        first_captures.get_or_insert(own);
    }
    if let Some(first) = first_captures {
        *captures = first;
    }
    Ok((None, node_version))
}

const PACKAGE: &str = "default";

async fn create_request(plan: &TrialPlan) -> Result<CreateFunctionRequest, TrialError> {
    let case = &plan.case;
    let dir = case.dir.join("code");
    let zip = tokio::task::spawn_blocking(move || package::zip_dir(&dir))
        .await
        .map_err(|e| TrialError::TargetUnavailable(format!("packaging task failed: {e}")))??;
    let f = &case.function;
    let user_data =
        (!f.user_data.is_empty()).then(|| serde_json::to_string(&f.user_data).unwrap_or_default());
    Ok(CreateFunctionRequest {
        func_name: f
            .func_name
            .clone()
            .unwrap_or_else(|| function_name(&case.id)),
        package: PACKAGE.into(),
        runtime: f
            .runtime
            .clone()
            .unwrap_or_else(|| plan.runtime.as_str().into()),
        handler: f.handler.clone(),
        memory_size: f.memory_size,
        timeout: f.timeout,
        code_type: "zip",
        func_code: FuncCode {
            file: base64::engine::general_purpose::STANDARD.encode(zip),
        },
        user_data,
        initializer_handler: f.initializer_handler.clone(),
        initializer_timeout: f.initializer_timeout,
    })
}

/// Creates the function. `Ok(None)`: the target refused it, as the case's `[deploy]` expects.
async fn deploy(
    client: &Client,
    plan: &TrialPlan,
    request: &CreateFunctionRequest,
    captures: &mut Captures,
) -> Result<Option<protocol::FunctionModel>, Verdict> {
    let deploy_error = |e| Verdict::Error(TrialError::Deploy(e));
    let reply = client
        .create_function_reply(request)
        .await
        .map_err(deploy_error)?;
    let created = (200..300).contains(&reply.status);
    if let Some(check) = &plan.case.deploy {
        let evidence = check_api_call("CreateFunction", &check.expected, &reply, captures)
            .map_err(deploy_error)?;
        if let Some(evidence) = evidence {
            if created && let Ok(model) = protocol::parse_model("CreateFunction", reply) {
                // Created against the case's expectation: it must not linger on the target.
                let _ = client.delete_function(&model.func_urn).await;
            }
            return Err(Verdict::Fail(Box::new(Failure {
                step: 0,
                steps: plan.case.steps.len(),
                step_label: check.label.clone(),
                evidence,
            })));
        }
        if !created {
            return Ok(None);
        }
    }
    let created = protocol::parse_model("CreateFunction", reply).map_err(deploy_error)?;
    let config = client
        .get_function_config(&created.func_urn)
        .await
        .map_err(deploy_error)?;
    if config.func_urn != created.func_urn {
        let _ = client.delete_function(&created.func_urn).await;
        return Err(deploy_error(protocol::ProtocolError::Garbage {
            call: "GetFunctionConfig",
            status: 200,
            detail: format!(
                "func_urn {} differs from CreateFunction's {}",
                config.func_urn, created.func_urn
            ),
        }));
    }
    Ok(Some(created))
}

/// A FunctionGraph-valid, unique name: letters, digits, `-`, `_`, at most 60 characters,
/// starting with a letter and ending with a letter or digit.
fn function_name(case_id: &str) -> String {
    let slug: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let budget = 60 - "fgc-".len() - 1 - 8;
    let slug: String = slug.chars().take(budget).collect();
    format!("fgc-{slug}-{}", &unique[..8])
}

/// What an invoke observed, in the shape `expected.json` talks about.
struct Observation {
    request_id: Option<String>,
    status: u16,
    api_error: Option<Value>,
    failed: bool,
    result_text: Option<String>,
    summary: Option<Value>,
    headers: Value,
    /// The v1 body's `log`.
    log: String,
    /// `X-Cff-Function-Log`, decoded; `None` when absent.
    log_header: Option<String>,
}

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every header, by lower-case name, its value parsed as JSON when it parses (so `128` is a
/// number and the summary an object), else the string.
fn headers_value(reply: &Reply) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in &reply.headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let parsed = serde_json::from_str(&text).unwrap_or(Value::String(text));
        map.insert(name.as_str().to_owned(), parsed);
    }
    Value::Object(map)
}

/// The body of a non-2xx answer: the `{error_code, error_msg}` object, or whatever came.
fn api_error_value(reply: &Reply) -> Option<Value> {
    if (200..300).contains(&reply.status) {
        return None;
    }
    Some(
        serde_json::from_slice(&reply.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&reply.body).into_owned())),
    )
}

/// Interprets an invoke answer. `Err` when the target broke the protocol so badly that nothing
/// about the behaviour can be said.
fn observe(
    reply: &Reply,
    expects_status: bool,
) -> Result<(Observation, Vec<Mismatch>), protocol::ProtocolError> {
    let mut protocol_mismatches = Vec::new();
    if reply.status != 200 && !expects_status {
        return Err(protocol::api_error("InvokeFunction", reply));
    }
    let body: Option<InvokeResponseV1> = if reply.status == 200 {
        Some(
            serde_json::from_slice(&reply.body).map_err(|e| protocol::ProtocolError::Garbage {
                call: "InvokeFunction",
                status: reply.status,
                detail: format!(
                    "the v1 body does not parse ({e}): {}",
                    protocol::snippet(&reply.body)
                ),
            })?,
        )
    } else {
        None
    };
    let request_id = header(reply, "X-Cff-Request-Id").map(str::to_owned);
    if let Some(body) = &body
        && Some(&body.request_id) != request_id.as_ref()
    {
        protocol_mismatches.push(Mismatch {
            path: "body.request_id".into(),
            expected: format!(
                "the X-Cff-Request-Id header ({})",
                request_id.as_deref().unwrap_or("absent")
            ),
            actual: format!("{:?}", body.request_id),
        });
    }
    let failed = header(reply, "X-Is-Func-Err").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || header(reply, "X-Func-Err-Code")
            .is_some_and(|v| !v.trim().is_empty() && v.trim() != "0");
    let summary = header(reply, "X-Cff-Invoke-Summary")
        .map(|raw| serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())));
    let log_header = header(reply, "X-Cff-Function-Log").map(|b64| {
        match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            // Shown as is, so the mismatch says what came instead of a log.
            Err(_) => format!("(not base64) {b64}"),
        }
    });
    let observation = Observation {
        request_id,
        status: reply.status,
        api_error: api_error_value(reply),
        failed,
        log: body.as_ref().map(|b| b.log.clone()).unwrap_or_default(),
        result_text: body.map(|b| b.result),
        summary,
        headers: headers_value(reply),
        log_header,
    };
    Ok((observation, protocol_mismatches))
}

/// Matches observed fields against their matchers, in order; the mismatches, and a diff for
/// each structured field that differed.
fn check_fields(
    fields: Vec<(&str, &Option<Matcher>, Option<Value>)>,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    for (field, matcher, actual) in fields {
        let Some(matcher) = matcher else { continue };
        let before = mismatches.len();
        let reconciled = matcher.check(actual.as_ref(), field, captures, mismatches);
        if mismatches.len() > before && (is_structured(&actual) || is_structured(&reconciled)) {
            diffs.push(FieldDiff {
                field: field.to_owned(),
                expected: reconciled.unwrap_or(Value::Null),
                actual: actual.unwrap_or(Value::Null),
            });
        }
    }
    diffs
}

/// An invoke step: `Ok(None)` when every expectation held; `Ok(Some)` with what differed.
fn check_invoke(
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, protocol::ProtocolError> {
    let (seen, mut mismatches) = observe(reply, expected.status.is_some())?;
    let result = seen
        .result_text
        .as_ref()
        .map(|text| serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())));
    let error = match (&result, seen.failed) {
        (Some(value @ Value::Object(_)), true) => Some(value.clone()),
        _ => None,
    };
    let fields = vec![
        (
            "request_id",
            &expected.request_id,
            seen.request_id.clone().map(Value::String),
        ),
        ("status", &expected.status, Some(Value::from(seen.status))),
        ("api_error", &expected.api_error, seen.api_error.clone()),
        ("failed", &expected.failed, Some(Value::Bool(seen.failed))),
        ("result", &expected.result, result),
        (
            "result_text",
            &expected.result_text,
            seen.result_text.clone().map(Value::String),
        ),
        ("error", &expected.error, error),
        ("summary", &expected.summary, seen.summary.clone()),
        ("headers", &expected.headers, Some(seen.headers.clone())),
    ];
    let diffs = check_fields(fields, captures, &mut mismatches);
    if let Some(log) = &expected.log {
        check_log("log", log, &seen.log, captures, &mut mismatches);
    }
    if let Some(log) = &expected.log_header {
        match &seen.log_header {
            Some(text) => check_log("log_header", log, text, captures, &mut mismatches),
            None => mismatches.push(Mismatch {
                path: "log_header".into(),
                expected: "an X-Cff-Function-Log header".into(),
                actual: "absent".into(),
            }),
        }
    }
    if mismatches.is_empty() {
        return Ok(None);
    }
    let log = match (&seen.log, &seen.log_header) {
        (body, Some(header)) if body.is_empty() => header.clone(),
        (body, _) => body.clone(),
    };
    Ok(Some(Evidence {
        request_id: seen.request_id,
        mismatches,
        diffs,
        log,
    }))
}

/// A CreateFunction or DeleteFunction answer against `status` and `api_error`. Without a
/// `status` expectation, a non-2xx answer means the target broke (an error, not a failure).
fn check_api_call(
    call: &'static str,
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, protocol::ProtocolError> {
    if expected.status.is_none() && !(200..300).contains(&reply.status) {
        return Err(protocol::api_error(call, reply));
    }
    let mut mismatches = Vec::new();
    let fields = vec![
        ("status", &expected.status, Some(Value::from(reply.status))),
        ("api_error", &expected.api_error, api_error_value(reply)),
    ];
    let diffs = check_fields(fields, captures, &mut mismatches);
    if mismatches.is_empty() {
        return Ok(None);
    }
    Ok(Some(Evidence {
        request_id: None,
        mismatches,
        diffs,
        log: String::new(),
    }))
}

/// Scalars read well in the mismatch line alone; objects and arrays get a diff.
fn is_structured(value: &Option<Value>) -> bool {
    matches!(value, Some(Value::Object(_) | Value::Array(_)))
}

fn check_log(
    field: &str,
    expected: &LogExpectation,
    log: &str,
    captures: &mut Captures,
    mismatches: &mut Vec<Mismatch>,
) {
    let lines: Vec<Value> = log.lines().map(|l| Value::String(l.to_owned())).collect();
    let mut next = 0;
    for (i, matcher) in expected.contains.iter().enumerate() {
        match (next..lines.len()).find(|&at| matcher.is_satisfied(Some(&lines[at]), captures)) {
            Some(at) => next = at + 1,
            None => {
                mismatches.push(Mismatch {
                    path: format!("{field}.contains[{i}]"),
                    expected: format!("a line matching {} after line {next}", matcher.to_value()),
                    actual: format!(
                        "none among the {} lines after it",
                        lines.len() - next.min(lines.len())
                    ),
                });
                break;
            }
        }
    }
    for (i, matcher) in expected.not_contains.iter().enumerate() {
        if let Some(at) = lines
            .iter()
            .position(|line| matcher.is_satisfied(Some(line), &mut captures.clone()))
        {
            mismatches.push(Mismatch {
                path: format!("{field}.not_contains[{i}]"),
                expected: format!("no line matching {}", matcher.to_value()),
                actual: format!("line {}: {}", at + 1, lines[at]),
            });
        }
    }
    if let Some(max) = expected.max_bytes
        && log.len() as u64 > max
    {
        mismatches.push(Mismatch {
            path: format!("{field}.max_bytes"),
            expected: format!("at most {max} bytes"),
            actual: format!("{} bytes", log.len()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn function_names_are_valid_and_unique() {
        let long = "area::".to_owned() + &"very-long-case-name-".repeat(10);
        for id in ["handler::callback-echo", &long, "a::b"] {
            let name = function_name(id);
            assert!(name.len() <= 60, "{name}");
            assert!(name.starts_with("fgc-"));
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}"
            );
            assert!(name.chars().last().unwrap().is_ascii_alphanumeric());
            assert_ne!(name, function_name(id));
        }
    }

    fn log_expectation(value: Value) -> LogExpectation {
        let compile = |key: &str| {
            value[key]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|m| Matcher::compile(m, key).unwrap())
                        .collect()
                })
                .unwrap_or_default()
        };
        LogExpectation {
            contains: compile("contains"),
            not_contains: compile("not_contains"),
            max_bytes: value["max_bytes"].as_u64(),
        }
    }

    #[test]
    fn log_contains_is_an_ordered_subsequence() {
        let log = "Start invoke request 'r'\nhello\nworld\nFinish invoke request 'r'";
        let mut captures = Captures::default();
        let mut out = Vec::new();
        let ordered = log_expectation(
            json!({"contains": [{"$prefix": "Start"}, "world", {"$prefix": "Finish"}]}),
        );
        check_log("log", &ordered, log, &mut captures, &mut out);
        assert!(out.is_empty(), "{out:?}");
        let reversed = log_expectation(json!({"contains": ["world", "hello"]}));
        check_log("log", &reversed, log, &mut captures, &mut out);
        assert_eq!(out.len(), 1);
        let forbidden = log_expectation(json!({"not_contains": ["hello"], "max_bytes": 10}));
        out.clear();
        check_log("log", &forbidden, log, &mut captures, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
    }
}
