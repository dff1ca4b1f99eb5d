//! DPoP (RFC 9449): proof-of-possession of a client key for the token endpoint, PAR and
//! `/userinfo`.
//!
//! - A request may carry one `DPoP` header: a JWT with header `typ: dpop+jwt`, `alg` ES256,
//!   ES384, RS256 or PS256 and `jwk` (the public key, no private members), and claims `jti`
//!   (never reused), `htm` (the request method), `htu` (the request URL without query and
//!   fragment, built on the issuer or on the loopback address), `iat` (within 60 seconds of
//!   now) and, when the tenant demands nonces, `nonce`. The signature is checked with the
//!   embedded key. Anything wrong is `400 invalid_dpop_proof`; a missing or stale nonce is
//!   `400 use_dpop_nonce` with a `DPoP-Nonce` header.
//! - With a valid proof, the token endpoint binds what it issues to the key: the access token
//!   gets `cnf: {"jkt": <RFC 7638 SHA-256 thumbprint>}` and `token_type` is `DPoP`; a refresh
//!   token is bound too, and later refreshes need a proof signed with the same key.
//! - Authorization codes can be bound to a key (RFC 9449 section 10): by a `dpop_jkt`
//!   parameter of `/authorize` or of a pushed request, or by the proof sent to PAR (a proof and
//!   a `dpop_jkt` that name different keys are `400 invalid_dpop_proof`). Redeeming a bound
//!   code needs a proof signed with that key; without one, or with another key, the answer is
//!   `400 invalid_dpop_proof` and the code stays redeemable by the key's holder (the check runs
//!   before client authentication, so a refusal must not let anyone spend a code).
//! - At `/userinfo` a bound token is only accepted as `Authorization: DPoP <token>` with a proof
//!   whose `ath` is the token's hash and whose key is the bound one; refusals are `401` with a
//!   `WWW-Authenticate: DPoP error="…", error_description="…", algs="…"` header.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::protocol::issue::TokenResponse;
use crate::protocol::params::Params;
use crate::tenant::dpop::IAT_WINDOW;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::{add_claims, verify_tenant_jwt};
use crate::tenant::keys::b64url;
use crate::tenant::state::{Shared, now_secs};

/// The request header carrying the proof.
const DPOP_HEADER: &str = "dpop";
/// The response header carrying the nonce to use.
const NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");
/// The proof algorithms accepted, as `algs` of a `WWW-Authenticate: DPoP` challenge.
pub(crate) const ALGS: &[&str] = &["ES256", "ES384", "RS256", "PS256"];
/// JWK members that only private (or symmetric) keys have.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/// The `error_description` of `use_dpop_nonce`.
const NONCE_DESCRIPTION: &str = "Authorization server requires nonce in DPoP proof";

/// A verified proof.
#[derive(Debug, Clone)]
pub(crate) struct Proof {
    /// The RFC 7638 SHA-256 thumbprint of its key.
    pub jkt: String,
}

/// What a proof must match.
struct Target<'a> {
    /// The request method.
    method: &'a str,
    /// The request path.
    path: &'a str,
    /// The access token sent with the request (its hash must be `ath`).
    access_token: Option<&'a str>,
    /// Whether the tenant's nonce rule applies.
    check_nonce: bool,
}

/// Why a proof was refused.
enum Failure {
    /// `invalid_dpop_proof`, with the reason.
    Invalid(String),
    /// `use_dpop_nonce`.
    UseNonce,
}

impl Failure {
    /// The token-endpoint (or PAR) answer: `400` JSON, with `DPoP-Nonce` when nonces are on.
    fn into_response(self, shared: &Shared) -> Box<Response> {
        let error = match self {
            Self::Invalid(why) => {
                OAuthError::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", why)
            }
            Self::UseNonce => {
                OAuthError::new(StatusCode::BAD_REQUEST, "use_dpop_nonce", NONCE_DESCRIPTION)
            }
        };
        let mut response = error.into_response();
        add_nonce(shared, response.headers_mut());
        Box::new(response)
    }
}

/// The `alg` of a proof header, if accepted.
fn algorithm(alg: &str) -> Option<Algorithm> {
    Some(match alg {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "RS256" => Algorithm::RS256,
        "PS256" => Algorithm::PS256,
        _ => return None,
    })
}

