//! DPoP binding of the authorization code (RFC 9449 section 10), end to end over HTTP against
//! the emulator: a DPoP proof at PAR, or a `dpop_jkt` in the authorization URL, binds the code
//! to a key, and only a DPoP proof signed with that key can redeem it.

mod common;

use auth0_auth::{
    AuthClient, AuthClientBuilder, AuthorizationParams, AuthorizationUrl, AuthorizationUrlRequest,
    DpopKey, Error, ExposeSecret, TokenByCodeRequest, TokenResponse,
};
use auth0_emulator::{Emulator, RunningEmulator, demo};
use common::{bounded, browser_login, claims_of, confidential, demo_tenant, query_value, tenant};

const CALLBACK: &str = "http://localhost:3000/callback";

fn login_params() -> AuthorizationParams {
    AuthorizationParams::new()
        .redirect_uri(CALLBACK)
        .state("state-123")
        .nonce("nonce-456")
}

/// The demo confidential client with a fresh DPoP key.
fn dpop_client(t: &RunningEmulator) -> AuthClient {
    with_fresh_key(confidential(t))
}

fn with_fresh_key(builder: AuthClientBuilder) -> AuthClient {
    builder
        .dpop_key(DpopKey::generate().unwrap())
        .build()
        .unwrap()
}

/// The thumbprint of a client's DPoP key.
fn jkt(c: &AuthClient) -> String {
    c.dpop_key().expect("a DPoP client").thumbprint().to_owned()
}

/// Builds an authorization URL (pushed or not) with `params`, logs the demo user in through the
/// emulator's login page and returns the login and the callback URL.
async fn log_in(
    c: &AuthClient,
    pushed: bool,
    params: AuthorizationParams,
) -> (AuthorizationUrl, String) {
    let login = bounded(
        c.build_authorization_url(AuthorizationUrlRequest::new().pushed(pushed).params(params)),
    )
    .await
    .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    assert!(
        query_value(&callback, "code").is_some(),
        "the login returns a code: {callback}"
    );
    (login, callback)
}

/// Exchanges the code of `callback` with `c`.
async fn redeem(
    c: &AuthClient,
    login: &AuthorizationUrl,
    callback: &str,
) -> Result<TokenResponse, Error> {
    bounded(
        // The explicit path: it leaves the DPoP binding to the server, whose checks these
        // tests are about (the transaction would refuse a wrong key before any request).
        c.get_token_by_code(
            TokenByCodeRequest::new(callback, login.transaction.code_verifier().clone())
                .expected_state(login.transaction.state())
                .expected_nonce(login.transaction.nonce().unwrap_or_default()),
        ),
    )
    .await
}

/// Asserts that tokens are bound to the key with thumbprint `jkt`.
fn assert_bound(tokens: &TokenResponse, jkt: &str) {
    assert_eq!(tokens.token_type.as_deref(), Some("dpop"));
    let claims = claims_of(tokens.access_token.expose_secret());
    assert_eq!(claims["cnf"]["jkt"], jkt);
}

/// Asserts a `400 invalid_dpop_proof` whose description contains `says`.
fn assert_refused(e: &Error, says: &str) {
    let oauth = e.oauth().unwrap_or_else(|| panic!("an OAuth error: {e}"));
    assert_eq!(oauth.error, "invalid_dpop_proof", "{e}");
    assert_eq!(e.status(), Some(400));
    let description = oauth.error_description.as_deref().unwrap_or_default();
    assert!(description.contains(says), "{description}");
}

#[tokio::test]
async fn a_dpop_proof_at_par_binds_the_code_and_the_same_key_redeems_it() {
    // With nonces required, both PAR and the token endpoint answer a nonce challenge first.
    let t = tenant(Emulator::builder().demo_tenant().dpop_nonce_required(true)).await;
    let c = dpop_client(&t);
    let (login, callback) = log_in(&c, true, login_params()).await;
    let pushed = t.requests_to("/oauth/par").pop().expect("a PAR request");
    assert!(pushed.header("dpop").is_some(), "PAR carries a DPoP proof");
    assert!(pushed.form_value("dpop_jkt").is_none());

    let tokens = redeem(&c, &login, &callback).await.unwrap();
    assert_bound(&tokens, &jkt(&c));
    assert!(tokens.claims.is_some());
}

