//! Cold start: how long a fresh process takes from `exec` to its first token, over loopback
//! HTTPS, for this SDK and (when a script is given) for the reference `@auth0/auth0-auth-js`.
//!
//! Run by `bench/compare/cold_start.sh`. Two roles in one program:
//!
//! - **driver** (no role argument): starts the emulator behind a loopback TLS front whose
//!   certificate comes from a throwaway CA, trusted by the children through `SSL_CERT_FILE`
//!   (this SDK) and `NODE_EXTRA_CA_CERTS` (Node). It then starts fresh processes, one variant
//!   after the other, interleaved round by round, and prints a table of medians and 90th
//!   percentiles per phase, measured from the moment just before the driver spawned the child.
//! - **child** (`child VARIANT`): one cold start. It prints one JSON line of wall-clock
//!   timestamps (Unix nanoseconds; the same clock the driver and Node read) and exits.
//!
//! Variants of this SDK:
//!
//! - `at-once` / `at-once-no-warm-up`: build the client, call at once (a CLI): the first call
//!   pays whatever the warm-up has not finished.
//! - `later` / `later-no-warm-up`: build the client at start-up, do 100 ms of other start-up
//!   work (a sleep here), then call (a serverless handler): what the background warm-up hides.
//! - `parts`: each one-time cost alone, in the order the first request meets it: aws-lc's first
//!   random bytes, the system's CA roots load (the platform verifier), the TLS configuration.
//!
//! `--other-exe PATH` also runs the `at-once` variants and `parts` with another build of this
//! program (the one built with `AWS_LC_SYS_NO_JITTER_ENTROPY=1`), labelled `no-jitter`.
//! Other options: `--runs N` (default 30), `--quick` (8 runs), `--script PATH` (the Node side),
//! `--json PATH` (every sample). Everything stays on 127.0.0.1.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_auth::{AuthClient, ClientCredentialsRequest, VerifyIdTokenRequest};
use auth0_emulator::{Emulator, demo};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// How long the `later` variants spend on their own start-up work before the first call.
const STARTUP_WORK: Duration = Duration::from_millis(100);
/// The system's CA bundle (Debian and Ubuntu), added to the children's trusted roots.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// How long one child may take before it is killed.
const CHILD_LIMIT: Duration = Duration::from_secs(30);

/// Unix time in nanoseconds, the clock every timestamp of this benchmark is read from.
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
}

fn main() -> Result<(), Error> {
    // Read first: the child's "main entered" mark.
    let entered = now_ns();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        let variant = args.get(1).cloned().unwrap_or_default();
        let marks = child(entered, &variant)?;
        println!("{marks}");
        return Ok(());
    }
    driver(&args)
}

// ---------------------------------------------------------------------------------------------
// The child: one cold start
// ---------------------------------------------------------------------------------------------

fn child(entered: u64, variant: &str) -> Result<Value, Error> {
    let base = std::env::var("COLD_START_BASE")?;
    let id_token = std::env::var("COLD_START_ID_TOKEN")?;
    let mut marks = vec![("main", entered)];
    if variant == "parts" {
        parts(&mut marks)?;
    } else {
        let (warm_up, later) = match variant {
            "at-once" => (true, false),
            "at-once-no-warm-up" => (false, false),
            "later" => (true, true),
            "later-no-warm-up" => (false, true),
            other => return Err(format!("unknown variant {other}").into()),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        marks.push(("runtime", now_ns()));
        runtime.block_on(async {
            let client = AuthClient::builder(base.as_str(), demo::CLIENT_ID)
                .client_secret(demo::CLIENT_SECRET)
                .warm_up(warm_up)
                .build()?;
            marks.push(("built", now_ns()));
            if later {
                tokio::time::sleep(STARTUP_WORK).await;
                marks.push(("call", now_ns()));
            }
            client.server_metadata().await?;
            marks.push(("discovery", now_ns()));
            client
                .get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                )
                .await?;
            marks.push(("token", now_ns()));
            client
                .verify_id_token(VerifyIdTokenRequest::new(id_token.into()))
                .await?;
            marks.push(("jwks", now_ns()));
            // For comparison, the same token request from a process that is warm: another
            // client (another connect timeout, so another connection pool) dials again.
            let again = AuthClient::builder(base.as_str(), demo::CLIENT_ID)
                .client_secret(demo::CLIENT_SECRET)
                .connect_timeout(Duration::from_secs(4))
                .build()?;
            marks.push(("warm_call", now_ns()));
            again
                .get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                )
                .await?;
            marks.push(("warm_token", now_ns()));
            Ok::<_, Error>(())
        })?;
    }
    Ok(Value::Object(
        marks
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    ))
}

