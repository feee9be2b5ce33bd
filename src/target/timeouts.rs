//! A target's time limits, the descriptor's `[timeouts]` table: how long deploying, an API call,
//! a cold and a warm invoke, and the wait for telemetry may take. A target on this machine gets
//! the local defaults, one elsewhere (a region, a URL off loopback) the remote ones.

use std::time::Duration;

use serde::Deserialize;

/// The time limits of one target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Allowance in a trial's deadline for packaging, creating and checking the function.
    pub deploy: Duration,
    /// Each API call but an invoke (CreateFunction, GetFunctionConfig, deletes, dependency
    /// versions); also each dependency version's allowance in a trial's deadline.
    pub api_call: Duration,
    /// Allowance over the function's own timeouts for an invoke that may start an instance: a
    /// trial's first invoke, one after `pause = "idle"`, and `concurrent` ones.
    pub cold_invoke: Duration,
    /// Allowance over the function's own timeouts for any other invoke.
    pub warm_invoke: Duration,
    /// How long to wait, after a step's answers, for the telemetry events it expects.
    pub telemetry_wait: Duration,
}

impl Timeouts {
    /// A target on this machine (embedded, a command, a loopback URL).
    pub const LOCAL: Timeouts = Timeouts {
        deploy: Duration::from_secs(60),
        api_call: Duration::from_secs(30),
        cold_invoke: Duration::from_secs(10),
        warm_invoke: Duration::from_secs(10),
        telemetry_wait: Duration::from_secs(5),
    };

    /// A target elsewhere: a cold start takes seconds, each call crosses a network, and
    /// telemetry comes back over it.
    pub const REMOTE: Timeouts = Timeouts {
        deploy: Duration::from_secs(180),
        api_call: Duration::from_secs(60),
        cold_invoke: Duration::from_secs(30),
        warm_invoke: Duration::from_secs(15),
        telemetry_wait: Duration::from_secs(30),
    };
}

/// `[timeouts]` as written: seconds, each optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Table {
    deploy: Option<f64>,
    api_call: Option<f64>,
    cold_invoke: Option<f64>,
    warm_invoke: Option<f64>,
    telemetry_wait: Option<f64>,
}

/// The limits `table` sets over `defaults`; an error names the bad key.
pub(super) fn resolve(table: Option<&Table>, defaults: Timeouts) -> Result<Timeouts, String> {
    let Some(table) = table else {
        return Ok(defaults);
    };
    let pick = |key: &str, value: Option<f64>, default: Duration| match value {
        None => Ok(default),
        Some(seconds) if seconds.is_finite() && (0.1..=3600.0).contains(&seconds) => {
            Ok(Duration::from_secs_f64(seconds))
        }
        Some(seconds) => Err(format!(
            "`timeouts.{key}` is {seconds} seconds; give 0.1 to 3600"
        )),
    };
    Ok(Timeouts {
        deploy: pick("deploy", table.deploy, defaults.deploy)?,
        api_call: pick("api_call", table.api_call, defaults.api_call)?,
        cold_invoke: pick("cold_invoke", table.cold_invoke, defaults.cold_invoke)?,
        warm_invoke: pick("warm_invoke", table.warm_invoke, defaults.warm_invoke)?,
        telemetry_wait: pick(
            "telemetry_wait",
            table.telemetry_wait,
            defaults.telemetry_wait,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_overrides_the_defaults_key_by_key() {
        let table: Table = toml::from_str("deploy = 90\ntelemetry_wait = 2.5\n").unwrap();
        let limits = resolve(Some(&table), Timeouts::REMOTE).unwrap();
        assert_eq!(limits.deploy, Duration::from_secs(90));
        assert_eq!(limits.telemetry_wait, Duration::from_millis(2500));
        assert_eq!(limits.cold_invoke, Timeouts::REMOTE.cold_invoke);
        assert_eq!(resolve(None, Timeouts::LOCAL).unwrap(), Timeouts::LOCAL);
        let zero: Table = toml::from_str("warm_invoke = 0\n").unwrap();
        let error = resolve(Some(&zero), Timeouts::LOCAL).unwrap_err();
        assert!(
            error.contains("`timeouts.warm_invoke` is 0 seconds"),
            "{error}"
        );
    }
}
