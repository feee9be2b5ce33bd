//! `fgref`: serves a local FunctionGraph until SIGINT or SIGTERM.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

/// A local FunctionGraph that runs Node.js functions (the reference target of fgconform).
#[derive(Debug, Parser)]
#[command(name = "fgref", version, after_help = AFTER_HELP)]
struct Args {
    /// Address of the platform API; port 0 picks a free one. A non-loopback address is refused
    /// unless calls need a token or an access key (or --unauthenticated-network-listen).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Listen on a non-loopback --listen address with no token and no access key: ANYONE WHO
    /// REACHES THE ADDRESS CAN RUN CODE on this machine, as this user.
    #[arg(long)]
    unauthenticated_network_listen: bool,
    /// Run this Node.js runtime (a .js file speaking the custom runtime API) instead of ours.
    #[arg(long, env = "FGREF_NODEJS_BOOTSTRAP")]
    nodejs_bootstrap: Option<PathBuf>,
    /// Require `X-Auth-Token: TOKEN` on every call (or a signature by --access-key), TOKEN being
    /// this file's content without surrounding whitespace. Or set FGREF_TOKEN.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Accept calls signed with this access key (AK/SK, SDK-HMAC-SHA256, as Huawei Cloud's SDKs
    /// sign); its secret key comes from FGREF_SECRET_KEY or --secret-key-file. Unsigned calls
    /// then need the token.
    #[arg(long, env = "FGREF_ACCESS_KEY")]
    access_key: Option<String>,
    /// The secret key of --access-key: this file's content without surrounding whitespace. Or
    /// set FGREF_SECRET_KEY.
    #[arg(long, value_name = "FILE")]
    secret_key_file: Option<PathBuf>,
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

const AFTER_HELP: &str = "\
Secrets never go on the command line, where every user of the machine can read them (ps,
/proc/PID/cmdline): the token comes from FGREF_TOKEN or --token-file, the secret key from
FGREF_SECRET_KEY or --secret-key-file.

Security: fgref is a test platform, not a sandbox. Functions run as fgref's user and see its
files. fgref keeps its secrets from them (it is non-dumpable, so /proc/PID/environ and mem are
refused; instances run without capabilities and get only their own environment) and listens on
loopback unless calls need credentials. See README.md, \"Security\".";

/// The token's variable; the token never goes on the command line.
const TOKEN_VAR: &str = "FGREF_TOKEN";
/// The secret key's variable.
const SECRET_KEY_VAR: &str = "FGREF_SECRET_KEY";
/// More than any token or key; a file this large is the wrong file.
const MAX_SECRET_BYTES: u64 = 4096;

/// A secret from its variable or its file (not both), without surrounding whitespace.
fn secret(
    var: &str,
    flag: &str,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    let text = match (env(var), file) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "both {var} and {flag} are set; give the secret once"
            ));
        }
        (None, None) => return Ok(None),
        (Some(value), None) => value,
        (None, Some(path)) => {
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|file| file.take(MAX_SECRET_BYTES + 1).read_to_string(&mut text))
                .map_err(|e| format!("failed to read {flag} {}: {e}", path.display()))?;
            if text.len() as u64 > MAX_SECRET_BYTES {
                return Err(format!(
                    "{flag} {} is larger than {MAX_SECRET_BYTES} bytes; name the file that holds only the secret",
                    path.display()
                ));
            }
            text
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "{var} or {flag} is empty; give a secret, or neither"
        ));
    }
    Ok(Some(text.to_owned()))
}

