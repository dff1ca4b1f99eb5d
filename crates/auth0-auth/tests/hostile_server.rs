//! A hostile server, for every network operation of the SDK: refused connections, connections
//! dropped mid-body, a server that never answers, slow-drip bodies, oversized, HTML, empty and
//! malformed bodies, a wrong content type, redirects to another host (never followed), rate
//! limits; discovery documents whose issuer or endpoints point elsewhere; key sets with
//! duplicate or malformed keys.
//!
//! Every case ends in the expected typed error (`code()`, `kind()`) within the client's
//! timeout, with no panic, and no secret in `{e}` or `{e:?}`. The table in
//! `docs/hardening.md` summarises what each case produces.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrlRequest, BackchannelAuthenticationRequest,
    ChallengeRequest, ChallengeType, ChangePasswordRequest, ClientCredentialsRequest,
    DeviceAuthorizationRequest, EnrollRequest, Error, ErrorKind, ExchangeTokenRequest,
    MfaVerification, OtpChallengeRequest, PasskeyRegisterRequest, PasskeyUserProfile,
    PasswordRequest, PasswordlessDbTokenRequest, PasswordlessTokenRequest, RefreshTokenRequest,
    RequestOptions, ResponseRecorder, SecretString, SendEmailRequest, SignUpRequest,
    TokenByCodeRequest, TokenTypeHint,
};
use auth0_auth::{VerifyIdTokenRequest, VerifyLogoutTokenRequest};
use auth0_emulator::{DEFAULT_CONNECTION, Emulator, Fault, RunningEmulator, demo};
use common::{bounded, confidential, demo_tenant, tenant};
use serde_json::{Value, json};

/// The client's timeout in these tests: every case must end within it (plus scheduling slack).
const TIMEOUT: Duration = Duration::from_millis(700);
/// The client's response size cap in these tests.
const CAP: usize = 64 * 1024;
/// Every secret these tests hand the SDK contains this marker.
const MARK: &str = "s3cr3t";

type Outcome = Result<(), Error>;
type Run = Box<dyn Fn(AuthClient) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

/// One network operation of the SDK, and the path its request goes to.
struct Op {
    name: &'static str,
    path: &'static str,
    code: &'static str,
    /// Whether a 2xx answer's body is read (some operations only need the status).
    reads_body: bool,
    run: Run,
}

fn op<F, Fut>(name: &'static str, path: &'static str, code: &'static str, run: F) -> Op
where
    F: Fn(AuthClient) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    Op {
        name,
        path,
        code,
        reads_body: true,
        run: Box::new(move |c| Box::pin(run(c))),
    }
}

impl Op {
    fn status_only(mut self) -> Self {
        self.reads_body = false;
        self
    }
}

fn ok<T>(r: auth0_auth::Result<T>) -> Outcome {
    r.map(|_| ())
}

