//! The descriptor keys for a target elsewhere: a Huawei Cloud `region` (its FunctionGraph
//! endpoint), the `url`'s form, a private CA (`ca_file`), which credentials' environment
//! variables to read, and whether the target is on this machine (which time limits apply).

use std::net::IpAddr;
use std::path::Path;

use rustls::pki_types::{CertificateDer, pem::PemObject};

use super::timeouts::Timeouts;
use crate::wire::{Auth, Signer};

/// FunctionGraph's endpoint in a Huawei Cloud region, e.g. `ap-southeast-1`.
pub(super) fn region_url(region: &str) -> Result<String, String> {
    let mut parts = region.split('-');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let well_formed = first.len() >= 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !rest.is_empty()
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !well_formed {
        return Err(format!(
            "`region` is `{region}`; give a Huawei Cloud region id such as `ap-southeast-1`, or the endpoint as `url`"
        ));
    }
    Ok(format!("https://functiongraph.{region}.myhuaweicloud.com"))
}

/// Checks `url` is an http:// or https:// URL with a host.
pub(super) fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).ok();
    match parsed {
        Some(parsed)
            if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
        {
            Ok(())
        }
        _ => Err(format!(
            "`url` is `{url}`; give http://HOST:PORT or https://HOST, the endpoint the platform API answers at"
        )),
    }
}

/// The default time limits of a target reached at `url`: local ones on loopback.
pub(super) fn default_timeouts(url: &str) -> Timeouts {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()));
    let local = host.is_some_and(|host| {
        host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    });
    if local {
        Timeouts::LOCAL
    } else {
        Timeouts::REMOTE
    }
}

/// The certificates of the PEM file `path` (the descriptor's `ca_file`), each usable as a root.
pub(super) fn load_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let named = |what: String| format!("`ca_file` {}: {what}", path.display());
    let pem = std::fs::read(path).map_err(|e| named(format!("cannot read it: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| named(format!("not a PEM file of certificates: {e}")))?;
    if certs.is_empty() {
        return Err(named(
            "it holds no `BEGIN CERTIFICATE` block; give the CA's certificate in PEM".into(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in &certs {
        roots
            .add(cert.clone())
            .map_err(|e| named(format!("a certificate in it is not usable as a CA: {e}")))?;
    }
    Ok(certs)
}

/// Where a target's credentials come from: the names of environment variables, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    None,
    /// `token_env`: the variable holding the `X-Auth-Token`.
    Token(String),
    /// `access_key_env` and `secret_key_env`: the variables holding the AK and the SK.
    AccessKey {
        access: String,
        secret: String,
    },
}

impl Credentials {
    /// From the descriptor's three keys; at most one way, both halves of a key pair.
    pub(super) fn from_keys(
        token_env: Option<String>,
        access_key_env: Option<String>,
        secret_key_env: Option<String>,
    ) -> Result<Credentials, String> {
        for (key, value) in [
            ("token_env", &token_env),
            ("access_key_env", &access_key_env),
            ("secret_key_env", &secret_key_env),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(format!(
                    "`{key}` is empty; give the name of an environment variable"
                ));
            }
        }
        match (token_env, access_key_env, secret_key_env) {
            (None, None, None) => Ok(Credentials::None),
            (Some(token), None, None) => Ok(Credentials::Token(token)),
            (None, Some(access), Some(secret)) => Ok(Credentials::AccessKey { access, secret }),
            (Some(_), _, _) => Err(
                "set either `token_env` or `access_key_env` and `secret_key_env`, not both".into(),
            ),
            (None, Some(_), None) => Err(
                "`access_key_env` needs `secret_key_env`: the variable holding the secret key"
                    .into(),
            ),
            (None, None, Some(_)) => Err(
                "`secret_key_env` needs `access_key_env`: the variable holding the access key"
                    .into(),
            ),
        }
    }

    /// The credentials themselves, read from the environment; a variable not set is named.
    pub fn read(&self) -> Result<Auth, String> {
        let var = |name: &str, key: &str| {
            std::env::var(name)
                .map_err(|_| format!("the environment variable {name} ({key}) is not set"))
        };
        Ok(match self {
            Credentials::None => Auth::None,
            Credentials::Token(name) => Auth::Token(var(name, "token_env")?),
            Credentials::AccessKey { access, secret } => Auth::AccessKey(Signer {
                access: var(access, "access_key_env")?,
                secret: var(secret, "secret_key_env")?,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_its_functiongraph_endpoint() {
        assert_eq!(
            region_url("ap-southeast-1").unwrap(),
            "https://functiongraph.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(
            default_timeouts("https://functiongraph.cn-north-4.myhuaweicloud.com"),
            Timeouts::REMOTE
        );
        for bad in [
            "",
            "AP-southeast-1",
            "apsoutheast",
            "ap-",
            "ap-south east-1",
            "a.b-c",
        ] {
            assert!(region_url(bad).unwrap_err().contains("`region`"), "{bad}");
        }
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = load_ca(&path).unwrap_err();
        assert!(
            error.contains("`ca_file`") && error.contains("no `BEGIN CERTIFICATE` block"),
            "{error}"
        );
        let missing = load_ca(&dir.path().join("gone.pem")).unwrap_err();
        assert!(missing.contains("cannot read it"), "{missing}");
    }

    #[test]
    fn loopback_targets_get_the_local_time_limits() {
        for url in [
            "http://127.0.0.1:8080",
            "https://localhost:9",
            "http://[::1]:80",
        ] {
            assert_eq!(default_timeouts(url), Timeouts::LOCAL, "{url}");
        }
        assert_eq!(default_timeouts("http://203.0.113.7:80"), Timeouts::REMOTE);
    }

    #[test]
    fn credentials_come_from_named_variables() {
        let keys = |t: Option<&str>, a: Option<&str>, s: Option<&str>| {
            Credentials::from_keys(t.map(Into::into), a.map(Into::into), s.map(Into::into))
        };
        assert_eq!(keys(None, None, None), Ok(Credentials::None));
        assert!(
            keys(Some("T"), Some("A"), Some("S"))
                .unwrap_err()
                .contains("not both")
        );
        assert!(
            keys(None, Some("A"), None)
                .unwrap_err()
                .contains("`access_key_env` needs `secret_key_env`")
        );
        assert!(
            keys(None, None, Some("S"))
                .unwrap_err()
                .contains("`secret_key_env` needs")
        );
        assert!(
            keys(None, Some(" "), Some("S"))
                .unwrap_err()
                .contains("`access_key_env` is empty")
        );
        let pair = keys(
            None,
            Some("FGC_TEST_UNSET_AK_1"),
            Some("FGC_TEST_UNSET_SK_1"),
        )
        .unwrap();
        let error = pair.read().unwrap_err();
        assert!(
            error.contains("FGC_TEST_UNSET_AK_1 (access_key_env) is not set"),
            "{error}"
        );
    }
}
