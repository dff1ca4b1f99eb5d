//! The one transport: every request of this crate goes through [`Transport::send`].
//!
//! It adds the `Auth0-Client` telemetry header, applies the timeout, reads the body under a
//! size cap, and turns error answers into [`Error`]s that carry the server's OAuth error and
//! the HTTP details (status, filtered headers, body text).

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use rustls::client::danger::ServerCertVerifier;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{
    Error, ErrorCode, ErrorKind, HttpDetails, OAuthError, Result, escape_untrusted,
};
use crate::request_options::RequestOptions;

/// The HTTP client a builder gets when the caller brings none: no redirects followed, the given
/// connect timeout and request timeout, idle connections kept 90 s.
///
/// The request timeout is the client's own (reqwest applies it to every request and its body),
/// so a request that keeps it needs no per-request setting, which would cost reqwest a map of
/// request extensions per request ([`Transport::client_timeout`]).
///
/// Clients built inside the same async runtime with the same timeouts share one
/// `reqwest::Client`, so a new `AuthClient` reuses the open connections of the others (as a
/// browser or Node does) instead of dialling the tenant again. Each runtime gets its own: a
/// connection belongs to the runtime that opened it, and one shared across runtimes would break
/// when that runtime ends (one runtime per test is the common case). The last
/// [`SHARED_CLIENTS`] are remembered; a client built outside any runtime gets its own.
///
/// All of them share one TLS configuration, built on first use, whose CA roots are loaded once
/// per process, on first need (see [`platform_verifier`]): loading them costs milliseconds and
/// about a hundred KiB, which would otherwise be paid per client and by every `build`.
pub(crate) fn default_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client> {
    type Shared = Vec<(tokio::runtime::Id, (Duration, Duration), reqwest::Client)>;
    static CLIENTS: std::sync::Mutex<Shared> = std::sync::Mutex::new(Vec::new());
    let timeouts = (connect_timeout, timeout);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return new_default_client(timeouts);
    };
    let runtime = runtime.id();
    // A poisoned lock only means another thread panicked while holding it; the list is still
    // a valid list of clients.
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = clients
        .iter()
        .position(|(id, shared, _)| *id == runtime && *shared == timeouts)
    {
        let entry = clients.remove(i);
        let client = entry.2.clone();
        clients.insert(0, entry);
        return Ok(client);
    }
    let client = new_default_client(timeouts)?;
    clients.insert(0, (runtime, timeouts, client.clone()));
    clients.truncate(SHARED_CLIENTS);
    Ok(client)
}

/// How many runtimes' default clients are remembered for sharing.
const SHARED_CLIENTS: usize = 8;

fn new_default_client((connect_timeout, timeout): (Duration, Duration)) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(90));
    if let Some(tls) = shared_tls_config() {
        builder = builder.tls_backend_preconfigured(tls);
    }
    builder
        .build()
        .map_err(|e| Error::config("could not create the HTTP client").with_source(e))
}

/// The process-wide TLS client configuration: the platform's roots and verifier, TLS 1.2 and
/// 1.3, and ALPN offering HTTP/2 then HTTP/1.1 (what reqwest would configure by itself).
///
/// Building it is cheap: the platform verifier (which reads the system's CA roots, the costly
/// part) is made on first need, by the first handshake or by the background warm-up
/// ([`crate::warm_up`]), whichever comes first; see [`LazyPlatformVerifier`].
///
/// `None` only if the crypto provider supports no TLS version at all: reqwest then reports its
/// own error.
fn shared_tls_config() -> Option<rustls::ClientConfig> {
    static CONFIG: std::sync::OnceLock<Option<rustls::ClientConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = crypto_provider();
            let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(std::sync::Arc::new(LazyPlatformVerifier {
                    schemes: provider
                        .signature_verification_algorithms
                        .supported_schemes(),
                }))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Some(config)
        })
        .clone()
}

/// The process's default rustls provider, or aws-lc's when none is installed, chosen once:
/// the shared configuration and its verifier are made at different moments (the verifier
/// maybe on the warm-up thread) and must agree on the signature schemes.
fn crypto_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<std::sync::Arc<rustls::crypto::CryptoProvider>> =
        std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            rustls::crypto::CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| {
                    std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider())
                })
        })
        .clone()
}