/// Every operation that talks to a path of its own, with inputs that carry [`MARK`].
fn operations() -> Vec<Op> {
    let token = "/oauth/token";
    vec![
        op(
            "client credentials",
            token,
            "token_by_client_credentials_error",
            |c| async move {
                ok(c.get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                )
                .await)
            },
        ),
        op(
            "password",
            token,
            "token_by_password_error",
            |c| async move {
                ok(c.get_token_by_password(PasswordRequest::new(
                    demo::USERNAME,
                    "pw-s3cr3t".into(),
                ))
                .await)
            },
        ),
        op(
            "refresh token",
            token,
            "token_by_refresh_token_error",
            |c| async move {
                ok(
                    c.get_token_by_refresh_token(RefreshTokenRequest::new("rt-s3cr3t".into()))
                        .await,
                )
            },
        ),
        op(
            "code exchange",
            token,
            "token_by_code_error",
            |c| async move {
                ok(c.get_token_by_code(TokenByCodeRequest::new(
                    "http://localhost:3000/callback?code=code-s3cr3t",
                    SecretString::from("verifier-s3cr3t"),
                ))
                .await)
            },
        ),
        op(
            "passwordless code",
            token,
            "passwordless_verify_error",
            |c| async move {
                ok(
                    c.get_token_by_passwordless_email(PasswordlessTokenRequest::new(
                        demo::USERNAME,
                        "otp-s3cr3t".into(),
                    ))
                    .await,
                )
            },
        ),
        op(
            "passwordless db code",
            token,
            "passwordless_db_get_token_error",
            |c| async move {
                ok(c.passwordless()
                    .get_token_by_passwordless_db_connection(PasswordlessDbTokenRequest::new(
                        SecretString::from("session-s3cr3t").into(),
                        "otp-s3cr3t".into(),
                    ))
                    .await)
            },
        ),
        op(
            "token exchange",
            token,
            "token_exchange_error",
            |c| async move {
                ok(c.exchange_token(ExchangeTokenRequest::profile(
                    "urn:acme:legacy-token",
                    "subject-s3cr3t".into(),
                ))
                .await)
            },
        ),
        op(
            "CIBA poll",
            token,
            "backchannel_authentication_error",
            // Not a secret (polling needs client authentication); the emulator echoes it.
            |c| async move {
                ok(
                    c.backchannel_authentication_grant(&auth0_auth::SecretString::from("req-1"))
                        .await,
                )
            },
        ),
        op(
            "device code poll",
            token,
            "device_authorization_error",
            |c| async move {
                ok(
                    c.device_code_grant(&auth0_auth::SecretString::from("device-s3cr3t"))
                        .await,
                )
            },
        ),
        op("MFA verify", token, "mfa_verify_error", |c| async move {
            ok(c.mfa("mfa-s3cr3t".into())
                .verify(MfaVerification::otp("otp-s3cr3t".into()))
                .await)
        }),
        op(
            "PAR",
            "/oauth/par",
            "build_authorization_url_error",
            |c| async move {
                ok(c.build_authorization_url(
                    AuthorizationUrlRequest::new()
                        .params(
                            AuthorizationParams::new()
                                .redirect_uri(demo::CALLBACKS[0])
                                .state("state-1"),
                        )
                        .pushed(true),
                )
                .await)
            },
        ),
        op(
            "user info",
            "/userinfo",
            "user_info_error",
            |c| async move {
                ok(
                    c.get_user_info(auth0_auth::UserInfoRequest::new("at-s3cr3t".into()))
                        .await,
                )
            },
        ),
        op(
            "revocation",
            "/oauth/revoke",
            "token_revocation_error",
            |c| async move {
                ok(c.revoke_token(
                    auth0_auth::RevokeTokenRequest::new("rt-s3cr3t".into())
                        .token_type_hint(TokenTypeHint::RefreshToken),
                )
                .await)
            },
        )
        .status_only(),
        op(
            "MFA list",
            "/mfa/authenticators",
            "mfa_list_authenticators_error",
            |c| async move { ok(c.mfa("mfa-s3cr3t".into()).list_authenticators().await) },
        ),
        op(
            "MFA enroll",
            "/mfa/associate",
            "mfa_enrollment_error",
            |c| async move {
                ok(c.mfa("mfa-s3cr3t".into())
                    .enroll_authenticator(EnrollRequest::otp())
                    .await)
            },
        ),
        op(
            "MFA challenge",
            "/mfa/challenge",
            "mfa_challenge_error",
            |c| async move {
                ok(c.mfa("mfa-s3cr3t".into())
                    .challenge_authenticator(ChallengeRequest::new(ChallengeType::Otp))
                    .await)
            },
        ),
        op(
            "MFA delete",
            "/mfa/authenticators/dev_1",
            "mfa_delete_authenticator_error",
            |c| async move {
                ok(c.mfa("mfa-s3cr3t".into())
                    .delete_authenticator("dev_1")
                    .await)
            },
        )
        .status_only(),
        op(
            "passwordless start",
            "/passwordless/start",
            "passwordless_start_error",
            |c| async move {
                ok(c.passwordless()
                    .send_email(SendEmailRequest::new(demo::USERNAME))
                    .await)
            },
        )
        .status_only(),
        op(
            "OTP challenge",
            "/otp/challenge",
            "passwordless_challenge_error",
            |c| async move {
                ok(c.passwordless()
                    .challenge_with_email(OtpChallengeRequest::new(
                        demo::USERNAME,
                        auth0_auth::Connection::new(DEFAULT_CONNECTION),
                    ))
                    .await)
            },
        ),
        op(
            "CIBA start",
            "/bc-authorize",
            "backchannel_authentication_error",
            |c| async move {
                ok(
                    c.initiate_backchannel_authentication(BackchannelAuthenticationRequest::new(
                        auth0_auth::UserId::new("auth0|jane"),
                        "bind-1",
                    ))
                    .await,
                )
            },
        ),
        op(
            "device start",
            "/oauth/device/code",
            "device_authorization_error",
            |c| async move {
                ok(
                    c.start_device_authorization(DeviceAuthorizationRequest::new().scope("openid"))
                        .await,
                )
            },
        ),
        op(
            "sign-up",
            "/dbconnections/signup",
            "signup_error",
            |c| async move {
                // A new address each time: signing up twice is refused.
                static N: AtomicUsize = AtomicUsize::new(0);
                let email = format!("new-user-{}@example.com", N.fetch_add(1, Ordering::Relaxed));
                ok(c.database()
                    .sign_up(SignUpRequest::new(
                        auth0_auth::Connection::new(DEFAULT_CONNECTION),
                        email,
                        "pw-s3cr3t-Aa1!".into(),
                    ))
                    .await)
            },
        ),
        op(
            "change password",
            "/dbconnections/change_password",
            "change_password_error",
            |c| async move {
                ok(c.database()
                    .change_password(ChangePasswordRequest::email(
                        auth0_auth::Connection::new(DEFAULT_CONNECTION),
                        demo::USERNAME,
                    ))
                    .await)
            },
        )
        .status_only(),
        op(
            "anonymous session",
            "/anonymous/token",
            "anonymous_session_error",
            |c| async move {
                ok(c.anonymous()
                    .create_session(auth0_auth::AnonymousSessionRequest::new())
                    .await)
            },
        ),
        op(
            "passkey register",
            "/passkey/register",
            "passkey_register_error",
            |c| async move {
                ok(c.passkey()
                    .register(PasskeyRegisterRequest::new(PasskeyUserProfile {
                        email: Some("passkey-user@example.com".into()),
                        ..Default::default()
                    }))
                    .await)
            },
        ),
        op(
            "passkey challenge",
            "/passkey/challenge",
            "passkey_challenge_error",
            |c| async move {
                ok(c.passkey()
                    .challenge(auth0_auth::PasskeyChallengeRequest::new())
                    .await)
            },
        ),
    ]
}

