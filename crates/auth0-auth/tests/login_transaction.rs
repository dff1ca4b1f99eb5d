//! Login transactions fail closed: every value a login decided is checked when it completes, the
//! callback is read strictly (RFC 6749 section 3.1, RFC 9207), and the explicit path refuses a
//! state or nonce it was not told about. Each case also shows that no token request was sent
//! when the callback alone is enough to refuse.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrl, AuthorizationUrlRequest, DpopKey, ErrorCode,
    ErrorKind, ExposeSecret, LoginTransaction, MagicLinkCodeRequest, PasswordlessSend,
    SecretString, SendEmailRequest, TokenByCodeRequest,
};
use auth0_emulator::{Fault, RunningEmulator, demo};
use base64::Engine;
use common::{bounded, browser_login, client, confidential, demo_tenant, query_value};
use serde_json::{Value, json};

const CALLBACK: &str = "http://localhost:3000/callback";

fn params() -> AuthorizationParams {
    AuthorizationParams::new().redirect_uri(CALLBACK)
}

/// Builds the URL with `params` and plays the browser; returns the login and the callback.
async fn log_in(c: &AuthClient, params: AuthorizationParams) -> (AuthorizationUrl, String) {
    let login = bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(params)))
        .await
        .unwrap();
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    assert!(
        query_value(&callback, "code").is_some(),
        "a code: {callback}"
    );
    (login, callback)
}

/// The callback with its query rebuilt by `edit`.
fn edit_query(callback: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    edit(&mut pairs);
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

fn without(callback: &str, name: &str) -> String {
    edit_query(callback, |p| p.retain(|(k, _)| k != name))
}

fn replaced(callback: &str, name: &str, value: &str) -> String {
    edit_query(callback, |p| {
        for (k, v) in p.iter_mut() {
            if k == name {
                *v = value.to_string();
            }
        }
    })
}

/// The transaction's JSON with `field` set to `value`, read back.
fn tampered(transaction: &LoginTransaction, field: &str, value: Value) -> LoginTransaction {
    let mut json = serde_json::to_value(transaction).unwrap();
    json[field] = value;
    serde_json::from_value(json).unwrap()
}

async fn complete(
    c: &AuthClient,
    callback: &str,
    transaction: &LoginTransaction,
) -> auth0_auth::Result<auth0_auth::TokenResponse> {
    bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(callback, transaction))).await
}

fn assert_no_token_request(t: &RunningEmulator) {
    assert!(
        t.requests_to("/oauth/token").is_empty(),
        "refused before any token request"
    );
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A well-formed ID token for the demo client, signed by the tenant, with `extra` claims.
fn crafted_id_token(t: &RunningEmulator, extra: Value) -> String {
    let now = now();
    let mut claims = json!({
        "iss": t.issuer(),
        "sub": "auth0|crafted",
        "aud": demo::CLIENT_ID,
        "iat": now,
        "exp": now + 600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    t.sign_jwt(None, &claims)
}

#[tokio::test]
async fn the_generated_state_is_fresh_256_bit_base64url_and_the_nonce_follows_openid() {
    let t = demo_tenant().await;
    let c = client(&t);
    let a = bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(params())))
        .await
        .unwrap();
    let b = bounded(c.build_authorization_url(AuthorizationUrlRequest::new().params(params())))
        .await
        .unwrap();
    for login in [&a, &b] {
        let state = query_value(login.url.as_str(), "state").unwrap();
        assert_eq!(state, login.transaction.state());
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&state)
            .expect("base64url without padding");
        assert!(bytes.len() * 8 >= 128, "at least 128 random bits");
        let nonce = query_value(login.url.as_str(), "nonce").unwrap();
        assert_eq!(Some(nonce.as_str()), login.transaction.nonce());
        assert!(nonce.len() >= 22);
        let created = login.transaction.created_at();
        assert!(created > 1_600_000_000, "unix seconds: {created}");
    }
    assert_ne!(a.transaction.state(), b.transaction.state());
    assert_ne!(a.transaction.nonce(), b.transaction.nonce());
    assert_ne!(a.transaction.state(), a.transaction.nonce().unwrap());

    // Without openid no ID token comes back, so no nonce; given values are kept; an empty
    // state counts as none.
    let plain = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(params().scope("profile").state("")),
    ))
    .await
    .unwrap();
    assert!(query_value(plain.url.as_str(), "nonce").is_none());
    assert_eq!(plain.transaction.nonce(), None);
    assert_eq!(plain.transaction.state().len(), 43);
    let given = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(params().state("my-state").nonce("my-nonce")),
    ))
    .await
    .unwrap();
    assert_eq!(given.transaction.state(), "my-state");
    assert_eq!(given.transaction.nonce(), Some("my-nonce"));
}

