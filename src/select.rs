//! Selecting what a run covers: the corpus, the target, the runtime ids, the levels and the
//! features, as plain values the command line (or a test) fills in, checked against the target.

use std::path::{Path, PathBuf};

use crate::case::{Case, Level};
use crate::feature::{self, UnknownFeature};
use crate::runtime_id::RuntimeId;
use crate::target::Target;

const DEFAULT_CASES: &str = "cases";
const DEFAULT_TARGET: &str = "runtimes/reference.toml";

/// What to run. `None` and empty lists mean the defaults.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Another corpus root (`--cases`); default: the project's own `cases/`.
    pub cases: Option<PathBuf>,
    /// The target descriptor (`--target`); default: `runtimes/reference.toml`.
    pub target: Option<PathBuf>,
    /// Runtime ids, or `all` (`--runtime`); default: the target's `default_runtimes`.
    pub runtimes: Vec<String>,
    /// Only cases of these levels.
    pub levels: Vec<Level>,
    /// Only cases with at least one of these features.
    pub features: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("--runtime: {0}")]
    Runtime(String),
    #[error("--feature: {0}")]
    Feature(#[from] UnknownFeature),
}

impl Selection {
    pub fn cases_root(&self) -> PathBuf {
        self.cases
            .clone()
            .unwrap_or_else(|| default_path(DEFAULT_CASES))
    }

    pub fn target_path(&self) -> PathBuf {
        self.target
            .clone()
            .unwrap_or_else(|| default_path(DEFAULT_TARGET))
    }

    /// Every selected feature must be one of ours.
    pub fn check_features(&self) -> Result<(), SelectError> {
        for name in &self.features {
            feature::check(name)?;
        }
        Ok(())
    }

    /// The runtime ids of `target` the run covers, oldest first.
    pub fn runtimes_of(&self, target: &Target) -> Result<Vec<RuntimeId>, SelectError> {
        if self.runtimes.is_empty() {
            return Ok(target.default_runtimes.clone());
        }
        if self.runtimes.iter().any(|r| r == "all") {
            return Ok(target.runtimes.clone());
        }
        let mut selected = Vec::new();
        for text in &self.runtimes {
            let id = RuntimeId::parse(text).ok_or_else(|| {
                SelectError::Runtime(format!(
                    "unknown runtime id `{text}`; expected `all` or one of {}",
                    RuntimeId::list()
                ))
            })?;
            if !target.runtimes.contains(&id) {
                let serves: Vec<_> = target.runtimes.iter().map(|id| id.as_str()).collect();
                return Err(SelectError::Runtime(format!(
                    "the target `{}` does not serve {id} (it serves {})",
                    target.name,
                    serves.join(", ")
                )));
            }
            if !selected.contains(&id) {
                selected.push(id);
            }
        }
        selected.sort();
        Ok(selected)
    }

    /// Whether `case` is of a selected level and has a selected feature.
    pub fn includes(&self, case: &Case) -> bool {
        (self.levels.is_empty() || self.levels.contains(&case.level))
            && (self.features.is_empty() || case.features.iter().any(|f| self.features.contains(f)))
    }
}

/// A relative default is looked up in the working directory, then in the project's own tree, so
/// `cargo run` and `cargo test` work from any directory of the checkout.
fn default_path(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    if here.exists() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }
}
