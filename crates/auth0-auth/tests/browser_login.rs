//! Browser login end to end: authorization URL (PKCE, PAR, RAR), the emulator's login page,
//! the callback, and the code exchange from the login transaction with full ID-token
//! validation. The fail-closed cases are in `login_transaction.rs`.

mod common;

use auth0_auth::{
    AuthorizationParams, AuthorizationUrlRequest, Connection, ErrorCode, ErrorKind, ExposeSecret,
    LinkUserUrlRequest, LoginTransaction, Prompt, SecretString, TokenByCodeRequest,
    UnlinkUserUrlRequest,
};
use auth0_emulator::{Emulator, demo};
use common::{
    bounded, browser_login, browser_login_with, client, confidential, demo_tenant, public_client,
    query, query_value, tenant,
};
use sha2::{Digest, Sha256};

const CALLBACK: &str = "http://localhost:3000/callback";

fn s256(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn login_params() -> AuthorizationParams {
    AuthorizationParams::new().redirect_uri(CALLBACK)
}

/// The transaction as an application keeps it: written to JSON and read back.
fn stored(transaction: &LoginTransaction) -> LoginTransaction {
    let json = serde_json::to_string(transaction).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[tokio::test]
async fn the_authorization_url_carries_exactly_the_specified_parameters() {
    let t = demo_tenant().await;
    let c = confidential(&t)
        .authorization_params(
            AuthorizationParams::new()
                .redirect_uri(CALLBACK)
                .audience(demo::AUDIENCE)
                .set("screen_hint", "signup"),
        )
        .build()
        .unwrap();
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new().params(
                AuthorizationParams::new()
                    .audience("https://other.example.com/")
                    .unset("screen_hint")
                    .state("xyz"),
            ),
        ),
    )
    .await
    .unwrap();
    let url = login.url.to_string();
    assert!(
        url.starts_with(&format!("{}authorize?", t.issuer())),
        "{url}"
    );
    let names: Vec<String> = query(&url).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "scope",
            "redirect_uri",
            "audience",
            "state",
            "nonce",
            "client_id",
            "code_challenge",
            "code_challenge_method",
            "response_type"
        ]
    );
    assert_eq!(
        query_value(&url, "scope").as_deref(),
        Some("openid profile email offline_access")
    );
    assert_eq!(
        query_value(&url, "audience").as_deref(),
        Some("https://other.example.com/")
    );
    assert_eq!(
        query_value(&url, "client_id").as_deref(),
        Some(demo::CLIENT_ID)
    );
    assert_eq!(
        query_value(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_value(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query_value(&url, "code_challenge").unwrap(),
        s256(login.transaction.code_verifier().expose_secret())
    );
    assert_eq!(query_value(&url, "state").as_deref(), Some("xyz"));
    assert_eq!(login.transaction.state(), "xyz");
    assert_eq!(
        query_value(&url, "nonce").as_deref(),
        login.transaction.nonce(),
        "a nonce is generated for an openid scope"
    );
    assert_eq!(login.transaction.redirect_uri(), Some(CALLBACK));
    assert_eq!(
        login.transaction.audience(),
        Some("https://other.example.com/")
    );
    assert_eq!(
        login.transaction.scope(),
        Some("openid profile email offline_access")
    );
    let again = bounded(c.build_authorization_url(AuthorizationUrlRequest::new()))
        .await
        .unwrap();
    assert_ne!(
        again.transaction.code_verifier().expose_secret(),
        login.transaction.code_verifier().expose_secret(),
        "a fresh verifier each call"
    );
}

#[tokio::test]
async fn a_full_login_returns_validated_tokens() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(login_params().audience(demo::AUDIENCE)),
    ))
    .await
    .unwrap();
    // The application keeps only the transaction, as JSON, between the two requests.
    let kept = serde_json::to_string(&login.transaction).unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    assert!(callback.starts_with(CALLBACK), "{callback}");
    let transaction: LoginTransaction = serde_json::from_str(&kept).unwrap();
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &transaction,
    )))
    .await
    .unwrap();
    let claims = tokens.claims.as_ref().unwrap();
    assert_eq!(claims.email(), Some(demo::USERNAME));
    assert_eq!(claims.get_str("nonce"), transaction.nonce());
    assert!(transaction.nonce().is_some());
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access is in the default scope"
    );

    let sent = t.requests_to("/oauth/token").pop().unwrap();
    let names: Vec<String> = sent.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(
        sent.form_value("grant_type").as_deref(),
        Some("authorization_code")
    );
}

#[tokio::test]
async fn public_clients_log_in_with_pkce_alone() {
    let t = demo_tenant().await;
    let c = public_client(&t);
    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &stored(&login.transaction),
    )))
    .await
    .unwrap();
    assert!(tokens.claims.is_some());
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert!(sent.form_value("client_secret").is_none());
}

