//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`; hidden, not part of
//! the API, no stability promise).
//!
//! Each function runs one of the SDK's parsers or validators over untrusted input exactly as
//! the SDK does (the same internal functions, in the same order) and reports what it decided.
//! None of them may panic, whatever the input.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Map, Value};
use url::Url;

use crate::discovery::{ServerMetadata, check_issuer};
use crate::error::ErrorCode;
use crate::http::Response;
use crate::id_token::{ClaimRules, check_claims, check_organization};
use crate::jwks::KeySet;
use crate::jwt::{SigningAlgorithm, UnverifiedJwt, b64url};
use crate::logout::check_logout_claims;

/// The issuer the fuzzed tokens are checked against.
pub const ISSUER: &str = "https://tenant.example.com/";
/// The client id the fuzzed tokens are checked against.
pub const CLIENT_ID: &str = "fuzz-client";
/// The client secret that keys HS256 in [`id_token`]; no error may ever contain it.
pub const CLIENT_SECRET: &str = "fuzz-client-secret-never-shown";
/// The nonce [`id_token`] expects.
pub const NONCE: &str = "fuzz-nonce";
/// The leeway the claim checks use.
pub const LEEWAY: u64 = 60;

/// An RSA public key (RFC 7517's example) standing in for the tenant's key set.
const TENANT_JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}]}"#;

/// The algorithms [`id_token`] allows (HS256 keyed with [`CLIENT_SECRET`], RS256 with the
/// stand-in key set).
const ALLOWED: &[SigningAlgorithm] = &[SigningAlgorithm::RS256, SigningAlgorithm::HS256];

fn tenant_keys() -> Option<KeySet> {
    KeySet::parse(TENANT_JWKS.as_bytes()).ok()
}

/// Makes an HS256 token keyed with [`CLIENT_SECRET`] from raw header and payload bytes, so the
/// fuzzer can reach the claim rules with a valid signature.
pub fn sign_hs256(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64url(header), b64url(payload));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, CLIENT_SECRET.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64url(tag.as_ref()))
}

/// Validates an ID token as `AuthClient::validate_id_token` does: parse, algorithm allow-list,
/// signature (HS256 with the client secret, RS256 with the key set), claims (issuer, subject,
/// audience/azp, expiry, iat, nonce, max_age 300 s), then an organization (`org_…` id or name)
/// when one is given. Returns the claims it accepted.
pub fn id_token(
    token: &str,
    now: u64,
    organization: Option<&str>,
) -> Result<Map<String, Value>, String> {
    crate::jwt::ensure_crypto_provider();
    let jwt = UnverifiedJwt::parse(token)?;
    let alg = jwt.algorithm(ALLOWED)?;
    if alg == SigningAlgorithm::HS256 {
        let key = jsonwebtoken::DecodingKey::from_secret(CLIENT_SECRET.as_bytes())
            .map_err(|_| "the client secret cannot key HS256".to_string())?;
        jwt.verify_signature(&key, alg)?;
    } else {
        let keys = tenant_keys().ok_or("the stand-in key set does not parse")?;
        let candidates = keys.candidates(jwt.header.kid.as_deref(), alg)?;
        if !candidates
            .iter()
            .any(|k| jwt.verify_signature(k, alg).is_ok())
        {
            return Err("the token signature is invalid".into());
        }
    }
    let rules = ClaimRules {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        now,
        leeway: LEEWAY,
        nonce: Some(NONCE),
        max_age: Some(300),
    };
    check_claims(&jwt.claims, &rules)?;
    if let Some(org) = organization {
        check_organization(&jwt.claims, org)?;
    }
    Ok(jwt.claims)
}

/// The claim rules of ID tokens alone, over a JSON payload (no signature involved).
pub fn id_token_claims(payload: &[u8], now: u64, nonce: Option<&str>) -> Result<(), String> {
    let claims: Map<String, Value> =
        serde_json::from_slice(payload).map_err(|_| "not a JSON object".to_string())?;
    let rules = ClaimRules {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        now,
        leeway: LEEWAY,
        nonce,
        max_age: Some(300),
    };
    check_claims(&claims, &rules)
}

/// What a verified logout token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutSubject {
    /// `sid`.
    pub sid: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
}

/// Verifies a back-channel logout token as `AuthClient::verify_logout_token` does: parse,
/// algorithm (RS256 only; HS256 never applies), signature with the stand-in key set, then the
/// logout claim rules.
pub fn logout_token(token: &str, now: u64) -> Result<LogoutSubject, String> {
    crate::jwt::ensure_crypto_provider();
    let jwt = UnverifiedJwt::parse(token)?;
    let alg = jwt.algorithm(&[SigningAlgorithm::RS256])?;
    let keys = tenant_keys().ok_or("the stand-in key set does not parse")?;
    let candidates = keys.candidates(jwt.header.kid.as_deref(), alg)?;
    if !candidates
        .iter()
        .any(|k| jwt.verify_signature(k, alg).is_ok())
    {
        return Err("the token signature is invalid".into());
    }
    logout_claims_map(&jwt.claims, now)
}

