//! Our language runtime, `runtimes/reference/nodejs/runtime.js`: built into fgref and written into
//! the data directory at start, for node to run.

use std::{
    io,
    path::{Path, PathBuf},
};

/// Every file of our Node.js runtime, written into `<data_dir>/nodejs/` at start.
/// Add new files of `runtimes/reference/nodejs/` here.
const FILES: &[(&str, &str)] = &[("runtime.js", include_str!("../../nodejs/runtime.js"))];

/// The file of [`FILES`] that node runs.
const ENTRY: &str = "runtime.js";

/// Writes our Node.js runtime into `dir` and returns the path of its entry file.
pub(crate) fn write_into(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in FILES {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(dir.join(ENTRY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_into_writes_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let entry = write_into(&dir.path().join("nodejs")).unwrap();
        assert!(entry.ends_with(ENTRY));
        for (name, text) in FILES {
            let written = std::fs::read_to_string(dir.path().join("nodejs").join(name)).unwrap();
            assert_eq!(&written, text);
        }
    }
}
