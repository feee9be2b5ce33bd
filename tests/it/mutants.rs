//! Deliberately broken Node.js runtimes: our own runtime with one documented behaviour broken,
//! swapped into fgref through `FGREF_NODEJS_BOOTSTRAP`. Each must fail exactly the cases that
//! check that behaviour and pass every other case of their areas and a sample of the other
//! Node.js runtime cases (`support::affected_corpus`; the platform's areas are left to
//! tests/it/platforms.rs), which proves both that the suite catches the fault and that the fault
//! is the only thing it reports.
//!
//! A mutant is a textual patch of `runtimes/reference/nodejs/runtime.js`; the patch must apply
//! exactly once, so a change to the runtime that moves the patched code fails loudly here instead
//! of silently testing the correct runtime.

use crate::support::selftest;
use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::{affected_corpus, fails_exactly, fgconform, project_root, release_missing};

pub struct Mutant {
    pub name: &'static str,
    /// The documented behaviour it breaks.
    pub breaks: &'static str,
    /// The runtime the corpus runs on for it: the default one, unless the behaviour is
    /// version-specific.
    pub runtime: &'static str,
    pub find: &'static str,
    pub replace: &'static str,
    /// Case ids (`area::case`) that must fail; every other case must pass.
    pub fails: &'static [&'static str],
}

pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "initializer-never-runs",
        breaks: "the initializer runs once per instance before the first call (notes §2.1)",
        runtime: "Node.js20.15",
        find: "if (INITIALIZER && INITIALIZER.name) {",
        replace: "if (false) {",
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
            "initializer::handler-file-used",
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
    },
    Mutant {
        name: "wrong-entry-error-prefix",
        breaks: "callback(err) answers `function entry exception, error: <msg>` (notes §1.3)",
        runtime: "Node.js20.15",
        find: "entry: 'function entry exception, error: ',",
        replace: "entry: 'function entry error: ',",
        fails: &[
            "handler::arity-four-params",
            "handler::arity-one-param",
            "handler::arity-rest-params",
            "handler::callback-error-message",
            "handler::callback-error-type-no-stacktrace",
            "handler::callback-no-arguments",
            "handler::callback-object-error",
            "handler::missing-dependency",
            "handler::missing-export",
            "handler::missing-module",
            "handler::module-throws-at-load",
            "handler::syntax-error-at-load",
        ],
    },
    Mutant {
        name: "returned-promise-ignored",
        breaks: "async handlers and returned Promises settle the call (seed, Node.js 8.10+)",
        runtime: "Node.js20.15",
        find: "if (!isThenable(result)) return;",
        replace: "return;",
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
    },
    Mutant {
        name: "request-id-not-the-invokes",
        breaks: "context.getRequestID() is the invoke's request id (seed, X-Cff-Request-Id)",
        runtime: "Node.js20.15",
        find: "getRequestID() { return this.requestID; }",
        replace: "getRequestID() { return '00000000-0000-4000-8000-000000000000'; }",
        fails: &[
            "context::request-id",
            "context::request-id-warm",
            "initializer::context-request-id-empty",
        ],
    },
    Mutant {
        name: "user-data-ignored",
        breaks: "context.getUserData(key) returns the function's user_data value (seed)",
        runtime: "Node.js20.15",
        find: "getUserData(key) { return this.userData[key]; }",
        replace: "getUserData(key) { return undefined; }",
        fails: &[
            "context::user-data",
            "context::user-data-absent-key",
            "context::user-data-environment",
            "initializer::context-user-data",
        ],
    },
    Mutant {
        name: "logger-without-request-id",
        breaks: "getLogger().info writes `<time> <request id> INFO <message>` (seed, notes §3.3)",
        runtime: "Node.js20.15",
        find: "const head = utcSecondTimestamp() + ' ' + this.tag + ' ' + level + ' ';",
        replace: "const head = utcSecondTimestamp() + ' ' + level + ' ';",
        fails: &[
            "context::logger-info",
            "context::logger-info-prefixed",
            "logger::console-and-logger-order",
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
    },
    Mutant {
        name: "callback-error-succeeds",
        breaks: "a non-null callback error fails the call (seed)",
        runtime: "Node.js20.15",
        find: "    onDone(error, data);\n",
        replace: "    onDone(null, data);\n",
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
            "initializer::missing-export",
            "initializer::missing-module",
            "initializer::promise-reject",
            "initializer::throw",
        ],
    },
    Mutant {
        name: "remaining-time-frozen",
        breaks: "getRemainingTimeInMilliSeconds() shrinks as the call runs (seed)",
        runtime: "Node.js20.15",
        find: "getRemainingTimeInMilliSeconds() { return this.timeout + this.startTime - new Date().getTime(); }",
        replace: "getRemainingTimeInMilliSeconds() { return this.timeout; }",
        fails: &[
            "context::remaining-time",
            "context::remaining-time-per-call",
        ],
    },
    Mutant {
        name: "memory-size-as-number",
        breaks: "getMemorySize() returns the RUNTIME_MEMORY string (notes §3.2, implementation)",
        runtime: "Node.js20.15",
        find: "getMemorySize() { return this.memory; }",
        replace: "getMemorySize() { return Number(this.memory); }",
        fails: &["context::memory-cpu-strings"],
    },
    Mutant {
        name: "string-results-quoted",
        breaks: "a string result is returned as is, unquoted (notes §1.3, implementation)",
        runtime: "Node.js20.15",
        find: "    text = safeString(data);\n",
        replace: "    text = JSON.stringify(data);\n",
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
    },
    Mutant {
        name: "console-output-dropped",
        breaks: "console.log output reaches the call's log (seed: 日志输出 by console.log)",
        runtime: "Node.js20.15",
        find: "function main() {\n",
        replace: "function main() {\n  console.log = function () {};\n",
        fails: &[
            "handler::log-console",
            "handler::log-tail-limit",
            "logger::console-and-logger-order",
        ],
    },
    Mutant {
        name: "function-name-wrong",
        breaks: "context.getFunctionName() is the function's name (seed)",
        runtime: "Node.js20.15",
        find: "getFunctionName() { return this.functionName; }",
        replace: "getFunctionName() { return 'handler'; }",
        fails: &[
            "context::function-name-memory",
            "initializer::context-function-meta",
        ],
    },
    Mutant {
        name: "handler-arity-unchecked",
        breaks: "a handler must declare 2 or 3 parameters (exactly 3 on Node.js 6.10), else FunctionLoadError (notes §1.3, implementation)",
        runtime: "Node.js20.15",
        find: "if (LEGACY_NODE ? arity !== 3 : (arity !== 2 && arity !== 3)) {",
        replace: "if (false) {",
        fails: &[
            "handler::arity-four-params",
            "handler::arity-one-param",
            "handler::arity-rest-params",
        ],
    },
    Mutant {
        name: "node6-honours-promise",
        breaks: "Node.js 6.10 ignores a handler's returned Promise: callback only (seed: 6.10 has the callback form; notes §1.3)",
        runtime: "Node.js6.10",
        find: "  if (LEGACY_NODE) return;",
        replace: "  if (false) return;",
        fails: &[
            "handler::promise-ignored-node6",
            "handler::promise-only-node6-times-out",
            "initializer::promise-ignored-node6",
        ],
    },
    Mutant {
        name: "code-root-shown",
        breaks: "error JSON shows the code root as `.` (notes §1.3, implementation)",
        runtime: "Node.js20.15",
        find: "  return hideCodeRoot(JSON.stringify(body, null, 4));",
        replace: "  return JSON.stringify(body, null, 4);",
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
    },
    Mutant {
        name: "callback-error-with-stack-trace",
        breaks: "callback(err) carries no stackTrace (community guide's documented output)",
        runtime: "Node.js20.15",
        find: "    return errorJson(PREFIX.entry + error.message, error.type || error.name);",
        replace: "    return errorJson(PREFIX.entry + error.message, error.type || error.name, []);",
        fails: &["handler::callback-error-type-no-stacktrace"],
    },
    Mutant {
        name: "plain-return-value-used",
        breaks: "a non-async handler's plain return value is ignored; only callback or a Promise settles the call (notes §1.3, implementation)",
        runtime: "Node.js20.15",
        find: "    if (!isThenable(result)) return;",
        replace: "    if (!isThenable(result)) { if (result !== undefined) callback(null, result); return; }",
        fails: &["handler::plain-return-times-out"],
    },
    Mutant {
        name: "callback-without-arguments-succeeds",
        breaks: "callback() with no arguments fails, its error defaulting to {} (notes §1.3, implementation)",
        runtime: "Node.js20.15",
        find: "    if (error === undefined) error = {};\n",
        replace: "",
        fails: &[
            "handler::callback-no-arguments",
            "initializer::callback-no-args-fails",
        ],
    },
    Mutant {
        name: "initializer-on-every-call",
        breaks: "the initializer runs once per instance, not per call (HW-INIT-SPEC)",
        runtime: "Node.js20.15",
        find: "      function () { pollNext(); });",
        replace: "      function () { if (INITIALIZER && INITIALIZER.name) { runInitializer(pollNext); } else { pollNext(); } });",
        fails: &[
            "initializer::runs-once",
            "initializer::runs-once-three-steps",
        ],
    },
    Mutant {
        name: "initializer-failure-ignored",
        breaks: "a failed initializer fails the call with HandledInitializationError and the handler never runs (seed)",
        runtime: "Node.js20.15",
        find: "    reportInitFailure(body);\n  });",
        replace: "    onSuccess();\n  });",
        fails: &[
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
            "initializer::callback-error",
            "initializer::callback-error-message",
            "initializer::callback-error-message-runtime",
            "initializer::callback-no-args-fails",
            "initializer::failure-abandons-instance",
            "initializer::missing-export",
            "initializer::missing-module",
            "initializer::promise-reject",
            "initializer::throw",
        ],
    },
    Mutant {
        name: "initializer-arity-unchecked",
        breaks: "an initializer must declare exactly 2 parameters (notes §2.2, implementation)",
        runtime: "Node.js20.15",
        find: "  if (fn.length !== 2) {",
        replace: "  if (fn.length > 3) {",
        fails: &[
            "initializer::arity-async-one-param",
            "initializer::arity-one-param",
            "initializer::arity-three-params",
        ],
    },
    Mutant {
        name: "initializer-promise-ignored",
        breaks: "an initializer's returned Promise settles it on Node.js 8.10+ (notes §2.2, implementation)",
        runtime: "Node.js20.15",
        find: "  callUserFunction(resolved.fn, [context], callback);",
        replace: "  try { resolved.fn(context, callback); } catch (e) { callback(new UserFunctionError(e)); }",
        fails: &[
            "initializer::promise-reject",
            "initializer::promise-resolve",
        ],
    },
    Mutant {
        name: "initializer-retried-in-instance",
        breaks: "a failed instance is abandoned, never initialized again (HW-INIT-SPEC)",
        runtime: "Node.js20.15",
        find: "    reportInitFailure(body);\n  });",
        replace: "    setTimeout(function () { runInitializer(onSuccess); }, 10);\n  });",
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
    },
    Mutant {
        name: "logger-debug-always",
        breaks: "debug lines appear only at level DEBUG; the default is INFO (notes §3.3, implementation)",
        runtime: "Node.js20.15",
        find: "if (this.logLevel === 'DEBUG') this.write('DEBUG', arguments);",
        replace: "this.write('DEBUG', arguments);",
        fails: &[
            "logger::debug-off-by-default",
            "logger::set-level-case-sensitive",
            "logger::set-level-error",
            "logger::set-level-warn",
        ],
    },
    Mutant {
        name: "logger-without-util-format",
        breaks: "logger messages are built with util.format (notes §3.3, implementation)",
        runtime: "Node.js20.15",
        find: "const message = util.format.apply(util, args);",
        replace: "const message = Array.prototype.join.call(args, ' ');",
        fails: &[
            "logger::format-extra-arguments",
            "logger::format-specifiers",
        ],
    },
    Mutant {
        name: "credentials-undefined",
        breaks: "credential and alias getters return '' without an agency (notes §3.2, implementation)",
        runtime: "Node.js20.15",
        find: "const get = function (name) { return h[name] ? String(h[name]) : ''; };",
        replace: "const get = function (name) { return h[name] ? String(h[name]) : undefined; };",
        fails: &[
            "context::alias-empty",
            "context::credentials-empty-without-agency",
        ],
    },
    Mutant {
        name: "remaining-time-from-instance-start",
        breaks: "getRemainingTimeInMilliSeconds() counts from the call's start (seed; notes §3.2)",
        runtime: "Node.js20.15",
        find: "this.startTime = new Date().getTime();",
        replace: "this.startTime = new Date().getTime() - Math.round(process.uptime() * 1000);",
        fails: &["context::remaining-time-per-call"],
    },
    Mutant {
        name: "request-id-of-first-call",
        breaks: "each call's context carries that call's request id (seed)",
        runtime: "Node.js20.15",
        find: "  getRequestID() { return this.requestID; }",
        replace: "  getRequestID() { if (!process.fgFirstRid) process.fgFirstRid = this.requestID; return process.fgFirstRid; }",
        fails: &["context::request-id-warm"],
    },
    Mutant {
        name: "logger-shared-across-calls",
        breaks: "each call gets a fresh logger at level INFO (notes §3.3, implementation)",
        runtime: "Node.js20.15",
        find: "this.logger = new Logger(loggerTag);",
        replace: "this.logger = Context.shared || (Context.shared = new Logger(loggerTag));",
        fails: &["logger::level-resets-per-call"],
    },
];

