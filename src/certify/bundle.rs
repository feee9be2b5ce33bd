//! `certify`: runs the suite as a child of this same binary (every `documented` case, `--runtime
//! all` unless told otherwise), its text output into run.log and its reports into the bundle, then
//! writes PRODUCT.toml (unless the vendor's is there) and MANIFEST.toml.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::certify::manifest::{
    JUNIT_XML, MANIFEST_TOML, Manifest, PRODUCT_TOML, REPORT_HTML, REPORT_JSON, RUN_LOG,
    product_template,
};
use crate::corpus_digest::corpus_digest;
use crate::select::Selection;

/// What `fgconform certify` was asked for.
#[derive(Debug, Clone, Default)]
pub struct CertifyOptions {
    /// The target descriptor; default: the suite's default target.
    pub target: Option<PathBuf>,
    /// The bundle directory (created when missing).
    pub out: PathBuf,
    /// Another corpus root; default: the project's `cases/`.
    pub cases: Option<PathBuf>,
    /// Runtime ids; empty means `all`.
    pub runtimes: Vec<String>,
    /// Only rewrite MANIFEST.toml over the files already in `out` (after filling PRODUCT.toml).
    pub rehash: bool,
}

/// Writes the bundle; an error says why there is none. Failing trials are no error: `verify`
/// judges them.
pub fn certify(options: &CertifyOptions) -> Result<String, String> {
    let out = &options.out;
    let selection = Selection {
        cases: options.cases.clone(),
        ..Selection::default()
    };
    let root = selection.cases_root();
    let digest = corpus_digest(&root)
        .map_err(|e| format!("cannot read the corpus {}: {e}", root.display()))?;
    let mut said = String::new();
    if !options.rehash {
        std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let code = run_suite(options)?;
        if !matches!(code, Some(0) | Some(101)) || !out.join(REPORT_JSON).is_file() {
            return Err(format!(
                "the run did not finish (exit status {}); its output is in {}",
                code.map_or("none".to_owned(), |c| c.to_string()),
                out.join(RUN_LOG).display()
            ));
        }
        said.push_str(if code == Some(0) {
            "every trial passed"
        } else {
            "some trials did not pass (see run.log); verify judges them"
        });
        let product = out.join(PRODUCT_TOML);
        if product.exists() {
            said.push_str("; kept the existing PRODUCT.toml");
        } else {
            std::fs::write(&product, product_template())
                .map_err(|e| format!("cannot write {}: {e}", product.display()))?;
            said.push_str("; fill in PRODUCT.toml, then `fgconform certify --rehash --out DIR`");
        }
    }
    let manifest = Manifest::of(out, digest)
        .map_err(|e| format!("cannot hash the bundle in {}: {e}", out.display()))?;
    let file = out.join(MANIFEST_TOML);
    std::fs::write(&file, manifest.render())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    if said.is_empty() {
        said.push_str("rehashed");
    }
    Ok(format!("certify: wrote {}: {said}", out.display()))
}

/// The suite, run by this same binary with stdout and stderr into run.log; its exit status.
fn run_suite(options: &CertifyOptions) -> Result<Option<i32>, String> {
    let out = &options.out;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find fgconform itself: {e}"))?;
    let log_path = out.join(RUN_LOG);
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    let runtimes = if options.runtimes.is_empty() {
        "all".to_owned()
    } else {
        options.runtimes.join(",")
    };
    let mut command = Command::new(exe);
    command
        .args(["--level", "documented", "--runtime", &runtimes])
        .args(["--color", "never"])
        .arg("--json")
        .arg(path_in(out, REPORT_JSON))
        .arg("--junit")
        .arg(path_in(out, JUNIT_XML))
        .arg("--html")
        .arg(path_in(out, REPORT_HTML));
    if let Some(target) = &options.target {
        command.arg("--target").arg(target);
    }
    if let Some(cases) = &options.cases {
        command.arg("--cases").arg(cases);
    }
    // The bundle covers every documented case: no variable may narrow it.
    for var in [
        "FGCONFORM_FEATURE",
        "FGCONFORM_LEVEL",
        "FGCONFORM_RUNTIME",
        "FGCONFORM_PARTITION",
    ] {
        command.env_remove(var);
    }
    let status = command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .status()
        .map_err(|e| format!("cannot run the suite: {e}"))?;
    Ok(status.code())
}

fn path_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
