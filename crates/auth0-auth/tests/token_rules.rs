//! Token rules over the wire: logout-token identity and replay, NumericDate forms, no
//! cross-token confusion, logout URL hints, and discovery cache keys that keep path case.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, BACKCHANNEL_LOGOUT_EVENT, ClientCredentialsRequest, ErrorClass, ErrorKind,
    LogoutTokenReplayGuard, LogoutUrlRequest, SecretString, VerifyIdTokenRequest,
    VerifyLogoutTokenRequest,
};
use auth0_emulator::{Emulator, Fault, RunningEmulator, demo};
use common::{bounded, client, demo_tenant, tenant};
use serde_json::{Value, json};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn secret(token: &str) -> SecretString {
    SecretString::from(token.to_string())
}

fn logout_claims(t: &RunningEmulator, jti: &str) -> Value {
    json!({
        "iss": t.issuer(), "aud": demo::CLIENT_ID, "iat": now(), "exp": now() + 120,
        "jti": jti, "sid": "sid-1", "sub": "auth0|1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    })
}

fn id_claims(t: &RunningEmulator) -> Value {
    json!({
        "iss": t.issuer(), "sub": "auth0|abc", "aud": demo::CLIENT_ID,
        "iat": now(), "exp": now() + 3600,
    })
}

async fn verify_logout(
    c: &AuthClient,
    token: &str,
    guard: Option<&LogoutTokenReplayGuard>,
) -> auth0_auth::Result<auth0_auth::LogoutTokenClaims> {
    let mut request = VerifyLogoutTokenRequest::new(secret(token));
    if let Some(g) = guard {
        request = request.replay_guard(g);
    }
    bounded(c.verify_logout_token(request)).await
}

#[tokio::test]
async fn a_tenant_logout_token_exposes_its_identity_and_claims() {
    let t = demo_tenant().await;
    let token = t.logout_token(demo::CLIENT_ID, Some("auth0|123"), Some("sid-1"));
    let claims = verify_logout(&client(&t), &token, None).await.unwrap();
    assert!(!claims.jti.is_empty());
    assert!(claims.exp > claims.iat && claims.iat <= now() + 1);
    #[derive(serde::Deserialize)]
    struct Mine {
        sid: String,
        events: serde_json::Map<String, Value>,
    }
    let mine: Mine = claims.deserialize().unwrap();
    assert_eq!(mine.sid, "sid-1");
    assert!(mine.events.contains_key(BACKCHANNEL_LOGOUT_EVENT));
}

#[tokio::test]
async fn the_replay_guard_refuses_a_logout_token_seen_before() {
    let t = demo_tenant().await;
    let c = client(&t);
    let token = t.sign_jwt(None, &logout_claims(&t, "jti-replay"));
    // Without a guard, verification has no memory.
    verify_logout(&c, &token, None).await.unwrap();
    verify_logout(&c, &token, None).await.unwrap();

    let guard = LogoutTokenReplayGuard::new();
    verify_logout(&c, &token, Some(&guard)).await.unwrap();
    let e = verify_logout(&c, &token, Some(&guard)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replayed, "{e}");
    assert_eq!(e.code().as_str(), "verify_logout_token_error");
    assert_eq!(e.class(), ErrorClass::Request);
    assert_eq!(e.suggested_http_status(), 400);
    // A clone of the guard (another handler of the same app) shares the memory.
    let e = verify_logout(&c, &token, Some(&guard.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Replayed);
    // Another token is fine.
    let other = t.sign_jwt(None, &logout_claims(&t, "jti-other"));
    verify_logout(&c, &other, Some(&guard)).await.unwrap();
    assert_eq!(guard.len(), 2);
    // A token refused for a rule is not remembered.
    let mut expired = logout_claims(&t, "jti-expired");
    expired["exp"] = json!(now() - 3600);
    verify_logout(&c, &t.sign_jwt(None, &expired), Some(&guard))
        .await
        .unwrap_err();
    assert_eq!(guard.len(), 2);
}

#[tokio::test]
async fn a_full_replay_guard_refuses_new_tokens_as_a_transient_fault() {
    let t = demo_tenant().await;
    let c = client(&t);
    let guard = LogoutTokenReplayGuard::with_capacity(1);
    let first = t.sign_jwt(None, &logout_claims(&t, "a"));
    let second = t.sign_jwt(None, &logout_claims(&t, "b"));
    verify_logout(&c, &first, Some(&guard)).await.unwrap();
    let e = verify_logout(&c, &second, Some(&guard)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overloaded, "{e}");
    assert_eq!(e.class(), ErrorClass::Transient);
    assert!(e.is_retryable());
    assert_eq!(e.suggested_http_status(), 503);
    // The first is still remembered (nothing was evicted to make room).
    assert_eq!(
        verify_logout(&c, &first, Some(&guard))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Replayed
    );
}

#[tokio::test]
async fn logout_tokens_need_exp_and_jti() {
    let t = demo_tenant().await;
    let c = client(&t);
    for (claim, why) in [("exp", "\"exp\""), ("jti", "\"jti\"")] {
        let mut claims = logout_claims(&t, "j");
        claims.as_object_mut().unwrap().remove(claim);
        let e = verify_logout(&c, &t.sign_jwt(None, &claims), None)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenValidation);
        assert!(e.message().contains(why), "{claim}: {e}");
    }
}

#[tokio::test]
async fn float_numeric_dates_are_compared_not_skipped() {
    let t = demo_tenant().await;
    let c = client(&t);
    // ID token: exp 1.5e9 (2017) written as a JSON float.
    let mut claims = id_claims(&t);
    claims["exp"] = json!(1.5e9);
    let e = bounded(c.verify_id_token(VerifyIdTokenRequest::new(secret(
        &t.sign_jwt(None, &claims),
    ))))
    .await
    .unwrap_err();
    assert!(e.message().contains("expired"), "{e}");
    // ID token: iat far in the future as a float.
    let mut claims = id_claims(&t);
    claims["iat"] = json!((now() + 86_400) as f64 + 0.5);
    let e = bounded(c.verify_id_token(VerifyIdTokenRequest::new(secret(
        &t.sign_jwt(None, &claims),
    ))))
    .await
    .unwrap_err();
    assert!(e.message().contains("future"), "{e}");
    // Negative and out-of-range values are refused.
    for bad in [json!(-5), json!(1e30)] {
        let mut claims = id_claims(&t);
        claims["nbf"] = bad.clone();
        let e = bounded(c.verify_id_token(VerifyIdTokenRequest::new(secret(
            &t.sign_jwt(None, &claims),
        ))))
        .await
        .unwrap_err();
        assert!(e.message().contains("nbf"), "{bad}: {e}");
    }
    // A well-placed float passes.
    let mut claims = id_claims(&t);
    claims["exp"] = json!((now() + 600) as f64 + 0.25);
    bounded(c.verify_id_token(VerifyIdTokenRequest::new(secret(
        &t.sign_jwt(None, &claims),
    ))))
    .await
    .unwrap();
    // Logout token: iat in the future as a float (once skipped because it is not a u64).
    let mut claims = logout_claims(&t, "j-float");
    claims["iat"] = json!((now() + 86_400) as f64 + 0.5);
    let e = verify_logout(&c, &t.sign_jwt(None, &claims), None)
        .await
        .unwrap_err();
    assert!(e.message().contains("future"), "{e}");
    let mut claims = logout_claims(&t, "j-float-exp");
    claims["exp"] = json!(1.5e9);
    let e = verify_logout(&c, &t.sign_jwt(None, &claims), None)
        .await
        .unwrap_err();
    assert!(e.message().contains("expired"), "{e}");
}

#[tokio::test]
async fn a_logout_token_is_never_accepted_as_an_id_token() {
    let t = demo_tenant().await;
    let c = client(&t);
    // Signed by the tenant, for this client, with sub/iat/exp: only its kind differs.
    let mut claims = logout_claims(&t, "j-confused");
    claims["sub"] = json!("auth0|abc");
    let logout = t.sign_jwt(None, &claims);
    let e = bounded(c.verify_id_token(VerifyIdTokenRequest::new(secret(&logout))))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("logout token"), "{e}");
    // The same token handed back by a token endpoint as an ID token.
    let body = json!({
        "access_token": "opaque", "token_type": "Bearer", "expires_in": 60, "id_token": logout,
    });
    t.inject_fault("/oauth/token", Fault::Status(200, body.to_string()), 1);
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
    assert!(e.message().contains("logout token"), "{e}");
    // And the other way round, as before: an ID token is not a logout token.
    let id = t.sign_jwt(None, &id_claims(&t));
    let e = verify_logout(&c, &id, None).await.unwrap_err();
    assert!(e.message().contains("events"), "{e}");
}

#[tokio::test]
async fn logout_url_hints_go_to_the_end_session_endpoint_only() {
    let t = demo_tenant().await;
    let c = client(&t);
    let request = LogoutUrlRequest::new(demo::LOGOUT_URL)
        .id_token_hint(secret("eyJ.hint.token"))
        .logout_hint("jane@example.com");
    let url = bounded(c.build_logout_url(request.clone())).await.unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(url.path().ends_with("/oidc/logout"), "{url}");
    assert!(pairs.contains(&("id_token_hint".into(), "eyJ.hint.token".into())));
    assert!(pairs.contains(&("logout_hint".into(), "jane@example.com".into())));
    assert!(!format!("{request:?}").contains("eyJ.hint.token"));

    // A tenant without RP-initiated logout: /v2/logout takes no hints.
    let plain = tenant(
        Emulator::builder()
            .demo_tenant()
            .without_end_session_endpoint(),
    )
    .await;
    let url = bounded(client(&plain).build_logout_url(request))
        .await
        .unwrap();
    assert!(url.path().ends_with("/v2/logout"), "{url}");
    assert!(
        !url.query_pairs()
            .any(|(k, _)| k == "id_token_hint" || k == "logout_hint"),
        "{url}"
    );
}

#[tokio::test]
async fn discovery_cache_keys_keep_the_path_case() {
    let t = demo_tenant().await;
    let document = |issuer: &str| {
        json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}oauth/token"),
            "jwks_uri": format!("{issuer}.well-known/jwks.json"),
        })
        .to_string()
    };
    let upper = format!("{}/Tenant/", t.base_url());
    let lower = format!("{}/tenant/", t.base_url());
    t.inject_fault(
        "/Tenant/.well-known/openid-configuration",
        Fault::Status(200, document(&upper)),
        1,
    );
    t.inject_fault(
        "/tenant/.well-known/openid-configuration",
        Fault::Status(200, document(&lower)),
        1,
    );
    let a = AuthClient::builder(&upper, demo::CLIENT_ID)
        .build()
        .unwrap();
    let b = AuthClient::builder(&lower, demo::CLIENT_ID)
        .build()
        .unwrap();
    let ma = bounded(a.server_metadata()).await.unwrap();
    let mb = bounded(b.server_metadata()).await.unwrap();
    assert_eq!(ma.issuer, upper);
    assert_eq!(mb.issuer, lower);
    assert_eq!(
        t.requests_to("/Tenant/.well-known/openid-configuration")
            .len(),
        1
    );
    assert_eq!(
        t.requests_to("/tenant/.well-known/openid-configuration")
            .len(),
        1
    );
    // The host's case still folds: an upper-case host shares the first entry.
    let shouting = upper.replace("http://", "HTTP://");
    let c = AuthClient::builder(&shouting, demo::CLIENT_ID)
        .build()
        .unwrap();
    assert_eq!(bounded(c.server_metadata()).await.unwrap().issuer, upper);
    assert_eq!(
        t.requests_to("/Tenant/.well-known/openid-configuration")
            .len(),
        1
    );
}