#[tokio::test]
async fn bad_max_age_and_blank_organization_are_refused_when_building() {
    let t = demo_tenant().await;
    let c = client(&t);
    let e = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(params().set("max_age", "soon")),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.code(), ErrorCode::BuildAuthorizationUrl);
    let e = bounded(c.build_authorization_url(
        AuthorizationUrlRequest::new().params(params().organization(" ")),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn the_transaction_round_trips_through_json_and_redacts_its_verifier() {
    let t = demo_tenant().await;
    let c = client(&t);
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new().params(
                params()
                    .audience(demo::AUDIENCE)
                    .max_age(120)
                    .organization(demo::ORGANIZATION_ID),
            ),
        ),
    )
    .await
    .unwrap();
    let tx = &login.transaction;
    let json: Value = serde_json::to_value(tx).unwrap();
    assert_eq!(json["codeVerifier"], tx.code_verifier().expose_secret());
    assert_eq!(json["state"], tx.state());
    assert_eq!(json["nonce"], tx.nonce().unwrap());
    assert_eq!(json["redirectUri"], CALLBACK);
    assert_eq!(json["maxAge"], 120);
    assert_eq!(json["organization"], demo::ORGANIZATION_ID);
    assert_eq!(json["audience"], demo::AUDIENCE);
    assert_eq!(json["scope"], "openid profile email offline_access");
    assert_eq!(json["createdAt"], tx.created_at());
    let back: LoginTransaction = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
    let verifier = tx.code_verifier().expose_secret();
    for text in [
        format!("{tx:?}"),
        format!("{login:?}"),
        format!("{back:#?}"),
    ] {
        assert!(!text.contains(verifier), "{text}");
    }
    let mut missing = json.clone();
    missing.as_object_mut().unwrap().remove("codeVerifier");
    assert!(serde_json::from_value::<LoginTransaction>(missing).is_err());
    let mut missing = json;
    missing.as_object_mut().unwrap().remove("state");
    assert!(serde_json::from_value::<LoginTransaction>(missing).is_err());
}

#[tokio::test]
async fn a_wrong_or_missing_state_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    t.clear_requests();
    let e = complete(
        &c,
        &replaced(&callback, "state", "forged"),
        &login.transaction,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("state does not match"), "{e}");
    let e = complete(&c, &without(&callback, "state"), &login.transaction)
        .await
        .unwrap_err();
    assert!(e.message().contains("no state"), "{e}");
    // A transaction whose state was changed is refused the same way.
    let other = tampered(&login.transaction, "state", json!("another"));
    let e = complete(&c, &callback, &other).await.unwrap_err();
    assert!(e.message().contains("state"), "{e}");
    assert_no_token_request(&t);
    complete(&c, &callback, &login.transaction).await.unwrap();
}

#[tokio::test]
async fn the_explicit_path_refuses_a_state_it_was_not_told_about() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    t.clear_requests();
    let e = bounded(c.get_token_by_code(TokenByCodeRequest::new(
        &callback,
        login.transaction.code_verifier().clone(),
    )))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("none was expected"), "{e}");
    assert_no_token_request(&t);
}

#[tokio::test]
async fn the_explicit_path_refuses_a_nonce_it_was_not_told_about() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    assert!(login.transaction.nonce().is_some());
    let e = bounded(
        c.get_token_by_code(
            TokenByCodeRequest::new(&callback, login.transaction.code_verifier().clone())
                .expected_state(login.transaction.state()),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("nonce"), "{e}");
}

#[tokio::test]
async fn a_nonce_mismatch_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    let other = tampered(&login.transaction, "nonce", json!("not-the-nonce"));
    let e = complete(&c, &callback, &other).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("nonce"), "{e}");
}

#[tokio::test]
async fn a_transaction_without_nonce_refuses_an_id_token_with_one() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    let mut json = serde_json::to_value(&login.transaction).unwrap();
    json.as_object_mut().unwrap().remove("nonce");
    let without_nonce: LoginTransaction = serde_json::from_value(json).unwrap();
    let e = complete(&c, &callback, &without_nonce).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("nonce"), "{e}");
}

