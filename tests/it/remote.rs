//! Targets elsewhere, played by an fgref of the test's own that takes only AK/SK-signed calls:
//! a descriptor that signs runs green, a wrong secret costs each trial one ERROR naming the
//! refusal, and over HTTPS (a TLS proxy with a CA made at test time) a descriptor's `ca_file`
//! is trusted and, without it, the certificate is not.

use crate::support::selftest;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use libtest_mimic::{Failed, Trial};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, outcomes, text};

const ACCESS: &str = "AKREMOTETEST";
const SECRET: &str = "SKremoteTestSecret42";

pub fn trials() -> Vec<Trial> {
    vec![
        selftest("selftest::remote::signed-calls-pass", || {
            run(Transport::Http, SECRET, Expect::Pass)
        }),
        selftest("selftest::remote::wrong-secret-errs-each-trial", || {
            run(
                Transport::Http,
                "not-the-secret",
                Expect::Error("the target refused the signature"),
            )
        }),
        selftest("selftest::remote::https-with-ca-file-passes", || {
            run(Transport::Https { ca_file: true }, SECRET, Expect::Pass)
        }),
        selftest(
            "selftest::remote::https-without-ca-file-errs-each-trial",
            || {
                run(
                    Transport::Https { ca_file: false },
                    SECRET,
                    Expect::Error("certificate is not trusted"),
                )
            },
        ),
    ]
}

#[derive(Clone, Copy)]
enum Transport {
    Http,
    /// A TLS proxy in front of fgref, its certificate issued by a CA made for the test; the
    /// descriptor names that CA in `ca_file`, or not.
    Https {
        ca_file: bool,
    },
}

enum Expect {
    Pass,
    /// Every trial is an ERROR whose message holds this.
    Error(&'static str),
}

/// fgref accepting only calls signed with ACCESS/SECRET, on its own tokio runtime; optionally
/// behind a TLS proxy.
struct Platform {
    runtime: tokio::runtime::Runtime,
    server: Option<fgref::Server>,
    url: String,
}

impl Platform {
    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Result<Platform, Failed> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let config = fgref::Config {
            access_key: Some(fgref::AccessKey {
                id: ACCESS.into(),
                secret: SECRET.into(),
            }),
            ..fgref::Config::default()
        };
        let server = runtime.block_on(fgref::Server::start(config))?;
        let url = match tls {
            None => server.url(),
            Some(tls) => {
                let backend: SocketAddr = server.url().trim_start_matches("http://").parse()?;
                let port = runtime.block_on(proxy(tls, backend))?;
                format!("https://127.0.0.1:{port}")
            }
        };
        Ok(Platform {
            runtime,
            server: Some(server),
            url,
        })
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// A TLS-terminating proxy on 127.0.0.1:0 to `backend`; answers its port.
async fn proxy(tls: Arc<rustls::ServerConfig>, backend: SocketAddr) -> std::io::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust the certificate ends the handshake: nothing to do.
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    Ok(port)
}

/// A CA, and a server configuration with a certificate it issued for 127.0.0.1 and localhost;
/// answers the CA's PEM too.
fn test_pki() -> Result<(String, Arc<rustls::ServerConfig>), Failed> {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fgconform test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate()?)?;
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
        .signed_by(&leaf_key, &ca)?;
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der())?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key)?;
    Ok((ca.pem(), Arc::new(config)))
}

fn run(transport: Transport, secret: &str, expect: Expect) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let (platform, ca_line) = match transport {
        Transport::Http => (Platform::start(None)?, String::new()),
        Transport::Https { ca_file } => {
            let (ca_pem, tls) = test_pki()?;
            std::fs::write(dir.path().join("ca.pem"), ca_pem)?;
            let line = if ca_file {
                "ca_file = \"ca.pem\"\n"
            } else {
                ""
            };
            (Platform::start(Some(tls))?, line.to_owned())
        }
    };
    let target = dir.path().join("remote.toml");
    std::fs::write(
        &target,
        format!(
            "name = \"remote\"\nurl = \"{}\"\nproject_id = \"p1\"\naccess_key_env = \"FGC_TEST_AK\"\nsecret_key_env = \"FGC_TEST_SK\"\n{ca_line}runtimes = [\"Node.js20.15\"]\nfeatures = []\n",
            platform.url
        ),
    )?;
    let cases = corpus(&[
        ("area/echo", CASE_TOML, ECHO_JS, "{}"),
        (
            "area/dependency",
            &format!("{CASE_TOML}[function]\ndependencies = [\"lib\"]\n"),
            "exports.handler = function (event, context, callback) { callback(null, require('./lib.js').value); };",
            r#"{"result": "from lib"}"#,
        ),
    ]);
    let lib = cases.path().join("area/dependency/deps/lib");
    std::fs::create_dir_all(&lib)?;
    std::fs::write(lib.join("lib.js"), "exports.value = \"from lib\";\n")?;
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[
            ("FGC_TEST_AK", Path::new(ACCESS)),
            ("FGC_TEST_SK", Path::new(secret)),
        ],
    );
    drop(platform);
    let found = outcomes(&output);
    let expected_exit = match expect {
        Expect::Pass => 0,
        Expect::Error(_) => 101,
    };
    if found.len() != 2 || output.status.code() != Some(expected_exit) {
        return Err(format!(
            "expected two verdicts and exit {expected_exit}, got {found:?}, exit {:?}\n{}",
            output.status.code(),
            text(&output)
        )
        .into());
    }
    for (name, (outcome, message)) in &found {
        let fine = match expect {
            Expect::Pass => outcome == "ok",
            Expect::Error(needle) => {
                outcome == "failed"
                    && message.contains("ERROR (the target or the harness broke")
                    && message.contains(needle)
            }
        };
        if !fine {
            return Err(format!("{name}: got {outcome}: {message}").into());
        }
    }
    Ok(())
}
