//! A place for a new instance under the function's `max_instance_num` and the platform's cap,
//! making room by stopping another function's longest-idle instance when only the platform's
//! cap is in the way.

use crate::{
    error::FssError,
    instance::{Full, Slot},
    platform::Platform,
    registry::Function,
};

/// Reserves a slot for a new instance of `function`, or answers 429 `FSS.0429` (PROTOCOL.md §4,
/// "Instance limits").
pub(super) async fn reserve(platform: &Platform, function: &Function) -> Result<Slot, FssError> {
    loop {
        match Slot::reserve(&function.instances, &platform.instance_quota) {
            Ok(slot) => return Ok(slot),
            Err(Full::Function(0)) => {
                return Err(FssError::TooManyInstances(format!(
                    "function {} is disabled (max_instance_num 0): it runs no instances",
                    function.model.func_urn
                )));
            }
            Err(Full::Function(limit)) => {
                return Err(FssError::TooManyInstances(format!(
                    "function {} already runs its max_instance_num of {limit} instances, all busy; retry later or raise max_instance_num",
                    function.model.func_urn
                )));
            }
            Err(Full::Platform(limit)) => {
                // An idle instance of any function gives its place up; only busy ones refuse.
                let idlest = platform
                    .registry
                    .all()
                    .into_iter()
                    .filter_map(|f| f.longest_idle_since().map(|since| (since, f)))
                    .min_by_key(|(since, _)| *since);
                let evicted = idlest.and_then(|(_, f)| f.take_longest_idle());
                match evicted {
                    Some(instance) => instance.stop().await,
                    None => {
                        return Err(FssError::TooManyInstances(format!(
                            "fgref already runs its limit of {limit} instances, all busy; retry later or start fgref with a larger --max-instances"
                        )));
                    }
                }
            }
        }
    }
}
