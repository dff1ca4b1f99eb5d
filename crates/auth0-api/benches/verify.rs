//! `verify_access_token` with warm discovery and JWKS caches, through the public API only:
//!
//! - `bearer`: an RS256 access token of the tenant (parsing, the signature, the token rules);
//! - `dpop`: a DPoP-bound token with a fresh ES256 proof per call (proofs are made outside the
//!   timing; each is checked in full, including the replay cache);
//! - `floor/raw_rs256_verify` and `floor/raw_es256_verify`: one raw signature check each with
//!   aws-lc and keys parsed beforehand, the floors the two above are measured against (the
//!   issue's targets: `bearer` at most 1.2x the RS256 floor, `dpop` at most 1.3x the sum).
//!
//! Run with `cargo bench -p auth0-api --bench verify`. The tokens come from a local emulator.
//! The same jobs next to Auth0's Node middleware: `bash bench/compare/run.sh`
//! (`examples/compare_verify.rs`).

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_api::{ApiClient, Audience, SecretString, VerifyAccessTokenRequest};
use auth0_auth::DpopKey;
use auth0_emulator::{Emulator, demo};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::json;

const URL: &str = "https://api.example.com/orders";

fn verify(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let tenant = rt
        .block_on(Emulator::builder().demo_tenant().start())
        .expect("the emulator starts");
    let api = ApiClient::builder(tenant.base_url(), Audience::new(demo::AUDIENCE))
        .build()
        .expect("the API client builds");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let claims = json!({
        "iss": tenant.issuer(), "sub": "auth0|bench", "aud": demo::AUDIENCE,
        "iat": now, "exp": now + 3600, "scope": "read:messages", "azp": demo::CLIENT_ID,
    });
    let bearer = tenant.sign_jwt(None, &claims);
    let key = DpopKey::generate().expect("a DPoP key");
    let mut bound_claims = claims.clone();
    bound_claims["cnf"] = json!({"jkt": key.thumbprint()});
    let bound = tenant.sign_jwt(None, &bound_claims);
    let request = |token: &str| {
        VerifyAccessTokenRequest::new(SecretString::from(token.to_string()))
            .scheme("Bearer")
            .required_scopes(["read:messages"])
    };
    rt.block_on(api.verify_access_token(request(&bearer)))
        .expect("the token verifies (and the caches are warm)");

    let mut group = c.benchmark_group("api");
    group.bench_function("bearer", |b| {
        b.to_async(&rt).iter(|| async {
            api.verify_access_token(black_box(request(&bearer)))
                .await
                .expect("the token verifies")
        })
    });
    group.bench_function("dpop", |b| {
        b.to_async(&rt).iter_batched(
            || {
                let proof = key.proof(&proof_request(&bound)).expect("a proof");
                VerifyAccessTokenRequest::new(SecretString::from(bound.clone()))
                    .scheme("DPoP")
                    .dpop_proof(proof)
                    .http_method("GET")
                    .http_url(URL)
            },
            |request| async {
                api.verify_access_token(request)
                    .await
                    .expect("the token and proof verify")
            },
            BatchSize::SmallInput,
        )
    });

    // The floors: raw signature checks with keys parsed once.
    let jwks: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{}/.well-known/jwks.json", tenant.base_url()))
            .await
            .expect("the JWKS")
            .json()
            .await
            .expect("JSON")
    });
    let b64 = |v: &serde_json::Value| {
        URL_SAFE_NO_PAD
            .decode(v.as_str().expect("a JWK member"))
            .expect("base64url")
    };
    let (n, e) = (b64(&jwks["keys"][0]["n"]), b64(&jwks["keys"][0]["e"]));
    let rsa = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256)
        .expect("an RSA key");
    let split = |token: &str| {
        let dot = token.rfind('.').expect("a JWT");
        (
            token.as_bytes()[..dot].to_vec(),
            URL_SAFE_NO_PAD
                .decode(&token[dot + 1..])
                .expect("base64url"),
        )
    };
    let (rsa_input, rsa_sig) = split(&bearer);
    group.bench_function("floor/raw_rs256_verify", |b| {
        b.iter(|| {
            rsa.verify_sig(black_box(&rsa_input), black_box(&rsa_sig))
                .expect("the signature verifies")
        })
    });
    let jwk = key.public_jwk();
    let mut point = vec![4u8];
    point.extend(b64(&jwk["x"]));
    point.extend(b64(&jwk["y"]));
    let ec = aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .expect("an EC key");
    let proof = key.proof(&proof_request(&bound)).expect("a proof");
    let (ec_input, ec_sig) = split(&proof);
    group.bench_function("floor/raw_es256_verify", |b| {
        b.iter(|| {
            ec.verify_sig(black_box(&ec_input), black_box(&ec_sig))
                .expect("the signature verifies")
        })
    });
    group.finish();
    rt.block_on(tenant.shutdown());
}

criterion_group!(benches, verify);
criterion_main!(benches);

/// A DPoP proof request for a GET of the benchmark's URL presenting `token`.
fn proof_request(token: &str) -> auth0_auth::DpopProofRequest {
    auth0_auth::DpopProofRequest::new(auth0_auth::reqwest::Method::GET, URL)
        .access_token(token.to_owned().into())
}
