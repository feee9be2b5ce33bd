//! A release's node binary read into the page cache before the first instance of it in this
//! process starts: an instance whose binary is still on disk (a run's first, while a build
//! writes back, eight releases at once) would otherwise spend its start-up in page faults. It
//! keeps no figure: which releases were read lives in memory and goes with the process.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::node::NodeBinary;

static READ: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Reads `node`'s binary ahead once per process.
pub(super) async fn read_ahead_once(node: &NodeBinary) {
    let first = READ
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(node.path.clone());
    if first {
        let path = node.path.clone();
        let _ = tokio::task::spawn_blocking(move || read_ahead(&path)).await;
    }
}

/// Asks the kernel to read all of `file` into the page cache (readahead(2): nothing is copied,
/// and a file already there costs one call).
fn read_ahead(file: &Path) {
    use std::os::fd::AsRawFd;
    let Ok(open) = std::fs::File::open(file) else {
        return;
    };
    let Ok(len) = open.metadata().map(|meta| meta.len()) else {
        return;
    };
    // SAFETY: a plain syscall on a descriptor this function owns.
    unsafe {
        libc::readahead(
            open.as_raw_fd(),
            0,
            usize::try_from(len).unwrap_or(usize::MAX),
        )
    };
}
