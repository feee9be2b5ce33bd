//! `--data-dir`: each run works in a fresh directory of its own inside it, created exclusively
//! and locked while the run lives; at start, the directories of runs that are gone (killed
//! before they could remove theirs) are removed, never followed.

use std::{
    fs::{self, File},
    io,
    os::unix::fs::OpenOptionsExt,
    path::Path,
};

/// The prefix of a run's directory.
const PREFIX: &str = "fgref-";

/// The file a live run holds locked inside its directory.
const LOCK: &str = ".lock";

/// A run's directory inside the data directory, removed when dropped; the lock tells later
/// runs it is in use.
pub(crate) struct RunDir {
    /// Declared first: unlocked before the directory goes.
    _lock: File,
    pub dir: tempfile::TempDir,
}

/// Removes what gone runs left in `data_dir`, then makes this run's directory.
pub(crate) fn fresh(data_dir: &Path) -> io::Result<RunDir> {
    remove_stale(data_dir);
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir_in(data_dir)?;
    let lock = File::options()
        .write(true)
        .create_new(true)
        .open(dir.path().join(LOCK))?;
    lock.try_lock().map_err(io::Error::other)?;
    Ok(RunDir { _lock: lock, dir })
}

/// Without `--data-dir`: a fresh temporary directory; nothing else in the system's temporary
/// directory is touched.
pub(crate) fn temporary() -> io::Result<RunDir> {
    let dir = tempfile::Builder::new().prefix(PREFIX).tempdir()?;
    let lock = File::create(dir.path().join(LOCK))?;
    Ok(RunDir { _lock: lock, dir })
}

/// Every `fgref-*` directory with a lock file no live run holds. Links, directories without a
/// lock file (not a run's, or one still starting) and other files are left alone.
fn remove_stale(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(data_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_run = entry.file_name().to_string_lossy().starts_with(PREFIX);
        // `file_type` does not follow links: a link named like a run is not a run.
        if !is_run || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let lock = File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path.join(LOCK));
        if lock.is_ok_and(|lock| lock.try_lock().is_ok()) {
            // `remove_dir_all` removes links inside, never what they point at.
            let _ = fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_runs_are_removed_live_ones_and_links_kept() {
        let data = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("keep.txt"), "keep").unwrap();
        // A run that is gone: its lock file is there, nobody holds it.
        let gone = data.path().join("fgref-gone");
        fs::create_dir(&gone).unwrap();
        File::create(gone.join(LOCK)).unwrap();
        std::os::unix::fs::symlink(outside.path(), gone.join("link")).unwrap();
        // A run that lives: it holds its lock.
        let live = fresh(data.path()).unwrap();
        // A run just starting (no lock yet), or a directory that is no run's.
        let starting = data.path().join("fgref-starting");
        fs::create_dir(&starting).unwrap();
        // A link named like a run.
        let link = data.path().join("fgref-link");
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        assert!(!gone.exists(), "the gone run's directory was kept");
        let second = fresh(data.path()).unwrap();
        assert!(
            live.dir.path().is_dir(),
            "a live run's directory was removed"
        );
        assert!(starting.is_dir(), "a starting run's directory was removed");
        assert!(link.is_symlink());
        assert!(outside.path().join("keep.txt").is_file());
        assert_ne!(live.dir.path(), second.dir.path());
        let live_path = live.dir.path().to_owned();
        drop(live);
        assert!(!live_path.exists(), "a run's directory outlived it");
    }
}