/// The platform verifier, made once per process on first call: reads the system's CA roots
/// (milliseconds and about a hundred KiB). Concurrent first callers wait for the one load.
///
/// When the system has no CA roots to load (a bare container without `ca-certificates`), the
/// verifier refuses every certificate saying what is missing, so plain-HTTP loopback work (the
/// local emulator) goes on and every HTTPS connection fails with a clear error.
pub(crate) fn platform_verifier() -> &'static std::sync::Arc<dyn ServerCertVerifier> {
    static VERIFIER: std::sync::OnceLock<std::sync::Arc<dyn ServerCertVerifier>> =
        std::sync::OnceLock::new();
    VERIFIER.get_or_init(|| {
        let provider = crypto_provider();
        match rustls_platform_verifier::Verifier::new(provider.clone()) {
            Ok(verifier) => std::sync::Arc::new(verifier),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "no CA root certificates could be loaded; HTTPS requests will fail"
                );
                // A verifier that refuses every certificate: nothing is trusted, as nothing
                // can be, and the refusal names the cause.
                std::sync::Arc::new(NoSystemRoots {
                    reason: e.to_string(),
                    schemes: provider
                        .signature_verification_algorithms
                        .supported_schemes(),
                })
            }
        }
    })
}

/// The verifier of the shared TLS configuration: hands every check to [`platform_verifier`],
/// which it makes on the first certificate to check. So building a client never waits on the
/// CA roots, and a client that only ever talks plain HTTP to loopback never loads them.
///
/// The signature schemes offered in the handshake are the provider's, which are exactly the
/// ones the platform verifier supports, so offering them needs no roots.
#[derive(Debug)]
struct LazyPlatformVerifier {
    schemes: Vec<rustls::SignatureScheme>,
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        platform_verifier().verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        platform_verifier().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        platform_verifier().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.schemes.clone()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        // Asked while the handshake is built; the platform verifier sends no hints, so none
        // are sent without loading the roots for it.
        None
    }
}

/// The certificate verifier of a system without CA roots: refuses every server certificate,
/// saying why.
#[derive(Debug)]
struct NoSystemRoots {
    reason: String,
    schemes: Vec<rustls::SignatureScheme>,
}

impl NoSystemRoots {
    fn refusal(&self) -> rustls::Error {
        rustls::Error::General(format!(
            "no CA root certificates could be loaded from this system ({}): install them \
             (the `ca-certificates` package), or pass an `http_client` that trusts your roots",
            self.reason
        ))
    }
}

impl ServerCertVerifier for NoSystemRoots {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Err(self.refusal())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(self.refusal())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Err(self.refusal())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        // Offered in the handshake so the server gets as far as showing its certificate.
        self.schemes.clone()
    }
}

/// The telemetry header's name.
const AUTH0_CLIENT: HeaderName = HeaderName::from_static("auth0-client");

/// The content type of every form body, as the reference sends it.
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=UTF-8";

/// How much of an error body is kept on [`HttpDetails`].
const KEPT_BODY_BYTES: usize = 4096;

/// Request headers per-request options cannot set.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "auth0-client",
    "content-type",
    "dpop",
    "host",
];

/// Response headers never copied onto errors.
const SENSITIVE_HEADERS: &[&str] = &[
    "set-cookie",
    "cookie",
    "authorization",
    "proxy-authorization",
    "dpop-nonce-secret",
];

/// A request body.
#[derive(Clone)]
pub(crate) enum Body {
    None,
    /// An `application/x-www-form-urlencoded` body, already encoded (ASCII).
    Form(Vec<u8>),
    /// A JSON body, already serialised.
    Json(Vec<u8>),
}

/// One request to send.
#[derive(Clone)]
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Body,
    /// Which operation this belongs to, for error codes.
    pub code: ErrorCode,
    /// What the endpoint is, for messages ("the token endpoint").
    pub endpoint: &'static str,
}

impl Request {
    pub(crate) fn new(method: Method, url: Url, code: ErrorCode, endpoint: &'static str) -> Self {
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::None,
            code,
            endpoint,
        }
    }

    pub(crate) fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = Body::Form(encode_form(pairs));
        self
    }

    pub(crate) fn json(mut self, value: &serde_json::Value) -> Self {
        // Serialising a `Value` cannot fail.
        self.body = Body::Json(serde_json::to_vec(value).unwrap_or_default());
        self
    }

    /// Sets the `Authorization` header when one is given (client_secret_basic).
    pub(crate) fn authorization(mut self, value: Option<HeaderValue>) -> Self {
        if let Some(v) = value {
            self.headers.insert(reqwest::header::AUTHORIZATION, v);
        }
        self
    }

    /// Adds a header, refusing values that are not valid header text.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self> {
        self.headers.insert(
            HeaderName::from_static(name),
            header_value(self.code, name, value)?,
        );
        Ok(self)
    }
}

