//! `GET /userinfo` (and `POST`): the claims of the user an access token was issued to, as far
//! as the token's scope allows. Refusals are `401` with an empty body and a
//! `WWW-Authenticate: Bearer realm="…", error="invalid_token", error_description="…"` header,
//! as Auth0 answers. DPoP-bound tokens are checked by [`crate::protocol::dpop::userinfo_headers`]
//! first.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::protocol::issue::iso8601;
use crate::tenant::config::UserConfig;
use crate::tenant::flows::verify_tenant_jwt;
use crate::tenant::state::{Shared, now_secs};

/// Why a user-info request was refused (the `error_description`).
#[derive(Debug)]
struct Refusal(&'static str);

/// The user-info handler.
pub(crate) async fn userinfo_endpoint(
    State(shared): State<Arc<Shared>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let headers =
        match crate::protocol::dpop::userinfo_headers(&shared, &method, uri.path(), headers) {
            Ok(headers) => headers,
            Err(response) => return *response,
        };
    match user_claims(&shared, &headers) {
        Ok(claims) => {
            let mut response = (StatusCode::OK, Json(Value::Object(claims))).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(Refusal(description)) => {
            let challenge = format!(
                r#"Bearer realm="{}", error="invalid_token", error_description="{description}""#,
                shared.tenant.issuer
            );
            let mut response = StatusCode::UNAUTHORIZED.into_response();
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            response
        }
    }
}

/// The bearer token from the `Authorization` header.
fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    let value = headers.get(header::AUTHORIZATION).ok_or(Refusal(
        "Missing access token: send Authorization: Bearer <access token>",
    ))?;
    let text = value
        .to_str()
        .map_err(|_| Refusal("Malformed Authorization header"))?;
    let (scheme, token) = text.trim().split_once(' ').ok_or(Refusal(
        "Missing access token: send Authorization: Bearer <access token>",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal(
            "The Authorization header must use the Bearer scheme",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Refusal("Missing access token"));
    }
    Ok(token)
}

/// Checks the token and returns the claims to answer.
fn user_claims(shared: &Shared, headers: &HeaderMap) -> Result<Map<String, Value>, Refusal> {
    let token = bearer(headers)?;
    let claims = verify_tenant_jwt(shared, token).ok_or(Refusal(
        "Invalid access token: not a token this tenant signed, or it has expired",
    ))?;
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp > now_secs() => {}
        Some(_) => return Err(Refusal("The access token has expired")),
        None => return Err(Refusal("The access token has no expiry")),
    }
    let userinfo_audience = shared.tenant.url("userinfo");
    let has_audience = match claims.get("aud") {
        Some(Value::String(aud)) => *aud == userinfo_audience,
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|a| a.as_str() == Some(userinfo_audience.as_str())),
        _ => false,
    };
    if !has_audience {
        return Err(Refusal(
            "The access token audience does not include the userinfo endpoint (ask for the openid scope)",
        ));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or(Refusal("The access token has no subject"))?;
    let scopes: Vec<&str> = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let mut out = Map::new();
    out.insert("sub".to_owned(), Value::from(sub));
    if sub.starts_with("anonymous|") {
        return Ok(out);
    }
    let user = shared
        .user_by_id(sub)
        .ok_or(Refusal("The user of this access token no longer exists"))?;
    add_profile(shared, &user, &scopes, &mut out);
    Ok(out)
}

/// Adds the claims `scopes` allow for `user`.
fn add_profile(shared: &Shared, user: &UserConfig, scopes: &[&str], out: &mut Map<String, Value>) {
    let profile = shared.store().accounts.profiles.get(&user.user_id).cloned();
    let has = |s: &str| scopes.contains(&s);
    if has("profile") {
        let nickname = profile
            .as_ref()
            .and_then(|p| p.nickname.clone())
            .unwrap_or_else(|| user.nickname().to_owned());
        let initials: String = nickname
            .chars()
            .take(2)
            .flat_map(char::to_lowercase)
            .collect();
        let picture = profile
            .as_ref()
            .and_then(|p| p.picture.clone())
            .unwrap_or_else(|| format!("https://cdn.auth0.com/avatars/{initials}.png"));
        out.insert("name".to_owned(), Value::from(user.display_name()));
        out.insert("nickname".to_owned(), Value::from(nickname));
        out.insert("picture".to_owned(), Value::from(picture));
        if let Some(p) = &profile {
            if let Some(given) = &p.given_name {
                out.insert("given_name".to_owned(), Value::from(given.as_str()));
            }
            if let Some(family) = &p.family_name {
                out.insert("family_name".to_owned(), Value::from(family.as_str()));
            }
        }
        let updated_at = profile
            .as_ref()
            .map_or(shared.tenant.started_at, |p| p.created_at);
        out.insert("updated_at".to_owned(), Value::from(iso8601(updated_at)));
    }
    if has("email")
        && let Some(email) = &user.email
    {
        out.insert("email".to_owned(), Value::from(email.as_str()));
        let verified = profile.as_ref().is_none_or(|p| p.email_verified);
        out.insert("email_verified".to_owned(), Value::from(verified));
    }
    if has("phone")
        && let Some(phone) = profile.as_ref().and_then(|p| p.phone_number.clone())
    {
        out.insert("phone_number".to_owned(), Value::from(phone));
        out.insert("phone_number_verified".to_owned(), Value::from(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read() {
        let mut h = HeaderMap::new();
        assert!(bearer(&h).is_err());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(bearer(&h).ok(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer(&h).is_err());
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert!(bearer(&h).is_err());
    }
}
