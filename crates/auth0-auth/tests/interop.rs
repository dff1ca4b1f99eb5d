//! Interoperability: the SDK, through its public API only, against an OpenID Provider nobody on
//! this project wrote — `oidc-provider` (OpenID Certified), pinned in `interop/package.json` and
//! run with Node on 127.0.0.1 by these tests (`interop/server.js` configures it).
//!
//! Needs Node 20+ and `npm ci` in `interop/` (`.ci/run` does both); without them every test
//! fails with a message saying so.

#[path = "interop/support.rs"]
mod support;

use auth0_auth::{
    AuthClient, AuthClientBuilder, AuthorizationParams, AuthorizationUrlRequest,
    BackchannelAuthenticationRequest, ClientCredentialsRequest, ClientSecretMethod, ErrorKind,
    ExposeSecret, LogoutUrlRequest, RefreshTokenRequest, SigningAlgorithm, TokenByCodeRequest,
    TokenResponse,
};
use auth0_auth::{
    DeviceAuthorizationRequest, IntrospectTokenRequest, RevokeTokenRequest, SecretString,
    TokenTypeHint, VerifyLogoutTokenRequest,
};
use serde_json::{Value, json};
use support::{Browser, bounded, jwt_claims, jwt_header, logout_listener, op, query_value};

const USER: &str = "jane.interop";

/// A client of the shared provider.
/// A client of the provider. It names APIs with RFC 8707's `resource`, as standard providers
/// expect (Auth0 uses `audience`, the SDK's default).
fn builder(client_id: &str) -> AuthClientBuilder {
    AuthClient::builder(op().issuer(), client_id)
        .audience_parameter(auth0_auth::AudienceParameter::Resource)
}

/// `web-basic`: client_secret_basic, RS256 ID tokens.
fn web_basic() -> AuthClient {
    builder("web-basic")
        .client_secret(op().secret("web-basic"))
        .client_secret_method(ClientSecretMethod::Basic)
        .build()
        .unwrap()
}

/// `web-jwt-es256`: private_key_jwt (ES256 assertions with a `kid`), ES256 ID tokens.
fn web_jwt_es256() -> AuthClient {
    let (pem, kid) = op().client_key("ec");
    builder("web-jwt-es256")
        .client_assertion_signing_key(pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .client_assertion_kid(kid)
        .id_token_signing_algs([SigningAlgorithm::ES256])
        .build()
        .unwrap()
}

/// Login parameters: the registered redirect URI, state, nonce, and `prompt=consent` (a
/// standard provider grants `offline_access`, and so a refresh token, only with it).
fn login_params() -> AuthorizationParams {
    AuthorizationParams::new()
        .redirect_uri(op().redirect_uri())
        .state("interop-state")
        .nonce("interop-nonce")
        .set("prompt", "consent")
}

/// Builds the authorization URL (plain, or pushed: then it carries only `client_id` and
/// `request_uri`), signs in through the provider's pages and exchanges the code; returns the
/// validated tokens.
async fn log_in(client: &AuthClient, pushed: bool) -> TokenResponse {
    log_in_with(client, &mut Browser::new(), pushed).await
}

async fn log_in_with(client: &AuthClient, browser: &mut Browser, pushed: bool) -> TokenResponse {
    let login = bounded(
        client.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(login_params())
                .pushed(pushed),
        ),
    )
    .await
    .unwrap();
    if pushed {
        let names: Vec<String> = login
            .url
            .query_pairs()
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(names, ["client_id", "request_uri"], "{}", login.url);
        assert!(
            query_value(login.url.as_str(), "request_uri")
                .unwrap()
                .starts_with("urn:ietf:params:oauth:request_uri:"),
            "{}",
            login.url
        );
    }
    let callback = browser.log_in(&login.url, op().redirect_uri(), USER).await;
    assert_eq!(
        query_value(&callback, "iss").as_deref(),
        Some(op().issuer()),
        "the provider names itself in the callback (RFC 9207): {callback}"
    );
    bounded(
        client.get_token_by_code(TokenByCodeRequest::from_transaction(
            &callback,
            &login.transaction,
        )),
    )
    .await
    .unwrap_or_else(|e| panic!("the code exchange failed: {e:?}"))
}

