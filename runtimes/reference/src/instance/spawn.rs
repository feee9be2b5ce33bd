//! Starting an instance's processes without copying the platform's address space:
//! clone(CLONE_VM | CLONE_VFORK), as posix_spawn does, with the instance's setup (death signal,
//! limits, network namespace, privileges) run in the child before it execs. A fork of fgref (or
//! of the harness embedding it, with its threads and buffers) copies its page tables and makes
//! every page copy-on-write until the child execs: measured, 40 % of the platform's own CPU.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

use rustix::process::{
    Pid, PidfdFlags, Signal, WaitId, WaitIdOptions, kill_process, pidfd_open, waitid,
};
use tokio::io::unix::AsyncFd;

use super::{limits, network, privileges};

/// The child's stack until it execs: the setup's syscalls through rustix, no allocation.
const CHILD_STACK_BYTES: usize = 256 * 1024;

/// A process to start.
pub(super) struct Spec<'a> {
    /// Run as is when it has a slash, else looked up in the `PATH` of `env`.
    pub program: &'a Path,
    /// Arguments after the program's name.
    pub args: Vec<&'a OsStr>,
    /// The whole environment.
    pub env: Vec<(String, String)>,
    pub cwd: &'a Path,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
    /// The network namespace to enter, open in the caller until this returns.
    pub netns: Option<RawFd>,
}

/// The steps of the child's setup, by the index a failed one reports, for the message.
const STEPS: [&str; 8] = [
    "standard input and output",
    "working directory",
    "process group",
    "parent death signal",
    "platform still running",
    "resource limits",
    "network namespace",
    "capabilities",
];
const STDIO: i32 = 0;
const CWD: i32 = 1;
const GROUP: i32 = 2;
const DEATH_SIGNAL: i32 = 3;
const PLATFORM_ALIVE: i32 = 4;
const LIMITS: i32 = 5;
const NAMESPACE: i32 = 6;
const CAPABILITIES: i32 = 7;

/// What the child reads (prepared by the parent, which it shares memory with) and writes back
/// when a step fails.
struct ChildArgs {
    path: CString,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    cwd: CString,
    stdin: RawFd,
    stdout: RawFd,
    stderr: RawFd,
    netns: Option<RawFd>,
    platform: libc::pid_t,
    /// The failed step's index in [`STEPS`] (or [`EXEC_STEP`]), and its errno.
    failed_step: AtomicI32,
    errno: AtomicI32,
}

/// `failed_step` when execve itself failed.
const EXEC_STEP: i32 = -1;