/// What a case must end in.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Ok,
    Kind(ErrorKind),
    /// This kind, with this HTTP status on the error.
    Status(ErrorKind, u16),
    /// Whatever the operation gives without the fault (the fault must not change it).
    Baseline,
}

/// The secrets no error may show.
fn assert_clean(e: &Error) {
    for shown in [format!("{e}"), format!("{e:?}")] {
        assert!(!shown.contains(MARK), "a secret leaked: {shown}");
        assert!(
            !shown.contains(demo::CLIENT_SECRET),
            "the client secret leaked: {shown}"
        );
        assert!(
            !shown.contains(demo::PASSWORD),
            "a password leaked: {shown}"
        );
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Ok(()) => "Ok".into(),
        Err(e) => format!("{:?} ({}): {e}", e.kind(), e.code()),
    }
}

/// Checks one outcome: the expectation, the operation's code, a clean message, the time.
fn check(op: &str, code: &str, case: &str, outcome: &Outcome, expect: &Expect, baseline: &Outcome) {
    let got = describe(outcome);
    match (expect, outcome) {
        (Expect::Ok, Ok(())) => {}
        (Expect::Kind(kind), Err(e)) if e.kind() == *kind => {}
        (Expect::Status(kind, status), Err(e)) if e.kind() == *kind => {
            // (The anonymous-session redirect error names the redirect without HTTP details.)
            let status_ok = e.status() == Some(*status)
                || (e.status().is_none() && e.message().contains("redirect"));
            assert!(status_ok, "{op} / {case}: HTTP {:?}: {got}", e.status());
        }
        (Expect::Baseline, _) => {
            let same = match (baseline, outcome) {
                (Ok(()), Ok(())) => true,
                (Err(a), Err(b)) => a.kind() == b.kind(),
                _ => false,
            };
            assert!(
                same,
                "{op} / {case}: {got}, but without the fault {}",
                describe(baseline)
            );
        }
        _ => panic!("{op} / {case}: expected {expect:?}, got {got}"),
    }
    if let Err(e) = outcome {
        assert_eq!(e.code().as_str(), code, "{op} / {case}: {got}");
        assert_clean(e);
    }
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The faults every operation is put through, with what each must end in.
fn faults(
    op: &Op,
    elsewhere: &str,
    baseline_body_len: usize,
) -> Vec<(&'static str, Fault, Expect)> {
    use ErrorKind::*;
    let body_or_ok = |kind: ErrorKind| {
        if op.reads_body {
            Expect::Kind(kind)
        } else {
            Expect::Ok
        }
    };
    vec![
        (
            "HTML 500",
            Fault::ServerErrorHtml,
            Expect::Status(HttpStatus, 500),
        ),
        (
            "empty 503",
            Fault::EmptyBody(503),
            Expect::Status(HttpStatus, 503),
        ),
        (
            "empty 200",
            Fault::EmptyBody(200),
            body_or_ok(InvalidResponse),
        ),
        (
            "truncated JSON",
            Fault::MalformedJson,
            body_or_ok(InvalidResponse),
        ),
        (
            "HTML 200 (a captive portal)",
            Fault::Body {
                status: 200,
                content_type: "text/html".into(),
                body: "<html><body>Please sign in to the Wi-Fi</body></html>".into(),
            },
            body_or_ok(InvalidResponse),
        ),
        (
            "JSON of the wrong shape",
            Fault::Status(200, r#"[{"unexpected":true}]"#.into()),
            body_or_ok(InvalidResponse),
        ),
        (
            "oversized body",
            Fault::OversizedBody(CAP + 1),
            Expect::Kind(ResponseTooLarge),
        ),
        (
            "wrong content type",
            Fault::WrongContentType("text/html; charset=utf-8".into()),
            Expect::Baseline,
        ),
        (
            "redirect to another host",
            Fault::RedirectTo(format!("{elsewhere}{}", op.path)),
            Expect::Status(HttpStatus, 302),
        ),
        (
            "rate limited",
            Fault::RateLimited {
                retry_after_secs: 30,
            },
            Expect::Status(OAuth, 429),
        ),
        (
            "reset mid-body",
            Fault::ResetMidBody,
            Expect::Kind(Transport),
        ),
        ("never answers", Fault::NeverAnswer, Expect::Kind(Timeout)),
        (
            "slow drip",
            Fault::SlowDrip {
                chunk: 1,
                interval: Duration::from_millis(450),
            },
            // One byte now, one after 450 ms, one after 900 ms: past the 700 ms timeout.
            if baseline_body_len >= 3 {
                Expect::Kind(Timeout)
            } else {
                Expect::Baseline
            },
        ),
    ]
}

/// Puts one operation through every fault, against one tenant whose discovery is warm.
async fn through_every_fault(op: &Op) {
    let t = demo_tenant().await;
    let elsewhere = tenant(Emulator::builder()).await;
    let c = confidential(&t)
        .timeout(TIMEOUT)
        .max_response_bytes(CAP)
        .build()
        .expect("the client builds");
    bounded(c.server_metadata()).await.expect("discovery");

    // Without a fault, recording the answer's size (for the slow drip).
    let recorder = ResponseRecorder::new();
    let baseline = bounded((op.run)(
        c.with_options(RequestOptions::new().record_response(&recorder)),
    ))
    .await;
    if let Err(e) = &baseline {
        assert_eq!(e.code().as_str(), op.code, "{}: {e}", op.name);
        assert_clean(e);
    }
    let baseline_len = recorder.last().map(|d| d.body.len()).unwrap_or(0);

    for (case, fault, expect) in faults(op, &elsewhere.base_url(), baseline_len) {
        let before = t.requests_to(op.path).len();
        t.inject_fault(op.path, fault, 1);
        let started = Instant::now();
        let outcome = bounded((op.run)(c.clone())).await;
        let took = started.elapsed();
        t.clear_faults();
        assert!(
            t.requests_to(op.path).len() > before,
            "{} / {case}: the operation never reached {}",
            op.name,
            op.path
        );
        check(op.name, op.code, case, &outcome, &expect, &baseline);
        assert!(
            took < TIMEOUT + Duration::from_secs(2),
            "{} / {case}: took {took:?}",
            op.name
        );
    }
    assert!(
        elsewhere.requests().is_empty(),
        "{}: a redirect was followed to another host",
        op.name
    );

    // A refused connection: the same client pointed at a port nothing listens on.
    let gone = AuthClient::builder(format!("http://127.0.0.1:{}", dead_port()), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .timeout(TIMEOUT)
        .build()
        .expect("the client builds");
    let outcome = bounded((op.run)(gone)).await;
    check(
        op.name,
        op.code,
        "connection refused",
        &outcome,
        &Expect::Kind(ErrorKind::Transport),
        &baseline,
    );
}

async fn run_ops(names: &[&str]) {
    let ops = operations();
    for name in names {
        let op = ops
            .iter()
            .find(|o| o.name == *name)
            .unwrap_or_else(|| panic!("no operation {name}"));
        through_every_fault(op).await;
    }
}

#[test]
fn every_operation_is_covered() {
    let ops = operations();
    let names: Vec<&str> = ops.iter().map(|o| o.name).collect();
    let covered: Vec<&str> = GROUPS.iter().flat_map(|g| g.iter().copied()).collect();
    for name in &names {
        assert!(covered.contains(name), "{name} is in no test group");
    }
    assert_eq!(names.len(), covered.len());
}

/// The operations, in groups that run as separate tests (in parallel).
const GROUPS: &[&[&str]] = &[
    &[
        "client credentials",
        "password",
        "refresh token",
        "code exchange",
    ],
    &[
        "passwordless code",
        "passwordless db code",
        "token exchange",
        "CIBA poll",
    ],
    &["device code poll", "MFA verify", "PAR", "user info"],
    &["revocation", "MFA list", "MFA enroll", "MFA challenge"],
    &[
        "MFA delete",
        "passwordless start",
        "OTP challenge",
        "CIBA start",
    ],
    &["device start", "sign-up", "change password"],
    &["anonymous session", "passkey register", "passkey challenge"],
];

#[tokio::test]
async fn token_grants_a() {
    run_ops(GROUPS[0]).await;
}

#[tokio::test]
async fn token_grants_b() {
    run_ops(GROUPS[1]).await;
}

#[tokio::test]
async fn token_grants_c_par_and_user_info() {
    run_ops(GROUPS[2]).await;
}

#[tokio::test]
async fn revocation_and_mfa() {
    run_ops(GROUPS[3]).await;
}

#[tokio::test]
async fn mfa_delete_passwordless_and_ciba_start() {
    run_ops(GROUPS[4]).await;
}

#[tokio::test]
async fn device_start_and_database() {
    run_ops(GROUPS[5]).await;
}

#[tokio::test]
async fn anonymous_and_passkeys() {
    run_ops(GROUPS[6]).await;
}

// ---------------------------------------------------------------------------------------------
// Discovery: a fresh tenant per case, since a good document is cached process-wide.

const DISCOVERY: &str = "/.well-known/openid-configuration";

/// Runs discovery against a fresh tenant whose first discovery answer is `fault`.
async fn discovery_with(fault: Fault) -> (RunningEmulator, Outcome, Duration) {
    let t = demo_tenant().await;
    t.inject_fault(DISCOVERY, fault, 1);
    let c = confidential(&t)
        .timeout(TIMEOUT)
        .max_response_bytes(CAP)
        .build()
        .expect("the client builds");
    let started = Instant::now();
    let outcome = bounded(c.server_metadata()).await.map(|_| ());
    (t, outcome, started.elapsed())
}

/// A fresh tenant whose first discovery answer is its real document changed by `change`
/// (which gets the document and the tenant's base URL, without a trailing slash).
async fn tenant_with_document(change: impl FnOnce(&mut Value, &str)) -> RunningEmulator {
    let t = demo_tenant().await;
    let mut doc: Value = bounded(async {
        reqwest::get(format!("{}{DISCOVERY}", t.base_url()))
            .await?
            .json()
            .await
    })
    .await
    .expect("the real document");
    change(&mut doc, &t.base_url());
    t.clear_requests();
    t.inject_fault(
        DISCOVERY,
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: doc.to_string(),
        },
        1,
    );
    t
}

/// Discovery against a tenant made by [`tenant_with_document`].
async fn discovery_of_document(change: impl FnOnce(&mut Value, &str)) -> Outcome {
    let t = tenant_with_document(change).await;
    let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
    bounded(c.server_metadata()).await.map(|_| ())
}

#[tokio::test]
async fn discovery_through_every_transport_fault() {
    let elsewhere = tenant(Emulator::builder()).await;
    let cases: Vec<(&str, Fault, Expect)> = vec![
        (
            "HTML 500",
            Fault::ServerErrorHtml,
            Expect::Status(ErrorKind::HttpStatus, 500),
        ),
        (
            "empty 200",
            Fault::EmptyBody(200),
            Expect::Kind(ErrorKind::InvalidResponse),
        ),
        (
            "empty 502",
            Fault::EmptyBody(502),
            Expect::Status(ErrorKind::HttpStatus, 502),
        ),
        (
            "truncated JSON",
            Fault::MalformedJson,
            Expect::Kind(ErrorKind::InvalidResponse),
        ),
        (
            "JSON array",
            Fault::Status(200, "[]".into()),
            Expect::Kind(ErrorKind::InvalidResponse),
        ),
        (
            "HTML 200",
            Fault::Body {
                status: 200,
                content_type: "text/html".into(),
                body: "<html>portal</html>".into(),
            },
            Expect::Kind(ErrorKind::InvalidResponse),
        ),
        (
            "oversized",
            Fault::OversizedBody(CAP + 1),
            Expect::Kind(ErrorKind::ResponseTooLarge),
        ),
        (
            "wrong content type",
            Fault::WrongContentType("text/plain".into()),
            Expect::Ok,
        ),
        (
            "redirect to another host",
            Fault::RedirectTo(format!("{}{DISCOVERY}", elsewhere.base_url())),
            Expect::Status(ErrorKind::HttpStatus, 302),
        ),
        (
            "rate limited",
            Fault::RateLimited {
                retry_after_secs: 5,
            },
            Expect::Status(ErrorKind::OAuth, 429),
        ),
        (
            "reset mid-body",
            Fault::ResetMidBody,
            Expect::Kind(ErrorKind::Transport),
        ),
        (
            "never answers",
            Fault::NeverAnswer,
            Expect::Kind(ErrorKind::Timeout),
        ),
        (
            "slow drip",
            Fault::SlowDrip {
                chunk: 64,
                interval: Duration::from_millis(200),
            },
            Expect::Kind(ErrorKind::Timeout),
        ),
    ];
    for (case, fault, expect) in cases {
        let (_t, outcome, took) = discovery_with(fault).await;
        check(
            "discovery",
            "discovery_error",
            case,
            &outcome,
            &expect,
            &Ok(()),
        );
        assert!(took < TIMEOUT + Duration::from_secs(2), "{case}: {took:?}");
    }
    assert!(elsewhere.requests().is_empty(), "a redirect was followed");

    let gone = AuthClient::builder(format!("http://127.0.0.1:{}", dead_port()), "c")
        .timeout(TIMEOUT)
        .build()
        .expect("the client builds");
    let outcome = bounded(gone.server_metadata()).await.map(|_| ());
    check(
        "discovery",
        "discovery_error",
        "connection refused",
        &outcome,
        &Expect::Kind(ErrorKind::Transport),
        &Ok(()),
    );
}

#[tokio::test]
async fn a_discovery_document_with_a_foreign_or_look_alike_issuer_is_refused() {
    type Issuer = Box<dyn Fn(&str) -> String>;
    let changes: Vec<(&str, Issuer)> = vec![
        (
            "another host",
            Box::new(|_| "https://evil.example.com/".into()),
        ),
        ("a suffix", Box::new(|b| format!("{b}.evil.example.com/"))),
        ("a path", Box::new(|b| format!("{b}/evil/"))),
        ("two trailing slashes", Box::new(|b| format!("{b}//"))),
        (
            "https for http",
            Box::new(|b| b.replace("http://", "https://")),
        ),
        ("upper case", Box::new(|b| b.to_uppercase())),
        ("a space", Box::new(|b| format!(" {b}/"))),
        ("another port", Box::new(|b| format!("{b}0/"))),
        ("empty", Box::new(|_| String::new())),
    ];
    for (case, issuer) in changes {
        let outcome = discovery_of_document(|doc, base| doc["issuer"] = json!(issuer(base))).await;
        let e = outcome.expect_err(case);
        assert_eq!(e.kind(), ErrorKind::Discovery, "{case}: {e}");
        assert_eq!(e.code().as_str(), "discovery_error");
        assert!(e.message().contains("issuer"), "{case}: {e}");
    }
    // A missing or non-string issuer is a document that cannot be read.
    let outcome = discovery_of_document(|doc, _| doc["issuer"] = json!(42)).await;
    assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidResponse);
    let outcome = discovery_of_document(|doc, _| {
        doc.as_object_mut().unwrap().remove("issuer");
    })
    .await;
    assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidResponse);
    // The control: the issuer with or without its trailing slash is the tenant's.
    discovery_of_document(|doc, base| doc["issuer"] = json!(base))
        .await
        .unwrap();
    discovery_of_document(|_, _| {}).await.unwrap();
}

