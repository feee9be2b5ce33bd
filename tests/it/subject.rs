//! The one model of the self-tests' subjects and their one runner. A subject is a Node.js runtime
//! or a platform with one behaviour changed: broken (it must fail exactly the cases that check
//! that behaviour, and pass every other case it runs) or a variant the documents allow (it must
//! fail nothing). The tables of subjects are data (`all_subjects.rs` lists them): broken runtimes
//! in `mutants.rs`, broken platforms behind the faulty proxy in `platforms.rs`, broken extension
//! and telemetry platforms in `broken_telemetry.rs`, and the rest in `subjects.rs`.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use fgconform::feature::{self, Scope};

use crate::platforms::proxy::{Fault, IDLE_SECONDS, INVOKE_TIMEOUTS, Proxy, TOKEN, TOKEN_ENV};
use crate::support::{
    affected_corpus, fails_exactly, fgconform, project_root, release_missing, selftest,
};

/// What the subject is, which decides how it starts.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Our `runtime.js` with each (find, replace) patch applied, inside fgref, on this runtime id.
    Runtime {
        runtime: &'static str,
        patches: &'static [(&'static str, &'static str)],
    },
    /// A correct fgref behind the faulty proxy (`platforms/proxy.rs`), on Node.js20.15.
    Proxy(Fault),
    /// fgref as the self-tests build it, with this one of its faults on (`FGREF_TELEMETRY_FAULT`;
    /// the faults exist only in that build), on Node.js20.15.
    Fgref(&'static str),
}

/// Which cases the subject runs.
#[derive(Debug, Clone, Copy)]
pub enum Cases {
    /// The areas of the cases it must fail, whole, and a sample of the other cases its kind can
    /// affect (`support::affected_corpus`): the Node.js runtime's areas for a runtime, the
    /// platform's for the proxy, extensions and telemetry for an fgref fault.
    Affected,
    /// The corpus, with fgconform's flags choosing the cases it can affect.
    Select(&'static [&'static str]),
}

#[derive(Debug)]
pub struct Subject {
    pub name: &'static str,
    /// What it gets wrong; `nothing: …` and the other choice it makes, for a variant.
    pub breaks: &'static str,
    pub kind: Kind,
    pub cases: Cases,
    /// Case ids (`area::case`) it must fail; every other case it runs must pass. None: a variant.
    pub fails: &'static [&'static str],
    /// Cases it affects only when one side of a race wins, left out of its run: (case id, why).
    pub races: &'static [(&'static str, &'static str)],
}

impl Subject {
    /// The fields most subjects share, for `..Subject::BASE`: the affected corpus, no races.
    pub const BASE: Subject = Subject {
        name: "",
        breaks: "",
        kind: Kind::Fgref(""),
        cases: Cases::Affected,
        fails: &[],
        races: &[],
    };

    fn runtime(&self) -> &'static str {
        match self.kind {
            Kind::Runtime { runtime, .. } => runtime,
            Kind::Proxy(_) | Kind::Fgref(_) => "Node.js20.15",
        }
    }
}

/// Trial-name parts of the areas that check the platform rather than the Node.js runtime.
const PLATFORM_AREAS: [&str; 13] = [
    "::api::",
    "::invoke::",
    "::async-invocation::",
    "::summary::",
    "::logs::",
    "::timeout::",
    "::memory::",
    "::crash::",
    "::sizes::",
    "::instances::",
    "::environment::",
    "::extensions::",
    "::telemetry::",
];

/// The subject as a self-test: `selftest::broken-runtime::NAME`,
/// `selftest::variant-platform::NAME`, …
pub fn trial(subject: &'static Subject) -> Trial {
    let kind = match subject.kind {
        Kind::Runtime { .. } => "runtime",
        Kind::Proxy(_) | Kind::Fgref(_) => "platform",
    };
    let role = if subject.fails.is_empty() {
        "variant"
    } else {
        "broken"
    };
    let name = format!("selftest::{role}-{kind}::{}", subject.name);
    // `cargo test` never downloads; a release nobody installed cannot run the subject, and saying
    // so beats a failure that is not about the subject.
    let runtime = subject.runtime();
    match fgref::node::resolve(runtime, fgref::node::default_cache().as_deref()) {
        Ok(_) => selftest(name, move || run(subject)),
        Err(error) => release_missing(name, runtime, error),
    }
}

