//! The calls an API makes as a client, against the emulator: Token Vault, a custom token
//! exchange profile, and on-behalf-of; without credentials they fail before any request.

mod common;

use auth0_api::{
    AccessTokenForConnectionRequest, ApiClient, Audience, ExchangeProfileRequest,
    OnBehalfOfRequest, SecretString, SubjectTokenType,
};
use auth0_auth::{
    ACCESS_TOKEN_TYPE, AuthClient, Connection, ErrorCode, ExposeSecret, PasswordRequest,
};
use auth0_emulator::{
    ApiConfig, Emulator, FederatedConnection, RunningEmulator, TokenExchangeProfile, UserConfig,
    demo,
};
use common::bounded;

const DOWNSTREAM: &str = "https://downstream.example.com/";

fn jane() -> String {
    UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_string()
}

async fn exchange_tenant() -> RunningEmulator {
    bounded(
        Emulator::builder()
            .demo_tenant()
            .api(ApiConfig::new(DOWNSTREAM, &["read:stock"]))
            .token_exchange_profile(
                TokenExchangeProfile::new("urn:acme:legacy-token").subject("legacy-jane", &jane()),
            )
            .token_exchange_profile(
                TokenExchangeProfile::new(ACCESS_TOKEN_TYPE).accept_tenant_jwts(),
            )
            .federated_connection(FederatedConnection::new("google-oauth2").account(
                &jane(),
                Some("jane@gmail.com"),
                "google-token-1",
                &["calendar"],
            ))
            .start(),
    )
    .await
    .unwrap()
}

fn api(t: &RunningEmulator) -> ApiClient {
    ApiClient::builder(t.base_url(), Audience::new(demo::AUDIENCE))
        .client_id(demo::CLIENT_ID)
        .client_secret(SecretString::from(demo::CLIENT_SECRET))
        .build()
        .unwrap()
}

async fn janes_access_token(t: &RunningEmulator) -> SecretString {
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    bounded(client.get_token_by_password(
        PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).audience(demo::AUDIENCE),
    ))
    .await
    .unwrap()
    .access_token
}

#[tokio::test]
async fn token_vault_gives_the_connection_token_of_the_user() {
    let t = exchange_tenant().await;
    let at = janes_access_token(&t).await;
    let set = bounded(
        api(&t).get_access_token_for_connection(
            AccessTokenForConnectionRequest::new(Connection::new("google-oauth2"), at)
                .login_hint("jane@gmail.com"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(set.access_token.expose_secret(), "google-token-1");
    assert_eq!(set.connection.as_str(), "google-oauth2");
    assert_eq!(set.login_hint.as_deref(), Some("jane@gmail.com"));
    assert!(!format!("{set:?}").contains("google-token-1"));
}

#[tokio::test]
async fn a_profile_exchange_and_on_behalf_of() {
    let t = exchange_tenant().await;
    let api = api(&t);
    let tokens = bounded(
        api.get_token_by_exchange_profile(
            ExchangeProfileRequest::new(
                SubjectTokenType::new("urn:acme:legacy-token"),
                SecretString::from("legacy-jane"),
                Audience::new(DOWNSTREAM),
            )
            .scope("read:stock"),
        ),
    )
    .await
    .unwrap();
    assert!(!tokens.access_token.expose_secret().is_empty());
    let sent = t.requests_to("/oauth/token").pop().unwrap().form();
    assert!(sent.contains(&("subject_token_type".into(), "urn:acme:legacy-token".into())));
    assert!(sent.contains(&("audience".into(), DOWNSTREAM.into())));

    let at = janes_access_token(&t).await;
    let obo = bounded(api.get_token_on_behalf_of(
        OnBehalfOfRequest::new(at, Audience::new(DOWNSTREAM)).scope("read:stock"),
    ))
    .await
    .unwrap();
    assert!(!obo.access_token.expose_secret().is_empty());
    let sent = t.requests_to("/oauth/token").pop().unwrap().form();
    assert!(sent.contains(&("subject_token_type".into(), ACCESS_TOKEN_TYPE.into())));
    assert!(sent.contains(&("requested_token_type".into(), ACCESS_TOKEN_TYPE.into())));
}

#[tokio::test]
async fn without_credentials_the_calls_fail_before_any_request() {
    let t = exchange_tenant().await;
    let api = ApiClient::builder(t.base_url(), Audience::new(demo::AUDIENCE))
        .build()
        .unwrap();
    t.clear_requests();
    let e = bounded(api.get_token_on_behalf_of(OnBehalfOfRequest::new(
        SecretString::from("at"),
        Audience::new(DOWNSTREAM),
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::MissingClientAuth);
    let e = bounded(
        api.get_access_token_for_connection(AccessTokenForConnectionRequest::new(
            Connection::new("google-oauth2"),
            SecretString::from("at"),
        )),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::MissingClientAuth);
    assert!(t.requests_to("/oauth/token").is_empty());
}