/// The checks every validated ID token of a login must pass.
fn assert_logged_in(tokens: &TokenResponse, client_id: &str, alg: &str) {
    let claims = tokens.claims.as_ref().expect("validated ID-token claims");
    assert_eq!(claims.sub(), Some(USER));
    assert_eq!(claims.get_str("iss"), Some(op().issuer()));
    assert_eq!(claims.get_str("aud"), Some(client_id));
    assert_eq!(claims.get_str("nonce"), Some("interop-nonce"));
    let id_token = tokens.id_token.as_ref().expect("an ID token");
    assert_eq!(jwt_header(id_token.expose_secret())["alg"], alg);
    assert!(tokens.expires_at > 0);
}

// ---- discovery ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_pinned_provider_version_is_the_one_running() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(support::interop_dir().join("package.json")).unwrap(),
    )
    .unwrap();
    let pinned = manifest["dependencies"]["oidc-provider"].as_str().unwrap();
    assert!(
        pinned.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "oidc-provider is pinned to an exact version, not {pinned:?}"
    );
    assert_eq!(op().version(), pinned);
}

#[tokio::test]
async fn discovery_reads_the_providers_metadata() {
    let metadata = bounded(web_basic().server_metadata()).await.unwrap();
    assert_eq!(metadata.issuer, op().issuer());
    assert!(
        !metadata.issuer.ends_with('/'),
        "this issuer has no trailing slash"
    );
    for (name, value) in [
        ("authorization_endpoint", &metadata.authorization_endpoint),
        ("token_endpoint", &metadata.token_endpoint),
        ("jwks_uri", &metadata.jwks_uri),
        ("end_session_endpoint", &metadata.end_session_endpoint),
        (
            "pushed_authorization_request_endpoint",
            &metadata.pushed_authorization_request_endpoint,
        ),
        (
            "backchannel_authentication_endpoint",
            &metadata.backchannel_authentication_endpoint,
        ),
    ] {
        let url = value
            .as_deref()
            .unwrap_or_else(|| panic!("discovery has {name}"));
        assert!(url.starts_with(op().issuer()), "{name}: {url}");
    }
    let algs = metadata
        .id_token_signing_alg_values_supported
        .clone()
        .unwrap_or_default();
    assert!(
        algs.iter().any(|a| a == "RS256") && algs.iter().any(|a| a == "ES256"),
        "{algs:?}"
    );
    assert_eq!(metadata.other["backchannel_logout_supported"], true);
}

// ---- authorization code + PKCE -----------------------------------------------------------------

#[tokio::test]
async fn code_flow_rs256_with_client_secret_basic_then_refresh() {
    let client = web_basic();
    let tokens = log_in(&client, false).await;
    assert_logged_in(&tokens, "web-basic", "RS256");
    assert_eq!(tokens.token_type.as_deref(), Some("bearer"));

    let refresh = tokens.refresh_token.as_ref().expect("a refresh token");
    let fresh =
        bounded(client.get_token_by_refresh_token(RefreshTokenRequest::new(refresh.clone())))
            .await
            .unwrap_or_else(|e| panic!("the refresh failed: {e:?}"));
    assert_ne!(
        fresh.access_token.expose_secret(),
        tokens.access_token.expose_secret()
    );
    let claims = fresh.claims.as_ref().expect("a validated ID token");
    assert_eq!(claims.sub(), Some(USER));
}

#[tokio::test]
async fn code_flow_es256_with_private_key_jwt() {
    let tokens = log_in(&web_jwt_es256(), false).await;
    assert_logged_in(&tokens, "web-jwt-es256", "ES256");
}