/// Starts `spec` in a process group of its own, killed with the platform; errs naming the setup
/// step or the exec that failed.
pub(super) fn spawn(spec: Spec<'_>) -> io::Result<Process> {
    let path = resolve(spec.program, &spec.env)?;
    let cstring = |bytes: &[u8]| {
        CString::new(bytes).map_err(|_| io::Error::other("a NUL byte in an argument"))
    };
    let mut argv_owned = vec![cstring(spec.program.as_os_str().as_bytes())?];
    for arg in &spec.args {
        argv_owned.push(cstring(arg.as_bytes())?);
    }
    let envp_owned = spec
        .env
        .iter()
        .map(|(k, v)| cstring(format!("{k}={v}").as_bytes()))
        .collect::<io::Result<Vec<_>>>()?;
    let null_terminated = |strings: &[CString]| {
        strings
            .iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect::<Vec<_>>()
    };
    let stdin = std::fs::File::open("/dev/null")?;
    // Closed in the child by its exec (close-on-exec), once the new program's memory is in
    // place: see `wait_for_exec`.
    let (exec_done, exec_done_writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let args = ChildArgs {
        path: cstring(path.as_os_str().as_bytes())?,
        argv: null_terminated(&argv_owned),
        envp: null_terminated(&envp_owned),
        cwd: cstring(spec.cwd.as_os_str().as_bytes())?,
        stdin: stdin.as_raw_fd(),
        stdout: spec.stdout.as_raw_fd(),
        stderr: spec.stderr.as_raw_fd(),
        netns: spec.netns,
        platform: rustix::process::getpid().as_raw_nonzero().get(),
        failed_step: AtomicI32::new(0),
        errno: AtomicI32::new(0),
    };
    let mut stack = vec![0u8; CHILD_STACK_BYTES];
    // SAFETY: the stack grows down from its 16-byte aligned top; `args` and `stack` outlive the
    // child's use of them, since CLONE_VFORK resumes this thread only once the child has exec'd
    // or exited. Every signal is blocked around the clone so that no handler of the platform
    // runs in the child, which shares its memory; the child empties the mask after resetting
    // the handlers.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(CHILD_STACK_BYTES);
        let top = top.sub(top as usize % 16);
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut saved: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut saved);
        let pid = libc::clone(
            child_main,
            top.cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::addr_of!(args).cast_mut().cast(),
        );
        let clone_errno = io::Error::last_os_error();
        libc::pthread_sigmask(libc::SIG_SETMASK, &saved, std::ptr::null_mut());
        if pid < 0 {
            return Err(clone_errno);
        }
        pid
    };
    drop(stack);
    drop(exec_done_writer);
    wait_for_exec(&exec_done);
    let step = args.failed_step.load(Ordering::Acquire);
    let errno = args.errno.load(Ordering::Acquire);
    if errno != 0 {
        // The child has exited; reap it.
        // SAFETY: waitpid on our own child.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        let source = io::Error::from_raw_os_error(errno);
        return Err(
            match usize::try_from(step).ok().and_then(|i| STEPS.get(i)) {
                Some(what) => io::Error::new(source.kind(), format!("setting up {what}: {source}")),
                None => source,
            },
        );
    }
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::other("clone returned pid 0"))?;
    // Unreaped, the pid cannot be reused, so the descriptor is the child's.
    let pidfd = pidfd_open(pid, PidfdFlags::empty())
        .map_err(io::Error::from)
        // SAFETY: the OwnedFd is the AsyncFd's, open for as long as it lives.
        .and_then(|fd| unsafe { AsyncFd::register(fd) }.map_err(|e| e.into_parts().1));
    match pidfd {
        Ok(pidfd) => Ok(Process {
            pid,
            pidfd: Some(pidfd),
        }),
        Err(error) => {
            let _ = kill_process(pid, Signal::KILL);
            // SAFETY: waitpid on our own child.
            unsafe { libc::waitpid(pid.as_raw_nonzero().get(), std::ptr::null_mut(), 0) };
            Err(error)
        }
    }
}

/// The child: its setup, then execve. Only raw syscalls: it runs in the platform's memory, on
/// the platform's thread-local state, until it execs.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's `ChildArgs`, alive until this execs or exits.
    let args = unsafe { &*(arg as *const ChildArgs) };
    // SAFETY (all of the block): plain syscalls on this process's own state and the fds the
    // parent keeps open across the clone.
    unsafe {
        // The platform's handlers are the platform's; a signal before the exec must not run
        // one here. Rust ignores SIGPIPE in the platform: its children get the default back.
        for signal in 1..libc::SIGRTMAX() {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction != libc::SIG_DFL
                && (old.sa_sigaction != libc::SIG_IGN || signal == libc::SIGPIPE)
            {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &default, std::ptr::null_mut());
            }
        }
        for (from, to) in [(args.stdin, 0), (args.stdout, 1), (args.stderr, 2)] {
            // dup2 onto itself keeps close-on-exec, which must then be cleared by hand.
            let done = if from == to {
                libc::fcntl(to, libc::F_SETFD, 0)
            } else {
                libc::dup2(from, to)
            };
            if done < 0 {
                fail(args, STDIO, errno());
            }
        }
        if libc::chdir(args.cwd.as_ptr()) < 0 {
            fail(args, CWD, errno());
        }
        // Its own group, so killing the group also kills whatever the process started.
        if libc::setpgid(0, 0) < 0 {
            fail(args, GROUP, errno());
        }
    }
    // Killed with the platform even when the platform itself is SIGKILLed and cannot kill its
    // groups; a parent already gone by now is a platform that died meanwhile.
    let death_signal = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    check(args, DEATH_SIGNAL, death_signal.map_err(io::Error::from));
    if rustix::process::getppid().map(|p| p.as_raw_nonzero().get()) != Some(args.platform) {
        fail(args, PLATFORM_ALIVE, libc::ESRCH);
    }
    check(args, LIMITS, limits::apply());
    if let Some(ns) = args.netns {
        // SAFETY: the parent keeps the namespace's descriptor open until this has exec'd.
        check(args, NAMESPACE, unsafe { network::enter(ns) });
    }
    // Last: entering the namespace needs CAP_SYS_ADMIN.
    check(args, CAPABILITIES, privileges::drop_privileges());
    // SAFETY: an empty mask, as std's Command gives its children (a mask survives the exec, and
    // the thread that spawns may block signals of its own); then the exec, with the parent's
    // NUL-terminated arrays.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        libc::execve(args.path.as_ptr(), args.argv.as_ptr(), args.envp.as_ptr());
    }
    fail(args, EXEC_STEP, errno())
}

