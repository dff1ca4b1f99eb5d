//! Shared set-up for the integration tests: a demo tenant on loopback whose API adds RBAC
//! permissions, an `ApiClient` for it, and forgers for access tokens and DPoP proofs that break
//! one rule each.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_api::{ApiClient, ApiClientBuilder, ApiError, ApiErrorCode, Audience};
use auth0_emulator::{ApiConfig, Emulator, RunningEmulator, demo};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Every wait in a test is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(30);

/// Runs `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// The demo tenant, its API adding RBAC `permissions`.
pub async fn tenant() -> RunningEmulator {
    bounded(
        Emulator::builder()
            .demo_tenant()
            .api(ApiConfig::new(demo::AUDIENCE, demo::SCOPES).rbac_permissions(true))
            .start(),
    )
    .await
    .expect("the emulator starts")
}

/// A builder for an API client of `tenant` for the demo API.
pub fn api_builder(tenant: &RunningEmulator) -> ApiClientBuilder {
    ApiClient::builder(tenant.base_url(), Audience::new(demo::AUDIENCE))
}

/// An API client of `tenant` with the defaults.
pub fn api(tenant: &RunningEmulator) -> ApiClient {
    api_builder(tenant).build().expect("the API client builds")
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The claims of a good access token of `tenant` for the demo API.
pub fn good_claims(t: &RunningEmulator) -> Value {
    json!({
        "iss": t.issuer(),
        "sub": "auth0|abc",
        "aud": [demo::AUDIENCE, format!("{}userinfo", t.issuer())],
        "iat": now(),
        "exp": now() + 3600,
        "scope": "read:messages write:messages",
        "permissions": ["read:messages"],
        "azp": demo::CLIENT_ID,
    })
}

/// [`good_claims`] changed by `change`.
pub fn claims_with(t: &RunningEmulator, change: impl FnOnce(&mut Value)) -> Value {
    let mut c = good_claims(t);
    change(&mut c);
    c
}

/// An access token signed by the tenant with this header and these claims.
pub fn token_with_header(t: &RunningEmulator, header: Value, claims: &Value) -> String {
    t.sign_jwt_with_header(&header, claims)
}

/// An access token signed by the tenant (`typ: at+jwt`).
pub fn token(t: &RunningEmulator, claims: &Value) -> String {
    token_with_header(t, json!({"alg": "RS256", "typ": "at+jwt"}), claims)
}

/// Asserts a refusal: code, status, and the OAuth error in the challenges (`None`: no error
/// parameter anywhere).
pub fn assert_refused(e: &ApiError, code: ApiErrorCode, status: u16, error: Option<&str>) {
    assert_eq!(e.code(), code, "{e:?}");
    assert_eq!(e.status(), status, "{e:?}");
    let challenges = e.www_authenticate().join(" | ");
    match error {
        Some(error) => assert!(
            challenges.contains(&format!("error=\"{error}\"")),
            "{challenges}"
        ),
        None => assert!(!challenges.contains("error="), "{challenges}"),
    }
}

/// A DPoP key of the test: an ES256 key pair and its public JWK.
pub struct ProofKey {
    pair: EcdsaKeyPair,
    pub jwk: Value,
}

impl ProofKey {
    pub fn new() -> Self {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let jwk =
            json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])});
        Self { pair, jwk }
    }

    /// The RFC 7638 thumbprint (the `cnf.jkt` a token bound to this key carries).
    pub fn jkt(&self) -> String {
        auth0_auth::jws::jwk_thumbprint(&self.jwk).unwrap()
    }

    /// Signs `claims` under `header` (ES256), whatever the header says.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_input(&format!(
            "{}.{}",
            b64(header.to_string()),
            b64(claims.to_string())
        ))
    }

    /// Signs a signing input (`header.payload`, as given) with ES256 and appends the signature.
    pub fn sign_input(&self, input: &str) -> String {
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }

    /// The header of a good proof.
    pub fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk})
    }

    /// The claims of a good proof for `method` `url` presenting `access_token`.
    pub fn claims(&self, method: &str, url: &str, access_token: &str) -> Value {
        json!({
            "jti": random_id(),
            "htm": method,
            "htu": url,
            "iat": now(),
            "ath": auth0_api::access_token_hash(access_token),
        })
    }

    /// A good proof.
    pub fn proof(&self, method: &str, url: &str, access_token: &str) -> String {
        self.sign(&self.header(), &self.claims(method, url, access_token))
    }
}

/// 16 random bytes, base64url.
pub fn random_id() -> String {
    let mut id = [0u8; 16];
    aws_lc_rs::rand::fill(&mut id).unwrap();
    b64(id)
}