/// The logout-token claim rules alone, over a JSON payload.
pub fn logout_claims(payload: &[u8], now: u64) -> Result<LogoutSubject, String> {
    let claims: Map<String, Value> =
        serde_json::from_slice(payload).map_err(|_| "not a JSON object".to_string())?;
    logout_claims_map(&claims, now)
}

fn logout_claims_map(claims: &Map<String, Value>, now: u64) -> Result<LogoutSubject, String> {
    let c = check_logout_claims(claims, ISSUER, CLIENT_ID, now, LEEWAY)?;
    Ok(LogoutSubject {
        sid: c.sid,
        sub: c.sub,
    })
}

/// Reads a key set as the JWKS cache does, then asks it for keys of every supported algorithm,
/// with and without `kid`. Returns how many (kid, alg) questions found a key.
pub fn jwks(body: &[u8], kids: &[&str]) -> Result<usize, String> {
    crate::jwt::ensure_crypto_provider();
    let set = KeySet::parse(body)?;
    let algs = [
        SigningAlgorithm::RS256,
        SigningAlgorithm::RS384,
        SigningAlgorithm::RS512,
        SigningAlgorithm::PS256,
        SigningAlgorithm::PS384,
        SigningAlgorithm::PS512,
        SigningAlgorithm::ES256,
        SigningAlgorithm::ES384,
    ];
    let mut found = 0;
    for alg in algs {
        for kid in kids.iter().map(|k| Some(*k)).chain([None]) {
            if set.candidates(kid, alg).is_ok_and(|keys| !keys.is_empty()) {
                found += 1;
            }
        }
    }
    Ok(found)
}

/// Reads a discovery document as discovery does (JSON into [`ServerMetadata`], the issuer
/// check against `base`, the mTLS aliases when `mtls`), then resolves every endpoint the SDK
/// uses with its scheme rules. Returns how many endpoints are usable.
pub fn discovery(body: &[u8], base: &str, mtls: bool) -> Result<usize, String> {
    let base = Url::parse(base).map_err(|_| "the base is not a URL".to_string())?;
    let mut metadata: ServerMetadata =
        serde_json::from_slice(body).map_err(|e| format!("not a discovery document: {e}"))?;
    check_issuer(&metadata, &base).map_err(|e| e.to_string())?;
    if mtls {
        metadata.apply_mtls_aliases();
    }
    let code = ErrorCode::Discovery;
    let endpoints = [
        ("authorization_endpoint", &metadata.authorization_endpoint),
        ("token_endpoint", &metadata.token_endpoint),
        ("userinfo_endpoint", &metadata.userinfo_endpoint),
        ("jwks_uri", &metadata.jwks_uri),
        ("revocation_endpoint", &metadata.revocation_endpoint),
        ("end_session_endpoint", &metadata.end_session_endpoint),
        (
            "pushed_authorization_request_endpoint",
            &metadata.pushed_authorization_request_endpoint,
        ),
        (
            "backchannel_authentication_endpoint",
            &metadata.backchannel_authentication_endpoint,
        ),
        (
            "device_authorization_endpoint",
            &metadata.device_authorization_endpoint,
        ),
    ];
    let mut usable = 0;
    for (name, value) in endpoints {
        if metadata.endpoint(name, value.as_ref(), code).is_ok() {
            usable += 1;
        }
    }
    let _ = metadata.token_url(code);
    Ok(usable)
}

/// Reads a token-endpoint answer as the token path does: a success body into the token
/// response (lenient `expires_in`, the `act` of a JWT access token), an error body into the
/// OAuth error (both of Auth0's shapes), the rate-limit headers, and a `WWW-Authenticate`
/// challenge as user info reads it. Returns `expires_at` for `now`, or the error's text.
pub fn token_response(
    status: u16,
    content_type: &str,
    www_authenticate: &str,
    retry_after: &str,
    body: &[u8],
    now: u64,
) -> Result<u64, String> {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(retry_after) {
        headers.insert("retry-after", v.clone());
        headers.insert("x-ratelimit-reset", v);
    }
    let _ = crate::userinfo::parse_bearer_challenge(www_authenticate);
    let response = Response {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        headers,
        body: body.to_vec(),
        code: ErrorCode::TokenByPassword,
        endpoint: "the token endpoint",
    };
    match crate::token::read_token_answer(response, now) {
        Ok(expires_at) => Ok(expires_at),
        Err(e) => {
            let _ = e.rate_limit();
            let _ = (e.is_mfa_required(), e.mfa_token(), e.mfa_requirements());
            Err(format!("{e} {e:?}"))
        }
    }
}

