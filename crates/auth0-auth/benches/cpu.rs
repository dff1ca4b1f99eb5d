//! The SDK's CPU paths, with every cache warm, through the public API only:
//!
//! - `authorization_url`: `build_authorization_url` with discovery cached (URL building, a fresh
//!   PKCE verifier and its S256 challenge);
//! - `verify_id_token` and `verify_logout_token` with the JWKS cached (parsing, the RS256
//!   signature, the claim rules);
//! - `floor/raw_rs256_verify`: one RS256 verification of the same logout token with aws-lc and a
//!   key parsed beforehand, the floor the two above are measured against;
//!   `floor/jsonwebtoken_rs256_verify` is the same through `jsonwebtoken`.
//!
//! Run with `cargo bench -p auth0-auth --bench cpu`. The tokens come from a local emulator.

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrlRequest, ExposeSecret, PasswordRequest,
};
use auth0_auth::{SecretString, VerifyIdTokenRequest, VerifyLogoutTokenRequest};
use auth0_emulator::{Emulator, demo};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn cpu(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let tenant = rt
        .block_on(Emulator::builder().demo_tenant().start())
        .expect("the emulator starts");
    let client = AuthClient::builder(tenant.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .expect("the client builds");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    // A logout token that stays valid for the whole run (the emulator's own last two minutes).
    let logout_token = tenant.sign_jwt(
        None,
        &json!({
            "iss": tenant.issuer(), "aud": demo::CLIENT_ID, "iat": now, "exp": now + 3600,
            "jti": "bench", "sub": "auth0|bench", "sid": "bench-sid",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        }),
    );
    let id_token = rt.block_on(async {
        let tokens = client
            .get_token_by_password(
                PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into()).scope("openid profile"),
            )
            .await
            .expect("the demo user signs in");
        // Warm the discovery and JWKS caches.
        client
            .verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                logout_token.to_string(),
            )))
            .await
            .expect("the logout token verifies");
        tokens
            .id_token
            .expect("an ID token")
            .expose_secret()
            .to_string()
    });

    let mut group = c.benchmark_group("cpu");
    group.bench_function("authorization_url", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .build_authorization_url(
                    AuthorizationUrlRequest::new().params(
                        AuthorizationParams::new()
                            .redirect_uri("http://localhost:3000/callback")
                            .state("xyz"),
                    ),
                )
                .await
                .expect("a URL")
        })
    });
    group.bench_function("verify_id_token", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .verify_id_token(VerifyIdTokenRequest::new(SecretString::from(
                    black_box(&id_token).to_string(),
                )))
                .await
                .expect("the ID token verifies")
        })
    });
    group.bench_function("verify_logout_token", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                    black_box(&logout_token).to_string(),
                )))
                .await
                .expect("the logout token verifies")
        })
    });

    // The floor: one RS256 verification with a key parsed once.
    let jwks: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{}/.well-known/jwks.json", tenant.base_url()))
            .await
            .expect("the JWKS")
            .json()
            .await
            .expect("JSON")
    });
    let b64 = |k: &str| {
        URL_SAFE_NO_PAD
            .decode(jwks["keys"][0][k].as_str().expect("a JWK member"))
            .expect("base64url")
    };
    let (n, e) = (b64("n"), b64("e"));
    let key = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)
        .expect("an RSA key");
    let dot = logout_token.rfind('.').expect("a JWT");
    let signing_input = &logout_token.as_bytes()[..dot];
    let signature = URL_SAFE_NO_PAD
        .decode(&logout_token[dot + 1..])
        .expect("base64url");
    group.bench_function("floor/raw_rs256_verify", |b| {
        b.iter(|| {
            key.verify_sig(black_box(signing_input), black_box(&signature))
                .expect("the signature verifies")
        })
    });
    // The same verification through `jsonwebtoken`, which builds the RSA key from its
    // components on every call.
    let jwk: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(jwks["keys"][0].clone()).expect("a JWK");
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a key");
    let signature_b64 = &logout_token[dot + 1..];
    group.bench_function("floor/jsonwebtoken_rs256_verify", |b| {
        b.iter(|| {
            jsonwebtoken::crypto::verify(
                black_box(signature_b64),
                black_box(signing_input),
                &decoding,
                jsonwebtoken::Algorithm::RS256,
            )
            .expect("the signature verifies")
        })
    });
    group.finish();
    rt.block_on(tenant.shutdown());
}

criterion_group!(benches, cpu);
criterion_main!(benches);
