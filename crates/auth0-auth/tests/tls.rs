//! The TLS of the HTTP client the builder makes when the caller brings none, against HTTPS
//! servers on loopback (never the internet):
//!
//! - a certificate from a CA the system does not trust is refused before any HTTP is sent;
//! - with the test CA as the only system root (`SSL_CERT_FILE`, read once per process, so in a
//!   child process of this test binary), discovery and a token grant succeed, over HTTP/2
//!   chosen by ALPN; a second client built in the same runtime reuses the connection, and one
//!   built in another runtime opens its own;
//! - with no system roots at all, clients are still made, loopback HTTP works, and HTTPS fails
//!   saying the roots are missing.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth0_auth::{AuthClient, ClientCredentialsRequest, ErrorCode, ErrorKind, ExposeSecret};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

/// Every wait inside a test is bounded by this.
const LIMIT: Duration = Duration::from_secs(30);

/// How long the child process of the trusted-server test may take.
const CHILD_LIMIT: Duration = Duration::from_secs(120);

/// The test the trusted-server test runs in a child process.
const INNER_TEST: &str = "inner_trusted_server_over_http2";

/// What the inner test prints when it really ran and passed.
const INNER_MARKER: &str = "TLS-INNER-OK";

/// The test the no-roots test runs in a child process, and the variable that tells it so.
const NO_ROOTS_INNER_TEST: &str = "inner_no_system_roots";
const NO_ROOTS_VAR: &str = "AUTH0_AUTH_TLS_TEST_NO_ROOTS";

/// The file holding the server's certificate and key, handed to the inner test.
const SERVER_PEM_VAR: &str = "AUTH0_AUTH_TLS_TEST_SERVER_PEM";

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.localhost_identity()).await;
    let client = AuthClient::builder(server.base_url(), "client-id")
        .client_secret("s")
        .build()
        .expect("the client builds");

    let e = timeout(LIMIT, client.server_metadata())
        .await
        .expect("discovery did not finish within the test's bound")
        .expect_err("a certificate from an unknown CA must be refused");

    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert_eq!(e.code(), ErrorCode::Discovery, "{e:?}");
    let chain = source_chain(&e);
    assert!(
        chain.iter().any(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("certificate") || s.contains("unknownissuer")
        }),
        "the error's sources do not name the certificate problem: {chain:#?}"
    );
    let seen = server.seen();
    assert!(
        seen.requests.is_empty(),
        "the server got HTTP requests over a refused connection: {:?}",
        seen.requests
    );
}

#[test]
fn the_default_client_speaks_http2_to_a_trusted_server() {
    let ca = TestCa::new();
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let ca_dir = dir.path().join("no-more-roots");
    let server_file = dir.path().join("server.pem");
    let stdout_file = dir.path().join("stdout.txt");
    let stderr_file = dir.path().join("stderr.txt");
    std::fs::write(&ca_file, &ca.cert_pem).expect("the CA file is written");
    std::fs::create_dir(&ca_dir).expect("the empty CA directory is made");
    std::fs::write(&server_file, &ca.localhost_identity().pem).expect("the server file is written");

    run_inner_test(
        INNER_TEST,
        &[
            ("SSL_CERT_FILE", &ca_file),
            ("SSL_CERT_DIR", &ca_dir),
            (SERVER_PEM_VAR, &server_file),
        ],
        &stdout_file,
        &stderr_file,
    );
}

