//! Building blocks for sibling crates (such as `auth0-api`, which protects APIs): JWS
//! signature checks that reuse this crate's discovery and process-wide key-set caches, and the
//! JWK helpers a DPoP proof needs.
//!
//! These functions check signatures and nothing else: no claim (issuer, audience, expiry, …)
//! is looked at. The caller applies the rules of the token it expects.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient, token: &str) -> auth0_auth::Result<()> {
//! use auth0_auth::SigningAlgorithm;
//!
//! let verified = client.verify_jws_signature(token, &[SigningAlgorithm::RS256]).await?;
//! println!("signed with {} by the tenant; sub = {:?}", verified.alg, verified.claims.get("sub"));
//! # Ok(()) }
//! ```
//!
//! Errors are [`ErrorKind::TokenValidation`] for a token that is malformed or not signed as
//! required, and the discovery or network kinds when the tenant's metadata or key set cannot be
//! fetched. No error message contains the token.
//!
//! This module may use the crate's `jwt`, `jwks` and `discovery` internals; it adds no state of
//! its own.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::jwks::{JwksCache, KeySet};
use crate::jwt::{SigningAlgorithm, UnverifiedJwt};

/// The operation label of the errors of this module (a dedicated code may replace it).
const CODE: ErrorCode = ErrorCode::IdTokenValidation;

/// JWK members that only private (or symmetric) keys have.
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A compact JWS whose signature checked out: its full protected header, its claims and the
/// algorithm it was verified with.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    /// The protected header, every member (`alg`, `typ`, `kid`, `crit`, `jwk`, …).
    pub header: Map<String, Value>,
    /// The payload, which must be a JSON object.
    pub claims: Map<String, Value>,
    /// The algorithm the signature was verified with (one of the allowed ones).
    pub alg: SigningAlgorithm,
    /// The `issuer` of the discovery document whose key set verified the signature (empty for
    /// [`verify_jws_with_jwk`], where the key came with the token).
    pub issuer: String,
}

/// A compact JWS decoded without any check of its signature: nothing in it can be trusted.
/// Use it to route a token (for example to pick the issuer whose keys verify it).
#[derive(Debug, Clone)]
pub struct UnverifiedJws {
    /// The protected header, as sent.
    pub header: Map<String, Value>,
    /// The payload, as sent.
    pub claims: Map<String, Value>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(CODE, ErrorKind::TokenValidation, message)
}

/// Splits and decodes `token` (header and payload must be JSON objects), checking nothing else.
pub fn decode_unverified(token: &str) -> Result<UnverifiedJws> {
    let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
    Ok(UnverifiedJws {
        header: full_header(token)?,
        claims: jwt.claims,
    })
}

/// Every member of the protected header (the crate's parser keeps only `alg`, `kid`, `typ`).
fn full_header(token: &str) -> Result<Map<String, Value>> {
    let encoded = token.trim().split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| invalid("the token header is not base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| invalid("the token header is not a JSON object with an \"alg\""))
}

impl AuthClient {
    /// Verifies the signature of `token` with a key of this client's tenant (found through the
    /// discovery document's `jwks_uri`, in the process-wide key-set cache, refetched once when
    /// the `kid` is unknown) under one of `allowed_algs`. Returns the header and claims; no
    /// claim is checked.
    pub async fn verify_jws_signature(
        &self,
        token: &str,
        allowed_algs: &[SigningAlgorithm],
    ) -> Result<VerifiedJws> {
        let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
        let alg = jwt.algorithm(allowed_algs).map_err(invalid)?;
        let header = full_header(token)?;
        let metadata = self.metadata(CODE).await?;
        JwksCache::shared()
            .verify(&self.inner.transport, &metadata, &jwt, alg, CODE)
            .await?;
        Ok(VerifiedJws {
            header,
            claims: jwt.claims,
            alg,
            issuer: metadata.issuer.clone(),
        })
    }
}

/// Whether `jwk` is a public key: an object with an RSA or EC `kty` and none of the private
/// members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`) nor a symmetric `k`.
pub fn is_public_jwk(jwk: &Value) -> bool {
    let Some(object) = jwk.as_object() else {
        return false;
    };
    matches!(
        object.get("kty").and_then(Value::as_str),
        Some("RSA" | "EC")
    ) && PRIVATE_JWK_MEMBERS.iter().all(|m| !object.contains_key(*m))
}