#[tokio::test]
async fn an_es256_id_token_is_refused_by_a_client_that_allows_only_rs256() {
    let (pem, kid) = op().client_key("ec");
    let rs256_only = builder("web-jwt-es256")
        .client_assertion_signing_key(pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .client_assertion_kid(kid)
        .build()
        .unwrap();
    let login = bounded(
        rs256_only.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())),
    )
    .await
    .unwrap();
    let callback = Browser::new()
        .log_in(&login.url, op().redirect_uri(), USER)
        .await;
    let e = bounded(
        rs256_only.get_token_by_code(TokenByCodeRequest::from_transaction(
            &callback,
            &login.transaction,
        )),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e:?}");
}

#[tokio::test]
async fn code_flow_public_client_then_refresh_with_rotation() {
    let client = builder("public").build().unwrap();
    let tokens = log_in(&client, false).await;
    assert_logged_in(&tokens, "public", "RS256");

    let first = tokens.refresh_token.as_ref().expect("a refresh token");
    let fresh = bounded(client.get_token_by_refresh_token(RefreshTokenRequest::new(first.clone())))
        .await
        .unwrap_or_else(|e| panic!("the refresh failed: {e:?}"));
    assert_eq!(
        fresh.claims.as_ref().and_then(|c| c.sub()),
        Some(USER),
        "the refreshed ID token is validated"
    );
    let rotated = fresh
        .refresh_token
        .as_ref()
        .expect("a rotated refresh token");
    assert_ne!(rotated.expose_secret(), first.expose_secret());
    let e = bounded(client.get_token_by_refresh_token(RefreshTokenRequest::new(first.clone())))
        .await
        .unwrap_err();
    assert_eq!(
        e.oauth().map(|o| o.error.as_str()),
        Some("invalid_grant"),
        "{e:?}"
    );
}

// ---- pushed authorization requests -------------------------------------------------------------

#[tokio::test]
async fn par_with_client_secret_basic() {
    let tokens = log_in(&web_basic(), true).await;
    assert_logged_in(&tokens, "web-basic", "RS256");
}

#[tokio::test]
async fn par_with_private_key_jwt() {
    let tokens = log_in(&web_jwt_es256(), true).await;
    assert_logged_in(&tokens, "web-jwt-es256", "ES256");
}

// ---- client credentials ------------------------------------------------------------------------

/// Gets a client-credentials token and checks the JWT access token the provider issued for
/// the API.
async fn client_credentials(client: AuthClient, client_id: &str) {
    let tokens = bounded(client.get_token_by_client_credentials(
        ClientCredentialsRequest::new().audience(op().resource()),
    ))
    .await
    .unwrap_or_else(|e| panic!("client credentials for {client_id} failed: {e:?}"));
    assert!(tokens.id_token.is_none());
    let claims = jwt_claims(tokens.access_token.expose_secret());
    assert_eq!(claims["iss"], op().issuer());
    assert_eq!(claims["aud"], op().resource());
    assert_eq!(claims["client_id"], client_id);
}

#[tokio::test]
async fn client_credentials_with_client_secret_post() {
    let client = builder("m2m-post")
        .client_secret(op().secret("m2m-post"))
        .build()
        .unwrap();
    client_credentials(client, "m2m-post").await;
}