/// The one-time costs alone, with the libraries the SDK uses, in the order a first request
/// meets them.
fn parts(marks: &mut Vec<(&'static str, u64)>) -> Result<(), Error> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no random bytes")?;
    marks.push(("rng", now_ns()));
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no random bytes")?;
    marks.push(("rng_again", now_ns()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    marks.push(("roots", now_ns()));
    let _config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    marks.push(("tls_config", now_ns()));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------

struct Options {
    runs: usize,
    script: Option<PathBuf>,
    other_exe: Option<PathBuf>,
    json: Option<PathBuf>,
}

fn options(args: &[String]) -> Result<Options, Error> {
    let mut o = Options {
        runs: 30,
        script: None,
        other_exe: None,
        json: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => o.runs = value()?.parse()?,
            "--quick" => o.runs = 8,
            "--script" => o.script = Some(value()?.into()),
            "--other-exe" => o.other_exe = Some(value()?.into()),
            "--json" => o.json = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(o)
}

/// One kind of child: a label, the program and its arguments.
struct Variant {
    label: String,
    program: PathBuf,
    args: Vec<String>,
}

impl Variant {
    /// `parts` loads the roots the way a process does by default (no `SSL_CERT_*`), and makes
    /// no request that would need the test CA.
    fn system_roots(&self) -> bool {
        self.args.last().map(String::as_str) == Some("parts")
    }
}

fn driver(args: &[String]) -> Result<(), Error> {
    let o = options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = TempDir::new()?;
    let ca = TestCa::new()?;
    // The system's bundle plus the test CA, so the children load as many roots as usual.
    let ca_file = dir.0.join("ca.pem");
    let bundle = std::fs::read_to_string(SYSTEM_BUNDLE).unwrap_or_default();
    std::fs::write(&ca_file, format!("{bundle}\n{}", ca.cert_pem))?;
    let empty_dir = dir.0.join("no-more-roots");
    std::fs::create_dir(&empty_dir)?;

    let (front, tenant) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let front = listener.local_addr()?;
        let tenant = Emulator::builder()
            .demo_tenant()
            .issuer(&format!("https://{front}/"))
            .start()
            .await?;
        let backend: SocketAddr = tenant
            .base_url()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()?;
        tokio::spawn(tls_front(listener, ca.identity()?, backend));
        Ok::<_, Error>((front, tenant))
    })?;
    let base = format!("https://{front}");
    let id_token = tenant.sign_jwt(
        None,
        &json!({
            "iss": tenant.issuer(),
            "aud": demo::CLIENT_ID,
            "sub": "auth0|cold-start",
            "iat": now_ns() / 1_000_000_000,
            "exp": now_ns() / 1_000_000_000 + 3600,
        }),
    );

    let me = std::env::current_exe()?;
    let ours = |label: &str, program: &Path, variant: &str| Variant {
        label: label.to_string(),
        program: program.to_path_buf(),
        args: vec!["child".to_string(), variant.to_string()],
    };
    let mut variants = vec![
        ours("at-once", &me, "at-once"),
        ours("at-once-no-warm-up", &me, "at-once-no-warm-up"),
        ours("later", &me, "later"),
        ours("later-no-warm-up", &me, "later-no-warm-up"),
        ours("parts", &me, "parts"),
    ];
    if let Some(other) = &o.other_exe {
        variants.push(ours("no-jitter at-once", other, "at-once"));
        variants.push(ours(
            "no-jitter at-once-no-warm-up",
            other,
            "at-once-no-warm-up",
        ));
        variants.push(ours("no-jitter parts", other, "parts"));
    }
    if let Some(script) = &o.script {
        let node = std::env::var("NODE").unwrap_or_else(|_| "node".to_string());
        variants.push(Variant {
            label: "reference (node)".to_string(),
            program: node.into(),
            args: vec![script.display().to_string()],
        });
    }

    let env = [
        ("COLD_START_BASE", base.clone()),
        ("COLD_START_ID_TOKEN", id_token),
        ("COLD_START_DOMAIN", front.to_string()),
        ("COLD_START_CLIENT_ID", demo::CLIENT_ID.to_string()),
        ("COLD_START_CLIENT_SECRET", demo::CLIENT_SECRET.to_string()),
        ("COLD_START_AUDIENCE", demo::AUDIENCE.to_string()),
        ("SSL_CERT_FILE", ca_file.display().to_string()),
        ("SSL_CERT_DIR", empty_dir.display().to_string()),
        ("NODE_EXTRA_CA_CERTS", ca_file.display().to_string()),
    ];
    // One untimed round first: the page cache then holds every program and library.
    let mut samples: Vec<Vec<Value>> = vec![Vec::new(); variants.len()];
    for round in 0..=o.runs {
        for (i, v) in variants.iter().enumerate() {
            let sample = run_child(v, &env, &dir.0)?;
            if round > 0 {
                samples[i].push(sample);
            }
        }
        eprint!(".");
    }
    eprintln!();
    runtime.block_on(tenant.shutdown());

    print_table(&variants, &samples, o.runs);
    if let Some(path) = o.json {
        let all: serde_json::Map<String, Value> = variants
            .iter()
            .zip(&samples)
            .map(|(v, s)| (v.label.clone(), Value::Array(s.clone())))
            .collect();
        std::fs::write(path, serde_json::to_vec_pretty(&Value::Object(all))?)?;
    }
    Ok(())
}

/// Starts one child, waits (bounded) for it, and returns its marks made relative to the spawn,
/// in microseconds.
fn run_child(v: &Variant, env: &[(&str, String)], dir: &Path) -> Result<Value, Error> {
    let out_file = dir.join("child.out");
    let err_file = dir.join("child.err");
    let mut command = Command::new(&v.program);
    command
        .args(&v.args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file)?)
        .stderr(std::fs::File::create(&err_file)?);
    if v.system_roots() {
        command
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR");
    }
    let spawned = now_ns();
    let mut child = command.spawn()?;
    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} did not finish within {CHILD_LIMIT:?}", v.label).into());
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    let out = std::fs::read_to_string(&out_file)?;
    if !status.success() {
        let err = std::fs::read_to_string(&err_file).unwrap_or_default();
        return Err(format!("{} failed ({status}):\n{out}\n{err}", v.label).into());
    }
    let line = out.lines().last().ok_or("the child printed nothing")?;
    let marks: serde_json::Map<String, Value> = serde_json::from_str(line)?;
    Ok(Value::Object(
        marks
            .into_iter()
            .map(|(k, t)| {
                let us = (t.as_f64().unwrap_or(0.0) - spawned as f64) / 1000.0;
                (k, json!(us))
            })
            .collect(),
    ))
}

/// Accepts TLS on `listener` and pipes each connection to the emulator at `backend`.
async fn tls_front(
    listener: tokio::net::TcpListener,
    config: rustls::ServerConfig,
    backend: SocketAddr,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(Ok(mut tls)) = tokio::time::timeout(CHILD_LIMIT, acceptor.accept(tcp)).await
            else {
                return;
            };
            let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                return;
            };
            let _ = plain.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
        });
    }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// The phases printed, in order, as (mark, label). A phase's figure is its mark's time since
