//! Signed request objects (RFC 9101, JAR) at `/authorize` and `/oauth/par`.
//!
//! A request carrying `request` is replaced by the object's parameters, after checking it:
//! the header's `typ` is `oauth-authz-req+jwt`; the signature verifies with the public key the
//! client registered for `private_key_jwt` (RS256/384/512, PS256, ES256/384); `iss` and
//! `client_id` are the client named outside the object; `aud` is the issuer; `exp` is in the
//! future and `nbf` not. Outside the object only `client_id` and the client's credentials are
//! kept (RFC 9101 section 6.3: every other parameter comes from the object). Refusals are
//! `400 invalid_request_object`. `request_uri` by reference is not supported.
//!
//! May import the tenant state, request parameters and errors.

use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::protocol::params::Params;
use crate::tenant::config::ClientAuthMethod;
use crate::tenant::error::OAuthError;
use crate::tenant::state::Shared;

/// The request object's media type (RFC 9101 section 10.8), with or without `application/`.
const TYP: &str = "oauth-authz-req+jwt";

/// Outer parameters kept next to a request object: the client and its credentials.
const KEPT_OUTSIDE: [&str; 4] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// Clock leeway for `exp` and `nbf`, in seconds.
const LEEWAY: u64 = 30;

fn refused(why: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request_object", why)
}

/// The request's parameters with any request object opened: `params` itself when there is
/// none, else the kept outer parameters plus the verified object's claims.
pub(crate) fn expand(shared: &Shared, params: Params) -> Result<Params, OAuthError> {
    let Some(jwt) = params.get("request") else {
        return Ok(params);
    };
    let client_id = params.require("client_id")?;
    let client = shared
        .tenant
        .clients
        .get(client_id)
        .ok_or_else(|| OAuthError::invalid_request(format!("Unknown client: {client_id}")))?;
    let ClientAuthMethod::PrivateKeyJwt(pem) = &client.config.auth else {
        return Err(refused(format!(
            "Client {client_id} has no registered public key to verify a request object with."
        )));
    };
    let header = jsonwebtoken::decode_header(jwt).map_err(|e| {
        refused(format!(
            "The request object is not a well-formed JWT ({e})."
        ))
    })?;
    let typ = header
        .typ
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if typ.strip_prefix("application/").unwrap_or(&typ) != TYP {
        return Err(refused(format!("The request object's typ must be {TYP}.")));
    }
    let key = match header.alg {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 => {
            DecodingKey::from_rsa_pem(pem.as_bytes())
        }
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem.as_bytes()),
        other => return Err(refused(format!("alg {other:?} is not accepted."))),
    }
    .map_err(|_| refused("The alg does not fit the client's registered key."))?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = LEEWAY;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.set_issuer(&[client_id]);
    validation.set_audience(&[shared.tenant.issuer.as_str()]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(jwt, &key, &validation)
        .map_err(|e| refused(format!("The request object was rejected: {e}.")))?
        .claims;
    if claims.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(refused(
            "The request object's client_id is not the client_id of the request.",
        ));
    }
    let mut merged = Map::new();
    for name in KEPT_OUTSIDE {
        if let Some(v) = params.get(name) {
            merged.insert(name.to_owned(), Value::from(v));
        }
    }
    for (k, v) in claims {
        if matches!(k.as_str(), "iss" | "aud" | "exp" | "nbf" | "iat" | "jti") {
            continue;
        }
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        merged.insert(k, Value::String(text));
    }
    let body = Value::Object(merged).to_string();
    Params::from_json(body.as_bytes())
}
