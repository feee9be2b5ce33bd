//! One answer against its expectation: observe it, check every expected key, and gather the
//! evidence of what did not hold. `Ok(None)`: everything held.

use crate::expect::Expected;
use crate::matcher::Captures;
use crate::observe::Observation;
use crate::verdict::Evidence;
use crate::wire::{ProtocolError, Reply};

/// An invoke's answer.
pub fn invoke(
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let (observation, mut mismatches) =
        Observation::of_invoke(reply, expected.admits_any_status())?;
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

/// A CreateFunction or DeleteFunction answer (`call`).
pub fn api_call(
    call: &'static str,
    expected: &Expected,
    reply: &Reply,
    captures: &mut Captures,
) -> Result<Option<Evidence>, ProtocolError> {
    let observation = Observation::of_api_call(call, reply, expected.admits_any_status())?;
    let mut mismatches = Vec::new();
    let diffs = expected.check(&observation, captures, &mut mismatches);
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
