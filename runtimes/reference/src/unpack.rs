//! A zip unpacked safely into a directory, within limits shared by every zip laid into it, or
//! only checked; a later entry replaces whatever an earlier one left at its path.

use std::{
    fs,
    io::{self, Read, Write},
    os::unix::fs::PermissionsExt,
    path::{Component, Path, PathBuf},
};

/// Bounds against zip bombs. FunctionGraph documents 1,500 MB unpacked (Notes and
/// Constraints); fgref is stricter because it unpacks onto the machine running the suite, and
/// no conformance case needs more.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// How much a package may unpack to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_bytes: u64,
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_UNPACKED_BYTES,
            max_entries: MAX_ENTRIES,
        }
    }
}

/// What is left of [`Limits`] while several zips go into one directory: a function's
/// dependencies and its code share one budget, so together they stay as bounded as one package.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    limits: Limits,
    bytes_used: u64,
    entries_used: usize,
}

impl Budget {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            bytes_used: 0,
            entries_used: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum UnpackError {
    #[error("not a valid zip archive: {0}")]
    BadZip(#[from] zip::result::ZipError),
    #[error(
        "zip entry {0:?} would be written outside the function's directory; use relative paths without '..'"
    )]
    Escapes(String),
    #[error(
        "zip entry {0:?} is a symbolic link; fgref refuses links in packages, zip the files instead"
    )]
    Symlink(String),
    #[error("zip entry name {0:?} is not UTF-8; rename the file")]
    BadName(String),
    #[error(
        "the package has {found} entries, more than the {limit} fgref accepts (a function's dependencies and its code count together); pack fewer files"
    )]
    TooManyEntries { found: usize, limit: usize },
    #[error(
        "zip entry {entry:?} takes the unpacked package past {limit} bytes, the most fgref accepts (counted while inflating, whatever the zip headers declare; a function's dependencies and its code count together); make the package smaller"
    )]
    TooLarge { entry: String, limit: u64 },
    #[error("failed to unpack zip entry {entry:?}: {source}")]
    Write { entry: String, source: io::Error },
}

/// Unpacks `zip` into `dest` (created if needed), spending `budget`; an entry replaces the
/// file or directory an earlier zip (or entry) left at its path. Returns the files written,
/// relative to `dest`, in the zip's order. Blocking: run it off the async workers.
pub(crate) fn unpack_into(
    zip: &[u8],
    dest: &Path,
    budget: &mut Budget,
) -> Result<Vec<PathBuf>, UnpackError> {
    fs::create_dir_all(dest).map_err(write_err(""))?;
    walk(zip, Some(dest), budget)
}

/// Checks `zip` as [`unpack_into`] would unpack it, writing nothing: every entry is inflated
/// (and discarded) so its real size counts. Blocking: run it off the async workers.
pub(crate) fn check(zip: &[u8], limits: Limits) -> Result<(), UnpackError> {
    walk(zip, None, &mut Budget::new(limits)).map(drop)
}

fn write_err(entry: &str) -> impl FnOnce(io::Error) -> UnpackError + use<> {
    let entry = entry.to_owned();
    move |source| UnpackError::Write { entry, source }
}

