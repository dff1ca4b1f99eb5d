//! Token attacks, end to end through the public API (`verify_id_token`, the token path, and
//! `verify_logout_token`) against a tenant that signs with real keys: algorithm confusion
//! (`none`, HS256 keyed with the public key, algorithms outside the allow-list), a `kid` with no
//! key, keys meant for encryption, expiry and not-before at the leeway edges, audience arrays,
//! and issuer look-alikes. Every one is refused with a `TokenValidation` error.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, BACKCHANNEL_LOGOUT_EVENT, Error, ErrorCode, ErrorKind, PasswordRequest,
    SigningAlgorithm,
};
use auth0_auth::{SecretString, VerifyIdTokenRequest, VerifyLogoutTokenRequest};
use auth0_emulator::{Fault, RunningEmulator, demo, keys};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{bounded, client, confidential, demo_tenant};
use serde_json::{Value, json};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn good_claims(t: &RunningEmulator) -> Value {
    json!({
        "iss": t.issuer(),
        "sub": "auth0|abc",
        "aud": demo::CLIENT_ID,
        "iat": now(),
        "exp": now() + 3600,
    })
}

fn with(t: &RunningEmulator, change: impl FnOnce(&mut Value)) -> Value {
    let mut c = good_claims(t);
    change(&mut c);
    c
}

fn good_logout_claims(t: &RunningEmulator) -> Value {
    json!({
        "iss": t.issuer(),
        "aud": demo::CLIENT_ID,
        "iat": now(),
        "exp": now() + 120,
        "jti": "jti-1",
        "sid": "sid-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    })
}

/// A token with this header and claims and this signature part.
fn forged(header: Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.to_string()),
        b64(claims.to_string())
    )
}

/// HS256 over `claims`, keyed with `key`.
fn hs256(kid: Option<String>, claims: &Value, key: &[u8]) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = kid;
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key).unwrap(),
    )
    .unwrap()
}

/// Asserts an ID token is refused by `verify_id_token` with a message containing `why`.
async fn refused(c: &AuthClient, token: &str, why: &str) -> Error {
    let e = bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .expect_err("the token must be refused");
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
    assert_eq!(e.code(), ErrorCode::IdTokenValidation, "{e}");
    assert!(e.message().contains(why), "expected {why:?} in: {e}");
    assert!(!format!("{e} {e:?}").contains(demo::CLIENT_SECRET));
    e
}