#[tokio::test]
async fn max_age_needs_a_recent_auth_time() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params().max_age(60)).await;
    let nonce = login.transaction.nonce().unwrap();
    t.set_next_id_token(crafted_id_token(
        &t,
        json!({"nonce": nonce, "auth_time": now() - 100_000}),
    ));
    let e = complete(&c, &callback, &login.transaction)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("max_age"), "{e}");

    let (login, callback) = log_in(&c, params().max_age(60)).await;
    let nonce = login.transaction.nonce().unwrap();
    t.set_next_id_token(crafted_id_token(&t, json!({ "nonce": nonce })));
    let e = complete(&c, &callback, &login.transaction)
        .await
        .unwrap_err();
    assert!(e.message().contains("auth_time"), "{e}");
}

#[tokio::test]
async fn an_id_token_for_another_organization_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params().organization(demo::ORGANIZATION_ID)).await;
    let nonce = login.transaction.nonce().unwrap();
    t.set_next_id_token(crafted_id_token(
        &t,
        json!({"nonce": nonce, "org_id": "org_someone_else"}),
    ));
    let e = complete(&c, &callback, &login.transaction)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::OrganizationValidation);

    let (login, callback) = log_in(&c, params().organization(demo::ORGANIZATION_ID)).await;
    let tokens = complete(&c, &callback, &login.transaction).await.unwrap();
    assert_eq!(tokens.claims.unwrap().org_id(), Some(demo::ORGANIZATION_ID));
}

#[tokio::test]
async fn a_wrong_iss_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    t.clear_requests();
    let forged = replaced(&callback, "iss", "https://evil.example.com/");
    let e = complete(&c, &forged, &login.transaction).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("iss"), "{e}");
    assert!(!e.message().contains("evil"), "{e}");
    // Without iss, the tenant not advertising it, the callback is read.
    complete(&c, &without(&callback, "iss"), &login.transaction)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_iss_is_refused_when_the_tenant_advertises_it() {
    let t = demo_tenant().await;
    let http = reqwest::Client::new();
    let mut doc: Value = bounded(async {
        http.get(format!("{}.well-known/openid-configuration", t.issuer()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
    .await;
    doc["authorization_response_iss_parameter_supported"] = json!(true);
    t.inject_fault(
        "/.well-known/openid-configuration",
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: doc.to_string(),
        },
        1000,
    );
    let c = client(&t);
    let metadata = bounded(c.server_metadata()).await.unwrap();
    assert_eq!(
        metadata.authorization_response_iss_parameter_supported,
        Some(true)
    );
    let (login, callback) = log_in(&c, params()).await;
    t.clear_requests();
    let e = complete(&c, &without(&callback, "iss"), &login.transaction)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("no iss"), "{e}");
    assert_no_token_request(&t);
    complete(&c, &callback, &login.transaction).await.unwrap();
}

#[tokio::test]
async fn repeated_callback_parameters_are_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    t.clear_requests();
    for name in ["code", "state", "iss", "error"] {
        let value = query_value(&callback, name).unwrap_or_else(|| "access_denied".into());
        let doubled = edit_query(&callback, |p| {
            p.push((name.to_string(), value.clone()));
            p.push((name.to_string(), value.clone()));
        });
        let e = complete(&c, &doubled, &login.transaction)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}");
        assert!(e.message().contains("more than once"), "{name}: {e}");
    }
    assert_no_token_request(&t);
}

#[tokio::test]
async fn a_path_and_query_callback_completes_with_the_transactions_redirect_uri() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    let url = url::Url::parse(&callback).unwrap();
    let relative = format!("{}?{}", url.path(), url.query().unwrap());
    assert!(relative.starts_with("/callback?"), "{relative}");
    let tokens = complete(&c, &relative, &login.transaction).await.unwrap();
    assert!(tokens.claims.is_some());
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(CALLBACK));
}

#[tokio::test]
async fn the_redirect_uri_comes_from_the_transaction_not_the_callback() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    // Behind a proxy the app sees another host; the transaction's redirect_uri is sent.
    let internal = callback.replace("http://localhost:3000/", "http://10.0.0.7:8080/");
    assert_ne!(internal, callback);
    complete(&c, &internal, &login.transaction).await.unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(CALLBACK));
}

