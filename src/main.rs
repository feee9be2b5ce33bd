//! `fgconform`: the command line, with the one tokio runtime of the run.

use std::process::ExitCode;

use clap::Parser;
use fgconform::cli::{self, Cli};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    if let Some(code) = cli::command(&args) {
        return code;
    }
    let cli = Cli::parse_from(args);
    // One tokio runtime for the whole run; trials are synchronous and block on it (libtest-mimic
    // runs them on its own threads, so `main` must not itself be inside the runtime).
    let tokio_runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(tokio_runtime) => tokio_runtime,
        Err(error) => {
            eprintln!("error: cannot start the tokio runtime: {error}");
            return ExitCode::from(cli::EXIT_SETUP);
        }
    };
    cli::run(cli, &tokio_runtime)
}