/// Runs the ignored test `name` of this binary in a child process with `env`, bounded by
/// [`CHILD_LIMIT`], and asserts that it passed and printed [`INNER_MARKER`].
fn run_inner_test(name: &str, env: &[(&str, &Path)], stdout_file: &Path, stderr_file: &Path) {
    let exe = std::env::current_exe().expect("the test binary's path is known");
    let mut command = Command::new(exe);
    command.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(stdout_file).expect("the stdout file is made"))
        .stderr(std::fs::File::create(stderr_file).expect("the stderr file is made"))
        .spawn()
        .expect("the test binary starts again");

    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the inner test did not finish within {CHILD_LIMIT:?}\n{}",
                child_output(stdout_file, stderr_file)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };

    let stdout = std::fs::read_to_string(stdout_file).unwrap_or_default();
    assert!(
        status.success(),
        "the inner test failed ({status})\n{}",
        child_output(stdout_file, stderr_file)
    );
    assert!(
        stdout.lines().any(|l| l.trim() == INNER_MARKER),
        "the inner test did not run to its end\n{}",
        child_output(stdout_file, stderr_file)
    );
}

/// On a system with no CA roots at all (no `ca-certificates`), clients are still made: plain
/// HTTP on loopback (the emulator) works, and HTTPS fails saying the roots are missing.
#[test]
fn a_system_without_ca_roots_still_serves_loopback_and_names_the_problem() {
    let dir = TempDir::new();
    let empty_file = dir.path().join("empty.pem");
    let empty_dir = dir.path().join("no-roots");
    std::fs::write(&empty_file, "").expect("the empty CA file is written");
    std::fs::create_dir(&empty_dir).expect("the empty CA directory is made");
    run_inner_test(
        NO_ROOTS_INNER_TEST,
        &[
            ("SSL_CERT_FILE", &empty_file),
            ("SSL_CERT_DIR", &empty_dir),
            (NO_ROOTS_VAR, &empty_file),
        ],
        &dir.path().join("stdout.txt"),
        &dir.path().join("stderr.txt"),
    );
}

#[tokio::test]
#[ignore = "run in a child process by \
            a_system_without_ca_roots_still_serves_loopback_and_names_the_problem, with no \
            system roots"]
async fn inner_no_system_roots() {
    if std::env::var_os(NO_ROOTS_VAR).is_none() {
        eprintln!("{NO_ROOTS_INNER_TEST}: not started by its outer test; nothing to do");
        return;
    }
    let tenant = timeout(
        LIMIT,
        auth0_emulator::Emulator::builder().demo_tenant().start(),
    )
    .await
    .expect("the emulator starts in time")
    .expect("the emulator starts");
    let local = AuthClient::builder(tenant.base_url(), auth0_emulator::demo::CLIENT_ID)
        .client_secret(auth0_emulator::demo::CLIENT_SECRET)
        .build()
        .expect("the client builds without system roots");
    timeout(
        LIMIT,
        local.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(auth0_emulator::demo::AUDIENCE),
        ),
    )
    .await
    .expect("the grant did not finish within the test's bound")
    .expect("plain HTTP on loopback needs no roots");

    let server = TlsServer::start(&TestCa::new().localhost_identity()).await;
    let remote = AuthClient::builder(server.base_url(), "client-id")
        .client_secret("s")
        .build()
        .expect("the client builds");
    let e = timeout(LIMIT, remote.server_metadata())
        .await
        .expect("discovery did not finish within the test's bound")
        .expect_err("no certificate can be trusted without roots");
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    let chain = source_chain(&e);
    assert!(
        chain
            .iter()
            .any(|s| s.contains("no CA root certificates could be loaded")
                && s.contains("ca-certificates")),
        "the error does not say the roots are missing: {chain:#?}"
    );
    assert!(server.seen().requests.is_empty());
    println!("\n{INNER_MARKER}");
}

#[tokio::test]
#[ignore = "run in a child process by the_default_client_speaks_http2_to_a_trusted_server, \
            with the test CA as the only system root"]
