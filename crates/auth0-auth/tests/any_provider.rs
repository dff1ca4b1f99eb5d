//! Issue 21 against the emulator: what the SDK sends when the provider is not assumed to be
//! Auth0 — client credentials without an audience, RFC 8707 `resource` on every request that
//! names an API, and pushed authorization requests from public clients.

mod common;

use auth0_auth::{
    AudienceParameter, AuthorizationParams, AuthorizationUrlRequest,
    BackchannelAuthenticationRequest, ClientCredentialsRequest, DeviceAuthorizationRequest,
    ErrorKind, TokenByCodeRequest, UserId,
};
use auth0_emulator::{Emulator, demo};
use common::{bounded, browser_login, client, confidential, demo_tenant, public_client, tenant};

const CALLBACK: &str = "http://localhost:3000/callback";

fn names(form: &[(String, String)]) -> Vec<&str> {
    form.iter().map(|(k, _)| k.as_str()).collect()
}

#[tokio::test]
async fn client_credentials_without_an_audience_send_neither_audience_nor_resource() {
    let t = demo_tenant().await;
    // The emulator, like an Auth0 tenant without a default audience, refuses; what matters is
    // what was sent.
    let _ =
        bounded(client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new().scope("read:messages"),
        ))
        .await;
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        names(&sent.form()),
        ["grant_type", "scope", "client_id", "client_secret"]
    );
    assert_eq!(sent.form_value("scope").as_deref(), Some("read:messages"));

    let resource_client = confidential(&t)
        .audience_parameter(AudienceParameter::Resource)
        .build()
        .unwrap();
    let _ =
        bounded(resource_client.get_token_by_client_credentials(ClientCredentialsRequest::new()))
            .await;
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        names(&sent.form()),
        ["grant_type", "client_id", "client_secret"]
    );
}

#[tokio::test]
async fn client_credentials_carry_scope_and_authorization_details() {
    let t = demo_tenant().await;
    let details = serde_json::json!([{"type": "reports", "actions": ["read"]}]);
    let tokens = bounded(
        client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new()
                .audience(demo::AUDIENCE)
                .scope("read:messages")
                .authorization_details(details.clone()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("read:messages"));
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        names(&sent.form()),
        [
            "grant_type",
            "audience",
            "scope",
            "authorization_details",
            "client_id",
            "client_secret"
        ]
    );
    let sent_details: serde_json::Value =
        serde_json::from_str(&sent.form_value("authorization_details").unwrap()).unwrap();
    assert_eq!(sent_details, details);
}

#[tokio::test]
async fn a_blank_audience_is_refused_before_any_request() {
    let t = demo_tenant().await;
    t.clear_requests();
    let e = bounded(
        client(&t).get_token_by_client_credentials(ClientCredentialsRequest::new().audience(" ")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(t.requests_to("/oauth/token").is_empty());
}

#[tokio::test]
async fn the_resource_setting_names_the_api_in_the_authorization_url_and_the_code_exchange() {
    let t = demo_tenant().await;
    let c = confidential(&t)
        .audience_parameter(AudienceParameter::Resource)
        .build()
        .unwrap();
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new().params(
                AuthorizationParams::new()
                    .redirect_uri(CALLBACK)
                    .audience(demo::AUDIENCE),
            ),
        ),
    )
    .await
    .unwrap();
    let query: Vec<(String, String)> = login.url.query_pairs().into_owned().collect();
    assert!(query.iter().all(|(k, _)| k != "audience"), "{query:?}");
    assert!(query.contains(&("resource".into(), demo::AUDIENCE.into())));
    assert_eq!(login.transaction.audience(), Some(demo::AUDIENCE));

    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("resource").as_deref(), Some(demo::AUDIENCE));
    assert_eq!(sent.form_value("audience"), None);
}

#[tokio::test]
async fn the_code_exchange_sends_an_explicit_resource_and_nothing_by_default_for_auth0() {
    let t = demo_tenant().await;
    let c = client(&t);
    let params = AuthorizationParams::new()
        .redirect_uri(CALLBACK)
        .audience(demo::AUDIENCE);
    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(params.clone())))
            .await
            .unwrap();
    assert!(login.url.query_pairs().any(|(k, _)| k == "audience"));
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("resource"),
        None,
        "Auth0 names the API at /authorize"
    );

    let login = bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(params)))
        .await
        .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    bounded(
        c.get_token_by_code(
            TokenByCodeRequest::from_transaction(&callback, &login.transaction)
                .resource("https://other.example.com/"),
        ),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("resource").as_deref(),
        Some("https://other.example.com/")
    );
}