/// Cases a mutant affects only when one side of a race wins, left out of its run: (mutant, case,
/// why). `initializer-never-runs` proves those cases can fail.
const RACES: &[(&str, &str, &str)] = &[
    (
        "callback-error-succeeds",
        "initializer::timeout-never-completes",
        RUNTIME_TIMER_RACE,
    ),
    (
        "callback-error-succeeds",
        "initializer::timeout-own-limit",
        RUNTIME_TIMER_RACE,
    ),
];

/// runtime.js ends an initializer past `initializer_timeout` with an error (which this mutant
/// turns into success, so the handler runs), and fgref stops the instance at the limit plus
/// node's measured start-up plus 200 ms: when node starts slower than measured, as on a loaded
/// machine, fgref's deadline comes first and the call fails as the case expects.
const RUNTIME_TIMER_RACE: &str = "runtime.js's initializer timer against fgref's deadline";

/// Trial-name parts of the areas that check the platform rather than the Node.js runtime.
const PLATFORM_AREAS: [&str; 12] = [
    "::api::",
    "::async-invocation::",
    "::summary::",
    "::logs::",
    "::timeout::",
    "::memory::",
    "::crash::",
    "::sizes::",
    "::instances::",
    "::environment::",
    "::extensions::",
    "::telemetry::",
];

