//! DPoP proofs at a resource server (RFC 9449 §4.3 and §7.1): the proof's type, algorithm,
//! public key and signature, `htm`/`htu` against the request (with the URL normalisation of
//! `auth0-api-js`), `iat` within the window, `ath`, the binding of the token's `cnf.jkt` to the
//! proof's key, the optional server nonce, and `jti` replay refused through a bounded cache.
//! The key a proof header carries is read once and kept by the exact header text (a second
//! bounded cache), so later proofs of the same client go straight to their signature.
//!
//! Imports `error.rs` and the JWS building blocks of `auth0_auth::jws`; no HTTP.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth0_auth::SigningAlgorithm;
use auth0_auth::jws;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{ApiError, ApiErrorCode};

/// The longest proof header whose key is kept in the key cache (an RSA-4096 key's header is
/// about 1,100 characters; longer headers are read every time).
const MAX_CACHED_HEADER_LEN: usize = 4096;
/// The memory the proof-key cache may use, in bytes (weighed as three times each header's
/// length: the cache key, the copy the key keeps, and the decoded header).
const PROOF_KEY_CACHE_BYTES: u64 = 4 << 20;
/// How long an unused proof key stays in the cache.
const PROOF_KEY_IDLE: Duration = Duration::from_secs(600);

/// The longest `jti` accepted (a proof's id is random text; this bounds the cache's memory).
const MAX_JTI_LEN: usize = 512;

/// Server-provided DPoP nonces (RFC 9449 §9). Give one to
/// [`ApiClientBuilder::dpop_nonces`](crate::ApiClientBuilder::dpop_nonces) to make every proof
/// carry a nonce the API handed out; a proof without one, or with one [`is_valid`](Self::is_valid)
/// refuses, is answered with `401 use_dpop_nonce` and a fresh nonce from
/// [`issue`](Self::issue) for the `DPoP-Nonce` header.
pub trait DpopNonces: Send + Sync + 'static {
    /// A nonce to send in a `DPoP-Nonce` header.
    fn issue(&self) -> String;
    /// Whether a proof's nonce is currently acceptable.
    fn is_valid(&self, nonce: &str) -> bool;
}

/// The DPoP settings of an [`ApiClient`](crate::ApiClient).
#[derive(Clone)]
pub(crate) struct DpopSettings {
    pub algs: Vec<SigningAlgorithm>,
    /// `algs` joined with spaces, for challenges.
    pub algs_text: String,
    pub iat_offset: Duration,
    pub iat_leeway: Duration,
    pub nonces: Option<Arc<dyn DpopNonces>>,
    pub replay: moka::future::Cache<[u8; 32], ()>,
    /// Proof keys read before, by the exact header segment they came in (clients sign every
    /// proof with one key and one header): a hit skips decoding the header, checking it,
    /// parsing the key and computing its thumbprint. Only keys that verified a proof are kept.
    pub proof_keys: moka::future::Cache<String, Arc<jws::EmbeddedJwk>>,
}

impl fmt::Debug for DpopSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopSettings")
            .field("algs", &self.algs_text)
            .field("iat_offset", &self.iat_offset)
            .field("iat_leeway", &self.iat_leeway)
            .field("nonces", &self.nonces.is_some())
            .finish_non_exhaustive()
    }
}

impl DpopSettings {
    pub(crate) fn new(
        algs: Vec<SigningAlgorithm>,
        iat_offset: Duration,
        iat_leeway: Duration,
        nonces: Option<Arc<dyn DpopNonces>>,
        replay_capacity: u64,
    ) -> Self {
        let algs_text = algs
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        // A proof is accepted for at most `iat_offset + iat_leeway` after it was made; its jti
        // is remembered a little longer than that.
        let window = iat_offset + iat_leeway + Duration::from_secs(5);
        Self {
            algs,
            algs_text,
            iat_offset,
            iat_leeway,
            nonces,
            replay: moka::future::Cache::builder()
                .max_capacity(replay_capacity)
                .time_to_live(window)
                .build(),
            proof_keys: moka::future::Cache::builder()
                .max_capacity(PROOF_KEY_CACHE_BYTES)
                .weigher(|segment: &String, _| {
                    u32::try_from(segment.len().saturating_mul(3)).unwrap_or(u32::MAX)
                })
                .time_to_idle(PROOF_KEY_IDLE)
                .build(),
        }
    }
}

/// The request a proof must match and the token it must be bound to.
pub(crate) struct ProofContext<'a> {
    pub proof: &'a str,
    pub access_token: &'a str,
    pub method: &'a str,
    pub url: &'a str,
    pub cnf_jkt: &'a str,
    /// Seconds since the epoch.
    pub now: f64,
}