/// Checks the request's `DPoP` header against `target`; `None` when there is none.
fn verify(
    shared: &Shared,
    headers: &HeaderMap,
    target: &Target<'_>,
) -> Result<Option<Proof>, Failure> {
    let bad = |why: String| Failure::Invalid(why);
    let mut values = headers.get_all(DPOP_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad("Send exactly one DPoP header.".to_owned()));
    }
    let proof = value
        .to_str()
        .map_err(|_| bad("The DPoP header is not ASCII.".to_owned()))?
        .trim();

    // The header, read as JSON so that private key members are seen.
    let head: Map<String, Value> = proof
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("The DPoP proof is not a JWT.".to_owned()))?;
    let field = |name: &str| head.get(name).and_then(Value::as_str);
    match field("typ") {
        Some(typ) if typ.eq_ignore_ascii_case("dpop+jwt") => {}
        other => {
            return Err(bad(format!(
                "The DPoP proof's typ must be dpop+jwt, got {}.",
                other.unwrap_or("nothing")
            )));
        }
    }
    let alg_name = field("alg").unwrap_or_default();
    let alg = algorithm(alg_name).ok_or_else(|| {
        bad(format!(
            "The DPoP proof's alg {alg_name} is not accepted; use one of {}.",
            ALGS.join(", ")
        ))
    })?;
    let jwk_value = head
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("The DPoP proof header has no jwk (the public key).".to_owned()))?;
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk_value.contains_key(**m)) {
        return Err(bad(format!(
            "The DPoP proof's jwk must be a public key; it has the private member {member}."
        )));
    }
    let kty = jwk_value
        .get("kty")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let crv = jwk_value.get("crv").and_then(Value::as_str);
    let fits = match alg {
        Algorithm::ES256 => kty == "EC" && crv == Some("P-256"),
        Algorithm::ES384 => kty == "EC" && crv == Some("P-384"),
        _ => kty == "RSA",
    };
    if !fits {
        return Err(bad(format!(
            "The DPoP proof's jwk (kty {kty}{}) does not fit alg {alg_name}.",
            crv.map(|c| format!(", crv {c}")).unwrap_or_default()
        )));
    }
    let jwk: Jwk = serde_json::from_value(Value::Object(jwk_value.clone()))
        .map_err(|e| bad(format!("The DPoP proof's jwk is malformed ({e}).")))?;
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|e| bad(format!("The DPoP proof's jwk is not a usable key ({e}).")))?;
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|e| {
            bad(format!(
                "The DPoP proof's signature does not verify with its jwk ({e})."
            ))
        })?
        .claims;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);

    let jti = claim("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("The DPoP proof has no jti.".to_owned()))?;
    match claim("htm") {
        Some(htm) if htm == target.method => {}
        other => {
            return Err(bad(format!(
                "The DPoP proof's htm must be {}, got {}.",
                target.method,
                other.unwrap_or("nothing")
            )));
        }
    }
    let htu = claim("htu").ok_or_else(|| bad("The DPoP proof has no htu.".to_owned()))?;
    if !htu_matches(shared, headers, target.path, htu) {
        return Err(bad(format!(
            "The DPoP proof's htu must be the URL of this request without query and fragment \
             ({}), got {htu}.",
            shared.tenant.url(target.path)
        )));
    }
    let now = now_secs();
    let iat = claims
        .get("iat")
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .ok_or_else(|| bad("The DPoP proof has no numeric iat.".to_owned()))?;
    let now_signed = i64::try_from(now).unwrap_or(i64::MAX);
    if (iat - now_signed).abs() > IAT_WINDOW {
        return Err(bad(format!(
            "The DPoP proof's iat {iat} is more than {IAT_WINDOW} seconds away from the server \
             time {now}."
        )));
    }
    if let Some(token) = target.access_token {
        let expected = b64url(&Sha256::digest(token.as_bytes()));
        match claim("ath") {
            Some(ath) if ath == expected => {}
            Some(_) => {
                return Err(bad(
                    "The DPoP proof's ath is not the base64url SHA-256 hash of the access token."
                        .to_owned(),
                ));
            }
            None => {
                return Err(bad(
                    "The DPoP proof has no ath (the base64url SHA-256 hash of the access token)."
                        .to_owned(),
                ));
            }
        }
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| bad(format!("The DPoP proof's jwk has no thumbprint ({e}).")))?;

    let mut store = shared.store();
    let state = &mut store.device_dpop.dpop;
    if target.check_nonce
        && shared.tenant.device_dpop.dpop.nonce_required
        && claim("nonce") != Some(state.nonce().as_str())
    {
        return Err(Failure::UseNonce);
    }
    if !state.remember(jti, now) {
        return Err(bad(format!(
            "The DPoP proof's jti {jti} was already used (replayed proof)."
        )));
    }
    state.accepted += 1;
    Ok(Some(Proof { jkt }))
}