#[tokio::test]
async fn client_credentials_with_client_secret_basic() {
    // The secret has spaces, `+`, `%`, `&`, `/` and `:`: Basic credentials are form-encoded.
    let client = builder("m2m-basic")
        .client_secret(op().secret("m2m-basic"))
        .client_secret_method(ClientSecretMethod::Basic)
        .build()
        .unwrap();
    client_credentials(client, "m2m-basic").await;
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt_rs256() {
    let (pem, _) = op().client_key("rsa");
    let client = builder("m2m-jwt")
        .client_assertion_signing_key(pem)
        .build()
        .unwrap();
    client_credentials(client, "m2m-jwt").await;
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt_ps256() {
    let (pem, kid) = op().client_key("rsa");
    let client = builder("m2m-jwt")
        .client_assertion_signing_key(pem)
        .client_assertion_signing_alg(SigningAlgorithm::PS256)
        .client_assertion_kid(kid)
        .build()
        .unwrap();
    client_credentials(client, "m2m-jwt").await;
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt_es256() {
    let (pem, kid) = op().client_key("ec");
    let client = builder("m2m-jwt")
        .client_assertion_signing_key(pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .client_assertion_kid(kid)
        .build()
        .unwrap();
    client_credentials(client, "m2m-jwt").await;
}

#[tokio::test]
async fn client_credentials_errors_are_the_providers_oauth_errors() {
    let wrong_secret = builder("m2m-post")
        .client_secret("not-the-secret")
        .build()
        .unwrap();
    let e = bounded(wrong_secret.get_token_by_client_credentials(
        ClientCredentialsRequest::new().audience(op().resource()),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e:?}");
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("invalid_client"));

    let client = builder("m2m-post")
        .client_secret(op().secret("m2m-post"))
        .build()
        .unwrap();
    let e = bounded(client.get_token_by_client_credentials(
        ClientCredentialsRequest::new().audience("https://unknown.interop.test/"),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("invalid_target"));
}

// ---- CIBA --------------------------------------------------------------------------------------

fn ciba_client() -> AuthClient {
    builder("ciba")
        .client_secret(op().secret("ciba"))
        .build()
        .unwrap()
}

/// The user answers on their authentication device (the provider's test hook).
async fn answer_ciba(auth_req_id: &str, answer: &str) {
    let mut url = op().url(&format!("/__test/ciba/{answer}"));
    url.query_pairs_mut()
        .append_pair("auth_req_id", auth_req_id);
    let response = bounded(reqwest::Client::new().post(url).send())
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "{}",
        bounded(response.text()).await.unwrap_or_default()
    );
}

#[tokio::test]
async fn ciba_approved() {
    let client = ciba_client();
    let started = bounded(
        client.initiate_backchannel_authentication(
            BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(USER), "Approve-42")
                .requested_expiry(120),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("bc-authorize failed: {e:?}"));
    assert!(!started.auth_req_id.expose_secret().is_empty());
    assert!(started.expires_in > 0 && started.expires_in <= 120);

    let e = bounded(client.backchannel_authentication_grant(&started.auth_req_id))
        .await
        .unwrap_err();
    assert_eq!(
        e.oauth().map(|o| o.error.as_str()),
        Some("authorization_pending"),
        "{e:?}"
    );

    answer_ciba(started.auth_req_id.expose_secret(), "approve").await;
    let tokens = bounded(client.poll_backchannel_authentication(&started))
        .await
        .unwrap_or_else(|e| panic!("the approved request gave no tokens: {e:?}"));
    let claims = tokens.claims.as_ref().expect("a validated ID token");
    assert_eq!(claims.sub(), Some(USER));
    assert_eq!(claims.get_str("aud"), Some("ciba"));
}

#[tokio::test]
async fn ciba_denied() {
    let client = ciba_client();
    let started = bounded(client.initiate_backchannel_authentication(
        BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(USER), "Deny-43"),
    ))
    .await
    .unwrap();
    answer_ciba(started.auth_req_id.expose_secret(), "deny").await;
    let e = bounded(client.poll_backchannel_authentication(&started))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth, "{e:?}");
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("access_denied"));
}

#[tokio::test]
async fn ciba_binding_message_refused_by_the_providers_policy() {
    let e = bounded(ciba_client().initiate_backchannel_authentication(
        BackchannelAuthenticationRequest::new(
            auth0_auth::UserId::new(USER),
            "a message with spaces the policy refuses",
        ),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        e.oauth().map(|o| o.error.as_str()),
        Some("invalid_binding_message"),
        "{e:?}"
    );
}

// ---- logout ------------------------------------------------------------------------------------

#[tokio::test]
async fn rp_initiated_logout_url_uses_the_end_session_endpoint() {
    let client = web_basic();
    let metadata = bounded(client.server_metadata()).await.unwrap();
    let url =
        bounded(client.build_logout_url(LogoutUrlRequest::new(op().post_logout_redirect_uri())))
            .await
            .unwrap();
    let endpoint = metadata.end_session_endpoint.as_deref().unwrap();
    assert!(url.as_str().starts_with(&format!("{endpoint}?")), "{url}");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        [
            (
                "post_logout_redirect_uri".to_string(),
                op().post_logout_redirect_uri().to_string()
            ),
            ("client_id".to_string(), "web-basic".to_string()),
        ]
    );
}

/// Registers (RFC 7591) a client whose back-channel logout URI is `logout_uri`; returns its id
/// and secret.
async fn register_backchannel_client(logout_uri: &str, id_token_alg: &str) -> (String, String) {
    let metadata = bounded(web_basic().server_metadata()).await.unwrap();
    let endpoint = metadata.other["registration_endpoint"]
        .as_str()
        .expect("discovery has a registration_endpoint");
    let response = bounded(
        reqwest::Client::new()
            .post(endpoint)
            .json(&json!({
                "redirect_uris": [op().redirect_uri()],
                "post_logout_redirect_uris": [op().post_logout_redirect_uri()],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
                "id_token_signed_response_alg": id_token_alg,
                "backchannel_logout_uri": logout_uri,
                "backchannel_logout_session_required": true,
            }))
            .send(),
    )
    .await
    .unwrap();
    let status = response.status();
    let body: Value = bounded(response.json()).await.unwrap();
    assert_eq!(status, 201, "registration: {body}");
    (
        body["client_id"].as_str().unwrap().to_string(),
        body["client_secret"].as_str().unwrap().to_string(),
    )
}

/// Logs in with a freshly registered back-channel logout client, logs out through the
/// provider's end-session page, and verifies the logout token the provider POSTed.
async fn backchannel_logout(alg: SigningAlgorithm) {
    let listener = logout_listener().await;
    let (client_id, secret) = register_backchannel_client(&listener.uri, alg.as_str()).await;
    let client = builder(&client_id)
        .client_secret(secret)
        .id_token_signing_algs([alg])
        .build()
        .unwrap();
    let mut browser = Browser::new();
    let tokens = log_in_with(&client, &mut browser, false).await;
    assert_logged_in(&tokens, &client_id, alg.as_str());
    let sid = tokens
        .claims
        .as_ref()
        .and_then(|c| c.get_str("sid"))
        .expect("the ID token names the session (backchannel_logout_session_required)")
        .to_string();

    let logout_url =
        bounded(client.build_logout_url(LogoutUrlRequest::new(op().post_logout_redirect_uri())))
            .await
            .unwrap();
    let after = browser.log_out(&logout_url).await;
    assert!(
        after.as_str().starts_with(op().post_logout_redirect_uri()),
        "{after}"
    );

    let logout_token = bounded(listener.token)
        .await
        .expect("the provider POSTed a logout token to the back-channel logout URI");
    let logged_out = bounded(client.verify_logout_token(VerifyLogoutTokenRequest::new(
        SecretString::from(logout_token.to_string()),
    )))
    .await
    .unwrap_or_else(|e| panic!("the logout token was refused: {e:?}"));
    assert_eq!(logged_out.sid.as_deref(), Some(sid.as_str()));
    assert_eq!(logged_out.sub.as_deref(), Some(USER));
}

#[tokio::test]
async fn backchannel_logout_token_rs256_is_verified() {
    backchannel_logout(SigningAlgorithm::RS256).await;
}

/// A provider signs logout tokens like the client's ID tokens, so the ID-token allow-list
/// applies.
#[tokio::test]
async fn backchannel_logout_token_es256_is_verified() {
    backchannel_logout(SigningAlgorithm::ES256).await;
}

#[tokio::test]
async fn an_id_token_is_not_accepted_as_a_logout_token() {
    // Signed by the provider for this client, but not a logout token (no back-channel event).
    let tokens = log_in(&web_basic(), false).await;
    let id_token = tokens
        .id_token
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_string();
    let e = bounded(
        web_basic().verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            id_token.to_string(),
        ))),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e:?}");
    assert!(e.message().contains("logout token"), "{}", e.message());
}

