//! Deliberately broken platforms: a proxy in front of a correct fgref that gets one platform
//! behaviour wrong, the way a FunctionGraph look-alike might (rounding billing to 100 ms, leaving
//! out the platform's log lines, accepting what it should refuse, reusing one instance for
//! concurrent calls …). The suite, pointed at the proxy, must fail exactly the cases that check
//! that behaviour and pass every other platform case of their areas and a sample of the rest
//! (`support::affected_corpus`): proof that each platform behaviour the corpus claims to check is
//! really checked.

pub mod proxy;

use crate::support::selftest;
use libtest_mimic::{Failed, Trial};

use fgconform::feature::{self, Scope};

use crate::support::{affected_corpus, fails_exactly, fgconform, release_missing};

use self::proxy::{Fault, IDLE_SECONDS, INVOKE_TIMEOUTS, Proxy};

pub struct BrokenPlatform {
    pub name: &'static str,
    pub fault: Fault,
    /// Case ids (`area::case`) that must fail; every other platform case must pass.
    pub fails: &'static [&'static str],
}

pub const BROKEN_PLATFORMS: &[BrokenPlatform] = &[
    BrokenPlatform {
        name: "billing-rounded-to-100ms",
        fault: Fault::BillingRoundedTo100Ms,
        fails: &["summary::billing-duration"],
    },
    BrokenPlatform {
        name: "no-billing-header",
        fault: Fault::NoBillingHeader,
        fails: &["summary::billing-duration-header"],
    },
    BrokenPlatform {
        name: "memory-used-zero",
        fault: Fault::MemoryUsedZero,
        fails: &[
            "memory::larger-memory-size-allows-more",
            "memory::within-limit-memory-used",
            "summary::failed-call",
            "summary::memory-used-measured",
        ],
    },
    BrokenPlatform {
        name: "no-summary",
        fault: Fault::NoSummary,
        fails: &[
            "memory::larger-memory-size-allows-more",
            "memory::within-limit-memory-used",
            "summary::billing-duration",
            "summary::duration-per-call",
            "summary::failed-call",
            "summary::memory-used-measured",
            "summary::sleep-duration",
            "timeout::completes-within-configured-timeout",
            "timeout::execution-terminated-at-timeout",
            "timeout::late-callback-fails-at-timeout",
            "timeout::next-call-served-after-timeout",
            "timeout::pending-promise-fails-at-timeout",
        ],
    },
    BrokenPlatform {
        name: "no-platform-log-lines",
        fault: Fault::NoPlatformLogLines,
        fails: &[
            "logs::body-tail-ends-with-finish",
            "logs::failed-call-start-finish",
            "logs::finish-billing-memory",
            "logs::header-tail-ends-with-finish",
            "logs::start-finish-carry-request-id",
        ],
    },
    BrokenPlatform {
        name: "log-without-asking",
        fault: Fault::LogWithoutAsking,
        fails: &["logs::no-log-without-tail"],
    },
    BrokenPlatform {
        name: "log-header-not-base64",
        fault: Fault::LogHeaderNotBase64,
        fails: &[
            "logs::header-carries-log",
            "logs::header-tail-2000-bytes",
            "logs::header-tail-ends-with-finish",
            "logs::no-earlier-call-output",
        ],
    },
    BrokenPlatform {
        name: "log-of-previous-call",
        fault: Fault::LogOfPreviousCall,
        fails: &["logs::no-earlier-call-output"],
    },
    BrokenPlatform {
        name: "timeout-not-enforced",
        fault: Fault::TimeoutNotEnforced,
        fails: &[
            "async-invocation::timeout-fails",
            "environment::timeout-variable",
            "timeout::execution-terminated-at-timeout",
            "timeout::late-callback-fails-at-timeout",
            "timeout::log-before-timeout-kept",
            "timeout::next-call-served-after-timeout",
            "timeout::pending-promise-fails-at-timeout",
        ],
    },
    BrokenPlatform {
        name: "memory-not-enforced",
        fault: Fault::MemoryNotEnforced,
        fails: &[
            "logs::finish-billing-memory",
            "memory::buffer-over-limit-fails",
            "memory::heap-over-limit-fails",
            "memory::next-call-after-limit-works",
        ],
    },
    BrokenPlatform {
        name: "oversized-body-accepted",
        fault: Fault::OversizedBodyAccepted,
        fails: &["sizes::request-over-6mb-refused"],
    },
    BrokenPlatform {
        name: "non-json-accepted",
        fault: Fault::NonJsonAccepted,
        fails: &["sizes::non-json-body-refused"],
    },
    BrokenPlatform {
        name: "generic-error-codes",
        fault: Fault::GenericErrorCodes,
        fails: &[
            "api::duplicate-name",
            "api::func-name-bad-character",
            "api::func-name-ends-with-hyphen",
            "api::func-name-starts-with-digit",
            "api::func-name-too-long",
            "api::handler-empty-function-part",
            "api::handler-no-period",
            "api::handler-too-long",
            "api::initializer-handler-no-period",
            "api::initializer-timeout-above-maximum",
            "api::initializer-timeout-zero",
            "api::invoke-deleted-function",
            "api::memory-size-between-sizes",
            "api::memory-size-not-allowed",
            "api::runtime-unknown",
            "api::runtime-wrong-spelling",
            "api::timeout-above-maximum",
            "api::timeout-below-minimum",
            "api::user-data-too-large",
            "api::user-data-too-many",
        ],
    },
    BrokenPlatform {
        name: "duplicate-replaces",
        fault: Fault::DuplicateReplaces,
        fails: &["api::duplicate-name"],
    },
    BrokenPlatform {
        name: "delete-keeps-function",
        fault: Fault::DeleteKeepsFunction,
        fails: &[
            "api::invoke-deleted-function",
            "async-invocation::deleted-function-404",
        ],
    },
    BrokenPlatform {
        name: "concurrent-calls-share-an-instance",
        fault: Fault::ConcurrentCallsShareAnInstance,
        fails: &[
            "instances::concurrent-each-runs-initializer",
            "instances::concurrent-separate-instances",
        ],
    },
    BrokenPlatform {
        name: "async-answered-ok",
        fault: Fault::AsyncAnsweredOk,
        fails: &["async-invocation::accepted-with-request-id"],
    },
    BrokenPlatform {
        name: "async-request-id-empty",
        fault: Fault::AsyncRequestIdEmpty,
        fails: &[
            "async-invocation::accepted-with-request-id",
            "async-invocation::answered-before-the-call-ends",
            "async-invocation::function-error-fails",
            "async-invocation::record-fields",
            "async-invocation::request-256kb-accepted",
            "async-invocation::success-listed",
            "async-invocation::timeout-fails",
        ],
    },
    BrokenPlatform {
        name: "async-failure-listed-as-success",
        fault: Fault::AsyncFailureListedAsSuccess,
        fails: &[
            "async-invocation::function-error-fails",
            "async-invocation::timeout-fails",
        ],
    },
    BrokenPlatform {
        name: "async-records-of-another-shape",
        fault: Fault::AsyncRecordsOfAnotherShape,
        fails: &[
            "async-invocation::record-fields",
            "async-invocation::success-listed",
        ],
    },
    BrokenPlatform {
        name: "async-body-limit-64kb",
        fault: Fault::AsyncBodyLimit64Kb,
        fails: &["async-invocation::request-256kb-accepted"],
    },
    BrokenPlatform {
        name: "async-oversized-body-accepted",
        fault: Fault::AsyncOversizedBodyAccepted,
        fails: &["async-invocation::request-over-256kb-refused"],
    },
    BrokenPlatform {
        name: "async-answered-when-the-call-ends",
        fault: Fault::AsyncAnsweredWhenTheCallEnds,
        fails: &["async-invocation::answered-before-the-call-ends"],
    },
    BrokenPlatform {
        name: "idle-never-recycled",
        fault: Fault::IdleNeverRecycled,
        fails: &[
            "instances::idle-instance-recycled",
            "instances::idle-recycle-reruns-initializer",
        ],
    },
];