async fn inner_trusted_server_over_http2() {
    let (Some(_), Some(server_file)) = (
        std::env::var_os("SSL_CERT_FILE"),
        std::env::var_os(SERVER_PEM_VAR),
    ) else {
        eprintln!("{INNER_TEST}: not started by the trusted-server test; nothing to do");
        return;
    };
    let pem = std::fs::read_to_string(server_file).expect("the server file is readable");
    let server = TlsServer::start(&ServerIdentity { pem }).await;
    let client = AuthClient::builder(server.base_url(), "client-id")
        .client_secret("s")
        .build()
        .expect("the client builds");

    let tokens = timeout(
        LIMIT,
        client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience("https://api.example.com/"),
        ),
    )
    .await
    .expect("the grant did not finish within the test's bound")
    .expect("the grant succeeds against a server the system trusts");

    assert!(
        tokens.access_token.expose_secret() == "at",
        "the access token is not the one the server issued"
    );
    assert_eq!(tokens.token_type.as_deref(), Some("bearer"));
    {
        let seen = server.seen();
        let routes: Vec<(&Method, &str)> = seen
            .requests
            .iter()
            .map(|r| (&r.method, r.path.as_str()))
            .collect();
        assert_eq!(
            routes,
            [
                (&Method::GET, "/.well-known/openid-configuration"),
                (&Method::POST, "/oauth/token")
            ],
            "{:?}",
            seen.requests
        );
        assert!(
            seen.requests.iter().all(|r| r.version == Version::HTTP_2),
            "not every request was HTTP/2: {:?}",
            seen.requests
        );
        assert!(
            !seen.alpn.is_empty() && seen.alpn.iter().all(|p| p.as_deref() == Some(&b"h2"[..])),
            "ALPN did not settle on h2 for every connection: {:?}",
            seen.alpn
        );
    }

    // A second client built in the same runtime shares the first one's connection; a client
    // built in another runtime opens its own (a connection belongs to its runtime).
    let second = AuthClient::builder(server.base_url(), "client-id")
        .client_secret("s")
        .build()
        .expect("the client builds");
    timeout(
        LIMIT,
        second.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience("https://api.example.com/"),
        ),
    )
    .await
    .expect("the grant did not finish within the test's bound")
    .expect("the second client's grant succeeds");
    assert_eq!(
        server.seen().alpn.len(),
        1,
        "the second client dialled again"
    );
    let base_url = server.base_url();
    // On the blocking pool, so this test's runtime keeps serving meanwhile.
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let other = AuthClient::builder(base_url, "client-id")
                .client_secret("s")
                .build()
                .expect("the client builds");
            timeout(
                LIMIT,
                other.get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience("https://api.example.com/"),
                ),
            )
            .await
            .expect("the grant did not finish within the test's bound")
            .expect("the other runtime's grant succeeds");
        });
    })
    .await
    .expect("the other runtime's thread finishes");
    assert_eq!(
        server.seen().alpn.len(),
        2,
        "another runtime reused a connection"
    );

    // On a line of its own: libtest has already printed "test … ... " without a newline.
    println!("\n{INNER_MARKER}");
}

/// The messages of an error's sources, outermost first.
fn source_chain(e: &dyn std::error::Error) -> Vec<String> {
    let mut chain = Vec::new();
    let mut next = e.source();
    while let Some(source) = next {
        chain.push(source.to_string());
        next = source.source();
    }
    chain
}

/// The child's output, for failure messages (it holds no secrets: the inner test prints none).
fn child_output(stdout: &Path, stderr: &Path) -> String {
    format!(
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        std::fs::read_to_string(stdout).unwrap_or_default(),
        std::fs::read_to_string(stderr).unwrap_or_default()
    )
}

