//! Zipping reproducibly: a case's `code/` (the function package FunctionGraph deploys), its
//! `deps/<name>/` folders and the harness's own forwarder (dependencies).

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot zip {}: {source}", path.display())]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("{}: file names must be UTF-8 to go into a zip", .0.display())]
    NotUtf8(PathBuf),
    #[error(
        "{} is a symbolic link: the harness zips no links (a loop would recurse, a link out of the case would upload a file from elsewhere); put the file itself there (CASE-FORMAT.md)",
        .0.display()
    )]
    Symlink(PathBuf),
    #[error("{} is neither a file nor a directory (a FIFO, a socket or a device): it cannot be zipped", .0.display())]
    NotAFile(PathBuf),
    #[error("{}: more than {limit} {what} to zip (CASE-FORMAT.md)", dir.display())]
    TooBig {
        dir: PathBuf,
        limit: u64,
        what: &'static str,
    },
}

/// The most files one zip of a case's folder holds.
pub const MAX_FILES: u64 = 10_000;
/// The most bytes its files hold together: FunctionGraph takes zips of at most 50 MB.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// One file of a zip: its path inside (`/`-separated), its bytes, whether it is executable.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub bytes: Vec<u8>,
    pub executable: bool,
}

/// Zips `dir` with its contents at the zip's root (FunctionGraph loads `index.js` from the root).
/// Entries are sorted and carry no timestamps, so the same tree always gives the same bytes.
pub fn zip_dir(dir: &Path) -> Result<Vec<u8>, PackageError> {
    zip_dir_of_at_most(dir, MAX_FILES)
}

/// [`zip_dir`] with `max_files` for [`MAX_FILES`] (the tests' way to a limit without making
/// ten thousand files).
fn zip_dir_of_at_most(dir: &Path, max_files: u64) -> Result<Vec<u8>, PackageError> {
    let entries = read_entries(dir, max_files)?;
    zip_entries(dir, &entries)
}

/// The files below `dir`, sorted, read within [`MAX_BYTES`] and `max_files`.
fn read_entries(dir: &Path, max_files: u64) -> Result<Vec<Entry>, PackageError> {
    let mut files = Vec::new();
    collect(dir, dir, max_files, &mut files)?;
    let mut entries = Vec::new();
    let mut total = 0u64;
    for (name, path) in files {
        let read_error = |source| PackageError::Read {
            path: path.clone(),
            source,
        };
        // Counted before reading, so a huge file is never read.
        total += std::fs::symlink_metadata(&path).map_err(read_error)?.len();
        if total > MAX_BYTES {
            return Err(PackageError::TooBig {
                dir: dir.to_owned(),
                limit: MAX_BYTES,
                what: "bytes",
            });
        }
        let bytes = std::fs::read(&path).map_err(read_error)?;
        entries.push(Entry {
            name,
            bytes,
            executable: is_executable(&path),
        });
    }
    Ok(entries)
}

/// Zips `entries` in the order given, without timestamps, so the same entries always give the
/// same bytes; `origin` names them in errors.
pub fn zip_entries(origin: &Path, entries: &[Entry]) -> Result<Vec<u8>, PackageError> {
    zip_entries_with(origin, entries, None)
}

/// A file the harness adds to a package to take it past one of FunctionGraph's size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filler {
    /// So many bytes that do not compress, stored: the zip itself is that much larger.
    Incompressible(u64),
    /// So many zero bytes, deflated: a small zip that unpacks to that much.
    Zeros(u64),
    /// So many more files, each empty, below a folder of that name.
    EmptyFiles(u64),
}

/// The name of the filler in a package (of its folder, for [`Filler::EmptyFiles`]).
pub const FILLER_NAME: &str = "fgconform-filler.bin";

/// [`zip_dir`] with `filler` added as [`FILLER_NAME`], for packages a target must refuse.
pub fn zip_dir_with_filler(dir: &Path, filler: Filler) -> Result<Vec<u8>, PackageError> {
    let entries = read_entries(dir, MAX_FILES)?;
    zip_entries_with(dir, &entries, Some(filler))
}

fn zip_entries_with(
    origin: &Path,
    entries: &[Entry],
    filler: Option<Filler>,
) -> Result<Vec<u8>, PackageError> {
    let zip_error = |source| PackageError::Zip {
        path: origin.to_owned(),
        source,
    };
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    if let Some(filler) = filler {
        write_filler(&mut zip, filler).map_err(zip_error)?;
    }
    for entry in entries {
        let mode = if entry.executable { 0o755 } else { 0o644 };
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(mode);
        zip.start_file(entry.name.as_str(), options)
            .map_err(zip_error)?;
        zip.write_all(&entry.bytes)
            .map_err(|e| zip_error(e.into()))?;
    }
    let cursor = zip.finish().map_err(zip_error)?;
    Ok(cursor.into_inner())
}

