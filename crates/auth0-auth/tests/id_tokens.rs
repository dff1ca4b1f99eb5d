//! ID-token validation end to end: tokens signed by the tenant's real key that break exactly
//! one rule of SPEC section 5 are refused, and key rotation is followed.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{ErrorCode, ErrorKind, PasswordRequest};
use auth0_auth::{SecretString, VerifyIdTokenRequest, VerifyLogoutTokenRequest};
use auth0_emulator::{RunningEmulator, demo};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{bounded, client, demo_tenant};
use serde_json::{Value, json};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn good_claims(t: &RunningEmulator) -> Value {
    json!({
        "iss": t.issuer(),
        "sub": "auth0|abc",
        "aud": demo::CLIENT_ID,
        "iat": now(),
        "exp": now() + 3600,
        "nonce": "nonce-1",
    })
}

/// Runs the password grant with the emulator answering `id_token`; returns the outcome.
async fn password_with_id_token(t: &RunningEmulator, id_token: String) -> auth0_auth::Result<()> {
    t.set_next_id_token(id_token);
    bounded(client(t).get_token_by_password(
        PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid"),
    ))
    .await
    .map(|_| ())
}

async fn refused(t: &RunningEmulator, claims: Value, expect: &str) {
    let token = t.sign_jwt(None, &claims);
    let e = password_with_id_token(t, token).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
    assert_eq!(e.code(), ErrorCode::TokenByPassword);
    assert!(e.message().contains(expect), "expected {expect:?} in {e}");
}

#[tokio::test]
async fn a_correct_token_signed_by_the_tenant_passes() {
    let t = demo_tenant().await;
    let token = t.sign_jwt(None, &good_claims(&t));
    password_with_id_token(&t, token).await.unwrap();
}

#[tokio::test]
async fn each_claim_rule_is_enforced() {
    let t = demo_tenant().await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = good_claims(&t);
        f(&mut c);
        c
    };
    refused(
        &t,
        with(&|c| c["iss"] = json!("https://evil.example.com/")),
        "issuer",
    )
    .await;
    refused(
        &t,
        with(&|c| {
            c.as_object_mut().unwrap().remove("iss");
        }),
        "iss",
    )
    .await;
    refused(
        &t,
        with(&|c| c["aud"] = json!("another-client")),
        "audience",
    )
    .await;
    refused(
        &t,
        with(&|c| c["aud"] = json!([demo::CLIENT_ID, "x"])),
        "azp",
    )
    .await;
    refused(
        &t,
        with(&|c| {
            c["aud"] = json!([demo::CLIENT_ID, "x"]);
            c["azp"] = json!("x");
        }),
        "authorized party",
    )
    .await;
    refused(&t, with(&|c| c["exp"] = json!(now() - 120)), "expired").await;
    refused(
        &t,
        with(&|c| {
            c.as_object_mut().unwrap().remove("exp");
        }),
        "exp",
    )
    .await;
    refused(
        &t,
        with(&|c| {
            c.as_object_mut().unwrap().remove("iat");
        }),
        "iat",
    )
    .await;
    refused(
        &t,
        with(&|c| {
            c.as_object_mut().unwrap().remove("sub");
        }),
        "sub",
    )
    .await;
}

#[tokio::test]
async fn nonce_is_checked_when_one_was_sent() {
    let t = demo_tenant().await;
    let c = client(&t);
    let token = t.sign_jwt(None, &good_claims(&t));
    bounded(c.verify_id_token(
        VerifyIdTokenRequest::new(SecretString::from(token.to_string())).nonce("nonce-1"),
    ))
    .await
    .unwrap();
    let e = bounded(c.verify_id_token(
        VerifyIdTokenRequest::new(SecretString::from(token.to_string())).nonce("other-nonce"),
    ))
    .await
    .unwrap_err();
    assert!(e.message().contains("nonce"), "{e}");
    assert_eq!(e.code(), ErrorCode::IdTokenValidation);
}

fn unsigned(header: Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn alg_none_is_refused() {
    let t = demo_tenant().await;
    let token = unsigned(json!({"alg": "none", "typ": "JWT"}), &good_claims(&t));
    let e = password_with_id_token(&t, token).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("\"none\""), "{e}");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let t = demo_tenant().await;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(t.signing_kid());
    let key =
        jsonwebtoken::EncodingKey::from_secret(t.signing_public_key_pem().as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &good_claims(&t), &key).unwrap();
    let e = password_with_id_token(&t, token).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert!(e.message().contains("HS256"), "{e}");
}