/// A header value from caller input, refused with a clear error when it is not header text.
pub(crate) fn header_value(code: ErrorCode, name: &str, value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::invalid_input(
            code,
            format!("the {name} header value is not valid header text"),
        )
    })
}

/// Encodes pairs as `application/x-www-form-urlencoded` (spaces as `+`), order kept.
pub(crate) fn encode_form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let size = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut form = FormBody::with_capacity(size);
    for (k, v) in pairs {
        form.pair(k, v);
    }
    form.finish()
}

/// An `application/x-www-form-urlencoded` body built pair by pair into one buffer: the same
/// bytes as `url::form_urlencoded::Serializer` (the WHATWG byte serializer), with a table
/// lookup per byte and runs copied whole, for the token path, which builds one per request.
pub(crate) struct FormBody(Vec<u8>);

impl FormBody {
    /// An empty body with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }

    /// Appends `key=value`, `&`-separated from what came before, both encoded.
    pub(crate) fn pair(&mut self, key: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push(b'&');
        }
        push_form_encoded(&mut self.0, key);
        self.0.push(b'=');
        push_form_encoded(&mut self.0, value);
    }

    /// Appends pairs encoded before (by another `FormBody`), `&`-separated from what came
    /// before.
    pub(crate) fn encoded_pairs(&mut self, encoded: &[u8]) {
        if !self.0.is_empty() && !encoded.is_empty() {
            self.0.push(b'&');
        }
        self.0.extend_from_slice(encoded);
    }

    /// The encoded body (ASCII).
    pub(crate) fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// The bytes form encoding leaves as they are: ASCII letters and digits, and `*-._`.
static FORM_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_');
        i += 1;
    }
    table
};

/// Appends `text` form-encoded: [`FORM_SAFE`] bytes as they are, a space as `+`, every other
/// byte (of the UTF-8) as `%XX` with upper-case hex, as the WHATWG URL standard's
/// `application/x-www-form-urlencoded` byte serializer does.
fn push_form_encoded(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(text.len());
    let mut rest = text.as_bytes();
    loop {
        // Runs of bytes that need no encoding are copied whole.
        let run = rest
            .iter()
            .position(|&b| !FORM_SAFE[usize::from(b)])
            .unwrap_or(rest.len());
        let (copied, tail) = rest.split_at(run);
        out.extend_from_slice(copied);
        let Some((&b, tail)) = tail.split_first() else {
            return;
        };
        if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
        }
        rest = tail;
    }
}

/// A response whose body has been read.
pub(crate) struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub code: ErrorCode,
    pub endpoint: &'static str,
}

impl Response {
    /// Parses a success body as JSON, or turns an error answer into an [`Error`].
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T> {
        if !self.status.is_success() {
            return Err(self.into_error());
        }
        // The body is checked as UTF-8 once, whole (a fast scan), so the parser need not check
        // each string again; a body that is not UTF-8 is left to the parser to refuse, as
        // before.
        let parsed = match std::str::from_utf8(&self.body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(&self.body),
        };
        parsed.map_err(|e| {
            let what = if self.body.is_empty() {
                "an empty body".to_string()
            } else if !looks_like_json(&self.headers) {
                format!("a non-JSON body ({})", content_type(&self.headers))
            } else {
                "JSON that could not be read".to_string()
            };
            Error::new(
                self.code,
                ErrorKind::InvalidResponse,
                format!(
                    "{} answered HTTP {} with {what}: {e}",
                    self.endpoint,
                    self.status.as_u16()
                ),
            )
            .with_http(self.details())
        })
    }

