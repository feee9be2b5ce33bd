//! Running one step against the deployed function: an invoke (or several at once), an
//! asynchronous invoke and the wait for its outcome, CreateFunction or DeleteFunction again, a
//! listing, or a dependency step (`dependency_step`),
//! each answer judged against the step's expectation, with the telemetry events filed for it
//! (waited for when the step expects them).

use std::time::{Duration, Instant};

use crate::case::{Action, DeleteUrn, Step};
use crate::dependency_step::Versions;
use crate::judge;
use crate::matcher::Captures;
use crate::telemetry::TrialTelemetry;
use crate::verdict::Evidence;
use crate::wire::{Client, CreateFunctionRequest, ProtocolError, Reply, unversioned_urn};

/// What a step did and found.
#[derive(Debug)]
pub struct StepOutcome {
    /// `Ok(None)`: every expectation held; `Ok(Some)`: what differed; `Err`: the target broke
    /// the protocol.
    pub result: Result<Option<Evidence>, ProtocolError>,
    /// The request id of each invoke answered, in call order.
    pub request_ids: Vec<String>,
    /// The node the (first) invoke's answer said it ran on.
    pub node_version: Option<String>,
}

impl StepOutcome {
    fn of(result: Result<Option<Evidence>, ProtocolError>) -> StepOutcome {
        StepOutcome {
            result,
            request_ids: Vec::new(),
            node_version: None,
        }
    }
}

/// How long a step's calls and its telemetry may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Each invoke.
    pub invoke: Duration,
    /// The wait, after the answers, for the telemetry events the step expects.
    pub telemetry_wait: Duration,
}

/// How often ListAsyncInvocations is asked while an asynchronous call has not ended.
const ASYNC_POLL: Duration = Duration::from_millis(200);

/// The deployed function a step acts on.
#[derive(Debug, Clone, Copy)]
pub struct Deployed<'a> {
    /// The CreateFunction request that created it.
    pub request: &'a CreateFunctionRequest,
    pub func_urn: &'a str,
    /// The request id the last `invoke-async` step's answer named.
    pub async_request: Option<&'a str>,
}

/// Runs `step` against the `deployed` function, or the trial's dependency `versions`, within
/// `limits`. `telemetry` is the trial's, when its function subscribes to any.
pub async fn run_step(
    client: &Client,
    deployed: &Deployed<'_>,
    versions: &mut Versions<'_>,
    step: &Step,
    limits: Limits,
    captures: &mut Captures,
    telemetry: Option<&mut TrialTelemetry>,
) -> StepOutcome {
    let Deployed {
        request, func_urn, ..
    } = *deployed;
    match step.action {
        Action::Invoke => match send(client, func_urn, step, limits.invoke).await {
            Ok(replies) => {
                judge_invokes(step, &replies, captures, telemetry, limits.telemetry_wait).await
            }
            Err(error) => StepOutcome::of(Err(error)),
        },
        Action::Create => StepOutcome::of(match client.create_function(request).await {
            Ok(reply) => judge::api_call("CreateFunction", &step.expected, &reply, captures),
            Err(error) => Err(error),
        }),
        Action::Delete => StepOutcome::of(match delete(client, func_urn, step.urn).await {
            Ok(reply) => judge::api_call("DeleteFunction", &step.expected, &reply, captures),
            Err(error) => Err(error),
        }),
        Action::InvokeAsync => match client.invoke_async(func_urn, &step.event).await {
            Ok(reply) => {
                let mut outcome =
                    StepOutcome::of(judge::async_invoke(&step.expected, &reply, captures));
                outcome.request_ids.extend(reply.async_request_id());
                outcome
            }
            Err(error) => StepOutcome::of(Err(error)),
        },
        Action::AsyncOutcome => {
            StepOutcome::of(async_outcome(client, deployed, step, limits.invoke, captures).await)
        }
        Action::ListAsync => StepOutcome::of(
            match client
                .list_async_invocations_where(func_urn, &step.query)
                .await
            {
                Ok(reply) => judge::list("ListAsyncInvocations", &step.expected, &reply, captures),
                Err(error) => Err(error),
            },
        ),
        Action::CreateDependency => StepOutcome::of(versions.create(client, step, captures).await),
        Action::DeleteDependency => StepOutcome::of(versions.delete(client, step, captures).await),
        Action::ListFunctions => {
            StepOutcome::of(match client.list_functions_where(&step.query).await {
                Ok(reply) => judge::list("ListFunctions", &step.expected, &reply, captures),
                Err(error) => Err(error),
            })
        }
    }
}

/// DeleteFunction of the whole function, or of its latest version by name.
async fn delete(client: &Client, func_urn: &str, urn: DeleteUrn) -> Result<Reply, ProtocolError> {
    match urn {
        DeleteUrn::Function => client.delete_function(func_urn).await,
        DeleteUrn::Latest => {
            let latest = format!("{}:latest", unversioned_urn(func_urn));
            client.delete_function_urn(&latest).await
        }
    }
}

