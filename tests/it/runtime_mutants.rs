//! More deliberately broken Node.js runtimes, the same kind as `mutants.rs` (whose file is at its
//! size limit): each breaks one behaviour of the context, the logger, the error body, the failure
//! log, the initializer string or console output, and must fail exactly the cases that check it.

use crate::subject::{Cases, Kind, Subject};

pub const RUNTIME_MUTANTS: &[Subject] = &[
    Subject {
        name: "request-id-of-first-call",
        breaks: "each call's context carries that call's request id (seed)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "  getRequestID() { return this.requestID; }",
                "  getRequestID() { if (!process.fgFirstRid) process.fgFirstRid = this.requestID; return process.fgFirstRid; }",
            )],
        },
        fails: &["context::request-id-warm"],
        ..Subject::BASE
    },
    Subject {
        name: "logger-shared-across-calls",
        breaks: "each call gets a fresh logger at level INFO (notes §3.3, implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "this.logger = new Logger(loggerTag);",
                "this.logger = Context.shared || (Context.shared = new Logger(loggerTag));",
            )],
        },
        fails: &["logger::level-resets-per-call"],
        ..Subject::BASE
    },
    Subject {
        name: "user-data-from-own-variables",
        breaks: "getUserData(key) reads the JSON object in RUNTIME_USERDATA (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "getUserData(key) { return this.userData[key]; }",
                "getUserData(key) { return process.env[key]; }",
            )],
        },
        fails: &["context::getters-read-runtime-variables"],
        ..Subject::BASE
    },
    Subject {
        name: "invoke-getters-added",
        breaks: "the Node.js context has no getTraceID, getInvokeID, getInvokeProperty, getInstanceID or getState (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "  getLogger() { return this.logger; }\n",
                "  getLogger() { return this.logger; }\n  getTraceID() { return this.traceID; }\n  getInvokeID() { return this.invokeID; }\n",
            )],
        },
        fails: &["context::no-invoke-getters"],
        ..Subject::BASE
    },
    Subject {
        name: "workflow-getters-null",
        breaks: "the workflow getters return '' for a call no workflow made (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "this.workflowStateID = get('x-cff-workflow-state-id');",
                "this.workflowStateID = null;",
            )],
        },
        fails: &["context::workflow-getters-empty"],
        ..Subject::BASE
    },
    Subject {
        name: "cpu-with-unit-suffix",
        breaks: "RUNTIME_CPU is a plain positive number (configuring_environment_variables, custom_runtime)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const ENV = process.env;",
                "const ENV = process.env;\nENV.RUNTIME_CPU = ENV.RUNTIME_CPU + 'm';",
            )],
        },
        // The environment's cases are the platform's, which the affected corpus leaves out.
        cases: Cases::Select(&["--feature", "environment", "--feature", "context"]),
        fails: &[
            "context::cpu-number-positive",
            "environment::cpu-variable-positive",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "error-json-compact",
        breaks: "the error object is JSON indented with 4 spaces (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "  return hideCodeRoot(JSON.stringify(body, null, 4));",
                "  return hideCodeRoot(JSON.stringify(body));",
            )],
        },
        fails: &["handler::error-json-four-space-indent"],
        ..Subject::BASE
    },
    Subject {
        name: "failure-not-logged",
        breaks: "a handler failure is written to the call's log at ERROR level (implementation; seed: the log shows the error)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "        context.getLogger().error(failureLogText(error));\n        outcome",
                "        outcome",
            )],
        },
        // The log cases are the platform's, which the affected corpus leaves out.
        cases: Cases::Select(&[
            "--feature",
            "errors",
            "--skip",
            "::telemetry::",
            "--skip",
            "::async-invocation::",
        ]),
        fails: &[
            "handler::failure-logged-at-error",
            "logs::failed-call-log-shows-error",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-failure-not-logged",
        breaks: "a failed initialization is written through the initializer's logger at ERROR level (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "      context.getLogger().error(failureLogText(error));\n      body",
                "      body",
            )],
        },
        fails: &["initializer::failure-logged-at-error"],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-string-split-at-last-dot",
        breaks: "an initializer_handler of other than two dot-separated parts runs no initializer (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "if (!value || String(value).split('.').length !== 2) return null;",
                "if (!value) return null;",
            )],
        },
        fails: &["initializer::handler-three-parts-no-initializer"],
        ..Subject::BASE
    },
    Subject {
        name: "initializer-logger-untagged",
        breaks: "the initializer's log lines carry the triggering request's trace id or the invoke id `initializer` (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "const context = new Context('', null, 'initializer');",
                "const context = new Context('', null, '-');",
            )],
        },
        fails: &[
            "initializer::failure-logged-at-error",
            "initializer::logger-lines-in-triggering-call",
        ],
        ..Subject::BASE
    },
    Subject {
        name: "console-lines-timestamped",
        breaks: "console output carries no timestamp of its own (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[(
                "function main() {\n",
                "function main() {\n  process.stdout.write = function (chunk, encoding, cb) { return stdoutWrite(utcSecondTimestamp() + ' ' + chunk, encoding, cb); };\n",
            )],
        },
        fails: &["logger::console-line-no-timestamp"],
        ..Subject::BASE
    },
    Subject {
        // A runtime that follows each call's asynchronous work, as AsyncLocalStorage allows, and
        // drops what an earlier call's leftovers print.
        name: "console-attributed-to-writing-call",
        breaks: "console output goes to the request of the latest logger, whichever call wrote it (implementation)",
        kind: Kind::Runtime {
            runtime: "Node.js20.15",
            patches: &[
                (
                    "function invoke(requestId, headers, body) {\n",
                    "function invoke(requestId, headers, body) {\n  currentCall = requestId;\n",
                ),
                (
                    "  callUserFunction(resolved.fn, [event, context], callback);\n",
                    "  callStore.run(requestId, function () { callUserFunction(resolved.fn, [event, context], callback); });\n",
                ),
                (
                    "function main() {\n",
                    "let currentCall = null;\nconst callStore = new (require('async_hooks').AsyncLocalStorage)();\nfunction main() {\n  process.stdout.write = function (chunk, encoding, cb) { const owner = callStore.getStore(); if (owner !== undefined && owner !== currentCall) return true; return stdoutWrite(chunk, encoding, cb); };\n",
                ),
            ],
        },
        fails: &["logger::console-attributed-to-call-in-flight"],
        ..Subject::BASE
    },
];