// ---- any standards-following provider (issue 21) -----------------------------------------------

/// Login parameters that name the API: the client sends it as `resource` (RFC 8707).
fn api_login_params() -> AuthorizationParams {
    login_params()
        .scope("openid offline_access read:things")
        .audience(op().resource())
}

/// The access token is a JWT for the API (what the provider issues only for a named resource).
fn assert_api_token(tokens: &TokenResponse) {
    let claims = jwt_claims(tokens.access_token.expose_secret());
    assert_eq!(claims["aud"], op().resource(), "{claims}");
    assert_eq!(claims["iss"], op().issuer());
}

#[tokio::test]
async fn code_exchange_with_resource_gives_a_jwt_access_token_for_the_api() {
    let client = web_basic();
    let login = bounded(
        client.build_authorization_url(AuthorizationUrlRequest::new().params(api_login_params())),
    )
    .await
    .unwrap();
    assert_eq!(
        query_value(login.url.as_str(), "resource").as_deref(),
        Some(op().resource())
    );
    let callback = Browser::new()
        .log_in(&login.url, op().redirect_uri(), USER)
        .await;
    // The resource the login named is sent with the code (AudienceParameter::Resource).
    let tokens = bounded(
        client.get_token_by_code(TokenByCodeRequest::from_transaction(
            &callback,
            &login.transaction,
        )),
    )
    .await
    .unwrap_or_else(|e| panic!("the code exchange failed: {e:?}"));
    assert_api_token(&tokens);
    assert_logged_in(&tokens, "web-basic", "RS256");
}