#[tokio::test]
async fn a_par_bound_code_is_refused_to_another_key_and_kept_for_its_own() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    let (login, callback) = log_in(&c, true, login_params()).await;

    let thief = dpop_client(&t);
    assert_ne!(jkt(&thief), jkt(&c));
    let e = redeem(&thief, &login, &callback).await.unwrap_err();
    assert_refused(&e, "bound to another DPoP key");

    // The refusal does not spend the code: the key's holder still redeems it, once.
    let tokens = redeem(&c, &login, &callback).await.unwrap();
    assert_bound(&tokens, &jkt(&c));
    let e = redeem(&c, &login, &callback).await.unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
}

#[tokio::test]
async fn a_client_without_dpop_cannot_redeem_a_par_bound_code() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    let (login, callback) = log_in(&c, true, login_params()).await;

    let plain = common::client(&t);
    let e = redeem(&plain, &login, &callback).await.unwrap_err();
    assert_refused(&e, "send a DPoP proof");
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert!(sent.header("dpop").is_none());
}

#[tokio::test]
async fn a_dpop_jkt_in_the_authorization_url_binds_the_code() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    let (login, callback) = log_in(&c, false, login_params().set("dpop_jkt", jkt(&c))).await;
    assert_eq!(
        query_value(login.url.as_str(), "dpop_jkt"),
        Some(jkt(&c)),
        "the URL carries dpop_jkt"
    );
    let tokens = redeem(&c, &login, &callback).await.unwrap();
    assert_bound(&tokens, &jkt(&c));

    // Public clients too; without a proof the bound code is refused as well.
    let public = with_fresh_key(AuthClient::builder(t.base_url(), demo::PUBLIC_CLIENT_ID));
    let (login, callback) =
        log_in(&public, false, login_params().set("dpop_jkt", jkt(&public))).await;
    let plain_public = common::public_client(&t);
    let e = redeem(&plain_public, &login, &callback).await.unwrap_err();
    assert_refused(&e, "send a DPoP proof");
    let tokens = redeem(&public, &login, &callback).await.unwrap();
    assert_bound(&tokens, &jkt(&public));
}

#[tokio::test]
async fn a_code_bound_to_a_wrong_dpop_jkt_is_refused() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    let elsewhere = DpopKey::generate().unwrap();
    let (login, callback) = log_in(
        &c,
        false,
        login_params().set("dpop_jkt", elsewhere.thumbprint()),
    )
    .await;
    let e = redeem(&c, &login, &callback).await.unwrap_err();
    assert_refused(&e, "bound to another DPoP key");
}

#[tokio::test]
async fn par_refuses_a_dpop_jkt_that_is_not_the_proofs_key() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    let other = DpopKey::generate().unwrap();
    let e = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .pushed(true)
                .params(login_params().set("dpop_jkt", other.thumbprint())),
        ),
    )
    .await
    .unwrap_err();
    assert_refused(
        &e,
        "not the thumbprint of the key that signed the DPoP proof",
    );

    // The proof's own thumbprint is accepted (and binds as the proof alone would).
    let (login, callback) = log_in(&c, true, login_params().set("dpop_jkt", jkt(&c))).await;
    assert_eq!(
        t.requests_to("/oauth/par")
            .pop()
            .unwrap()
            .form_value("dpop_jkt"),
        Some(jkt(&c))
    );
    assert_bound(&redeem(&c, &login, &callback).await.unwrap(), &jkt(&c));

    // A confidential client without DPoP may push a dpop_jkt alone; it binds the code.
    let plain = common::client(&t);
    let key = DpopKey::generate().unwrap();
    let (login, callback) = log_in(
        &plain,
        true,
        login_params().set("dpop_jkt", key.thumbprint()),
    )
    .await;
    let e = redeem(&plain, &login, &callback).await.unwrap_err();
    assert_refused(&e, "send a DPoP proof");
    let holder = confidential(&t).dpop_key(key).build().unwrap();
    assert_bound(
        &redeem(&holder, &login, &callback).await.unwrap(),
        &jkt(&holder),
    );
}

