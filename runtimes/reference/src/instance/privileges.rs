//! What keeps the platform's secrets out of its instances' reach: the platform process made
//! non-dumpable, and every instance process (language runtime, extension) stripped of its
//! capabilities before it execs.
//!
//! Reading another process's `/proc/PID/environ`, `mem`, `fd/` or attaching to it with ptrace
//! needs ptrace-read access (`ptrace_may_access`). A same-uid process has it unless the target is
//! non-dumpable, and then only with `CAP_SYS_PTRACE`; a target whose capabilities are not a
//! subset of the reader's is refused too. So: fgref non-dumpable, instances without any
//! capability (which matters when fgref runs as root, as CI does) and unable to regain one by
//! exec (`no_new_privs`: no set-user-ID or file-capability binary helps). `/proc/PID/cmdline`
//! stays readable by everyone, which is why secrets never go on fgref's command line.

use std::io;

use rustix::{
    io::Errno,
    process::{DumpableBehavior, set_dumpable_behavior},
    thread::{
        CapabilitySet, CapabilitySets, clear_ambient_capability_set,
        remove_capability_from_bounding_set, set_capabilities, set_no_new_privs,
    },
};

/// Makes the calling process non-dumpable: its `/proc/PID/environ`, `mem` and `fd/` are then
/// refused to processes without `CAP_SYS_PTRACE`, and it leaves no core dump. Inherited by
/// threads; a child gets its own (dumpable) state back when it execs. Called by
/// `Server::start`, so a harness that embeds fgref is covered too.
pub(crate) fn shield_platform() -> io::Result<()> {
    set_dumpable_behavior(DumpableBehavior::NotDumpable).map_err(io::Error::from)
}

/// Drops every capability of the calling (freshly forked, not yet exec'd) process for good:
/// the bounding set (when it may: it takes `CAP_SETPCAP`, which an unprivileged fgref lacks and
/// then has nothing to drop), the ambient set, effective, permitted and inheritable, and sets
/// `no_new_privs`. Runs after the child entered its network namespace, which needs
/// `CAP_SYS_ADMIN`. Only raw syscalls: safe between fork and exec.
pub(super) fn drop_privileges() -> io::Result<()> {
    for capability in 0..u64::BITS {
        match remove_capability_from_bounding_set(CapabilitySet::from_bits_retain(1 << capability))
        {
            // Past the kernel's last capability.
            Err(Errno::INVAL) => break,
            // No CAP_SETPCAP: an unprivileged process; the sets below and no_new_privs hold.
            Err(Errno::PERM) => break,
            Err(e) => return Err(e.into()),
            Ok(()) => {}
        }
    }
    match clear_ambient_capability_set() {
        // Kernels before 4.3 have no ambient set.
        Ok(()) | Err(Errno::INVAL) => {}
        Err(e) => return Err(e.into()),
    }
    set_capabilities(
        None,
        CapabilitySets {
            effective: CapabilitySet::empty(),
            permitted: CapabilitySet::empty(),
            inheritable: CapabilitySet::empty(),
        },
    )?;
    set_no_new_privs(true)?;
    Ok(())
}
