//! Secrets never show: `Debug` and `Display` of clients, builders, responses and errors.

mod common;

use auth0_auth::{
    AuthClient, ExposeSecret, PasswordRequest, RefreshTokenRequest, SigningAlgorithm,
};
use auth0_emulator::{demo, keys};
use common::{bounded, client, demo_tenant};

#[tokio::test]
async fn token_responses_print_no_tokens() {
    let t = demo_tenant().await;
    let tokens = bounded(
        client(&t).get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid profile offline_access"),
        ),
    )
    .await
    .unwrap();
    let shown = format!("{tokens:?}");
    for secret in [
        tokens.access_token.expose_secret(),
        tokens.id_token.as_ref().unwrap().expose_secret(),
        tokens.refresh_token.as_ref().unwrap().expose_secret(),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("[redacted]"));
    // The claims are not secret and stay visible for debugging.
    assert!(shown.contains("Jane Doe"));
}

#[tokio::test]
async fn clients_and_builders_print_no_credentials() {
    let t = demo_tenant().await;
    let key = keys::generate_rsa();
    let builder = AuthClient::builder(t.base_url(), "pk-client")
        .client_assertion_signing_key(&key.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::PS256);
    let body = key
        .private_key_pem
        .lines()
        .nth(1)
        .expect("a PEM body line")
        .to_string();
    assert!(!format!("{builder:?}").contains(&body));
    let c = builder.build().unwrap();
    assert!(!format!("{c:?}").contains(&body));
    let c = client(&t);
    assert!(!format!("{c:?}").contains(demo::CLIENT_SECRET));
}

#[tokio::test]
async fn requests_print_no_passwords_or_tokens() {
    let p = PasswordRequest::new("jane@example.com", "sup3r-secret-pw".into());
    assert!(!format!("{p:?}").contains("sup3r-secret-pw"));
    let r = RefreshTokenRequest::new("v1.refresh-token-value".into());
    assert!(!format!("{r:?}").contains("refresh-token-value"));
}
