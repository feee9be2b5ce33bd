//! How the client reaches a target and proves who it is: the TLS it trusts (none for plain
//! HTTP, the system's roots, or a private CA), the credentials it sends (a token, or an AK/SK
//! signature over each request), and one request sent, with a refused credential or an
//! untrusted certificate said as such.

use std::time::Duration;

use rustls::pki_types::CertificateDer;

use super::error::ProtocolError;
use super::messages::ApiErrorBody;
use super::reply::Reply;
use super::signing::{self, Signer};

/// Shorter than the idle time after which servers commonly close a kept-alive connection.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer body the harness reads (PROTOCOL.md, "Limits"): FunctionGraph answers at
/// most 6 MB of result, which JSON escaping and a log tail can grow; a target sending more (or
/// streaming forever) costs its call, not the machine's memory.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Everything a client needs to talk to one target.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `http://…` or `https://…`, without the `/v2/…` part.
    pub base: String,
    /// The project id of every path, also sent as `X-Project-Id`.
    pub project_id: String,
    pub auth: Auth,
    /// `Some`: trust exactly these CA certificates for https (a vendor's private CA); `None`:
    /// the system's root certificates.
    pub ca: Option<Vec<CertificateDer<'static>>>,
    /// How long an API call other than an invoke may take.
    pub api_timeout: Duration,
}

/// The credentials sent with every call.
#[derive(Clone)]
pub enum Auth {
    None,
    /// None, on purpose: the call is one the target must refuse, so its 401 is an answer to
    /// judge, not the target refusing the run's credentials.
    Withheld,
    /// `X-Auth-Token`.
    Token(String),
    /// An `SDK-HMAC-SHA256` signature over each request.
    AccessKey(Signer),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Withheld => f.write_str("Withheld"),
            Auth::Token(_) => f.write_str("Token(<hidden>)"),
            Auth::AccessKey(signer) => f.debug_tuple("AccessKey").field(signer).finish(),
        }
    }
}

impl Auth {
    /// What a 401 refused, for its message.
    fn refused(&self) -> &'static str {
        match self {
            Auth::None | Auth::Withheld => {
                "an unauthenticated call (the descriptor sets neither `token_env` nor `access_key_env`/`secret_key_env`)"
            }
            Auth::Token(_) => "the token (`token_env`)",
            Auth::AccessKey(_) => "the signature (`access_key_env`/`secret_key_env`)",
        }
    }
}

/// The HTTP client for `settings`: plain HTTP needs no certificates; https trusts the private CA
/// if there is one, else the system's roots.
pub fn http_client(settings: &Settings) -> Result<reqwest::Client, ProtocolError> {
    let setup = |message: String| ProtocolError::Transport {
        call: "client setup",
        message,
    };
    let builder = match &settings.ca {
        Some(certs) => fgref::http::ca_client_builder(certs.clone())
            .map_err(|e| setup(format!("the descriptor's `ca_file`: {e}")))?,
        None if settings.base.starts_with("https://") => fgref::http::https_client_builder()
            .map_err(|e| setup(format!("the system's root certificates: {e}")))?,
        None => fgref::http::plain_client_builder(),
    };
    builder
        // A proxy from the environment must not intercept the target (loopback, mostly).
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        // Servers close idle connections (fgref after 30 s without a request's headers); one
        // closed just as a call reuses it would cost that call, so idle ones are dropped first.
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build()
        .map_err(|e| setup(fgref::http::error_chain(&e)))
}

/// Sends the request `builder` holds, with `auth`'s credentials: any answer is a `Reply`, but a
/// 401, which is the target refusing the credentials (unless they were withheld on purpose).
pub async fn send(
    http: &reqwest::Client,
    auth: &Auth,
    call: &'static str,
    builder: reqwest::RequestBuilder,
) -> Result<Reply, ProtocolError> {
    let transport = |e: reqwest::Error| ProtocolError::Transport {
        call,
        message: transport_message(&e),
    };
    let mut request = builder.build().map_err(transport)?;
    match auth {
        Auth::None | Auth::Withheld => {}
        Auth::Token(token) => {
            let value = reqwest::header::HeaderValue::from_str(token).map_err(|_| {
                ProtocolError::Transport {
                    call,
                    message: "the token (`token_env`) is not a valid header value".into(),
                }
            })?;
            request.headers_mut().insert("x-auth-token", value);
        }
        Auth::AccessKey(signer) => signer
            .sign(&mut request, &signing::sdk_date_now())
            .map_err(|message| ProtocolError::Transport { call, message })?,
    }
    let response = http.execute(request).await.map_err(transport)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = read_body(response, MAX_BODY, call).await?;
    if status == 401 && !matches!(auth, Auth::Withheld) {
        let (error_code, error_msg) = match serde_json::from_slice::<ApiErrorBody>(&body) {
            Ok(error) => (error.error_code, error.error_msg),
            Err(_) => (String::new(), String::from_utf8_lossy(&body).into_owned()),
        };
        return Err(ProtocolError::Refused {
            call,
            credentials: auth.refused(),
            status,
            error_code,
            error_msg,
        });
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// The body of `response`, read chunk by chunk up to `limit` bytes: one more is an error naming
/// the limit, and the rest is never read. The request's timeout bounds the whole read.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    call: &'static str,
) -> Result<Vec<u8>, ProtocolError> {
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(ProtocolError::TooLarge {
            call,
            status,
            limit,
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ProtocolError::Transport {
            call,
            message: format!(
                "{} (after {} bytes of the body)",
                transport_message(&e),
                body.len()
            ),
        })?
    {
        if body.len() + chunk.len() > limit {
            return Err(ProtocolError::TooLarge {
                call,
                status,
                limit,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport failure as text; a certificate rustls rejected says so, and what to do.
fn transport_message(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("timed out ({error})");
    }
    let chain = fgref::http::error_chain(error);
    match certificate_error(error) {
        Some(why) => format!(
            "the target's TLS certificate is not trusted ({why}); for a private CA, give its certificate as the descriptor's `ca_file`: {chain}"
        ),
        None => chain,
    }
}

/// The certificate error somewhere in `error`'s causes: rustls's, wrapped in `io::Error`s,
/// whose `source` skips the error they wrap, so each is also looked into.
fn certificate_error(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(rustls::Error::InvalidCertificate(why)) = error.downcast_ref::<rustls::Error>() {
        return Some(format!("{why:?}"));
    }
    let wrapped = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| certificate_error(inner));
    wrapped.or_else(|| error.source().and_then(certificate_error))
}