/// The token and the access key, from the flags and `env`.
fn credentials(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<String>, Option<fgref::AccessKey>), String> {
    let token = secret(TOKEN_VAR, "--token-file", args.token_file.as_deref(), env)?;
    let secret_key = secret(
        SECRET_KEY_VAR,
        "--secret-key-file",
        args.secret_key_file.as_deref(),
        env,
    )?;
    let access_key = match (&args.access_key, secret_key) {
        (Some(id), Some(secret)) => Some(fgref::AccessKey {
            id: id.clone(),
            secret,
        }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(format!(
                "--access-key needs its secret key: set {SECRET_KEY_VAR} or pass --secret-key-file"
            ));
        }
        (None, Some(_)) => {
            return Err(format!(
                "a secret key ({SECRET_KEY_VAR} or --secret-key-file) needs --access-key (or FGREF_ACCESS_KEY)"
            ));
        }
    };
    Ok((token, access_key))
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

/// How fgref exits when its flags or secrets cannot be used (clap's own usage status).
const USAGE_STATUS: i32 = 2;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (token, access_key) = match credentials(&args, &|var| std::env::var(var).ok()) {
        Ok(credentials) => credentials,
        Err(message) => usage_error(&message),
    };
    let config = fgref::Config {
        listen: args.listen,
        nodejs_bootstrap: args.nodejs_bootstrap,
        token,
        access_key,
        data_dir: args.data_dir,
        node_cache: args.node_cache,
        idle_timeout: args.idle_timeout,
        host_ports: args.host_ports,
        unauthenticated_network_listen: args.unauthenticated_network_listen,
        max_instances: (args.max_instances > 0).then_some(args.max_instances),
        header_read_timeout: Duration::from_secs(30),
        max_connections: args.max_connections as usize,
    };
    let tokio_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    tokio_runtime.block_on(serve(config))
}

fn usage_error(message: &str) -> ! {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    std::process::exit(USAGE_STATUS)
}

async fn serve(config: fgref::Config) -> anyhow::Result<()> {
    let mut terminate = signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?;
    let server = match fgref::Server::start(config).await {
        Ok(server) => server,
        Err(refusal @ fgref::Error::UnauthenticatedListen { .. }) => {
            usage_error(&refusal.to_string())
        }
        Err(e) => return Err(anyhow::Error::new(e).context("failed to start fgref")),
    };
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

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |var| {
            pairs
                .iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn secrets_never_come_from_the_command_line() {
        for flag in ["--token", "--secret-key"] {
            assert!(
                Args::try_parse_from(["fgref", flag, "s3cret"]).is_err(),
                "{flag} accepted"
            );
        }
    }

    #[test]
    fn secrets_come_from_the_environment_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, "file-token\n").unwrap();
        let key_file = dir.path().join("sk");
        std::fs::write(&key_file, "file-secret\n").unwrap();
        let args = Args::try_parse_from(["fgref", "--access-key", "AK"]).unwrap();
        let env = env_of(&[(TOKEN_VAR, "env-token"), (SECRET_KEY_VAR, "env-secret")]);
        let (token, key) = credentials(&args, &env).unwrap();
        assert_eq!(token.as_deref(), Some("env-token"));
        assert_eq!(key.unwrap().secret, "env-secret");

        let args = Args::try_parse_from([
            "fgref",
            "--access-key",
            "AK",
            "--token-file",
            token_file.to_str().unwrap(),
            "--secret-key-file",
            key_file.to_str().unwrap(),
        ])
        .unwrap();
        let (token, key) = credentials(&args, &env_of(&[])).unwrap();
        assert_eq!(token.as_deref(), Some("file-token"));
        assert_eq!(key.unwrap().secret, "file-secret");

        let both = credentials(&args, &env_of(&[(TOKEN_VAR, "env-token")])).unwrap_err();
        assert!(both.contains("both FGREF_TOKEN and --token-file"), "{both}");

        let none = Args::try_parse_from(["fgref"]).unwrap();
        assert_eq!(credentials(&none, &env_of(&[])).unwrap(), (None, None));
        let empty = credentials(&none, &env_of(&[(TOKEN_VAR, " ")])).unwrap_err();
        assert!(empty.contains("empty"), "{empty}");
        let lonely = credentials(&none, &env_of(&[(SECRET_KEY_VAR, "sk")])).unwrap_err();
        assert!(lonely.contains("needs --access-key"), "{lonely}");
        let keyless = Args::try_parse_from(["fgref", "--access-key", "AK"]).unwrap();
        let keyless = credentials(&keyless, &env_of(&[])).unwrap_err();
        assert!(keyless.contains(SECRET_KEY_VAR), "{keyless}");
    }

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
