//! The other `ServerClient` operations against the emulator: account linking URLs, Token Vault
//! tokens cached in the session, back-channel (CIBA) login, and passwordless login.

mod common;

use std::time::Duration;

use auth0_auth::{Connection, ExposeSecret, UserId};
use auth0_emulator::demo;
use auth0_server::{
    CompleteInteractiveLoginRequest, CompletePasswordlessRequest, ConnectionTokenRequest,
    CookieJar, CustomTokenExchangeRequest, LinkUserRequest, LoginBackchannelRequest,
    MemoryCookieJar, SessionConfig, StartPasswordlessRequest, UnlinkUserRequest,
};
use common::*;
use serde_json::json;

#[tokio::test]
async fn linking_needs_a_session_and_keeps_a_transaction() {
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    let err = client
        .start_link_user(
            LinkUserRequest::new(Connection::new("google-oauth2")),
            &mut jar,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_session_error");
    assert!(jar.changes().is_empty());

    login(&client, &mut jar, json!(null)).await;
    let id_token = client
        .get_session(&mut jar)
        .await
        .unwrap()
        .unwrap()
        .id_token
        .unwrap();
    let url = bounded(
        client.start_link_user(
            LinkUserRequest::new(Connection::new("google-oauth2"))
                .connection_scope("calendar")
                .app_state(json!({"step": "link"})),
            &mut jar,
        ),
    )
    .await
    .unwrap();
    let q: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("requested_connection"), Some("google-oauth2"));
    assert_eq!(get("requested_connection_scope"), Some("calendar"));
    assert_eq!(get("id_token_hint"), Some(id_token.expose_secret()));
    assert_eq!(get("redirect_uri"), Some(CALLBACK));
    assert!(jar.get("__a0_tx").is_some());

    let url = bounded(client.start_unlink_user(
        UnlinkUserRequest::new(Connection::new("google-oauth2")),
        &mut jar,
    ))
    .await
    .unwrap();
    assert!(url.query().unwrap().contains("unlink_account"), "{url}");
}

#[tokio::test]
async fn token_vault_tokens_are_kept_in_the_session_per_connection_and_hint() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let client = stateful(&t, clock.clone());
    let mut jar = MemoryCookieJar::new();
    let err = client
        .get_access_token_for_connection(
            ConnectionTokenRequest::new(Connection::new("google-oauth2")),
            &mut jar,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_session_error");

    login(&client, &mut jar, json!(null)).await;
    let before = t.requests_to("/oauth/token").len();
    let work = bounded(client.get_access_token_for_connection(
        ConnectionTokenRequest::new(Connection::new("google-oauth2")).login_hint("jane@work.com"),
        &mut jar,
    ))
    .await
    .unwrap();
    assert_eq!(work.access_token.expose_secret(), "google-token-2");
    // Asked again: from the session.
    let again = client
        .get_access_token_for_connection(
            ConnectionTokenRequest::new(Connection::new("google-oauth2"))
                .login_hint("jane@work.com"),
            &mut jar,
        )
        .await
        .unwrap();
    assert_eq!(again.access_token.expose_secret(), "google-token-2");
    assert_eq!(t.requests_to("/oauth/token").len(), before + 1);
    // Another account of the same connection is another entry.
    let personal = bounded(client.get_access_token_for_connection(
        ConnectionTokenRequest::new(Connection::new("google-oauth2")).login_hint("jane@gmail.com"),
        &mut jar,
    ))
    .await
    .unwrap();
    assert_eq!(personal.access_token.expose_secret(), "google-token-1");
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    assert_eq!(session.connection_token_sets.as_ref().unwrap().len(), 2);
    // Expired: exchanged again.
    clock.advance(2 * 3600);
    client
        .get_access_token_for_connection(
            ConnectionTokenRequest::new(Connection::new("google-oauth2"))
                .login_hint("jane@work.com"),
            &mut jar,
        )
        .await
        .unwrap();
    assert_eq!(t.requests_to("/oauth/token").len(), before + 3);
}

