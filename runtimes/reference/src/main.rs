//! `fgref`: serves a local FunctionGraph until SIGINT or SIGTERM.

use std::{io::Write, net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

/// A local FunctionGraph that runs Node.js functions (the reference target of fgconform).
#[derive(Debug, Parser)]
#[command(name = "fgref", version)]
struct Args {
    /// Address of the platform API; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Run this Node.js runtime (a .js file speaking the custom runtime API) instead of ours.
    #[arg(long, env = "FGREF_NODEJS_BOOTSTRAP")]
    nodejs_bootstrap: Option<PathBuf>,
    /// Require `X-Auth-Token: TOKEN` on every call (or a signature by --access-key).
    #[arg(long, env = "FGREF_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Accept calls signed with this access key (AK/SK, SDK-HMAC-SHA256, as Huawei Cloud's SDKs
    /// sign); unsigned calls then need --token.
    #[arg(long, env = "FGREF_ACCESS_KEY", requires = "secret_key")]
    access_key: Option<String>,
    /// The secret key of --access-key.
    #[arg(
        long,
        env = "FGREF_SECRET_KEY",
        hide_env_values = true,
        requires = "access_key"
    )]
    secret_key: Option<String>,
    /// Where packages are unpacked [default: a temporary directory, removed at exit].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where exact Node releases live, as <DIR>/<version>/bin/node [default: ~/.cache/fgref/node].
    #[arg(long, env = "FGREF_NODE_CACHE")]
    node_cache: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let config = fgref::Config {
        listen: args.listen,
        nodejs_bootstrap: args.nodejs_bootstrap,
        token: args.token,
        access_key: args
            .access_key
            .zip(args.secret_key)
            .map(|(id, secret)| fgref::AccessKey { id, secret }),
        data_dir: args.data_dir,
        node_cache: args.node_cache,
        ..fgref::Config::default()
    };
    let mut terminate = signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?;
    let server = fgref::Server::start(config)
        .await
        .context("failed to start fgref")?;
    {
        // Harnesses wait for this exact line on a pipe, so it must not sit in a buffer.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {}", server.url())
            .and_then(|()| stdout.flush())
            .context("failed to write to stdout")?;
    }
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("failed to listen for SIGINT")?,
        _ = terminate.recv() => {}
    }
    server.shutdown().await;
    Ok(())
}
