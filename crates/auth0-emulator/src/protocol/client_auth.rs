//! Client authentication at the token endpoint (and any endpoint that takes client
//! credentials): `client_secret_post`, `client_secret_basic`, `client_secret_jwt` (an HS256
//! assertion keyed with the secret), `private_key_jwt`, or none for public clients. Every check
//! is real and every refusal says precisely what was wrong.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::protocol::params::Params;
use crate::tenant::config::ClientAuthMethod;
use crate::tenant::error::OAuthError;
use crate::tenant::keys::{AssertionKey, KeyFamily};
use crate::tenant::state::{RegisteredClient, Shared, now_secs};

/// The only `client_assertion_type` there is.
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock leeway for assertion times, in seconds.
const LEEWAY: u64 = 30;
/// How far in the future an assertion may expire, in seconds.
const MAX_ASSERTION_LIFETIME: u64 = 600;

/// Finds the calling client and checks its credentials.
///
/// `endpoint_path` is the path the request came in on; its URL is an accepted assertion `aud`
/// next to the issuer.
pub(crate) fn authenticate<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    params: &Params,
    endpoint_path: &str,
) -> Result<&'a RegisteredClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_secret = params.get("client_secret");
    let assertion = params.get("client_assertion");
    let assertion_type = params.get("client_assertion_type");
    let methods = usize::from(basic.is_some())
        + usize::from(body_secret.is_some())
        + usize::from(assertion.is_some() || assertion_type.is_some());
    if methods > 1 {
        return Err(OAuthError::invalid_request(
            "More than one client authentication method was used (Authorization: Basic, \
             client_secret, client_assertion); use exactly one.",
        ));
    }

    let client_id = client_id(&basic, params, assertion)?;
    let client = shared
        .tenant
        .clients
        .get(&client_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("Unknown client: {client_id}")))?;

    match &client.config.auth {
        ClientAuthMethod::None => {
            if methods > 0 {
                return Err(OAuthError::invalid_client(format!(
                    "Client {client_id} is a public client; it has no credentials and must send \
                     client_id only."
                )));
            }
        }
        ClientAuthMethod::Secret(expected) => {
            if assertion.is_some() || assertion_type.is_some() {
                // client_secret_jwt: an HS256 assertion keyed with the secret.
                let assertion =
                    assertion_pair(&client_id, assertion, assertion_type, "client_secret_jwt")?;
                let key = AssertionKey::secret(expected).ok_or_else(|| {
                    OAuthError::invalid_client(format!(
                        "Client {client_id} has an empty client secret, which cannot sign a \
                         client_secret_jwt assertion."
                    ))
                })?;
                verify_assertion(shared, &client_id, &key, assertion, endpoint_path)?;
                return Ok(client);
            }
            let given = basic.as_ref().map(|(_, s)| s.as_str()).or(body_secret).ok_or_else(|| {
                OAuthError::invalid_client(format!(
                    "Client authentication is required: client {client_id} is confidential; send \
                     client_secret in the body (client_secret_post), an Authorization: Basic \
                     header (client_secret_basic) or an HS256 client_assertion signed with the \
                     secret (client_secret_jwt)."
                ))
            })?;
            if !secrets_equal(given, expected) {
                let how = if basic.is_some() {
                    "client_secret_basic"
                } else {
                    "client_secret_post"
                };
                return Err(OAuthError::invalid_client(format!(
                    "Wrong client secret for client {client_id} ({how})."
                )));
            }
        }
        ClientAuthMethod::PrivateKeyJwt(_) => {
            if basic.is_some() || body_secret.is_some() {
                return Err(OAuthError::invalid_client(format!(
                    "Client {client_id} authenticates with private_key_jwt; send client_assertion \
                     and client_assertion_type, not a client secret."
                )));
            }
            let assertion =
                assertion_pair(&client_id, assertion, assertion_type, "private_key_jwt")?;
            let key = client.assertion_key.as_ref().ok_or_else(|| {
                OAuthError::server_error("The client's public key was not parsed at start.")
            })?;
            verify_assertion(shared, &client_id, key, assertion, endpoint_path)?;
        }
    }
    Ok(client)
}

