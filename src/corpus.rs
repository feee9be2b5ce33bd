//! A corpus as a whole: its statement registry, then every case directory below its root,
//! each loaded and its citations checked, so that one case that does not load costs one row.

use std::path::{Path, PathBuf};

use crate::case::{Case, CaseError};
use crate::discover::{self, DiscoverError};
use crate::statements::{self, Registry};

/// A case directory with its case, or why it does not load.
pub type LoadedCase = (PathBuf, Result<Case, CaseError>);

/// Why a corpus cannot be loaded at all (one case that does not load is a row of its own).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// Cases' citations cannot be checked against a registry that does not load.
    #[error("the statement registry does not load: {0}")]
    Statements(#[source] CaseError),
}

/// A corpus: its statement registry, when it has one, and every case directory, loaded.
pub struct Corpus {
    pub registry: Option<Registry>,
    pub cases: Vec<LoadedCase>,
}

impl Corpus {
    /// Every case, for counts over the whole corpus, or the errors of those that do not load
    /// (counts without them would be wrong).
    pub fn every_case(self) -> Result<(Option<Registry>, Vec<Case>), Vec<CaseError>> {
        let (cases, errors): (Vec<_>, Vec<_>) = self
            .cases
            .into_iter()
            .map(|(_, loaded)| loaded)
            .partition(Result::is_ok);
        if errors.is_empty() {
            Ok((self.registry, cases.into_iter().flatten().collect()))
        } else {
            Err(errors.into_iter().filter_map(Result::err).collect())
        }
    }
}

/// The corpus at `root`.
pub fn load_corpus(root: &Path) -> Result<Corpus, CorpusError> {
    let registry = Registry::load(root).map_err(CorpusError::Statements)?;
    let dirs = discover::case_dirs(root)?;
    let cases = dirs
        .into_iter()
        .map(|found| match found {
            Ok(dir) => {
                let loaded = Case::load(root, &dir).and_then(|case| {
                    statements::check_citations(&case, registry.as_ref()).map(|()| case)
                });
                (dir, loaded)
            }
            // A directory that cannot be searched is one case-format row; the rest runs.
            Err(unreadable) => {
                let error = CaseError::Read {
                    file: unreadable.dir.clone(),
                    source: std::io::Error::new(
                        unreadable.source.kind(),
                        format!(
                            "cannot search this directory ({}); the cases below it, if any, are not run",
                            unreadable.source
                        ),
                    ),
                };
                (unreadable.dir, Err(error))
            }
        })
        .collect();
    Ok(Corpus { registry, cases })
}