/// the spawn; variants without the mark show `-`.
const PHASES: &[(&str, &str)] = &[
    ("main", "main"),
    ("imported", "module imported"),
    ("runtime", "runtime"),
    ("rng", "first random bytes"),
    ("rng_again", "second random bytes"),
    ("roots", "CA roots loaded"),
    ("tls_config", "TLS config built"),
    ("built", "client built"),
    ("call", "first call made"),
    ("discovery", "discovery fetched"),
    ("token", "first token"),
    ("jwks", "JWKS fetched, ID token verified"),
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn column(samples: &[Value], mark: &str) -> Vec<f64> {
    let mut v: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.get(mark).and_then(Value::as_f64))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// `to - from` per sample, sorted.
fn span(samples: &[Value], from: &str, to: &str) -> Vec<f64> {
    let mut v: Vec<f64> = samples
        .iter()
        .filter_map(|s| Some(s.get(to)?.as_f64()? - s.get(from)?.as_f64()?))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn print_table(variants: &[Variant], samples: &[Vec<Value>], runs: usize) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nCold start over loopback HTTPS: ms since the driver spawned the process \
         (median / p90 of {runs} fresh processes per variant)\n"
    );
    for (v, s) in variants.iter().zip(samples) {
        let _ = writeln!(out, "{}", v.label);
        for (mark, label) in PHASES {
            let c = column(s, mark);
            if c.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "  {label:<34} {:>8} / {:>8}",
                ms(percentile(&c, 0.5)),
                ms(percentile(&c, 0.9))
            );
        }
    }
    let _ = writeln!(out, "\nSpans (median / p90 ms):");
    let spans: &[(&str, &str, &str)] = &[
        ("built", "token", "client built -> first token"),
        ("call", "token", "first call -> first token"),
        ("call", "discovery", "first call -> discovery fetched"),
        ("discovery", "token", "discovery -> token (open connection)"),
        ("token", "jwks", "token -> JWKS fetched + ID token verified"),
        (
            "warm_call",
            "warm_token",
            "warm process: token on a new connection",
        ),
        ("main", "rng", "first random bytes alone"),
        ("rng", "roots", "CA roots load alone"),
        ("roots", "tls_config", "TLS config build alone"),
        ("main", "imported", "module import (node)"),
    ];
    for (v, s) in variants.iter().zip(samples) {
        for (from, to, label) in spans {
            let c = span(s, from, to);
            if c.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<30} {label:<42} {:>8} / {:>8}",
                v.label,
                ms(percentile(&c, 0.5)),
                ms(percentile(&c, 0.9))
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The throwaway CA and the temporary directory
// ---------------------------------------------------------------------------------------------

struct TestCa {
    cert_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    fn new() -> Result<Self, Error> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "auth0-auth cold-start CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        })
    }

    /// A server configuration for 127.0.0.1 (HTTP/1.1 by ALPN: the front pipes bytes to the
    /// emulator's plain HTTP/1.1 port).
    fn identity(&self) -> Result<rustls::ServerConfig, Error> {
        let mut params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "127.0.0.1");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let cert = CertificateDer::from_pem_slice(cert.pem().as_bytes())?;
        let key = PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes())?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, Error> {
        let path = std::env::temp_dir().join(format!(
            "auth0-auth-cold-start-{}-{}",
            std::process::id(),
            now_ns()
        ));
        std::fs::create_dir(&path)?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