/// The `client_assertion` of a client authenticating with `method` (`private_key_jwt` or
/// `client_secret_jwt`), once both it and a correct `client_assertion_type` are there.
fn assertion_pair<'p>(
    client_id: &str,
    assertion: Option<&'p str>,
    assertion_type: Option<&str>,
    method: &str,
) -> Result<&'p str, OAuthError> {
    let (Some(assertion), Some(kind)) = (assertion, assertion_type) else {
        return Err(match (assertion, assertion_type) {
            (Some(_), None) => OAuthError::missing("client_assertion_type"),
            (None, Some(_)) => OAuthError::missing("client_assertion"),
            _ => OAuthError::invalid_client(format!(
                "Client authentication is required: client {client_id} uses {method}; send \
                 client_assertion and client_assertion_type."
            )),
        });
    };
    if kind != ASSERTION_TYPE {
        return Err(OAuthError::invalid_client(format!(
            "client_assertion_type must be {ASSERTION_TYPE}, got {kind}."
        )));
    }
    Ok(assertion)
}

/// The client id from the Basic header, the body, or (for assertions sent without one) the
/// assertion's `sub`.
fn client_id(
    basic: &Option<(String, String)>,
    params: &Params,
    assertion: Option<&str>,
) -> Result<String, OAuthError> {
    let body_id = params.get("client_id");
    if let Some((id, _)) = basic {
        if body_id.is_some_and(|b| b != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body does not match the client in the Authorization header.",
            ));
        }
        return Ok(id.clone());
    }
    if let Some(id) = body_id {
        return Ok(id.to_owned());
    }
    assertion
        .and_then(|a| jsonwebtoken::dangerous::insecure_decode_claims::<Value>(a).ok())
        .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| OAuthError::missing("client_id"))
}

/// Decodes `Authorization: Basic base64(urlencode(id):urlencode(secret))`, if present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("Malformed Authorization: Basic header.");
    let text = value.to_str().map_err(|_| malformed())?.trim();
    let Some((scheme, encoded)) = text.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let (id, secret) = (
        form_decode(id).ok_or_else(malformed)?,
        form_decode(secret).ok_or_else(malformed)?,
    );
    if id.is_empty() {
        return Err(malformed());
    }
    Ok(Some((id, secret)))
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space, `%XX` a byte).
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Constant-time comparison (of digests, so lengths do not leak either).
pub(crate) fn secrets_equal(given: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    verify_slices_are_equal(&a, &b).is_ok()
}

fn algorithm(alg: &str) -> Option<(Algorithm, KeyFamily)> {
    Some(match alg {
        "RS256" => (Algorithm::RS256, KeyFamily::Rsa),
        "RS384" => (Algorithm::RS384, KeyFamily::Rsa),
        "RS512" => (Algorithm::RS512, KeyFamily::Rsa),
        "PS256" => (Algorithm::PS256, KeyFamily::Rsa),
        "ES256" => (Algorithm::ES256, KeyFamily::Ec),
        "ES384" => (Algorithm::ES384, KeyFamily::Ec),
        "HS256" => (Algorithm::HS256, KeyFamily::Hmac),
        _ => return None,
    })
}