async fn accepted(c: &AuthClient, token: &str) {
    bounded(
        c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .unwrap_or_else(|e| panic!("the token must be accepted: {e}"));
}

async fn logout_refused(c: &AuthClient, token: &str, why: &str) {
    let e = bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .expect_err("the logout token must be refused");
    assert_eq!(e.kind(), ErrorKind::TokenValidation, "{e}");
    assert_eq!(e.code(), ErrorCode::VerifyLogoutToken, "{e}");
    assert!(e.message().contains(why), "expected {why:?} in: {e}");
}

// ---------------------------------------------------------------------------------------------
// Algorithm confusion

#[tokio::test]
async fn alg_none_in_any_spelling_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let claims = good_claims(&t);
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": t.signing_kid()});
        for signature in ["", "AAAA"] {
            let token = forged(header.clone(), &claims, signature);
            refused(&c, &token, "not an allowed algorithm").await;
        }
    }
    // Through the token path too: a grant whose ID token says none fails the grant.
    t.set_next_id_token(forged(json!({"alg": "none"}), &claims, ""));
    let e = bounded(c.get_token_by_password(
        PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid"),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenValidation);
    assert_eq!(e.code(), ErrorCode::TokenByPassword);
    // A header without alg, or not an object.
    refused(
        &c,
        &forged(json!({"typ": "JWT"}), &claims, "AAAA"),
        "header",
    )
    .await;
    refused(&c, &forged(json!(["RS256"]), &claims, "AAAA"), "header").await;
    refused(&c, &forged(json!({"alg": 256}), &claims, "AAAA"), "header").await;
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key_is_refused() {
    let t = demo_tenant().await;
    let claims = good_claims(&t);
    let pem = t.signing_public_key_pem();
    let jwks: Value = bounded(async {
        reqwest::get(format!("{}/.well-known/jwks.json", t.base_url()))
            .await?
            .json()
            .await
    })
    .await
    .unwrap();
    let public_keys: Vec<Vec<u8>> = vec![
        pem.as_bytes().to_vec(),
        pem.trim().as_bytes().to_vec(),
        jwks["keys"][0]["n"].as_str().unwrap().as_bytes().to_vec(),
        jwks["keys"][0].to_string().into_bytes(),
    ];

    // Default allow-list [RS256]: HS256 is not even considered.
    let c = client(&t);
    for key in &public_keys {
        let token = hs256(Some(t.signing_kid()), &claims, key);
        refused(&c, &token, "\"HS256\", which is not an allowed algorithm").await;
    }

    // A client that allows HS256 keys it with its own client secret, never a public key.
    let c = confidential(&t)
        .id_token_signing_algs([SigningAlgorithm::RS256, SigningAlgorithm::HS256])
        .build()
        .unwrap();
    for key in &public_keys {
        let token = hs256(Some(t.signing_kid()), &claims, key);
        refused(&c, &token, "signature").await;
    }
    // The control: keyed with the client secret, it verifies.
    accepted(&c, &hs256(None, &claims, demo::CLIENT_SECRET.as_bytes())).await;

    // Logout tokens never accept HS256, even for that client and with the right secret.
    let logout = hs256(
        None,
        &good_logout_claims(&t),
        demo::CLIENT_SECRET.as_bytes(),
    );
    logout_refused(&c, &logout, "not an allowed algorithm").await;
}

#[tokio::test]
async fn algorithms_outside_the_allow_list_are_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let claims = good_claims(&t);
    let kid = t.signing_kid();
    // Real signatures by the tenant's key, with algorithms the client did not allow.
    for alg in ["RS384", "RS512", "PS256", "PS384", "PS512"] {
        let token = t.sign_jwt(Some((alg, &kid)), &claims);
        refused(&c, &token, "not an allowed algorithm").await;
        logout_refused(
            &c,
            &t.sign_jwt(Some((alg, &kid)), &good_logout_claims(&t)),
            "not an allowed algorithm",
        )
        .await;
    }
    // Names the SDK does not support at all, or near misses of RS256.
    for alg in [
        "ES512", "EdDSA", "HS512", "RS256 ", "rs256", "RS-256", "RSA256",
    ] {
        let token = t.sign_jwt(Some((alg, &kid)), &claims);
        refused(&c, &token, "not an allowed algorithm").await;
    }

    // Allowed by the client, but the tenant's key is published for RS256 only.
    let c = confidential(&t)
        .id_token_signing_algs([SigningAlgorithm::RS256, SigningAlgorithm::PS256])
        .build()
        .unwrap();
    let token = t.sign_jwt(Some(("PS256", &kid)), &claims);
    refused(&c, &token, "not a key for PS256").await;
    // An EC algorithm against an RSA key.
    let c = confidential(&t)
        .id_token_signing_algs([SigningAlgorithm::RS256, SigningAlgorithm::ES256])
        .build()
        .unwrap();
    let token = t.sign_jwt(Some(("ES256", &kid)), &claims);
    refused(&c, &token, "not a key for ES256").await;
}

// ---------------------------------------------------------------------------------------------
// Keys

#[tokio::test]
async fn a_kid_with_no_key_is_refused_after_one_refetch() {
    let t = demo_tenant().await;
    let c = client(&t);
    accepted(&c, &t.sign_jwt(None, &good_claims(&t))).await;
    let fetches = || t.requests_to("/.well-known/jwks.json").len();
    assert_eq!(fetches(), 1);
    for kid in ["missing-kid", "", "../../etc/passwd", "k\u{0}"] {
        let token = t.sign_jwt(Some(("RS256", kid)), &good_claims(&t));
        refused(&c, &token, "no key with kid").await;
    }
    assert_eq!(fetches(), 2, "one refetch for all the unknown kids");
    logout_refused(
        &c,
        &t.sign_jwt(Some(("RS256", "missing-kid")), &good_logout_claims(&t)),
        "no key with kid",
    )
    .await;
    assert_eq!(fetches(), 2);
}

#[tokio::test]
async fn a_token_without_kid_is_refused_when_the_key_set_has_several_keys() {
    let t = demo_tenant().await;
    t.rotate_signing_key();
    let c = client(&t);
    let claims = good_claims(&t);
    // A header without kid (built by hand: the emulator always writes one).
    let signed = t.sign_jwt(None, &claims);
    let signature = signed.rsplit('.').next().unwrap();
    let token = forged(json!({"alg": "RS256", "typ": "JWT"}), &claims, signature);
    refused(&c, &token, "several keys").await;
}

#[tokio::test]
async fn a_signature_by_another_key_under_the_tenants_kid_is_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let attacker = keys::generate_rsa();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(t.signing_kid());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(attacker.private_key_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &good_claims(&t), &key).unwrap();
    refused(&c, &token, "signature").await;
    // Signature stripped, or borrowed from another token.
    let (input, _) = token.rsplit_once('.').unwrap();
    refused(&c, &format!("{input}."), "signature").await;
    let other = t.sign_jwt(None, &with(&t, |c| c["sub"] = json!("auth0|other")));
    let borrowed = other.rsplit('.').next().unwrap();
    refused(&c, &format!("{input}.{borrowed}"), "signature").await;
    let logout = jsonwebtoken::encode(&header, &good_logout_claims(&t), &key).unwrap();
    logout_refused(&c, &logout, "signature").await;
}