#[tokio::test]
async fn a_malformed_dpop_jkt_is_an_invalid_request() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    for bad in ["too-short", &format!("{}+", &jkt(&c)[..42])] {
        // In the authorization URL: the error goes back to the redirect URI.
        let login = bounded(c.build_authorization_url(
            AuthorizationUrlRequest::new().params(login_params().set("dpop_jkt", bad)),
        ))
        .await
        .unwrap();
        let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
        assert!(callback.starts_with(CALLBACK), "{callback}");
        assert_eq!(
            query_value(&callback, "error").as_deref(),
            Some("invalid_request")
        );
        assert!(
            query_value(&callback, "error_description")
                .unwrap()
                .contains("dpop_jkt"),
            "{callback}"
        );
        assert_eq!(
            query_value(&callback, "state").as_deref(),
            Some("state-123")
        );

        // Pushed: a 400 from the PAR endpoint.
        let e = bounded(
            c.build_authorization_url(
                AuthorizationUrlRequest::new()
                    .pushed(true)
                    .params(login_params().set("dpop_jkt", bad)),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, "invalid_request", "{e}");
        assert_eq!(e.status(), Some(400));
    }
}

#[tokio::test]
async fn unbound_codes_are_redeemed_as_before() {
    let t = demo_tenant().await;
    // A DPoP client that does not push and sends no dpop_jkt gets an unbound code: any client
    // may redeem it (the code's other checks still apply), and tokens are bound to the proof
    // of the redemption, if any.
    let c = dpop_client(&t);
    let (login, callback) = log_in(&c, false, login_params()).await;
    let plain = common::client(&t);
    let tokens = redeem(&plain, &login, &callback).await.unwrap();
    assert_eq!(tokens.token_type.as_deref(), Some("bearer"));
    assert!(
        claims_of(tokens.access_token.expose_secret())
            .get("cnf")
            .is_none()
    );

    let (login, callback) = log_in(&plain, true, login_params()).await;
    let other = dpop_client(&t);
    assert_bound(
        &redeem(&other, &login, &callback).await.unwrap(),
        &jkt(&other),
    );
}

/// `AuthorizationUrlRequest::bind_to_dpop_key` adds the client's own thumbprint as `dpop_jkt`;
/// the code it yields is the key's alone. Without a DPoP key the option is a configuration error.
#[tokio::test]
async fn bind_to_dpop_key_adds_the_clients_thumbprint() {
    let t = demo_tenant().await;
    let c = dpop_client(&t);
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(login_params())
                .bind_to_dpop_key(true),
        ),
    )
    .await
    .unwrap();
    assert_eq!(query_value(login.url.as_str(), "dpop_jkt"), Some(jkt(&c)));
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let thief = dpop_client(&t);
    let e = redeem(&thief, &login, &callback).await.unwrap_err();
    assert_refused(&e, "bound to another DPoP key");
    let tokens = redeem(&c, &login, &callback).await.unwrap();
    assert_bound(&tokens, &jkt(&c));

    let e = bounded(
        common::client(&t).build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(login_params())
                .bind_to_dpop_key(true),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), auth0_auth::ErrorKind::Configuration, "{e}");
    assert_eq!(e.code(), auth0_auth::ErrorCode::BuildAuthorizationUrl);
    assert!(e.message().contains("dpop_key"), "{e}");
}
