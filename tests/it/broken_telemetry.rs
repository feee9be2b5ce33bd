//! Deliberately broken platforms for extensions and telemetry: fgref with one fault switched on
//! (`FGREF_TELEMETRY_FAULT`, fgref's `fault` module, in this build only: the dev-dependency turns
//! on its `self-test-faults` feature), the way a FunctionGraph look-alike might
//! get the extension or Telemetry API wrong. These behaviours live inside the platform's
//! instances, out of reach of the proxy in `platforms.rs`. The suite's extension and telemetry
//! cases must fail exactly the listed ones and pass every other of their areas and a sample of
//! the rest (`support::affected_corpus`).

use crate::support::selftest;
use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::{affected_corpus, fails_exactly, fgconform, release_missing};

pub struct BrokenTelemetry {
    /// The fault's name in `fgref::TelemetryFault::ALL`.
    pub fault: &'static str,
    /// Case ids (`area::case`) that must fail; every other extension or telemetry case must pass.
    pub fails: &'static [&'static str],
}

pub const BROKEN_TELEMETRY: &[BrokenTelemetry] = &[
    BrokenTelemetry {
        fault: "no-init-events",
        fails: &[
            "telemetry::cold-call-events",
            "telemetry::init-report",
            "telemetry::init-runtime-done",
            "telemetry::init-start",
        ],
    },
    BrokenTelemetry {
        fault: "init-events-every-call",
        fails: &["telemetry::warm-call-no-init-events"],
    },
    BrokenTelemetry {
        fault: "aws-runtime-done-casing",
        fails: &[
            "telemetry::call-events",
            "telemetry::failed-call-events",
            "telemetry::platform-subscription-no-function-events",
            "telemetry::runtime-done-event",
            "telemetry::timeout-call-events",
            "telemetry::warm-call-no-init-events",
        ],
    },
    BrokenTelemetry {
        fault: "untagged-function-lines",
        fails: &["telemetry::function-untagged-not-sent"],
    },
    BrokenTelemetry {
        fault: "untagged-extension-lines",
        fails: &["telemetry::extension-untagged-not-sent"],
    },
    BrokenTelemetry {
        fault: "trace-id-not-request-id",
        fails: &[
            "telemetry::failed-call-events",
            "telemetry::report-event",
            "telemetry::runtime-done-event",
            "telemetry::start-event",
            "telemetry::timeout-call-events",
            "telemetry::traceid-per-call",
        ],
    },
    BrokenTelemetry {
        fault: "no-report",
        fails: &[
            "telemetry::call-events",
            "telemetry::failed-call-events",
            "telemetry::platform-subscription-no-function-events",
            "telemetry::report-event",
            "telemetry::report-memory",
            "telemetry::timeout-call-events",
            "telemetry::traceid-per-call",
            "telemetry::warm-call-no-init-events",
        ],
    },
    BrokenTelemetry {
        fault: "wrong-memory-size",
        fails: &["telemetry::init-report", "telemetry::report-memory"],
    },
    BrokenTelemetry {
        fault: "invoke-events-never-sent",
        fails: &[
            "extensions::invoke-event-each-call",
            "extensions::invoke-event-each-extension",
            "extensions::invoke-event-function-urn",
        ],
    },
    BrokenTelemetry {
        fault: "register-accepts-any-port",
        fails: &["extensions::register-port-outside-range"],
    },
    BrokenTelemetry {
        fault: "register-without-name",
        fails: &["extensions::register-missing-name"],
    },
    BrokenTelemetry {
        fault: "eleventh-extension-accepted",
        fails: &["extensions::register-eleventh-refused"],
    },
    BrokenTelemetry {
        fault: "second-subscription-accepted",
        fails: &["telemetry::subscribe-second-subscription"],
    },
    BrokenTelemetry {
        fault: "events-delivered-after-next-call",
        fails: &[
            "extensions::register-eleventh-refused",
            "telemetry::call-events",
            "telemetry::extension-tagged-line",
            "telemetry::extension-untagged-not-sent",
            "telemetry::failed-call-events",
            "telemetry::function-tagged-line",
            "telemetry::function-untagged-not-sent",
            "telemetry::cold-call-events",
            "telemetry::init-report",
            "telemetry::init-runtime-done",
            "telemetry::init-start",
            "telemetry::platform-subscription-no-function-events",
            "telemetry::report-event",
            "telemetry::report-memory",
            "telemetry::runtime-done-event",
            "telemetry::start-event",
            "telemetry::timeout-call-events",
            "telemetry::traceid-per-call",
            "telemetry::warm-call-no-init-events",
        ],
    },
    BrokenTelemetry {
        fault: "subscription-any-protocol",
        fails: &["telemetry::subscribe-protocol-not-post"],
    },
];

pub fn trials() -> Vec<Trial> {
    BROKEN_TELEMETRY
        .iter()
        .map(|broken| {
            let name = format!("selftest::broken-platform::{}", broken.fault);
            match fgref::node::resolve("Node.js20.15", fgref::node::default_cache().as_deref()) {
                Ok(_) => selftest(name, move || check(broken)),
                Err(error) => release_missing(name, "Node.js20.15", error),
            }
        })
        .collect()
}

fn check(broken: &BrokenTelemetry) -> Result<(), Failed> {
    if !fgref::fault_names().any(|name| name == broken.fault) {
        return Err(format!("fgref has no fault named {}", broken.fault).into());
    }
    // The areas of the cases it must fail, whole, and a sample of the other extension and
    // telemetry cases (the `--feature` flags below choose those).
    let corpus = affected_corpus(broken.fault, broken.fails, |_| true)?;
    let args = [
        "--cases",
        corpus.path().to_str().ok_or("temp path is not UTF-8")?,
        "--runtime",
        "Node.js20.15",
        "--feature",
        "telemetry",
        "--feature",
        "extensions",
        "--format",
        "json",
        "--test-threads",
        "4",
    ];
    let output = fgconform(
        &args,
        &[(fgref::TELEMETRY_FAULT_VAR, Path::new(broken.fault))],
    );
    fails_exactly(
        &output,
        broken.fails,
        &format!("broken platform `{}`", broken.fault),
    )
}

/// Every fault fgref knows has a broken platform here, so none is left unproven.
pub fn every_fault_is_proven() -> Trial {
    selftest(
        "selftest::broken-platform::every-telemetry-fault-is-listed",
        || {
            let mut listed: Vec<&str> = BROKEN_TELEMETRY.iter().map(|b| b.fault).collect();
            // Faults whose subject runs only the cases it can affect (tests/it/subjects.rs).
            listed.extend(
                crate::subjects::FGREF_SUBJECTS
                    .iter()
                    .filter_map(|s| match s.kind {
                        crate::subjects::Break::Fgref(fault) => Some(fault),
                        _ => None,
                    }),
            );
            let missing: Vec<&str> = fgref::fault_names()
                .filter(|name| !listed.contains(name))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("faults without a broken platform: {missing:?}").into())
            }
        },
    )
}
