//! Passkeys: `POST /passkey/register` and `POST /passkey/challenge` open an `auth_session`
//! (single use, five minutes, bound to the client) with a WebAuthn challenge; the passkey grant
//! ([`crate::endpoints::token`]) then checks the browser's credential
//! ([`crate::protocol::webauthn`]) and signs the user up (storing the credential) or logs them in
//! (verifying the assertion with the stored key).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::protocol::params::Params;
use crate::protocol::passkey::{find_user, identifier};
use crate::tenant::config::DEFAULT_CONNECTION;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::find_organization;
use crate::tenant::passkey::{AuthSession, Ceremony};
use crate::tenant::state::{Shared, random_token};

/// How long an `auth_session` stays usable.
const SESSION_LIFETIME: Duration = Duration::from_secs(300);
/// The `timeout` the options announce, in milliseconds.
const TIMEOUT_MS: u64 = 60_000;
/// Sessions kept before expired ones are swept.
const SWEEP_ABOVE: usize = 1024;
/// The profile members a sign-up may carry (all strings).
const PROFILE_FIELDS: &[&str] = &[
    "email",
    "name",
    "phone_number",
    "username",
    "given_name",
    "family_name",
    "nickname",
    "picture",
];

/// The passkey routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/passkey/register", post(register))
        .route("/passkey/challenge", post(challenge))
}

fn respond(result: Result<Value, OAuthError>) -> Response {
    match result {
        Ok(value) => {
            let mut response = (StatusCode::OK, Json(value)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

/// The registered client named by `client_id` (no credentials needed: public clients use
/// these endpoints too). A `client_secret` in the body, as SDKs send for secret clients, must
/// be that client's own.
fn known_client(shared: &Shared, params: &Params) -> Result<String, OAuthError> {
    let client_id = params.require("client_id")?;
    let Some(client) = shared.tenant.clients.get(client_id) else {
        return Err(OAuthError::invalid_client(format!(
            "Unknown client: {client_id}"
        )));
    };
    if let Some(given) = params.get("client_secret") {
        let matches = match &client.config.auth {
            crate::tenant::config::ClientAuthMethod::Secret(expected) => {
                crate::protocol::client_auth::secrets_equal(given, expected)
            }
            _ => false,
        };
        if !matches {
            return Err(OAuthError::invalid_client(
                "Client authentication failed.".to_string(),
            ));
        }
    }
    Ok(client_id.to_owned())
}

/// The optional `realm`: a database connection name.
fn realm(params: &Params) -> Result<Option<String>, OAuthError> {
    match params.get("realm") {
        Some(r @ ("email" | "sms")) => Err(OAuthError::invalid_request(format!(
            "Passkeys are not available for the passwordless connection {r}."
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// The optional `organization` (id or name), resolved to its id.
fn organization(shared: &Shared, params: &Params) -> Result<Option<String>, OAuthError> {
    params
        .get("organization")
        .map(|o| find_organization(shared, o).map(|org| org.id.clone()))
        .transpose()
}

/// Stores a new session; returns its `auth_session`.
fn open_session(shared: &Shared, session: AuthSession) -> String {
    let id = random_token(32);
    let mut data = shared.factors.data();
    let sessions = &mut data.passkeys.sessions;
    if sessions.len() > SWEEP_ABOVE {
        let now = crate::tenant::clock::now();
        sessions.retain(|_, s| s.expires_at > now);
    }
    sessions.insert(id.clone(), session);
    id
}

/// `POST /passkey/register`.
async fn register(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    respond(start_signup(&shared, &headers, &body))
}

fn start_signup(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client_id = known_client(shared, &params)?;
    let profile = match params.value("user_profile") {
        None | Some(Value::Null) => return Err(OAuthError::missing("user_profile")),
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(OAuthError::invalid_request(
                    "user_profile must be a JSON object.",
                ));
            }
        },
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "user_profile must be a JSON object.",
            ));
        }
    };
    for (key, value) in &profile {
        if PROFILE_FIELDS.contains(&key.as_str()) && !value.is_string() && !value.is_null() {
            return Err(OAuthError::invalid_request(format!(
                "user_profile.{key} must be a string."
            )));
        }
    }
    let login = identifier(&profile).ok_or_else(|| {
        OAuthError::invalid_request("user_profile needs an email, a username or a phone_number.")
    })?;
    if let Some(email) = profile.get("email").and_then(Value::as_str) {
        let valid = email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
            && !email.chars().any(char::is_whitespace);
        if !valid {
            return Err(OAuthError::invalid_request(format!(
                "user_profile.email {email:?} is not a valid email address."
            )));
        }
    }
    if let Some(metadata) = params.value("user_metadata")
        && !metadata.is_object()
        && !metadata.is_null()
    {
        return Err(OAuthError::invalid_request(
            "user_metadata must be a JSON object.",
        ));
    }
    let realm = realm(&params)?;
    let organization = organization(shared, &params)?;
    let connection = realm.as_deref().unwrap_or(DEFAULT_CONNECTION);
    if let Some(user) = find_user(shared, connection, login)
        && shared.factors.data().passkeys.has_passkey(&user.user_id)
    {
        return Err(OAuthError::invalid_request(format!(
            "A user with {login} already has a passkey in {connection}; log in with it instead."
        )));
    }

    let challenge = random_token(32);
    let user_handle = random_token(16);
    let display_name = profile
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(login)
        .to_owned();
    let login = login.to_owned();
    let auth_session = open_session(
        shared,
        AuthSession {
            client_id,
            ceremony: Ceremony::Create,
            challenge: challenge.clone(),
            profile,
            user_handle: user_handle.clone(),
            realm,
            organization,
            expires_at: crate::tenant::clock::now() + SESSION_LIFETIME,
            used: false,
        },
    );
    let rp_id = &shared.tenant.factors.passkey_rp_id;
    Ok(json!({
        "auth_session": auth_session,
        "authn_params_public_key": {
            "challenge": challenge,
            "rp": {"id": rp_id, "name": rp_id},
            "user": {"id": user_handle, "name": login, "displayName": display_name},
            "pubKeyCredParams": [
                {"type": "public-key", "alg": -7},
                {"type": "public-key", "alg": -257},
            ],
            "authenticatorSelection": {
                "residentKey": "required",
                "userVerification": "required",
            },
            "timeout": TIMEOUT_MS,
        },
    }))
}

/// `POST /passkey/challenge`.
async fn challenge(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    respond(start_login(&shared, &headers, &body))
}

fn start_login(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client_id = known_client(shared, &params)?;
    let realm = realm(&params)?;
    let organization = organization(shared, &params)?;
    let challenge = random_token(32);
    let auth_session = open_session(
        shared,
        AuthSession {
            client_id,
            ceremony: Ceremony::Get,
            challenge: challenge.clone(),
            profile: Map::new(),
            user_handle: String::new(),
            realm,
            organization,
            expires_at: crate::tenant::clock::now() + SESSION_LIFETIME,
            used: false,
        },
    );
    Ok(json!({
        "auth_session": auth_session,
        "authn_params_public_key": {
            "challenge": challenge,
            "rpId": shared.tenant.factors.passkey_rp_id,
            "timeout": TIMEOUT_MS,
            "userVerification": "required",
        },
    }))
}

// ----- what the passkey grant uses --------------------------------------------------------

// ----- builder and handle -----------------------------------------------------------------
