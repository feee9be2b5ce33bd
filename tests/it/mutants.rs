//! Deliberately broken Node.js runtimes: our own runtime with one documented behaviour broken,
//! swapped into fgref through `FGREF_NODEJS_BOOTSTRAP`. Each must fail exactly the cases that
//! check that behaviour and pass every other case of their areas and a sample of the other
//! Node.js runtime cases (`support::affected_corpus`; the platform's areas are left to
//! tests/it/platforms.rs), which proves both that the suite catches the fault and that the fault
//! is the only thing it reports.
//!
//! A mutant is a textual patch of `runtimes/reference/nodejs/runtime.js` (`subject::Kind::Runtime`,
//! run by `subject.rs`); the patch must apply exactly once, so a change to the runtime that moves
//! the patched code fails loudly instead of silently testing the correct runtime.

use crate::subject::{Kind, Subject};

pub const MUTANTS: &[Subject] = &[
    Subject {
        name: "initializer-never-runs",
        breaks: "the initializer runs once per instance before the first call (notes §2.1)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[("if (INITIALIZER && INITIALIZER.name) {", "if (false) {")],
        },
        fails: &[
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
            "initializer::callback-error",
            "initializer::callback-error-message",
            "initializer::callback-error-message-runtime",
            "initializer::callback-no-args-fails",
            "initializer::context-function-meta",
            "initializer::context-logger",
            "initializer::context-request-id",
            "initializer::context-request-id-empty",
            "initializer::context-user-data",
            "initializer::failure-abandons-instance",
            "initializer::failure-logged-at-error",
            "initializer::handler-file-used",
            "initializer::logger-lines-in-triggering-call",
            "initializer::missing-export",
            "initializer::missing-module",
            "initializer::promise-reject",
            "initializer::promise-resolve",
            "initializer::runs-once",
            "initializer::runs-once-three-steps",
            "initializer::success",
            "initializer::throw",
            "initializer::timeout-never-completes",
            "initializer::timeout-own-limit",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "wrong-entry-error-prefix",
        breaks: "callback(err) answers `function entry exception, error: <msg>` (notes §1.3)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "entry: 'function entry exception, error: ',",
                "entry: 'function entry error: ',",
            )],
        },
        fails: &[
            "handler::arity-four-params",
            "handler::arity-one-param",
            "handler::arity-rest-params",
            "handler::callback-error-message",
            "handler::callback-error-type-no-stacktrace",
            "handler::callback-no-arguments",
            "handler::callback-object-error",
            "handler::error-json-four-space-indent",
            "handler::missing-dependency",
            "handler::missing-export",
            "handler::missing-module",
            "handler::module-throws-at-load",
            "handler::syntax-error-at-load",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "returned-promise-ignored",
        breaks: "async handlers and returned Promises settle the call (seed, Node.js 8.10+)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[("if (!isThenable(result)) return;", "return;")],
        },
        // A rejection nobody handles now ends the process (Node 15+), so the async throws fail
        // too, with `runtime process is exited` instead of their error.
        fails: &[
            "handler::async-return",
            "handler::async-return-undefined",
            "handler::async-three-params",
            "handler::async-throw",
            "handler::async-throw-stacktrace",
            "handler::promise-before-callback",
            "handler::promise-return-plain-function",
            "handler::promise-timer",
            "handler::reject-non-error",
            "handler::reject-stacktrace",
            "initializer::promise-reject",
            "initializer::promise-resolve",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "request-id-not-the-invokes",
        breaks: "context.getRequestID() is the invoke's request id (seed, X-Cff-Request-Id)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "getRequestID() { return this.requestID; }",
                "getRequestID() { return '00000000-0000-4000-8000-000000000000'; }",
            )],
        },
        fails: &[
            "context::request-id",
            "context::request-id-warm",
            "initializer::context-request-id-empty",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "user-data-ignored",
        breaks: "context.getUserData(key) returns the function's user_data value (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "getUserData(key) { return this.userData[key]; }",
                "getUserData(key) { return undefined; }",
            )],
        },
        fails: &[
            "context::getters-read-runtime-variables",
            "context::user-data",
            "context::user-data-absent-key",
            "context::user-data-environment",
            "initializer::context-user-data",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "logger-without-request-id",
        breaks: "getLogger().info writes `<time> <request id> INFO <message>` (seed, notes §3.3)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const head = utcSecondTimestamp() + ' ' + this.tag + ' ' + level + ' ';",
                "const head = utcSecondTimestamp() + ' ' + level + ' ';",
            )],
        },
        fails: &[
            "context::logger-info",
            "context::logger-info-prefixed",
            "handler::failure-logged-at-error",
            "initializer::failure-logged-at-error",
            "initializer::logger-lines-in-triggering-call",
            "logger::console-and-logger-order",
            "logger::console-line-no-timestamp",
            "logger::debug-off-by-default",
            "logger::error-line",
            "logger::format-extra-arguments",
            "logger::format-specifiers",
            "logger::level-resets-per-call",
            "logger::multiple-arguments",
            "logger::same-logger-within-call",
            "logger::set-level-case-sensitive",
            "logger::set-level-debug",
            "logger::set-level-error",
            "logger::set-level-unknown-ignored",
            "logger::set-level-warn",
            "logger::warn-line",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "callback-error-succeeds",
        breaks: "a non-null callback error fails the call (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[("    onDone(error, data);\n", "    onDone(null, data);\n")],
        },
        fails: &[
            "handler::arity-four-params",
            "handler::arity-one-param",
            "handler::arity-rest-params",
            "handler::async-throw",
            "handler::async-throw-stacktrace",
            "handler::callback-error",
            "handler::callback-error-message",
            "handler::callback-error-type-no-stacktrace",
            "handler::callback-no-arguments",
            "handler::callback-object-error",
            "handler::callback-string-error",
            "handler::error-json-four-space-indent",
            "handler::failure-logged-at-error",
            "handler::missing-dependency",
            "handler::missing-export",
            "handler::missing-module",
            "handler::module-throws-at-load",
            "handler::reject-non-error",
            "handler::reject-stacktrace",
            "handler::syntax-error-at-load",
            "handler::throw-custom-error-class",
            "handler::throw-nested-frames",
            "handler::throw-non-error",
            "handler::throw-stacktrace",
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
            "initializer::callback-error",
            "initializer::callback-error-message",
            "initializer::callback-error-message-runtime",
            "initializer::callback-no-args-fails",
            "initializer::failure-abandons-instance",
            "initializer::failure-logged-at-error",
            "initializer::missing-export",
            "initializer::missing-module",
            "initializer::promise-reject",
            "initializer::throw",
        ],
        races: CALLBACK_ERROR_RACES,
        ..Subject::BASE
    },
    Subject {
        name: "remaining-time-frozen",
        breaks: "getRemainingTimeInMilliSeconds() shrinks as the call runs (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "getRemainingTimeInMilliSeconds() { return this.timeout + this.startTime - new Date().getTime(); }",
                "getRemainingTimeInMilliSeconds() { return this.timeout; }",
            )],
        },
        fails: &[
            "context::remaining-time",
            "context::remaining-time-per-call",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "memory-size-as-number",
        breaks: "getMemorySize() returns the RUNTIME_MEMORY string (notes §3.2, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "getMemorySize() { return this.memory; }",
                "getMemorySize() { return Number(this.memory); }",
            )],
        },
        fails: &["context::memory-cpu-strings"],
        ..Subject::BASE
    },
    Subject {
        name: "string-results-quoted",
        breaks: "a string result is returned as is, unquoted (notes §1.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "    text = safeString(data);\n",
                "    text = JSON.stringify(data);\n",
            )],
        },
        fails: &[
            "handler::async-return-undefined",
            "handler::callback-before-promise",
            "handler::callback-error-after-success",
            "handler::callback-twice",
            "handler::promise-before-callback",
            "handler::result-undefined",
            "handler::string-result-unquoted",
            "handler::throw-after-callback",
            "initializer::callback-twice",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "console-output-dropped",
        breaks: "console.log output reaches the call's log (seed: 日志输出 by console.log)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "function main() {\n",
                "function main() {\n  console.log = function () {};\n",
            )],
        },
        fails: &[
            "handler::log-console",
            "handler::log-tail-limit",
            "logger::console-and-logger-order",
            "logger::console-attributed-to-call-in-flight",
            "logger::console-line-no-timestamp",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "function-name-wrong",
        breaks: "context.getFunctionName() is the function's name (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "getFunctionName() { return this.functionName; }",
                "getFunctionName() { return 'handler'; }",
            )],
        },
        fails: &[
            "context::function-name-memory",
            "context::getters-read-runtime-variables",
            "initializer::context-function-meta",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "handler-arity-unchecked",
        breaks: "a handler must declare 2 or 3 parameters (exactly 3 on Node.js 6.10), else FunctionLoadError (notes §1.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "if (LEGACY_NODE ? arity !== 3 : (arity !== 2 && arity !== 3)) {",
                "if (false) {",
            )],
        },
        fails: &[
            "handler::arity-four-params",
            "handler::arity-one-param",
            "handler::arity-rest-params",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "node6-honours-promise",
        breaks: "Node.js 6.10 ignores a handler's returned Promise: callback only (seed: 6.10 has the callback form; notes §1.3)",
        kind: Kind::Runtime {
            runtime: "Node.js6.10",
            patches: &[("  if (LEGACY_NODE) return;", "  if (false) return;")],
        },
        fails: &[
            "handler::promise-ignored-node6",
            "handler::promise-only-node6-times-out",
            "initializer::promise-ignored-node6",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "code-root-shown",
        breaks: "error JSON shows the code root as `.` (notes §1.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "  return hideCodeRoot(JSON.stringify(body, null, 4));",
                "  return JSON.stringify(body, null, 4);",
            )],
        },
        fails: &[
            "handler::async-throw-stacktrace",
            "handler::missing-dependency",
            "handler::missing-export",
            "handler::missing-module",
            "handler::reject-stacktrace",
            "handler::syntax-error-at-load",
            "handler::throw-nested-frames",
            "handler::throw-stacktrace",
            "initializer::missing-export",
            "initializer::missing-module",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "callback-error-with-stack-trace",
        breaks: "callback(err) carries no stackTrace (community guide's documented output)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "    return errorJson(PREFIX.entry + error.message, error.type || error.name);",
                "    return errorJson(PREFIX.entry + error.message, error.type || error.name, []);",
            )],
        },
        fails: &[
            "handler::callback-error-type-no-stacktrace",
            "handler::error-json-four-space-indent",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "plain-return-value-used",
        breaks: "a non-async handler's plain return value is ignored; only callback or a Promise settles the call (notes §1.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "    if (!isThenable(result)) return;",
                "    if (!isThenable(result)) { if (result !== undefined) callback(null, result); return; }",
            )],
        },
        fails: &["handler::plain-return-times-out"],
        ..Subject::BASE
    },
    Subject {
        name: "callback-without-arguments-succeeds",
        breaks: "callback() with no arguments fails, its error defaulting to {} (notes §1.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[("    if (error === undefined) error = {};\n", "")],
        },
        fails: &[
            "handler::callback-no-arguments",
            "initializer::callback-no-args-fails",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-on-every-call",
        breaks: "the initializer runs once per instance, not per call (HW-INIT-SPEC)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "      function () { pollNext(); });",
                "      function () { if (INITIALIZER && INITIALIZER.name) { runInitializer(pollNext); } else { pollNext(); } });",
            )],
        },
        fails: &[
            "initializer::logger-lines-in-triggering-call",
            "initializer::runs-once",
            "initializer::runs-once-three-steps",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-failure-ignored",
        breaks: "a failed initializer fails the call with HandledInitializationError and the handler never runs (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "    reportInitFailure(body);\n  });",
                "    onSuccess();\n  });",
            )],
        },
        fails: &[
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
            "initializer::callback-error",
            "initializer::callback-error-message",
            "initializer::callback-error-message-runtime",
            "initializer::callback-no-args-fails",
            "initializer::failure-abandons-instance",
            "initializer::failure-logged-at-error",
            "initializer::missing-export",
            "initializer::missing-module",
            "initializer::promise-reject",
            "initializer::throw",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-arity-unchecked",
        breaks: "an initializer must declare exactly 2 parameters (notes §2.2, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[("  if (fn.length !== 2) {", "  if (fn.length > 3) {")],
        },
        fails: &[
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-promise-ignored",
        breaks: "an initializer's returned Promise settles it on Node.js 8.10+ (notes §2.2, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "  callUserFunction(resolved.fn, [context], callback);",
                "  try { resolved.fn(context, callback); } catch (e) { callback(new UserFunctionError(e)); }",
            )],
        },
        fails: &[
            "initializer::promise-reject",
            "initializer::promise-resolve",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-retried-in-instance",
        breaks: "a failed instance is abandoned, never initialized again (HW-INIT-SPEC)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "    reportInitFailure(body);\n  });",
                "    setTimeout(function () { runInitializer(onSuccess); }, 10);\n  });",
            )],
        },
        fails: &[
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
            "initializer::callback-error",
            "initializer::callback-error-message",
            "initializer::callback-error-message-runtime",
            "initializer::failure-abandons-instance",
            "initializer::missing-export",
            "initializer::missing-module",
            "initializer::promise-reject",
            "initializer::throw",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "logger-debug-always",
        breaks: "debug lines appear only at level DEBUG; the default is INFO (notes §3.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "if (this.logLevel === 'DEBUG') this.write('DEBUG', arguments);",
                "this.write('DEBUG', arguments);",
            )],
        },
        fails: &[
            "logger::debug-off-by-default",
            "logger::set-level-case-sensitive",
            "logger::set-level-error",
            "logger::set-level-warn",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "logger-without-util-format",
        breaks: "logger messages are built with util.format (notes §3.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const message = util.format.apply(util, args);",
                "const message = Array.prototype.join.call(args, ' ');",
            )],
        },
        fails: &[
            "logger::format-extra-arguments",
            "logger::format-specifiers",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "credentials-undefined",
        breaks: "credential and alias getters return '' without an agency (notes §3.2, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const get = function (name) { return h[name] ? String(h[name]) : ''; };",
                "const get = function (name) { return h[name] ? String(h[name]) : undefined; };",
            )],
        },
        fails: &[
            "context::alias-empty",
            "context::credentials-empty-without-agency",
            "context::workflow-getters-empty",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "remaining-time-from-instance-start",
        breaks: "getRemainingTimeInMilliSeconds() counts from the call's start (seed; notes §3.2)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "this.startTime = new Date().getTime();",
                "this.startTime = new Date().getTime() - Math.round(process.uptime() * 1000);",
            )],
        },
        fails: &["context::remaining-time-per-call"],
        ..Subject::BASE
    },
];

/// The cases `callback-error-succeeds` affects only when one side of a race wins.
/// `initializer-never-runs` proves those cases can fail.
const CALLBACK_ERROR_RACES: &[(&str, &str)] = &[
    ("initializer::timeout-never-completes", RUNTIME_TIMER_RACE),
    ("initializer::timeout-own-limit", RUNTIME_TIMER_RACE),
];

/// runtime.js ends an initializer past `initializer_timeout` with an error (which this mutant
/// turns into success, so the handler runs), and fgref stops the instance at the limit, counted
/// from the runtime's first request, at about the moment runtime.js starts its own timer: which
/// comes first is a race, and when fgref's deadline does, the call fails as the case expects.
const RUNTIME_TIMER_RACE: &str = "runtime.js's initializer timer against fgref's deadline";
