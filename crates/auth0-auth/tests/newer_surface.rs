//! The reference's newer surface (SPEC section 12): user info, revocation, database
//! connections, one-time codes on database connections, per-request options, home-realm
//! discovery and anonymous sessions.

mod common;

use std::time::Duration;

use auth0_auth::{
    AnonymousSessionRequest, ChangePasswordRequest, ClientCredentialsRequest, ErrorKind,
    ExposeSecret, OtpChallengeRequest, PasswordRequest, PasswordlessDbTokenRequest,
    RefreshTokenRequest, RequestOptions, ResponseRecorder, SignUpRequest, TokenTypeHint,
};
use auth0_emulator::{Emulator, Fault, demo};
use common::{bounded, client, demo_tenant, public_client, tenant};

const DB: &str = "Username-Password-Authentication";

async fn janes_tokens(c: &auth0_auth::AuthClient) -> auth0_auth::TokenResponse {
    bounded(
        c.get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid profile email offline_access"),
        ),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn user_info_returns_the_users_claims_and_checks_the_subject() {
    let t = demo_tenant().await;
    let tokens = janes_tokens(&client(&t)).await;
    let access = tokens.access_token.expose_secret();
    let sub = tokens.claims.as_ref().unwrap().sub().unwrap().to_string();
    // Public clients may call it too.
    let user = bounded(
        public_client(&t).get_user_info(
            auth0_auth::UserInfoRequest::new(access.into())
                .expected_subject(auth0_auth::UserId::new(&sub)),
        ),
    )
    .await
    .unwrap();
    assert_eq!(user.email(), Some(demo::USERNAME));
    let sent = t.requests_to("/userinfo").pop().unwrap();
    assert_eq!(sent.method, "GET");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {access}").as_str())
    );
    let e = bounded(
        client(&t).get_user_info(
            auth0_auth::UserInfoRequest::new(access.into())
                .expected_subject(auth0_auth::UserId::new("auth0|someone-else")),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "user_info_error");
    assert!(e.message().contains("subject"), "{e}");
}

#[tokio::test]
async fn a_bad_access_token_gives_the_www_authenticate_error() {
    let t = demo_tenant().await;
    let e =
        bounded(client(&t).get_user_info(auth0_auth::UserInfoRequest::new("not-a-token".into())))
            .await
            .unwrap_err();
    assert_eq!(e.code().as_str(), "user_info_error");
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.oauth().unwrap().error, "invalid_token");
    assert!(e.http().unwrap().header("www-authenticate").is_some());
}

#[tokio::test]
async fn a_revoked_refresh_token_can_no_longer_be_used() {
    let t = demo_tenant().await;
    let c = client(&t);
    let tokens = janes_tokens(&c).await;
    let refresh = tokens.refresh_token.as_ref().unwrap().expose_secret();
    bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.into())))
        .await
        .unwrap();
    bounded(
        c.revoke_token(
            auth0_auth::RevokeTokenRequest::new(refresh.into())
                .token_type_hint(TokenTypeHint::RefreshToken),
        ),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/revoke").pop().unwrap();
    let names: Vec<String> = sent.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        ["token", "token_type_hint", "client_id", "client_secret"]
    );
    let e = bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.into())))
        .await
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
    let e = bounded(c.revoke_token(auth0_auth::RevokeTokenRequest::new("".into())))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "token_revocation_error");
}

