//! Documents that must follow the code: ARCHITECTURE.md's code map names every module of both
//! crates, so a module added, moved or renamed without its line fails here; and each benchmark
//! in `bench/` is an executable script bash can parse (never run here: no test asserts a time),
//! `bench/load`'s timing variant the self-tests' own.

use crate::support::selftest;
use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::project_root;

pub fn trials() -> Vec<Trial> {
    vec![
        selftest(
            "selftest::docs::architecture-maps-every-module",
            architecture_maps_every_module,
        ),
        selftest("selftest::docs::the-benchmarks-parse", the_benchmarks_parse),
        selftest(
            "selftest::docs::the-load-benchmark-runs-the-self-tests-timing-variant",
            the_load_benchmark_runs_the_self_tests_timing_variant,
        ),
    ]
}

fn the_benchmarks_parse() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    for name in ["speed", "load"] {
        let script = project_root().join("bench").join(name);
        if std::fs::metadata(&script)?.permissions().mode() & 0o111 == 0 {
            return Err(format!("{} is not executable", script.display()).into());
        }
        let check = std::process::Command::new("bash")
            .arg("-n")
            .arg(&script)
            .output()?;
        if !check.status.success() {
            return Err(format!(
                "bash -n {}: {}",
                script.display(),
                String::from_utf8_lossy(&check.stderr)
            )
            .into());
        }
    }
    Ok(())
}

/// `bench/load` removes the line the self-test's variant replaces, written out in its script.
fn the_load_benchmark_runs_the_self_tests_timing_variant() -> Result<(), Failed> {
    let subject = crate::all_subjects::all()
        .find(|subject| subject.name == "leaves-timing-to-platform")
        .ok_or("no subject leaves-timing-to-platform in tests/it/subjects.rs")?;
    let crate::subject::Kind::Runtime { patches, .. } = subject.kind else {
        return Err("leaves-timing-to-platform is not a runtime variant".into());
    };
    let script = std::fs::read_to_string(project_root().join("bench/load"))?;
    match patches {
        [(line, "    initTimer = null;")] if script.contains(&format!("timer='{line}'")) => Ok(()),
        _ => Err(format!(
            "bench/load's `timer=` line is not the one leaves-timing-to-platform patches \
             ({patches:?}): update them together"
        )
        .into()),
    }
}

fn architecture_maps_every_module() -> Result<(), Failed> {
    let root = project_root();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md"))?;
    let mut missing = Vec::new();
    for crate_src in ["src", "runtimes/reference/src"] {
        let mut files = Vec::new();
        rust_files(&root.join(crate_src), Path::new(""), &mut files)?;
        for name in files.iter().filter_map(|file| code_map_name(file)) {
            // `file.rs` may be written with its directory, `install/tarball.rs`.
            if !map.contains(&format!("`{name}`")) && !map.contains(&format!("/{name}`")) {
                missing.push(format!("{crate_src}: `{name}`"));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!("ARCHITECTURE.md's code map does not name {missing:?}").into())
}

/// Every `.rs` file below `dir`, as a path relative to the crate's `src`.
fn rust_files(dir: &Path, relative: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = relative.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            rust_files(&entry.path(), &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// How the code map names a file: `name` for a top-level module (`main.rs` and `lib.rs` as
/// they are), `dir/` for a directory's `mod.rs`, `file.rs` for another file in one; `None` for
/// tests.
fn code_map_name(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    let stem = name.strip_suffix(".rs")?;
    match file.parent().and_then(Path::file_name) {
        None if stem == "main" || stem == "lib" => Some(name),
        None => Some(stem.to_owned()),
        Some(_) if stem == "tests" => None,
        Some(dir) if stem == "mod" => Some(format!("{}/", dir.to_string_lossy())),
        Some(_) => Some(name),
    }
}
