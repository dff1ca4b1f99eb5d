//! The tenant's signing keys (JWKS), cached process-wide per `jwks_uri`.
//!
//! A token whose `kid` is not in the cached set triggers one refetch (key rotation), but never
//! more than one per [`MIN_REFRESH_INTERVAL`] per key set, however many such tokens arrive.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::{Request, Transport};
use crate::jwt::{SigningAlgorithm, UnverifiedJwt};

/// The shortest time between two refetches of one key set caused by unknown `kid`s.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
/// How long a fetched key set is trusted without being asked for an unknown key.
const KEY_SET_TTL: Duration = Duration::from_secs(600);
/// How many key sets (tenants) are kept.
const MAX_KEY_SETS: u64 = 10_000;

/// One usable key of a key set.
struct Key {
    kid: Option<String>,
    alg: Option<String>,
    kty: &'static str,
    key: DecodingKey,
}

/// The usable keys of a fetched JWKS (keys with `use` other than `sig`, or that cannot be
/// read, are left out).
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<Value>,
}

impl KeySet {
    pub(crate) fn parse(body: &[u8]) -> std::result::Result<Self, String> {
        let doc: JwksDocument = serde_json::from_slice(body)
            .map_err(|_| "the key set is not a JSON object with a \"keys\" array".to_string())?;
        let mut keys = Vec::new();
        for raw in doc.keys {
            if raw.get("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let kty = match raw.get("kty").and_then(Value::as_str) {
                Some("RSA") => "RSA",
                Some("EC") => "EC",
                _ => continue,
            };
            let Ok(jwk) = serde_json::from_value::<Jwk>(raw.clone()) else {
                continue;
            };
            let Ok(key) = DecodingKey::from_jwk(&jwk) else {
                continue;
            };
            keys.push(Key {
                kid: raw.get("kid").and_then(Value::as_str).map(String::from),
                alg: raw.get("alg").and_then(Value::as_str).map(String::from),
                kty,
                key,
            });
        }
        Ok(Self { keys })
    }

    /// The keys a token with this `kid` and `alg` may be verified with; `Ok(empty)` when the
    /// `kid` is unknown, `Err` when keys exist but none fits the algorithm.
    pub(crate) fn candidates(
        &self,
        kid: Option<&str>,
        alg: SigningAlgorithm,
    ) -> std::result::Result<Vec<&DecodingKey>, String> {
        let named: Vec<&Key> = match kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .collect(),
            None => self.keys.iter().collect(),
        };
        if named.is_empty() {
            return Ok(Vec::new());
        }
        let fitting: Vec<&DecodingKey> = named
            .iter()
            .filter(|k| k.kty == alg.key_type())
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg.as_str()))
            .map(|k| &k.key)
            .collect();
        if fitting.is_empty() {
            return Err(format!(
                "the tenant's key {} is not a key for {alg}",
                kid.map(|k| format!("{k:?}")).unwrap_or_default()
            ));
        }
        if kid.is_none() && fitting.len() > 1 {
            return Err(
                "the token has no \"kid\" and the tenant's key set has several keys".to_string(),
            );
        }
        Ok(fitting)
    }
}

/// The process-wide key-set cache.
pub(crate) struct JwksCache {
    sets: moka::future::Cache<String, Arc<KeySet>>,
    /// When each key set was last refetched because of an unknown `kid`.
    refreshes: moka::future::Cache<String, Arc<Mutex<Option<Instant>>>>,
}