#[tokio::test]
async fn the_resource_setting_applies_to_par_ciba_and_device_authorization() {
    let t = tenant(Emulator::builder().demo_tenant().ciba_interval(1)).await;
    let c = confidential(&t)
        .audience_parameter(AudienceParameter::Resource)
        .build()
        .unwrap();
    let with_api = AuthorizationParams::new()
        .redirect_uri(CALLBACK)
        .audience(demo::AUDIENCE);

    let _ = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(with_api.clone())
                .pushed(true),
        ),
    )
    .await
    .unwrap();
    let pushed = t.requests_to("/oauth/par").pop().unwrap();
    assert_eq!(
        pushed.form_value("resource").as_deref(),
        Some(demo::AUDIENCE)
    );
    assert_eq!(pushed.form_value("audience"), None);

    let user = auth0_emulator::UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_string();
    let _ = bounded(
        c.initiate_backchannel_authentication(
            BackchannelAuthenticationRequest::new(UserId::new(user), "Approve?").params(
                AuthorizationParams::new()
                    .scope("openid")
                    .audience(demo::AUDIENCE),
            ),
        ),
    )
    .await;
    let ciba = t.requests_to("/bc-authorize").pop().unwrap();
    assert_eq!(ciba.form_value("resource").as_deref(), Some(demo::AUDIENCE));
    assert_eq!(ciba.form_value("audience"), None);

    let _ = bounded(
        c.start_device_authorization(
            DeviceAuthorizationRequest::new()
                .scope("openid")
                .audience(demo::AUDIENCE),
        ),
    )
    .await;
    let device = t.requests_to("/oauth/device/code").pop().unwrap();
    assert_eq!(
        device.form_value("resource").as_deref(),
        Some(demo::AUDIENCE)
    );
    assert_eq!(device.form_value("audience"), None);
}

#[tokio::test]
async fn a_public_client_may_push_its_authorization_request() {
    let t = demo_tenant().await;
    let c = public_client(&t);
    // The emulator, like Auth0, insists on client authentication at its PAR endpoint; the
    // SDK no longer refuses before asking (RFC 9126 allows public clients).
    let outcome = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(AuthorizationParams::new().redirect_uri(CALLBACK))
                .pushed(true),
        ),
    )
    .await;
    if let Err(e) = &outcome {
        assert_ne!(e.code().as_str(), "missing_client_auth_error", "{e}");
    }
    let pushed = t
        .requests_to("/oauth/par")
        .pop()
        .expect("the push was sent");
    assert_eq!(
        pushed.form_value("client_id").as_deref(),
        Some(demo::PUBLIC_CLIENT_ID)
    );
    assert_eq!(pushed.form_value("client_secret"), None);
    assert!(pushed.form_value("code_challenge").is_some());
}

const DISCOVERY: &str = "/.well-known/openid-configuration";

/// A fresh tenant whose discovery document is its real one changed by `change` (a fresh
/// tenant each time, since documents are cached process-wide per base URL).
async fn tenant_with_document(
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> auth0_emulator::RunningEmulator {
    let t = demo_tenant().await;
    let mut doc: serde_json::Value = bounded(async {
        reqwest::get(format!("{}{DISCOVERY}", t.base_url()))
            .await?
            .json()
            .await
    })
    .await
    .expect("the real document");
    if let Some(map) = doc.as_object_mut() {
        change(map);
    }
    t.inject_fault(
        DISCOVERY,
        auth0_emulator::Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: doc.to_string(),
        },
        1,
    );
    t
}