#[tokio::test]
async fn device_flow_with_resource() {
    let client = builder("device").build().unwrap();
    let started = bounded(
        client.start_device_authorization(
            DeviceAuthorizationRequest::new()
                .scope("openid read:things")
                .audience(op().resource()),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("device authorization failed: {e:?}"));
    let mut url = op().url("/__test/device/approve");
    url.query_pairs_mut()
        .append_pair("user_code", &started.user_code)
        .append_pair("sub", USER);
    let response = bounded(reqwest::Client::new().post(url).send())
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "{}",
        bounded(response.text()).await.unwrap_or_default()
    );
    // Approved already: one poll, without waiting out the provider's interval.
    let tokens = bounded(client.device_code_grant(&started.device_code))
        .await
        .unwrap_or_else(|e| panic!("the approved device code gave no tokens: {e:?}"));
    assert_api_token(&tokens);
    assert_eq!(tokens.claims.as_ref().and_then(|c| c.sub()), Some(USER));
}

#[tokio::test]
async fn ciba_with_resource() {
    let client = ciba_client();
    let started = bounded(
        client.initiate_backchannel_authentication(
            BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(USER), "Approve-44")
                .params(
                    AuthorizationParams::new()
                        .scope("openid read:things")
                        .audience(op().resource()),
                ),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("bc-authorize failed: {e:?}"));
    answer_ciba(started.auth_req_id.expose_secret(), "approve").await;
    let tokens = bounded(client.backchannel_authentication_grant(&started.auth_req_id))
        .await
        .unwrap_or_else(|e| panic!("the approved request gave no tokens: {e:?}"));
    assert_api_token(&tokens);
}

#[tokio::test]
async fn client_credentials_with_a_scope_only() {
    let client = builder("m2m-scope")
        .client_secret(op().secret("m2m-scope"))
        .build()
        .unwrap();
    let tokens = bounded(
        client
            .get_token_by_client_credentials(ClientCredentialsRequest::new().scope("reports:read")),
    )
    .await
    .unwrap_or_else(|e| panic!("client credentials with a scope failed: {e:?}"));
    assert_eq!(tokens.scope.as_deref(), Some("reports:read"));
    assert!(!tokens.access_token.expose_secret().is_empty());
}