/// Reads a login callback URL as the code exchange does (no repeated `code`, `state`, `iss` or
/// `error`; `iss` when present; `state` equal to the expected one, or absent when none is;
/// `error`; `code`). Returns the code and the redirect URI (empty for a path-and-query callback).
pub fn callback(
    callback_url: &str,
    expected_state: Option<&str>,
    issuer: &str,
) -> Result<(String, String), String> {
    let rules = crate::grants::code::CallbackRules {
        expected_state,
        issuer,
        iss_required: false,
    };
    crate::grants::code::read_callback(callback_url, &rules, ErrorCode::TokenByCode)
        .map(|c| (c.code, c.redirect_uri.unwrap_or_default()))
        .map_err(|e| format!("{e} {e:?}"))
}

// ---------------------------------------------------------------------------------------------
// The fuzz targets' bodies, shared with the regression test that replays `fuzz/seeds` and
// `fuzz/regressions` (`tests/fuzz_regressions.rs`). Each returns `Err` with what broke when an
// invariant does not hold; the fuzz targets panic on it.

/// The time the targets validate tokens at.
pub const NOW: u64 = 1_700_000_000;

/// The names of the fuzz targets, as [`run`] knows them.
pub const TARGETS: &[&str] = &[
    "id_token",
    "logout_token",
    "discovery",
    "jwks",
    "token_response",
    "callback",
];

/// Runs one fuzz target's body over `data`; `Err` says which invariant broke.
pub fn run(target: &str, data: &[u8]) -> Result<(), String> {
    match target {
        "id_token" => target_id_token(data),
        "logout_token" => target_logout_token(data),
        "discovery" => target_discovery(data),
        "jwks" => target_jwks(data),
        "token_response" => target_token_response(data),
        "callback" => target_callback(data),
        other => Err(format!("no fuzz target {other:?}")),
    }
}

fn check(holds: bool, what: &str) -> Result<(), String> {
    if holds { Ok(()) } else { Err(what.to_string()) }
}

fn claim_number(v: Option<&Value>) -> Option<u64> {
    v.and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
}

fn names_client(aud: Option<&Value>) -> bool {
    match aud {
        Some(Value::String(a)) => a == CLIENT_ID,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(CLIENT_ID)),
        _ => false,
    }
}

/// ID tokens: the first byte picks raw token / HS256-signed header and payload (so the claim
/// rules are reached with a valid signature) / bare claims, and the organization. Invariants:
/// nothing accepted that breaks a rule; no error shows the client secret.
pub fn target_id_token(data: &[u8]) -> Result<(), String> {
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(());
    };
    let organization = match mode >> 4 {
        0 => Some("org_abc"),
        1 => Some("acme"),
        _ => None,
    };
    // What the input itself says (decoded): errors may quote the token, never anything else.
    let says_secret = |token: &str| {
        UnverifiedJwt::parse(token).is_ok_and(|jwt| {
            jwt.header.alg.contains(CLIENT_SECRET)
                || jwt.header.kid.is_some_and(|k| k.contains(CLIENT_SECRET))
                || Value::Object(jwt.claims)
                    .to_string()
                    .contains(CLIENT_SECRET)
        })
    };
    let mut quoted_secret = false;
    let outcome = match mode % 3 {
        0 => {
            let token = String::from_utf8_lossy(rest);
            quoted_secret = says_secret(&token);
            id_token(&token, NOW, organization)
        }
        1 => {
            let (header, payload) = match rest.iter().position(|b| *b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (&br#"{"alg":"HS256","typ":"JWT"}"#[..], rest),
            };
            let token = sign_hs256(header, payload);
            quoted_secret = says_secret(&token);
            let outcome = id_token(&token, NOW, organization);
            if outcome.is_ok() {
                check(
                    serde_json::from_slice::<Map<String, Value>>(header).is_ok(),
                    "accepted a header that is not a JSON object",
                )?;
            }
            outcome
        }
        _ => match id_token_claims(rest, NOW, Some(NONCE)) {
            Err(message) => {
                quoted_secret = serde_json::from_slice::<Value>(rest)
                    .is_ok_and(|v| v.to_string().contains(CLIENT_SECRET));
                Err(message)
            }
            Ok(()) => serde_json::from_slice(rest)
                .map_err(|_| "accepted what is not an object".to_string()),
        },
    };
    match outcome {
        Ok(claims) => {
            check(
                claims.get("iss").and_then(Value::as_str) == Some(ISSUER),
                "accepted another issuer",
            )?;
            check(
                claims
                    .get("sub")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "accepted without a subject",
            )?;
            check(names_client(claims.get("aud")), "accepted another audience")?;
            let exp = claim_number(claims.get("exp")).ok_or("accepted without exp")?;
            check(
                exp.saturating_add(LEEWAY) > NOW,
                "accepted an expired token",
            )?;
            let iat = claim_number(claims.get("iat")).ok_or("accepted without iat")?;
            check(iat <= NOW + LEEWAY, "accepted a token issued in the future")?;
            if let Some(nbf) = claim_number(claims.get("nbf")) {
                check(nbf <= NOW + LEEWAY, "accepted a token before its nbf")?;
            }
            check(
                claims.get("nonce").and_then(Value::as_str) == Some(NONCE),
                "accepted another nonce",
            )?;
            if let Some(azp) = claims.get("azp") {
                check(azp.as_str() == Some(CLIENT_ID), "accepted another azp")?;
            }
            Ok(())
        }
        Err(message) => check(
            quoted_secret || !message.contains(CLIENT_SECRET),
            "an error shows the client secret",
        ),
    }
}

