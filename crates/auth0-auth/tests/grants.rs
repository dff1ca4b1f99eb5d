//! Client credentials, password and refresh grants through the public API against the emulator.

mod common;

use auth0_auth::{
    ClientCredentialsRequest, ErrorCode, ErrorKind, ExposeSecret, PasswordRequest,
    RefreshTokenRequest,
};
use auth0_emulator::{Emulator, OrganizationConfig, demo};
use common::{bounded, client, demo_tenant, public_client, tenant};

#[tokio::test]
async fn client_credentials_returns_an_access_token_for_the_api() {
    let t = demo_tenant().await;
    let tokens =
        bounded(client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    assert!(!tokens.access_token.expose_secret().is_empty());
    assert_eq!(tokens.token_type.as_deref(), Some("bearer"));
    assert!(tokens.id_token.is_none() && tokens.claims.is_none());
    assert!(tokens.expires_at > auth0_now());
    let token = tokens.access_token.expose_secret().to_string();
    let claims = common::claims_of(&token);
    assert_eq!(claims["aud"], demo::AUDIENCE);
    assert_eq!(claims["sub"], format!("{}@clients", demo::CLIENT_ID));
}

#[tokio::test]
async fn client_credentials_for_an_organization_carries_org_id() {
    let t = demo_tenant().await;
    let tokens = bounded(
        client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new()
                .audience(demo::AUDIENCE)
                .organization(demo::ORGANIZATION_ID),
        ),
    )
    .await
    .unwrap();
    let claims = common::claims_of(tokens.access_token.expose_secret());
    assert_eq!(claims["org_id"], demo::ORGANIZATION_ID);
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("organization").as_deref(),
        Some(demo::ORGANIZATION_ID)
    );
}

#[tokio::test]
async fn client_credentials_refusals_carry_the_servers_oauth_error() {
    let t = demo_tenant().await;
    let wrong_secret = auth0_auth::AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret("not-the-secret")
        .build()
        .unwrap();
    let e =
        bounded(wrong_secret.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenByClientCredentials);
    assert_eq!(e.code().as_str(), "token_by_client_credentials_error");
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.oauth().unwrap().error, "invalid_client");
    assert_eq!(e.status(), Some(401));
    assert!(!e.to_string().contains("not-the-secret"));

    let e = bounded(client(&t).get_token_by_client_credentials(
        ClientCredentialsRequest::new().audience("https://unknown-api.example.com/"),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "access_denied");
    assert!(e.oauth().unwrap().error_description.is_some());
}

#[tokio::test]
async fn confidential_only_grants_refuse_public_clients_before_any_request() {
    let t = demo_tenant().await;
    t.clear_requests();
    let e =
        bounded(public_client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "missing_client_auth_error");
    assert_eq!(
        e.message(),
        "The client secret or client assertion signing key must be provided."
    );
    assert!(t.requests().is_empty(), "no request may be sent");
}

#[tokio::test]
async fn blank_inputs_are_refused_before_any_request() {
    let t = demo_tenant().await;
    t.clear_requests();
    let c = client(&t);
    let e =
        bounded(c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(" ")))
            .await
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = bounded(
        c.get_token_by_client_credentials(
            ClientCredentialsRequest::new()
                .audience(demo::AUDIENCE)
                .organization("  "),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new("".into())))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenByRefreshToken);
    let e = bounded(c.get_token_by_password(PasswordRequest::new("", "pw".into())))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenByPassword);
    let e = bounded(c.get_token_by_password(
        PasswordRequest::new("a@b.c", "pw".into()).auth0_forwarded_for("bad\nheader"),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(t.requests().is_empty());
}

#[tokio::test]
async fn password_grant_returns_validated_id_token_claims_and_a_refresh_token() {
    let t = demo_tenant().await;
    let tokens = bounded(
        client(&t).get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid profile email offline_access")
                .audience(demo::AUDIENCE),
        ),
    )
    .await
    .unwrap();
    let claims = tokens.claims.as_ref().expect("an ID token came back");
    assert_eq!(claims.email(), Some(demo::USERNAME));
    assert_eq!(claims.name(), Some("Jane Doe"));
    assert!(claims.sub().unwrap().starts_with("auth0|"));
    assert!(tokens.refresh_token.is_some());
    assert!(tokens.id_token.is_some());
}

#[tokio::test]
async fn password_grant_works_for_public_clients() {
    let t = demo_tenant().await;
    let tokens = bounded(public_client(&t).get_token_by_password(
        PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid"),
    ))
    .await
    .unwrap();
    assert!(tokens.claims.is_some());
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert!(sent.form_value("client_secret").is_none());
    assert_eq!(
        sent.form_value("client_id").as_deref(),
        Some(demo::PUBLIC_CLIENT_ID)
    );
}

#[tokio::test]
async fn wrong_password_is_invalid_grant_and_the_password_is_not_echoed() {
    let t = demo_tenant().await;
    let e = bounded(client(&t).get_token_by_password(PasswordRequest::new(
        demo::USERNAME,
        "wrong-pass-123".into(),
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "token_by_password_error");
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
    assert!(!format!("{e} {e:?}").contains("wrong-pass-123"));
}

#[tokio::test]
async fn mfa_required_carries_the_mfa_token_and_requirements() {
    let t = demo_tenant().await;
    let e = bounded(client(&t).get_token_by_password(
        PasswordRequest::new(demo::MFA_USERNAME, demo::PASSWORD.into()).scope("openid"),
    ))
    .await
    .unwrap_err();
    assert!(e.is_mfa_required());
    assert_eq!(e.kind(), ErrorKind::OAuth);
    let mfa_token = e.mfa_token().expect("mfa_token");
    assert!(!mfa_token.is_empty());
    assert!(
        !format!("{e:?}").contains(mfa_token),
        "Debug hides the mfa_token"
    );
    let reqs = e.mfa_requirements().expect("mfa_requirements");
    assert!(reqs.challenge.is_some() || reqs.enroll.is_some());
}

#[tokio::test]
async fn refresh_token_grant_issues_new_tokens_and_sends_audience_and_scope() {
    let t = demo_tenant().await;
    let c = client(&t);
    let first = bounded(
        c.get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid profile offline_access read:messages")
                .audience(demo::AUDIENCE),
        ),
    )
    .await
    .unwrap();
    let refresh = first.refresh_token.as_ref().unwrap().expose_secret();
    let next = bounded(
        c.get_token_by_refresh_token(
            RefreshTokenRequest::new(refresh.into())
                .audience(demo::AUDIENCE)
                .scope("openid read:messages"),
        ),
    )
    .await
    .unwrap();
    assert!(!next.access_token.expose_secret().is_empty());
    assert_ne!(
        next.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
    assert_eq!(
        next.claims.as_ref().and_then(|c| c.sub()),
        first.claims.as_ref().and_then(|c| c.sub())
    );
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(sent.form_value("audience").as_deref(), Some(demo::AUDIENCE));
    assert_eq!(
        sent.form_value("scope").as_deref(),
        Some("openid read:messages")
    );
}

#[tokio::test]
async fn unknown_refresh_tokens_are_refused_with_the_refresh_code() {
    let t = demo_tenant().await;
    let e = bounded(
        client(&t)
            .get_token_by_refresh_token(RefreshTokenRequest::new("made-up-refresh-token".into())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "token_by_refresh_token_error");
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
}

#[tokio::test]
async fn organizations_must_exist_for_client_credentials() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .organization(OrganizationConfig::new("org_second", "second")),
    )
    .await;
    let e = bounded(
        client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new()
                .audience(demo::AUDIENCE)
                .organization("org_missing"),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
}

fn auth0_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
