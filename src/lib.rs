//! fgconform: the conformance suite for FunctionGraph-compatible Node.js function runtimes.
//!
//! The modules follow the pipeline a trial goes through:
//! `discover` → `case` (load) → `suite` (select, plan trials) → `package` → `target` (start) →
//! `protocol` (deploy, invoke) → `execute` (collect, match with `matcher`) → `verdict` (render) →
//! `report` (what ran where). `coverage` counts the corpus; `install` gets the Node.js releases fgref needs into its cache.

pub mod case;
pub mod coverage;
pub mod discover;
pub mod execute;
pub mod install;
pub mod matcher;
pub mod package;
pub mod protocol;
pub mod report;
pub mod runtime_id;
pub mod suite;
pub mod target;
pub mod verdict;