pub fn trials() -> Vec<Trial> {
    BROKEN_PLATFORMS
        .iter()
        .map(|broken| {
            let name = format!("selftest::broken-platform::{}", broken.name);
            match fgref::node::resolve("Node.js20.15", fgref::node::default_cache().as_deref()) {
                Ok(_) => selftest(name, move || check(broken)),
                Err(error) => release_missing(name, "Node.js20.15", error),
            }
        })
        .collect()
}

fn check(broken: &BrokenPlatform) -> Result<(), Failed> {
    let proxy = Proxy::start(broken.fault)?;
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("broken.toml");
    std::fs::write(
        &target,
        format!(
            "name = \"broken-{}\"\nurl = \"{}\"\nruntimes = [\"Node.js20.15\"]\nfeatures = \"all\"\nidle_timeout = {IDLE_SECONDS}\n{INVOKE_TIMEOUTS}",
            broken.name, proxy.url,
        ),
    )?;
    // The areas of the cases it must fail, whole, and a sample of the other platform cases
    // (the `--feature` flags below choose the platform's among them).
    let corpus = affected_corpus(broken.name, broken.fails, |_| true)?;
    let mut args = vec![
        "--cases",
        corpus.path().to_str().ok_or("temp path is not UTF-8")?,
        "--target",
        target.to_str().ok_or("temp path is not UTF-8")?,
        "--format",
        "json",
        "--test-threads",
        "2",
    ];
    // The platform's cases; the Node.js runtime's are the broken runtimes' (tests/it/mutants.rs),
    // and extensions and telemetry, which live inside fgref's instances where no proxy reaches,
    // are the broken telemetry platforms' (tests/it/broken_telemetry.rs).
    for feature in feature::names_in(Scope::Platform) {
        if !matches!(feature, "extensions" | "telemetry") {
            args.extend(["--feature", feature]);
        }
    }
    args.extend(["--skip", "::extensions::", "--skip", "::telemetry::"]);
    let output = fgconform(&args, &[]);
    drop(proxy);
    fails_exactly(
        &output,
        broken.fails,
        &format!("broken platform `{}` ({:?})", broken.name, broken.fault),
    )
}
