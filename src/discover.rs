//! Finding the case directories of a corpus: every directory below the root holding a `case.toml`.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("the case directory {} does not exist (pass --cases DIR or set FGCONFORM_CASES)", .0.display())]
    MissingRoot(PathBuf),
    #[error("cannot search {}: {message}", root.display())]
    Glob { root: PathBuf, message: String },
}

/// Case directories below `root`, sorted so trial order is stable.
pub fn case_dirs(root: &Path) -> Result<Vec<PathBuf>, DiscoverError> {
    if !root.is_dir() {
        return Err(DiscoverError::MissingRoot(root.to_owned()));
    }
    let glob_error = |message: String| DiscoverError::Glob {
        root: root.to_owned(),
        message,
    };
    // The root may contain glob metacharacters (`[`, `*`); only the suffix is a pattern.
    let pattern = format!(
        "{}/**/case.toml",
        glob::Pattern::escape(&root.to_string_lossy())
    );
    let mut dirs = Vec::new();
    for entry in glob::glob(&pattern).map_err(|e| glob_error(e.to_string()))? {
        let file = entry.map_err(|e| glob_error(e.to_string()))?;
        if let Some(dir) = file.parent() {
            dirs.push(dir.to_owned());
        }
    }
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_cases_sorted_even_under_a_glob_like_root() {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("we[ir]d dir");
        for case in ["b/two", "a/one", "a/deeper/three"] {
            std::fs::create_dir_all(corpus.join(case)).unwrap();
            std::fs::write(corpus.join(case).join("case.toml"), "").unwrap();
        }
        std::fs::create_dir_all(corpus.join("c/not-a-case")).unwrap();
        let found: Vec<_> = case_dirs(&corpus)
            .unwrap()
            .into_iter()
            .map(|d| {
                d.strip_prefix(&corpus)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(found, ["a/deeper/three", "a/one", "b/two"]);
        assert!(matches!(
            case_dirs(&corpus.join("nope")),
            Err(DiscoverError::MissingRoot(_))
        ));
    }
}
