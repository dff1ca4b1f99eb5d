//! Passkeys end to end with the emulator's software authenticator standing in for a browser.

mod common;

use auth0_auth::{
    PasskeyChallengeRequest, PasskeyCredential, PasskeyRegisterRequest, PasskeyTokenRequest,
    PasskeyUserProfile, UserMetadata,
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
    PasskeyUserProfile::new().email(email).name("Pat Key")
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
    bounded(c.passkey().get_token_by_passkey(
        PasskeyTokenRequest::new(challenge.auth_session.clone(), credential).scope("openid email"),
    ))
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
            "client_secret": demo::CLIENT_SECRET,
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
    bounded(
        public_client(&t)
            .passkey()
            .challenge(PasskeyChallengeRequest::new()),
    )
    .await
    .unwrap();
    let login = bounded(
        client(&t)
            .passkey()
            .challenge(PasskeyChallengeRequest::new()),
    )
    .await
    .unwrap();
    assert_eq!(login.authn_params_public_key.rp_id, RP);
    let options = serde_json::to_value(&login.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.get(&options).expect("a stored credential")).unwrap();
    let tokens = bounded(
        client(&t).passkey().get_token_by_passkey(
            PasskeyTokenRequest::new(login.auth_session.clone(), credential.clone())
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
                login.auth_session.clone(),
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
    let first = bounded(c.passkey().challenge(PasskeyChallengeRequest::new()))
        .await
        .unwrap();
    let second = bounded(c.passkey().challenge(PasskeyChallengeRequest::new()))
        .await
        .unwrap();
    let options = serde_json::to_value(&first.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.get(&options).unwrap()).unwrap();
    let e = bounded(c.passkey().get_token_by_passkey(PasskeyTokenRequest::new(
        second.auth_session.clone(),
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
        challenge.auth_session.clone(),
        credential,
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "missing_client_auth_error");
    assert!(t.requests().is_empty());
}

/// Wire parity with the reference SDK: both challenge requests of a client with a secret carry
/// `client_secret` (Auth0 requires it of confidential `client_secret_post` applications), and a
/// public client's carry none.
#[tokio::test]
async fn passkey_challenges_carry_the_client_secret_of_a_confidential_client_only() {
    let t = passkey_tenant().await;
    let confidential = client(&t);
    bounded(
        confidential
            .passkey()
            .register(PasskeyRegisterRequest::new(profile("conf@example.com"))),
    )
    .await
    .unwrap();
    bounded(
        confidential.passkey().challenge(
            PasskeyChallengeRequest::new()
                .realm(auth0_emulator::DEFAULT_CONNECTION)
                .organization(demo::ORGANIZATION_ID),
        ),
    )
    .await
    .ok();
    let register = t.requests_to("/passkey/register").pop().unwrap();
    let register = register.json().unwrap();
    assert_eq!(register["client_id"], demo::CLIENT_ID);
    assert_eq!(register["client_secret"], demo::CLIENT_SECRET);
    let challenge = t.requests_to("/passkey/challenge").pop().unwrap();
    let challenge = challenge.json().unwrap();
    assert_eq!(
        challenge,
        serde_json::json!({
            "client_id": demo::CLIENT_ID,
            "client_secret": demo::CLIENT_SECRET,
            "realm": auth0_emulator::DEFAULT_CONNECTION,
            "organization": demo::ORGANIZATION_ID,
        })
    );

    t.clear_requests();
    let public = public_client(&t);
    bounded(
        public
            .passkey()
            .register(PasskeyRegisterRequest::new(profile("public@example.com"))),
    )
    .await
    .unwrap();
    bounded(public.passkey().challenge(PasskeyChallengeRequest::new()))
        .await
        .unwrap();
    for path in ["/passkey/register", "/passkey/challenge"] {
        let body = t.requests_to(path).pop().unwrap().json().unwrap();
        assert_eq!(body["client_id"], demo::PUBLIC_CLIENT_ID, "{path}");
        assert!(body.get("client_secret").is_none(), "{path}: {body}");
    }
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_by_the_passkey_endpoints() {
    let t = passkey_tenant().await;
    let wrong = auth0_auth::AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret("not-the-secret")
        .build()
        .unwrap();
    let e = bounded(wrong.passkey().challenge(PasskeyChallengeRequest::new()))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "passkey_challenge_error");
    assert_eq!(e.oauth().unwrap().error, "invalid_client");
}

#[tokio::test]
async fn sign_up_metadata_is_sent_as_strings_and_checked_before_sending() {
    let t = passkey_tenant().await;
    let c = client(&t);
    bounded(
        c.passkey().register(
            PasskeyRegisterRequest::new(profile("meta@example.com"))
                .user_metadata(UserMetadata::new().insert("plan", "pro")),
        ),
    )
    .await
    .unwrap();
    let body = t
        .requests_to("/passkey/register")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["user_metadata"], serde_json::json!({"plan": "pro"}));

    t.clear_requests();
    let too_many: UserMetadata = (0..=auth0_auth::MAX_USER_METADATA_KEYS)
        .map(|i| (format!("k{i}"), "v"))
        .collect();
    let e = bounded(c.passkey().register(
        PasskeyRegisterRequest::new(profile("meta2@example.com")).user_metadata(too_many),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "passkey_register_error");
    assert_eq!(e.kind(), auth0_auth::ErrorKind::InvalidInput);
    assert!(t.requests().is_empty());
}

#[tokio::test]
async fn an_auth_session_survives_a_round_trip_through_storage() {
    let t = passkey_tenant().await;
    let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
    let c = client(&t);
    let challenge = bounded(
        c.passkey()
            .register(PasskeyRegisterRequest::new(profile("stored@example.com"))),
    )
    .await
    .unwrap();
    // An app keeps the session between the two requests (say, in a cookie store).
    let stored = serde_json::to_string(&challenge.auth_session).unwrap();
    assert!(!format!("{challenge:?}").contains(challenge.auth_session.expose_secret()));
    let restored: auth0_auth::AuthSession = serde_json::from_str(&stored).unwrap();
    let options = serde_json::to_value(&challenge.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.create(&options)).unwrap();
    let tokens = bounded(c.passkey().get_token_by_passkey(
        PasskeyTokenRequest::new(restored, credential).scope("openid email"),
    ))
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), Some("stored@example.com"));
}
