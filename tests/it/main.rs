//! The project's own tests, one binary (`cargo test`): the corpus against the reference platform
//! (configured like `cargo run`, through `FGCONFORM_*` variables), plus self-tests proving the
//! suite catches broken runtimes and platforms and survives broken targets.

mod able_to_fail;
mod all_subjects;
mod broken_telemetry;
mod certify;
mod cleanup;
mod cli;
mod docs;
mod expectations;
mod hostile_cases;
mod hostile_targets;
mod html_report;
mod install;
mod mutants;
mod orphans;
mod partition;
mod platforms;
mod remote;
mod reports;
mod retries;
mod runtime_mutants;
mod statements;
mod subject;
mod subjects;
mod support;
mod targets;
mod telemetry;
mod telemetry_deploy;

use std::process::ExitCode;

use clap::Parser;
use fgconform::cli::{Cli, run_with};

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // `cargo test` never downloads: the corpus runs on what the node cache holds, else on the
    // system node for its own major (tests/it/install.rs covers installing, against a fake).
    cli.offline = true;
    // As many threads as fgconform's default (`--test-threads` and FGCONFORM_TEST_THREADS
    // still choose): the corpus's trials run first, that many at once, as `cargo run` runs
    // them; the self-tests after them take a slot each (support::selftest), three per core.
    let tokio_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // After the corpus's trials, in this order (suite.rs), the longest first: the broken
    // platforms wait out idle times and timeouts, the broken telemetry platforms their events,
    // the broken runtimes spend CPU; the short ones then fill in.
    let mut selftests = Vec::new();
    selftests.extend(all_subjects::trials());
    selftests.extend(certify::trials());
    selftests.extend(cleanup::trials());
    selftests.extend(cli::trials());
    selftests.extend(docs::trials());
    selftests.extend(expectations::trials());
    selftests.extend(hostile_cases::trials());
    selftests.extend(hostile_targets::trials());
    selftests.extend(html_report::trials());
    selftests.extend(install::trials());
    selftests.extend(reports::trials());
    selftests.extend(partition::trials());
    selftests.extend(retries::trials());
    selftests.extend(statements::trials());
    selftests.extend(remote::trials());
    selftests.extend(targets::trials());
    selftests.extend(telemetry::trials());
    selftests.extend(telemetry_deploy::trials());
    selftests.extend(orphans::trials());
    selftests.push(able_to_fail::every_fault_is_proven());
    selftests.extend(able_to_fail::trials());
    run_with(cli, &tokio_runtime, selftests)
}
