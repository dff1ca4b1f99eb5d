//! DPoP-bound access tokens against the emulator over real HTTP (RFC 9449 §4.3, §7.1): a token
//! the tenant bound to the client's key passes with a fresh proof and a replay is refused; each
//! proof rule refuses a proof that breaks only it, with `401 invalid_dpop_proof` and a `DPoP`
//! challenge; scheme and binding mismatches; server nonces.

mod common;

use std::sync::{Arc, Mutex};

use auth0_api::{
    ApiErrorCode, DpopMode, DpopNonces, SecretString, SigningAlgorithm, VerifyAccessTokenRequest,
};
use auth0_auth::{AuthClient, ClientCredentialsRequest, DpopKey, ExposeSecret};
use auth0_emulator::demo;
use common::*;
use serde_json::{Value, json};

const URL: &str = "https://api.example.com/orders";

fn dpop(token: &str, proof: &str) -> VerifyAccessTokenRequest {
    VerifyAccessTokenRequest::new(SecretString::from(token.to_string()))
        .scheme("DPoP")
        .dpop_proof(proof)
        .http_method("GET")
        .http_url(URL)
}

/// A token of the tenant bound to `key`.
fn bound_token(t: &auth0_emulator::RunningEmulator, key: &ProofKey) -> String {
    token(t, &claims_with(t, |c| c["cnf"] = json!({"jkt": key.jkt()})))
}