#[tokio::test]
async fn a_key_published_for_encryption_is_never_used_to_verify() {
    let t = demo_tenant().await;
    let c = client(&t);
    bounded(c.server_metadata()).await.unwrap();
    let set: Value = bounded(async {
        reqwest::get(format!("{}/.well-known/jwks.json", t.base_url()))
            .await?
            .json()
            .await
    })
    .await
    .unwrap();
    let mut key = set["keys"][0].clone();
    key["use"] = json!("enc");
    let body = json!({ "keys": [key] }).to_string();
    // The first fetch and the one refetch the unknown kid causes.
    t.inject_fault(
        "/.well-known/jwks.json",
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body,
        },
        2,
    );
    let token = t.sign_jwt(None, &good_claims(&t));
    refused(&c, &token, "no key with kid").await;
    logout_refused(
        &c,
        &t.sign_jwt(None, &good_logout_claims(&t)),
        "no key with kid",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Time: expiry, issued-at and not-before at the leeway edges (whole seconds; the edge cases
// leave a second or two of room for the clock to tick during the test).

#[tokio::test]
async fn expiry_at_the_leeway_edges() {
    let t = demo_tenant().await;
    let leeway = 60;
    let c = client(&t); // the default leeway, 60 s
    let at = |exp: i64| {
        let exp = (now() as i64 + exp) as u64;
        t.sign_jwt(None, &with(&t, |c| c["exp"] = json!(exp)))
    };
    refused(&c, &at(-leeway), "expired").await;
    refused(&c, &at(-leeway - 1), "expired").await;
    refused(&c, &at(-100_000), "expired").await;
    accepted(&c, &at(-leeway + 3)).await;
    accepted(&c, &at(0)).await;

    // With no leeway, the edge is now.
    let strict = confidential(&t)
        .clock_leeway(Duration::ZERO)
        .build()
        .unwrap();
    refused(&strict, &at(0), "expired").await;
    refused(&strict, &at(-1), "expired").await;
    accepted(&strict, &at(3)).await;

    // exp that is not a number, or negative.
    for bad in [json!("9999999999"), json!(-1), json!(null), json!([1])] {
        let token = t.sign_jwt(None, &with(&t, |c| c["exp"] = bad.clone()));
        refused(&c, &token, "exp").await;
    }

    // Logout tokens: the same edge.
    let logout_at = |exp: i64| {
        let exp = (now() as i64 + exp) as u64;
        let mut claims = good_logout_claims(&t);
        claims["exp"] = json!(exp);
        t.sign_jwt(None, &claims)
    };
    logout_refused(&c, &logout_at(-leeway), "expired").await;
    bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            logout_at(-leeway + 3).to_string(),
        ))),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn tokens_not_valid_yet_are_refused_past_the_leeway() {
    let t = demo_tenant().await;
    let c = client(&t);
    let leeway = 60;
    // Issued in the future.
    let iat = |secs: u64| t.sign_jwt(None, &with(&t, |c| c["iat"] = json!(now() + secs)));
    refused(&c, &iat(leeway + 3), "issued in the future").await;
    refused(&c, &iat(100_000), "issued in the future").await;
    accepted(&c, &iat(leeway)).await;
    accepted(&c, &iat(0)).await;

    // Not before (RFC 7519 section 4.1.5).
    let nbf = |secs: u64| t.sign_jwt(None, &with(&t, |c| c["nbf"] = json!(now() + secs)));
    refused(&c, &nbf(leeway + 3), "not valid before").await;
    refused(&c, &nbf(100_000), "not valid before").await;
    accepted(&c, &nbf(leeway)).await;
    accepted(&c, &nbf(0)).await;
    let token = t.sign_jwt(None, &with(&t, |c| c["nbf"] = json!("tomorrow")));
    refused(&c, &token, "nbf").await;

    // Logout tokens: issued in the future, or not valid yet.
    let mut claims = good_logout_claims(&t);
    claims["iat"] = json!(now() + 100_000);
    logout_refused(&c, &t.sign_jwt(None, &claims), "issued in the future").await;
    let mut claims = good_logout_claims(&t);
    claims["nbf"] = json!(now() + 100_000);
    logout_refused(&c, &t.sign_jwt(None, &claims), "not valid before").await;
    let mut claims = good_logout_claims(&t);
    claims["iat"] = json!(now() + leeway);
    claims["nbf"] = json!(now() + leeway);
    bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            t.sign_jwt(None, &claims).to_string(),
        ))),
    )
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Audience and issuer