/// Whether `htu` names `path` on this tenant: under the issuer, on the loopback base URL or on
/// the `Host` the request was sent to (query and fragment ignored, URLs normalized).
fn htu_matches(shared: &Shared, headers: &HeaderMap, path: &str, htu: &str) -> bool {
    let strip = |text: &str| {
        Url::parse(text).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    let Some(htu) = strip(htu) else {
        return false;
    };
    let tenant = &shared.tenant;
    let mut candidates = vec![tenant.url(path), format!("{}{path}", tenant.base_url)];
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        candidates.push(format!("http://{host}{path}"));
    }
    candidates.iter().filter_map(|c| strip(c)).any(|c| c == htu)
}

/// Adds `DPoP-Nonce` to a response when the tenant demands nonces.
pub(crate) fn add_nonce(shared: &Shared, headers: &mut HeaderMap) {
    if !shared.tenant.device_dpop.dpop.nonce_required {
        return;
    }
    let nonce = shared.store().device_dpop.dpop.nonce();
    if let Ok(value) = HeaderValue::from_str(&nonce) {
        headers.insert(NONCE_HEADER, value);
    }
}

/// Checks the proof of a `POST` to `path` (PAR, token endpoint); `None` without one. The error
/// is the complete answer.
pub(crate) fn check_request(
    shared: &Shared,
    headers: &HeaderMap,
    path: &str,
) -> Result<Option<Proof>, Box<Response>> {
    let target = Target {
        method: "POST",
        path,
        access_token: None,
        check_nonce: true,
    };
    verify(shared, headers, &target).map_err(|f| f.into_response(shared))
}

/// Checks the proof of a token request. A refresh of a key-bound refresh token, and the
/// redemption of a key-bound authorization code (RFC 9449 section 10), also need a proof signed
/// with that key. The error is the complete answer.
pub(crate) fn check_token_request(
    shared: &Shared,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<Option<Proof>, Box<Response>> {
    let proof = check_request(shared, headers, path)?;
    let Ok(params) = Params::parse(headers, body) else {
        return Ok(proof);
    };
    let (held, bound) = match params.get("grant_type") {
        Some("refresh_token") => {
            let Some(token) = params.get("refresh_token") else {
                return Ok(proof);
            };
            let bound = shared
                .store()
                .device_dpop
                .dpop
                .bound_refresh
                .get(token)
                .cloned();
            (Held::RefreshToken, bound)
        }
        Some("authorization_code") => {
            let Some(code) = params.get("code") else {
                return Ok(proof);
            };
            // Only looked at: the grant spends the code once the client is authenticated.
            (Held::Code, shared.browser.code_dpop_jkt(code))
        }
        _ => return Ok(proof),
    };
    match binding_failure(held, bound.as_deref(), proof.as_ref()) {
        Some(why) => Err(Failure::Invalid(why.to_owned()).into_response(shared)),
        None => Ok(proof),
    }
}

/// What a token request presents that may be bound to a DPoP key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// A refresh token (bound when it was issued with a proof).
    RefreshToken,
    /// An authorization code (bound by `dpop_jkt` or a proof at PAR).
    Code,
}

/// Why a request presenting something bound to the key `bound` must be refused, given its
/// `proof`; `None` when it may go on (nothing bound, or a proof signed with that key).
fn binding_failure(held: Held, bound: Option<&str>, proof: Option<&Proof>) -> Option<&'static str> {
    let bound = bound?;
    match (held, proof) {
        (_, Some(p)) if p.jkt == bound => None,
        (Held::RefreshToken, None) => Some(
            "The refresh token is bound to a DPoP key: send a DPoP proof signed with that key.",
        ),
        (Held::RefreshToken, Some(_)) => Some(
            "The refresh token is bound to another DPoP key than the one that signed this proof.",
        ),
        (Held::Code, None) => Some(
            "The authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed \
             with that key.",
        ),
        (Held::Code, Some(_)) => Some(
            "The authorization code is bound to another DPoP key (dpop_jkt) than the one that \
             signed this proof.",
        ),
    }
}

