//! `fgref`: serves a local FunctionGraph until SIGINT or SIGTERM.

use std::{io::Write, net::SocketAddr, path::PathBuf, time::Duration};

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
    /// Seconds an instance stays warm without calls before it is stopped; fractions allowed
    /// (e.g. 1.5). OTC documents one minute.
    #[arg(long, env = "FGREF_IDLE_TIMEOUT", value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    idle_timeout: Duration,
    /// A loopback port of this machine that instances with extensions, which run in a network
    /// namespace of their own, can still reach at 127.0.0.1:PORT (e.g. a telemetry collector).
    /// Repeatable.
    #[arg(long = "host-port", value_name = "PORT")]
    host_ports: Vec<u16>,
    /// The most instances fgref runs at once over all functions (0: unlimited); past it an idle
    /// instance is stopped to make room, and with none idle a call gets 429 FSS.0429.
    #[arg(long, env = "FGREF_MAX_INSTANCES", value_name = "N", default_value_t = fgref::DEFAULT_MAX_INSTANCES)]
    max_instances: usize,
    /// The most client connections fgref serves at once; more wait to be accepted.
    #[arg(long, env = "FGREF_MAX_CONNECTIONS", value_name = "N", default_value = "256", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
}

/// A positive number of seconds, fractions allowed.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds; write e.g. 60 or 1.5"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!("{text:?} is not a positive number of seconds"));
    }
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} seconds is too long; write at most a few days"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tokio_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    tokio_runtime.block_on(serve(args))
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
        idle_timeout: args.idle_timeout,
        host_ports: args.host_ports,
        telemetry_fault: fgref::TelemetryFault::from_env().map_err(anyhow::Error::msg)?,
        max_instances: (args.max_instances > 0).then_some(args.max_instances),
        header_read_timeout: Duration::from_secs(30),
        max_connections: args.max_connections as usize,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_timeout_takes_fractional_seconds() {
        let args = Args::try_parse_from(["fgref", "--idle-timeout", "1.5"]).unwrap();
        assert_eq!(args.idle_timeout, Duration::from_millis(1500));
        let default = Args::try_parse_from(["fgref"]).unwrap();
        assert_eq!(default.idle_timeout, Duration::from_secs(60));
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            assert!(
                Args::try_parse_from(["fgref", "--idle-timeout", bad]).is_err(),
                "{bad} accepted"
            );
        }
    }
}