pub fn trials() -> Vec<Trial> {
    MUTANTS
        .iter()
        .map(|mutant| {
            let name = format!("selftest::broken-runtime::{}", mutant.name);
            // `cargo test` never downloads; a release nobody installed cannot run the mutant,
            // and saying so beats a failure that is not about the mutant.
            match fgref::node::resolve(mutant.runtime, fgref::node::default_cache().as_deref()) {
                Ok(_) => selftest(name, move || check(mutant)),
                Err(error) => release_missing(name, mutant.runtime, error),
            }
        })
        .collect()
}

fn check(mutant: &Mutant) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let bootstrap = patched_runtime(dir.path(), &[(mutant.find, mutant.replace)])?;
    // The areas of the cases it must fail, whole, and a sample of the runtime's other cases.
    let corpus = affected_corpus(mutant.name, mutant.fails, |id| {
        !PLATFORM_AREAS.contains(&format!("::{}::", area_of(id)).as_str())
    })?;
    let mut args = vec![
        "--cases",
        corpus.path().to_str().ok_or("temp path is not UTF-8")?,
        "--format",
        "json",
        "--test-threads",
        "2",
        "--runtime",
        mutant.runtime,
    ];
    // The platform's cases (tests/it/platforms.rs breaks the platform instead) wait out
    // timeouts and idle times; leaving them out keeps thirty corpus runs affordable.
    for area in PLATFORM_AREAS {
        args.extend(["--skip", area]);
    }
    for (_, case, _) in RACES.iter().filter(|(name, _, _)| *name == mutant.name) {
        args.extend(["--skip", case]);
    }
    let output = fgconform(&args, &[("FGREF_NODEJS_BOOTSTRAP", Path::new(&bootstrap))]);
    fails_exactly(
        &output,
        mutant.fails,
        &format!("broken runtime `{}` ({})", mutant.name, mutant.breaks),
    )
}

/// The area of a case id, `area` of `area::case`.
fn area_of(id: &str) -> &str {
    id.split("::").next().unwrap_or(id)
}

/// `runtime.js` with each (find, replace) patch applied, written into `dir`; each `find` must
/// occur exactly once, so a change to the runtime that moves the patched code fails loudly
/// instead of silently testing the correct runtime.
pub fn patched_runtime(dir: &Path, patches: &[(&str, &str)]) -> Result<PathBuf, Failed> {
    let mut source =
        std::fs::read_to_string(project_root().join("runtimes/reference/nodejs/runtime.js"))?;
    for (find, replace) in patches {
        let count = source.matches(find).count();
        if count != 1 {
            return Err(format!(
                "the patch `{find}` applies {count} times to runtime.js, not once: update the mutant"
            )
            .into());
        }
        source = source.replacen(find, replace, 1);
    }
    let bootstrap = dir.join("runtime.js");
    std::fs::write(&bootstrap, source)?;
    Ok(bootstrap)
}