/// Whether `value` can be a `dpop_jkt`: the base64url (unpadded) SHA-256 JWK thumbprint of
/// RFC 7638, that is 43 characters decoding to 32 bytes.
pub(crate) fn is_thumbprint(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && URL_SAFE_NO_PAD
            .decode(value)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// The key a pushed authorization request binds its code to (RFC 9449 section 10.1): the
/// proof's key, or the pushed `dpop_jkt` (already checked by [`is_thumbprint`]). A proof and a
/// `dpop_jkt` that name different keys are `400 invalid_dpop_proof`.
pub(crate) fn pushed_binding(
    proof: Option<&Proof>,
    dpop_jkt: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    match (proof, dpop_jkt) {
        (Some(p), Some(jkt)) if p.jkt != jkt => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            "The dpop_jkt parameter is not the thumbprint of the key that signed the DPoP proof.",
        )),
        (Some(p), _) => Ok(Some(p.jkt.clone())),
        (None, jkt) => Ok(jkt.map(str::to_owned)),
    }
}

/// Binds freshly minted tokens to the proof's key: `cnf.jkt` in the access token (when it is a
/// JWT of this tenant), `token_type: DPoP`, and the refresh token remembered as bound.
pub(crate) fn bind_tokens(
    shared: &Shared,
    proof: Option<&Proof>,
    mut tokens: TokenResponse,
) -> Result<TokenResponse, OAuthError> {
    let Some(proof) = proof else {
        return Ok(tokens);
    };
    let ours = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(&tokens.access_token)
        .ok()
        .is_some_and(|c| c.get("iss").and_then(Value::as_str) == Some(&shared.tenant.issuer));
    if ours {
        let mut extra = Map::new();
        extra.insert("cnf".to_owned(), json!({ "jkt": proof.jkt }));
        tokens.access_token = add_claims(shared, &tokens.access_token, &extra)?;
        "DPoP".clone_into(&mut tokens.token_type);
    }
    if let Some(refresh) = &tokens.refresh_token {
        shared
            .store()
            .device_dpop
            .dpop
            .bound_refresh
            .insert(refresh.clone(), proof.jkt.clone());
    }
    Ok(tokens)
}

