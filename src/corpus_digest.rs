//! The corpus digest: one sha256 naming exactly the files of a corpus, the same whatever order
//! the file system lists them in. Reports record it; certification checks it.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// `sha256:<hex>` over every file below `root` (symlinks not followed), sorted by the path
/// relative to the root (`/` separators, byte order): the concatenation of
/// `<path>\0<sha256 hex of the file>\n` per file.
pub fn corpus_digest(root: &Path) -> io::Result<String> {
    let mut files = Vec::new();
    collect(root, &PathBuf::new(), &mut files)?;
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut all = Sha256::new();
    for (relative, path) in files {
        let content = std::fs::read(&path)?;
        all.update(relative.as_bytes());
        all.update(b"\0");
        all.update(hex(&Sha256::digest(&content)).as_bytes());
        all.update(b"\n");
    }
    Ok(format!("sha256:{}", hex(&all.finalize())))
}

/// Every regular file below `dir`, as (path relative to the root, path); symlinks are neither
/// followed nor hashed.
fn collect(dir: &Path, relative: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let relative = relative.join(entry.file_name());
        if kind.is_dir() {
            collect(&entry.path(), &relative, out)?;
        } else if kind.is_file() {
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, entry.path()));
        }
    }
    Ok(())
}

/// Lowercase hex, the form every digest the harness writes or compares takes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (path, content) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
    }

    #[test]
    fn follows_the_rule_ignores_listing_order_and_sees_every_change() {
        let files = [
            ("b/x.json", "{}"),
            ("a/case.toml", "level = 1"),
            ("a b", ""),
        ];
        let one = tempfile::tempdir().unwrap();
        write(one.path(), &files);
        let mut reversed = files;
        reversed.reverse();
        let two = tempfile::tempdir().unwrap();
        write(two.path(), &reversed);
        let digest = corpus_digest(one.path()).unwrap();
        assert_eq!(digest, corpus_digest(two.path()).unwrap());

        // The rule, spelled out: sorted by byte order ("a b" < "a/case.toml" < "b/x.json").
        let mut text = String::new();
        for (path, content) in [
            ("a b", ""),
            ("a/case.toml", "level = 1"),
            ("b/x.json", "{}"),
        ] {
            text.push_str(&format!("{path}\0{}\n", hex(&Sha256::digest(content))));
        }
        assert_eq!(
            digest,
            format!("sha256:{}", hex(&Sha256::digest(text.as_bytes())))
        );

        write(two.path(), &[("b/x.json", "{ }")]);
        assert_ne!(digest, corpus_digest(two.path()).unwrap());
        write(two.path(), &[("b/x.json", "{}"), ("c/new", "")]);
        assert_ne!(digest, corpus_digest(two.path()).unwrap());
        std::fs::remove_file(two.path().join("c/new")).unwrap();
        assert_eq!(digest, corpus_digest(two.path()).unwrap());
    }
}
