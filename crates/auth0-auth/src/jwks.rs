//! The tenant's signing keys (JWKS), cached process-wide per `jwks_uri`.
//!
//! A token whose `kid` is not in the cached set triggers one refetch (key rotation), but never
//! more than one per [`MIN_REFRESH_INTERVAL`] per key set, however many such tokens arrive.

use std::sync::{Arc, OnceLock};

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use jsonwebtoken::DecodingKeyKind;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::discovery::ServerMetadata;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::{Request, Transport};
use crate::jwt::{SignatureKey, SigningAlgorithm, UnverifiedJwt, verify_parsed};

/// The shortest time between two refetches of one key set caused by unknown `kid`s.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
/// How long a fetched key set is trusted without being asked for an unknown key.
const KEY_SET_TTL: Duration = Duration::from_secs(600);
/// How many key sets (tenants) are kept.
const MAX_KEY_SETS: u64 = 10_000;

/// One usable key of a key set.
pub(crate) struct Key {
    kid: Option<String>,
    alg: Option<String>,
    kty: &'static str,
    key: DecodingKey,
    /// The key parsed into an aws-lc key, per algorithm, on its first use with that algorithm:
    /// verifying then costs the signature check alone (no key building, no Montgomery setup).
    /// `None` when aws-lc refuses the key, which then fails verification as before.
    parsed: [OnceLock<Option<ParsedPublicKey>>; SigningAlgorithm::COUNT],
}

impl Key {
    fn new(kid: Option<String>, alg: Option<String>, kty: &'static str, key: DecodingKey) -> Self {
        Self {
            kid,
            alg,
            kty,
            key,
            parsed: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    fn parsed(&self, alg: SigningAlgorithm) -> Option<&ParsedPublicKey> {
        self.parsed[alg.index()]
            .get_or_init(|| match self.key.kind() {
                DecodingKeyKind::RsaModulusExponent { n, e } => {
                    let params = alg.rsa_verification()?;
                    RsaPublicKeyComponents { n, e }
                        .to_parsed_public_key(params)
                        .ok()
                }
                DecodingKeyKind::SecretOrDer(point) => {
                    ParsedPublicKey::new(alg.ecdsa_verification()?, point).ok()
                }
            })
            .as_ref()
    }
}

impl SignatureKey for Key {
    fn verifies(&self, signing_input: &[u8], signature: &str, alg: SigningAlgorithm) -> bool {
        match self.parsed(alg) {
            Some(key) => verify_parsed(key, signing_input, signature),
            None => self.key.verifies(signing_input, signature, alg),
        }
    }
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
            keys.push(Key::new(
                raw.get("kid").and_then(Value::as_str).map(String::from),
                raw.get("alg").and_then(Value::as_str).map(String::from),
                kty,
                key,
            ));
        }
        Ok(Self { keys })
    }

    /// The keys a token with this `kid` and `alg` may be verified with; `Ok(empty)` when the
    /// `kid` is unknown, `Err` when keys exist but none fits the algorithm.
    pub(crate) fn candidates(
        &self,
        kid: Option<&str>,
        alg: SigningAlgorithm,
    ) -> std::result::Result<Vec<&Key>, String> {
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
        let fitting: Vec<&Key> = named
            .into_iter()
            .filter(|k| k.kty == alg.key_type())
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg.as_str()))
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

    /// Verifies `jwt`'s signature under `alg` with a key from the tenant's `jwks_uri`.
    ///
    /// Key sets are cached under the `jwks_uri` text of the (cached) discovery document, so a
    /// cache hit neither parses nor allocates a URL; the URL is parsed and checked on a miss.
    pub(crate) async fn verify(
        &self,
        transport: &Transport,
        metadata: &ServerMetadata,
        jwt: &UnverifiedJwt<'_>,
        alg: SigningAlgorithm,
        code: ErrorCode,
    ) -> Result<()> {
        let invalid = |m: String| Error::new(code, ErrorKind::TokenValidation, m);
        let kid = jwt.header.kid.as_deref();
        let set = self.get(transport, metadata, code).await?;
        let mut keys = set.candidates(kid, alg).map_err(invalid)?;
        let refreshed;
        if keys.is_empty() {
            refreshed = self.refresh(transport, metadata, code).await?;
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

    async fn get(
        &self,
        transport: &Transport,
        metadata: &ServerMetadata,
        code: ErrorCode,
    ) -> Result<Arc<KeySet>> {
        // The hit path looks up by `&str`: no key string is allocated, no URL parsed.
        if let Some(key) = metadata.jwks_uri.as_deref()
            && let Some(set) = self.sets.get(key).await
        {
            return Ok(set);
        }
        let (key, uri) = jwks_location(metadata, code)?;
        self.sets
            .try_get_with(key, fetch(transport, &uri, code))
            .await
            .map_err(|e| (*e).clone())
    }

    /// Refetches a key set unless that happened less than [`MIN_REFRESH_INTERVAL`] ago;
    /// concurrent callers wait for one refetch.
    async fn refresh(
        &self,
        transport: &Transport,
        metadata: &ServerMetadata,
        code: ErrorCode,
    ) -> Result<Arc<KeySet>> {
        let (key, uri) = jwks_location(metadata, code)?;
        let gate = self
            .refreshes
            .get_with(key.clone(), async { Arc::new(Mutex::new(None)) })
            .await;
        let mut last = gate.lock().await;
        if last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL) {
            return self.get(transport, metadata, code).await;
        }
        *last = Some(Instant::now());
        let set = fetch(transport, &uri, code).await?;
        self.sets.insert(key, set.clone()).await;
        Ok(set)
    }
}

