//! An npm package tarball unpacked into a directory: the `package/` prefix dropped, files and
//! directories only.

use std::{
    fs::File,
    io::{self, BufReader},
    path::{Component, Path, PathBuf},
};

/// Unpacks an npm package tarball into `into`, dropping the leading `package/` of every path.
pub(super) fn unpack(archive: &Path, into: &Path) -> io::Result<()> {
    let gz = flate2::read::GzDecoder::new(BufReader::new(File::open(archive)?));
    let mut tar = tar::Archive::new(gz);
    std::fs::create_dir_all(into)?;
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let relative = strip_package(&path).ok_or_else(|| {
            io::Error::other(format!(
                "the entry {} is not below package/",
                path.display()
            ))
        })?;
        let kind = entry.header().entry_type();
        // Node's packages hold files and directories only; a link could point outside `into`.
        if !(kind.is_file() || kind.is_dir()) {
            return Err(io::Error::other(format!(
                "the entry {} is a {kind:?}, not a file or directory",
                path.display()
            )));
        }
        if relative.as_os_str().is_empty() {
            continue;
        }
        let destination = into.join(&relative);
        if let Some(parent) = destination.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry.unpack(&destination)?;
    }
    Ok(())
}

/// `package/bin/node` → `bin/node`; `None` for a path outside `package/` or one that climbs.
fn strip_package(path: &Path) -> Option<PathBuf> {
    let mut components = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir));
    if components.next()? != Component::Normal("package".as_ref()) {
        return None;
    }
    components
        .map(|c| match c {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_below_package_unpack() {
        assert_eq!(
            strip_package(Path::new("package/bin/node")),
            Some(PathBuf::from("bin/node"))
        );
        assert_eq!(strip_package(Path::new("./package/")), Some(PathBuf::new()));
        assert_eq!(strip_package(Path::new("other/bin/node")), None);
        assert_eq!(strip_package(Path::new("package/../../etc/passwd")), None);
        assert_eq!(strip_package(Path::new("/package/bin/node")), None);
    }

    #[test]
    fn unpack_refuses_links() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.tgz");
        let gz = flate2::write::GzEncoder::new(
            File::create(&archive).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, "package/bin", "/usr/bin")
            .unwrap();
        tar.into_inner().unwrap().finish().unwrap();
        let err = unpack(&archive, &dir.path().join("out")).unwrap_err();
        assert!(err.to_string().contains("not a file or directory"), "{err}");
    }
}
