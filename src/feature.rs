//! The project's features, the one list: what `features` in `case.toml`, a target descriptor's
//! `features`, `--feature`, `--coverage` and the self-tests name.

use std::fmt;

/// Which part of a FunctionGraph-compatible target a feature exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The Node.js language runtime: handlers, the initializer, the context, the logger.
    LanguageRuntime,
    /// The platform around it: the API, instances, limits, summaries and logs.
    Platform,
}

/// One feature: its name in cases and descriptors, what it covers, and where that lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub name: &'static str,
    pub about: &'static str,
    pub scope: Scope,
}

const fn runtime(name: &'static str, about: &'static str) -> Feature {
    Feature {
        name,
        about,
        scope: Scope::LanguageRuntime,
    }
}

const fn platform(name: &'static str, about: &'static str) -> Feature {
    Feature {
        name,
        about,
        scope: Scope::Platform,
    }
}

/// Every feature, in the order `--coverage` and the docs list them (CASE-FORMAT.md).
pub const FEATURES: [Feature; 24] = [
    runtime(
        "callback",
        "the handler answers through callback(err, data)",
    ),
    runtime("async-handler", "async handlers (Node.js 8.10+)"),
    runtime("promise", "handlers that return a Promise (Node.js 8.10+)"),
    runtime("initializer", "the initializer entry point"),
    runtime("context", "the context object's methods"),
    runtime(
        "user-data",
        "user_data: environment variables set on the function",
    ),
    runtime("request-id", "request ids: context, headers and body agree"),
    runtime(
        "logger",
        "context.getLogger() and console output in the call's log",
    ),
    runtime(
        "errors",
        "failed calls: error types, messages and stack traces",
    ),
    runtime(
        "apig",
        "the APIG-shaped response {statusCode, headers, isBase64Encoded, body}",
    ),
    platform(
        "summary",
        "the execution summary and billing headers of an invoke",
    ),
    platform(
        "platform-log",
        "the platform's Start/Finish lines and the log tail (body and header)",
    ),
    platform(
        "timeout",
        "a call past the function's timeout, and the instance after it",
    ),
    platform(
        "memory-limit",
        "memory_size enforced: a call past it fails, the next works",
    ),
    platform(
        "crash",
        "an instance process that exits or throws outside a call",
    ),
    platform("sizes", "request and response size limits, non-JSON bodies"),
    platform(
        "api-errors",
        "CreateFunction, DeleteFunction and InvokeFunction errors (FSS codes)",
    ),
    platform(
        "answer-formats",
        "the synchronous answer's body formats: v1 JSON, v0 text, no version header",
    ),
    platform(
        "functions-api",
        "what CreateFunction and ListFunctions answer: the function model, listings of functions",
    ),
    platform(
        "async-invocation",
        "asynchronous calls (invocations-async) and their outcome in ListAsyncInvocations",
    ),
    platform(
        "instances",
        "instances: concurrency, idle recycling, deletion",
    ),
    platform(
        "environment",
        "what a function's process sees of its environment",
    ),
    platform(
        "extensions",
        "extensions shipped as dependencies: registration and invoke events",
    ),
    platform(
        "telemetry",
        "the telemetry events a subscribed extension receives",
    ),
];

/// The feature called `name`.
pub fn find(name: &str) -> Option<&'static Feature> {
    FEATURES.iter().find(|feature| feature.name == name)
}

/// The names of the features of `scope`.
pub fn names_in(scope: Scope) -> impl Iterator<Item = &'static str> {
    FEATURES
        .iter()
        .filter(move |feature| feature.scope == scope)
        .map(|feature| feature.name)
}

/// Why a feature name is not one of ours, with the list, for every place that takes names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feature `{0}`; known features: {known}", known = KnownFeatures)]
pub struct UnknownFeature(pub String);

/// The names of every feature, comma-separated.
struct KnownFeatures;

impl fmt::Display for KnownFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = FEATURES.iter().map(|feature| feature.name).collect();
        f.write_str(&names.join(", "))
    }
}

/// `name`, if it is a feature.
pub fn check(name: &str) -> Result<&'static Feature, UnknownFeature> {
    find(name).ok_or_else(|| UnknownFeature(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_scope_has_features() {
        for (i, feature) in FEATURES.iter().enumerate() {
            assert!(
                FEATURES[i + 1..]
                    .iter()
                    .all(|other| other.name != feature.name),
                "{} twice",
                feature.name
            );
        }
        assert!(names_in(Scope::Platform).any(|name| name == "summary"));
        assert!(names_in(Scope::LanguageRuntime).any(|name| name == "callback"));
        let error = check("telepathy").unwrap_err().to_string();
        assert!(
            error.starts_with("unknown feature `telepathy`; known features: callback, "),
            "{error}"
        );
    }
}
