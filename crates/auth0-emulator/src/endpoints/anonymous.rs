//! Anonymous sessions (early access at Auth0): `POST /anonymous/token` creates a session for a
//! visitor who has not signed in (an access token with `sub` `anonymous|<hex>` and a
//! long-lived `session_token`), renews its access token, or mints a transfer token
//! (`audience: "urn:auth0:anon_transfer"`); `POST /anonymous/logout` ends the session the
//! `auth0_anon` cookie names.
//!
//! Refusals (`{"error", "error_description"}`):
//! - `metadata` with `session_token`, `metadata` that is not an object or is over 1024 bytes
//!   serialized, a transfer without `session_token`: `400 invalid_request`;
//! - an unknown session token (or another client's): `400 invalid_session_token`;
//! - an expired session: `400 session_expired`;
//! - client authentication failures as at the token endpoint (`401 invalid_client`, …).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::protocol::client_auth;
use crate::protocol::issue::user_scopes;
use crate::protocol::params::{Params, split_scope};
use crate::tenant::anonymous::{AnonymousSession, AnonymousState};
use crate::tenant::error::OAuthError;
use crate::tenant::state::{Shared, now_secs, random_hex, random_token};

/// The audience that mints a transfer token.
const TRANSFER_AUDIENCE: &str = "urn:auth0:anon_transfer";
/// The most metadata (serialized JSON bytes) a session may carry.
const MAX_METADATA_BYTES: usize = 1024;
/// The cookie naming the browser's anonymous session.
const COOKIE: &str = "auth0_anon";

/// `POST /anonymous/token`.
pub(crate) async fn token_endpoint(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match token(&shared, &headers, &body) {
        Ok((answer, cookie)) => {
            let mut response = (StatusCode::OK, Json(Value::Object(answer))).into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Some(cookie) = cookie
                && let Ok(value) = HeaderValue::from_str(&format!(
                    "{COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax"
                ))
            {
                h.insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

/// The answer, and the cookie to set (on creation).
type TokenAnswer = (Map<String, Value>, Option<String>);

fn token(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<TokenAnswer, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, "/anonymous/token")?;
    let client_id = client.config.client_id.as_str();
    let session_token = params.get("session_token");
    let metadata = params.value("metadata").filter(|v| !v.is_null());
    if session_token.is_some() && metadata.is_some() {
        return Err(OAuthError::invalid_request(
            "metadata cannot be provided when session_token is present",
        ));
    }
    let audience = params.get("audience");
    if audience == Some(TRANSFER_AUDIENCE) {
        let session_token = session_token.ok_or_else(|| OAuthError::missing("session_token"))?;
        let mut store = shared.store();
        let state = &mut store.accounts.anonymous;
        let sub = live_session(state, session_token, client_id)?.sub.clone();
        let transfer = random_token(32);
        state.transfer_tokens.insert(transfer.clone(), sub);
        let mut answer = Map::new();
        answer.insert("anon_transfer_token".to_owned(), Value::from(transfer));
        return Ok((answer, None));
    }
    let api = audience.map(|a| shared.tenant.api(a)).transpose()?;
    let requested = params.get("scope").map(split_scope);
    let grant = |requested: &[String]| -> Vec<String> {
        user_scopes(requested, api)
            .into_iter()
            .filter(|s| s != "offline_access")
            .collect()
    };
    let config = &shared.tenant.accounts;
    let now = now_secs();

    if let Some(session_token) = session_token {
        let (sub, audience, scopes, remaining) = {
            let mut store = shared.store();
            let session = live_session(&mut store.accounts.anonymous, session_token, client_id)?;
            session.renewals = session.renewals.saturating_add(1);
            let audience = audience
                .map(str::to_owned)
                .or_else(|| session.audience.clone());
            let scopes = requested
                .as_deref()
                .map_or_else(|| session.scopes.clone(), grant);
            (
                session.sub.clone(),
                audience,
                scopes,
                session.expires_at.saturating_sub(now),
            )
        };
        let mut answer = access_token(shared, client_id, &sub, audience.as_deref(), &scopes)?;
        answer.insert("session_expires_in".to_owned(), Value::from(remaining));
        return Ok((answer, None));
    }

    let metadata = match metadata {
        None => None,
        Some(Value::Object(map)) => {
            let size = Value::Object(map.clone()).to_string().len();
            if size > MAX_METADATA_BYTES {
                return Err(OAuthError::invalid_request(format!(
                    "metadata is {size} bytes serialized; at most {MAX_METADATA_BYTES} are allowed."
                )));
            }
            Some(Value::Object(map.clone()))
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "metadata must be a JSON object.",
            ));
        }
    };
    let scopes = requested.as_deref().map(grant).unwrap_or_default();
    let sub = format!("anonymous|{}", random_hex(12));
    let mut answer = access_token(shared, client_id, &sub, audience, &scopes)?;
    let session_token = random_token(32);
    let cookie = random_token(24);
    let lifetime = config.anonymous_session_lifetime;
    {
        let mut store = shared.store();
        let sessions = &mut store.accounts.anonymous.sessions;
        if sessions.len() >= 1024 {
            sessions.retain(|_, s| s.expires_at > now);
        }
        sessions.insert(
            session_token.clone(),
            AnonymousSession {
                client_id: client_id.to_owned(),
                sub,
                metadata,
                expires_at: now.saturating_add(lifetime),
                renewals: 0,
                cookie: cookie.clone(),
                audience: audience.map(str::to_owned),
                scopes,
                created: now,
            },
        );
    }
    answer.insert("session_token".to_owned(), Value::from(session_token));
    answer.insert("session_expires_in".to_owned(), Value::from(lifetime));
    Ok((answer, Some(cookie)))
}

/// The unexpired session `session_token` of `client_id`.
fn live_session<'a>(
    state: &'a mut AnonymousState,
    session_token: &str,
    client_id: &str,
) -> Result<&'a mut AnonymousSession, OAuthError> {
    let session = state
        .sessions
        .get_mut(session_token)
        .filter(|s| s.client_id == client_id)
        .ok_or_else(|| {
            OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_session_token",
                "The session token is invalid or was ended.",
            )
        })?;
    if session.expires_at <= now_secs() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "session_expired",
            "The anonymous session has expired; create a new one.",
        ));
    }
    Ok(session)
}

