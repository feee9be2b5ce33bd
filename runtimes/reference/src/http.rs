//! HTTP clients, and the text of their errors.
//!
//! reqwest is built with `rustls-no-provider` (ring instead of aws-lc-rs, which needs a long C
//! build), and with that feature `reqwest::Client::new()` panics unless a process-wide crypto
//! provider was installed. So every client of the workspace is made here, with its TLS
//! configuration spelled out and no global state.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore, crypto::CryptoProvider, pki_types::CertificateDer};
use rustls_platform_verifier::BuilderVerifierExt;

fn ring() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A builder for clients that speak plain HTTP (loopback). Its TLS trusts nothing, so building it
/// reads no certificates and works on a machine without any.
pub fn plain_client_builder() -> reqwest::ClientBuilder {
    let tls = ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .expect("ring implements TLS 1.2 and 1.3")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder().tls_backend_preconfigured(tls)
}

/// A builder for clients that reach the internet over HTTPS: the system's root certificates
/// (on Linux the store `openssl-probe` finds, e.g. /etc/ssl/certs from ca-certificates).
pub fn https_client_builder() -> Result<reqwest::ClientBuilder, rustls::Error> {
    let tls = ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
}

/// A builder for clients of HTTPS servers whose certificates chain to one of `ca_certs` (a
/// private CA), and to nothing else.
pub fn ca_client_builder(
    ca_certs: Vec<CertificateDer<'static>>,
) -> Result<reqwest::ClientBuilder, rustls::Error> {
    let mut roots = RootCertStore::empty();
    for cert in ca_certs {
        roots.add(cert)?;
    }
    let tls = ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
}

/// The message of an error and its causes, which reqwest keeps apart ("error sending request"
/// alone does not say that the connection was refused); a cause whose text the message already
/// holds is left out.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