    /// Succeeds on any 2xx status, ignoring the body.
    pub(crate) fn success(self) -> Result<Self> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(self.into_error())
        }
    }

    pub(crate) fn details(&self) -> HttpDetails {
        self.details_limited(KEPT_BODY_BYTES)
    }

    /// The status, filtered headers and up to `limit` bytes of the body.
    pub(crate) fn details_limited(&self, limit: usize) -> HttpDetails {
        let headers = self
            .headers
            .iter()
            .filter(|(k, _)| !SENSITIVE_HEADERS.contains(&k.as_str()))
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let kept = &self.body[..self.body.len().min(limit)];
        HttpDetails {
            status: self.status.as_u16(),
            headers,
            body: String::from_utf8_lossy(kept).into_owned(),
        }
    }

    /// Turns a non-success answer into an [`Error`]: with the server's OAuth error when the
    /// body carries one (`{error, error_description}` or `{code, description}`).
    pub(crate) fn into_error(self) -> Error {
        let status = self.status.as_u16();
        match parse_oauth_error(&self.body) {
            Some(oauth) => {
                // The server's own words: escaped and cut short here, kept raw in `oauth`.
                let mut message = format!(
                    "{} refused the request (HTTP {status}): {}",
                    self.endpoint,
                    escape_untrusted(&oauth.error, MAX_QUOTED_ERROR_CHARS)
                );
                if let Some(d) = oauth.error_description.as_deref().filter(|d| !d.is_empty()) {
                    message.push_str(": ");
                    message.push_str(&escape_untrusted(d, MAX_QUOTED_DESCRIPTION_CHARS));
                }
                Error::new(self.code, ErrorKind::OAuth, message)
                    .with_http(self.details())
                    .with_oauth(oauth)
            }
            None => {
                let body = if self.body.is_empty() {
                    "an empty body".to_string()
                } else {
                    format!("a {} body", content_type(&self.headers))
                };
                Error::new(
                    self.code,
                    ErrorKind::HttpStatus,
                    format!("{} answered HTTP {status} with {body}", self.endpoint),
                )
                .with_http(self.details())
            }
        }
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "untyped".to_string())
}

fn looks_like_json(headers: &HeaderMap) -> bool {
    let ct = content_type(headers);
    ct == "untyped" || ct.contains("json")
}

/// How much of a server's `error` code an error message quotes (characters).
const MAX_QUOTED_ERROR_CHARS: usize = 100;
/// How much of a server's `error_description` an error message quotes (characters).
const MAX_QUOTED_DESCRIPTION_CHARS: usize = 500;

/// Reads an OAuth error from an error body, in either of Auth0's two shapes.
fn parse_oauth_error(body: &[u8]) -> Option<OAuthError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    if obj.get("error").is_some_and(|e| e.is_string()) {
        let mut cleaned = obj.clone();
        // Keep only well-typed fields so an odd server cannot make the whole parse fail.
        if !cleaned
            .get("error_description")
            .is_none_or(|d| d.is_string())
        {
            cleaned.remove("error_description");
        }
        if !cleaned.get("mfa_token").is_none_or(|d| d.is_string()) {
            cleaned.remove("mfa_token");
        }
        let mut oauth: OAuthError =
            match serde_json::from_value(serde_json::Value::Object(cleaned.clone())) {
                Ok(o) => o,
                Err(_) => {
                    cleaned.remove("mfa_requirements");
                    serde_json::from_value(serde_json::Value::Object(cleaned)).ok()?
                }
            };
        oauth.error_description = oauth.error_description.filter(|d| !d.is_empty());
        return Some(oauth);
    }
    // The database-connection endpoints answer `{code, description}` (or `name`/`message`).
    let code = obj
        .get("code")
        .or_else(|| obj.get("name"))
        .and_then(|c| c.as_str())?;
    let description = obj
        .get("description")
        .or_else(|| obj.get("message"))
        .and_then(|d| {
            d.as_str()
                .map(str::to_string)
                .or_else(|| Some(d.to_string()))
        });
    Some(OAuthError {
        error: code.to_string(),
        error_description: description,
        mfa_token: None,
        mfa_requirements: None,
    })
}

/// A URL as [`display_url`] shows it, made only when formatted: for log fields, which nothing
/// formats unless a subscriber records them.
pub(crate) struct ShownUrl<'a>(pub &'a Url);

impl std::fmt::Display for ShownUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&display_url(self.0))
    }
}

/// Strips the query and fragment of a URL for logs and messages.
pub(crate) fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

/// The HTTP side of a client: a reqwest client, the telemetry header, limits.
#[derive(Clone)]
pub(crate) struct Transport {
    pub client: reqwest::Client,
    pub telemetry: Option<HeaderValue>,
    pub timeout: Duration,
    /// The timeout `client` applies by itself to every request (the builder's own client
    /// does, see [`default_client`]; a caller's client is not assumed to). A request whose
    /// timeout is this one is sent without a per-request timeout.
    pub client_timeout: Option<Duration>,
    pub max_response_bytes: usize,
    /// The retry policy and its budget, when retries are on.
    pub retry: Option<std::sync::Arc<crate::retry::Retrier>>,
}

impl Transport {
    /// Sends a request and reads its body (under the size cap).
    pub(crate) async fn send(&self, req: Request) -> Result<Response> {
        self.send_with(req, None).await
    }