#[tokio::test]
async fn endpoints_that_point_elsewhere_are_refused_before_any_request() {
    // Plain http to a host that is not loopback, other schemes, and non-URLs are refused when
    // the endpoint is used, before any request is sent (so a client secret never travels
    // there). https endpoints on other hosts are allowed: OpenID providers legitimately serve
    // them (mTLS aliases, separate token hosts).
    let bad = [
        "http://attacker.example/oauth/token",
        "ftp://127.0.0.1/oauth/token",
        "javascript:alert(1)",
        "not a url",
        "//attacker.example/oauth/token",
    ];
    for endpoint in bad {
        let t = tenant_with_document(|doc, _| doc["token_endpoint"] = json!(endpoint)).await;
        let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
        let e = bounded(c.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Discovery, "{endpoint}: {e}");
        assert_eq!(e.code().as_str(), "token_by_client_credentials_error");
        assert!(e.message().contains("token_endpoint"), "{endpoint}: {e}");
        assert!(t.requests_to("/oauth/token").is_empty());
        assert_clean(&e);
    }

    // The key set likewise: an ID token is not verified with keys fetched over plain http
    // from elsewhere.
    let t =
        tenant_with_document(|doc, _| doc["jwks_uri"] = json!("http://attacker.example/jwks.json"))
            .await;
    let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
    let token = t.sign_jwt(None, &good_claims(&t));
    let e = bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Discovery, "{e}");
    assert!(e.message().contains("jwks_uri"), "{e}");

    // A token endpoint on a loopback port nothing listens on: a transport error.
    let port = dead_port();
    let t = tenant_with_document(|doc, _| {
        doc["token_endpoint"] = json!(format!("http://127.0.0.1:{port}/oauth/token"))
    })
    .await;
    let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
    let e =
        bounded(c.get_token_by_password(PasswordRequest::new(demo::USERNAME, "pw-s3cr3t".into())))
            .await
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.message().contains("could not connect"), "{e}");
    assert_clean(&e);

    // No token endpoint at all: not supported.
    let t = tenant_with_document(|doc, _| {
        doc.as_object_mut().unwrap().remove("token_endpoint");
    })
    .await;
    let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotSupported, "{e}");
}

