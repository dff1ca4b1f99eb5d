//! Beyond the reference: DPoP, the device flow, every client authentication method, retries
//! that respect rate limits — and the blocking API running the same scenarios.

mod common;

use std::time::Duration;

use auth0_auth::{
    AuthClient, ClientCredentialsRequest, ClientSecretMethod, DeviceAuthorizationRequest, DpopKey,
    ErrorKind, ExposeSecret, PasswordRequest, RefreshTokenRequest, RetryPolicy, SigningAlgorithm,
};
use auth0_emulator::{ClientConfig, Emulator, Fault, RunningEmulator, demo, keys};
use common::{bounded, claims_of, confidential, demo_tenant, public_client, tenant};

// ---- DPoP -------------------------------------------------------------------------------------

#[tokio::test]
async fn dpop_binds_tokens_and_answers_a_nonce_challenge_once() {
    let t = tenant(Emulator::builder().demo_tenant().dpop_nonce_required(true)).await;
    let key = DpopKey::generate().unwrap();
    let thumbprint = key.thumbprint().to_string();
    let c = confidential(&t).dpop_key(key).build().unwrap();
    let tokens = bounded(
        c.get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid profile email offline_access"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.token_type.as_deref(), Some("dpop"));
    let access = tokens.access_token.expose_secret();
    assert_eq!(claims_of(access)["cnf"]["jkt"], thumbprint.as_str());
    // The first proof had no nonce; the server demanded one; the second carried it.
    let sent = t.requests_to("/oauth/token");
    assert_eq!(sent.len(), 2, "one nonce challenge, answered once");
    let first = claims_of(sent[0].header("dpop").unwrap());
    let second = claims_of(sent[1].header("dpop").unwrap());
    assert!(first.get("nonce").is_none());
    assert!(second["nonce"].is_string());
    assert_eq!(second["htm"], "POST");
    assert_ne!(first["jti"], second["jti"]);

    // The refresh token is bound to the key too; the known nonce is reused at once.
    let refresh = tokens.refresh_token.as_ref().unwrap().expose_secret();
    let again = bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.into())))
        .await
        .unwrap();
    assert_eq!(again.token_type.as_deref(), Some("dpop"));
    assert_eq!(t.requests_to("/oauth/token").len(), 3);

    // User info with the bound token: `Authorization: DPoP`, a proof with `ath`.
    let user = bounded(c.get_user_info(auth0_auth::UserInfoRequest::new(access.into())))
        .await
        .unwrap();
    assert_eq!(user.email(), Some(demo::USERNAME));
    let asked = t.requests_to("/userinfo").pop().unwrap();
    assert!(asked.header("authorization").unwrap().starts_with("DPoP "));
    assert!(claims_of(asked.header("dpop").unwrap())["ath"].is_string());

    // A proof for the caller's own API.
    let proof = c
        .dpop_proof(
            auth0_auth::DpopProofRequest::new(
                auth0_auth::reqwest::Method::GET,
                "https://api.example.com/orders?page=2",
            )
            .access_token(access.into()),
        )
        .unwrap()
        .expect("a proof");
    let claims = claims_of(&proof);
    assert_eq!(claims["htu"], "https://api.example.com/orders");
    assert_eq!(claims["htm"], "GET");
}

#[tokio::test]
async fn without_a_dpop_key_tokens_stay_bearer() {
    let t = demo_tenant().await;
    let c = common::client(&t);
    let tokens = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    assert_eq!(tokens.token_type.as_deref(), Some("bearer"));
    assert!(t.requests_to("/oauth/token")[0].header("dpop").is_none());
    let request = auth0_auth::DpopProofRequest::new(auth0_auth::reqwest::Method::GET, "https://x/");
    assert!(c.dpop_proof(request).unwrap().is_none());
}

// ---- Device flow ------------------------------------------------------------------------------

async fn device_tenant() -> RunningEmulator {
    tenant(Emulator::builder().demo_tenant().device_interval(1)).await
}

