//! fgconform: the conformance suite for FunctionGraph-compatible Node.js function runtimes.
//!
//! The modules follow the pipeline a trial goes through (ARCHITECTURE.md has the code map):
//! `discover` → `case` (load; `corpus` loads them all with the registry, `statements`) → `select` →
//! `suite` (plan trials) → `schedule` (how many at once, which first) → `package` → `deploy` →
//! `invoke` (over `wire`) → `observe` → `judge` (with `expect` and `matcher`) → `verdict` and
//! `record` → `report`; `expectations` says which trials the target is expected to fail. `cli` is
//! the command line; `target` and `reference` start what is tested; `telemetry` collects the events
//! a function's forwarder sends; `feature` and `runtime_id` hold the project's two lists;
//! `coverage` counts the corpus; `cleanup` deletes what earlier runs left on a target (`names` says
//! what the suite's names are, `live` what a run has on the target now).

pub mod case;
pub mod certify;
pub mod cleanup;
pub mod cli;
pub mod corpus;
pub mod corpus_digest;
pub mod coverage;
pub mod dependency_step;
pub mod deploy;
pub mod discover;
pub mod expect;
pub mod expectations;
pub mod feature;
pub mod invoke;
pub mod judge;
pub mod live;
pub mod matcher;
pub mod merge;
pub mod names;
pub mod observe;
pub mod package;
pub mod partition;
pub mod record;
pub mod reference;
pub mod report;
pub mod runtime_id;
pub mod schedule;
pub mod select;
pub mod statements;
pub mod suite;
pub mod target;
pub mod telemetry;
pub mod trial;
pub mod verdict;
pub mod wire;