/// Asks ListAsyncInvocations for the last asynchronous call until its record says it ended
/// (SUCCESS, FAIL or DISCARD) or `wait` is up, then judges the last answer: a call still
/// waiting or running then is what the expectation sees. A step that does not wait for the end
/// judges the first answer.
async fn async_outcome(
    client: &Client,
    deployed: &Deployed<'_>,
    step: &Step,
    wait: Duration,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let request_id = deployed.async_request.ok_or(ProtocolError::Missing {
        call: "AsyncInvokeFunction",
        what: "a request_id in its body, so the call's outcome cannot be asked for",
    })?;
    let until = Instant::now() + wait;
    loop {
        let reply = client
            .list_async_invocations(deployed.func_urn, request_id)
            .await?;
        let record = if reply.is_success() {
            reply.async_invocation(request_id)?
        } else {
            None
        };
        let ended = record.as_ref().is_some_and(|record| {
            matches!(
                record["status"].as_str(),
                Some("SUCCESS" | "FAIL" | "DISCARD")
            )
        });
        if ended
            || !step.wait_for_end
            || !reply.is_success()
            || Instant::now() + ASYNC_POLL >= until
        {
            return judge::async_outcome(&step.expected, &reply, record, captures);
        }
        tokio::time::sleep(ASYNC_POLL).await;
    }
}

/// Sends the step's `concurrent` identical invokes at once; answers the replies in call order.
async fn send(
    client: &Client,
    func_urn: &str,
    step: &Step,
    timeout: Duration,
) -> Result<Vec<Reply>, ProtocolError> {
    let uncredentialed;
    let client = if step.credentials {
        client
    } else {
        uncredentialed = client.without_credentials();
        &uncredentialed
    };
    if step.concurrent == 1 {
        let reply = client
            .invoke(
                func_urn,
                &step.event,
                step.log_tail,
                step.request_version,
                timeout,
            )
            .await?;
        return Ok(vec![reply]);
    }
    let mut calls = tokio::task::JoinSet::new();
    for call in 0..step.concurrent {
        let client = client.clone();
        let func_urn = func_urn.to_owned();
        let event = step.event.clone();
        let log_tail = step.log_tail;
        let version = step.request_version;
        calls.spawn(async move {
            (
                call,
                client
                    .invoke(&func_urn, &event, log_tail, version, timeout)
                    .await,
            )
        });
    }
    let mut replies = Vec::new();
    while let Some(joined) = calls.join_next().await {
        match joined {
            Ok((call, reply)) => replies.push((call, reply?)),
            Err(e) => {
                return Err(ProtocolError::Transport {
                    call: "InvokeFunction",
                    message: format!("the harness task sending it failed: {e}"),
                });
            }
        }
    }
    replies.sort_by_key(|(call, _)| *call);
    Ok(replies.into_iter().map(|(_, reply)| reply).collect())
}

/// Judges every answer of an invoke step, each with its telemetry; captures carry on from the
/// first answer.
async fn judge_invokes(
    step: &Step,
    replies: &[Reply],
    captures: &mut Captures,
    telemetry: Option<&mut TrialTelemetry>,
    telemetry_wait: Duration,
) -> StepOutcome {
    let calls: Vec<Option<String>> = replies
        .iter()
        .map(|reply| reply.request_id().map(str::to_owned))
        .collect();
    let events = match telemetry {
        Some(telemetry) => {
            telemetry.answered(&calls);
            if step.expected.awaits_events() {
                let expected = &step.expected;
                let captures = &*captures;
                telemetry
                    .wait(&calls, telemetry_wait, |events| {
                        replies.iter().zip(events).all(|(reply, events)| {
                            judge::telemetry_holds(
                                expected,
                                reply,
                                step.request_version,
                                events,
                                captures,
                            )
                        })
                    })
                    .await
            } else {
                telemetry.events(&calls)
            }
        }
        None => vec![Vec::new(); replies.len()],
    };
    let mut outcome = StepOutcome {
        request_ids: calls.into_iter().flatten().collect(),
        node_version: replies
            .first()
            .and_then(Reply::node_version)
            .map(str::to_owned),
        result: Ok(None),
    };
    let mut first_captures = None;
    for (call, (reply, events)) in replies.iter().zip(events).enumerate() {
        let mut own = captures.clone();
        match judge::invoke(
            &step.expected,
            reply,
            step.request_version,
            events,
            &mut own,
        ) {
            Ok(None) => {
                first_captures.get_or_insert(own);
            }
            Ok(Some(mut evidence)) => {
                let n = replies.len();
                if n > 1 {
                    for mismatch in &mut evidence.mismatches {
                        mismatch.path = format!("call {} of {n}: {}", call + 1, mismatch.path);
                    }
                }
                outcome.result = Ok(Some(evidence));
                return outcome;
            }
            Err(error) => {
                outcome.result = Err(error);
                return outcome;
            }
        }
    }
    if let Some(first) = first_captures {
        *captures = first;
    }
    outcome
}