impl JwksCache {
    pub(crate) fn shared() -> &'static JwksCache {
        static CACHE: OnceLock<JwksCache> = OnceLock::new();
        CACHE.get_or_init(|| JwksCache {
            sets: moka::future::Cache::builder()
                .max_capacity(MAX_KEY_SETS)
                .time_to_live(KEY_SET_TTL)
                .build(),
            refreshes: moka::future::Cache::builder()
                .max_capacity(MAX_KEY_SETS)
                .time_to_idle(KEY_SET_TTL)
                .build(),
        })
    }

    /// Verifies `jwt`'s signature with a key from `jwks_uri` under `alg`.
    pub(crate) async fn verify(
        &self,
        transport: &Transport,
        jwks_uri: &Url,
        jwt: &UnverifiedJwt<'_>,
        alg: SigningAlgorithm,
        code: ErrorCode,
    ) -> Result<()> {
        let invalid = |m: String| Error::new(code, ErrorKind::TokenValidation, m);
        let kid = jwt.header.kid.as_deref();
        let set = self.get(transport, jwks_uri, code).await?;
        let mut keys = set.candidates(kid, alg).map_err(invalid)?;
        let refreshed;
        if keys.is_empty() {
            refreshed = self.refresh(transport, jwks_uri, code).await?;
            keys = refreshed.candidates(kid, alg).map_err(invalid)?;
        }
        if keys.is_empty() {
            return Err(invalid(format!(
                "no key with kid {:?} is in the tenant's key set",
                kid.unwrap_or_default()
            )));
        }
        if keys.iter().any(|k| jwt.verify_signature(k, alg).is_ok()) {
            Ok(())
        } else {
            Err(invalid("the token signature is invalid".into()))
        }
    }

    async fn get(&self, transport: &Transport, uri: &Url, code: ErrorCode) -> Result<Arc<KeySet>> {
        self.sets
            .try_get_with(uri.to_string(), fetch(transport, uri, code))
            .await
            .map_err(|e| (*e).clone())
    }

    /// Refetches a key set unless that happened less than [`MIN_REFRESH_INTERVAL`] ago;
    /// concurrent callers wait for one refetch.
    async fn refresh(
        &self,
        transport: &Transport,
        uri: &Url,
        code: ErrorCode,
    ) -> Result<Arc<KeySet>> {
        let gate = self
            .refreshes
            .get_with(uri.to_string(), async { Arc::new(Mutex::new(None)) })
            .await;
        let mut last = gate.lock().await;
        if last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL) {
            return self.get(transport, uri, code).await;
        }
        *last = Some(Instant::now());
        let set = fetch(transport, uri, code).await?;
        self.sets.insert(uri.to_string(), set.clone()).await;
        Ok(set)
    }
}

async fn fetch(transport: &Transport, uri: &Url, code: ErrorCode) -> Result<Arc<KeySet>> {
    let response = transport
        .send(Request::new(
            Method::GET,
            uri.clone(),
            code,
            "the key set (JWKS) endpoint",
        ))
        .await?
        .success()?;
    KeySet::parse(&response.body)
        .map(Arc::new)
        .map_err(|m| Error::new(code, ErrorKind::InvalidResponse, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_JWK: &str = r#"{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}"#;

    #[test]
    fn keys_for_encryption_and_unknown_types_are_left_out() {
        let body = format!(
            r#"{{"keys":[{RSA_JWK},{{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}},{{"kty":"OKP","kid":"x"}},{{"kty":"RSA","kid":"broken"}}]}}"#
        );
        let set = KeySet::parse(body.as_bytes()).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(
            set.candidates(Some("k1"), SigningAlgorithm::RS256)
                .unwrap()
                .len(),
            1
        );
        assert!(
            set.candidates(Some("enc"), SigningAlgorithm::RS256)
                .unwrap()
                .is_empty()
        );
        assert!(set.candidates(Some("k1"), SigningAlgorithm::ES256).is_err());
        assert!(set.candidates(Some("k1"), SigningAlgorithm::RS384).is_err());
        assert_eq!(
            set.candidates(None, SigningAlgorithm::RS256).unwrap().len(),
            1
        );
    }

    #[test]
    fn malformed_key_sets_are_refused() {
        assert!(KeySet::parse(b"[]").is_err());
        assert!(KeySet::parse(b"<html>").is_err());
        assert!(KeySet::parse(br#"{"keys":{}}"#).is_err());
    }
}
