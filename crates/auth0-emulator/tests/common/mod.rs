//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use auth0_emulator::{Emulator, RunningEmulator, demo};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::Value;

/// Runs `f`, failing the test if it takes more than 30 seconds.
pub async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test timed out")
}

/// A plain-HTTP client that never uses a proxy.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

/// The demo tenant.
pub async fn demo_tenant() -> RunningEmulator {
    Emulator::builder()
        .demo_tenant()
        .start()
        .await
        .expect("emulator starts")
}

/// POSTs `form` to `/oauth/token`; returns the status and the JSON body.
pub async fn token(em: &RunningEmulator, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(format!("{}/oauth/token", em.base_url()))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.expect("JSON body");
    (status, body)
}

/// GETs a path and returns the JSON body.
pub async fn get_json(em: &RunningEmulator, path: &str) -> Value {
    http()
        .get(format!("{}{path}", em.base_url()))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON body")
}

/// Verifies an RS256 token against the tenant's published JWKS; returns the claims.
pub async fn verify(em: &RunningEmulator, token: &str, audience: &str) -> Value {
    let jwks: JwkSet =
        serde_json::from_value(get_json(em, "/.well-known/jwks.json").await).expect("JWKS parses");
    let header = jsonwebtoken::decode_header(token).expect("JWT header");
    let kid = header.kid.expect("kid in header");
    let jwk = jwks.find(&kid).expect("kid published");
    let key = DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[em.issuer()]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("token verifies")
        .claims
}

/// The demo user's password-grant form with `scope`.
pub fn password_form(scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "password".to_owned()),
        ("username", demo::USERNAME.to_owned()),
        ("password", demo::PASSWORD.to_owned()),
        ("scope", scope.to_owned()),
        ("client_id", demo::CLIENT_ID.to_owned()),
        ("client_secret", demo::CLIENT_SECRET.to_owned()),
    ]
}

/// Borrows a form of owned values.
pub fn borrow<'a>(form: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