#[tokio::test]
async fn an_explicit_redirect_uri_is_sent_on_the_wire() {
    let t = demo_tenant().await;
    let c = client(&t);
    // The override replaces the transaction's: the tenant sees it (and refuses a code issued
    // for another redirect URI).
    let (login, callback) = log_in(&c, params()).await;
    let e = bounded(
        c.get_token_by_code(
            TokenByCodeRequest::from_transaction(&callback, &login.transaction)
                .redirect_uri("https://public.example.com/callback"),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("redirect_uri").as_deref(),
        Some("https://public.example.com/callback")
    );

    // The explicit path with a path-and-query callback and the public redirect URI.
    let (login, callback) = log_in(&c, params()).await;
    let url = url::Url::parse(&callback).unwrap();
    let relative = format!("{}?{}", url.path(), url.query().unwrap());
    let tx = &login.transaction;
    bounded(
        c.get_token_by_code(
            TokenByCodeRequest::new(relative, tx.code_verifier().clone())
                .expected_state(tx.state())
                .expected_nonce(tx.nonce().unwrap())
                .redirect_uri(CALLBACK),
        ),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(CALLBACK));
}

#[tokio::test]
async fn a_dpop_bound_transaction_needs_the_same_key() {
    let t = demo_tenant().await;
    let holder = confidential(&t)
        .dpop_key(DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let login = bounded(
        holder.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(params())
                .bind_to_dpop_key(true),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        login.transaction.dpop_jkt(),
        Some(holder.dpop_key().unwrap().thumbprint())
    );
    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    t.clear_requests();
    let e = complete(&client(&t), &callback, &login.transaction)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert_no_token_request(&t);
    let tokens = complete(&holder, &callback, &login.transaction)
        .await
        .unwrap();
    assert_eq!(tokens.token_type.as_deref(), Some("dpop"));
}

/// Sends a magic link with these auth params and opens it; returns the callback.
async fn magic_link_callback(
    t: &RunningEmulator,
    c: &AuthClient,
    auth: AuthorizationParams,
) -> String {
    bounded(
        c.passwordless().send_email(
            SendEmailRequest::new("link.user@example.com")
                .send(PasswordlessSend::Link)
                .auth_params(auth.redirect_uri(CALLBACK).scope("openid email")),
        ),
    )
    .await
    .unwrap();
    let link = t.passwordless_messages().pop().unwrap().link.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = bounded(http.get(&link).send()).await.unwrap();
    assert!(opened.status().is_redirection());
    opened.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn magic_links_follow_the_same_callback_rules() {
    let t = demo_tenant().await;
    let c = client(&t);
    let callback =
        magic_link_callback(&t, &c, AuthorizationParams::new().state("magic-state")).await;
    t.clear_requests();
    let e = bounded(c.get_token_by_magic_link_code(MagicLinkCodeRequest::new(&callback)))
        .await
        .unwrap_err();
    assert!(e.message().contains("none was expected"), "{e}");
    let doubled = edit_query(&callback, |p| p.push(("code".into(), "another".into())));
    let e = bounded(c.get_token_by_magic_link_code(
        MagicLinkCodeRequest::new(&doubled).expected_state("magic-state"),
    ))
    .await
    .unwrap_err();
    assert!(e.message().contains("more than once"), "{e}");
    assert_no_token_request(&t);
    let url = url::Url::parse(&callback).unwrap();
    let relative = format!("{}?{}", url.path(), url.query().unwrap());
    let tokens = bounded(
        c.get_token_by_magic_link_code(
            MagicLinkCodeRequest::new(relative)
                .expected_state("magic-state")
                .redirect_uri(CALLBACK),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        tokens.claims.unwrap().email(),
        Some("link.user@example.com")
    );
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.form_value("redirect_uri").as_deref(), Some(CALLBACK));
}

#[tokio::test]
async fn magic_links_refuse_a_nonce_they_were_not_told_about() {
    let t = demo_tenant().await;
    let c = client(&t);
    let auth = AuthorizationParams::new().state("s1").nonce("magic-nonce");
    let callback = magic_link_callback(&t, &c, auth.clone()).await;
    let e = bounded(
        c.get_token_by_magic_link_code(MagicLinkCodeRequest::new(&callback).expected_state("s1")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("nonce"), "{e}");
    let callback = magic_link_callback(&t, &c, auth).await;
    let tokens = bounded(
        c.get_token_by_magic_link_code(
            MagicLinkCodeRequest::new(&callback)
                .expected_state("s1")
                .expected_nonce("magic-nonce"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().get_str("nonce"), Some("magic-nonce"));
}

#[tokio::test]
async fn the_explicit_path_checks_what_it_is_given() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (login, callback) = log_in(&c, params()).await;
    let tx = &login.transaction;
    let tokens = bounded(
        c.get_token_by_code(
            TokenByCodeRequest::new(
                &callback,
                SecretString::from(tx.code_verifier().expose_secret()),
            )
            .expected_state(tx.state())
            .expected_nonce(tx.nonce().unwrap()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().get_str("nonce"), tx.nonce());
}