// ---------------------------------------------------------------------------------------------
// Key sets (JWKS): a fresh tenant per case, since a good key set is cached process-wide.

const JWKS: &str = "/.well-known/jwks.json";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn good_claims(t: &RunningEmulator) -> Value {
    json!({
        "iss": t.issuer(),
        "sub": "auth0|abc",
        "aud": demo::CLIENT_ID,
        "iat": now(),
        "exp": now() + 3600,
    })
}

/// The tenant's real key (a JWK).
async fn real_jwk(t: &RunningEmulator) -> Value {
    let set: Value = bounded(async {
        reqwest::get(format!("{}{JWKS}", t.base_url()))
            .await?
            .json()
            .await
    })
    .await
    .expect("the real key set");
    set["keys"][0].clone()
}

fn key_set(keys: Value) -> Fault {
    Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: json!({ "keys": keys }).to_string(),
    }
}

/// Verifies a good token against a fresh tenant whose key-set answers are `faults` (the
/// first fetch, and the one refetch an unknown `kid` causes).
async fn verify_with_key_set(
    faults: impl FnOnce(&Value, &str) -> Vec<Fault>,
) -> (Outcome, Outcome) {
    let t = demo_tenant().await;
    let c = confidential(&t)
        .timeout(TIMEOUT)
        .max_response_bytes(CAP)
        .build()
        .unwrap();
    bounded(c.server_metadata()).await.unwrap();
    let jwk = real_jwk(&t).await;
    for fault in faults(&jwk, &t.signing_kid()) {
        t.inject_fault(JWKS, fault, 1);
    }
    let token = t.sign_jwt(None, &good_claims(&t));
    let logout = t.sign_jwt(
        None,
        &json!({
            "iss": t.issuer(), "aud": demo::CLIENT_ID, "iat": now(), "exp": now() + 120, "jti": "j1", "sid": "s1",
            "events": {auth0_auth::BACKCHANNEL_LOGOUT_EVENT: {}},
        }),
    );
    let started = Instant::now();
    let id = bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .map(|_| ());
    let logout = bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            logout.to_string(),
        ))),
    )
    .await
    .map(|_| ());
    assert!(started.elapsed() < 2 * TIMEOUT + Duration::from_secs(3));
    (id, logout)
}