#[tokio::test]
async fn a_backchannel_login_keeps_a_session() {
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    let approve = async {
        for _ in 0..200 {
            if let Some(r) = t.ciba_requests().pop() {
                assert!(t.approve_ciba(r.auth_req_id.as_str()));
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no CIBA request arrived");
    };
    let (done, ()) = bounded(async {
        tokio::join!(
            client.login_backchannel(
                LoginBackchannelRequest::new(UserId::new(demo_user_id()), "Approve the login?"),
                &mut jar,
            ),
            approve
        )
    })
    .await;
    done.unwrap();
    let user = client.get_user(&mut jar).await.unwrap().expect("a session");
    assert_eq!(user.sub(), Some(demo_user_id().as_str()));
    assert!(jar.get("__a0_session.0").is_some());
}

#[tokio::test]
async fn a_passwordless_code_logs_in() {
    let t = tenant().await;
    let client = stateful(&t, ManualClock::new());
    let mut start_jar = MemoryCookieJar::new();
    bounded(client.start_passwordless(
        StartPasswordlessRequest::email(demo::USERNAME).language("fr"),
        &mut start_jar,
    ))
    .await
    .unwrap();
    assert!(start_jar.changes().is_empty(), "a code keeps nothing");
    let sent = t.requests_to("/passwordless/start").pop().unwrap();
    assert_eq!(sent.header("x-request-language"), Some("fr"));
    let code = t.last_passwordless_code(demo::USERNAME).unwrap();
    let mut jar = MemoryCookieJar::new();
    bounded(client.complete_passwordless(
        CompletePasswordlessRequest::email(demo::USERNAME, code.into()),
        &mut jar,
    ))
    .await
    .unwrap();
    let session = client
        .get_session(&mut jar)
        .await
        .unwrap()
        .expect("a session");
    assert_eq!(session.user.as_ref().unwrap()["email"], demo::USERNAME);
    assert_eq!(session.token_sets[0].audience, demo::AUDIENCE);
    // A wrong code keeps no session.
    let mut other = MemoryCookieJar::new();
    let err = bounded(client.complete_passwordless(
        CompletePasswordlessRequest::email(demo::USERNAME, "000000".to_owned().into()),
        &mut other,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, auth0_server::Error::Auth(_)), "{err}");
    assert!(other.changes().is_empty());
}

#[tokio::test]
async fn a_magic_link_logs_in_and_its_state_is_checked() {
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    bounded(client.start_passwordless(
        StartPasswordlessRequest::email_link(demo::USERNAME, CALLBACK),
        &mut jar,
    ))
    .await
    .unwrap();
    assert!(jar.get("__a0_tx").is_some(), "the state is kept");
    let link = t
        .last_passwordless_link(demo::USERNAME)
        .expect("a link was sent");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let followed = bounded(http.get(&link).send()).await.unwrap();
    let callback = followed.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(CALLBACK), "{callback}");

    // A callback with another state is refused and keeps nothing.
    let mut forged_jar = jar.clone();
    let forged = callback.replace("state=", "state=x");
    let err = bounded(client.complete_passwordless_magic_link(
        CompleteInteractiveLoginRequest::new(forged),
        &mut forged_jar,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, auth0_server::Error::Auth(_)), "{err}");
    assert!(forged_jar.get("__a0_session.0").is_none());

    bounded(client.complete_passwordless_magic_link(
        CompleteInteractiveLoginRequest::new(callback),
        &mut jar,
    ))
    .await
    .unwrap();
    assert!(jar.get("__a0_tx").is_none(), "the transaction is used up");
    let user = client.get_user(&mut jar).await.unwrap().expect("a session");
    assert_eq!(user.email(), Some(demo::USERNAME));
    // A magic-link transaction does not complete an interactive login.
    let mut other = MemoryCookieJar::new();
    client
        .start_passwordless(
            StartPasswordlessRequest::email_link(demo::USERNAME, CALLBACK),
            &mut other,
        )
        .await
        .unwrap();
    let err = client
        .complete_interactive_login(
            CompleteInteractiveLoginRequest::new(format!("{CALLBACK}?code=c")),
            &mut other,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_transaction_error");
}

#[tokio::test]
async fn a_custom_token_exchange_logs_in_or_just_returns_tokens() {
    let t = tenant().await;
    let client = stateful(&t, ManualClock::new());
    let plain = bounded(
        client.custom_token_exchange(CustomTokenExchangeRequest::new(
            LEGACY_TOKEN_TYPE,
            LEGACY_TOKEN.to_owned().into(),
        )),
    )
    .await
    .unwrap();
    assert!(!plain.access_token.expose_secret().is_empty());
    assert_eq!(
        client.state_store().store().len().await,
        0,
        "no session side effect"
    );

    let mut jar = MemoryCookieJar::new();
    bounded(
        client.login_with_custom_token_exchange(
            CustomTokenExchangeRequest::new(LEGACY_TOKEN_TYPE, LEGACY_TOKEN.to_owned().into())
                .audience(SECOND_API),
            &mut jar,
        ),
    )
    .await
    .unwrap();
    let session = client
        .get_session(&mut jar)
        .await
        .unwrap()
        .expect("a session");
    assert_eq!(session.sub(), Some(demo_user_id().as_str()));
    assert_eq!(session.token_sets[0].audience, SECOND_API);
    let err = bounded(client.login_with_custom_token_exchange(
        CustomTokenExchangeRequest::new(LEGACY_TOKEN_TYPE, "not-a-known-token".to_owned().into()),
        &mut MemoryCookieJar::new(),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, auth0_server::Error::Auth(_)), "{err}");
}

#[tokio::test]
async fn an_mfa_verification_completes_the_login_and_keeps_a_session() {
    use auth0_auth::{EnrollRequest, Enrollment, MfaVerification, PasswordRequest};
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let err = bounded(
        client.auth_client().get_token_by_password(
            PasswordRequest::new(demo::MFA_USERNAME, demo::PASSWORD.into())
                .scope("openid profile email offline_access")
                .audience(demo::AUDIENCE),
        ),
    )
    .await
    .unwrap_err();
    let mfa_token: auth0_auth::SecretString = err.mfa_token().unwrap().to_owned().into();
    let Enrollment::Otp(otp) = bounded(
        client
            .mfa(mfa_token.clone())
            .enroll_authenticator(EnrollRequest::otp()),
    )
    .await
    .unwrap() else {
        panic!("an OTP enrollment");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = auth0_emulator::totp_code(otp.secret.expose_secret(), now).unwrap();
    let mut jar = MemoryCookieJar::new();
    bounded(client.complete_mfa_login(
        auth0_server::MfaLoginRequest::new(mfa_token, MfaVerification::otp(code.into())),
        &mut jar,
    ))
    .await
    .unwrap();
    let user = client.get_user(&mut jar).await.unwrap().expect("a session");
    assert_eq!(user.email(), Some(demo::MFA_USERNAME));
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    assert_eq!(session.token_sets[0].audience, demo::AUDIENCE);
}

#[tokio::test]
async fn a_passkey_sign_up_then_login_keeps_a_session() {
    use auth0_auth::{
        PasskeyChallengeRequest, PasskeyCredential, PasskeyRegisterRequest, PasskeyUserProfile,
    };
    use auth0_emulator::webauthn::SoftwareAuthenticator;
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut authenticator = SoftwareAuthenticator::new(PASSKEY_RP, PASSKEY_ORIGIN);

    // Sign-up: the challenge, the browser's credential, then the session.
    let signup = bounded(
        client.passkey().register(PasskeyRegisterRequest::new(
            PasskeyUserProfile::new()
                .email("pat@example.com")
                .name("Pat Key"),
        )),
    )
    .await
    .unwrap();
    let options = serde_json::to_value(&signup.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.create(&options)).unwrap();
    let mut jar = MemoryCookieJar::new();
    bounded(client.complete_passkey_login(
        auth0_server::PasskeyLoginRequest::new(signup.auth_session.clone(), credential),
        &mut jar,
    ))
    .await
    .unwrap();
    let user = client.get_user(&mut jar).await.unwrap().expect("a session");
    assert_eq!(user.email(), Some("pat@example.com"));

    // Login with the stored passkey, in another browser.
    let login = bounded(client.passkey().challenge(PasskeyChallengeRequest::new()))
        .await
        .unwrap();
    let options = serde_json::to_value(&login.authn_params_public_key).unwrap();
    let credential: PasskeyCredential =
        serde_json::from_value(authenticator.get(&options).expect("a stored credential")).unwrap();
    let mut other = MemoryCookieJar::new();
    bounded(client.complete_passkey_login(
        auth0_server::PasskeyLoginRequest::new(login.auth_session.clone(), credential.clone()),
        &mut other,
    ))
    .await
    .unwrap();
    let session = client
        .get_session(&mut other)
        .await
        .unwrap()
        .expect("a session");
    assert_eq!(session.user.as_ref().unwrap()["email"], "pat@example.com");
    assert_eq!(session.token_sets[0].audience, demo::AUDIENCE);
    // The challenge is single-use: a replay keeps nothing.
    let mut third = MemoryCookieJar::new();
    assert!(
        client
            .complete_passkey_login(
                auth0_server::PasskeyLoginRequest::new(login.auth_session, credential),
                &mut third,
            )
            .await
            .is_err()
    );
    assert!(third.changes().is_empty());
}