    /// Sends a request with per-call options laid over the transport's settings.
    pub(crate) async fn send_with(
        &self,
        req: Request,
        options: Option<&RequestOptions>,
    ) -> Result<Response> {
        match &self.retry {
            Some(retry) => retry.send(self, req, options).await,
            None => self.send_once(req, options).await,
        }
    }

    /// Sends a request once, without retries.
    pub(crate) async fn send_once(
        &self,
        req: Request,
        options: Option<&RequestOptions>,
    ) -> Result<Response> {
        let started = Instant::now();
        let Request {
            method,
            url,
            mut headers,
            body,
            code,
            endpoint,
        } = req;
        // Not entered: nothing below logs before the request is sent; the event at the end
        // names it as its parent.
        let span = tracing::debug_span!("auth0.http", %method, url = %ShownUrl(&url));
        if let Some(options) = options {
            if let Some(name) = &options.invalid_header {
                return Err(Error::invalid_input(
                    code,
                    format!("the per-request header {name:?} is not valid header text"),
                ));
            }
            for (name, value) in &options.headers {
                // The SDK's own headers win.
                if !headers.contains_key(name) && !RESERVED_HEADERS.contains(&name.as_str()) {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        // Per-request options may replace or drop the client's telemetry header.
        let telemetry = match options.and_then(|o| o.telemetry.as_ref()) {
            Some(chosen) => chosen.as_ref(),
            None => self.telemetry.as_ref(),
        };
        if let Some(t) = telemetry {
            headers.insert(AUTH0_CLIENT, t.clone());
        }
        let (client, client_timeout) = match options.and_then(|o| o.http_client.as_ref()) {
            Some(chosen) => (chosen, None),
            None => (&self.client, self.client_timeout),
        };
        let timeout = options.and_then(|o| o.timeout).unwrap_or(self.timeout);
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        // Kept for error messages only; the request takes the URL itself.
        let error_url = url.clone();
        // The request is made whole: its header map is this one, moved, not copied header by
        // header into another (which is what `RequestBuilder::headers` does).
        let mut request = reqwest::Request::new(method, url);
        if client_timeout != Some(timeout) {
            *request.timeout_mut() = Some(timeout);
        }
        match body {
            Body::None => {}
            Body::Form(s) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM_CONTENT_TYPE));
                *request.body_mut() = Some(s.into());
            }
            Body::Json(b) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                *request.body_mut() = Some(b.into());
            }
        }
        *request.headers_mut() = headers;
        let method = request.method().clone();

        let transport_error = |e: reqwest::Error| {
            let (kind, what) = if e.is_timeout() {
                (ErrorKind::Timeout, format!("timed out after {timeout:?}"))
            } else if e.is_connect() {
                (ErrorKind::Transport, "could not connect".to_string())
            } else if e.is_redirect() {
                (ErrorKind::Transport, "was redirected".to_string())
            } else {
                (ErrorKind::Transport, "failed in transit".to_string())
            };
            Error::new(
                code,
                kind,
                format!("{method} {} ({endpoint}) {what}", display_url(&error_url)),
            )
            .with_source(e.without_url())
        };

