//! Target descriptors (`runtimes/<name>.toml`), read and checked: which kind of target, how to
//! reach it, the runtime ids it serves, the features it declares, where its functions send
//! telemetry, and which file lists the trials it is expected to fail.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use serde::Deserialize;

use super::error::TargetError;
use super::remote::{self, Credentials};
use super::timeouts::{self, Timeouts};
use crate::feature;
use crate::names;
use crate::runtime_id::RuntimeId;

/// A target as its descriptor describes it, checked.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub description: String,
    pub kind: TargetKind,
    pub project_id: String,
    /// Runtime ids the target serves, oldest first.
    pub runtimes: Vec<RuntimeId>,
    /// Runtime ids a run covers when `--runtime` is not given.
    pub default_runtimes: Vec<RuntimeId>,
    /// Features the target declares; cases needing others are skipped.
    pub features: Vec<&'static str>,
    /// How long an instance stays warm without calls before the target recycles it.
    pub idle_timeout: Duration,
    /// Where the telemetry collector listens (loopback; port 0: any free one).
    pub collector_listen: SocketAddr,
    /// The base URL the target's functions reach the collector at; `None`: its own address.
    pub collector_url: Option<String>,
    /// The expectations file (the trials the target is expected to fail), relative to the
    /// current directory as the descriptor's `expectations` key, relative to the descriptor, says.
    pub expectations: Option<PathBuf>,
    /// Where the credentials come from (`token_env`, or `access_key_env`/`secret_key_env`).
    pub credentials: Credentials,
    /// `ca_file`'s certificates: https trusts exactly these CAs; `None`: the system's roots.
    pub ca_certs: Option<Vec<CertificateDer<'static>>>,
    /// The `[timeouts]` table over the defaults for where the target is.
    pub timeouts: Timeouts,
    /// The first part of every name the suite creates on the target (`names`), checked.
    pub function_prefix: String,
}

/// How the harness reaches a target.
#[derive(Debug, Clone)]
pub enum TargetKind {
    /// The reference platform fgref, run inside the harness process.
    Embedded,
    /// A program started for the run, which serves the protocol and prints
    /// `listening on http://ADDR`; a relative program path with a slash is relative to `dir`,
    /// the descriptor's directory.
    Command { program: Vec<String>, dir: PathBuf },
    /// A target already running at this URL (`url`, or `region`'s endpoint).
    Url(String),
}

/// `runtimes/<name>.toml`, as written. Exactly one of `embedded`, `command`, `url` and `region`
/// says how to reach the target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Descriptor {
    name: String,
    #[serde(default)]
    description: String,
    /// `"fgref"`: the reference platform, run inside the harness process.
    embedded: Option<String>,
    /// A program that serves the protocol and prints `listening on http://ADDR` on stdout.
    command: Option<Vec<String>>,
    /// An already running target.
    url: Option<String>,
    #[serde(default = "default_project_id")]
    project_id: String,
    /// The environment variable holding the `X-Auth-Token` to send, if the target needs one.
    token_env: Option<String>,
    /// Runtime ids the target serves, or `"all"`.
    runtimes: Every,
    /// Runtime ids a run covers when `--runtime` is not given (default: all of `runtimes`).
    default_runtimes: Option<Vec<String>>,
    /// Features the target declares, or `"all"`; cases needing others are skipped.
    features: Every,
    /// Seconds an instance stays warm without calls before the target recycles it; cases with
    /// `pause = "idle"` wait longer than this. Default: the one minute OTC documents.
    #[serde(default = "default_idle_timeout")]
    idle_timeout: f64,
    /// `127.0.0.1:PORT`: where the telemetry collector listens (default 127.0.0.1:0, a free
    /// port).
    collector_listen: Option<String>,
    /// `http://HOST:PORT`: how the target's functions reach the collector, for a target
    /// elsewhere (the operator makes it reachable there); default the collector's own address.
    collector_url: Option<String>,
    /// The expectations file, relative to the descriptor: the trials the target is expected to
    /// fail, each with a reason (README, "Adopting the suite on a runtime that does not pass yet").
    expectations: Option<String>,
    /// A Huawei Cloud region id: the target is FunctionGraph there,
    /// `https://functiongraph.{region}.myhuaweicloud.com`.
    region: Option<String>,
    /// The environment variables holding an access key pair, to sign every call (AK/SK).
    access_key_env: Option<String>,
    secret_key_env: Option<String>,
    /// A PEM file of the CA(s) the target's certificate chains to, relative to the descriptor;
    /// then only these are trusted.
    ca_file: Option<String>,
    /// Time limits, in seconds, over the defaults for a target here or elsewhere.
    timeouts: Option<timeouts::Table>,
    /// The first part of every function and dependency name the suite creates, so that an
    /// operator can namespace them on a shared account and `fgconform cleanup` finds them:
    /// 1–16 letters, digits, `-`, `_` (default `fgc`).
    #[serde(default = "default_function_prefix")]
    function_prefix: String,
}