#[tokio::test]
async fn a_wrong_verifier_or_a_reused_code_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tx = &login.transaction;
    let e = bounded(
        c.get_token_by_code(
            TokenByCodeRequest::new(
                &callback,
                SecretString::from("not-the-verifier-at-all-0123456789abcdefgh"),
            )
            .expected_state(tx.state())
            .expected_nonce(tx.nonce().unwrap()),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "token_by_code_error");
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");

    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let exchange = TokenByCodeRequest::from_transaction(&callback, &login.transaction);
    bounded(c.get_token_by_code(exchange.clone()))
        .await
        .unwrap();
    let e = bounded(c.get_token_by_code(exchange)).await.unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
}

#[tokio::test]
async fn state_and_iss_of_the_callback_are_checked_before_any_token_request() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    t.clear_requests();
    let verifier = login.transaction.code_verifier().clone();
    let e = bounded(c.get_token_by_code(
        TokenByCodeRequest::new(&callback, verifier.clone()).expected_state("other"),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenByCode);
    assert!(e.message().contains("state"), "{e}");
    let forged = callback.replace("iss=", "iss=https%3A%2F%2Fevil.example.com%2F&was=");
    let e = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &forged,
        &login.transaction,
    )))
    .await
    .unwrap_err();
    assert!(e.message().contains("iss"), "{e}");
    assert!(
        !e.message().contains("evil"),
        "no callback text echoed: {e}"
    );
    assert!(t.requests_to("/oauth/token").is_empty());
}

#[tokio::test]
async fn an_error_redirect_is_surfaced_with_the_servers_error() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(login_params().prompt(Prompt::None)),
    ))
    .await
    .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let e = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.oauth().unwrap().error, "login_required");
}

#[tokio::test]
async fn a_nonce_that_does_not_match_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tx = &login.transaction;
    let e = bounded(
        c.get_token_by_code(
            TokenByCodeRequest::new(&callback, tx.code_verifier().clone())
                .expected_state(tx.state())
                .expected_nonce("another-nonce"),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("nonce"), "{e}");
}

#[tokio::test]
async fn max_age_is_checked_against_auth_time() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(login_params().max_age(600)),
    ))
    .await
    .unwrap();
    assert_eq!(login.transaction.max_age(), Some(600));
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &stored(&login.transaction),
    )))
    .await
    .unwrap();
    assert!(tokens.claims.unwrap().get("auth_time").is_some());
}

async fn organization_login(expected: &str) -> auth0_auth::Result<auth0_auth::TokenResponse> {
    let t = demo_tenant().await;
    let c = client(&t);
    let login = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(login_params().organization(demo::ORGANIZATION_ID)),
    ))
    .await
    .unwrap();
    assert_eq!(
        login.transaction.organization(),
        Some(demo::ORGANIZATION_ID)
    );
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    // The transaction checks its organization; this one is expected in place of it.
    bounded(c.get_token_by_code(
        TokenByCodeRequest::from_transaction(&callback, &login.transaction).organization(expected),
    ))
    .await
}

#[tokio::test]
async fn organizations_are_checked_by_id_exactly_and_by_name_ignoring_case() {
    let tokens = organization_login(demo::ORGANIZATION_ID).await.unwrap();
    assert_eq!(tokens.claims.unwrap().org_id(), Some(demo::ORGANIZATION_ID));
    organization_login(&demo::ORGANIZATION_NAME.to_uppercase())
        .await
        .unwrap();
    let e = organization_login("org_someone_else").await.unwrap_err();
    assert_eq!(e.code().as_str(), "organization_validation_error");
    let e = organization_login("another-name").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::OrganizationValidation);
}

#[tokio::test]
async fn an_organization_chosen_on_the_login_page_reaches_the_id_token() {
    let t = tenant(
        Emulator::builder().demo_tenant().client(
            auth0_emulator::ClientConfig::confidential("org-app", "org-app-secret")
                .callback(CALLBACK)
                .require_organization(),
        ),
    )
    .await;
    let c = auth0_auth::AuthClient::builder(t.base_url(), "org-app")
        .client_secret("org-app-secret")
        .build()
        .unwrap();
    let login =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login_with(
        login.url.as_str(),
        demo::USERNAME,
        demo::PASSWORD,
        Some(demo::ORGANIZATION_NAME),
    )
    .await;
    let tokens = bounded(
        c.get_token_by_code(
            TokenByCodeRequest::from_transaction(&callback, &login.transaction)
                .organization(demo::ORGANIZATION_ID),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().org_id(), Some(demo::ORGANIZATION_ID));
}

#[tokio::test]
async fn pushed_authorization_requests_carry_only_client_id_and_request_uri() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(login_params().audience(demo::AUDIENCE))
                .pushed(true),
        ),
    )
    .await
    .unwrap();
    let url = login.url.to_string();
    let names: Vec<String> = query(&url).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["client_id", "request_uri"]);
    let pushed = t.requests_to("/oauth/par").pop().expect("a PAR request");
    assert_eq!(pushed.form_value("redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(
        pushed.form_value("client_secret").as_deref(),
        Some(demo::CLIENT_SECRET)
    );
    assert_eq!(
        pushed
            .form()
            .iter()
            .filter(|(k, _)| k == "client_id")
            .count(),
        1,
        "client_id is sent once"
    );
    assert_eq!(
        pushed.form_value("state").as_deref(),
        Some(login.transaction.state()),
        "the generated state goes in the pushed request"
    );
    assert_eq!(
        pushed.form_value("nonce").as_deref(),
        login.transaction.nonce(),
        "the generated nonce goes in the pushed request"
    );
    let callback = browser_login(&url, demo::USERNAME, demo::PASSWORD).await;
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &stored(&login.transaction),
    )))
    .await
    .unwrap();
    assert_eq!(
        tokens.claims.unwrap().get_str("nonce"),
        login.transaction.nonce()
    );
}

