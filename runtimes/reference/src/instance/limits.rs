//! The per-instance limits FunctionGraph documents, set on every process of an instance (the
//! language runtime and its extensions) between fork and exec: OTC's "Notes and Constraints",
//! function running resource constraints (PROTOCOL.md §5, "Per-instance limits").
//!
//! Not enforced: the 1024 "processes and threads" (`RLIMIT_NPROC` counts every process of the
//! user, not of the instance, and fgref uses no cgroups), and the 512 MB of `/tmp` as a total
//! (an rlimit bounds one file: [`MAX_FILE_BYTES`] is the nearest it can come).

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// "Number of file descriptors: 1024".
pub(crate) const MAX_OPEN_FILES: u64 = 1024;

/// "Ephemeral disk space (/tmp space): 512 MB", as the largest file an instance may write.
pub(crate) const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Lowers the limits of the calling process, soft and hard, so the function cannot raise them
/// back; a write past [`MAX_FILE_BYTES`] fails with `EFBIG` rather than killing the process
/// (`SIGXFSZ` ignored, which survives exec). Runs between fork and exec: only syscalls, no
/// allocation.
pub(super) fn apply() -> std::io::Result<()> {
    lower(Resource::Nofile, MAX_OPEN_FILES)?;
    lower(Resource::Fsize, MAX_FILE_BYTES)?;
    // SAFETY: setting a signal's disposition to SIG_IGN is async-signal-safe.
    if unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) } == libc::SIG_ERR {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Sets `resource` to `limit`, or to the hard limit already in force when that is lower.
fn lower(resource: Resource, limit: u64) -> std::io::Result<()> {
    let limit = getrlimit(resource)
        .maximum
        .map_or(limit, |hard| hard.min(limit));
    setrlimit(
        resource,
        Rlimit {
            current: Some(limit),
            maximum: Some(limit),
        },
    )?;
    Ok(())
}