#[tokio::test]
async fn a_user_created_by_sign_up_can_log_in() {
    let t = demo_tenant().await;
    let c = client(&t);
    let user = bounded(
        c.database().sign_up(
            SignUpRequest::new(
                auth0_auth::Connection::new(DB),
                "signed.up@example.com",
                "Very-Long-Passphrase-1".into(),
            )
            .given_name("Sig"),
        ),
    )
    .await
    .unwrap();
    assert!(user.id.is_some());
    assert_eq!(user.email, "signed.up@example.com");
    let body = t
        .requests_to("/dbconnections/signup")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        body.get("client_secret").is_none(),
        "sign-up never sends a secret"
    );
    assert_eq!(body["given_name"], "Sig");
    let tokens = bounded(
        c.get_token_by_password(
            PasswordRequest::new("signed.up@example.com", "Very-Long-Passphrase-1".into())
                .scope("openid email"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        tokens.claims.unwrap().email(),
        Some("signed.up@example.com")
    );

    // Signing up again is refused, and the `{code, description}` body is understood.
    let e = bounded(c.database().sign_up(SignUpRequest::new(
        auth0_auth::Connection::new(DB),
        "signed.up@example.com",
        "Very-Long-Passphrase-1".into(),
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "signup_error");
    assert_eq!(e.oauth().unwrap().error, "invalid_signup");
    assert_eq!(e.status(), Some(400));
}

#[tokio::test]
async fn change_password_returns_the_confirmation_text() {
    let t = demo_tenant().await;
    let c = client(&t);
    let text = bounded(c.database().change_password(ChangePasswordRequest::email(
        auth0_auth::Connection::new(DB),
        demo::USERNAME,
    )))
    .await
    .unwrap();
    assert!(text.contains("email"), "{text}");
    let tickets = t.password_change_tickets();
    assert_eq!(
        tickets.last().unwrap().email.as_deref(),
        Some(demo::USERNAME)
    );
    let e = bounded(c.database().change_password(ChangePasswordRequest::email(
        auth0_auth::Connection::new(DB),
        " ",
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "change_password_error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_database_one_time_code_signs_the_user_in() {
    let t = demo_tenant().await;
    let c = client(&t);
    let challenge = bounded(
        c.passwordless()
            .challenge_with_email(OtpChallengeRequest::new(
                demo::USERNAME,
                auth0_auth::Connection::new(DB),
            )),
    )
    .await
    .unwrap();
    let body = t
        .requests_to("/otp/challenge")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "client_id": demo::CLIENT_ID,
            "client_secret": demo::CLIENT_SECRET,
            "email": demo::USERNAME,
            "connection": DB,
            "allow_signup": false,
        })
    );
    let code = t.last_otp_code(demo::USERNAME).expect("a code was sent");
    let tokens = bounded(c.passwordless().get_token_by_passwordless_db_connection(
        PasswordlessDbTokenRequest::new(challenge.auth_session, code.into()).scope("openid email"),
    ))
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), Some(demo::USERNAME));
    let e = bounded(
        c.passwordless()
            .challenge_with_phone_number(OtpChallengeRequest::new(
                "555",
                auth0_auth::Connection::new(DB),
            )),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "passwordless_challenge_error");
}

#[tokio::test]
async fn per_request_options_add_headers_a_timeout_and_record_the_response() {
    let t = demo_tenant().await;
    let c = client(&t);
    let recorder = ResponseRecorder::new();
    let view = c.with_options(
        RequestOptions::new()
            .header("x-correlation-id", "corr-1")
            .header("auth0-client", "forged")
            .record_response(&recorder),
    );
    let tokens =
        bounded(view.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.header("x-correlation-id"), Some("corr-1"));
    assert_ne!(
        sent.header("auth0-client"),
        Some("forged"),
        "the SDK's header wins"
    );
    let raw = recorder.last().expect("a recorded response");
    assert_eq!(raw.status, 200);
    assert!(raw.body.contains(tokens.access_token.expose_secret()));

    // The shared client is untouched.
    bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    assert!(
        t.requests_to("/oauth/token")
            .pop()
            .unwrap()
            .header("x-correlation-id")
            .is_none()
    );
    assert_eq!(recorder.len(), 1);

    // A per-call timeout.
    t.inject_fault("/oauth/token", Fault::Delay(Duration::from_secs(5)), 1);
    let e = bounded(
        c.with_options(RequestOptions::new().timeout(Duration::from_millis(200)))
            .get_token_by_client_credentials(
                ClientCredentialsRequest::new().audience(demo::AUDIENCE),
            ),
    )
    .await
    .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let e = bounded(
        c.with_options(RequestOptions::new().header("bad header", "x"))
            .get_token_by_client_credentials(
                ClientCredentialsRequest::new().audience(demo::AUDIENCE),
            ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn home_realm_discovery_answers_and_caches() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .enterprise_domain("acme-corp.com", "acme-oidc"),
    )
    .await;
    let c = client(&t);
    assert!(bounded(c.is_federated_domain("ACME-corp.com")).await);
    assert!(bounded(c.is_federated_domain("acme-corp.com")).await);
    assert!(!bounded(c.is_federated_domain("gmail.com")).await);
    assert!(!bounded(c.is_federated_domain("gmail.com")).await);
    let asked = t.requests_to("/.well-known/webfinger");
    assert_eq!(asked.len(), 2, "one request per domain, then the cache");
    // The free function asks any tenant by its domain (here the same one, from its cache).
    assert!(
        bounded(auth0_auth::is_federated_domain(
            &t.base_url(),
            "acme-corp.com"
        ))
        .await
    );
    assert!(
        !bounded(auth0_auth::is_federated_domain(
            &t.base_url(),
            "example.org"
        ))
        .await
    );
    assert_eq!(t.requests_to("/.well-known/webfinger").len(), 3);
    assert!(
        asked[0]
            .query
            .as_deref()
            .unwrap()
            .contains("urn%3Aauth0%3Adiscovery%3Adomain%3Aacme-corp.com")
    );
    // Errors are `false`, never a failure.
    t.inject_fault("/.well-known/webfinger", Fault::ServerErrorHtml, 1);
    assert!(!bounded(c.is_federated_domain("other.com")).await);
    assert!(
        !bounded(auth0_auth::is_federated_domain(
            "http://127.0.0.1:1",
            "x.com"
        ))
        .await
    );
}

#[tokio::test]
async fn anonymous_sessions_are_created_renewed_and_transferred() {
    let t = demo_tenant().await;
    let c = client(&t);
    let session = bounded(
        c.anonymous().create_session(
            AnonymousSessionRequest::new()
                .audience(demo::AUDIENCE)
                .metadata(auth0_auth::UserMetadata::new().insert("referral", "homepage")),
        ),
    )
    .await
    .unwrap();
    assert!(session.session_token_expires_at.is_some());
    assert!(!format!("{session:?}").contains(session.access_token.expose_secret()));
    let sent = t.requests_to("/anonymous/token").pop().unwrap();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json().unwrap(),
        serde_json::json!({
            "client_id": demo::CLIENT_ID,
            "client_secret": demo::CLIENT_SECRET,
            "audience": demo::AUDIENCE,
            "metadata": {"referral": "homepage"},
        })
    );
    let renewed = bounded(
        c.anonymous().get_access_token(
            AnonymousSessionRequest::new()
                .audience(demo::AUDIENCE)
                .session_token(session.session_token.clone()),
        ),
    )
    .await
    .unwrap();
    assert_ne!(
        renewed.access_token.expose_secret(),
        session.access_token.expose_secret()
    );
    let transfer = bounded(c.anonymous().mint_transfer_token(&session.session_token))
        .await
        .expect("a transfer token");
    assert!(!transfer.expose_secret().is_empty());
    assert!(
        bounded(
            c.anonymous()
                .mint_transfer_token(&auth0_auth::SecretString::from("unknown-session"))
        )
        .await
        .is_none()
    );
    let too_big: auth0_auth::UserMetadata = (0..200)
        .map(|i| (format!("k{i}"), "v".repeat(10)))
        .collect();
    let e = bounded(
        c.anonymous()
            .create_session(AnonymousSessionRequest::new().metadata(too_big)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    t.expire_anonymous_sessions();
    let e = bounded(c.anonymous().get_access_token(
        AnonymousSessionRequest::new().session_token(session.session_token.clone()),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "anonymous_session_error");
    assert_eq!(e.oauth().unwrap().error, "session_expired");
    bounded(c.anonymous().logout()).await.unwrap();
    let sent = t.requests_to("/anonymous/logout").pop().unwrap();
    assert_eq!(
        sent.json().unwrap(),
        serde_json::json!({"client_id": demo::CLIENT_ID})
    );
    let transfer = t
        .requests_to("/anonymous/token")
        .into_iter()
        .filter_map(|r| r.json())
        .find(|b| b["audience"] == "urn:auth0:anon_transfer")
        .expect("a transfer request");
    assert!(transfer["session_token"].is_string());
}

/// Telemetry is per call: `RequestOptions::telemetry` replaces or drops the client's
/// `Auth0-Client` header for the calls made with those options only.
#[tokio::test]
async fn telemetry_can_be_changed_for_one_call() {
    use auth0_auth::Telemetry;
    use base64::Engine as _;
    let t = demo_tenant().await;
    let c = client(&t);
    let m2m = || ClientCredentialsRequest::new().audience(demo::AUDIENCE);
    bounded(c.get_token_by_client_credentials(m2m()))
        .await
        .unwrap();
    let default = t.requests_to("/oauth/token").pop().unwrap();
    assert!(default.header("auth0-client").is_some());

    bounded(
        c.with_options(RequestOptions::new().telemetry(Telemetry::Disabled))
            .get_token_by_client_credentials(m2m()),
    )
    .await
    .unwrap();
    let off = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(off.header("auth0-client"), None);

    bounded(
        c.with_options(RequestOptions::new().telemetry(Telemetry::Custom {
            name: "my-wrapper".into(),
            version: "1.2.3".into(),
        }))
        .get_token_by_client_credentials(m2m()),
    )
    .await
    .unwrap();
    let custom = t.requests_to("/oauth/token").pop().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(custom.header("auth0-client").unwrap())
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(json["name"], "my-wrapper");
    assert_eq!(json["version"], "1.2.3");

    // The client itself is unchanged.
    bounded(c.get_token_by_client_credentials(m2m()))
        .await
        .unwrap();
    let again = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(again.header("auth0-client"), default.header("auth0-client"));
}

#[tokio::test]
async fn sign_up_metadata_over_the_limits_is_refused_before_sending() {
    let t = demo_tenant().await;
    let c = client(&t);
    let db = || auth0_auth::Connection::new(DB);
    let too_long = auth0_auth::UserMetadata::new().insert(
        "note",
        "x".repeat(auth0_auth::MAX_USER_METADATA_VALUE_CHARS + 1),
    );
    t.clear_requests();
    let e = bounded(
        c.database().sign_up(
            SignUpRequest::new(db(), "meta@example.com", "Very-Long-Passphrase-1".into())
                .user_metadata(too_long),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "signup_error");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(t.requests().is_empty());

    bounded(
        c.database().sign_up(
            SignUpRequest::new(db(), "meta@example.com", "Very-Long-Passphrase-1".into())
                .user_metadata(auth0_auth::UserMetadata::new().insert("plan", "pro")),
        ),
    )
    .await
    .unwrap();
    let body = t
        .requests_to("/dbconnections/signup")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["user_metadata"], serde_json::json!({"plan": "pro"}));
    assert_eq!(body["connection"], DB);
    assert_eq!(body["email"], "meta@example.com");
}

#[tokio::test]
async fn a_started_backchannel_request_and_an_mfa_api_hide_their_secrets() {
    let started: auth0_auth::BackchannelAuthenticationStarted = serde_json::from_value(
        serde_json::json!({"auth_req_id": "req-id-value", "expires_in": 60}),
    )
    .unwrap();
    assert!(!format!("{started:?}").contains("req-id-value"));
    let session: auth0_auth::AuthSession =
        serde_json::from_value(serde_json::json!("session-value")).unwrap();
    assert!(!format!("{session:?}").contains("session-value"));
}

/// The re-exported `reqwest` is the one the builder takes: an app needs no `reqwest`
/// dependency of its own (and cannot pick a mismatched version) to bring its own HTTP client.
#[tokio::test]
async fn the_reexported_reqwest_client_plugs_into_the_builder() {
    let t = demo_tenant().await;
    let http = auth0_auth::reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let c = auth0_auth::AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .http_client(http)
        .build()
        .unwrap();
    bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.header("user-agent"), Some("my-app/1.0"));
}