#[tokio::test]
async fn revocation_uses_auth0_s_path_only_for_an_auth0_tenant() {
    // An Auth0 tenant (recognised by its mfa_challenge_endpoint) without a listed endpoint:
    // the well-known path.
    let t = tenant_with_document(|doc| {
        doc.remove("revocation_endpoint");
    })
    .await;
    bounded(client(&t).revoke_token(auth0_auth::RevokeTokenRequest::new("rt-unknown".into())))
        .await
        .unwrap();
    assert_eq!(t.requests_to("/oauth/revoke").len(), 1);

    // Any other provider without one: NotSupported, and nothing is sent.
    let t = tenant_with_document(|doc| {
        doc.remove("revocation_endpoint");
        doc.remove("mfa_challenge_endpoint");
    })
    .await;
    let e = bounded(client(&t).revoke_token(auth0_auth::RevokeTokenRequest::new("rt".into())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotSupported);
    assert!(e.message().contains("revocation_endpoint"), "{e}");
    assert!(t.requests_to("/oauth/revoke").is_empty());
}

#[tokio::test]
async fn defaults_from_metadata_pick_the_strongest_secret_method_unless_one_is_set() {
    let t = demo_tenant().await;
    // The emulator lists client_secret_jwt: the secret never travels.
    let c = confidential(&t)
        .defaults_from_metadata(true)
        .build()
        .unwrap();
    bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("client_secret"), None);
    assert!(sent.form_value("client_assertion").is_some());
    assert!(!sent.body.contains(demo::CLIENT_SECRET));

    let explicit = confidential(&t)
        .defaults_from_metadata(true)
        .client_secret_method(auth0_auth::ClientSecretMethod::Post)
        .build()
        .unwrap();
    bounded(
        explicit.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("client_secret").as_deref(),
        Some(demo::CLIENT_SECRET)
    );
}

#[tokio::test]
async fn defaults_from_metadata_allow_the_id_token_algorithms_the_provider_lists() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .token_signing_alg(auth0_emulator::keys::TokenSigningAlg::ES256),
    )
    .await;
    let password =
        || auth0_auth::PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid");
    // The default allow-list is RS256 only: an ES256 ID token is refused.
    let e = bounded(client(&t).get_token_by_password(password()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");

    // Read from id_token_signing_alg_values_supported (ES256 among them): accepted.
    let c = confidential(&t)
        .defaults_from_metadata(true)
        .build()
        .unwrap();
    let tokens = bounded(c.get_token_by_password(password())).await.unwrap();
    assert!(tokens.claims.is_some());

    // An explicit list still wins.
    let explicit = confidential(&t)
        .defaults_from_metadata(true)
        .id_token_signing_algs([auth0_auth::SigningAlgorithm::RS256])
        .build()
        .unwrap();
    let e = bounded(explicit.get_token_by_password(password()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
}

#[tokio::test]
async fn logout_with_an_id_token_hint_redirects_back() {
    let t = demo_tenant().await;
    let c = client(&t);
    let tokens = bounded(c.get_token_by_password(
        auth0_auth::PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid"),
    ))
    .await
    .unwrap();
    let url = bounded(
        c.build_logout_url(
            auth0_auth::LogoutUrlRequest::new(demo::LOGOUT_URL)
                .id_token_hint(tokens.id_token.clone().unwrap()),
        ),
    )
    .await
    .unwrap();
    assert!(
        url.query_pairs().any(|(k, _)| k == "id_token_hint"),
        "{url}"
    );
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = bounded(browser.get(url.as_str()).send()).await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(demo::LOGOUT_URL), "{location}");
}

#[tokio::test]
async fn a_blank_resource_for_the_code_exchange_is_refused_before_any_request() {
    let t = demo_tenant().await;
    t.clear_requests();
    let e = bounded(client(&t).get_token_by_code(
        TokenByCodeRequest::new("/callback?code=abc", "verifier".into()).resource(" "),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(t.requests().is_empty(), "{:?}", t.requests());
}

#[tokio::test]
async fn the_logout_url_uses_auth0_s_path_only_for_an_auth0_tenant() {
    // An Auth0 tenant without an end-session endpoint: `/v2/logout` with `returnTo`.
    let t = tenant_with_document(|doc| {
        doc.remove("end_session_endpoint");
    })
    .await;
    let url = bounded(
        client(&t).build_logout_url(auth0_auth::LogoutUrlRequest::new("http://localhost:3000/")),
    )
    .await
    .unwrap();
    assert_eq!(url.path(), "/v2/logout");
    assert!(url.query_pairs().any(|(k, _)| k == "returnTo"));

    // Any other provider without one: NotSupported, never a guessed Auth0 path.
    let t = tenant_with_document(|doc| {
        doc.remove("end_session_endpoint");
        doc.remove("mfa_challenge_endpoint");
    })
    .await;
    let e = bounded(
        client(&t).build_logout_url(auth0_auth::LogoutUrlRequest::new("http://localhost:3000/")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotSupported);
    assert!(e.message().contains("end_session_endpoint"), "{e}");
}