fn bad_proof(message: impl Into<String>) -> ApiError {
    ApiError::new(ApiErrorCode::InvalidDpopProof, message)
}

/// Verifies a DPoP proof against the request and the token, then records its `jti`.
pub(crate) async fn verify_proof(
    settings: &DpopSettings,
    ctx: &ProofContext<'_>,
) -> Result<(), ApiError> {
    if ctx.proof.contains(',') {
        return Err(bad_proof("more than one DPoP proof was sent"));
    }
    let request_url = normalize_url(ctx.url, Source::Request)?;
    let segment = ctx.proof.trim().split('.').next().unwrap_or_default();
    let (key, known) = match settings.proof_keys.get(segment).await {
        Some(key) => (key, true),
        None => (Arc::new(read_proof_key(settings, ctx.proof)?), false),
    };
    key.verify_signature(ctx.proof).map_err(|_| {
        bad_proof("the DPoP proof is not signed by its key with an allowed algorithm")
    })?;
    let claims = jws::decode_claims(ctx.proof)
        .map_err(|_| bad_proof("the DPoP proof is not a well-formed JWT"))?;
    if !known && segment.len() <= MAX_CACHED_HEADER_LEN {
        // Only keys that verified a signature take room in the cache.
        settings
            .proof_keys
            .insert(segment.to_string(), key.clone())
            .await;
    }
    let claims = &claims;
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| bad_proof("the DPoP proof \"jti\" is missing or not a short string"))?;
    let iat = claims
        .get("iat")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad_proof("the DPoP proof \"iat\" is not a number"))?;
    let offset = settings.iat_offset.as_secs_f64();
    let leeway = settings.iat_leeway.as_secs_f64();
    if iat < ctx.now - offset || iat > ctx.now + leeway {
        return Err(bad_proof(
            "the DPoP proof \"iat\" is outside the acceptable range",
        ));
    }
    let htm = claims
        .get("htm")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_proof("the DPoP proof \"htm\" is not a string"))?;
    if !htm.eq_ignore_ascii_case(ctx.method) {
        return Err(bad_proof(
            "the DPoP proof \"htm\" does not match the request method",
        ));
    }
    let htu = claims
        .get("htu")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_proof("the DPoP proof \"htu\" is not a string"))?;
    if normalize_url(htu, Source::Proof)? != request_url {
        return Err(bad_proof(
            "the DPoP proof \"htu\" does not match the request URL",
        ));
    }
    let ath = claims
        .get("ath")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_proof("the DPoP proof \"ath\" is not a string"))?;
    if ath != access_token_hash(ctx.access_token) {
        return Err(bad_proof(
            "the DPoP proof \"ath\" does not match the access token",
        ));
    }
    if let Some(nonces) = &settings.nonces {
        let fresh = claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|n| nonces.is_valid(n));
        if !fresh {
            return Err(ApiError::new(
                ApiErrorCode::UseDpopNonce,
                "the DPoP proof must carry the nonce the resource server provided",
            )
            .with_nonce(nonces.issue()));
        }
    }
    let thumbprint = key.thumbprint();
    if thumbprint != ctx.cnf_jkt {
        return Err(ApiError::new(
            ApiErrorCode::InvalidToken,
            "the access token is bound to another key than the DPoP proof's (cnf.jkt)",
        ));
    }
    // Last, so only proofs that passed everything take room in the cache.
    let mut key = Sha256::new();
    key.update(thumbprint.as_bytes());
    key.update([0]);
    key.update(jti.as_bytes());
    let entry = settings
        .replay
        .entry(key.finalize().into())
        .or_insert(())
        .await;
    if !entry.is_fresh() {
        return Err(bad_proof(
            "the DPoP proof was already used (\"jti\" replayed)",
        ));
    }
    Ok(())
}

/// Reads a proof's header and key (on a cache miss): the type, no `crit`, a public `jwk`, an
/// allowed algorithm the key fits. The signature is checked by the caller.
fn read_proof_key(settings: &DpopSettings, proof: &str) -> Result<jws::EmbeddedJwk, ApiError> {
    let unverified = jws::decode_unverified(proof)
        .map_err(|_| bad_proof("the DPoP proof is not a well-formed JWT"))?;
    let header = &unverified.header;
    match header.get("typ").and_then(Value::as_str) {
        Some(t)
            if t.eq_ignore_ascii_case("dpop+jwt")
                || t.eq_ignore_ascii_case("application/dpop+jwt") => {}
        _ => return Err(bad_proof("the DPoP proof \"typ\" is not dpop+jwt")),
    }
    if header.contains_key("crit") {
        return Err(bad_proof("the DPoP proof lists critical header extensions"));
    }
    let Some(jwk) = header.get("jwk").filter(|j| j.is_object()) else {
        return Err(bad_proof("the DPoP proof header has no \"jwk\""));
    };
    if !jws::is_public_jwk(jwk) {
        return Err(bad_proof("the DPoP proof \"jwk\" is not a public key"));
    }
    jws::EmbeddedJwk::read(proof, &settings.algs)
        .map_err(|_| bad_proof("the DPoP proof is not signed by its key with an allowed algorithm"))
}