/// Visits every entry of `zip` safely: into `dest`, or into nothing when it is `None`.
fn walk(zip: &[u8], dest: Option<&Path>, budget: &mut Budget) -> Result<Vec<PathBuf>, UnpackError> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(zip))?;
    let found = budget.entries_used + archive.len();
    if found > budget.limits.max_entries {
        return Err(UnpackError::TooManyEntries {
            found,
            limit: budget.limits.max_entries,
        });
    }
    budget.entries_used = found;
    let mut written = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => {
                return Err(UnpackError::BadName(
                    String::from_utf8_lossy(entry.name_raw()).into_owned(),
                ));
            }
        };
        if entry.is_symlink() {
            return Err(UnpackError::Symlink(name));
        }
        let relative = safe_relative_path(&name)?;
        let left = budget.limits.max_bytes - budget.bytes_used;
        let Some(dest) = dest else {
            if !entry.is_dir() {
                let inflated = io::copy(&mut (&mut entry).take(left + 1), &mut io::sink())
                    .map_err(write_err(&name))?;
                budget.bytes_used += within(inflated, left, &name, budget.limits)?;
            }
            continue;
        };
        if entry.is_dir() {
            make_dirs(dest, &relative).map_err(write_err(&name))?;
            continue;
        }
        let target = dest.join(&relative);
        if let Some(parent) = relative.parent() {
            make_dirs(dest, parent).map_err(write_err(&name))?;
        }
        match fs::symlink_metadata(&target) {
            // A later file replaces an earlier directory of the same name.
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&target).map_err(write_err(&name))?,
            // Or an earlier file; a link is removed, never written through.
            Ok(_) => fs::remove_file(&target).map_err(write_err(&name))?,
            Err(_) => {}
        }
        // Created exclusively: whatever appeared there meanwhile is not followed or reused.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(write_err(&name))?;
        // Count what is really inflated: the sizes in the headers may lie.
        let inflated =
            io::copy(&mut (&mut entry).take(left + 1), &mut file).map_err(write_err(&name))?;
        budget.bytes_used += within(inflated, left, &name, budget.limits)?;
        file.flush().map_err(write_err(&name))?;
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).map_err(write_err(&name))?;
        written.push(relative);
    }
    Ok(written)
}

/// `inflated` bytes, if they fit in the `left` of `limits`.
fn within(inflated: u64, left: u64, entry: &str, limits: Limits) -> Result<u64, UnpackError> {
    if inflated > left {
        return Err(UnpackError::TooLarge {
            entry: entry.to_owned(),
            limit: limits.max_bytes,
        });
    }
    Ok(inflated)
}

/// Creates `relative` below `dest` directory by directory; a file an earlier zip left where a
/// directory goes is replaced by the directory. Nothing below `dest` is ever a link (links are
/// refused), so this never leaves `dest`.
fn make_dirs(dest: &Path, relative: &Path) -> io::Result<()> {
    let mut at = dest.to_path_buf();
    for part in relative.components() {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(_) => fs::remove_file(&at)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        fs::create_dir(&at)?;
    }
    Ok(())
}

