//! Passwordless: start by email (code or link) or SMS, then the one-time-code grant and the
//! magic link.

mod common;

use auth0_auth::{
    AuthClient, AuthorizationParams, ErrorKind, MagicLinkCodeRequest, PasswordlessSend,
    PasswordlessTokenRequest, SendEmailRequest, SendSmsRequest, SigningAlgorithm,
};
use auth0_emulator::{ClientConfig, Emulator, demo, keys};
use common::{bounded, client, demo_tenant, public_client, query_value, tenant};

#[tokio::test]
async fn an_emailed_code_signs_the_user_in() {
    let t = demo_tenant().await;
    let c = client(&t);
    bounded(
        c.passwordless()
            .send_email(SendEmailRequest::new("new.user@example.com").language("fr")),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/passwordless/start").pop().unwrap();
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("x-request-language"), Some("fr"));
    let body = sent.json().unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "client_id": demo::CLIENT_ID,
            "client_secret": demo::CLIENT_SECRET,
            "connection": "email",
            "email": "new.user@example.com",
            "send": "code",
        })
    );
    let code = t
        .last_passwordless_code("new.user@example.com")
        .expect("a code was sent");
    let tokens = bounded(c.get_token_by_passwordless_email(
        PasswordlessTokenRequest::new("new.user@example.com", code.into()).scope("openid email"),
    ))
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), Some("new.user@example.com"));
    let grant = t.requests_to("/oauth/token").pop().unwrap();
    let names: Vec<String> = grant.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "username",
            "otp",
            "realm",
            "scope",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(
        grant.form_value("grant_type").as_deref(),
        Some("http://auth0.com/oauth/grant-type/passwordless/otp")
    );
    assert_eq!(grant.form_value("realm").as_deref(), Some("email"));
}

#[tokio::test]
async fn a_texted_code_signs_the_user_in_and_bad_numbers_never_leave() {
    let t = demo_tenant().await;
    let c = client(&t);
    t.clear_requests();
    for bad in ["4155550100", "+0123", "+1 415 555"] {
        let e = bounded(c.passwordless().send_sms(SendSmsRequest::new(bad)))
            .await
            .unwrap_err();
        assert_eq!(e.code().as_str(), "passwordless_start_error");
        assert!(e.message().contains("E.164"), "{e}");
        let e = bounded(
            c.get_token_by_passwordless_sms(PasswordlessTokenRequest::new(bad, "123456".into())),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code().as_str(), "passwordless_verify_error");
    }
    assert!(t.requests().is_empty());
    bounded(
        c.passwordless()
            .send_sms(SendSmsRequest::new("+14155550100")),
    )
    .await
    .unwrap();
    let code = t.last_passwordless_code("+14155550100").unwrap();
    let tokens = bounded(c.get_token_by_passwordless_sms(
        PasswordlessTokenRequest::new("+14155550100", code.into()).scope("openid"),
    ))
    .await
    .unwrap();
    assert!(tokens.claims.is_some());
}

#[tokio::test]
async fn a_wrong_code_is_refused_with_the_verify_code() {
    let t = demo_tenant().await;
    let c = client(&t);
    bounded(
        c.passwordless()
            .send_email(SendEmailRequest::new("x@example.com")),
    )
    .await
    .unwrap();
    let e = bounded(
        c.get_token_by_passwordless_email(PasswordlessTokenRequest::new(
            "x@example.com",
            "000000x".into(),
        )),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "passwordless_verify_error");
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
}

#[tokio::test]
async fn a_magic_link_carries_auth_params_and_its_code_is_exchanged_without_pkce() {
    let t = demo_tenant().await;
    let c = client(&t);
    bounded(
        c.passwordless().send_email(
            SendEmailRequest::new("link.user@example.com")
                .send(PasswordlessSend::Link)
                .auth_params(
                    AuthorizationParams::new()
                        .redirect_uri("http://localhost:3000/callback")
                        .state("magic-state")
                        .scope("openid email"),
                ),
        ),
    )
    .await
    .unwrap();
    let body = t
        .requests_to("/passwordless/start")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["send"], "link");
    assert_eq!(body["authParams"]["state"], "magic-state");
    let message = t.passwordless_messages().pop().unwrap();
    let link = message.link.expect("a magic link");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let opened = bounded(http.get(&link).send()).await.unwrap();
    assert!(opened.status().is_redirection());
    let callback = opened.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        query_value(&callback, "state").as_deref(),
        Some("magic-state")
    );
    let e = bounded(c.get_token_by_magic_link_code(
        MagicLinkCodeRequest::new(&callback).expected_state("other-state"),
    ))
    .await
    .unwrap_err();
    assert!(e.message().contains("state"), "{e}");
    let tokens = bounded(c.get_token_by_magic_link_code(
        MagicLinkCodeRequest::new(&callback).expected_state("magic-state"),
    ))
    .await
    .unwrap();
    assert_eq!(
        tokens.claims.unwrap().email(),
        Some("link.user@example.com")
    );
    let grant = t.requests_to("/oauth/token").pop().unwrap();
    assert!(grant.form_value("code_verifier").is_none());
}

#[tokio::test]
async fn public_clients_start_with_client_id_alone() {
    let t = demo_tenant().await;
    bounded(
        public_client(&t)
            .passwordless()
            .send_email(SendEmailRequest::new("p@example.com")),
    )
    .await
    .unwrap();
    let body = t
        .requests_to("/passwordless/start")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert!(body.get("client_secret").is_none());
    assert!(body.get("client_assertion").is_none());
}

#[tokio::test]
async fn a_private_key_jwt_client_signs_for_the_tenant_base_url() {
    let key = keys::generate_ec_p256();
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .client(ClientConfig::private_key_jwt("pk-app", &key.public_key_pem)),
    )
    .await;
    let c = AuthClient::builder(t.base_url(), "pk-app")
        .client_assertion_signing_key(&key.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .build()
        .unwrap();
    bounded(
        c.passwordless()
            .send_email(SendEmailRequest::new("k@example.com")),
    )
    .await
    .unwrap();
    let body = t
        .requests_to("/passwordless/start")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        body["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let assertion = body["client_assertion"].as_str().unwrap();
    let payload = assertion.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], format!("{}/", t.base_url()));
}
