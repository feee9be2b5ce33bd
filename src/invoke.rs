//! Running one step against the deployed function: an invoke (or several at once), or
//! CreateFunction or DeleteFunction again, each answer judged against the step's expectation.

use std::time::Duration;

use crate::case::{Action, Step};
use crate::judge;
use crate::matcher::Captures;
use crate::verdict::Evidence;
use crate::wire::{Client, CreateFunctionRequest, ProtocolError, Reply};

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

/// Runs `step` against the function `func_urn`, created by `request`; every invoke may take
/// `timeout`.
pub async fn run_step(
    client: &Client,
    request: &CreateFunctionRequest,
    func_urn: &str,
    step: &Step,
    timeout: Duration,
    captures: &mut Captures,
) -> StepOutcome {
    match step.action {
        Action::Invoke if step.concurrent > 1 => {
            invoke_concurrently(client, func_urn, step, timeout, captures).await
        }
        Action::Invoke => {
            match client
                .invoke(func_urn, &step.event, step.log_tail, timeout)
                .await
            {
                Ok(reply) => StepOutcome {
                    request_ids: request_ids([&reply]),
                    node_version: reply.node_version().map(str::to_owned),
                    result: judge::invoke(&step.expected, &reply, captures),
                },
                Err(error) => StepOutcome::of(Err(error)),
            }
        }
        Action::Create => StepOutcome::of(match client.create_function(request).await {
            Ok(reply) => judge::api_call("CreateFunction", &step.expected, &reply, captures),
            Err(error) => Err(error),
        }),
        Action::Delete => StepOutcome::of(match client.delete_function(func_urn).await {
            Ok(reply) => judge::api_call("DeleteFunction", &step.expected, &reply, captures),
            Err(error) => Err(error),
        }),
    }
}

/// Sends `step.concurrent` identical invokes at once and checks every answer; captures carry on
/// from the first.
async fn invoke_concurrently(
    client: &Client,
    func_urn: &str,
    step: &Step,
    timeout: Duration,
    captures: &mut Captures,
) -> StepOutcome {
    let mut calls = tokio::task::JoinSet::new();
    for call in 0..step.concurrent {
        let client = client.clone();
        let func_urn = func_urn.to_owned();
        let event = step.event.clone();
        let log_tail = step.log_tail;
        calls.spawn(async move {
            (
                call,
                client.invoke(&func_urn, &event, log_tail, timeout).await,
            )
        });
    }
    let mut replies = Vec::new();
    while let Some(joined) = calls.join_next().await {
        let reply = match joined {
            Ok((call, Ok(reply))) => (call, reply),
            Ok((_, Err(error))) => return StepOutcome::of(Err(error)),
            Err(e) => {
                return StepOutcome::of(Err(ProtocolError::Transport {
                    call: "InvokeFunction",
                    message: format!("the harness task sending it failed: {e}"),
                }));
            }
        };
        replies.push(reply);
    }
    replies.sort_by_key(|(call, _)| *call);
    let mut outcome = StepOutcome {
        request_ids: request_ids(replies.iter().map(|(_, reply)| reply)),
        node_version: replies
            .first()
            .and_then(|(_, reply)| reply.node_version())
            .map(str::to_owned),
        result: Ok(None),
    };
    let mut first_captures = None;
    for (call, reply) in &replies {
        let mut own = captures.clone();
        match judge::invoke(&step.expected, reply, &mut own) {
            Ok(None) => {
                first_captures.get_or_insert(own);
            }
            Ok(Some(mut evidence)) => {
                let n = step.concurrent;
                for mismatch in &mut evidence.mismatches {
                    mismatch.path = format!("call {} of {n}: {}", call + 1, mismatch.path);
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

fn request_ids<'a>(replies: impl IntoIterator<Item = &'a Reply>) -> Vec<String> {
    replies
        .into_iter()
        .filter_map(|reply| reply.request_id().map(str::to_owned))
        .collect()
}
