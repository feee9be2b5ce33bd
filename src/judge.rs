//! One answer against its expectation: observe it, check every expected key, and gather the
//! evidence of what did not hold. `Ok(None)`: everything held.

use serde_json::Value;

use crate::expect::Expected;
use crate::matcher::Captures;
use crate::observe::Observation;
use crate::verdict::Evidence;
use crate::wire::{ProtocolError, Reply, RequestVersion};

/// An invoke's answer, asked with `version`, with the telemetry events filed for it.
pub fn invoke(
    expected: &Expected,
    reply: &Reply,
    version: RequestVersion,
    telemetry: Vec<Value>,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let (observation, mut mismatches) =
        Observation::of_invoke(reply, expected.admits_any_status(), version, telemetry)?;
    let diffs = expected.check(&observation, captures, &mut mismatches);
    if mismatches.is_empty() {
        return Ok(None);
    }
    Ok(Some(Evidence {
        log: observation.log_excerpt(),
        request_id: observation.request_id,
        mismatches,
        diffs,
    }))
}

/// Whether the expectation's telemetry keys hold for an invoke's answer with these events; an
/// answer too broken to observe counts as holding, as waiting cannot mend it.
pub fn telemetry_holds(
    expected: &Expected,
    reply: &Reply,
    version: RequestVersion,
    telemetry: &[Value],
    captures: &Captures,
) -> bool {
    match Observation::of_invoke(
        reply,
        expected.admits_any_status(),
        version,
        telemetry.to_vec(),
    ) {
        Ok((observation, _)) => expected.events_hold(&observation, captures),
        Err(_) => true,
    }
}

/// A CreateFunction or DeleteFunction answer (`call`).
pub fn api_call(
    call: &'static str,
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let observation = Observation::of_function_call(call, reply, expected.admits_any_status())?;
    observed(expected, observation, captures)
}

/// A CreateDependencyVersion or DeleteDependencyVersion answer (`call`).
pub fn dependency_call(
    call: &'static str,
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let observation = Observation::of_dependency_call(call, reply, expected.admits_any_status())?;
    observed(expected, observation, captures)
}

/// An asynchronous invoke's answer.
pub fn async_invoke(
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let observation = Observation::of_async_invoke(reply, expected.admits_any_status())?;
    observed(expected, observation, captures)
}

/// ListAsyncInvocations' answer, with the record of the call it was asked about.
pub fn async_outcome(
    expected: &Expected,
    reply: &Reply,
    invocation: Option<Value>,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let observation =
        Observation::of_async_outcome(reply, invocation, expected.admits_any_status())?;
    observed(expected, observation, captures)
}

/// A page of ListAsyncInvocations or ListFunctions (`call`).
pub fn list(
    call: &'static str,
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let observation = Observation::of_list(call, reply, expected.admits_any_status())?;
    observed(expected, observation, captures)
}

/// The mismatches of an observed API answer, as evidence (no log: an API answer has none).
fn observed(
    expected: &Expected,
    observation: Observation,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let mut mismatches = Vec::new();
    let diffs = expected.check(&observation, captures, &mut mismatches);
    if mismatches.is_empty() {
        return Ok(None);
    }
    Ok(Some(Evidence {
        request_id: observation.request_id,
        mismatches,
        diffs,
        log: String::new(),
    }))
}