#[tokio::test]
async fn introspection_of_an_active_and_of_a_revoked_token() {
    let client = web_basic();
    let metadata = bounded(client.server_metadata()).await.unwrap();
    assert!(metadata.introspection_endpoint.is_some());
    assert!(
        metadata
            .other
            .contains_key("introspection_signing_alg_values_supported"),
        "the provider offers signed answers (RFC 9701)"
    );
    let tokens = log_in(&client, false).await;
    let refresh = tokens.refresh_token.clone().expect("a refresh token");
    let recorder = auth0_auth::ResponseRecorder::new();
    let recorded =
        client.with_options(auth0_auth::RequestOptions::new().record_response(&recorder));
    let active = bounded(recorded.introspect_token(
        IntrospectTokenRequest::new(refresh.clone()).token_type_hint(TokenTypeHint::RefreshToken),
    ))
    .await
    .unwrap_or_else(|e| panic!("introspection failed: {e:?}"));
    // The answer was the signed JWT of RFC 9701, verified before it was read.
    let answer = recorder
        .last()
        .expect("the introspection answer was recorded");
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/token-introspection+jwt")),
        "{answer:?}"
    );
    assert!(active.active);
    assert_eq!(active.client_id.as_deref(), Some("web-basic"));
    assert_eq!(active.sub.as_deref(), Some(USER));
    assert_eq!(active.iss.as_deref(), Some(op().issuer()));

    let access =
        bounded(client.introspect_token(IntrospectTokenRequest::new(tokens.access_token.clone())))
            .await
            .unwrap();
    assert!(access.active);
    assert!(access.exp.is_some());

    bounded(client.revoke_token(RevokeTokenRequest::new(refresh.clone())))
        .await
        .unwrap_or_else(|e| panic!("revocation failed: {e:?}"));
    let revoked = bounded(client.introspect_token(IntrospectTokenRequest::new(refresh)))
        .await
        .unwrap();
    assert!(!revoked.active);
}

/// Logs in with a signed request object (by value or pushed) and checks the ID token.
async fn jar_login(pushed: bool) {
    let client = web_jwt_es256();
    let login = bounded(
        client.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(login_params())
                .request_object(true)
                .pushed(pushed),
        ),
    )
    .await
    .unwrap();
    let names: Vec<String> = login
        .url
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    if pushed {
        assert_eq!(names, ["client_id", "request_uri"], "{}", login.url);
    } else {
        assert!(names.contains(&"request".to_string()), "{}", login.url);
        assert!(!names.contains(&"nonce".to_string()), "{}", login.url);
    }
    let callback = Browser::new()
        .log_in(&login.url, op().redirect_uri(), USER)
        .await;
    let tokens = bounded(
        client.get_token_by_code(TokenByCodeRequest::from_transaction(
            &callback,
            &login.transaction,
        )),
    )
    .await
    .unwrap_or_else(|e| panic!("the code exchange failed: {e:?}"));
    assert_logged_in(&tokens, "web-jwt-es256", "ES256");
}

#[tokio::test]
async fn jar_by_value() {
    jar_login(false).await;
}

#[tokio::test]
async fn jar_through_par() {
    jar_login(true).await;
}

#[tokio::test]
async fn logout_with_id_token_hint_redirects_back() {
    let client = web_basic();
    let mut browser = Browser::new();
    let tokens = log_in_with(&client, &mut browser, false).await;
    let id_token = tokens.id_token.clone().expect("an ID token");
    let url = bounded(client.build_logout_url(
        LogoutUrlRequest::new(op().post_logout_redirect_uri()).id_token_hint(id_token),
    ))
    .await
    .unwrap();
    assert!(
        query_value(url.as_str(), "id_token_hint").is_some(),
        "{url}"
    );
    let after = browser.log_out(&url).await;
    assert!(
        after.as_str().starts_with(op().post_logout_redirect_uri()),
        "{after}"
    );
}
