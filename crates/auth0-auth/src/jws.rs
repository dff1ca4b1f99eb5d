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
use crate::jwt::{SignatureKey, SigningAlgorithm, UnverifiedJwt};

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

/// Splits and decodes `token` (header and payload must be JSON objects). The signature is not
/// checked; a header naming extensions (`crit`) is refused, as everywhere in this crate, since
/// nothing here implements one (RFC 7515 section 4.1.11).
pub fn decode_unverified(token: &str) -> Result<UnverifiedJws> {
    let claims = decode_claims(token)?;
    let header = full_header(token)?;
    if header.contains_key("crit") {
        return Err(invalid(
            "the token header has a \"crit\" member, naming extensions this verifier does not \
             implement",
        ));
    }
    Ok(UnverifiedJws { header, claims })
}

/// Every member of the protected header (the crate's parser keeps only `alg`, `kid`, `typ`).
fn full_header(token: &str) -> Result<Map<String, Value>> {
    let encoded = header_segment(token);
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| invalid("the token header is not base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| invalid("the token header is not a JSON object with an \"alg\""))
}

/// What [`AuthClient::verify_jws_claims`] returns: a compact JWS whose signature checked out,
/// with its claims and the one header member a token check reads besides `alg` (the header is
/// decoded once; a header with `crit` is refused before any key is looked at).
#[derive(Debug, Clone)]
pub struct VerifiedClaims {
    /// The `typ` header member, as sent (`None` when absent).
    pub typ: Option<Value>,
    /// The payload, which must be a JSON object.
    pub claims: Map<String, Value>,
    /// The algorithm the signature was verified with (one of the allowed ones).
    pub alg: SigningAlgorithm,
    /// The `issuer` of the discovery document whose key set verified the signature.
    pub issuer: String,
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
        let verified = self.verify_jws_claims(token, allowed_algs).await?;
        Ok(VerifiedJws {
            header: full_header(token)?,
            claims: verified.claims,
            alg: verified.alg,
            issuer: verified.issuer,
        })
    }

    /// [`verify_jws_signature`](Self::verify_jws_signature) for the hot path of a verifier
    /// that reads no header member but `typ`: the same checks, with the header decoded once
    /// instead of being kept whole.
    pub async fn verify_jws_claims(
        &self,
        token: &str,
        allowed_algs: &[SigningAlgorithm],
    ) -> Result<VerifiedClaims> {
        let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
        let alg = jwt.algorithm(allowed_algs).map_err(invalid)?;
        let metadata = self.metadata(CODE).await?;
        JwksCache::shared()
            .verify(&self.inner.transport, &metadata, &jwt, alg, CODE)
            .await?;
        Ok(VerifiedClaims {
            typ: jwt.header.typ,
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

/// The public key a token carries in its own protected header (a DPoP proof's `jwk`), read once
/// for the algorithm that header names, with its RFC 7638 thumbprint.
///
/// Reading a key costs far more than checking a signature with it. A client signs every proof
/// with the same key and the same header, so a verifier can keep the `EmbeddedJwk` of a header
/// (the value is tied to the exact header text it was read from) and check each later token
/// that carries that very header with [`verify_signature`](Self::verify_signature): the header is
/// then neither decoded nor checked again, the key not parsed again.
///
/// ```
/// # fn demo(proof: &str) -> auth0_auth::Result<()> {
/// use auth0_auth::SigningAlgorithm;
/// use auth0_auth::jws::{EmbeddedJwk, decode_claims};
///
/// let key = EmbeddedJwk::read(proof, &[SigningAlgorithm::ES256])?;
/// key.verify_signature(proof)?; // also for later proofs whose header is key.header_segment()
/// let claims = decode_claims(proof)?;
/// println!("{} signed {:?}", key.thumbprint(), claims.get("htm"));
/// # Ok(()) }
/// ```
pub struct EmbeddedJwk {
    /// The base64url header segment the key was read from, as sent.
    segment: String,
    header: Map<String, Value>,
    alg: SigningAlgorithm,
    /// Exactly one usable key (aws-lc parses it on the first check and keeps it).
    keys: KeySet,
    thumbprint: String,
}

impl std::fmt::Debug for EmbeddedJwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedJwk")
            .field("alg", &self.alg)
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl EmbeddedJwk {
    /// Reads the protected header of `token` (a compact JWS whose header and payload are JSON
    /// objects): its `alg` must be one of `allowed_algs` and its `jwk` a public key (see
    /// [`is_public_jwk`]) that fits that algorithm. The signature is not checked here.
    pub fn read(token: &str, allowed_algs: &[SigningAlgorithm]) -> Result<Self> {
        let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
        let alg = jwt.algorithm(allowed_algs).map_err(invalid)?;
        let header = full_header(token)?;
        let Some(jwk) = header.get("jwk") else {
            return Err(invalid("the token header has no \"jwk\""));
        };
        if !is_public_jwk(jwk) {
            return Err(invalid("the key is not a public RSA or EC JSON Web Key"));
        }
        let body = serde_json::json!({ "keys": [jwk] }).to_string();
        let keys = KeySet::parse(body.as_bytes()).map_err(invalid)?;
        let usable = keys.candidates(None, alg).map_err(invalid)?;
        if usable.len() != 1 {
            return Err(invalid("the key cannot be read as a signature key"));
        }
        let thumbprint = jwk_thumbprint(jwk)?;
        Ok(Self {
            segment: header_segment(token).to_string(),
            header,
            alg,
            keys,
            thumbprint,
        })
    }

    /// The base64url protected-header segment this key was read from (a cache key for it).
    pub fn header_segment(&self) -> &str {
        &self.segment
    }

    /// The protected header, every member.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The algorithm the header names (one of the allowed ones).
    pub fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    /// The RFC 7638 SHA-256 thumbprint of the key, base64url without padding.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Checks that `token` is a compact JWS whose protected header is byte for byte the one
    /// this key was read from, signed by this key under [`alg`](Self::alg). The payload is
    /// not decoded (see [`decode_claims`]).
    pub fn verify_signature(&self, token: &str) -> Result<()> {
        let token = token.trim();
        let Some((signing_input, signature)) = token.rsplit_once('.') else {
            return Err(invalid("the token is not a compact JWS"));
        };
        match signing_input.split_once('.') {
            Some((head, payload)) if head == self.segment && !payload.contains('.') => {}
            Some(_) => {
                return Err(invalid(
                    "the token's header is not the one the key was read from",
                ));
            }
            None => return Err(invalid("the token is not a compact JWS")),
        }
        let key = self
            .keys
            .candidates(None, self.alg)
            .ok()
            .and_then(|keys| keys.into_iter().next())
            .ok_or_else(|| invalid("the key cannot be read as a signature key"))?;
        if key.verifies(signing_input.as_bytes(), signature, self.alg) {
            Ok(())
        } else {
            Err(invalid("the token signature is invalid"))
        }
    }
}

/// The base64url header segment of a compact JWS (the text before the first dot).
fn header_segment(token: &str) -> &str {
    token.trim().split('.').next().unwrap_or_default()
}

/// Decodes the payload of a compact JWS (three dot-separated parts), which must be a JSON
/// object. Nothing is checked: call it after the signature checked out.
pub fn decode_claims(token: &str) -> Result<Map<String, Value>> {
    let mut parts = token.trim().split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(
            "the token is not a compact JWS (three dot-separated parts)",
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| invalid("the token payload is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid("the token payload is not a JSON object"))
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
    fn an_embedded_key_is_read_once_and_verifies_every_token_with_its_header() {
        let key = DpopKey::generate().unwrap();
        let request = |method| {
            crate::DpopProofRequest::new(method, "https://api.example.com/x")
                .access_token("at".into())
        };
        let first = key.proof(&request(reqwest::Method::GET)).unwrap();
        let second = key.proof(&request(reqwest::Method::POST)).unwrap();
        let read = EmbeddedJwk::read(&first, &[SigningAlgorithm::ES256]).unwrap();
        assert_eq!(read.thumbprint(), key.thumbprint());
        assert_eq!(read.alg(), SigningAlgorithm::ES256);
        assert_eq!(read.header()["typ"], "dpop+jwt");
        assert_eq!(read.header_segment(), first.split('.').next().unwrap());
        assert!(!format!("{read:?}").contains(read.header_segment()));
        // The key read from the first proof verifies the second (same header, new payload).
        read.verify_signature(&first).unwrap();
        read.verify_signature(&second).unwrap();
        assert_eq!(decode_claims(&second).unwrap()["htm"], "POST");
        // A changed payload, a changed signature, another key's proof, extra or missing parts.
        let (head, rest) = second.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged = format!(
            "{head}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(br#"{"htm":"PUT"}"#)
        );
        assert!(read.verify_signature(&forged).is_err());
        let other = DpopKey::generate().unwrap();
        let foreign = other.proof(&request(reqwest::Method::GET)).unwrap();
        assert!(read.verify_signature(&foreign).is_err());
        assert!(read.verify_signature(&format!("{second}.x")).is_err());
        assert!(read.verify_signature(head).is_err());
        assert!(read.verify_signature(&format!("{head}.{sig}")).is_err());
        // The algorithm must be allowed; the key must be public and there.
        assert!(EmbeddedJwk::read(&first, &[SigningAlgorithm::RS256]).is_err());
        let payload = URL_SAFE_NO_PAD.encode(br#"{"a":1}"#);
        let mut private = key.public_jwk().clone();
        private["d"] = "AAAA".into();
        for header in [
            serde_json::json!({"alg": "ES256", "typ": "dpop+jwt", "jwk": private}),
            serde_json::json!({"alg": "ES256", "typ": "dpop+jwt"}),
            serde_json::json!({"alg": "ES256", "jwk": {"kty": "oct", "k": "AAAA"}}),
            serde_json::json!({"alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256"}}),
        ] {
            let encoded = URL_SAFE_NO_PAD.encode(header.to_string());
            let token = format!("{encoded}.{payload}.{sig}");
            assert!(
                EmbeddedJwk::read(&token, &[SigningAlgorithm::ES256]).is_err(),
                "{header}"
            );
        }
        // A signed payload that is not a JSON object is not decoded.
        assert!(decode_claims(&format!("{head}.{}.{sig}", URL_SAFE_NO_PAD.encode("[1]"))).is_err());
        assert!(decode_claims(&format!("{head}.!!.{sig}")).is_err());
        assert!(decode_claims("a.b").is_err());
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
