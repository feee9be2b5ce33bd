//! Deliberately broken Node.js runtimes: our own runtime with one documented behaviour broken,
//! swapped into fgref through `FGREF_NODEJS_BOOTSTRAP`. Each must fail exactly the cases that
//! check that behaviour and pass all the others, which proves both that the suite catches the
//! fault and that the fault is the only thing it reports.
//!
//! A mutant is a textual patch of `runtimes/reference/nodejs/runtime.js`; the patch must apply
//! exactly once, so a change to the runtime that moves the patched code fails loudly here instead
//! of silently testing the correct runtime.

use std::collections::BTreeSet;
use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::{fgconform, outcomes, project_root, text};

pub struct Mutant {
    pub name: &'static str,
    /// The documented behaviour it breaks.
    pub breaks: &'static str,
    pub find: &'static str,
    pub replace: &'static str,
    /// Case ids (`area::case`) that must fail; every other case must pass.
    pub fails: &'static [&'static str],
}

pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "initializer-never-runs",
        breaks: "the initializer runs once per instance before the first call (notes §2.1)",
        find: "if (INITIALIZER && INITIALIZER.name) {",
        replace: "if (false) {",
        fails: &[
            "initializer::callback-error",
            "initializer::callback-error-message",
            "initializer::context-function-meta",
            "initializer::runs-once",
            "initializer::success",
        ],
    },
    Mutant {
        name: "wrong-entry-error-prefix",
        breaks: "callback(err) answers `function entry exception, error: <msg>` (notes §1.3)",
        find: "entry: 'function entry exception, error: ',",
        replace: "entry: 'function entry error: ',",
        fails: &["handler::callback-error-message"],
    },
    Mutant {
        name: "returned-promise-ignored",
        breaks: "async handlers and returned Promises settle the call (seed, Node.js 8.10+)",
        find: "if (!isThenable(result)) return;",
        replace: "return;",
        // async-throw still fails as it should: the rejection nobody awaits reaches the
        // runtime's unhandled-rejection net, which reports it the same way.
        fails: &["handler::async-return", "handler::promise-timer"],
    },
    Mutant {
        name: "request-id-not-the-invokes",
        breaks: "context.getRequestID() is the invoke's request id (seed, X-Cff-Request-Id)",
        find: "getRequestID() { return this.requestID; }",
        replace: "getRequestID() { return '00000000-0000-4000-8000-000000000000'; }",
        fails: &["context::request-id"],
    },
    Mutant {
        name: "user-data-ignored",
        breaks: "context.getUserData(key) returns the function's user_data value (seed)",
        find: "getUserData(key) { return this.userData[key]; }",
        replace: "getUserData(key) { return undefined; }",
        fails: &["context::user-data"],
    },
    Mutant {
        name: "logger-without-request-id",
        breaks: "getLogger().info writes `<time> <request id> INFO <message>` (seed, notes §3.3)",
        find: "const head = utcSecondTimestamp() + ' ' + this.tag + ' ' + level + ' ';",
        replace: "const head = utcSecondTimestamp() + ' ' + level + ' ';",
        fails: &["context::logger-info"],
    },
    Mutant {
        name: "callback-error-succeeds",
        breaks: "a non-null callback error fails the call (seed)",
        find: "    onDone(error, data);\n",
        replace: "    onDone(null, data);\n",
        fails: &[
            "handler::async-throw",
            "handler::callback-error",
            "handler::callback-error-message",
            "initializer::callback-error",
            "initializer::callback-error-message",
        ],
    },
    Mutant {
        name: "remaining-time-frozen",
        breaks: "getRemainingTimeInMilliSeconds() shrinks as the call runs (seed)",
        find: "getRemainingTimeInMilliSeconds() { return this.timeout + this.startTime - new Date().getTime(); }",
        replace: "getRemainingTimeInMilliSeconds() { return this.timeout; }",
        fails: &["context::remaining-time"],
    },
    Mutant {
        name: "memory-size-as-number",
        breaks: "getMemorySize() returns the RUNTIME_MEMORY string (notes §3.2, implementation)",
        find: "getMemorySize() { return this.memory; }",
        replace: "getMemorySize() { return Number(this.memory); }",
        fails: &["context::memory-cpu-strings"],
    },
    Mutant {
        name: "string-results-quoted",
        breaks: "a string result is returned as is, unquoted (notes §1.3, implementation)",
        find: "    text = safeString(data);\n",
        replace: "    text = JSON.stringify(data);\n",
        fails: &["handler::string-result-unquoted"],
    },
    Mutant {
        name: "console-output-dropped",
        breaks: "console.log output reaches the call's log (seed: 日志输出 by console.log)",
        find: "function main() {\n",
        replace: "function main() {\n  console.log = function () {};\n",
        fails: &["handler::log-console", "handler::log-tail-limit"],
    },
    Mutant {
        name: "function-name-wrong",
        breaks: "context.getFunctionName() is the function's name (seed)",
        find: "getFunctionName() { return this.functionName; }",
        replace: "getFunctionName() { return 'handler'; }",
        fails: &[
            "context::function-name-memory",
            "initializer::context-function-meta",
        ],
    },
];

pub fn trials() -> Vec<Trial> {
    MUTANTS
        .iter()
        .map(|mutant| {
            Trial::test(
                format!("selftest::broken-runtime::{}", mutant.name),
                move || check(mutant),
            )
        })
        .collect()
}

fn check(mutant: &Mutant) -> Result<(), Failed> {
    let source =
        std::fs::read_to_string(project_root().join("runtimes/reference/nodejs/runtime.js"))?;
    let count = source.matches(mutant.find).count();
    if count != 1 {
        return Err(format!(
            "the patch `{}` applies {count} times to runtime.js, not once: update the mutant",
            mutant.find
        )
        .into());
    }
    let dir = tempfile::tempdir()?;
    let bootstrap = dir.path().join("runtime.js");
    std::fs::write(&bootstrap, source.replacen(mutant.find, mutant.replace, 1))?;
    let output = fgconform(
        &["--format", "json", "--test-threads", "2"],
        &[("FGREF_NODEJS_BOOTSTRAP", Path::new(&bootstrap))],
    );
    let found = outcomes(&output);
    if found.is_empty() {
        return Err(format!("the suite produced no verdicts:\n{}", text(&output)).into());
    }
    let failed: BTreeSet<String> = found
        .iter()
        .filter(|(_, (outcome, _))| outcome == "failed")
        .map(|(name, _)| {
            name.split_once("::")
                .map_or(name.clone(), |(_, id)| id.to_owned())
        })
        .collect();
    let expected: BTreeSet<String> = mutant.fails.iter().map(|id| (*id).to_owned()).collect();
    if failed != expected {
        let missed: Vec<_> = expected.difference(&failed).collect();
        let extra: Vec<_> = failed.difference(&expected).collect();
        return Err(format!(
            "broken runtime `{}` ({}):\n  not caught by: {missed:?}\n  unexpectedly failing: {extra:?}\n{}",
            mutant.name,
            mutant.breaks,
            text(&output)
        )
        .into());
    }
    // A failure must be a conformance verdict, not the target breaking down.
    for (name, (outcome, message)) in &found {
        if outcome == "failed" && message.contains("ERROR (") {
            return Err(format!("{name} errored instead of failing:\n{message}").into());
        }
    }
    Ok(())
}