/// Signs an anonymous access token; returns the token-answer members.
fn access_token(
    shared: &Shared,
    client_id: &str,
    sub: &str,
    audience: Option<&str>,
    scopes: &[String],
) -> Result<Map<String, Value>, OAuthError> {
    let tenant = &shared.tenant;
    let lifetime = tenant.accounts.anonymous_token_lifetime;
    let now = now_secs();
    let mut auds: Vec<String> = audience.map(str::to_owned).into_iter().collect();
    if auds.is_empty() || scopes.iter().any(|s| s == "openid") {
        auds.push(tenant.url("userinfo"));
    }
    let aud = if auds.len() == 1 {
        Value::from(auds.remove(0))
    } else {
        Value::from(auds)
    };
    let claims = json!({
        "iss": tenant.issuer,
        "sub": sub,
        "aud": aud,
        "iat": now,
        "exp": now.saturating_add(lifetime),
        "scope": scopes.join(" "),
        "azp": client_id,
        "gty": "anonymous",
        "jti": random_token(16),
    });
    let mut answer = Map::new();
    answer.insert(
        "access_token".to_owned(),
        Value::from(shared.sign(&claims)?),
    );
    answer.insert("token_type".to_owned(), Value::from("Bearer"));
    answer.insert("expires_in".to_owned(), Value::from(lifetime));
    if !scopes.is_empty() {
        answer.insert("scope".to_owned(), Value::from(scopes.join(" ")));
    }
    Ok(answer)
}

/// The `auth0_anon` cookie's value, if sent.
fn anon_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// `POST /anonymous/logout`.
pub(crate) async fn logout_endpoint(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match logout(&shared, &headers, &body) {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static("auth0_anon=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
            );
            response
        }
        Err(error) => error.into_response(),
    }
}

fn logout(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = Params::parse(headers, body)?;
    let client_id = params.require("client_id")?;
    if !shared.tenant.clients.contains_key(client_id) {
        return Err(OAuthError::invalid_client(format!(
            "Unknown client: {client_id}"
        )));
    }
    if let Some(cookie) = anon_cookie(headers) {
        shared
            .store()
            .accounts
            .anonymous
            .sessions
            .retain(|_, s| s.cookie != cookie || s.client_id != client_id);
    }
    Ok(())
}

/// Unix seconds as a [`SystemTime`].
pub(crate) fn system_time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        assert_eq!(anon_cookie(&h), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; auth0_anon=xyz; b=2"),
        );
        assert_eq!(anon_cookie(&h).as_deref(), Some("xyz"));
    }
}