#[tokio::test]
async fn a_token_the_tenant_bound_passes_with_a_fresh_proof_and_a_replay_is_refused() {
    let t = tenant().await;
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .dpop_key(DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let tokens =
        bounded(client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    let token = tokens.access_token.expose_secret().to_string();
    let proof = client
        .dpop_proof(
            auth0_auth::DpopProofRequest::new(
                auth0_auth::reqwest::Method::POST,
                "https://API.example.com:443/orders?page=2",
            )
            .access_token(token.clone().into()),
        )
        .unwrap()
        .unwrap();
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let api = api_builder(&t).dpop_mode(mode).build().unwrap();
        let request = || {
            VerifyAccessTokenRequest::from_authorization_header(&format!("DPoP {token}"))
                .dpop_proof(proof.clone())
                .http_method("POST")
                .http_url("https://api.example.com/orders")
                .required_scopes(["read:messages"])
        };
        let claims = bounded(api.verify_access_token(request())).await.unwrap();
        assert_eq!(
            claims.confirmation_jkt(),
            Some(client.dpop_key().unwrap().thumbprint())
        );
        // The same proof again: replayed.
        let e = bounded(api.verify_access_token(request()))
            .await
            .unwrap_err();
        assert_refused(
            &e,
            ApiErrorCode::InvalidDpopProof,
            401,
            Some("invalid_dpop_proof"),
        );
        assert!(
            e.www_authenticate()
                .last()
                .unwrap()
                .starts_with("DPoP error=")
        );
        assert!(e.message().contains("replayed"));
    }
    // Disabled: the bound token is taken as a bearer token, DPoP is not looked at.
    let disabled = api_builder(&t)
        .dpop_mode(DpopMode::Disabled)
        .build()
        .unwrap();
    bounded(
        disabled.verify_access_token(VerifyAccessTokenRequest::from_authorization_header(
            &format!("Bearer {token}"),
        )),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn each_proof_rule_refuses_a_proof_that_breaks_only_it() {
    let t = tenant().await;
    let api = api(&t);
    let key = ProofKey::new();
    let tok = bound_token(&t, &key);
    // The good proof passes (a fresh one per check, so replay never interferes).
    bounded(api.verify_access_token(dpop(&tok, &key.proof("GET", URL, &tok))))
        .await
        .unwrap();
    let with_claims = |change: &dyn Fn(&mut Value)| {
        let mut c = key.claims("GET", URL, &tok);
        change(&mut c);
        key.sign(&key.header(), &c)
    };
    let with_header = |change: &dyn Fn(&mut Value)| {
        let mut h = key.header();
        change(&mut h);
        key.sign(&h, &key.claims("GET", URL, &tok))
    };
    let other = ProofKey::new();
    let good = key.proof("GET", URL, &tok);
    let (head, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let cases: Vec<(&str, String)> = vec![
        (
            "two proofs",
            format!(
                "{},{}",
                key.proof("GET", URL, &tok),
                key.proof("GET", URL, &tok)
            ),
        ),
        ("not a JWT", "abc".to_string()),
        ("typ JWT", with_header(&|h| h["typ"] = "JWT".into())),
        (
            "no typ",
            with_header(&|h| {
                h.as_object_mut().unwrap().remove("typ");
            }),
        ),
        (
            "alg not allowed",
            with_header(&|h| h["alg"] = "ES384".into()),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk}).to_string()),
                b64(key.claims("GET", URL, &tok).to_string())
            ),
        ),
        (
            "no jwk",
            with_header(&|h| {
                h.as_object_mut().unwrap().remove("jwk");
            }),
        ),
        (
            "private jwk",
            with_header(&|h| h["jwk"]["d"] = "AAAA".into()),
        ),
        (
            "symmetric jwk",
            with_header(&|h| h["jwk"] = json!({"kty": "oct", "k": "AAAA"})),
        ),
        (
            "jwk of another key",
            with_header(&|h| h["jwk"] = other.jwk.clone()),
        ),
        ("crit header", with_header(&|h| h["crit"] = json!(["x"]))),
        (
            "payload changed",
            format!(
                "{head}.{}.{sig}",
                b64(key.claims("POST", URL, &tok).to_string())
            ),
        ),
        (
            "no jti",
            with_claims(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        ),
        ("jti not a string", with_claims(&|c| c["jti"] = json!(7))),
        (
            "no iat",
            with_claims(&|c| {
                c.as_object_mut().unwrap().remove("iat");
            }),
        ),
        (
            "iat too old",
            with_claims(&|c| c["iat"] = json!(now() - 310)),
        ),
        (
            "iat too far ahead",
            with_claims(&|c| c["iat"] = json!(now() + 40)),
        ),
        ("htm mismatch", with_claims(&|c| c["htm"] = "POST".into())),
        (
            "no htm",
            with_claims(&|c| {
                c.as_object_mut().unwrap().remove("htm");
            }),
        ),
        (
            "htu other path",
            with_claims(&|c| c["htu"] = "https://api.example.com/orders/1".into()),
        ),
        (
            "htu other host",
            with_claims(&|c| c["htu"] = "https://evil.example.com/orders".into()),
        ),
        (
            "htu other scheme",
            with_claims(&|c| c["htu"] = "http://api.example.com/orders".into()),
        ),
        (
            "htu other port",
            with_claims(&|c| c["htu"] = "https://api.example.com:8443/orders".into()),
        ),
        (
            "htu not a URL",
            with_claims(&|c| c["htu"] = "orders".into()),
        ),
        (
            "no htu",
            with_claims(&|c| {
                c.as_object_mut().unwrap().remove("htu");
            }),
        ),
        (
            "ath of another token",
            with_claims(&|c| c["ath"] = auth0_api::access_token_hash("other").into()),
        ),
        (
            "no ath",
            with_claims(&|c| {
                c.as_object_mut().unwrap().remove("ath");
            }),
        ),
    ];
    for (name, proof) in &cases {
        let e = bounded(api.verify_access_token(dpop(&tok, proof)))
            .await
            .expect_err(name);
        assert_refused(
            &e,
            ApiErrorCode::InvalidDpopProof,
            401,
            Some("invalid_dpop_proof"),
        );
        let challenges = e.www_authenticate();
        assert_eq!(challenges[0], r#"Bearer realm="api""#, "{name}");
        assert!(
            challenges[1].starts_with(r#"DPoP error="invalid_dpop_proof""#),
            "{name}"
        );
        assert!(challenges[1].ends_with(r#"algs="ES256""#), "{name}");
        assert!(
            !e.message().contains(proof.as_str()) && !e.message().contains(&tok),
            "{name}"
        );
    }
    // Equivalent URLs match: case, default port, query and fragment, unreserved escapes.
    for htu in [
        "HTTPS://API.EXAMPLE.COM/orders",
        "https://api.example.com:443/orders?x=1#f",
        "https://api.example.com/%6Frders",
    ] {
        let proof = with_claims(&|c| c["htu"] = htu.into());
        bounded(api.verify_access_token(dpop(&tok, &proof)))
            .await
            .unwrap_or_else(|e| panic!("{htu}: {e:?}"));
    }
    // A proof by another key (valid in itself) does not match the token's cnf.jkt.
    let e = bounded(api.verify_access_token(dpop(&tok, &other.proof("GET", URL, &tok))))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    assert!(e.www_authenticate()[1].starts_with(r#"DPoP error="invalid_token""#));
    // A bad request URL is the caller's invalid_request.
    let e = bounded(
        api.verify_access_token(dpop(&tok, &key.proof("GET", URL, &tok)).http_url("not a url")),
    )
    .await
    .unwrap_err();
    assert_refused(
        &e,
        ApiErrorCode::InvalidRequest,
        400,
        Some("invalid_request"),
    );
}

#[tokio::test]
async fn schemes_and_bindings_must_agree() {
    let t = tenant().await;
    let api = api(&t);
    let key = ProofKey::new();
    let bound = bound_token(&t, &key);
    let unbound = token(&t, &good_claims(&t));
    let secret = |s: &str| SecretString::from(s.to_string());

    // A bound token as Bearer: invalid_token on the Bearer challenge.
    let e = bounded(
        api.verify_access_token(VerifyAccessTokenRequest::new(secret(&bound)).scheme("Bearer")),
    )
    .await
    .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    assert!(e.www_authenticate()[0].contains("error=\"invalid_token\""));
    // The DPoP scheme with an unbound token: invalid_token on the DPoP challenge.
    let e = bounded(api.verify_access_token(dpop(&unbound, &key.proof("GET", URL, &unbound))))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    assert!(e.www_authenticate()[1].starts_with("DPoP error=\"invalid_token\""));
    // A proof with the Bearer scheme and an unbound token: invalid_request.
    let e = bounded(
        api.verify_access_token(
            VerifyAccessTokenRequest::new(secret(&unbound))
                .scheme("Bearer")
                .dpop_proof(key.proof("GET", URL, &unbound))
                .http_method("GET")
                .http_url(URL),
        ),
    )
    .await
    .unwrap_err();
    assert_refused(
        &e,
        ApiErrorCode::InvalidRequest,
        400,
        Some("invalid_request"),
    );
    // The DPoP scheme without a proof, without a method, without a URL: invalid_request.
    for request in [
        VerifyAccessTokenRequest::new(secret(&bound)).scheme("DPoP"),
        VerifyAccessTokenRequest::new(secret(&bound))
            .scheme("dpop")
            .dpop_proof(key.proof("GET", URL, &bound))
            .http_url(URL),
        VerifyAccessTokenRequest::new(secret(&bound))
            .scheme("DPoP")
            .dpop_proof(key.proof("GET", URL, &bound))
            .http_method("GET"),
    ] {
        let e = bounded(api.verify_access_token(request)).await.unwrap_err();
        assert_refused(
            &e,
            ApiErrorCode::InvalidRequest,
            400,
            Some("invalid_request"),
        );
        assert!(e.www_authenticate()[1].starts_with("DPoP error=\"invalid_request\""));
    }
    // Required mode: the only challenge is DPoP.
    let required = api_builder(&t)
        .dpop_mode(DpopMode::Required)
        .build()
        .unwrap();
    let e = bounded(required.verify_access_token(dpop(&unbound, &key.proof("GET", URL, &unbound))))
        .await
        .unwrap_err();
    assert_eq!(e.www_authenticate().len(), 1);
    assert!(e.www_authenticate()[0].starts_with("DPoP error=\"invalid_token\""));
}

#[tokio::test]
async fn other_proof_algorithms_when_allowed() {
    let t = tenant().await;
    let key = ProofKey::new();
    let tok = bound_token(&t, &key);
    let only_rs = api_builder(&t)
        .dpop_signing_algs([SigningAlgorithm::PS256])
        .build()
        .unwrap();
    let e = bounded(only_rs.verify_access_token(dpop(&tok, &key.proof("GET", URL, &tok))))
        .await
        .unwrap_err();
    assert_refused(
        &e,
        ApiErrorCode::InvalidDpopProof,
        401,
        Some("invalid_dpop_proof"),
    );
    assert!(e.www_authenticate()[1].ends_with(r#"algs="PS256""#));
}

/// Nonces of the test: one current value, rotated on demand.
struct TestNonces(Mutex<String>);

impl DpopNonces for TestNonces {
    fn issue(&self) -> String {
        self.0.lock().unwrap().clone()
    }
    fn is_valid(&self, nonce: &str) -> bool {
        *self.0.lock().unwrap() == nonce
    }
}

#[tokio::test]
async fn server_nonces_are_demanded_and_checked() {
    let t = tenant().await;
    let nonces = Arc::new(TestNonces(Mutex::new("n-1".into())));
    let api = api_builder(&t).dpop_nonces(nonces.clone()).build().unwrap();
    let key = ProofKey::new();
    let tok = bound_token(&t, &key);
    let e = bounded(api.verify_access_token(dpop(&tok, &key.proof("GET", URL, &tok))))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::UseDpopNonce, 401, Some("use_dpop_nonce"));
    assert_eq!(e.dpop_nonce(), Some("n-1"));
    let with_nonce = |n: &str| {
        let mut c = key.claims("GET", URL, &tok);
        c["nonce"] = n.into();
        key.sign(&key.header(), &c)
    };
    bounded(api.verify_access_token(dpop(&tok, &with_nonce("n-1"))))
        .await
        .unwrap();
    *nonces.0.lock().unwrap() = "n-2".into();
    let e = bounded(api.verify_access_token(dpop(&tok, &with_nonce("n-1"))))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::UseDpopNonce, 401, Some("use_dpop_nonce"));
    assert_eq!(e.dpop_nonce(), Some("n-2"));
}

/// Proof keys are read once per header and kept (`jws::EmbeddedJwk` in a bounded cache): with
/// the key of a header already known, every proof carrying that header is still checked in full.
#[tokio::test]
async fn a_known_proof_key_still_checks_every_proof() {
    let t = tenant().await;
    let api = api(&t);
    let key = ProofKey::new();
    let tok = bound_token(&t, &key);
    // The first proof makes the key known; later ones with the same header pass too.
    for _ in 0..3 {
        bounded(api.verify_access_token(dpop(&tok, &key.proof("GET", URL, &tok))))
            .await
            .unwrap();
    }
    let good = key.proof("GET", URL, &tok);
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let other = ProofKey::new();
    // Same header as the known key, signed by another key.
    let foreign_sig = other.sign(&key.header(), &key.claims("GET", URL, &tok));
    let signed_not_json = key.sign_input(&format!("{head}.{}", b64("[1]")));
    let cases: Vec<(&str, String)> = vec![
        ("signed by another key", foreign_sig),
        ("signature of another proof", {
            let again = key.proof("GET", URL, &tok);
            let (_, other_sig) = again.rsplit_once('.').unwrap();
            format!("{head}.{payload}.{other_sig}")
        }),
        ("an extra part", format!("{good}.{sig}")),
        ("no signature", format!("{head}.{payload}")),
        ("signed payload not an object", signed_not_json),
        ("replayed", good.clone()),
    ];
    bounded(api.verify_access_token(dpop(&tok, &good)))
        .await
        .unwrap();
    for (name, proof) in &cases {
        let e = bounded(api.verify_access_token(dpop(&tok, proof)))
            .await
            .expect_err(name);
        assert_refused(
            &e,
            ApiErrorCode::InvalidDpopProof,
            401,
            Some("invalid_dpop_proof"),
        );
    }
    // The known key's thumbprint is still compared with the token's cnf.jkt.
    let other_tok = bound_token(&t, &other);
    let e = bounded(api.verify_access_token(dpop(&other_tok, &key.proof("GET", URL, &other_tok))))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    // A header that differs only in member order is another header: read, checked and passed.
    let reordered = format!(r#"{{"typ":"dpop+jwt","jwk":{},"alg":"ES256"}}"#, key.jwk);
    assert_ne!(b64(&reordered), head);
    let proof = key.sign_input(&format!(
        "{}.{}",
        b64(&reordered),
        b64(key.claims("GET", URL, &tok).to_string())
    ));
    bounded(api.verify_access_token(dpop(&tok, &proof)))
        .await
        .unwrap();
    // Another API (its own cache) with other allowed algorithms refuses the known header.
    let strict = api_builder(&t)
        .dpop_signing_algs([SigningAlgorithm::ES384])
        .build()
        .unwrap();
    let e = bounded(strict.verify_access_token(dpop(&tok, &key.proof("GET", URL, &tok))))
        .await
        .unwrap_err();
    assert_refused(
        &e,
        ApiErrorCode::InvalidDpopProof,
        401,
        Some("invalid_dpop_proof"),
    );
}