#[tokio::test]
async fn audience_arrays_and_authorized_parties() {
    let t = demo_tenant().await;
    let c = client(&t);
    let me = demo::CLIENT_ID;
    let token = |aud: Value, azp: Option<&str>| {
        t.sign_jwt(
            None,
            &with(&t, |c| {
                c["aud"] = aud;
                if let Some(azp) = azp {
                    c["azp"] = json!(azp);
                }
            }),
        )
    };
    accepted(&c, &token(json!([me]), None)).await;
    accepted(
        &c,
        &token(json!([me, "https://api.example.com/"]), Some(me)),
    )
    .await;
    accepted(
        &c,
        &token(json!(["https://api.example.com/", me]), Some(me)),
    )
    .await;
    refused(
        &c,
        &token(json!([me, "https://api.example.com/"]), None),
        "azp",
    )
    .await;
    refused(
        &c,
        &token(json!([me, "other"]), Some("other")),
        "authorized party",
    )
    .await;
    refused(&c, &token(json!(me), Some("other")), "authorized party").await;
    for aud in [
        json!(["other"]),
        json!([]),
        json!("other"),
        json!(format!("{me} ")),
        json!(me.to_uppercase()),
        json!([format!("{me}x")]),
        json!(&me[..me.len() - 1]),
    ] {
        refused(&c, &token(aud.clone(), None), "audience").await;
    }
    for aud in [json!(42), json!(null), json!({"aud": me})] {
        refused(&c, &token(aud, None), "aud").await;
    }

    // Logout tokens: an array naming this client passes, one that does not is refused.
    let logout = |aud: Value| {
        let mut claims = good_logout_claims(&t);
        claims["aud"] = aud;
        t.sign_jwt(None, &claims)
    };
    bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            logout(json!(["other", me])).to_string(),
        ))),
    )
    .await
    .unwrap();
    logout_refused(&c, &logout(json!(["other"])), "audience").await;
    logout_refused(&c, &logout(json!([])), "audience").await;
}

