//! Finding the case directories of a corpus: every directory below the root holding a `case.toml`
//! (symbolic links are not followed), and each directory below it that cannot be searched, so
//! that one unreadable directory costs one row, not the run.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("the case directory {} does not exist (pass --cases DIR or set FGCONFORM_CASES)", .0.display())]
    MissingRoot(PathBuf),
    #[error("cannot search {}: {source}", root.display())]
    Root {
        root: PathBuf,
        source: std::io::Error,
    },
}

/// A directory below the root that could not be searched: the cases in it, if any, are not run.
#[derive(Debug)]
pub struct Unreadable {
    pub dir: PathBuf,
    pub source: std::io::Error,
}

/// A case directory, or a directory that could not be searched.
pub type Found = Result<PathBuf, Unreadable>;

/// Case directories below `root` and the directories that could not be searched, sorted so
/// trial order is stable. Only the root itself failing is an error.
pub fn case_dirs(root: &Path) -> Result<Vec<Found>, DiscoverError> {
    if !root.is_dir() {
        return Err(DiscoverError::MissingRoot(root.to_owned()));
    }
    let mut found = Vec::new();
    let entries = std::fs::read_dir(root).map_err(|source| DiscoverError::Root {
        root: root.to_owned(),
        source,
    })?;
    walk(root, entries, &mut found);
    found.sort_by(|a, b| dir_of(a).cmp(dir_of(b)));
    Ok(found)
}

fn dir_of(found: &Found) -> &Path {
    match found {
        Ok(dir) => dir,
        Err(unreadable) => &unreadable.dir,
    }
}

/// Walks `dir` (whose listing is `entries`), adding it when it holds a `case.toml` and going
/// into every directory below it that is not a symbolic link.
fn walk(dir: &Path, entries: std::fs::ReadDir, found: &mut Vec<Found>) {
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                found.push(Err(Unreadable {
                    dir: dir.to_owned(),
                    source,
                }));
                return;
            }
        };
        if entry.file_name() == "case.toml" {
            found.push(Ok(dir.to_owned()));
        }
        // `file_type` does not follow a link: a link to a directory is not searched.
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            subdirs.push(entry.path());
        }
    }
    for sub in subdirs {
        match std::fs::read_dir(&sub) {
            Ok(entries) => walk(&sub, entries, found),
            Err(source) => found.push(Err(Unreadable { dir: sub, source })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(corpus: &Path, found: &[Found]) -> Vec<String> {
        found
            .iter()
            .map(|f| {
                let mark = if f.is_ok() { "" } else { "unreadable " };
                let dir = dir_of(f).strip_prefix(corpus).unwrap();
                format!("{mark}{}", dir.to_string_lossy())
            })
            .collect()
    }

    #[test]
    fn finds_nested_cases_sorted_even_under_a_glob_like_root() {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("we[ir]d dir");
        for case in ["b/two", "a/one", "a/deeper/three"] {
            std::fs::create_dir_all(corpus.join(case)).unwrap();
            std::fs::write(corpus.join(case).join("case.toml"), "").unwrap();
        }
        std::fs::create_dir_all(corpus.join("c/not-a-case")).unwrap();
        let found = case_dirs(&corpus).unwrap();
        assert_eq!(
            relative(&corpus, &found),
            ["a/deeper/three", "a/one", "b/two"]
        );
        assert!(matches!(
            case_dirs(&corpus.join("nope")),
            Err(DiscoverError::MissingRoot(_))
        ));
    }

    /// A link back up the tree is not followed, so it neither loops nor finds a case twice.
    #[test]
    fn a_symbolic_link_loop_is_not_followed() {
        let corpus = tempfile::tempdir().unwrap();
        for case in ["a/one", "b/two"] {
            std::fs::create_dir_all(corpus.path().join(case)).unwrap();
            std::fs::write(corpus.path().join(case).join("case.toml"), "").unwrap();
        }
        std::os::unix::fs::symlink("..", corpus.path().join("a/one/loop")).unwrap();
        std::os::unix::fs::symlink(".", corpus.path().join("b/self")).unwrap();
        let found = case_dirs(corpus.path()).unwrap();
        assert_eq!(relative(corpus.path(), &found), ["a/one", "b/two"]);
    }

    /// An unreadable directory is one entry among the cases, not the end of the search (as root,
    /// which reads every directory, only the rest is checked; `selftest::cases` runs it
    /// unprivileged).
    #[test]
    fn an_unreadable_directory_is_one_entry_and_the_rest_is_found() {
        use std::os::unix::fs::PermissionsExt;
        let corpus = tempfile::tempdir().unwrap();
        for case in ["a/one", "b/closed/two", "c/three"] {
            std::fs::create_dir_all(corpus.path().join(case)).unwrap();
            std::fs::write(corpus.path().join(case).join("case.toml"), "").unwrap();
        }
        let closed = corpus.path().join("b/closed");
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).unwrap();
        let readable = std::fs::read_dir(&closed).is_ok();
        let found = case_dirs(corpus.path());
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = relative(corpus.path(), &found.unwrap());
        if readable {
            assert_eq!(found, ["a/one", "b/closed/two", "c/three"]);
        } else {
            assert_eq!(found, ["a/one", "unreadable b/closed", "c/three"]);
        }
    }
}
