//! Deliberately broken platforms: a proxy in front of a correct fgref that gets one platform
//! behaviour wrong, the way a FunctionGraph look-alike might (rounding billing to 100 ms, leaving
//! out the platform's log lines, accepting what it should refuse, reusing one instance for
//! concurrent calls …). The suite, pointed at the proxy, must fail exactly the cases that check
//! that behaviour and pass every other platform case of their areas and a sample of the rest
//! (`support::affected_corpus`): proof that each platform behaviour the corpus claims to check is
//! really checked.

pub mod proxy;

use self::proxy::Fault;
use crate::subject::{Kind, Subject};

pub const BROKEN_PLATFORMS: &[Subject] = &[
    Subject {
        name: "billing-rounded-to-100ms",
        breaks: "bills in 100 ms units, as FunctionGraph did years ago",
        kind: Kind::Proxy(Fault::BillingRoundedTo100Ms),
        fails: &["summary::billing-duration"],
        ..Subject::BASE
    },
    Subject {
        name: "no-billing-header",
        breaks: "leaves out `X-CFF-Billing-Duration`",
        kind: Kind::Proxy(Fault::NoBillingHeader),
        fails: &["summary::billing-duration-header"],
        ..Subject::BASE
    },
    Subject {
        name: "memory-used-zero",
        breaks: "reports no memory used",
        kind: Kind::Proxy(Fault::MemoryUsedZero),
        fails: &[
            "memory::larger-memory-size-allows-more",
            "memory::within-limit-memory-used",
            "summary::failed-call",
            "summary::memory-used-measured",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "no-summary",
        breaks: "leaves out `X-Cff-Invoke-Summary`",
        kind: Kind::Proxy(Fault::NoSummary),
        fails: &[
            "logs::result-summary-and-log",
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
        ..Subject::BASE
    },
    Subject {
        name: "no-platform-log-lines",
        breaks: "the log without the `Start invoke request` / `Finish invoke request` lines",
        kind: Kind::Proxy(Fault::NoPlatformLogLines),
        fails: &[
            "logs::body-tail-ends-with-finish",
            "logs::failed-call-start-finish",
            "logs::finish-billing-memory",
            "logs::header-tail-ends-with-finish",
            "logs::start-finish-carry-request-id",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "log-without-asking",
        breaks: "returns the log even when the caller did not ask for the tail",
        kind: Kind::Proxy(Fault::LogWithoutAsking),
        fails: &["logs::no-log-without-tail"],
        ..Subject::BASE
    },
    Subject {
        name: "log-header-not-base64",
        breaks: "`X-Cff-Function-Log` as plain text instead of base64",
        kind: Kind::Proxy(Fault::LogHeaderNotBase64),
        fails: &[
            "logs::header-carries-log",
            "logs::header-tail-2000-bytes",
            "logs::header-tail-ends-with-finish",
            "logs::no-earlier-call-output",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "log-of-previous-call",
        breaks: "puts the previous call's log in front of this call's",
        kind: Kind::Proxy(Fault::LogOfPreviousCall),
        fails: &["logs::no-earlier-call-output"],
        ..Subject::BASE
    },
    Subject {
        name: "timeout-not-enforced",
        breaks: "runs functions with ten times their configured timeout",
        kind: Kind::Proxy(Fault::TimeoutNotEnforced),
        fails: &[
            "async-invocation::timeout-fails",
            "environment::timeout-variable",
            "timeout::execution-terminated-at-timeout",
            "timeout::late-callback-fails-at-timeout",
            "timeout::log-before-timeout-kept",
            "timeout::next-call-served-after-timeout",
            "timeout::pending-promise-fails-at-timeout",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "memory-not-enforced",
        breaks: "runs functions with four times their memory_size (and reports the configured size)",
        kind: Kind::Proxy(Fault::MemoryNotEnforced),
        fails: &[
            "logs::finish-billing-memory",
            "memory::buffer-over-limit-fails",
            "memory::heap-over-limit-fails",
            "memory::next-call-after-limit-works",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "oversized-body-accepted",
        breaks: "accepts bodies over 6 MB (it passes the function `{}` instead)",
        kind: Kind::Proxy(Fault::OversizedBodyAccepted),
        fails: &["sizes::request-over-6mb-refused"],
        ..Subject::BASE
    },
    Subject {
        name: "non-json-accepted",
        breaks: "accepts a body that is not JSON (passes it on as a JSON string)",
        kind: Kind::Proxy(Fault::NonJsonAccepted),
        fails: &["sizes::non-json-body-refused"],
        ..Subject::BASE
    },
    Subject {
        name: "generic-error-codes",
        breaks: "answers every FSS.1xxx validation error as a generic FSS.0400",
        kind: Kind::Proxy(Fault::GenericErrorCodes),
        fails: &[
            "api::code-not-base64",
            "api::code-omitted",
            "api::code-type-unknown",
            "api::delete-missing-function",
            "api::dependencies-over-twenty",
            "api::dependency-description-too-long",
            "api::dependency-in-use",
            "api::dependency-not-a-zip-refused",
            "api::dependency-type-unknown",
            "api::dependency-version-deleted",
            "api::description-too-long",
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
            "api::list-functions-maxitems-not-a-number",
            "api::memory-size-between-sizes",
            "api::memory-size-not-allowed",
            "api::memory-size-over-10-gb",
            "api::runtime-unknown",
            "api::runtime-wrong-spelling",
            "api::timeout-above-maximum",
            "api::timeout-below-minimum",
            "api::user-data-key-starts-with-digit",
            "api::user-data-too-large",
            "api::user-data-too-many",
            "sizes::package-over-50-mb-refused",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "create-answer-misdescribes-code",
        breaks: "CreateFunction's answer gives the package's code_size and SHA-512 digest",
        kind: Kind::Proxy(Fault::CreateAnswerMisdescribesCode),
        fails: &["api::create-answer-describes-function"],
        ..Subject::BASE
    },
    Subject {
        name: "cpu-in-cores",
        breaks: "the function model's cpu is in millicores (100 or 300 for 128 MB)",
        kind: Kind::Proxy(Fault::CpuInCores),
        fails: &["api::create-answer-cpu"],
        ..Subject::BASE
    },
    Subject {
        name: "create-answer-forgets-configuration",
        breaks: "CreateFunction's answer repeats the configuration the request set",
        kind: Kind::Proxy(Fault::CreateAnswerForgetsConfiguration),
        fails: &["api::create-answer-describes-function"],
        ..Subject::BASE
    },
    Subject {
        name: "optional-fields-unchecked",
        breaks: "refuses a pre_stop_handler without a period, a pre_stop_timeout over 90 s and 21 encrypted_user_data entries",
        kind: Kind::Proxy(Fault::OptionalFieldsUnchecked),
        fails: &[
            "api::encrypted-user-data-too-many",
            "api::pre-stop-handler-no-period",
            "api::pre-stop-timeout-above-90",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-timeout-defaulted",
        breaks: "refuses an initializer_handler without initializer_timeout",
        kind: Kind::Proxy(Fault::InitializerTimeoutDefaulted),
        fails: &["api::initializer-timeout-missing"],
        ..Subject::BASE
    },
    Subject {
        name: "credentials-not-checked",
        breaks: "refuses a call without credentials with 401 FSS.0401",
        kind: Kind::Proxy(Fault::CredentialsNotChecked),
        fails: &["api::invoke-without-credentials"],
        ..Subject::BASE
    },
    Subject {
        name: "answer-always-v1",
        breaks: "answers X-CFF-Request-Version v0, or none, with the function's output as the body",
        kind: Kind::Proxy(Fault::AnswerAlwaysV1),
        fails: &["invoke::no-version-raw-output", "invoke::v0-body-is-text"],
        ..Subject::BASE
    },
    Subject {
        name: "response-version-missing",
        breaks: "names the body's format in X-Cff-Response-Version",
        kind: Kind::Proxy(Fault::ResponseVersionMissing),
        fails: &["invoke::v0-body-is-text", "invoke::v1-response-version"],
        ..Subject::BASE
    },
    Subject {
        name: "body-status-as-text",
        breaks: "the v1 body's status is an integer",
        kind: Kind::Proxy(Fault::BodyStatusAsText),
        fails: &["invoke::v1-response-version"],
        ..Subject::BASE
    },
    Subject {
        name: "list-functions-ignore-package",
        breaks: "ListFunctions with package_name lists only that package's functions",
        kind: Kind::Proxy(Fault::ListFunctionsIgnorePackage),
        fails: &["api::list-functions-of-package"],
        ..Subject::BASE
    },
    Subject {
        name: "list-functions-without-count",
        breaks: "ListFunctions' page has count",
        kind: Kind::Proxy(Fault::ListFunctionsWithoutCount),
        fails: &["api::list-functions-of-package"],
        ..Subject::BASE
    },
    Subject {
        name: "negative-maxitems-accepted",
        breaks: "ListFunctions refuses a negative maxitems",
        kind: Kind::Proxy(Fault::NegativeMaxitemsAccepted),
        fails: &["api::list-functions-negative-maxitems"],
        ..Subject::BASE
    },
    Subject {
        name: "duplicate-replaces",
        breaks: "createFunction with an existing name replaces the function",
        kind: Kind::Proxy(Fault::DuplicateReplaces),
        fails: &["api::duplicate-name"],
        ..Subject::BASE
    },
    Subject {
        name: "delete-keeps-function",
        breaks: "deleteFunction answers 204 but keeps the function",
        kind: Kind::Proxy(Fault::DeleteKeepsFunction),
        fails: &[
            "api::delete-latest-version-refused",
            "api::delete-missing-function",
            "api::invoke-deleted-function",
            "async-invocation::deleted-function-404",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "delete-latest-deletes-function",
        breaks: "deleteFunction of the latest version's URN deletes the whole function",
        kind: Kind::Proxy(Fault::DeleteLatestDeletesFunction),
        fails: &["api::delete-latest-version-refused"],
        ..Subject::BASE
    },
    Subject {
        name: "func-urn-without-version",
        breaks: "createFunction's answer gives func_urn ending with the version :latest",
        kind: Kind::Proxy(Fault::FuncUrnWithoutVersion),
        fails: &["api::create-answer-urn-latest"],
        ..Subject::BASE
    },
    Subject {
        name: "dependency-fields-unchecked",
        breaks: "createDependencyVersion refuses a name, description, depend_type or runtime outside its rules",
        kind: Kind::Proxy(Fault::DependencyFieldsUnchecked),
        fails: &[
            "api::dependency-description-too-long",
            "api::dependency-name-starts-with-digit",
            "api::dependency-runtime-unknown",
            "api::dependency-type-unknown",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "dependency-files-unchecked",
        breaks: "createDependencyVersion refuses a depend_file that is no zip, over 40 MB or 30,000 files, or holding a name that ends with ~",
        kind: Kind::Proxy(Fault::DependencyFilesUnchecked),
        fails: &[
            "api::dependency-not-a-zip-refused",
            "api::dependency-over-30000-files-refused",
            "api::dependency-tilde-file-refused",
            "sizes::dependency-over-40-mb-refused",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "dependency-versions-from-zero",
        breaks: "a new dependency is version 1",
        kind: Kind::Proxy(Fault::DependencyVersionsFromZero),
        // The versions it answers are not the ones it deletes: the delete cases fail too.
        fails: &[
            "api::dependency-first-version",
            "api::dependency-in-use",
            "api::dependency-version-deleted",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "dependency-delete-answers-200",
        breaks: "deleteDependencyVersion answers 204 No Content",
        kind: Kind::Proxy(Fault::DependencyDeleteAnswers200),
        fails: &["api::dependency-version-deleted"],
        ..Subject::BASE
    },
    Subject {
        name: "dependency-in-use-deleted",
        breaks: "deleteDependencyVersion of a version a function uses is refused (412 FSS.1033)",
        kind: Kind::Proxy(Fault::DependencyInUseDeleted),
        fails: &["api::dependency-in-use"],
        ..Subject::BASE
    },
    Subject {
        name: "maxitems-outside-range-refused",
        breaks: "listFunctions takes maxitems 0 or over 400 as 400",
        kind: Kind::Proxy(Fault::MaxitemsOutsideRangeRefused),
        fails: &["api::list-functions-maxitems-default"],
        ..Subject::BASE
    },
    Subject {
        name: "package-sizes-unchecked",
        breaks: "createFunction refuses a package over 50 MB, or one that unpacks to more than 1,500 MB",
        kind: Kind::Proxy(Fault::PackageSizesUnchecked),
        fails: &[
            "sizes::package-over-50-mb-refused",
            "sizes::package-unpacks-over-1500-mb-refused",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "memory-over-10-gb-accepted",
        breaks: "createFunction refuses a memory_size over 10 GB",
        kind: Kind::Proxy(Fault::MemoryOver10GbAccepted),
        fails: &["api::memory-size-over-10-gb"],
        ..Subject::BASE
    },
    Subject {
        name: "type-missing",
        breaks: "createFunction's answer says the function's type, v1 or v2",
        kind: Kind::Proxy(Fault::TypeMissing),
        fails: &["api::create-answer-type-default"],
        ..Subject::BASE
    },
    Subject {
        name: "package-defaulted",
        breaks: "createFunction without package, a mandatory field, is refused",
        kind: Kind::Proxy(Fault::PackageDefaulted),
        fails: &["api::package-omitted-refused"],
        ..Subject::BASE
    },
    Subject {
        name: "timeout-defaulted-to-900",
        breaks: "a function created without timeout has the default 3 s (when it is not refused)",
        kind: Kind::Proxy(Fault::TimeoutDefaultedTo900),
        fails: &["api::timeout-omitted-default"],
        ..Subject::BASE
    },
    Subject {
        name: "concurrent-calls-share-an-instance",
        breaks: "one call at a time per function: concurrent calls queue for the one warm instance",
        kind: Kind::Proxy(Fault::ConcurrentCallsShareAnInstance),
        fails: &[
            "instances::concurrent-each-runs-initializer",
            "instances::concurrent-separate-instances",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "async-answered-ok",
        breaks: "accepts asynchronous invocations with 200 instead of 202",
        kind: Kind::Proxy(Fault::AsyncAnsweredOk),
        fails: &["async-invocation::accepted-with-request-id"],
        ..Subject::BASE
    },
    Subject {
        name: "async-request-id-empty",
        breaks: "accepts asynchronous invocations with an empty `request_id`",
        kind: Kind::Proxy(Fault::AsyncRequestIdEmpty),
        fails: &[
            "async-invocation::accepted-with-request-id",
            "async-invocation::answered-before-the-call-ends",
            "async-invocation::body-reaches-the-function",
            "async-invocation::function-error-fails",
            "async-invocation::listed-by-status",
            "async-invocation::listed-in-pages",
            "async-invocation::record-fields",
            "async-invocation::request-256kb-accepted",
            "async-invocation::success-listed",
            "async-invocation::timeout-fails",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "async-failure-listed-as-success",
        breaks: "lists every failed asynchronous call as SUCCESS",
        kind: Kind::Proxy(Fault::AsyncFailureListedAsSuccess),
        fails: &[
            "async-invocation::function-error-fails",
            "async-invocation::listed-by-status",
            "async-invocation::timeout-fails",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "async-records-of-another-shape",
        breaks: "lists asynchronous calls with `error_code` as a string and times with milliseconds and a zone (`2026-01-02T03:04:05.000Z`)",
        kind: Kind::Proxy(Fault::AsyncRecordsOfAnotherShape),
        fails: &[
            "async-invocation::record-fields",
            "async-invocation::success-listed",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "async-body-limit-64kb",
        breaks: "refuses asynchronous invocations over 64 KiB (413 FSS.0413)",
        kind: Kind::Proxy(Fault::AsyncBodyLimit64Kb),
        fails: &["async-invocation::request-256kb-accepted"],
        ..Subject::BASE
    },
    Subject {
        name: "async-oversized-body-accepted",
        breaks: "accepts asynchronous invocations over 256 KiB (it queues `{}` instead)",
        kind: Kind::Proxy(Fault::AsyncOversizedBodyAccepted),
        fails: &["async-invocation::request-over-256kb-refused"],
        ..Subject::BASE
    },
    Subject {
        name: "async-answered-when-the-call-ends",
        breaks: "answers an asynchronous invocation only once the call has ended",
        kind: Kind::Proxy(Fault::AsyncAnsweredWhenTheCallEnds),
        fails: &["async-invocation::answered-before-the-call-ends"],
        ..Subject::BASE
    },
    Subject {
        name: "async-event-dropped",
        breaks: "runs every asynchronous call with the event `{}`, not the request's body",
        kind: Kind::Proxy(Fault::AsyncEventDropped),
        fails: &[
            "async-invocation::body-reaches-the-function",
            "async-invocation::listed-by-status",
            "async-invocation::request-256kb-accepted",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "async-status-filter-ignored",
        breaks: "lists asynchronous calls of every status, whatever `status` asks for",
        kind: Kind::Proxy(Fault::AsyncStatusFilterIgnored),
        fails: &["async-invocation::listed-by-status"],
        ..Subject::BASE
    },
    Subject {
        name: "async-limit-ignored",
        breaks: "lists every asynchronous call, whatever `limit` asks for",
        kind: Kind::Proxy(Fault::AsyncLimitIgnored),
        fails: &["async-invocation::listed-in-pages"],
        ..Subject::BASE
    },
    Subject {
        name: "idle-never-recycled",
        breaks: "never recycles idle instances (fgref's idle time is an hour behind the proxy)",
        kind: Kind::Proxy(Fault::IdleNeverRecycled),
        fails: &[
            "instances::idle-instance-recycled",
            "instances::idle-recycle-reruns-initializer",
        ],
        ..Subject::BASE
    },
];