/// Logout tokens: raw tokens (even first byte) or bare claims. Invariant: an accepted claim
/// set names a session or user, has the issuer and audience, no nonce, and the event.
pub fn target_logout_token(data: &[u8]) -> Result<(), String> {
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(());
    };
    if mode % 2 == 0 {
        let _ = logout_token(&String::from_utf8_lossy(rest), NOW);
        return Ok(());
    }
    let Ok(subject) = logout_claims(rest, NOW) else {
        return Ok(());
    };
    check(
        subject.sid.is_some() || subject.sub.is_some(),
        "accepted without sid or sub",
    )?;
    let claims: Map<String, Value> =
        serde_json::from_slice(rest).map_err(|_| "accepted what is not an object")?;
    check(!claims.contains_key("nonce"), "accepted a nonce")?;
    check(
        claims.get("iss").and_then(Value::as_str) == Some(ISSUER),
        "accepted another issuer",
    )?;
    check(names_client(claims.get("aud")), "accepted another audience")?;
    check(
        claims
            .get("events")
            .and_then(|e| e.get(crate::logout::BACKCHANNEL_LOGOUT_EVENT))
            .is_some_and(Value::is_object),
        "accepted without the event",
    )
}

/// Discovery documents. Invariant: an accepted document's issuer is the base URL (give or take
/// one trailing slash).
pub fn target_discovery(data: &[u8]) -> Result<(), String> {
    const BASE: &str = "https://tenant.example.com/";
    for mtls in [false, true] {
        if discovery(data, BASE, mtls).is_ok() {
            let doc: Value =
                serde_json::from_slice(data).map_err(|_| "accepted what is not JSON")?;
            let issuer = doc
                .get("issuer")
                .and_then(Value::as_str)
                .ok_or("accepted without an issuer")?;
            check(
                issuer == BASE || issuer == BASE.trim_end_matches('/'),
                "accepted a foreign issuer",
            )?;
        }
    }
    Ok(())
}

/// Key sets. Invariant: no panic.
pub fn target_jwks(data: &[u8]) -> Result<(), String> {
    let _ = jwks(data, &["k1", "", "kid-2"]);
    Ok(())
}

/// Token-endpoint answers: two bytes of status, one of content type, then the body (whose
/// text also serves as `WWW-Authenticate` and, its first line, as `Retry-After`). Invariants:
/// only a 2xx answer is accepted; `expires_at` never goes backwards.
pub fn target_token_response(data: &[u8]) -> Result<(), String> {
    const CONTENT_TYPES: &[&str] = &[
        "application/json",
        "application/json; charset=utf-8",
        "text/html; charset=utf-8",
        "text/plain",
        "",
    ];
    let [a, b, c, rest @ ..] = data else {
        return Ok(());
    };
    let status = 100 + u16::from_le_bytes([*a, *b]) % 500;
    let content_type = CONTENT_TYPES[usize::from(*c) % CONTENT_TYPES.len()];
    let text = String::from_utf8_lossy(rest);
    let first_line = text.lines().next().unwrap_or_default();
    match token_response(status, content_type, &text, first_line, rest, NOW) {
        Ok(expires_at) => {
            check((200..300).contains(&status), "accepted a non-2xx answer")?;
            check(expires_at >= NOW, "expires_at went backwards")
        }
        Err(_) => Ok(()),
    }
}

/// Callback URLs (first byte: whether a state is expected). Invariant: an accepted callback
/// has a code and a redirect URI without query or fragment.
pub fn target_callback(data: &[u8]) -> Result<(), String> {
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(());
    };
    let url = String::from_utf8_lossy(rest);
    let state = (mode % 2 == 0).then_some("xyz");
    match callback(&url, state, ISSUER) {
        Ok((code, redirect_uri)) => {
            check(!code.is_empty(), "accepted an empty code")?;
            check(
                !redirect_uri.contains('?') && !redirect_uri.contains('#'),
                "the redirect URI keeps a query or fragment",
            )
        }
        Err(_) => Ok(()),
    }
}
