//! Broken subjects for the cases the broken runtimes of `mutants.rs` and the broken platforms of
//! `platforms.rs` leave unfailed (crashes, the preset environment, sizes, instance reuse,
//! `initializer_timeout`, the API's accepted boundaries, …), and variants the documents allow.
//! Each runs only the cases it can affect (`Cases::Select`, fgconform's own flags), which keeps
//! each run to seconds; `subject.rs` runs them.

use crate::platforms::proxy::Fault;
use crate::subject::{Cases, Kind, Subject};

pub const SUBJECTS: &[Subject] = &[
    Subject {
        name: "crash-survives",
        breaks: "an uncaught throw or process.exit ends the instance and fails the call in flight (openYuanrong 4204; the open-source runtime registers no uncaughtException handler)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "function main() {\n",
                "function main() {\n  process.on('uncaughtException', function () {});\n  process.exit = function () {};\n",
            )],
        },
        cases: Cases::Select(&["--feature", "crash"]),
        fails: &[
            "crash::process-exit-fails-call",
            "crash::process-exit-message",
            "crash::process-exit-next-call-new-instance",
            "crash::timer-throw-after-answer-ends-instance",
            "crash::timer-throw-fails-call",
            "crash::timer-throw-next-call-new-instance",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "platform-variables-hidden",
        breaks: "the preset RUNTIME_* environment variables reach the function's code (configuring_environment_variables)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const ENV = process.env;",
                "const ENV = Object.assign({}, process.env);\nObject.keys(process.env).forEach(function (k) { if (k.indexOf('RUNTIME_') === 0) delete process.env[k]; });",
            )],
        },
        cases: Cases::Select(&["--feature", "environment", "--feature", "context"]),
        fails: &[
            "context::getters-read-runtime-variables",
            "context::project-id",
            "context::runtime-environment-variables",
            "environment::code-root-variable",
            "environment::cpu-variable-positive",
            "environment::handler-variable",
            "environment::initializer-variables",
            "environment::max-response-size-variable",
            "environment::package-variable",
            "environment::root-and-log-dir-variables",
            "environment::timeout-variable",
            "environment::userdata-variable-json",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "oversized-result-emptied",
        breaks: "a result over 6,291,456 bytes fails the call (notes and constraints)",
        kind: Kind::Proxy(Fault::OversizedResultEmptied),
        cases: Cases::Select(&["--feature", "sizes"]),
        fails: &[
            "sizes::response-object-over-limit-fails",
            "sizes::response-over-limit-fails",
            "sizes::response-too-large-message",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "response-limit-too-low",
        breaks: "results up to 6,291,456 bytes are returned intact (notes and constraints)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const MAX_RESULT_BYTES = (parseFloat(ENV.MAX_REQUEST_BODY_SIZE) || 6) * 1048576;",
                "const MAX_RESULT_BYTES = 6000000;",
            )],
        },
        cases: Cases::Select(&["--feature", "sizes"]),
        fails: &[
            "sizes::response-too-large-message",
            "sizes::response-under-limit-intact",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "large-events-truncated",
        breaks: "a request body up to 6 MB reaches the function whole (notes and constraints)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "  const text = buffer.toString('utf8');",
                "  const text = buffer.slice(0, 5000000).toString('utf8');",
            )],
        },
        cases: Cases::Select(&["--feature", "sizes"]),
        fails: &["sizes::request-6mb-accepted"],
        ..Subject::BASE
    },
    Subject {
        name: "instance-exits-after-each-call",
        breaks: "a warm instance serves the next call (why_is_my_first_request_slow)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "      function () { pollNext(); });",
                "      function () { process.exit(0); });",
            )],
        },
        cases: Cases::Select(&["--feature", "instances"]),
        fails: &[
            "instances::concurrent-separate-instances",
            "instances::idle-instance-recycled",
            "instances::idle-recycle-reruns-initializer",
            "instances::sequential-calls-reuse-instance",
        ],
        ..Subject::BASE
    },
    Subject {
        // Not broken, a variant: leaving every time limit to the platform is a legitimate
        // runtime design (the runtime API lets it; PROTOCOL.md §5). It must pass every
        // documented case, so the platform's own enforcement is what the timeout cases test:
        // fgref counts the initializer's limit from the runtime's first request, whatever node's
        // start-up took, where a start-up allowance let a 1.5 s initializer pass under
        // initializer_timeout = 1.
        name: "leaves-timing-to-platform",
        breaks: "nothing: the runtime enforces no time limit itself (it only has initializer_timeout's timer to remove), leaving each to the platform",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "    initTimer = setTimeout(function () { callback(timedOut); }, initSeconds * 1000);",
                "    initTimer = null;",
            )],
        },
        cases: Cases::Select(&["--level", "documented"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        // A variant: the documents say the initializer's context carries the request id, and
        // only Huawei's runtime gives '' (CONTRADICTIONS.md #7).
        name: "initializer-request-id-given",
        breaks: "nothing: the initializer's context has a request id of its own, as the documents describe it",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const context = new Context('', null, 'initializer');",
                "const context = new Context('0f6d3b52-7c1e-4b8a-9d2f-5e4a1c3b7d90', null, 'initializer');",
            )],
        },
        cases: Cases::Select(&["--level", "documented", "--feature", "initializer"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        // A variant: the function model and CreateFunction spell the unpublished version
        // `latest`, the extension API's example `$LATEST`.
        name: "version-spelled-dollar-latest",
        breaks: "nothing: the function's version reads `$LATEST`, in getVersion() and RUNTIME_FUNC_VERSION",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const ENV = process.env;",
                "const ENV = process.env;\nENV.RUNTIME_FUNC_VERSION = '$LATEST';",
            )],
        },
        cases: Cases::Select(&[
            "--level",
            "documented",
            "--feature",
            "context",
            "--feature",
            "environment",
        ]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        // A variant: the zh page's note on the callback (CONTRADICTIONS.md #1).
        name: "callback-error-returns-second-argument",
        breaks: "nothing: callback(err, message) fails the call with `message` as its result, not the error object",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "        outcome = { ok: false, body: invocationErrorBody(error) };",
                "        outcome = { ok: false, body: typeof data === 'string' && data !== '' ? data : invocationErrorBody(error) };",
            )],
        },
        cases: Cases::Select(&[
            "--level",
            "documented",
            "--feature",
            "callback",
            "--feature",
            "errors",
        ]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-timeout-not-enforced",
        breaks: "initializer_timeout bounds the initializer (HW-INIT-SPEC)",
        kind: Kind::Proxy(Fault::InitializerTimeoutDoubled),
        // Telemetry does not reach the harness through the proxy; the telemetry cases with an
        // initializer check events, not its timeout.
        cases: Cases::Select(&["--feature", "initializer", "--skip", "::telemetry::"]),
        fails: &[
            "environment::initializer-variables",
            "initializer::timeout-own-limit",
            "timeout::initializer-timeout-abandons-instance",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "boundaries-clamped",
        breaks: "CreateFunction accepts its documented boundaries as given (timeout 3, memory_size 1536, 20 user_data entries, 1 KB values)",
        kind: Kind::Proxy(Fault::BoundariesClamped),
        cases: Cases::Select(&["::api::"]),
        fails: &[
            "api::memory-size-allowed",
            "api::timeout-minimum-accepted",
            "api::user-data-1kb-accepted",
            "api::user-data-too-large",
            "api::user-data-too-many",
            "api::user-data-twenty-accepted",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "delete-answers-200",
        breaks: "DeleteFunction answers 204 No Content (API reference)",
        kind: Kind::Proxy(Fault::DeleteAnswers200),
        cases: Cases::Select(&["::api::"]),
        fails: &["api::delete-function-no-content"],
        ..Subject::BASE
    },
    Subject {
        name: "statuses-from-the-pages-lists",
        breaks: "nothing: 400 for a non-JSON invoke body, a duplicate name and a package over 50 MB, the 4xx the invoke and CreateFunction pages list, not the table's 406, 409 and 413",
        kind: Kind::Proxy(Fault::StatusesFromThePagesLists),
        cases: Cases::Select(&[
            "--level",
            "documented",
            "--feature",
            "api-errors",
            "--feature",
            "sizes",
        ]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "type-default-v1",
        breaks: "nothing: a function created without type is v1, the field's text, not v2, its Default line",
        kind: Kind::Proxy(Fault::TypeDefaultV1),
        cases: Cases::Select(&["--level", "documented", "--feature", "functions-api"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "timeout-defaulted-to-3",
        breaks: "nothing: CreateFunction without timeout gives the FAQ's 3 s instead of refusing the field CreateFunction calls mandatory",
        kind: Kind::Proxy(Fault::TimeoutDefaultedTo3),
        cases: Cases::Select(&["--level", "documented", "--feature", "api-errors"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "no-log-field-unasked",
        breaks: "nothing: without X-Cff-Log-Type: tail the v1 body leaves out `log` instead of sending it empty",
        kind: Kind::Proxy(Fault::NoLogFieldUnasked),
        cases: Cases::Select(&["--level", "documented", "--feature", "platform-log"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "async-other-allowed-choices",
        breaks: "nothing: asynchronous calls as the documents also allow (request_id answered in camel case too, records newest first, its own failure codes, 400 for an oversized body, a `body` wrapper unwrapped)",
        kind: Kind::Proxy(Fault::AsyncOtherAllowedChoices),
        cases: Cases::Select(&["--level", "documented", "--feature", "async-invocation"]),
        fails: &[],
        ..Subject::BASE
    },
];

pub const MORE_SUBJECTS: &[Subject] = &[
    Subject {
        name: "context-getters-wrong",
        breaks: "context's getters return the function's settings (seed's context table; notes §3.2)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[
                (
                    "getAccessKey() { return this.accessKey; }",
                    "getAccessKey() { return 'AKEXAMPLE'; }",
                ),
                (
                    "getCPUNumber() { return this.cpu; }",
                    "getCPUNumber() { return '0'; }",
                ),
                (
                    "getPackage() { return this.package; }",
                    "getPackage() { return 'not-the-package'; }",
                ),
                (
                    "getProjectID() { return this.projectID; }",
                    "getProjectID() { return ''; }",
                ),
                (
                    "getRunningTimeInSeconds() { return this.timeout; }",
                    "getRunningTimeInSeconds() { return 0; }",
                ),
                (
                    "getRemainingTimeInMilliSeconds() { return this.timeout + this.startTime - new Date().getTime(); }",
                    "getRemainingTimeInMilliSeconds() { return String(this.timeout + this.startTime - new Date().getTime()); }",
                ),
            ],
        },
        cases: Cases::Select(&["::context::"]),
        fails: &[
            "context::access-key-deprecated",
            "context::cpu-number-positive",
            "context::credentials-empty-without-agency",
            "context::getters-read-runtime-variables",
            "context::package-version",
            "context::project-id",
            "context::remaining-time-integer",
            "context::running-time-milliseconds",
            "context::running-time-timeout",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "results-not-serialised",
        breaks: "objects, arrays and null are returned as JSON, other values through String() (notes §1.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[
                (
                    "  if (typeof data === 'object') {\n    try {\n      text = JSON.stringify(data);",
                    "  if (false) {\n    try {\n      text = JSON.stringify(data);",
                ),
                (
                    "    text = safeString(data);\n",
                    "    text = typeof data === 'string' ? data : '';\n",
                ),
            ],
        },
        cases: Cases::Select(&["::handler::", "--runtime", "Node.js10.16"]),
        fails: &[
            "handler::apig-body-null",
            "handler::apig-callback-echo",
            "handler::apig-faq-response",
            "handler::async-return",
            "handler::async-three-params",
            "handler::promise-return-plain-function",
            "handler::promise-timer",
            "handler::result-array",
            "handler::result-boolean",
            "handler::result-circular",
            "handler::result-circular-node12",
            "handler::result-json-text",
            "handler::result-null",
            "handler::result-number",
            "handler::subdir-handler",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "handler-file-ignored",
        breaks: "the handler string's file part names the file loaded, sub-directories included (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const HANDLER_PATH = path.resolve(CODE_ROOT, HANDLER.file + '.js');",
                "const HANDLER_PATH = path.resolve(CODE_ROOT, 'index.js');",
            )],
        },
        cases: Cases::Select(&["::handler::"]),
        fails: &[
            "handler::custom-file-and-function",
            "handler::missing-module",
            "handler::subdir-handler",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "node6-arity-two-accepted",
        breaks: "on Node.js 6.10 a handler must declare exactly 3 parameters (the open-source runtime's Node.js 6 test)",
        kind: Kind::Runtime {
            runtime: "Node.js6.10",
            patches: &[(
                "if (LEGACY_NODE ? arity !== 3 : (arity !== 2 && arity !== 3)) {",
                "if (LEGACY_NODE ? arity < 2 : (arity !== 2 && arity !== 3)) {",
            )],
        },
        cases: Cases::Select(&["::handler::"]),
        fails: &[
            "handler::arity-four-params-node6",
            "handler::arity-two-params-node6",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "logger-and-output-broken",
        breaks: "console.error and process.stdout.write reach the log, the logger has setLevel, long messages are kept whole (notes §3.3)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[
                (
                    "function main() {\n",
                    "function main() {\n  console.error = function () {};\n  process.stdout.write = function () { return true; };\n",
                ),
                ("  setLevel(level) {", "  setLvl(level) {"),
                (
                    "const message = util.format.apply(util, args);",
                    "const message = util.format.apply(util, args).slice(0, 4000);",
                ),
            ],
        },
        cases: Cases::Select(&["::logger::"]),
        fails: &[
            "logger::console-and-logger-order",
            "logger::console-attributed-to-call-in-flight",
            "logger::console-error",
            "logger::console-line-no-timestamp",
            "logger::level-resets-per-call",
            "logger::logger-methods",
            "logger::long-message-end-kept",
            "logger::same-logger-within-call",
            "logger::set-level-case-sensitive",
            "logger::set-level-debug",
            "logger::set-level-error",
            "logger::set-level-unknown-ignored",
            "logger::set-level-warn",
            "logger::stdout-write",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-data-returned",
        breaks: "the initializer's callback data is discarded (notes §2.1)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[
                (
                    "  const callback = completionCallback(function (error) {\n    if (initTimer",
                    "  const callback = completionCallback(function (error, data) {\n    process.fgInitData = data;\n    if (initTimer",
                ),
                (
                    "outcome = resultBody(data);",
                    "outcome = resultBody(process.fgInitData !== undefined ? process.fgInitData : data);",
                ),
            ],
        },
        cases: Cases::Select(&["::initializer::"]),
        fails: &[
            "initializer::callback-data-ignored",
            "initializer::callback-twice",
            "initializer::context-function-meta",
            "initializer::context-logger",
            "initializer::context-request-id",
            "initializer::context-request-id-empty",
            "initializer::context-user-data",
            "initializer::handler-file-used",
            "initializer::promise-resolve",
            "initializer::runs-once",
            "initializer::runs-once-three-steps",
            "initializer::success",
        ],
        ..Subject::BASE
    },
];

/// Extensions: these live inside fgref's instances, where no proxy reaches.
pub const FGREF_SUBJECTS: &[Subject] = &[
    Subject {
        name: "events-in-another-order",
        breaks: "nothing: platform.RuntimeDone is delivered before platform.start, an order the telemetry page does not rule out (it gives none)",
        kind: Kind::Fgref("events-out-of-order"),
        cases: Cases::Select(&["--level", "documented", "--feature", "telemetry"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "report-under-metrics-only",
        breaks: "nothing: platform.report carries its figures under `metrics` alone, as the telemetry page's schema names the field (CONTRADICTIONS.md #26)",
        kind: Kind::Fgref("metrics-only"),
        cases: Cases::Select(&["--level", "documented", "--feature", "telemetry"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "report-under-report-metrics-only",
        breaks: "nothing: platform.report carries its figures under `reportMetrics` alone, as the telemetry page's example has it (CONTRADICTIONS.md #26)",
        kind: Kind::Fgref("report-metrics-only"),
        cases: Cases::Select(&["--level", "documented", "--feature", "telemetry"]),
        fails: &[],
        ..Subject::BASE
    },
    Subject {
        name: "subscription-unchecked",
        breaks: "every telemetry subscription is checked: types, listener host and port, protocol, one per instance (Telemetry API page)",
        kind: Kind::Fgref("subscription-unchecked"),
        cases: Cases::Select(&["::telemetry::"]),
        fails: &[
            "telemetry::subscribe-host-not-loopback",
            "telemetry::subscribe-missing-protocol",
            "telemetry::subscribe-missing-types",
            "telemetry::subscribe-missing-uri",
            "telemetry::subscribe-port-outside-range",
            "telemetry::subscribe-protocol-not-post",
            "telemetry::subscribe-refusal-message",
            "telemetry::subscribe-second-subscription",
            "telemetry::subscribe-types-unknown",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "register-unchecked",
        breaks: "a registration is checked: name, address on 127.0.0.1:8081-8090, a port of its own, at most ten (extension API page)",
        kind: Kind::Fgref("register-unchecked"),
        cases: Cases::Select(&["::extensions::"]),
        fails: &[
            "extensions::register-eleventh-refused",
            "extensions::register-host-not-loopback",
            "extensions::register-missing-address",
            "extensions::register-missing-name",
            "extensions::register-port-outside-range",
            "extensions::register-port-taken",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "register-body-parsed",
        breaks: "the register request's body is not parsed (extension API page)",
        kind: Kind::Fgref("register-body-parsed"),
        cases: Cases::Select(&["::extensions::"]),
        fails: &["extensions::register-body-ignored"],
        ..Subject::BASE
    },
    Subject {
        name: "register-answer-empty",
        breaks: "a registration answers functionName, functionVersion and errorInfo (extension API page)",
        kind: Kind::Fgref("register-answer-empty"),
        cases: Cases::Select(&["::extensions::"]),
        fails: &["extensions::register-response-body"],
        ..Subject::BASE
    },
    Subject {
        name: "no-extension-api-addr",
        breaks: "an extension's environment has EXTENSION_API_ADDR, the extension API's HOST:PORT (extension API page)",
        kind: Kind::Fgref("no-extension-api-addr"),
        cases: Cases::Select(&["::extensions::"]),
        fails: &[
            "extensions::api-addr-environment",
            "extensions::concurrent-instances-same-port",
            "extensions::invoke-event-each-call",
            "extensions::invoke-event-each-extension",
            "extensions::invoke-event-function-urn",
            "extensions::register-body-ignored",
            "extensions::register-eleventh-refused",
            "extensions::register-host-not-loopback",
            "extensions::register-missing-address",
            "extensions::register-missing-name",
            "extensions::register-port-outside-range",
            "extensions::register-port-taken",
            "extensions::register-response-body",
            "extensions::registered-before-initializer",
            "extensions::script-runs-node",
            "extensions::unregistered-server-no-invoke-event",
        ],
        ..Subject::BASE
    },
];