        let mut response = client.execute(request).await.map_err(transport_error)?;
        let status = response.status();
        // Taken, not copied: the body is read from the response without its headers.
        let headers = std::mem::take(response.headers_mut());
        let too_large = || {
            Error::new(
                code,
                ErrorKind::ResponseTooLarge,
                format!(
                    "{endpoint} answered with a body larger than the {} byte limit",
                    self.max_response_bytes
                ),
            )
        };
        let declared = response.content_length().unwrap_or(0);
        if declared > self.max_response_bytes as u64 {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(declared as usize);
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            parent: &span,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "auth0 request done"
        );
        let response = Response {
            status,
            headers,
            body,
            code,
            endpoint,
        };
        if let Some(recorder) = options.and_then(|o| o.recorder.as_ref()) {
            recorder.push(response.details_limited(usize::MAX));
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, content_type: &str, body: &str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        headers.insert("set-cookie", HeaderValue::from_static("session=secret"));
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
            code: ErrorCode::TokenByPassword,
            endpoint: "the token endpoint",
        }
    }

    #[test]
    fn form_encoding_uses_plus_for_spaces_and_keeps_order() {
        assert_eq!(
            encode_form(&[("scope", "openid profile"), ("a", "b&c=d")]),
            b"scope=openid+profile&a=b%26c%3Dd"
        );
    }

    /// The reference encoder: the `url` crate's, which implements the WHATWG serializer.
    fn url_crate_form(pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        s.finish().into_bytes()
    }

    #[test]
    fn form_encoding_is_byte_for_byte_the_url_crates() {
        // Every byte value, alone and in runs, plus multi-byte characters.
        let all: String = (0u32..=0x17f).filter_map(char::from_u32).collect();
        let cases = [
            "",
            " ",
            "a",
            "*-._~!'()",
            "https://api.example.com/",
            "p@ss word&=/+%é漢字🙂",
            all.as_str(),
        ];
        for v in cases {
            for k in ["k", "", "a b", "é"] {
                let pairs = [(k, v), ("grant_type", "client_credentials"), (v, k)];
                assert_eq!(encode_form(&pairs), url_crate_form(&pairs), "{k:?}={v:?}");
            }
        }
        proptest::proptest!(|(k in ".*", v in ".*", w in "[ -~]*")| {
            let pairs = [(k.as_str(), v.as_str()), ("x", w.as_str())];
            proptest::prop_assert_eq!(encode_form(&pairs), url_crate_form(&pairs));
        });
    }

    #[test]
    fn oauth_error_bodies_are_read_in_both_shapes() {
        let e = response(
            403,
            "application/json",
            r#"{"error":"invalid_grant","error_description":"Wrong email or password."}"#,
        )
        .into_error();
        assert_eq!(e.kind(), ErrorKind::OAuth);
        assert_eq!(e.oauth().unwrap().error, "invalid_grant");
        assert!(e.message().contains("Wrong email or password."));
        assert_eq!(e.status(), Some(403));
        assert!(e.http().unwrap().header("set-cookie").is_none());

        let e = response(
            400,
            "application/json",
            r#"{"code":"invalid_signup","description":"Invalid sign up"}"#,
        )
        .into_error();
        assert_eq!(e.oauth().unwrap().error, "invalid_signup");
        assert_eq!(
            e.oauth().unwrap().error_description.as_deref(),
            Some("Invalid sign up")
        );
    }

    #[test]
    fn html_error_bodies_give_a_clear_status_error() {
        let e = response(500, "text/html; charset=utf-8", "<html>oops</html>").into_error();
        assert_eq!(e.kind(), ErrorKind::HttpStatus);
        assert!(e.message().contains("HTTP 500"), "{}", e.message());
        assert!(e.message().contains("text/html"), "{}", e.message());
        assert_eq!(e.http().unwrap().body, "<html>oops</html>");
    }

    #[test]
    fn malformed_json_is_an_invalid_response() {
        let e = response(200, "application/json", r#"{"access_token": "abc","#)
            .json::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let e = response(200, "text/html", "<html/>")
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(e.message().contains("non-JSON"), "{}", e.message());
    }

    #[test]
    fn oddly_typed_error_fields_do_not_hide_the_error() {
        let e = response(
            400,
            "application/json",
            r#"{"error":"x","error_description":5,"mfa_requirements":"nope"}"#,
        )
        .into_error();
        assert_eq!(e.oauth().unwrap().error, "x");
    }

    #[test]
    fn the_lazy_verifier_hands_every_check_to_the_platform_verifier() {
        assert!(shared_tls_config().is_some(), "the provider supports TLS");
        let provider = crypto_provider();
        let lazy = LazyPlatformVerifier {
            schemes: provider
                .signature_verification_algorithms
                .supported_schemes(),
        };
        let name = rustls::pki_types::ServerName::try_from("tenant.example.com").unwrap();
        let garbage = rustls::pki_types::CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let now = rustls::pki_types::UnixTime::now();
        // Whatever the system's roots, a certificate that is not one is refused, with the
        // answer of the verifier the lazy one hands the check to.
        let refused = lazy
            .verify_server_cert(&garbage, &[], &name, &[], now)
            .unwrap_err();
        let platform = platform_verifier()
            .verify_server_cert(&garbage, &[], &name, &[], now)
            .unwrap_err();
        assert_eq!(refused, platform);
        assert_eq!(
            lazy.supported_verify_schemes(),
            platform_verifier().supported_verify_schemes()
        );
        assert!(lazy.root_hint_subjects().is_none());
        assert!(platform_verifier().root_hint_subjects().is_none());
    }

    #[test]
    fn urls_are_shown_without_query_or_credentials() {
        let u = Url::parse("https://user:pw@tenant.example.com/authorize?code=abc#x").unwrap();
        assert_eq!(display_url(&u), "https://tenant.example.com/authorize");
    }
}
