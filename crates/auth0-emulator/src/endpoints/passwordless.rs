//! Passwordless logins: `POST /passwordless/start` "sends" a one-time code (email or SMS) or a
//! magic link (email) by recording a [`PasswordlessMessage`] tests can read;
//! `GET /passwordless/verify_redirect` is the magic link itself; the one-time code is redeemed
//! by the `passwordless/otp` grant ([`crate::endpoints::token`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng as _;
use serde_json::{Map, Value, json};

use crate::protocol::client_auth::{self};
use crate::protocol::params::{Params, split_scope};
use crate::tenant::accounts::is_e164;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::find_organization;
use crate::tenant::passwordless::{PasswordlessMessage, PendingCode, PendingLink, recipient_key};
use crate::tenant::session::{CodeGrant, session_cookie, set_session_cookie};
use crate::tenant::state::{RegisteredClient, Shared, random_token};

/// A minimal email check: something, `@`, something with a dot, no spaces.
fn looks_like_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !email.chars().any(char::is_whitespace)
    })
}

/// The passwordless routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/passwordless/start", post(start))
        .route("/passwordless/verify_redirect", get(verify_redirect))
}

/// `POST /passwordless/start`.
async fn start(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    match start_login(&shared, &headers, &body) {
        Ok(()) => (StatusCode::OK, Json(json!({}))).into_response(),
        Err(error) => error.into_response(),
    }
}

fn start_login(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, "/passwordless/start")?;
    let connection = params.require("connection")?;
    let recipient = match connection {
        "email" => {
            let email = params.require("email")?;
            if !looks_like_email(email) {
                return Err(OAuthError::invalid_request(format!(
                    "email {email:?} is not a valid email address."
                )));
            }
            email
        }
        "sms" => {
            let phone = params.require("phone_number")?;
            if !is_e164(phone) {
                return Err(OAuthError::invalid_request(format!(
                    "phone_number {phone:?} must be in E.164 format (e.g. +14155550100)."
                )));
            }
            phone
        }
        other => {
            return Err(OAuthError::invalid_request(format!(
                "Unknown passwordless connection: {other}; use email or sms."
            )));
        }
    };
    let send = params.get("send").unwrap_or("code");
    match (send, connection) {
        ("code", _) | ("link", "email") => {}
        ("link", _) => {
            return Err(OAuthError::invalid_request(
                "send=link is only available for the email connection.",
            ));
        }
        (other, _) => {
            return Err(OAuthError::invalid_request(format!(
                "send must be code or link, got {other}."
            )));
        }
    }
    let auth_params = auth_params(&params)?;
    let language = headers
        .get("x-request-language")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let lifetime = shared.tenant.flows.passwordless_code_lifetime;
    let expires_at = crate::tenant::clock::now() + lifetime;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let link = if send == "link" {
        let redirect_uri = link_redirect_uri(client, auth_params.as_ref())?;
        let token = random_token(24);
        let link = shared
            .tenant
            .url(&format!("passwordless/verify_redirect?token={token}"));
        Some((token, link, redirect_uri))
    } else {
        None
    };

    let client_id = client.config.client_id.clone();
    let mut store = shared.store();
    let state = &mut store.flows.passwordless;
    state.codes.insert(
        recipient_key(connection, recipient),
        PendingCode {
            code: code.clone(),
            client_id: client_id.clone(),
            expires_at,
            wrong_attempts: 0,
        },
    );
    if let Some((token, _, redirect_uri)) = &link {
        state.links.insert(
            token.clone(),
            PendingLink {
                client_id: client_id.clone(),
                recipient: recipient.to_owned(),
                redirect_uri: redirect_uri.clone(),
                auth_params: auth_params.clone().unwrap_or_default(),
                expires_at,
            },
        );
    }
    state.messages.push(PasswordlessMessage {
        connection: connection.to_owned(),
        recipient: recipient.to_owned(),
        client_id,
        code,
        link: link.map(|(_, link, _)| link),
        language,
        auth_params: auth_params.map(Value::Object),
    });
    Ok(())
}

/// `authParams`: a JSON object (or, in a form body, a JSON object as text).
fn auth_params(params: &Params) -> Result<Option<Map<String, Value>>, OAuthError> {
    let bad = || OAuthError::invalid_request("authParams must be a JSON object.");
    match params.value("authParams") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(bad()),
        },
        Some(_) => Err(bad()),
    }
}