#[tokio::test]
async fn par_needs_a_tenant_that_supports_it() {
    let t = tenant(Emulator::builder().demo_tenant().without_par()).await;
    let e =
        bounded(client(&t).build_authorization_url(AuthorizationUrlRequest::new().pushed(true)))
            .await
            .unwrap_err();
    assert_eq!(e.code().as_str(), "par_not_supported_error");
    assert!(e.message().contains("pushed authorization requests"), "{e}");
    let e = bounded(
        public_client(&t).build_authorization_url(AuthorizationUrlRequest::new().pushed(true)),
    )
    .await
    .unwrap_err();
    // Public clients may push (RFC 9126); the tenant without PAR still says no.
    assert_eq!(e.code().as_str(), "par_not_supported_error");
}

#[tokio::test]
async fn rich_authorization_details_go_as_json_and_come_back() {
    let t = demo_tenant().await;
    let c = client(&t);
    let details = serde_json::json!([{"type": "payment_initiation", "amount": "10.00"}]);
    let login = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(login_params().authorization_details(&details)),
    ))
    .await
    .unwrap();
    let sent: serde_json::Value =
        serde_json::from_str(&query_value(login.url.as_str(), "authorization_details").unwrap())
            .unwrap();
    assert_eq!(sent, details);
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap();
    assert_eq!(tokens.authorization_details, Some(details));
}

#[tokio::test]
async fn link_and_unlink_urls_have_their_fixed_scopes() {
    let t = demo_tenant().await;
    let c = client(&t);
    let link = bounded(
        c.build_link_user_url(
            LinkUserUrlRequest::new(
                Connection::new("google-oauth2"),
                SecretString::from("an-id-token"),
            )
            .connection_scope("https://www.googleapis.com/auth/calendar")
            .params(AuthorizationParams::new().redirect_uri(CALLBACK)),
        ),
    )
    .await
    .unwrap();
    let u = link.url.as_str();
    assert_eq!(
        query_value(u, "scope").as_deref(),
        Some("openid link_account offline_access")
    );
    assert_eq!(
        query_value(u, "requested_connection").as_deref(),
        Some("google-oauth2")
    );
    assert_eq!(
        query_value(u, "requested_connection_scope").as_deref(),
        Some("https://www.googleapis.com/auth/calendar")
    );
    assert_eq!(
        query_value(u, "id_token_hint").as_deref(),
        Some("an-id-token")
    );
    assert!(query_value(u, "code_challenge").is_some());

    let unlink = bounded(c.build_unlink_user_url(UnlinkUserUrlRequest::new(
        Connection::new("google-oauth2"),
        SecretString::from("an-id-token"),
    )))
    .await
    .unwrap();
    let u = unlink.url.as_str();
    assert_eq!(
        query_value(u, "scope").as_deref(),
        Some("openid unlink_account")
    );
    assert_eq!(
        query_value(u, "requested_connection").as_deref(),
        Some("google-oauth2")
    );
    assert!(query_value(u, "requested_connection_scope").is_none());
}

#[tokio::test]
async fn a_link_login_completes_from_its_transaction() {
    let t = demo_tenant().await;
    let c = client(&t);
    let first =
        bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(login_params())))
            .await
            .unwrap();
    let callback = browser_login(first.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &first.transaction,
    )))
    .await
    .unwrap();
    let id_token = tokens.id_token.clone().unwrap();
    let link = bounded(
        c.build_link_user_url(
            LinkUserUrlRequest::new(Connection::new("google-oauth2"), id_token.clone())
                .params(login_params()),
        ),
    )
    .await
    .unwrap();
    let hint = query_value(link.url.as_str(), "id_token_hint").unwrap();
    assert_eq!(hint, id_token.expose_secret());
    let debug = format!("{link:?}");
    assert!(!debug.contains(&hint), "Debug hides the id_token_hint");
    assert!(
        !debug.contains(link.transaction.code_verifier().expose_secret()),
        "Debug hides the verifier"
    );
    assert_eq!(
        query_value(link.url.as_str(), "state").as_deref(),
        Some(link.transaction.state())
    );
    assert!(
        link.transaction.nonce().is_some(),
        "the link scope has openid"
    );
    let callback = browser_login(link.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let linked = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &stored(&link.transaction),
    )))
    .await
    .unwrap();
    assert_eq!(
        linked.claims.unwrap().get_str("nonce"),
        link.transaction.nonce()
    );
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(
        sent.form_value("code_verifier").as_deref(),
        Some(link.transaction.code_verifier().expose_secret())
    );
}