/// Writes `filler` a megabyte at a time, never holding it whole. The incompressible bytes are a
/// megabyte of a fixed xorshift sequence, repeated (a repeat lies far beyond deflate's 32 KiB
/// window), so the same filler always gives the same zip.
fn write_filler(
    zip: &mut ZipWriter<Cursor<Vec<u8>>>,
    filler: Filler,
) -> Result<(), zip::result::ZipError> {
    const CHUNK: u64 = 1024 * 1024;
    let (size, method) = match filler {
        Filler::Incompressible(size) => (size, CompressionMethod::Stored),
        Filler::Zeros(size) => (size, CompressionMethod::Deflated),
        Filler::EmptyFiles(count) => {
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Stored)
                .unix_permissions(0o644);
            for n in 0..count {
                zip.start_file(format!("{FILLER_NAME}/{n:06}"), options)?;
            }
            return Ok(());
        }
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(size > u64::from(u32::MAX))
        .unix_permissions(0o644);
    zip.start_file(FILLER_NAME, options)?;
    let mut chunk = vec![0u8; CHUNK as usize];
    if let Filler::Incompressible(_) = filler {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
    }
    let mut left = size;
    while left > 0 {
        let n = left.min(CHUNK) as usize;
        zip.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

fn collect(
    root: &Path,
    dir: &Path,
    max_files: u64,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), PackageError> {
    let read_error = |source| PackageError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        // The entry itself, never what a link points to.
        let kind = entry.file_type().map_err(|source| PackageError::Read {
            path: path.clone(),
            source,
        })?;
        if kind.is_symlink() {
            return Err(PackageError::Symlink(path));
        } else if kind.is_dir() {
            collect(root, &path, max_files, out)?;
        } else if !kind.is_file() {
            return Err(PackageError::NotAFile(path));
        } else {
            if out.len() as u64 >= max_files {
                return Err(PackageError::TooBig {
                    dir: root.to_owned(),
                    limit: max_files,
                    what: "files",
                });
            }
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name = relative
                .components()
                .map(|c| {
                    c.as_os_str()
                        .to_str()
                        .ok_or_else(|| PackageError::NotUtf8(path.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?
                .join("/");
            out.push((name, path));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn zips_the_tree_at_the_root_reproducibly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/lib")).unwrap();
        std::fs::write(dir.path().join("index.js"), "exports.handler = 1;").unwrap();
        std::fs::write(dir.path().join("src/lib/a.js"), "a").unwrap();
        let first = zip_dir(dir.path()).unwrap();
        assert_eq!(first, zip_dir(dir.path()).unwrap());
        let mut archive = zip::ZipArchive::new(Cursor::new(first)).unwrap();
        let names: Vec<_> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        assert_eq!(names, ["index.js", "src/lib/a.js"]);
        let mut text = String::new();
        archive
            .by_name("index.js")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "exports.handler = 1;");
    }

    #[test]
    fn links_loops_and_special_files_are_refused_naming_them() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "key").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.js"), "x").unwrap();
        let link = dir.path().join("leak");
        std::os::unix::fs::symlink(outside.path().join("secret"), &link).unwrap();
        let error = zip_dir(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains(&format!("{} is a symbolic link", link.display())),
            "{error}"
        );
        std::fs::remove_file(&link).unwrap();
        let looping = dir.path().join("sub/loop");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("..", &looping).unwrap();
        let error = zip_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("sub/loop is a symbolic link"), "{error}");
        std::fs::remove_file(&looping).unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|s| s.success()) {
            let error = zip_dir(dir.path()).unwrap_err().to_string();
            assert!(error.contains("pipe is neither a file"), "{error}");
            std::fs::remove_file(&fifo).unwrap();
        }
        assert!(zip_dir(dir.path()).is_ok());
    }

    #[test]
    fn too_many_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for name in ["a", "b", "sub/c"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert!(zip_dir_of_at_most(dir.path(), 3).is_ok());
        std::fs::write(dir.path().join("sub/d"), "").unwrap();
        let error = zip_dir_of_at_most(dir.path(), 3).unwrap_err().to_string();
        assert!(error.contains("more than 3 files"), "{error}");
    }

    #[test]
    fn a_filler_has_its_size_and_always_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.js"), "exports.handler = 1;\n").unwrap();
        let odd = 1024 * 1024 + 3;
        let random = zip_dir_with_filler(dir.path(), Filler::Incompressible(odd)).unwrap();
        assert_eq!(
            random,
            zip_dir_with_filler(dir.path(), Filler::Incompressible(odd)).unwrap()
        );
        // Stored and incompressible: the zip is larger than the filler.
        assert!(random.len() as u64 > odd);
        let zeros = zip_dir_with_filler(dir.path(), Filler::Zeros(8 * 1024 * 1024)).unwrap();
        assert!(zeros.len() < 64 * 1024, "{} bytes", zeros.len());
        for (zip, size) in [(random, odd), (zeros, 8 * 1024 * 1024)] {
            let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
            let mut read = Vec::new();
            archive
                .by_name(FILLER_NAME)
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read.len() as u64, size);
            assert!(archive.by_name("index.js").is_ok());
        }
    }
}