/// Tells the parent which step failed with which errno, and exits the child.
fn fail(args: &ChildArgs, step: i32, errno: i32) -> ! {
    args.failed_step.store(step, Ordering::Release);
    args.errno.store(errno.max(1), Ordering::Release);
    // SAFETY: _exit runs no handlers and touches no shared state.
    unsafe { libc::_exit(127) }
}

fn check(args: &ChildArgs, step: i32, result: io::Result<()>) {
    if let Err(error) = result {
        fail(args, step, error.raw_os_error().unwrap_or(libc::EIO));
    }
}

/// The calling thread's errno, without allocating.
fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `program` as execve takes it: as given when it has a slash, else the first executable file
/// of that name in the `PATH` of `env` (as std's Command looks it up).
fn resolve(program: &Path, env: &[(String, String)]) -> io::Result<PathBuf> {
    if program.as_os_str().as_bytes().contains(&b'/') {
        return Ok(program.to_path_buf());
    }
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str());
    path.unwrap_or_default()
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not in the instance's PATH", program.display()),
            )
        })
}

/// Waits until the child has exec'd (or exited): until its end of `exec_done` is closed.
///
/// CLONE_VFORK resumes the parent as soon as the child's exec lets go of the shared memory, a
/// moment before the new program's memory becomes the child's. Read in that moment,
/// /proc/PID/status shows the platform's own memory as the child's: a poll of a new instance
/// then saw the harness's 170 MB as the instance's and failed a 128 MB function with
/// "runtime memory limit exceeded". Close-on-exec descriptors are closed after the switch, so
/// end of file on this pipe means the child's memory is its own program's.
fn wait_for_exec(exec_done: &OwnedFd) {
    let mut byte = [0u8; 1];
    loop {
        match rustix::io::read(exec_done, &mut byte) {
            Err(rustix::io::Errno::INTR) => continue,
            // Nothing is ever written: any answer is the end (or a broken pipe, which is too).
            _ => return,
        }
    }
}

/// A started process, reaped by [`Process::wait`]; dropped before that, it is killed and
/// reaped in the background.
pub(crate) struct Process {
    pid: Pid,
    pidfd: Option<AsyncFd<OwnedFd>>,
}

impl Process {
    pub(crate) fn id(&self) -> u32 {
        self.pid.as_raw_nonzero().get().unsigned_abs()
    }

    /// Waits for the process to exit and reaps it.
    pub(crate) async fn wait(&mut self) -> io::Result<()> {
        if let Some(pidfd) = &self.pidfd {
            reap(pidfd).await?;
            self.pidfd = None;
        }
        Ok(())
    }
}

/// Waits until the process of `pidfd` has exited, and reaps it.
async fn reap(pidfd: &AsyncFd<OwnedFd>) -> io::Result<()> {
    loop {
        let mut ready = pidfd.readable().await?;
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
        match waitid(WaitId::PidFd(pidfd.get_ref().as_fd()), options) {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => ready.clear_ready(),
            Err(error) => return Err(error.into()),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let Some(pidfd) = self.pidfd.take() else {
            return;
        };
        let _ = kill_process(self.pid, Signal::KILL);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let _ = reap(&pidfd).await;
                });
            }
            Err(_) => {
                let _ = waitid(
                    WaitId::PidFd(pidfd.get_ref().as_fd()),
                    WaitIdOptions::EXITED,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// VmHWM of `pid`, kB.
    fn peak_kb(pid: u32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn a_started_process_has_its_own_memory_at_once_never_the_platforms() {
        // The platform holds 256 MB, written, so its peak is past any small program's.
        let held = vec![1u8; 256 << 20];
        let null = || OwnedFd::from(std::fs::File::create("/dev/null").unwrap());
        for _ in 0..300 {
            let spec = Spec {
                program: Path::new("/bin/sleep"),
                args: vec![OsStr::new("10")],
                env: vec![("PATH".to_owned(), "/usr/bin:/bin".to_owned())],
                cwd: Path::new("/"),
                stdout: null(),
                stderr: null(),
                netns: None,
            };
            let process = spawn(spec).unwrap();
            let peak = peak_kb(process.id());
            assert!(peak < 64 * 1024, "a new sleep's peak read as {peak} kB");
        }
        assert_eq!(held.len(), 256 << 20);
    }
}
