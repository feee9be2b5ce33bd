//! Deliberately broken platforms for extensions and telemetry: fgref with one fault switched on
//! (`FGREF_TELEMETRY_FAULT`, fgref's `fault` module, in this build only: the dev-dependency turns
//! on its `self-test-faults` feature), the way a FunctionGraph look-alike might
//! get the extension or Telemetry API wrong. These behaviours live inside the platform's
//! instances, out of reach of the proxy in `platforms.rs`. The suite's extension and telemetry
//! cases must fail exactly the listed ones and pass every other of their areas and a sample of
//! the rest (`support::affected_corpus`).

use crate::subject::{Kind, Subject};

pub const BROKEN_TELEMETRY: &[Subject] = &[
    Subject {
        name: "no-init-events",
        breaks: "no `platform.init*` events",
        kind: Kind::Fgref("no-init-events"),
        fails: &[
            "telemetry::cold-call-events",
            "telemetry::init-report",
            "telemetry::init-runtime-done",
            "telemetry::init-start",
            "telemetry::success-status",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "init-events-every-call",
        breaks: "`platform.init*` events on warm calls too",
        kind: Kind::Fgref("init-events-every-call"),
        fails: &["telemetry::warm-call-no-init-events"],
        ..Subject::BASE
    },
    Subject {
        name: "aws-runtime-done-casing",
        breaks: "`platform.runtimeDone`, AWS's casing",
        kind: Kind::Fgref("aws-runtime-done-casing"),
        fails: &[
            "telemetry::call-events",
            "telemetry::failed-call-events",
            "telemetry::platform-subscription-no-function-events",
            "telemetry::runtime-done-event",
            "telemetry::success-status",
            "telemetry::timeout-call-events",
            "telemetry::warm-call-no-init-events",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "untagged-function-lines",
        breaks: "every line of the function's output becomes a `function` event",
        kind: Kind::Fgref("untagged-function-lines"),
        fails: &["telemetry::function-untagged-not-sent"],
        ..Subject::BASE
    },
    Subject {
        name: "untagged-extension-lines",
        breaks: "every line of an extension's output becomes an `extension` event",
        kind: Kind::Fgref("untagged-extension-lines"),
        fails: &["telemetry::extension-untagged-not-sent"],
        ..Subject::BASE
    },
    Subject {
        name: "trace-id-not-request-id",
        breaks: "platform events carry a fresh UUID instead of the request id",
        kind: Kind::Fgref("trace-id-not-request-id"),
        fails: &[
            "telemetry::failed-call-events",
            "telemetry::report-billing-rounds-up",
            "telemetry::report-event",
            "telemetry::runtime-done-event",
            "telemetry::start-event",
            "telemetry::subscribe-localhost",
            "telemetry::success-status",
            "telemetry::timeout-call-events",
            "telemetry::traceid-per-call",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "no-report",
        breaks: "no `platform.report`",
        kind: Kind::Fgref("no-report"),
        fails: &[
            "telemetry::call-events",
            "telemetry::failed-call-events",
            "telemetry::platform-subscription-no-function-events",
            "telemetry::report-billing-rounds-up",
            "telemetry::report-event",
            "telemetry::report-memory",
            "telemetry::success-status",
            "telemetry::timeout-call-events",
            "telemetry::traceid-per-call",
            "telemetry::warm-call-no-init-events",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "wrong-memory-size",
        breaks: "`memorySize` twice the configured size",
        kind: Kind::Fgref("wrong-memory-size"),
        fails: &["telemetry::init-report", "telemetry::report-memory"],
        ..Subject::BASE
    },
    Subject {
        name: "invoke-events-never-sent",
        breaks: "extensions are never told of calls",
        kind: Kind::Fgref("invoke-events-never-sent"),
        fails: &[
            "extensions::invoke-event-each-call",
            "extensions::invoke-event-each-extension",
            "extensions::invoke-event-function-urn",
            "extensions::unregistered-server-no-invoke-event",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "register-accepts-any-port",
        breaks: "register accepts any port",
        kind: Kind::Fgref("register-accepts-any-port"),
        fails: &["extensions::register-port-outside-range"],
        ..Subject::BASE
    },
    Subject {
        name: "register-without-name",
        breaks: "register accepts a request without `FunctionGraph-Extension-Name`",
        kind: Kind::Fgref("register-without-name"),
        fails: &["extensions::register-missing-name"],
        ..Subject::BASE
    },
    Subject {
        name: "eleventh-extension-accepted",
        breaks: "register accepts more than ten extensions",
        kind: Kind::Fgref("eleventh-extension-accepted"),
        fails: &["extensions::register-eleventh-refused"],
        ..Subject::BASE
    },
    Subject {
        name: "second-subscription-accepted",
        breaks: "a second telemetry subscription replaces the first",
        kind: Kind::Fgref("second-subscription-accepted"),
        fails: &["telemetry::subscribe-second-subscription"],
        ..Subject::BASE
    },
    Subject {
        name: "events-delivered-after-next-call",
        breaks: "a call's events are held back until the next call of the instance",
        kind: Kind::Fgref("events-delivered-after-next-call"),
        fails: &[
            "extensions::register-eleventh-refused",
            "telemetry::call-events",
            "telemetry::cold-call-events",
            "telemetry::extension-tagged-line",
            "telemetry::extension-untagged-not-sent",
            "telemetry::failed-call-events",
            "telemetry::function-tagged-line",
            "telemetry::function-untagged-not-sent",
            "telemetry::init-report",
            "telemetry::init-runtime-done",
            "telemetry::init-start",
            "telemetry::platform-subscription-no-function-events",
            "telemetry::report-billing-rounds-up",
            "telemetry::report-event",
            "telemetry::report-memory",
            "telemetry::runtime-done-event",
            "telemetry::start-event",
            "telemetry::success-status",
            "telemetry::timeout-call-events",
            "telemetry::traceid-per-call",
            "telemetry::warm-call-no-init-events",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "subscription-any-protocol",
        breaks: "a subscription with any `protocol` is accepted",
        kind: Kind::Fgref("subscription-any-protocol"),
        fails: &["telemetry::subscribe-protocol-not-post"],
        ..Subject::BASE
    },
    Subject {
        name: "subscription-refusal-without-message",
        breaks: "a refused subscription is answered 400 with an empty body",
        kind: Kind::Fgref("subscription-refusal-without-message"),
        fails: &["telemetry::subscribe-refusal-message"],
        ..Subject::BASE
    },
    Subject {
        name: "status-not-success",
        breaks: "a phase that succeeded is reported with status `ok`",
        kind: Kind::Fgref("status-not-success"),
        fails: &["telemetry::success-status"],
        ..Subject::BASE
    },
    Subject {
        name: "billing-100ms",
        breaks: "reports bill in 100 ms units",
        kind: Kind::Fgref("billing-100ms"),
        fails: &["telemetry::report-billing-rounds-up"],
        ..Subject::BASE
    },
    Subject {
        name: "localhost-is-ipv6",
        breaks: "a listener named `localhost` is sought on `::1`, not 127.0.0.1",
        kind: Kind::Fgref("localhost-is-ipv6"),
        fails: &["telemetry::subscribe-localhost"],
        ..Subject::BASE
    },
    Subject {
        name: "invoke-events-every-port",
        breaks: "invoke events go to every port of 8081-8090, registered or not",
        kind: Kind::Fgref("invoke-events-every-port"),
        fails: &["extensions::unregistered-server-no-invoke-event"],
        ..Subject::BASE
    },
    Subject {
        name: "runtime-before-extensions",
        breaks: "the language runtime, and with it the function's initialization code, starts before the extensions registered",
        kind: Kind::Fgref("runtime-before-extensions"),
        fails: &["extensions::registered-before-initializer"],
        ..Subject::BASE
    },
];