#[tokio::test]
async fn the_device_flow_completes_when_the_user_approves() {
    let t = device_tenant().await;
    let c = public_client(&t);
    let started = bounded(c.start_device_authorization(
        DeviceAuthorizationRequest::new().scope("openid profile offline_access"),
    ))
    .await
    .unwrap();
    assert!(started.verification_uri.ends_with("/activate"));
    assert_eq!(started.interval, Some(1));
    let sent = t.requests_to("/oauth/device/code").pop().unwrap();
    assert_eq!(
        sent.form_value("client_id").as_deref(),
        Some(demo::PUBLIC_CLIENT_ID)
    );
    let approver = t.clone();
    let user_code = started.user_code.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        approver.approve_device(&user_code, demo::USERNAME);
    });
    let tokens = bounded(c.poll_device_authorization(&started))
        .await
        .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), None, "no email scope asked");
    assert!(tokens.refresh_token.is_some());
    let polls = t.device_poll_times(&started.user_code);
    assert!(polls.len() >= 2);
    for pair in polls.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(950),
            "{:?}",
            pair[1] - pair[0]
        );
    }
    let grant = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        grant.form_value("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
}

#[tokio::test]
async fn a_denied_device_ends_with_access_denied() {
    let t = device_tenant().await;
    let c = public_client(&t);
    let started = bounded(c.start_device_authorization(DeviceAuthorizationRequest::new()))
        .await
        .unwrap();
    assert!(t.deny_device(&started.user_code));
    let e = bounded(c.poll_device_authorization(&started))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "device_authorization_error");
    assert_eq!(e.oauth().unwrap().error, "access_denied");
}

#[tokio::test]
async fn an_unanswered_device_code_expires() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .device_interval(1)
            .device_code_lifetime(Duration::from_secs(3)),
    )
    .await;
    let c = public_client(&t);
    let started = bounded(c.start_device_authorization(DeviceAuthorizationRequest::new()))
        .await
        .unwrap();
    let e = bounded(c.poll_device_authorization(&started))
        .await
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "expired_token");
}

#[tokio::test]
async fn polling_too_fast_is_slowed_down_by_five_seconds() {
    let t = device_tenant().await;
    let c = public_client(&t);
    let started = bounded(c.start_device_authorization(DeviceAuthorizationRequest::new()))
        .await
        .unwrap();
    let e = bounded(c.device_code_grant(&started.device_code))
        .await
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "slow_down");
}

// ---- Client authentication --------------------------------------------------------------------

async fn authenticates(c: AuthClient, t: &RunningEmulator) -> auth0_emulator::RecordedRequest {
    bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    t.requests_to("/oauth/token").pop().unwrap()
}

#[tokio::test]
async fn every_client_authentication_method_is_accepted_by_the_tenant() {
    let t = demo_tenant().await;
    let post = authenticates(confidential(&t).build().unwrap(), &t).await;
    assert_eq!(
        post.form_value("client_secret").as_deref(),
        Some(demo::CLIENT_SECRET)
    );

    let basic = authenticates(
        confidential(&t)
            .client_secret_method(ClientSecretMethod::Basic)
            .build()
            .unwrap(),
        &t,
    )
    .await;
    assert!(basic.header("authorization").unwrap().starts_with("Basic "));
    assert!(basic.form_value("client_secret").is_none());
    assert!(basic.form_value("client_id").is_none());

    let jwt = authenticates(
        confidential(&t)
            .client_secret_method(ClientSecretMethod::Jwt)
            .build()
            .unwrap(),
        &t,
    )
    .await;
    assert!(jwt.form_value("client_secret").is_none());
    assert!(!jwt.body.contains(demo::CLIENT_SECRET));
    let assertion = jwt.form_value("client_assertion").unwrap();
    assert_eq!(claims_of(&assertion)["iss"], demo::CLIENT_ID);

    let key = keys::generate_ec_p384();
    let t2 = tenant(
        Emulator::builder().demo_tenant().client(
            ClientConfig::private_key_jwt("pk", &key.public_key_pem)
                .grant_audience(demo::AUDIENCE, &["read:messages"]),
        ),
    )
    .await;
    authenticates(
        AuthClient::builder(t2.base_url(), "pk")
            .client_assertion_signing_key(&key.private_key_pem)
            .client_assertion_signing_alg(SigningAlgorithm::ES384)
            .build()
            .unwrap(),
        &t2,
    )
    .await;
}