fn run(subject: &Subject) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let mut args: Vec<String> = ["--format", "json", "--runtime", subject.runtime()]
        .map(str::to_owned)
        .to_vec();
    let corpus;
    match subject.cases {
        Cases::Affected => {
            corpus = affected_corpus(subject.name, subject.fails, |id| match subject.kind {
                Kind::Runtime { .. } => !is_platform_case(id),
                Kind::Proxy(_) | Kind::Fgref(_) => true,
            })?;
            let path = corpus.path().to_str().ok_or("temp path is not UTF-8")?;
            args.extend(["--cases".to_owned(), path.to_owned()]);
            args.extend(scope(subject.kind));
        }
        Cases::Select(flags) => args.extend(flags.iter().map(|flag| (*flag).to_owned())),
    }
    args.extend(["--test-threads".to_owned(), threads(subject).to_owned()]);
    for (case, _) in subject.races {
        args.extend(["--skip".to_owned(), (*case).to_owned()]);
    }
    let mut env: Vec<(&str, PathBuf)> = Vec::new();
    let mut proxy = None;
    match subject.kind {
        Kind::Runtime { patches, .. } => {
            env.push((
                "FGREF_NODEJS_BOOTSTRAP",
                patched_runtime(dir.path(), patches)?,
            ));
        }
        Kind::Fgref(fault) => {
            if !fgref::fault_names().any(|name| name == fault) {
                return Err(format!("fgref has no fault named {fault}").into());
            }
            env.push((fgref::TELEMETRY_FAULT_VAR, PathBuf::from(fault)));
        }
        Kind::Proxy(fault) => {
            let started = Proxy::start(fault)?;
            let target = dir.path().join("broken.toml");
            std::fs::write(
                &target,
                format!(
                    "name = \"broken-{}\"\nurl = \"{}\"\nruntimes = [\"Node.js20.15\"]\nfeatures = \"all\"\nidle_timeout = {IDLE_SECONDS}\ntoken_env = \"{TOKEN_ENV}\"\n{INVOKE_TIMEOUTS}",
                    subject.name, started.url,
                ),
            )?;
            let target = target.to_str().ok_or("temp path is not UTF-8")?;
            args.extend(["--target".to_owned(), target.to_owned()]);
            env.push((TOKEN_ENV, PathBuf::from(TOKEN)));
            proxy = Some(started);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &Path)> = env
        .iter()
        .map(|(var, value)| (*var, value.as_path()))
        .collect();
    let output = fgconform(&args, &env);
    drop(proxy);
    let role = if subject.fails.is_empty() {
        "variant"
    } else {
        "broken"
    };
    fails_exactly(
        &output,
        subject.fails,
        &format!("{role} subject `{}` ({})", subject.name, subject.breaks),
    )
}

/// Whether the case `area::name` checks the platform rather than the Node.js runtime.
fn is_platform_case(id: &str) -> bool {
    let area = id.split("::").next().unwrap_or(id);
    PLATFORM_AREAS.contains(&format!("::{area}::").as_str())
}

/// fgconform's flags narrowing an affected corpus to what the subject's kind can affect.
fn scope(kind: Kind) -> Vec<String> {
    let mut flags = Vec::new();
    match kind {
        // The platform's cases (the proxy breaks the platform instead) wait out timeouts and
        // idle times; leaving them out keeps the broken runtimes' runs affordable.
        Kind::Runtime { .. } => {
            for area in PLATFORM_AREAS {
                flags.extend(["--skip", area]);
            }
        }
        // The platform's features but extensions and telemetry, which live inside fgref's
        // instances where no proxy reaches (the fgref faults break those).
        Kind::Proxy(_) => {
            for feature in feature::names_in(Scope::Platform) {
                if !matches!(feature, "extensions" | "telemetry") {
                    flags.extend(["--feature", feature]);
                }
            }
            flags.extend(["--skip", "::extensions::", "--skip", "::telemetry::"]);
        }
        Kind::Fgref(_) => flags.extend(["--feature", "telemetry", "--feature", "extensions"]),
    }
    flags.into_iter().map(str::to_owned).collect()
}

/// Trials at once in the subject's run. An fgref fault's trials mostly wait out fgref's 5 s for
/// extensions to register, and a variant runs a whole level of the corpus: mostly idle time.
fn threads(subject: &Subject) -> &'static str {
    match (subject.cases, subject.kind) {
        (Cases::Select(_), _) if subject.fails.is_empty() => "8",
        (Cases::Select(_), Kind::Fgref(_)) => "7",
        (Cases::Affected, Kind::Fgref(_)) => "4",
        _ => "2",
    }
}

/// `runtime.js` with each (find, replace) patch applied, written into `dir`; each `find` must
/// occur exactly once, so a change to the runtime that moves the patched code fails loudly
/// instead of silently testing the correct runtime.
pub fn patched_runtime(dir: &Path, patches: &[(&str, &str)]) -> Result<PathBuf, Failed> {
    let mut source =
        std::fs::read_to_string(project_root().join("runtimes/reference/nodejs/runtime.js"))?;
    for (find, replace) in patches {
        let count = source.matches(find).count();
        if count != 1 {
            return Err(format!(
                "the patch `{find}` applies {count} times to runtime.js, not once: update the subject"
            )
            .into());
        }
        source = source.replacen(find, replace, 1);
    }
    let bootstrap = dir.join("runtime.js");
    std::fs::write(&bootstrap, source)?;
    Ok(bootstrap)
}
