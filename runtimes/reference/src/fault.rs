//! Deliberately broken extension and telemetry behaviours, and variants the documents allow, for
//! fgconform's self-tests only: fgconform must fail exactly the cases that check each broken one
//! (tests/it/broken_telemetry.rs) and pass every documented case on a variant.
//!
//! They exist only in a build with the `self-test-faults` feature, which fgconform's
//! dev-dependency on fgref turns on, so `cargo test` has them and a build of the product (`cargo
//! build`, `cargo install`) does not: there [`Faults`] is always empty, every [`Faults::has`] is
//! `false` at compile time, and nothing reads `FGREF_TELEMETRY_FAULT` or knows a fault's name.

/// The environment variable that switches one fault on.
#[cfg(feature = "self-test-faults")]
pub const TELEMETRY_FAULT_VAR: &str = "FGREF_TELEMETRY_FAULT";

/// One way to get extensions or telemetry wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "self-test-faults", derive(Debug))]
pub(crate) enum TelemetryFault {
    /// No `platform.init*` events.
    NoInitEvents,
    /// `platform.init*` events on warm calls too.
    InitEventsEveryCall,
    /// `platform.runtimeDone`, AWS's casing.
    AwsRuntimeDoneCasing,
    /// Every line of the function's output becomes a `function` event.
    UntaggedFunctionLines,
    /// Every line of an extension's output becomes an `extension` event.
    UntaggedExtensionLines,
    /// Platform events carry a fresh UUID instead of the request id.
    TraceIdNotRequestId,
    /// `platform.RuntimeDone` before `platform.start`: a variant the page allows (it gives no order).
    EventsOutOfOrder,
    /// No `platform.report`.
    NoReport,
    /// `memorySize` twice the configured size.
    WrongMemorySize,
    /// Extensions are never told of calls.
    InvokeEventsNeverSent,
    /// Register accepts any port.
    RegisterAcceptsAnyPort,
    /// Register accepts a request without `FunctionGraph-Extension-Name`.
    RegisterWithoutName,
    /// Register accepts more than ten extensions.
    EleventhExtensionAccepted,
    /// A second telemetry subscription replaces the first.
    SecondSubscriptionAccepted,
    /// A call's events are held back until the next call of the instance.
    EventsDeliveredAfterNextCall,
    /// Reports carry `metrics` only, not `reportMetrics`: a variant the page allows.
    MetricsOnly,
    /// Reports carry `reportMetrics` only, not `metrics`: a variant the page allows.
    ReportMetricsOnly,
    /// A subscription with any `protocol` is accepted.
    SubscriptionAnyProtocol,
    /// Every subscription is answered 200 (an invalid one is not kept).
    SubscriptionUnchecked,
    /// Every registration is answered 200 (an invalid one is not kept).
    RegisterUnchecked,
    /// A registration whose body is not JSON is refused.
    RegisterBodyParsed,
    /// A successful registration answers 200 with an empty body.
    RegisterAnswerEmpty,
    /// Extensions start without `EXTENSION_API_ADDR`.
    NoExtensionApiAddr,
    /// A refused subscription is answered 400 with an empty body.
    SubscriptionRefusalWithoutMessage,
    /// A phase that succeeded is reported with status `ok`.
    StatusNotSuccess,
    /// Reports bill in 100 ms units.
    Billing100Ms,
    /// A listener named `localhost` is sought on `::1`.
    LocalhostIsIpv6,
    /// Invoke events go to every port of 8081–8090, registered or not.
    InvokeEventsEveryPort,
    /// The language runtime (and its initializer) starts before the extensions registered.
    RuntimeBeforeExtensions,
}

/// The faults switched on for this platform: none, except in a self-test build whose
/// `FGREF_TELEMETRY_FAULT` names one.
#[derive(Clone, Copy, Default)]
pub(crate) struct Faults {
    #[cfg(feature = "self-test-faults")]
    on: Option<TelemetryFault>,
}

impl Faults {
    /// Whether `fault` is on; always `false` outside a self-test build.
    #[inline]
    pub(crate) fn has(self, fault: TelemetryFault) -> bool {
        #[cfg(feature = "self-test-faults")]
        {
            self.on == Some(fault)
        }
        #[cfg(not(feature = "self-test-faults"))]
        {
            let _ = fault;
            false
        }
    }

    /// The fault `FGREF_TELEMETRY_FAULT` names; an unknown name is an error that lists them.
    #[cfg(feature = "self-test-faults")]
    pub(crate) fn from_env() -> Result<Faults, String> {
        let on = match std::env::var(TELEMETRY_FAULT_VAR) {
            Err(_) => None,
            Ok(name) if name.is_empty() => None,
            Ok(name) => Some(TelemetryFault::from_name(&name).ok_or_else(|| {
                let names: Vec<&str> = TelemetryFault::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "{TELEMETRY_FAULT_VAR}={name} is not a fault; known: {}",
                    names.join(", ")
                )
            })?),
        };
        Ok(Faults { on })
    }
}

#[cfg(feature = "self-test-faults")]
impl TelemetryFault {
    const ALL: &[(&str, TelemetryFault)] = &[
        ("no-init-events", Self::NoInitEvents),
        ("init-events-every-call", Self::InitEventsEveryCall),
        ("aws-runtime-done-casing", Self::AwsRuntimeDoneCasing),
        ("untagged-function-lines", Self::UntaggedFunctionLines),
        ("untagged-extension-lines", Self::UntaggedExtensionLines),
        ("trace-id-not-request-id", Self::TraceIdNotRequestId),
        ("events-out-of-order", Self::EventsOutOfOrder),
        ("no-report", Self::NoReport),
        ("wrong-memory-size", Self::WrongMemorySize),
        ("invoke-events-never-sent", Self::InvokeEventsNeverSent),
        ("register-accepts-any-port", Self::RegisterAcceptsAnyPort),
        ("register-without-name", Self::RegisterWithoutName),
        (
            "eleventh-extension-accepted",
            Self::EleventhExtensionAccepted,
        ),
        (
            "second-subscription-accepted",
            Self::SecondSubscriptionAccepted,
        ),
        (
            "events-delivered-after-next-call",
            Self::EventsDeliveredAfterNextCall,
        ),
        ("metrics-only", Self::MetricsOnly),
        ("report-metrics-only", Self::ReportMetricsOnly),
        ("subscription-any-protocol", Self::SubscriptionAnyProtocol),
        ("subscription-unchecked", Self::SubscriptionUnchecked),
        ("register-unchecked", Self::RegisterUnchecked),
        ("register-body-parsed", Self::RegisterBodyParsed),
        ("register-answer-empty", Self::RegisterAnswerEmpty),
        ("no-extension-api-addr", Self::NoExtensionApiAddr),
        (
            "subscription-refusal-without-message",
            Self::SubscriptionRefusalWithoutMessage,
        ),
        ("status-not-success", Self::StatusNotSuccess),
        ("billing-100ms", Self::Billing100Ms),
        ("localhost-is-ipv6", Self::LocalhostIsIpv6),
        ("invoke-events-every-port", Self::InvokeEventsEveryPort),
        ("runtime-before-extensions", Self::RuntimeBeforeExtensions),
    ];

    fn from_name(name: &str) -> Option<TelemetryFault> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

/// Every fault's name, as `FGREF_TELEMETRY_FAULT` takes it.
#[cfg(feature = "self-test-faults")]
pub fn fault_names() -> impl Iterator<Item = &'static str> {
    TelemetryFault::ALL.iter().map(|(name, _)| *name)
}
