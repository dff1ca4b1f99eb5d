//! Passkeys end to end with the emulator's software authenticator standing in for a browser.

mod common;

use auth0_auth::{
    ExposeSecret, PasskeyCredential, PasskeyRegisterRequest, PasskeyTokenRequest,
    PasskeyUserProfile,
};
use auth0_emulator::webauthn::SoftwareAuthenticator;
use auth0_emulator::{Emulator, RunningEmulator, demo};
use common::{bounded, client, public_client, tenant};

const RP: &str = "localhost";
const ORIGIN: &str = "http://localhost:3000";

async fn passkey_tenant() -> RunningEmulator {
    tenant(Emulator::builder().demo_tenant().passkey_rp(RP, ORIGIN)).await
}

fn profile(email: &str) -> PasskeyUserProfile {
    PasskeyUserProfile {
        email: Some(email.into()),
        name: Some("Pat Key".into()),
        ..Default::default()
    }
}

/// Signs up `email` with a new passkey and returns the tokens.
async fn sign_up(
    t: &RunningEmulator,
    authenticator: &mut SoftwareAuthenticator,
    email: &str,
) -> auth0_auth::TokenResponse {
    let c = client(t);
    let challenge = bounded(
        c.passkey()
            .register(PasskeyRegisterRequest::new(profile(email))),
    )
    .await
    .unwrap();
    // The options go to the browser exactly as received.
    let options = serde_json::to_value(&challenge.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.create(&options)).unwrap();
    bounded(
        c.passkey().get_token_by_passkey(
            PasskeyTokenRequest::new(challenge.auth_session.expose_secret(), credential)
                .scope("openid email"),
        ),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn sign_up_then_log_in_with_a_passkey() {
    let t = passkey_tenant().await;
    let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
    let tokens = sign_up(&t, &mut authenticator, "pat@example.com").await;
    assert_eq!(tokens.claims.unwrap().email(), Some("pat@example.com"));

    let register = t
        .requests_to("/passkey/register")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        register,
        serde_json::json!({
            "client_id": demo::CLIENT_ID,
            "user_profile": {"email": "pat@example.com", "name": "Pat Key"}
        })
    );
    let grant = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(grant.header("content-type"), Some("application/json"));
    let body = grant.json().unwrap();
    assert_eq!(
        body["grant_type"],
        "urn:okta:params:oauth:grant-type:webauthn"
    );
    assert!(
        body["authn_response"].is_object(),
        "a nested object, not a string"
    );
    assert_eq!(body["client_secret"], demo::CLIENT_SECRET);

    // Log in. (The challenge works for public clients too; the session belongs to the client
    // that opened it, so the confidential client opens the one it redeems.)
    bounded(public_client(&t).passkey().challenge(None, None))
        .await
        .unwrap();
    let login = bounded(client(&t).passkey().challenge(None, None))
        .await
        .unwrap();
    assert_eq!(login.authn_params_public_key.rp_id, RP);
    let options = serde_json::to_value(&login.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.get(&options).expect("a stored credential")).unwrap();
    let tokens = bounded(
        client(&t).passkey().get_token_by_passkey(
            PasskeyTokenRequest::new(login.auth_session.expose_secret(), credential.clone())
                .scope("openid email"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), Some("pat@example.com"));

    // The session is single-use.
    let e = bounded(
        client(&t)
            .passkey()
            .get_token_by_passkey(PasskeyTokenRequest::new(
                login.auth_session.expose_secret(),
                credential,
            )),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "passkey_get_token_error");
}

#[tokio::test]
async fn a_credential_for_another_challenge_is_refused() {
    let t = passkey_tenant().await;
    let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
    sign_up(&t, &mut authenticator, "pat2@example.com").await;
    let c = client(&t);
    let first = bounded(c.passkey().challenge(None, None)).await.unwrap();
    let second = bounded(c.passkey().challenge(None, None)).await.unwrap();
    let options = serde_json::to_value(&first.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.get(&options).unwrap()).unwrap();
    let e = bounded(c.passkey().get_token_by_passkey(PasskeyTokenRequest::new(
        second.auth_session.expose_secret(),
        credential,
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "passkey_get_token_error");
    assert!(e.oauth().is_some(), "{e}");
}

#[tokio::test]
async fn the_passkey_grant_needs_a_confidential_client() {
    let t = passkey_tenant().await;
    let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
    let c = public_client(&t);
    let challenge = bounded(
        c.passkey()
            .register(PasskeyRegisterRequest::new(profile("pub@example.com"))),
    )
    .await
    .unwrap();
    let options = serde_json::to_value(&challenge.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.create(&options)).unwrap();
    t.clear_requests();
    let e = bounded(c.passkey().get_token_by_passkey(PasskeyTokenRequest::new(
        challenge.auth_session.expose_secret(),
        credential,
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "missing_client_auth_error");
    assert!(t.requests().is_empty());
}
