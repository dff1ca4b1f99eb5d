//! The blocking API: the same operations from synchronous code, and from inside a runtime.

use auth0_auth::{ClientCredentialsRequest, ExposeSecret, PasswordRequest, RefreshTokenRequest};
use auth0_emulator::{Emulator, RunningEmulator, demo};

/// Starts the demo tenant on a runtime of its own and keeps the runtime alive with it.
fn tenant() -> (tokio::runtime::Runtime, RunningEmulator) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime
        .block_on(async {
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                Emulator::builder().demo_tenant().start(),
            )
            .await
        })
        .expect("the emulator starts in time")
        .expect("the emulator starts");
    (runtime, emulator)
}

fn client(t: &RunningEmulator) -> auth0_auth::blocking::AuthClient {
    auth0_auth::AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .timeout(std::time::Duration::from_secs(10))
        .build_blocking()
        .unwrap()
}

#[test]
fn synchronous_code_gets_tokens_refreshes_and_sees_errors() {
    let (_runtime, t) = tenant();
    let c = client(&t);
    let m2m = c
        .get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE))
        .unwrap();
    assert!(!m2m.access_token.expose_secret().is_empty());
    let tokens = c
        .get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid offline_access"),
        )
        .unwrap();
    assert!(tokens.claims.is_some());
    let refresh = tokens.refresh_token.unwrap();
    c.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.clone()))
        .unwrap();
    let e = c
        .get_token_by_password(PasswordRequest::new(demo::USERNAME, "wrong".into()))
        .unwrap_err();
    assert_eq!(e.code().as_str(), "token_by_password_error");
    let e = c.mfa("nope".into()).list_authenticators().unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_list_authenticators_error");
}

#[test]
fn calling_it_from_inside_a_runtime_does_not_panic() {
    let (runtime, t) = tenant();
    let c = client(&t);
    let metadata = runtime.block_on(async { c.server_metadata() }).unwrap();
    assert_eq!(metadata.issuer, t.issuer());
}