#[tokio::test]
async fn a_client_secret_jwt_with_the_wrong_secret_is_refused() {
    let t = demo_tenant().await;
    let c = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret("not-the-secret")
        .client_secret_method(ClientSecretMethod::Jwt)
        .build()
        .unwrap();
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_client");
}

// ---- Retries ----------------------------------------------------------------------------------

fn retrying(t: &RunningEmulator, policy: RetryPolicy) -> AuthClient {
    confidential(t).retry_policy(policy).build().unwrap()
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_and_then_succeeds() {
    let t = demo_tenant().await;
    let c = retrying(&t, RetryPolicy::default());
    bounded(c.server_metadata()).await.unwrap();
    t.inject_fault(
        "/oauth/token",
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let started = std::time::Instant::now();
    bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After"
    );
    assert_eq!(t.requests_to("/oauth/token").len(), 2);
}

#[tokio::test]
async fn exhausting_the_retries_gives_a_clear_error_with_rate_limit_details() {
    let t = demo_tenant().await;
    let c = retrying(&t, RetryPolicy::default().max_retries(2));
    bounded(c.server_metadata()).await.unwrap();
    t.inject_fault(
        "/oauth/token",
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        5,
    );
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), Some(429));
    assert!(e.message().contains("not retried"), "{e}");
    let limit = e.rate_limit().expect("rate-limit details");
    assert_eq!(limit.retry_after, Some(Duration::ZERO));
    assert_eq!(
        t.requests_to("/oauth/token").len(),
        3,
        "one try and two retries"
    );
}

#[tokio::test]
async fn a_budget_of_zero_means_no_retries_and_errors_say_so() {
    let t = demo_tenant().await;
    let c = retrying(&t, RetryPolicy::default().budget_per_minute(0));
    bounded(c.server_metadata()).await.unwrap();
    t.inject_fault(
        "/oauth/token",
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        1,
    );
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert!(e.message().contains("budget"), "{e}");
    assert_eq!(t.requests_to("/oauth/token").len(), 1);
}

#[tokio::test]
async fn token_requests_are_not_retried_on_a_plain_500_but_discovery_is() {
    let t = demo_tenant().await;
    let c = retrying(
        &t,
        RetryPolicy::default().base_delay(Duration::from_millis(10)),
    );
    t.inject_fault(
        "/.well-known/openid-configuration",
        Fault::ServerErrorHtml,
        1,
    );
    bounded(c.server_metadata()).await.unwrap();
    assert_eq!(t.requests_to("/.well-known/openid-configuration").len(), 2);
    t.inject_fault("/oauth/token", Fault::ServerErrorHtml, 1);
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert_eq!(t.requests_to("/oauth/token").len(), 1);
}

// ---- The same scenarios, blocking -------------------------------------------------------------

#[test]
fn the_blocking_api_runs_the_same_scenarios() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let t = runtime
        .block_on(async {
            tokio::time::timeout(
                Duration::from_secs(30),
                Emulator::builder()
                    .demo_tenant()
                    .device_interval(1)
                    .dpop_nonce_required(true)
                    .start(),
            )
            .await
        })
        .unwrap()
        .unwrap();
    // DPoP with a nonce challenge.
    let c = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .dpop_key(DpopKey::generate().unwrap())
        .retry_policy(RetryPolicy::default())
        .build_blocking()
        .unwrap();
    let tokens = c
        .get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE))
        .unwrap();
    assert_eq!(tokens.token_type.as_deref(), Some("dpop"));
    // A retried 429.
    t.inject_fault(
        "/oauth/token",
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        1,
    );
    c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE))
        .unwrap();
    // The device flow.
    let public = AuthClient::builder(t.base_url(), demo::PUBLIC_CLIENT_ID)
        .build_blocking()
        .unwrap();
    let started = public
        .start_device_authorization(DeviceAuthorizationRequest::new())
        .unwrap();
    assert!(t.approve_device(&started.user_code, demo::USERNAME));
    public.poll_device_authorization(&started).unwrap();
    // Basic client authentication.
    let basic = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .client_secret_method(ClientSecretMethod::Basic)
        .build_blocking()
        .unwrap();
    basic
        .get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE))
        .unwrap();
}