/// Where a magic link sends the browser: `authParams.redirect_uri`, else the client's first
/// callback; it must be one of the client's callback URLs.
fn link_redirect_uri(
    client: &RegisteredClient,
    auth_params: Option<&Map<String, Value>>,
) -> Result<String, OAuthError> {
    let callbacks = &client.config.callbacks;
    let wanted = auth_params
        .and_then(|p| p.get("redirect_uri"))
        .and_then(Value::as_str)
        .or_else(|| callbacks.first().map(String::as_str))
        .ok_or_else(|| {
            OAuthError::invalid_request(format!(
                "A magic link needs authParams.redirect_uri (client {} has no callback URL).",
                client.config.client_id
            ))
        })?;
    if !callbacks.iter().any(|c| c == wanted) {
        return Err(OAuthError::invalid_request(format!(
            "redirect_uri {wanted} is not an allowed callback URL of client {}.",
            client.config.client_id
        )));
    }
    Ok(wanted.to_owned())
}

/// `GET /passwordless/verify_redirect?token=…`: the magic link.
async fn verify_redirect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match follow_link(&shared, &headers, query.get("token").map(String::as_str)) {
        Ok((location, cookie)) => (
            StatusCode::FOUND,
            [(header::LOCATION, location)],
            [(header::SET_COOKIE, cookie)],
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

/// Consumes the link, logs the user in (creating them on first login, opening a browser
/// session) and returns the redirect to `redirect_uri` with `code` and `state`, plus the
/// session cookie.
fn follow_link(
    shared: &Shared,
    headers: &HeaderMap,
    token: Option<&str>,
) -> Result<(String, HeaderValue), OAuthError> {
    let token = token.ok_or_else(|| OAuthError::missing("token"))?;
    let link = shared
        .store()
        .flows
        .passwordless
        .links
        .remove(token)
        .ok_or_else(|| {
            OAuthError::invalid_request("This magic link is invalid or was already used.")
        })?;
    if crate::tenant::clock::now() >= link.expires_at {
        return Err(OAuthError::invalid_request(
            "This magic link has expired. Please try to login again.",
        ));
    }
    let text = |key: &str| {
        link.auth_params
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let organization = text("organization")
        .map(|o| find_organization(shared, &o).map(|org| org.id.clone()))
        .transpose()?;
    let mut location = url::Url::parse(&link.redirect_uri).map_err(|_| {
        OAuthError::server_error("The magic link's redirect_uri is not an absolute URL.")
    })?;
    let user = shared.passwordless_user("email", &link.recipient);

    let browser = &shared.browser;
    let (key, session) = browser.open_session(
        session_cookie(headers).as_deref(),
        &user.user_id,
        organization.clone(),
    );
    browser.add_client(&key, &link.client_id);
    let scope = text("scope").unwrap_or_else(|| "openid".to_owned());
    let code = browser.issue_code(
        CodeGrant {
            client_id: link.client_id.clone(),
            redirect_uri: link.redirect_uri.clone(),
            code_challenge: None,
            code_challenge_method: None,
            nonce: text("nonce"),
            scopes: split_scope(&scope),
            audience: text("audience"),
            organization,
            authorization_details: None,
            auth_time: session.auth_time,
            sid: session.sid,
            user_id: user.user_id.clone(),
        },
        shared.tenant.browser.code_lifetime,
    );
    {
        let mut pairs = location.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(state) = text("state") {
            pairs.append_pair("state", &state);
        }
    }
    Ok((location.into(), set_session_cookie(Some(&key))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_and_email_checks() {
        for ok in ["+14155550100", "+12", "+123456789012345"] {
            assert!(is_e164(ok), "{ok}");
        }
        for bad in [
            "14155550100",
            "+04155550100",
            "+1",
            "+1234567890123456",
            "+1 415",
            "",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
        assert!(looks_like_email("a@b.co"));
        assert!(
            !looks_like_email("a@b") && !looks_like_email("@b.c") && !looks_like_email("a b@c.d")
        );
        assert_eq!(
            recipient_key("email", "A@B.c"),
            recipient_key("email", "a@b.C")
        );
        assert_ne!(recipient_key("sms", "+1"), recipient_key("email", "+1"));
    }

    #[test]
    fn debug_hides_codes_and_links() {
        let m = PasswordlessMessage {
            connection: "email".into(),
            recipient: "a@b.c".into(),
            client_id: "c".into(),
            code: "987654".into(),
            link: Some("http://x/passwordless/verify_redirect?token=secret-link".into()),
            language: None,
            auth_params: None,
        };
        let shown = format!("{m:?}");
        assert!(!shown.contains("987654") && !shown.contains("secret-link"));
    }
}