/// A freshly generated CA that no system trusts.
struct TestCa {
    cert_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .expect("a CA without names is valid");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "auth0-auth tls.rs test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("a CA key is generated");
        let cert = params
            .self_signed(&key)
            .expect("the CA certificate is made");
        Self {
            cert_pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A certificate for `localhost` signed by this CA, with its key.
    fn localhost_identity(&self) -> ServerIdentity {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .expect("localhost is a valid name");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate().expect("a server key is generated");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("the server certificate is signed");
        ServerIdentity {
            pem: format!("{}{}", cert.pem(), key.serialize_pem()),
        }
    }
}

/// A server certificate and its private key, as PEM.
struct ServerIdentity {
    pem: String,
}

impl ServerIdentity {
    /// A server TLS configuration offering HTTP/2 and HTTP/1.1 by ALPN.
    fn server_config(&self) -> rustls::ServerConfig {
        let cert = CertificateDer::from_pem_slice(self.pem.as_bytes())
            .expect("the PEM holds a certificate");
        let key = PrivateKeyDer::from_pem_slice(self.pem.as_bytes()).expect("the PEM holds a key");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the provider supports the default versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("the certificate and key match");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }
}

/// One HTTP request the server received.
#[derive(Debug)]
struct SeenRequest {
    method: Method,
    path: String,
    version: Version,
}

/// What the server saw: every HTTP request, and the ALPN protocol of every accepted TLS
/// connection.
#[derive(Default)]
struct Seen {
    requests: Vec<SeenRequest>,
    alpn: Vec<Option<Vec<u8>>>,
}

/// An HTTPS server on 127.0.0.1 serving a discovery document and a token endpoint, over
/// HTTP/1.1 or HTTP/2. Stops when dropped.
struct TlsServer {
    port: u16,
    seen: Arc<Mutex<Seen>>,
    accept_loop: tokio::task::JoinHandle<()>,
}

impl TlsServer {
    async fn start(identity: &ServerIdentity) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port is free");
        let port = listener.local_addr().expect("the port is known").port();
        let acceptor = TlsAcceptor::from(Arc::new(identity.server_config()));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let base: Arc<str> = format!("https://localhost:{port}").into();
        let accept_loop = tokio::spawn({
            let seen = seen.clone();
            async move {
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, seen, base) = (acceptor.clone(), seen.clone(), base.clone());
                    tokio::spawn(async move {
                        // A refused handshake ends here, before any HTTP.
                        let Ok(Ok(tls)) = timeout(LIMIT, acceptor.accept(tcp)).await else {
                            return;
                        };
                        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                        lock(&seen).alpn.push(alpn);
                        let service =
                            service_fn(move |req| handle(req, base.clone(), seen.clone()));
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(tls), service)
                            .await;
                    });
                }
            }
        });
        Self {
            port,
            seen,
            accept_loop,
        }
    }

    fn base_url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        lock(&self.seen)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The server's routes: discovery, the token endpoint (client credentials only), 404 else.
async fn handle(
    req: Request<Incoming>,
    base: Arc<str>,
    seen: Arc<Mutex<Seen>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    lock(&seen).requests.push(SeenRequest {
        method: req.method().clone(),
        path: req.uri().path().to_string(),
        version: req.version(),
    });
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/.well-known/openid-configuration") => json(
            StatusCode::OK,
            serde_json::json!({
                "issuer": format!("{base}/"),
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/oauth/token"),
                "jwks_uri": format!("{base}/.well-known/jwks.json"),
                "id_token_signing_alg_values_supported": ["RS256"],
            }),
        ),
        (&Method::POST, "/oauth/token") => {
            let body = match timeout(LIMIT, req.into_body().collect()).await {
                Ok(Ok(body)) => body.to_bytes(),
                _ => Bytes::new(),
            };
            let is_client_credentials = url::form_urlencoded::parse(&body)
                .any(|(k, v)| k == "grant_type" && v == "client_credentials");
            if is_client_credentials {
                json(
                    StatusCode::OK,
                    serde_json::json!({
                        "access_token": "at",
                        "token_type": "Bearer",
                        "expires_in": 60,
                    }),
                )
            } else {
                json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "unsupported_grant_type"}),
                )
            }
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "not_found"}),
        ),
    };
    Ok(response)
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        "application/json".parse().expect("a valid header"),
    );
    response
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("auth0-auth-tls-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).expect("a fresh temporary directory is made");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