#[tokio::test]
async fn issuer_look_alikes_are_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    let issuer = t.issuer(); // http://127.0.0.1:PORT/
    let base = issuer.trim_end_matches('/').to_string();
    let look_alikes = [
        base.clone(),
        format!("{issuer}/"),
        format!("{base}.evil.example/"),
        format!("{base}/evil/"),
        format!("{base}0/"),
        issuer.replace("http://", "https://"),
        issuer.replace("http://", "HTTP://"),
        issuer.replace("127.0.0.1", "127.0.0.2"),
        issuer.replace("127.0.0.1", "localhost"),
        issuer.replace("127.0.0.1", "127.0.0.\u{0661}"), // an Arabic-Indic digit one
        format!(" {issuer}"),
        format!("{issuer}\u{0}"),
        format!("{issuer}#"),
        format!("{issuer}?"),
        String::new(),
    ];
    for iss in &look_alikes {
        let token = t.sign_jwt(None, &with(&t, |c| c["iss"] = json!(iss)));
        refused(&c, &token, "issuer").await;
        let mut claims = good_logout_claims(&t);
        claims["iss"] = json!(iss);
        logout_refused(&c, &t.sign_jwt(None, &claims), "issuer").await;
    }
    for iss in [json!([issuer]), json!(null), json!(7)] {
        let token = t.sign_jwt(None, &with(&t, |c| c["iss"] = iss.clone()));
        refused(&c, &token, "iss").await;
    }
    accepted(&c, &t.sign_jwt(None, &good_claims(&t))).await;
}

// ---------------------------------------------------------------------------------------------
// Logout-token specific rules and malformed tokens

#[tokio::test]
async fn logout_tokens_that_break_a_rule_are_refused() {
    let t = demo_tenant().await;
    let c = client(&t);
    type Change = Box<dyn Fn(&mut Value)>;
    let broken: Vec<(&str, Change)> = vec![
        ("nonce", Box::new(|c| c["nonce"] = json!("n-1"))),
        (
            "events",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("events");
            }),
        ),
        ("events", Box::new(|c| c["events"] = json!({}))),
        (
            "events",
            Box::new(|c| c["events"] = json!([BACKCHANNEL_LOGOUT_EVENT])),
        ),
        (
            "event",
            Box::new(|c| c["events"] = json!({BACKCHANNEL_LOGOUT_EVENT: "yes"})),
        ),
        (
            "neither",
            Box::new(|c| {
                let o = c.as_object_mut().unwrap();
                o.remove("sid");
                o.remove("sub");
            }),
        ),
        (
            "iat",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("iat");
            }),
        ),
        ("sid", Box::new(|c| c["sid"] = json!(5))),
    ];
    for (why, change) in broken {
        let mut claims = good_logout_claims(&t);
        change(&mut claims);
        logout_refused(&c, &t.sign_jwt(None, &claims), why).await;
    }
    // An ID token is not a logout token.
    logout_refused(&c, &t.sign_jwt(None, &good_claims(&t)), "events").await;
}

#[tokio::test]
async fn malformed_tokens_are_refused_without_panicking() {
    let t = demo_tenant().await;
    let c = client(&t);
    let good = t.sign_jwt(None, &good_claims(&t));
    let parts: Vec<&str> = good.split('.').collect();
    let junk = [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        format!("{good}.extra"), // four parts
        format!("{}.{}.{}.{}.{}", parts[0], parts[1], "a", "b", "c"), // JWE-shaped
        format!("{}..{}", parts[0], parts[2]), // no payload
        format!("{}.{}", parts[0], parts[1]), // no signature part
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]), // padding
        format!("{}.{}.{}", parts[0], b64("not json"), parts[2]),
        format!("{}.{}.{}", parts[0], b64("[1,2]"), parts[2]),
        format!("{}.{}.{}", b64("{\"alg\":\"RS256\""), parts[1], parts[2]),
        format!("{}.{}.{}", parts[0], parts[1], "!!!"),
        "\u{feff}".repeat(3),
        "a".repeat(100_000),
        format!("{} {}", parts[0], parts[1]),
    ];
    for token in &junk {
        let e = bounded(
            c.verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
                token.to_string(),
            ))),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenValidation, "{token:.40}: {e}");
        let e = bounded(
            c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                token.to_string(),
            ))),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TokenValidation, "{token:.40}: {e}");
    }
}