#[tokio::test]
async fn an_allowed_algorithm_the_key_does_not_support_is_refused() {
    let t = demo_tenant().await;
    // Claims RS384 with the RS256 key: the JWK says alg RS256.
    let token = t.sign_jwt(Some(("RS384", &t.signing_kid())), &good_claims(&t));
    let c = common::confidential(&t)
        .id_token_signing_algs([
            auth0_auth::SigningAlgorithm::RS256,
            auth0_auth::SigningAlgorithm::RS384,
        ])
        .build()
        .unwrap();
    let e = bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
}

#[tokio::test]
async fn a_tampered_payload_fails_the_signature() {
    let t = demo_tenant().await;
    let token = t.sign_jwt(None, &good_claims(&t));
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    let mut claims = good_claims(&t);
    claims["sub"] = json!("auth0|someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let e = password_with_id_token(&t, parts.join("."))
        .await
        .unwrap_err();
    assert!(e.message().contains("signature"), "{e}");
}

#[tokio::test]
async fn garbage_is_refused_without_panicking() {
    let t = demo_tenant().await;
    let c = client(&t);
    for junk in [
        "",
        "a.b",
        "a.b.c",
        "....",
        "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
        "\u{0}",
    ] {
        let e = bounded(
            c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
                junk.to_string(),
            ))),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenValidation, "{junk:?}: {e}");
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_then_trusted() {
    let t = demo_tenant().await;
    let c = client(&t);
    let first = t.sign_jwt(None, &good_claims(&t));
    bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            first.to_string(),
        ))),
    )
    .await
    .unwrap();
    let jwks_fetches = || t.requests_to("/.well-known/jwks.json").len();
    assert_eq!(jwks_fetches(), 1);
    t.rotate_signing_key();
    let second = t.sign_jwt(None, &good_claims(&t));
    bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            second.to_string(),
        ))),
    )
    .await
    .unwrap();
    assert_eq!(jwks_fetches(), 2, "the unknown kid caused one refetch");
    // The old key is still published, so old tokens keep verifying without a fetch.
    bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            first.to_string(),
        ))),
    )
    .await
    .unwrap();
    assert_eq!(jwks_fetches(), 2);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_causes_at_most_one_refetch() {
    let t = demo_tenant().await;
    let c = client(&t);
    bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            t.sign_jwt(None, &good_claims(&t)).to_string(),
        ))),
    )
    .await
    .unwrap();
    let before = t.requests_to("/.well-known/jwks.json").len();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let token = t.sign_jwt(
            Some(("RS256", &format!("unknown-kid-{i}"))),
            &good_claims(&t),
        );
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
                token.to_string(),
            )))
            .await
        }));
    }
    for task in tasks {
        let e = bounded(task).await.unwrap().unwrap_err();
        assert!(e.message().contains("kid"), "{e}");
    }
    let after = t.requests_to("/.well-known/jwks.json").len();
    assert!(after - before <= 1, "{} refetches", after - before);
}

/// A tenant that signs tokens ES256: ID tokens verify against its P-256 JWKS key once the client
/// allows ES256, are refused by a client that only allows RS256, and its logout tokens (RS256,
/// from the RSA key the JWKS also publishes) still verify.
#[tokio::test]
async fn an_es256_tenant_is_verified_against_its_p256_key() {
    use auth0_auth::{ExposeSecret, SigningAlgorithm};
    use auth0_emulator::{Emulator, TokenSigningAlg};
    let t = common::tenant(
        Emulator::builder()
            .demo_tenant()
            .token_signing_alg(TokenSigningAlg::ES256),
    )
    .await;
    let es256 = common::confidential(&t)
        .id_token_signing_algs([SigningAlgorithm::ES256, SigningAlgorithm::RS256])
        .build()
        .unwrap();
    let request =
        PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid profile");
    let tokens = bounded(es256.get_token_by_password(request.clone()))
        .await
        .unwrap();
    let id_token = tokens.id_token.as_ref().expect("an ID token");
    let header = id_token.expose_secret().split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims = tokens.claims.as_ref().expect("validated claims");
    assert!(claims.sub().is_some_and(|s| !s.is_empty()));

    // The default allow-list (RS256) refuses it, naming the algorithm.
    let e = bounded(client(&t).get_token_by_password(request))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
    assert!(e.message().contains("ES256"), "{e}");

    let logout = t.logout_token(demo::CLIENT_ID, Some("auth0|es"), None);
    let claims = bounded(es256.verify_logout_token(VerifyLogoutTokenRequest::new(
        SecretString::from(logout.to_string()),
    )))
    .await
    .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("auth0|es"));
}