/// The cache key (the document's `jwks_uri` text) and the checked URL of a tenant's key set.
fn jwks_location(metadata: &ServerMetadata, code: ErrorCode) -> Result<(String, Url)> {
    let text = metadata.jwks_uri.as_ref();
    let uri = metadata.endpoint("jwks_uri", text, code)?;
    Ok((text.cloned().unwrap_or_default(), uri))
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

    /// An EC key pair on `curve` and its public JWK.
    fn ec_key(
        signing: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm,
        crv: &str,
    ) -> (aws_lc_rs::signature::EcdsaKeyPair, String) {
        use aws_lc_rs::signature::KeyPair;
        let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(signing).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let half = (point.len() - 1) / 2;
        let jwk = format!(
            r#"{{"kty":"EC","kid":"{crv}","crv":"{crv}","x":"{}","y":"{}"}}"#,
            crate::jwt::b64url(&point[1..=half]),
            crate::jwt::b64url(&point[half + 1..])
        );
        (pair, jwk)
    }

    fn signed(pair: &aws_lc_rs::signature::EcdsaKeyPair, alg: &str, kid: &str) -> String {
        let input = format!(
            "{}.{}",
            crate::jwt::b64url(format!(r#"{{"alg":"{alg}","kid":"{kid}"}}"#).as_bytes()),
            crate::jwt::b64url(br#"{"sub":"x"}"#)
        );
        let sig = pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", crate::jwt::b64url(sig.as_ref()))
    }

    #[test]
    fn parsed_keys_verify_good_signatures_and_refuse_bad_ones() {
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
        };
        let (p256, jwk256) = ec_key(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256");
        let (p384, jwk384) = ec_key(&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384");
        let set = KeySet::parse(format!(r#"{{"keys":[{jwk256},{jwk384}]}}"#).as_bytes()).unwrap();
        for (pair, alg, kid) in [
            (&p256, SigningAlgorithm::ES256, "P-256"),
            (&p384, SigningAlgorithm::ES384, "P-384"),
        ] {
            let token = signed(pair, alg.as_str(), kid);
            let jwt = UnverifiedJwt::parse(&token).unwrap();
            let keys = set.candidates(Some(kid), alg).unwrap();
            // Twice: the second check uses the key parsed by the first.
            for _ in 0..2 {
                assert!(jwt.verify_signature(&keys[0], alg).is_ok(), "{alg}");
            }
            // A changed payload, a changed signature and the other curve's key all fail.
            let (input, sig) = token.rsplit_once('.').unwrap();
            let tampered = format!("{input}x.{sig}");
            let jwt2 = UnverifiedJwt::parse(&tampered);
            if let Ok(jwt2) = jwt2 {
                assert!(jwt2.verify_signature(&keys[0], alg).is_err());
            }
            let mut bad_sig = sig.to_string();
            let first = if bad_sig.starts_with('A') { "B" } else { "A" };
            bad_sig.replace_range(0..1, first);
            let bad_token = format!("{input}.{bad_sig}");
            let jwt3 = UnverifiedJwt::parse(&bad_token).unwrap();
            assert!(jwt3.verify_signature(&keys[0], alg).is_err());
            let other = if kid == "P-256" { "P-384" } else { "P-256" };
            let other_key = set
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(other))
                .unwrap();
            assert!(jwt.verify_signature(other_key, alg).is_err());
            assert!(
                jwt.verify_signature(&keys[0], SigningAlgorithm::RS256)
                    .is_err()
            );
        }
    }
}
