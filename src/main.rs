use std::process::ExitCode;

use clap::Parser;
use fgconform::suite::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One runtime for the whole run; trials are synchronous and block on it (libtest-mimic runs
    // them on its own threads, so `main` must not itself be inside the runtime).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(suite::EXIT_SETUP);
        }
    };
    suite::run(cli, &runtime)
}
