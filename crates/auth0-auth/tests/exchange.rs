//! Token exchange (RFC 8693 profiles, actor tokens, organizations) and Token Vault.

mod common;

use auth0_auth::{
    ClientCredentialsRequest, ErrorKind, ExchangeTokenRequest, ExposeSecret, PasswordRequest,
    REFRESH_TOKEN_TYPE, TokenForConnectionRequest,
};
use auth0_emulator::{Emulator, FederatedConnection, RunningEmulator, TokenExchangeProfile, demo};
use common::{bounded, claims_of, client, public_client, tenant};

const MCP_TYPE: &str = "urn:acme:mcp-token";
const MCP_TOKEN: &str = "mcp-token-for-jane";

fn jane() -> String {
    auth0_emulator::UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_string()
}

async fn exchange_tenant() -> RunningEmulator {
    tenant(
        Emulator::builder()
            .demo_tenant()
            .token_exchange_profile(
                TokenExchangeProfile::new(MCP_TYPE)
                    .subject(MCP_TOKEN, &jane())
                    .accept_tenant_jwts(),
            )
            .federated_connection(
                FederatedConnection::new("google-oauth2")
                    .account(
                        &jane(),
                        Some("jane@gmail.com"),
                        "google-token-1",
                        &["calendar"],
                    )
                    .account(
                        &jane(),
                        Some("jane.work@gmail.com"),
                        "google-token-2",
                        &["calendar"],
                    ),
            ),
    )
    .await
}