/// A `401` for `/userinfo` with a `WWW-Authenticate: DPoP` challenge.
fn challenge(error: &str, description: &str) -> Box<Response> {
    let description = description.replace(['"', '\\'], "'");
    let algs = ALGS.join(" ");
    let value = HeaderValue::from_str(&format!(
        r#"DPoP error="{error}", error_description="{description}", algs="{algs}""#
    ))
    .or_else(|_| HeaderValue::from_str(&format!(r#"DPoP error="{error}", algs="{algs}""#)))
    .unwrap_or_else(|_| HeaderValue::from_static("DPoP"));
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    let headers = response.headers_mut();
    headers.insert(header::WWW_AUTHENTICATE, value);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Box::new(response)
}

/// The `cnf.jkt` of an access token this tenant signed, if it is valid and bound.
fn bound_key(shared: &Shared, token: &str) -> Result<Option<String>, ()> {
    let claims = verify_tenant_jwt(shared, token).ok_or(())?;
    Ok(claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// Applies DPoP to a `/userinfo` request. A bound token sent as `Bearer` is refused; a token
/// sent as `DPoP` must be bound to the key of a valid proof, and is then handed on as a
/// `Bearer` token (so the headers returned are what `/userinfo` reads). Anything else passes
/// through unchanged.
pub(crate) fn userinfo_headers(
    shared: &Shared,
    method: &Method,
    path: &str,
    mut headers: HeaderMap,
) -> Result<HeaderMap, Box<Response>> {
    let Some((scheme, token)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|text| text.trim().split_once(' '))
        .map(|(scheme, token)| (scheme.to_owned(), token.trim().to_owned()))
    else {
        return Ok(headers);
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        if let Ok(Some(_)) = bound_key(shared, &token) {
            return Err(challenge(
                "invalid_token",
                "This access token is DPoP-bound: send it as Authorization: DPoP <token> with a \
                 DPoP proof.",
            ));
        }
        return Ok(headers);
    }
    if !scheme.eq_ignore_ascii_case("dpop") {
        return Ok(headers);
    }
    if token.is_empty() {
        return Err(challenge("invalid_token", "Missing access token"));
    }
    let jkt = match bound_key(shared, &token) {
        Err(()) => {
            return Err(challenge(
                "invalid_token",
                "Invalid access token: not a token this tenant signed, or it has expired",
            ));
        }
        Ok(None) => {
            return Err(challenge(
                "invalid_token",
                "The access token is not DPoP-bound; send it with the Bearer scheme",
            ));
        }
        Ok(Some(jkt)) => jkt,
    };
    let target = Target {
        method: method.as_str(),
        path,
        access_token: Some(&token),
        check_nonce: false,
    };
    let proof = match verify(shared, &headers, &target) {
        Ok(Some(proof)) => proof,
        Ok(None) => {
            return Err(challenge(
                "invalid_dpop_proof",
                "A DPoP proof (DPoP header) is required with the DPoP scheme",
            ));
        }
        Err(Failure::Invalid(why)) => return Err(challenge("invalid_dpop_proof", &why)),
        Err(Failure::UseNonce) => return Err(challenge("use_dpop_nonce", NONCE_DESCRIPTION)),
    };
    if proof.jkt != jkt {
        return Err(challenge(
            "invalid_token",
            "Invalid DPoP key binding: the proof's key is not the key the access token is bound \
             to",
        ));
    }
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| challenge("invalid_token", "Malformed Authorization header"))?;
    headers.insert(header::AUTHORIZATION, bearer);
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof(jkt: &str) -> Proof {
        Proof {
            jkt: jkt.to_owned(),
        }
    }

    /// The SHA-256 thumbprint of the RSA key of RFC 7638 section 3.1.
    const RFC_7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    #[test]
    fn thumbprints_are_43_base64url_characters_of_32_bytes() {
        assert!(is_thumbprint(RFC_7638_THUMBPRINT));
        let made = b64url(&Sha256::digest(b"any key"));
        assert!(is_thumbprint(&made), "{made}");
        for bad in [
            "",
            &RFC_7638_THUMBPRINT[..42],
            &format!("{RFC_7638_THUMBPRINT}A"),
            // Standard base64, padded, or with characters outside base64url.
            "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs",
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X=",
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X.",
            // The right length, but its last character carries bits beyond 32 bytes.
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xt",
        ] {
            assert!(!is_thumbprint(bad), "{bad}");
        }
    }

    #[test]
    fn bound_codes_and_refresh_tokens_need_the_bound_key() {
        let (mine, other) = (proof("k1"), proof("k2"));
        for held in [Held::Code, Held::RefreshToken] {
            // Nothing bound: anything goes, as before.
            assert_eq!(binding_failure(held, None, None), None);
            assert_eq!(binding_failure(held, None, Some(&mine)), None);
            // Bound: only a proof with that key.
            assert_eq!(binding_failure(held, Some("k1"), Some(&mine)), None);
            let missing = binding_failure(held, Some("k1"), None).unwrap();
            let wrong = binding_failure(held, Some("k1"), Some(&other)).unwrap();
            assert!(missing.contains("send a DPoP proof"), "{missing}");
            assert!(wrong.contains("another DPoP key"), "{wrong}");
        }
        let code = binding_failure(Held::Code, Some("k1"), None).unwrap();
        assert!(code.contains("authorization code") && code.contains("dpop_jkt"));
        let refresh = binding_failure(Held::RefreshToken, Some("k1"), None).unwrap();
        assert!(refresh.starts_with("The refresh token"));
    }

    #[test]
    fn pushed_requests_bind_to_the_proof_or_the_dpop_jkt() {
        let (mine, jkt) = (proof(RFC_7638_THUMBPRINT), RFC_7638_THUMBPRINT);
        assert_eq!(pushed_binding(None, None).unwrap(), None);
        assert_eq!(
            pushed_binding(None, Some(jkt)).unwrap().as_deref(),
            Some(jkt)
        );
        assert_eq!(
            pushed_binding(Some(&mine), None).unwrap().as_deref(),
            Some(jkt)
        );
        assert_eq!(
            pushed_binding(Some(&mine), Some(jkt)).unwrap().as_deref(),
            Some(jkt)
        );
        let other = b64url(&Sha256::digest(b"another key"));
        let refused = pushed_binding(Some(&mine), Some(&other)).unwrap_err();
        assert_eq!(refused.error, "invalid_dpop_proof");
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn only_asymmetric_algorithms() {
        for alg in ALGS {
            assert!(algorithm(alg).is_some());
        }
        for alg in ["HS256", "none", "EdDSA", ""] {
            assert!(algorithm(alg).is_none());
        }
    }
}
