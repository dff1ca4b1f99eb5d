//! Token introspection (RFC 7662) against the emulator's `/oauth/introspect`: active access
//! and refresh tokens, a revoked one, unknown ones, and what is sent.

mod common;

use auth0_auth::{
    ClientCredentialsRequest, ErrorKind, ExposeSecret, IntrospectTokenRequest, PasswordRequest,
    RevokeTokenRequest, TokenTypeHint,
};
use auth0_emulator::demo;
use common::{bounded, client, demo_tenant, public_client};

#[tokio::test]
async fn an_active_access_token_is_described() {
    let t = demo_tenant().await;
    let c = client(&t);
    let tokens = bounded(
        c.get_token_by_client_credentials(
            ClientCredentialsRequest::new()
                .audience(demo::AUDIENCE)
                .scope("read:messages"),
        ),
    )
    .await
    .unwrap();
    let answer = bounded(
        c.introspect_token(
            IntrospectTokenRequest::new(tokens.access_token.clone())
                .token_type_hint(TokenTypeHint::AccessToken),
        ),
    )
    .await
    .unwrap();
    assert!(answer.active);
    assert_eq!(answer.scope.as_deref(), Some("read:messages"));
    assert_eq!(answer.client_id.as_deref(), Some(demo::CLIENT_ID));
    assert_eq!(answer.aud, [demo::AUDIENCE]);
    assert_eq!(answer.iss, Some(t.issuer()));
    assert_eq!(answer.token_type.as_deref(), Some("Bearer"));
    assert!(answer.exp.unwrap() > answer.iat.unwrap());
    assert!(answer.jti.is_some());

    let sent = t.requests_to("/oauth/introspect").pop().unwrap();
    let names: Vec<String> = sent.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        ["token", "token_type_hint", "client_id", "client_secret"]
    );
    // The answer's Debug shows no token.
    assert!(!format!("{answer:?}").contains(tokens.access_token.expose_secret()));
}

#[tokio::test]
async fn a_revoked_refresh_token_is_inactive_not_an_error() {
    let t = demo_tenant().await;
    let c = client(&t);
    let tokens = bounded(c.get_token_by_password(
        PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid offline_access"),
    ))
    .await
    .unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let before = bounded(c.introspect_token(IntrospectTokenRequest::new(refresh.clone())))
        .await
        .unwrap();
    assert!(before.active);
    assert_eq!(before.token_type.as_deref(), Some("refresh_token"));
    assert_eq!(before.client_id.as_deref(), Some(demo::CLIENT_ID));
    assert!(before.sub.is_some());

    bounded(c.revoke_token(RevokeTokenRequest::new(refresh.clone())))
        .await
        .unwrap();
    let after = bounded(c.introspect_token(IntrospectTokenRequest::new(refresh)))
        .await
        .unwrap();
    assert!(!after.active);
    assert_eq!(after.sub, None);

    let unknown = bounded(c.introspect_token(IntrospectTokenRequest::new("no-such-token".into())))
        .await
        .unwrap();
    assert!(!unknown.active);
}

#[tokio::test]
async fn public_clients_and_blank_tokens_are_refused_before_any_request() {
    let t = demo_tenant().await;
    t.clear_requests();
    let e = bounded(public_client(&t).introspect_token(IntrospectTokenRequest::new("t".into())))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "missing_client_auth_error");
    let e = bounded(client(&t).introspect_token(IntrospectTokenRequest::new(" ".into())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.code().as_str(), "token_introspection_error");
    assert!(t.requests_to("/oauth/introspect").is_empty());
}

/// A fresh tenant whose document advertises signed introspection answers (RFC 9701) and whose
/// next introspection answer is `jwt`, typed as a signed answer.
async fn tenant_answering(
    jwt: impl FnOnce(&auth0_emulator::RunningEmulator) -> String,
) -> auth0_emulator::RunningEmulator {
    let t = demo_tenant().await;
    let mut doc: serde_json::Value = bounded(async {
        reqwest::get(format!("{}/.well-known/openid-configuration", t.base_url()))
            .await?
            .json()
            .await
    })
    .await
    .unwrap();
    doc["introspection_signing_alg_values_supported"] = serde_json::json!(["RS256"]);
    t.inject_fault(
        "/.well-known/openid-configuration",
        auth0_emulator::Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: doc.to_string(),
        },
        1,
    );
    let body = jwt(&t);
    t.inject_fault(
        "/oauth/introspect",
        auth0_emulator::Fault::Body {
            status: 200,
            content_type: "application/token-introspection+jwt".into(),
            body,
        },
        1,
    );
    t
}

#[tokio::test]
async fn a_signed_answer_that_does_not_verify_is_refused_not_read() {
    let answer = |t: &auth0_emulator::RunningEmulator| {
        serde_json::json!({
            "iss": t.issuer(), "aud": demo::CLIENT_ID, "iat": 1,
            "token_introspection": {"active": true, "sub": "attacker"}
        })
    };
    // Signed by the provider's key, but not typed as an introspection answer (an ID token or
    // any other JWT of the provider must not pass for one).
    let t = tenant_answering(|t| t.sign_jwt(None, &answer(t))).await;
    let c = client(&t);
    let e = bounded(c.introspect_token(IntrospectTokenRequest::new("t".into())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
    assert!(e.message().contains("typ"), "{e}");
    let sent = t.requests_to("/oauth/introspect").pop().unwrap();
    assert_eq!(
        sent.header("accept"),
        Some("application/token-introspection+jwt, application/json;q=0.5")
    );

    // Unsigned.
    let t = tenant_answering(|t| t.sign_jwt(Some(("none", "k")), &answer(t))).await;
    let e = bounded(client(&t).introspect_token(IntrospectTokenRequest::new("t".into())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
}