#[tokio::test]
async fn key_set_transport_faults_end_in_typed_errors() {
    let elsewhere = tenant(Emulator::builder()).await;
    let other = format!("{}{JWKS}", elsewhere.base_url());
    let cases: Vec<(&str, Fault, ErrorKind)> = vec![
        ("HTML 500", Fault::ServerErrorHtml, ErrorKind::HttpStatus),
        (
            "empty 200",
            Fault::EmptyBody(200),
            ErrorKind::InvalidResponse,
        ),
        (
            "truncated JSON",
            Fault::MalformedJson,
            ErrorKind::InvalidResponse,
        ),
        (
            "oversized",
            Fault::OversizedBody(CAP + 1),
            ErrorKind::ResponseTooLarge,
        ),
        ("redirect", Fault::RedirectTo(other), ErrorKind::HttpStatus),
        ("reset mid-body", Fault::ResetMidBody, ErrorKind::Transport),
        ("never answers", Fault::NeverAnswer, ErrorKind::Timeout),
        (
            "slow drip",
            Fault::SlowDrip {
                chunk: 32,
                interval: Duration::from_millis(200),
            },
            ErrorKind::Timeout,
        ),
        (
            "keys is not an array",
            Fault::Status(200, r#"{"keys":{"kty":"RSA"}}"#.into()),
            ErrorKind::InvalidResponse,
        ),
    ];
    for (case, fault, kind) in cases {
        let (id, _) = verify_with_key_set(|_, _| vec![fault]).await;
        let e = id.expect_err(case);
        assert_eq!(e.kind(), kind, "{case}: {e}");
        assert_eq!(e.code().as_str(), "id_token_validation_error", "{case}");
        assert_clean(&e);
    }
    assert!(elsewhere.requests().is_empty(), "a redirect was followed");
}

#[tokio::test]
async fn key_sets_with_duplicate_or_malformed_keys() {
    // The real key twice under its kid: still verifies (the same key).
    let (id, logout) = verify_with_key_set(|jwk, _| vec![key_set(json!([jwk, jwk]))]).await;
    id.unwrap();
    logout.unwrap();

    // A second key under the same kid, published first: the tenant's set is trusted as a
    // whole, so the real key still verifies; neither key verifies a forged signature.
    let (id, _) = verify_with_key_set(|jwk, _| {
        let mut other = jwk.clone();
        other["n"] = json!("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw");
        vec![key_set(json!([other, jwk]))]
    })
    .await;
    id.unwrap();
    let (id, _) = verify_with_key_set(|jwk, _| {
        let mut other = jwk.clone();
        other["n"] = json!("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw");
        vec![key_set(json!([other.clone(), other]))]
    })
    .await;
    let e = id.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("signature"), "{e}");

    // Keys that cannot be used are left out; with no usable key under the kid, the token is
    // refused naming the kid (after the one refetch, which gets the same set).
    type Breaker = fn(&mut Value);
    let broken: &[(&str, Breaker)] = &[
        ("modulus not base64url", |k| {
            k["n"] = json!("!!!not-base64!!!")
        }),
        ("no exponent", |k| {
            k.as_object_mut().unwrap().remove("e");
        }),
        ("modulus is a number", |k| k["n"] = json!(12345)),
        ("kty missing", |k| {
            k.as_object_mut().unwrap().remove("kty");
        }),
        ("kty oct (a symmetric key)", |k| {
            *k = json!({"kty": "oct", "kid": k["kid"], "k": "c2VjcmV0"});
        }),
        ("use enc", |k| k["use"] = json!("enc")),
        ("not an object", |k| *k = json!("a key")),
    ];
    for (case, breaker) in broken {
        let (id, logout) = verify_with_key_set(|jwk, _| {
            let mut k = jwk.clone();
            breaker(&mut k);
            let set = key_set(json!([k]));
            vec![set.clone(), set]
        })
        .await;
        for (which, outcome) in [("ID token", id), ("logout token", logout)] {
            let e = outcome.expect_err(case);
            assert_eq!(
                e.kind(),
                ErrorKind::TokenValidation,
                "{case} / {which}: {e}"
            );
            assert!(
                e.message().contains("no key with kid"),
                "{case} / {which}: {e}"
            );
            assert_clean(&e);
        }
    }

    // A key of another type (EC) or for another algorithm under the kid: refused, naming the
    // algorithm.
    let (id, _) = verify_with_key_set(|jwk, _| {
        let mut k = jwk.clone();
        k["alg"] = json!("RS512");
        vec![key_set(json!([k]))]
    })
    .await;
    let e = id.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("not a key for RS256"), "{e}");
    let (id, _) = verify_with_key_set(|jwk, _| {
        vec![key_set(json!([{
            "kty": "EC", "kid": jwk["kid"], "crv": "P-256", "use": "sig",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        }]))]
    })
    .await;
    let e = id.unwrap_err();
    assert!(e.message().contains("not a key for RS256"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Hostile numbers in otherwise valid answers: no overflow, no panic, no endless wait.

#[tokio::test]
async fn absurd_lifetimes_in_token_answers_do_not_overflow() {
    let t = demo_tenant().await;
    let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
    for expires_in in [
        "18446744073709551615",
        "1e300",
        "-5",
        "\"18446744073709551615\"",
    ] {
        t.inject_fault(
            "/oauth/token",
            Fault::Status(
                200,
                format!(
                    r#"{{"access_token":"at","token_type":"Bearer","expires_in":{expires_in}}}"#
                ),
            ),
            1,
        );
        let tokens = bounded(c.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap_or_else(|e| panic!("{expires_in}: {e}"));
        assert!(
            tokens.expires_at >= now(),
            "{expires_in}: {}",
            tokens.expires_at
        );
    }
    t.inject_fault(
        "/anonymous/token",
        Fault::Status(
            200,
            r#"{"access_token":"at","expires_in":18446744073709551615,"session_token":"st","session_expires_in":18446744073709551615}"#.into(),
        ),
        1,
    );
    let session = bounded(
        c.anonymous()
            .create_session(auth0_auth::AnonymousSessionRequest::new()),
    )
    .await
    .unwrap();
    assert_eq!(session.expires_at, u64::MAX);
}

#[tokio::test]
async fn absurd_poll_intervals_and_lifetimes_end_without_a_panic() {
    let t = demo_tenant().await;
    let c = confidential(&t).timeout(TIMEOUT).build().unwrap();
    // A server that names a lifetime or an interval past any representable time.
    for (expires_in, interval) in [(u64::MAX, 1), (u64::MAX, u64::MAX), (600, u64::MAX), (0, 1)] {
        let answer =
            json!({"auth_req_id": "req-1", "expires_in": expires_in, "interval": interval});
        t.inject_fault("/bc-authorize", Fault::Status(200, answer.to_string()), 1);
        // The first poll answers access_denied, so a sane schedule ends at once.
        t.inject_fault(
            "/oauth/token",
            Fault::Status(400, r#"{"error":"access_denied"}"#.into()),
            1,
        );
        let e = bounded(
            c.backchannel_authentication(BackchannelAuthenticationRequest::new(
                auth0_auth::UserId::new("auth0|jane"),
                "bind-1",
            )),
        )
        .await
        .unwrap_err();
        t.clear_faults();
        assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
        // A wait that ends past the lifetime (or past any representable time) is an expiry;
        // otherwise the first poll's answer ends it.
        let expected = if interval == 1 && expires_in > 1 {
            "access_denied"
        } else {
            "expired_token"
        };
        assert_eq!(
            e.oauth().unwrap().error,
            expected,
            "{expires_in}/{interval}: {e}"
        );
    }
}