#[tokio::test]
async fn verify_id_token_checks_the_expectations_it_is_given() {
    let t = demo_tenant().await;
    let c = client(&t);
    let mut claims = id_claims(&t);
    claims["nonce"] = json!("n-1");
    claims["auth_time"] = json!(now() - 7_200);
    claims["org_id"] = json!("org_abc");
    let token = t.sign_jwt(None, &claims);
    let verify = |r: VerifyIdTokenRequest| {
        let c = c.clone();
        async move { bounded(c.verify_id_token(r)).await }
    };
    let all = verify(
        VerifyIdTokenRequest::new(secret(&token))
            .nonce("n-1")
            .max_age(86_400)
            .organization("org_abc"),
    )
    .await
    .unwrap();
    assert_eq!(all.org_id(), Some("org_abc"));
    assert_eq!(all.nonce(), Some("n-1"));
    let e = verify(VerifyIdTokenRequest::new(secret(&token)).nonce("n-2"))
        .await
        .unwrap_err();
    assert!(e.message().contains("nonce"), "{e}");
    let e = verify(VerifyIdTokenRequest::new(secret(&token)).max_age(60))
        .await
        .unwrap_err();
    assert!(e.message().contains("max_age"), "{e}");
    let e = verify(VerifyIdTokenRequest::new(secret(&token)).organization("org_other"))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "organization_validation_error", "{e}");
    assert_eq!(e.class(), ErrorClass::Request);
    assert_eq!(e.suggested_http_status(), 403);
    // A blank organization is refused before any request.
    let fresh = demo_tenant().await;
    let e = bounded(
        client(&fresh).verify_id_token(VerifyIdTokenRequest::new(secret(&token)).organization(" ")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(fresh.requests().is_empty());
}