/// The entry's path relative to the function directory, or why it may not be unpacked.
/// Backslashes count as separators, since zips made on Windows use them.
fn safe_relative_path(name: &str) -> Result<PathBuf, UnpackError> {
    let escapes = || UnpackError::Escapes(name.to_owned());
    let normalised = name.replace('\\', "/");
    if normalised.starts_with('/') || normalised.contains('\0') {
        return Err(escapes());
    }
    let mut relative = PathBuf::new();
    for component in Path::new(&normalised).components() {
        match component {
            Component::Normal(part) => {
                // A drive letter such as `C:` is absolute on Windows; refuse it everywhere.
                if relative.as_os_str().is_empty() && part.to_string_lossy().ends_with(':') {
                    return Err(escapes());
                }
                relative.push(part);
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(escapes());
            }
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(escapes());
    }
    Ok(relative)
}

#[cfg(test)]
mod tests {
    use zip::write::SimpleFileOptions;

    use super::*;

    fn unpack(zip: &[u8], dest: &Path) -> Result<Vec<PathBuf>, UnpackError> {
        unpack_within(zip, dest, Limits::default())
    }

    fn unpack_within(zip: &[u8], dest: &Path, limits: Limits) -> Result<Vec<PathBuf>, UnpackError> {
        unpack_into(zip, dest, &mut Budget::new(limits))
    }

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn safe_paths_stay_inside() {
        assert_eq!(
            safe_relative_path("src/index.js").unwrap(),
            Path::new("src/index.js")
        );
        assert_eq!(safe_relative_path("./a/./b").unwrap(), Path::new("a/b"));
        for bad in [
            "../x",
            "a/../../x",
            "a/../b",
            "/etc/passwd",
            "\\abs",
            "..\\x",
            "C:/x",
            "",
            ".",
        ] {
            assert!(safe_relative_path(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn unpacks_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        let zip = zip_of(&[("index.js", "exports.a = 1;"), ("lib/util.js", "x")]);
        unpack(&zip, dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("index.js")).unwrap(),
            "exports.a = 1;"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("lib/util.js")).unwrap(),
            "x"
        );
    }

    #[test]
    fn a_later_entry_replaces_what_an_earlier_zip_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut budget = Budget::new(Limits::default());
        let first = zip_of(&[("same.js", "first"), ("was_file", "f"), ("was_dir/x", "x")]);
        let written = unpack_into(&first, dir.path(), &mut budget).unwrap();
        assert_eq!(
            written,
            [
                Path::new("same.js"),
                Path::new("was_file"),
                Path::new("was_dir/x")
            ]
        );
        let second = zip_of(&[
            ("same.js", "2"),
            ("was_file/y", "y"),
            ("was_dir", "now a file"),
        ]);
        unpack_into(&second, dir.path(), &mut budget).unwrap();
        let read = |f: &str| fs::read_to_string(dir.path().join(f)).unwrap();
        assert_eq!(read("same.js"), "2");
        assert_eq!(read("was_file/y"), "y");
        assert_eq!(read("was_dir"), "now a file");
    }

    #[test]
    fn zips_into_one_directory_share_one_budget() {
        let dir = tempfile::tempdir().unwrap();
        let mut budget = Budget::new(small(1000, 3));
        unpack_into(&zip_of(&[("a", &"a".repeat(600))]), dir.path(), &mut budget).unwrap();
        let err =
            unpack_into(&zip_of(&[("b", &"b".repeat(600))]), dir.path(), &mut budget).unwrap_err();
        assert!(
            matches!(err, UnpackError::TooLarge { limit: 1000, .. }),
            "{err}"
        );
        let mut budget = Budget::new(small(1000, 3));
        unpack_into(&zip_of(&[("a", ""), ("b", "")]), dir.path(), &mut budget).unwrap();
        let err =
            unpack_into(&zip_of(&[("c", ""), ("d", "")]), dir.path(), &mut budget).unwrap_err();
        assert!(
            matches!(err, UnpackError::TooManyEntries { found: 4, limit: 3 }),
            "{err}"
        );
    }

    #[test]
    fn check_refuses_what_unpacking_refuses() {
        let zeros = "\0".repeat(1 << 20);
        type Expect = fn(&UnpackError) -> bool;
        let cases: Vec<(Vec<u8>, Expect)> = vec![
            (zip_of(&[("../x", "")]), |e| {
                matches!(e, UnpackError::Escapes(_))
            }),
            (zip_of(&[("bomb", &zeros)]), |e| {
                matches!(e, UnpackError::TooLarge { .. })
            }),
            (zip_of(&[("a", ""), ("b", ""), ("c", "")]), |e| {
                matches!(e, UnpackError::TooManyEntries { .. })
            }),
            (b"not a zip".to_vec(), |e| {
                matches!(e, UnpackError::BadZip(_))
            }),
        ];
        for (index, (zip, expected)) in cases.iter().enumerate() {
            let err = check(zip, small(64 * 1024, 2)).unwrap_err();
            assert!(expected(&err), "case {index}: {err}");
        }
        check(&zip_of(&[("a/b.js", "x"), ("c.js", "y")]), small(2, 2)).unwrap();
    }

    #[test]
    fn refuses_escaping_entries_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let err = unpack(&zip_of(&[("../x", "evil")]), &dir.path().join("code")).unwrap_err();
        assert!(matches!(err, UnpackError::Escapes(_)), "{err}");
        assert!(!dir.path().join("x").exists());
        assert!(matches!(
            unpack(b"not a zip", dir.path()),
            Err(UnpackError::BadZip(_))
        ));
    }

    fn small(max_bytes: u64, max_entries: usize) -> Limits {
        Limits {
            max_bytes,
            max_entries,
        }
    }

    #[test]
    fn refuses_too_many_entries() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..4).map(|i| format!("f{i}.js")).collect();
        let entries: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x")).collect();
        let zip = zip_of(&entries);
        unpack_within(&zip, &dir.path().join("ok"), small(1024, 4)).unwrap();
        let err = unpack_within(&zip, &dir.path().join("no"), small(1024, 3)).unwrap_err();
        assert!(
            matches!(err, UnpackError::TooManyEntries { found: 4, limit: 3 }),
            "{err}"
        );
        assert!(err.to_string().contains("more than the 3"), "{err}");
    }

    #[test]
    fn the_byte_limit_counts_all_entries_together() {
        let dir = tempfile::tempdir().unwrap();
        let body = "a".repeat(600);
        let zip = zip_of(&[("a.js", &body), ("b.js", &body)]);
        unpack_within(&zip, &dir.path().join("ok"), small(1200, 10)).unwrap();
        let err = unpack_within(&zip, &dir.path().join("no"), small(1199, 10)).unwrap_err();
        match &err {
            UnpackError::TooLarge { entry, limit } => {
                assert_eq!((entry.as_str(), *limit), ("b.js", 1199))
            }
            other => panic!("expected TooLarge, got {other}"),
        }
        assert!(err.to_string().contains("1199 bytes"), "{err}");
    }

    #[test]
    fn an_entry_that_inflates_past_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        // 1 MiB of zeros deflates to about a kilobyte.
        let zeros = "\0".repeat(1 << 20);
        let zip = zip_of(&[("bomb.js", &zeros)]);
        assert!(zip.len() < 16 * 1024);
        let err = unpack_within(&zip, dir.path(), small(64 * 1024, 10)).unwrap_err();
        assert!(matches!(err, UnpackError::TooLarge { .. }), "{err}");
        let written = fs::metadata(dir.path().join("bomb.js")).map_or(0, |m| m.len());
        assert!(written <= 64 * 1024 + 1, "{written} bytes written");
    }

    /// Overwrites the uncompressed size in every local and central header of `zip`.
    fn lie_about_sizes(zip: &mut [u8], size: u32) {
        let mut at = 0;
        while at + 4 <= zip.len() {
            let field = match zip[at..at + 4] {
                [0x50, 0x4b, 0x03, 0x04] => Some(at + 22),
                [0x50, 0x4b, 0x01, 0x02] => Some(at + 24),
                _ => None,
            };
            if let Some(field) = field {
                zip[field..field + 4].copy_from_slice(&size.to_le_bytes());
            }
            at += 1;
        }
    }

    #[test]
    fn a_header_that_lies_about_the_size_does_not_pass() {
        let dir = tempfile::tempdir().unwrap();
        let zeros = "\0".repeat(1 << 20);
        let mut zip = zip_of(&[("liar.js", &zeros)]);
        lie_about_sizes(&mut zip, 10);
        // Declared 10 bytes, within the limit; the real 1 MiB is not.
        let result = unpack_within(&zip, dir.path(), small(64 * 1024, 10));
        // The zip crate notices the lie itself (a Write error); fgref's own count of inflated
        // bytes is the guard should it not.
        let err = result.expect_err("a lying header passed");
        assert!(
            matches!(
                err,
                UnpackError::Write { .. } | UnpackError::TooLarge { .. }
            ),
            "{err}"
        );
        let written = fs::metadata(dir.path().join("liar.js")).map_or(0, |m| m.len());
        assert!(written <= 64 * 1024 + 1, "{written} bytes written");
    }

    #[test]
    fn refuses_absolute_and_parent_paths() {
        for name in ["/tmp/abs.js", "a/../../up.js", "..\\win.js"] {
            let dir = tempfile::tempdir().unwrap();
            let err = unpack(&zip_of(&[(name, "x")]), &dir.path().join("code")).unwrap_err();
            assert!(matches!(err, UnpackError::Escapes(_)), "{name}: {err}");
        }
    }

    #[test]
    fn refuses_symlinks() {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        writer
            .add_symlink("link", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
        let zip = writer.finish().unwrap().into_inner();
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            unpack(&zip, dir.path()),
            Err(UnpackError::Symlink(_))
        ));
    }

    #[test]
    fn a_link_already_in_the_directory_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.js");
        fs::write(&victim, "untouched").unwrap();
        let dest = dir.path().join("code");
        fs::create_dir(&dest).unwrap();
        std::os::unix::fs::symlink(&victim, dest.join("index.js")).unwrap();
        unpack(&zip_of(&[("index.js", "new")]), &dest).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        let written = fs::symlink_metadata(dest.join("index.js")).unwrap();
        assert!(written.is_file(), "{written:?}");
        assert_eq!(fs::read_to_string(dest.join("index.js")).unwrap(), "new");
    }
}
