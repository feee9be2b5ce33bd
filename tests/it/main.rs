//! The project's own tests, one binary (`cargo test`): the corpus against the reference platform
//! (configured like `cargo run`, through `FGCONFORM_*` variables), plus self-tests proving the
//! suite catches broken runtimes and survives broken targets.

mod cli;
mod mutants;
mod support;
mod targets;

use std::process::ExitCode;

use clap::Parser;
use fgconform::suite::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut selftests = Vec::new();
    selftests.extend(cli::trials());
    selftests.extend(targets::trials());
    selftests.extend(mutants::trials());
    suite::run_with(cli, &runtime, selftests)
}