/// Verifies `token`'s signature with the public key `jwk` (as embedded in a DPoP proof's
/// header) under one of `allowed_algs`. The key must be public (see [`is_public_jwk`]) and fit
/// the algorithm. Returns the header and claims; no claim is checked.
pub fn verify_jws_with_jwk(
    token: &str,
    jwk: &Value,
    allowed_algs: &[SigningAlgorithm],
) -> Result<VerifiedJws> {
    let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
    let alg = jwt.algorithm(allowed_algs).map_err(invalid)?;
    if !is_public_jwk(jwk) {
        return Err(invalid("the key is not a public RSA or EC JSON Web Key"));
    }
    let body = serde_json::json!({ "keys": [jwk] }).to_string();
    let set = KeySet::parse(body.as_bytes()).map_err(invalid)?;
    let keys = set.candidates(None, alg).map_err(invalid)?;
    let Some(key) = keys.first() else {
        return Err(invalid("the key cannot be read as a signature key"));
    };
    jwt.verify_signature(key, alg).map_err(invalid)?;
    Ok(VerifiedJws {
        header: full_header(token)?,
        claims: jwt.claims,
        alg,
        issuer: String::new(),
    })
}

/// The RFC 7638 SHA-256 thumbprint of a public RSA or EC JWK, base64url without padding (the
/// value of a DPoP-bound token's `cnf.jkt`).
pub fn jwk_thumbprint(jwk: &Value) -> Result<String> {
    if !is_public_jwk(jwk) {
        return Err(invalid("the key is not a public RSA or EC JSON Web Key"));
    }
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone())
        .map_err(|_| invalid("the key cannot be read as a JSON Web Key"))?;
    parsed
        .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .map_err(|_| invalid("the key's thumbprint cannot be computed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DpopKey;

    #[test]
    fn proofs_verify_with_their_embedded_key_and_thumbprints_match() {
        let key = DpopKey::generate().unwrap();
        let proof = key
            .proof(
                &crate::DpopProofRequest::new(reqwest::Method::GET, "https://api.example.com/x")
                    .access_token("at".into()),
            )
            .unwrap();
        let decoded = decode_unverified(&proof).unwrap();
        let jwk = decoded.header["jwk"].clone();
        assert_eq!(jwk_thumbprint(&jwk).unwrap(), key.thumbprint());
        let verified = verify_jws_with_jwk(&proof, &jwk, &[SigningAlgorithm::ES256]).unwrap();
        assert_eq!(verified.header["typ"], "dpop+jwt");
        assert_eq!(verified.claims["htm"], "GET");
        // Another key, another algorithm list, and a changed payload are refused.
        let other = DpopKey::generate().unwrap();
        assert!(
            verify_jws_with_jwk(&proof, other.public_jwk(), &[SigningAlgorithm::ES256]).is_err()
        );
        assert!(verify_jws_with_jwk(&proof, &jwk, &[SigningAlgorithm::RS256]).is_err());
        let (head, rest) = proof.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged = format!(
            "{head}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(br#"{"htm":"POST"}"#)
        );
        assert!(verify_jws_with_jwk(&forged, &jwk, &[SigningAlgorithm::ES256]).is_err());
    }

    #[test]
    fn private_and_symmetric_keys_are_refused() {
        let key = DpopKey::generate().unwrap();
        let mut private = key.public_jwk().clone();
        private["d"] = "AAAA".into();
        assert!(!is_public_jwk(&private));
        assert!(jwk_thumbprint(&private).is_err());
        assert!(!is_public_jwk(
            &serde_json::json!({"kty": "oct", "k": "AAAA"})
        ));
        assert!(!is_public_jwk(&serde_json::json!("not an object")));
        assert!(is_public_jwk(key.public_jwk()));
    }

    #[test]
    fn the_full_header_is_kept() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"at+jwt","x":1}"#);
        let token = format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode(br#"{"a":1}"#));
        let decoded = decode_unverified(&token).unwrap();
        assert_eq!(decoded.header["typ"], "at+jwt");
        assert_eq!(decoded.header["x"], 1);
        assert_eq!(decoded.claims["a"], 1);
        assert!(decode_unverified("a.b").is_err());
        // A header naming extensions (`crit`) is refused even undecoded: nothing here
        // implements one (RFC 7515 section 4.1.11).
        let crit = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","crit":["exp"],"exp":1}"#);
        let token = format!("{crit}.{}.sig", URL_SAFE_NO_PAD.encode(br#"{"a":1}"#));
        assert!(decode_unverified(&token).is_err());
    }
}