/// A list of names, or `"all"` of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Every {
    All(AllWord),
    List(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
enum AllWord {
    #[serde(rename = "all")]
    All,
}

fn default_idle_timeout() -> f64 {
    60.0
}

fn default_function_prefix() -> String {
    names::DEFAULT_PREFIX.into()
}

fn default_project_id() -> String {
    "fgconform".into()
}

/// Reads the descriptor at `path`.
pub fn load(path: &Path) -> Result<Target, TargetError> {
    let text = std::fs::read_to_string(path).map_err(|source| TargetError::Read {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |message: String| TargetError::Invalid {
        path: path.to_owned(),
        message,
    };
    let d: Descriptor = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    let expectations = match d.expectations {
        Some(file) if file.trim().is_empty() => {
            return Err(invalid(
                "`expectations` is empty; give a file relative to the descriptor".into(),
            ));
        }
        Some(file) => Some(dir.join(file)),
        None => None,
    };
    let kind = match (d.embedded, d.command, d.url, &d.region) {
        (Some(embedded), None, None, None) if embedded == "fgref" => TargetKind::Embedded,
        (Some(embedded), None, None, None) => {
            return Err(invalid(format!(
                "unknown embedded target `{embedded}`; the only one is `fgref`"
            )));
        }
        (None, Some(command), None, None) => TargetKind::Command {
            program: command,
            dir: dir.clone(),
        },
        (None, None, Some(url), None) => {
            remote::check_url(&url).map_err(invalid)?;
            TargetKind::Url(url)
        }
        (None, None, None, Some(region)) => {
            TargetKind::Url(remote::region_url(region).map_err(invalid)?)
        }
        _ => {
            return Err(invalid(
                "set exactly one of `embedded`, `command`, `url` and `region`".into(),
            ));
        }
    };
    let credentials =
        Credentials::from_keys(d.token_env, d.access_key_env, d.secret_key_env).map_err(invalid)?;
    let ca_certs = match &d.ca_file {
        Some(file) if file.trim().is_empty() => {
            return Err(invalid(
                "`ca_file` is empty; give a PEM file relative to the descriptor".into(),
            ));
        }
        Some(file) => Some(remote::load_ca(&dir.join(file)).map_err(invalid)?),
        None => None,
    };
    let default_timeouts = match &kind {
        TargetKind::Embedded | TargetKind::Command { .. } => Timeouts::LOCAL,
        TargetKind::Url(url) => remote::default_timeouts(url),
    };
    let timeouts = timeouts::resolve(d.timeouts.as_ref(), default_timeouts).map_err(invalid)?;
    let ids = |list: &[String], key: &str| {
        list.iter()
            .map(|id| {
                RuntimeId::parse(id)
                    .ok_or_else(|| invalid(format!("`{key}`: unknown runtime id `{id}`")))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let runtimes = match &d.runtimes {
        Every::All(_) => RuntimeId::all().collect(),
        Every::List(list) => ids(list, "runtimes")?,
    };
    let default_runtimes = match &d.default_runtimes {
        Some(list) => ids(list, "default_runtimes")?,
        None => runtimes.clone(),
    };
    if let Some(id) = default_runtimes.iter().find(|id| !runtimes.contains(id)) {
        return Err(invalid(format!(
            "`default_runtimes` names {id}, which `runtimes` does not list"
        )));
    }
    let features = match &d.features {
        Every::All(_) => feature::FEATURES.iter().map(|f| f.name).collect(),
        Every::List(list) => list
            .iter()
            .map(|name| {
                feature::check(name)
                    .map(|f| f.name)
                    .map_err(|unknown| invalid(format!("`features`: {unknown}")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if !(d.idle_timeout.is_finite() && (0.1..=3600.0).contains(&d.idle_timeout)) {
        return Err(invalid(format!(
            "`idle_timeout` is {} seconds; give 0.1 to 3600",
            d.idle_timeout
        )));
    }
    let collector_listen = match &d.collector_listen {
        None => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        Some(text) => match text.parse::<SocketAddr>() {
            Ok(addr) if addr.ip().is_loopback() => addr,
            _ => {
                return Err(invalid(format!(
                    "`collector_listen` is `{text}`; give a loopback address, `127.0.0.1:PORT` (make it reachable from elsewhere with `collector_url`)"
                )));
            }
        },
    };
    let collector_url = match d.collector_url {
        None => None,
        // The forwarder speaks plain HTTP only, as FunctionGraph's Node.js 6.10 can.
        Some(url) if url.starts_with("http://") && url.len() > "http://".len() => {
            Some(url.trim_end_matches('/').to_owned())
        }
        Some(url) => {
            return Err(invalid(format!(
                "`collector_url` is `{url}`; give the http:// URL the target's functions reach the collector at"
            )));
        }
    };
    names::check_prefix(&d.function_prefix)
        .map_err(|message| invalid(format!("`function_prefix`: {message}")))?;
    Ok(Target {
        name: d.name,
        description: d.description,
        kind,
        project_id: d.project_id,
        runtimes,
        default_runtimes,
        features,
        idle_timeout: Duration::from_secs_f64(d.idle_timeout),
        collector_listen,
        collector_url,
        expectations,
        credentials,
        ca_certs,
        timeouts,
        function_prefix: d.function_prefix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Target, TargetError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    #[test]
    fn all_means_every_runtime_id_and_feature() {
        let target = load_text(
            "name = \"t\"\nembedded = \"fgref\"\nruntimes = \"all\"\nfeatures = \"all\"\n",
        )
        .unwrap();
        assert_eq!(target.runtimes, RuntimeId::all().collect::<Vec<_>>());
        assert_eq!(target.features.len(), feature::FEATURES.len());
        assert!(matches!(target.kind, TargetKind::Embedded));
        assert_eq!(target.collector_listen.to_string(), "127.0.0.1:0");
        assert_eq!(target.collector_url, None);
        assert_eq!(target.function_prefix, "fgc");
    }

    #[test]
    fn collector_keys_are_a_loopback_address_and_an_http_url() {
        let target = load_text(
            "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\ncollector_listen = \"127.0.0.1:9411\"\ncollector_url = \"http://203.0.113.7:9411/\"\n",
        )
        .unwrap();
        assert_eq!(target.collector_listen.to_string(), "127.0.0.1:9411");
        assert_eq!(
            target.collector_url.as_deref(),
            Some("http://203.0.113.7:9411")
        );
    }

    #[test]
    fn expectations_are_relative_to_the_descriptor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\nexpectations = \"t.expectations.toml\"\n",
        )
        .unwrap();
        let target = load(&path).unwrap();
        assert_eq!(
            target.expectations,
            Some(dir.path().join("t.expectations.toml"))
        );
        let bare =
            load_text("name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\n");
        assert_eq!(bare.unwrap().expectations, None);
    }

    #[test]
    fn bad_descriptors_say_what_to_fix() {
        for (text, needle) in [
            (
                "name = \"t\"\nurl = \"http://x\"\ncommand = [\"x\"]\nruntimes = \"all\"\nfeatures = []\n",
                "exactly one of `embedded`, `command`, `url` and `region`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = [\"Node.js9\"]\nfeatures = []\n",
                "unknown runtime id `Node.js9`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"every\"\nfeatures = []\n",
                "runtimes",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = [\"telepathy\"]\n",
                "unknown feature `telepathy`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\nidle_timeout = 0\n",
                "idle_timeout",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\ncollector_listen = \"0.0.0.0:9411\"\n",
                "`collector_listen` is `0.0.0.0:9411`; give a loopback address",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\ncollector_url = \"https://h\"\n",
                "`collector_url` is `https://h`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\nexpectations = \"\"\n",
                "`expectations` is empty",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nregion = \"ap-southeast-1\"\nruntimes = \"all\"\nfeatures = []\n",
                "exactly one of `embedded`, `command`, `url` and `region`",
            ),
            (
                "name = \"t\"\nregion = \"Southeast Asia\"\nruntimes = \"all\"\nfeatures = []\n",
                "`region` is `Southeast Asia`",
            ),
            (
                "name = \"t\"\nurl = \"ftp://x\"\nruntimes = \"all\"\nfeatures = []\n",
                "`url` is `ftp://x`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\naccess_key_env = \"AK\"\n",
                "`access_key_env` needs `secret_key_env`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\ntoken_env = \"T\"\naccess_key_env = \"AK\"\nsecret_key_env = \"SK\"\n",
                "not both",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\nca_file = \"missing.pem\"\n",
                "`ca_file`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\n[timeouts]\ncold_invoke = -1\n",
                "`timeouts.cold_invoke` is -1 seconds",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\n[timeouts]\ncold = 1\n",
                "unknown field `cold`",
            ),
            (
                "name = \"t\"\nurl = \"http://x\"\nruntimes = \"all\"\nfeatures = []\nfunction_prefix = \"my.team\"\n",
                "`function_prefix`: `my.team` is no function prefix",
            ),
        ] {
            let error = load_text(text).unwrap_err().to_string();
            assert!(error.contains(needle), "{needle}: {error}");
        }
    }
}
