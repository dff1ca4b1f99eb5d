//! `POST /oauth/introspect` (RFC 7662): a confidential client asks about a token. Client
//! authentication is the token endpoint's; public clients are refused (`401 invalid_client`).
//!
//! - A refresh token of the calling client that is not revoked: active, with its client, user,
//!   scope, audience and `token_type: refresh_token`.
//! - An access token this tenant signed (any key still published) that has not expired:
//!   active, with its `scope`, `client_id` (`azp`), `sub`, `aud`, `iss`, `exp`, `iat`, `jti`
//!   and `token_type: Bearer`.
//! - Anything else (unknown, expired, revoked, another client's refresh token): `{"active":
//!   false}` (RFC 7662 section 2.2 says nothing more).
//! - No `token`: `400 invalid_request`.
//!
//! Answers are plain JSON; this emulator does not offer the signed answers of RFC 9701.
//! May import the tenant state, client authentication and the token checks of `flows`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::protocol::client_auth;
use crate::protocol::params::Params;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::verify_tenant_jwt;
use crate::tenant::state::Shared;

/// The introspection handler.
pub(crate) async fn introspect_endpoint(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match introspect(&shared, &headers, uri.path(), &body) {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn introspect(
    shared: &Shared,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, path)?;
    if client.config.is_public() {
        return Err(OAuthError::invalid_client(format!(
            "Token introspection needs client authentication: {} is a public client.",
            client.config.client_id
        )));
    }
    let token = params.require("token")?;
    let inactive = json!({"active": false});
    if let Some(grant) = shared.store().refresh_tokens.get(token) {
        if grant.revoked || grant.client_id != client.config.client_id {
            return Ok(inactive);
        }
        let mut answer = json!({
            "active": true,
            "client_id": grant.client_id,
            "sub": grant.user_id,
            "scope": grant.scopes.join(" "),
            "iss": shared.tenant.issuer,
            "iat": grant.auth_time,
            "token_type": "refresh_token",
        });
        if let Some(audience) = &grant.audience {
            answer["aud"] = Value::from(audience.as_str());
        }
        return Ok(answer);
    }
    let Some(Value::Object(claims)) = verify_tenant_jwt(shared, token) else {
        return Ok(inactive);
    };
    // An ID token is not an access token: only tokens with a scope or `gty` count.
    if !claims.contains_key("scope") {
        return Ok(inactive);
    }
    let mut answer = Map::new();
    answer.insert("active".into(), Value::Bool(true));
    for name in ["scope", "sub", "aud", "iss", "exp", "iat", "jti", "org_id"] {
        if let Some(v) = claims.get(name) {
            answer.insert(name.into(), v.clone());
        }
    }
    if let Some(azp) = claims.get("azp") {
        answer.insert("client_id".into(), azp.clone());
    }
    answer.insert("token_type".into(), Value::from("Bearer"));
    Ok(Value::Object(answer))
}