#[tokio::test]
async fn a_profile_exchange_sends_exactly_its_parameters() {
    let t = exchange_tenant().await;
    let tokens = bounded(
        client(&t).exchange_token(
            ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into())
                .audience(demo::AUDIENCE)
                .scope("openid read:messages")
                .extra("device_id", "device-1")
                .extra("scope", "admin")
                .extra_values("tag", ["a".to_string(), "b".to_string()]),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        claims_of(tokens.access_token.expose_secret())["sub"],
        jane()
    );
    assert_eq!(
        tokens.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    let form = sent.form();
    let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "subject_token_type",
            "subject_token",
            "audience",
            "scope",
            "device_id",
            "tag",
            "tag",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(
        sent.form_value("scope").as_deref(),
        Some("openid read:messages")
    );
    assert_eq!(
        sent.form_value("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:token-exchange")
    );
}

#[tokio::test]
async fn bad_subject_tokens_never_leave() {
    let t = exchange_tenant().await;
    let c = client(&t);
    t.clear_requests();
    for bad in ["", "  ", " token", "token\n", "Bearer abc", "bearer abc"] {
        let e = bounded(c.exchange_token(ExchangeTokenRequest::profile(MCP_TYPE, bad.into())))
            .await
            .unwrap_err();
        assert_eq!(e.code().as_str(), "token_exchange_error");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    let many = (0..21).map(|i| i.to_string());
    let e = bounded(c.exchange_token(
        ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into()).extra_values("x", many),
    ))
    .await
    .unwrap_err();
    assert!(e.message().contains("20"), "{e}");
    let e = bounded(c.exchange_token(
        ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into()).organization(" "),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(t.requests().is_empty());
    let e = bounded(
        public_client(&t).exchange_token(ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "missing_client_auth_error");
}

#[tokio::test]
async fn an_actor_token_yields_the_act_claim() {
    let t = exchange_tenant().await;
    let c = client(&t);
    let actor = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    let tokens = bounded(
        c.exchange_token(
            ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into())
                .audience(demo::AUDIENCE)
                .actor_token(
                    actor.access_token.clone(),
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
        ),
    )
    .await
    .unwrap();
    let act = tokens.act.expect("an act claim");
    assert_eq!(act["sub"], format!("{}@clients", demo::CLIENT_ID));
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert!(sent.form_value("actor_token").is_some());
    assert_eq!(
        sent.form_value("actor_token_type").as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
}

#[tokio::test]
async fn an_organization_exchange_checks_the_id_token() {
    let t = exchange_tenant().await;
    let c = client(&t);
    let tokens = bounded(
        c.exchange_token(
            ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into())
                .scope("openid")
                .organization(demo::ORGANIZATION_ID),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().org_id(), Some(demo::ORGANIZATION_ID));
    let e = bounded(
        c.exchange_token(
            ExchangeTokenRequest::profile(MCP_TYPE, MCP_TOKEN.into())
                .scope("openid")
                .organization("org_nope"),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::OAuth,
        "the tenant refuses an organization it lacks: {e}"
    );
}

#[tokio::test]
async fn an_unknown_subject_token_is_the_servers_invalid_grant() {
    let t = exchange_tenant().await;
    let e = bounded(client(&t).exchange_token(ExchangeTokenRequest::profile(
        MCP_TYPE,
        "who-is-this".into(),
    )))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "token_exchange_error");
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
}

async fn janes_tokens(t: &RunningEmulator) -> auth0_auth::TokenResponse {
    bounded(
        client(t).get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .audience(demo::AUDIENCE)
                .scope("openid offline_access"),
        ),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn token_vault_returns_the_federated_access_token() {
    let t = exchange_tenant().await;
    let c = client(&t);
    let jane_tokens = janes_tokens(&t).await;
    let google = bounded(
        c.exchange_token(
            ExchangeTokenRequest::token_vault(
                auth0_auth::Connection::new("google-oauth2"),
                jane_tokens.access_token.clone(),
            )
            .login_hint("jane.work@gmail.com")
            .scope("calendar"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(google.access_token.expose_secret(), "google-token-2");
    assert_eq!(
        google.issued_token_type.as_deref(),
        Some("http://auth0.com/oauth/token-type/federated-connection-access-token")
    );
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    let names: Vec<String> = sent.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "connection",
            "subject_token",
            "subject_token_type",
            "requested_token_type",
            "login_hint",
            "scope",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(
        sent.form_value("subject_token_type").as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );

    let refresh = jane_tokens.refresh_token.as_ref().unwrap().expose_secret();
    let via_refresh = bounded(
        c.exchange_token(
            ExchangeTokenRequest::token_vault(
                auth0_auth::Connection::new("google-oauth2"),
                refresh.into(),
            )
            .subject_token_type(REFRESH_TOKEN_TYPE),
        ),
    )
    .await
    .unwrap();
    assert_eq!(via_refresh.access_token.expose_secret(), "google-token-1");
}

#[tokio::test]
async fn token_vault_refuses_audience_and_resource_before_any_request() {
    let t = exchange_tenant().await;
    let c = client(&t);
    t.clear_requests();
    for request in [
        ExchangeTokenRequest::token_vault(
            auth0_auth::Connection::new("google-oauth2"),
            "at".into(),
        )
        .audience("https://x/"),
        ExchangeTokenRequest::token_vault(
            auth0_auth::Connection::new("google-oauth2"),
            "at".into(),
        )
        .resource("https://x/"),
    ] {
        let e = bounded(c.exchange_token(request)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("audience and resource"), "{e}");
    }
    assert!(t.requests().is_empty());
}

#[tokio::test]
#[allow(deprecated)]
async fn the_deprecated_token_for_connection_maps_onto_token_vault() {
    let t = exchange_tenant().await;
    let c = client(&t);
    let jane_tokens = janes_tokens(&t).await;
    let refresh = jane_tokens.refresh_token.as_ref().unwrap().expose_secret();
    let google = bounded(
        c.get_token_for_connection(
            TokenForConnectionRequest::with_refresh_token(
                auth0_auth::Connection::new("google-oauth2"),
                refresh.into(),
            )
            .login_hint("jane@gmail.com"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(google.access_token.expose_secret(), "google-token-1");
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("subject_token_type").as_deref(),
        Some(REFRESH_TOKEN_TYPE)
    );
    let e = bounded(
        c.get_token_for_connection(TokenForConnectionRequest::with_access_token(
            auth0_auth::Connection::new("no-such-connection"),
            jane_tokens.access_token.clone(),
        )),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "token_for_connection_error");
}
