//! Function packages: a zip unpacked into the function's own directory, refusing anything that
//! could write outside it.

use std::{
    fs,
    io::{self, Read, Write},
    os::unix::fs::PermissionsExt,
    path::{Component, Path, PathBuf},
};

/// Bounds against zip bombs; FunctionGraph's own package limit is far below them.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
pub(crate) const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PackageError {
    #[error("func_code.file is not a valid zip archive: {0}")]
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
    #[error("the zip has {0} entries, more than the {MAX_ENTRIES} fgref accepts")]
    TooManyEntries(usize),
    #[error("the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes, the most fgref accepts")]
    TooLarge,
    #[error("failed to unpack zip entry {entry:?}: {source}")]
    Write { entry: String, source: io::Error },
}

/// Unpacks `zip` into `dest` (created if needed). Blocking: run it off the async workers.
pub(crate) fn unpack(zip: &[u8], dest: &Path) -> Result<(), PackageError> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(zip))?;
    if archive.len() > MAX_ENTRIES {
        return Err(PackageError::TooManyEntries(archive.len()));
    }
    let write_err = |entry: &str| {
        let entry = entry.to_owned();
        move |source| PackageError::Write { entry, source }
    };
    fs::create_dir_all(dest).map_err(write_err(""))?;
    let mut budget = MAX_UNPACKED_BYTES;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => {
                return Err(PackageError::BadName(
                    String::from_utf8_lossy(entry.name_raw()).into_owned(),
                ));
            }
        };
        if entry.is_symlink() {
            return Err(PackageError::Symlink(name));
        }
        let relative = safe_relative_path(&name)?;
        let target = dest.join(&relative);
        if entry.is_dir() {
            fs::create_dir_all(&target).map_err(write_err(&name))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(write_err(&name))?;
        }
        let mut file = fs::File::create(&target).map_err(write_err(&name))?;
        // Count what is really inflated: the sizes in the headers may lie.
        let written =
            io::copy(&mut (&mut entry).take(budget + 1), &mut file).map_err(write_err(&name))?;
        if written > budget {
            return Err(PackageError::TooLarge);
        }
        budget -= written;
        file.flush().map_err(write_err(&name))?;
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).map_err(write_err(&name))?;
    }
    Ok(())
}

/// The entry's path relative to the function directory, or why it may not be unpacked.
/// Backslashes count as separators, since zips made on Windows use them.
fn safe_relative_path(name: &str) -> Result<PathBuf, PackageError> {
    let escapes = || PackageError::Escapes(name.to_owned());
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
    fn refuses_escaping_entries_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let err = unpack(&zip_of(&[("../x", "evil")]), &dir.path().join("code")).unwrap_err();
        assert!(matches!(err, PackageError::Escapes(_)), "{err}");
        assert!(!dir.path().join("x").exists());
        assert!(matches!(
            unpack(b"not a zip", dir.path()),
            Err(PackageError::BadZip(_))
        ));
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
            Err(PackageError::Symlink(_))
        ));
    }
}