/// Verifies a `private_key_jwt` or `client_secret_jwt` client assertion: signature, `iss`, `sub`,
/// `aud`, `exp`, `nbf` and a `jti` never seen before.
fn verify_assertion(
    shared: &Shared,
    client_id: &str,
    key: &AssertionKey,
    assertion: &str,
    endpoint_path: &str,
) -> Result<(), OAuthError> {
    let bad = |why: String| OAuthError::invalid_client(format!("Invalid client_assertion: {why}"));
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|e| bad(format!("not a well-formed JWT ({e}).")))?;
    let alg_name = serde_json::to_value(header.alg)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    // Secret clients sign with HS256 only, key clients never do.
    let hmac = key.family == KeyFamily::Hmac;
    let (alg, family) = algorithm(&alg_name)
        .filter(|(_, family)| (*family == KeyFamily::Hmac) == hmac)
        .ok_or_else(|| {
            bad(if hmac {
                format!("alg {alg_name} is not accepted; use HS256 (client_secret_jwt).")
            } else {
                format!(
                    "alg {alg_name} is not accepted; use RS256, RS384, RS512, PS256, ES256 or \
                     ES384."
                )
            })
        })?;
    if family != key.family {
        let registered = if key.family == KeyFamily::Rsa {
            "an RSA"
        } else {
            "an EC"
        };
        return Err(bad(format!(
            "alg {alg_name} does not fit the client's registered key ({registered} key)."
        )));
    }
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(assertion, &key.key, &validation)
        .map_err(|e| {
            bad(format!(
                "signature verification with {} failed ({e}).",
                if hmac {
                    "the client secret"
                } else {
                    "the client's registered key"
                }
            ))
        })?
        .claims;

    for claim in ["iss", "sub"] {
        match claims.get(claim).and_then(Value::as_str) {
            Some(v) if v == client_id => {}
            Some(v) => {
                return Err(bad(format!(
                    "{claim} must be the client_id {client_id}, got {v}."
                )));
            }
            None => {
                return Err(bad(format!(
                    "{claim} is missing (it must be the client_id)."
                )));
            }
        }
    }

    let accepted = accepted_audiences(shared, endpoint_path);
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !auds.iter().any(|a| accepted.iter().any(|ok| ok == a)) {
        return Err(bad(format!(
            "aud must be the issuer {} or the endpoint URL {}; got {}.",
            shared.tenant.issuer,
            shared.tenant.url(endpoint_path),
            claims
                .get("aud")
                .map_or_else(|| "nothing".to_owned(), Value::to_string)
        )));
    }

    let now = now_secs();
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("exp is missing or not a number.".to_owned()))?;
    if exp.saturating_add(LEEWAY) <= now {
        return Err(bad(format!("expired at {exp} (now {now}).")));
    }
    if exp > now + MAX_ASSERTION_LIFETIME + LEEWAY {
        return Err(bad(format!(
            "exp {exp} is more than {MAX_ASSERTION_LIFETIME} seconds in the future (now {now})."
        )));
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_u64)
        && nbf > now + LEEWAY
    {
        return Err(bad(format!("not valid before {nbf} (now {now}).")));
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("jti is missing (a unique id is required).".to_owned()))?;

    let mut store = shared.store();
    let key = (client_id.to_owned(), jti.to_owned());
    if store.seen_jtis.get(&key).is_some_and(|&until| until > now) {
        return Err(bad(format!(
            "jti {jti} was already used (replayed assertion)."
        )));
    }
    if store.seen_jtis.len() >= 4096 && store.seen_jtis.len().is_multiple_of(1024) {
        store.seen_jtis.retain(|_, until| *until > now);
    }
    store.seen_jtis.insert(key, exp.saturating_add(LEEWAY));
    Ok(())
}

/// The `aud` values an assertion may carry on `endpoint_path`.
fn accepted_audiences(shared: &Shared, endpoint_path: &str) -> Vec<String> {
    let issuer = &shared.tenant.issuer;
    vec![
        issuer.clone(),
        issuer.trim_end_matches('/').to_owned(),
        shared.tenant.url("oauth/token"),
        shared.tenant.url(endpoint_path),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%3Ac%25").as_deref(), Some("a b:c%"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
    }

    #[test]
    fn secrets_compare() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }

    #[test]
    fn basic_header_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(basic_credentials(&h).unwrap(), None);
        let v = STANDARD.encode("my%20id:s%3Acret+x");
        h.insert(header::AUTHORIZATION, format!("Basic {v}").parse().unwrap());
        assert_eq!(
            basic_credentials(&h).unwrap(),
            Some(("my id".to_owned(), "s:cret x".to_owned()))
        );
        h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert!(basic_credentials(&h).is_err());
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(basic_credentials(&h).unwrap(), None);
    }

    #[test]
    fn keys_parse() {
        assert!(
            crate::tenant::keys::parse_assertion_key(
                &crate::tenant::keys::generate_rsa().public_key_pem
            )
            .is_ok()
        );
        let ec = crate::tenant::keys::parse_assertion_key(
            &crate::tenant::keys::generate_ec_p256().public_key_pem,
        )
        .unwrap();
        assert_eq!(ec.family, KeyFamily::Ec);
        assert!(crate::tenant::keys::parse_assertion_key("nope").is_err());
    }
}