/// base64url(SHA-256(token)): a proof's `ath` (RFC 9449 §4.2).
pub fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Source {
    /// The URL the API was called at: a bad one is the caller's `invalid_request`.
    Request,
    /// A proof's `htu`: a bad one is `invalid_dpop_proof`.
    Proof,
}

/// Normalises a URL for the `htu` comparison as `auth0-api-js` does: parsed as a WHATWG URL
/// (lower-case scheme and host, default port dropped), only `http`/`https`, a plain host (name,
/// IPv4 or bracketed IPv6, optional port), query and fragment removed, percent-encodings of
/// unreserved characters decoded and the others upper-cased; the result is origin + path. A
/// request URL whose path starts with `/scheme://` is refused.
pub(crate) fn normalize_url(input: &str, source: Source) -> Result<String, ApiError> {
    let fail = |what: &str| match source {
        Source::Request => ApiError::new(
            ApiErrorCode::InvalidRequest,
            format!("the request URL {what}"),
        ),
        Source::Proof => bad_proof(format!("the DPoP proof \"htu\" {what}")),
    };
    let url = Url::parse(input).map_err(|_| fail("is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fail("is not an http or https URL"));
    }
    let host = url.host_str().unwrap_or_default();
    if !host_is_plain(host) {
        return Err(fail("has a host with illegal characters or format"));
    }
    if source == Source::Request && path_looks_like_url(url.path()) {
        return Err(fail("has a path that starts like a URL"));
    }
    let origin = url.origin().ascii_serialization();
    Ok(format!(
        "{origin}{}",
        normalize_percent_encodings(url.path())
    ))
}

/// A host name of letters, digits, dots and hyphens, or a bracketed IPv6 address.
fn host_is_plain(host: &str) -> bool {
    if host.is_empty() {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Whether a path starts with `/scheme://`.
fn path_looks_like_url(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let Some((scheme, _)) = rest.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

/// Decodes `%XX` of unreserved characters (RFC 3986 §2.3) and upper-cases the other escapes.
fn normalize_percent_encodings(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            let byte = hi * 16 + lo;
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push(char::from(bytes[i + 1]).to_ascii_uppercase());
                out.push(char::from(bytes[i + 2]).to_ascii_uppercase());
            }
            i += 3;
            continue;
        }
        // The url crate leaves a path ASCII, so bytes are characters.
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(u: &str) -> String {
        normalize_url(u, Source::Request).unwrap()
    }

    #[test]
    fn urls_are_normalised_like_the_reference() {
        assert_eq!(
            norm("HTTPS://API.Example.COM:443/a/b?x=1#f"),
            "https://api.example.com/a/b"
        );
        assert_eq!(
            norm("http://api.example.com:80/"),
            "http://api.example.com/"
        );
        assert_eq!(
            norm("https://api.example.com:8443/x"),
            "https://api.example.com:8443/x"
        );
        assert_eq!(norm("https://api.example.com"), "https://api.example.com/");
        assert_eq!(
            norm("https://a.example/%7euser/%2f%41"),
            "https://a.example/~user/%2FA"
        );
        assert_eq!(norm("http://[::1]:3000/p"), "http://[::1]:3000/p");
        assert_eq!(norm("http://127.0.0.1:3000/p"), "http://127.0.0.1:3000/p");
        assert_eq!(norm("https://a.example/%zz"), "https://a.example/%zz");
    }

    #[test]
    fn bad_urls_are_refused_with_the_side_they_came_from() {
        for bad in [
            "not a url",
            "ftp://a.example/x",
            "https://a_b.example/",
            "mailto:x@y",
        ] {
            let e = normalize_url(bad, Source::Request).unwrap_err();
            assert_eq!(e.code(), ApiErrorCode::InvalidRequest, "{bad}");
            let e = normalize_url(bad, Source::Proof).unwrap_err();
            assert_eq!(e.code(), ApiErrorCode::InvalidDpopProof, "{bad}");
        }
        let e =
            normalize_url("https://a.example/https://evil.example/", Source::Request).unwrap_err();
        assert_eq!(e.code(), ApiErrorCode::InvalidRequest);
        assert!(normalize_url("https://a.example/https://evil.example/", Source::Proof).is_ok());
    }

    #[test]
    fn ath_is_the_base64url_sha256_of_the_token() {
        // RFC 9449 §7.1's example token and ath.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
