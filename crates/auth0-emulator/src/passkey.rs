//! Passkeys: `POST /passkey/register` and `POST /passkey/challenge` open an `auth_session`
//! (single use, five minutes, bound to the client) with a WebAuthn challenge; the passkey grant
//! ([`crate::grants`]) then checks the browser's credential ([`crate::webauthn`]) and signs the
//! user up (storing the credential) or logs them in (verifying the assertion with the stored
//! key).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::config::{DEFAULT_CONNECTION, OrganizationConfig, UserConfig};
use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::error::OAuthError;
use crate::flows::find_organization;
use crate::mfa::random_hex;
use crate::params::Params;
use crate::state::{Shared, random_token};
use crate::webauthn::{Ceremony, CredentialKey, NewCredential, ParsedAssertion};

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

/// A passkey ceremony in progress.
#[derive(Clone)]
pub(crate) struct AuthSession {
    /// The client that opened it.
    pub client_id: String,
    /// Sign-up (`Create`) or login (`Get`).
    pub ceremony: Ceremony,
    /// The challenge, base64url.
    pub challenge: String,
    /// The sign-up profile (`user_profile`).
    pub profile: Map<String, Value>,
    /// The sign-up's WebAuthn user handle (`user.id`, base64url); empty for logins.
    pub user_handle: String,
    /// The realm (connection) asked for.
    pub realm: Option<String>,
    /// The organization (id) asked for.
    pub organization: Option<String>,
    expires_at: Instant,
    used: bool,
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession")
            .field("client_id", &self.client_id)
            .field("ceremony", &self.ceremony)
            .field("realm", &self.realm)
            .field("organization", &self.organization)
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

/// A registered passkey.
#[derive(Debug, Clone)]
struct StoredPasskey {
    user_id: String,
    /// The WebAuthn user handle, base64url.
    user_handle: String,
    key: CredentialKey,
    sign_count: u32,
}

/// Passkey state: sessions by `auth_session`, credentials by id (base64url).
#[derive(Default)]
pub(crate) struct PasskeyState {
    sessions: HashMap<String, AuthSession>,
    credentials: HashMap<String, StoredPasskey>,
}

impl fmt::Debug for PasskeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyState")
            .field("sessions", &self.sessions.len())
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

impl PasskeyState {
    fn has_passkey(&self, user_id: &str) -> bool {
        self.credentials.values().any(|c| c.user_id == user_id)
    }
}

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
            crate::config::ClientAuthMethod::Secret(expected) => {
                crate::client_auth::secrets_equal(given, expected)
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
        let now = crate::clock::now();
        sessions.retain(|_, s| s.expires_at > now);
    }
    sessions.insert(id.clone(), session);
    id
}

/// The identifier a profile signs up with: email, else username, else phone number.
fn identifier(profile: &Map<String, Value>) -> Option<&str> {
    ["email", "username", "phone_number"]
        .iter()
        .find_map(|k| profile.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// A configured or run-time user of connection `realm` known by `login`.
fn find_user(shared: &Shared, realm: &str, login: &str) -> Option<UserConfig> {
    let matches = |u: &&UserConfig| u.connection == realm && u.matches_login(login);
    if let Some(user) = shared.tenant.users.iter().find(matches) {
        return Some(user.clone());
    }
    shared.store().flows.users.iter().find(matches).cloned()
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
            expires_at: crate::clock::now() + SESSION_LIFETIME,
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
            expires_at: crate::clock::now() + SESSION_LIFETIME,
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

/// Uses up `auth_session` for `client_id` and returns it. Unknown, used, expired or another
/// client's sessions are `403 invalid_grant` (another client's attempt does not use it up).
pub(crate) fn take_session(
    shared: &Shared,
    auth_session: &str,
    client_id: &str,
) -> Result<AuthSession, OAuthError> {
    let mut data = shared.factors.data();
    let session = data
        .passkeys
        .sessions
        .get_mut(auth_session)
        .ok_or_else(|| OAuthError::invalid_grant("Unknown auth_session."))?;
    if session.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "The auth_session was issued to another client.",
        ));
    }
    if session.used {
        return Err(OAuthError::invalid_grant(
            "The auth_session was already used.",
        ));
    }
    if crate::clock::now() >= session.expires_at {
        return Err(OAuthError::invalid_grant("The auth_session has expired."));
    }
    session.used = true;
    Ok(session.clone())
}

/// Signs up the user of a sign-up `session` in `realm` with the verified credential: the
/// existing user with that identifier (who has no passkey yet), else a new user (id
/// `auth0|<24 hex>`, member of `organization`). Returns the user.
pub(crate) fn sign_up(
    shared: &Shared,
    session: &AuthSession,
    realm: &str,
    credential: NewCredential,
    organization: Option<&OrganizationConfig>,
) -> Result<UserConfig, OAuthError> {
    let login = identifier(&session.profile)
        .ok_or_else(|| OAuthError::invalid_request("The sign-up profile has no identifier."))?;
    let existing = find_user(shared, realm, login);
    if let (Some(user), Some(org)) = (&existing, organization)
        && !user.organizations.contains(&org.id)
    {
        return Err(OAuthError::access_denied(format!(
            "User is not a member of organization {}.",
            org.id
        )));
    }
    let user = existing.clone().unwrap_or_else(|| {
        let mut user = UserConfig::new(login, &random_token(24))
            .connection(realm)
            .user_id(&format!("auth0|{}", random_hex(12)));
        if let Some(name) = session.profile.get("name").and_then(Value::as_str) {
            user = user.name(name);
        }
        if let Some(org) = organization {
            user = user.organization(&org.id);
        }
        user
    });
    {
        let mut data = shared.factors.data();
        let passkeys = &mut data.passkeys;
        if passkeys.credentials.contains_key(&credential.id) {
            return Err(OAuthError::invalid_grant(
                "This credential is already registered.",
            ));
        }
        if passkeys.has_passkey(&user.user_id) {
            return Err(OAuthError::invalid_request(format!(
                "A user with {login} already has a passkey in {realm}; log in with it instead."
            )));
        }
        passkeys.credentials.insert(
            credential.id,
            StoredPasskey {
                user_id: user.user_id.clone(),
                user_handle: session.user_handle.clone(),
                key: credential.key,
                sign_count: credential.sign_count,
            },
        );
    }
    if existing.is_none() {
        shared.store().flows.users.push(user.clone());
    }
    Ok(user)
}

/// Logs in with a checked assertion: finds the credential, verifies the signature with its
/// stored key and the signature counter, and returns its user (who must be in `realm`, when
/// one was asked for).
pub(crate) fn log_in(
    shared: &Shared,
    assertion: &ParsedAssertion,
    realm: Option<&str>,
) -> Result<UserConfig, OAuthError> {
    let user_id = {
        let mut data = shared.factors.data();
        let stored = data
            .passkeys
            .credentials
            .get_mut(&assertion.credential_id)
            .ok_or_else(|| {
                OAuthError::invalid_grant(
                    "Unknown passkey: the credential was not registered with this tenant.",
                )
            })?;
        if let Some(handle) = &assertion.user_handle
            && URL_SAFE_NO_PAD.encode(handle) != stored.user_handle
        {
            return Err(OAuthError::invalid_grant(
                "The userHandle does not belong to this credential.",
            ));
        }
        if !stored.key.verify(&assertion.signed, &assertion.signature) {
            return Err(OAuthError::invalid_grant(
                "The assertion signature does not verify with the credential's public key.",
            ));
        }
        if (assertion.sign_count != 0 || stored.sign_count != 0)
            && assertion.sign_count <= stored.sign_count
        {
            return Err(OAuthError::invalid_grant(format!(
                "The signature counter did not increase (stored {}, got {}): the authenticator \
                 may be cloned.",
                stored.sign_count, assertion.sign_count
            )));
        }
        stored.sign_count = assertion.sign_count;
        stored.user_id.clone()
    };
    let user = shared
        .user_by_id(&user_id)
        .ok_or_else(|| OAuthError::invalid_grant("The user of this passkey no longer exists."))?;
    if let Some(realm) = realm
        && user.connection != realm
    {
        return Err(OAuthError::invalid_grant(format!(
            "This passkey belongs to a user of connection {}, not {realm}.",
            user.connection
        )));
    }
    Ok(user)
}

// ----- builder and handle -----------------------------------------------------------------

impl EmulatorBuilder {
    /// The WebAuthn relying party passkeys are bound to: its id (a domain, e.g. `localhost`)
    /// and the origin ceremonies must come from (e.g. `http://localhost:3000`). Defaults:
    /// `localhost` and `http://localhost:3000`.
    pub fn passkey_rp(mut self, rp_id: &str, origin: &str) -> Self {
        rp_id.clone_into(&mut self.factors.passkey_rp_id);
        origin.clone_into(&mut self.factors.passkey_origin);
        self
    }
}

impl RunningEmulator {
    /// The ids (base64url) of the passkeys registered for `user_id`.
    pub fn passkey_credential_ids(&self, user_id: &str) -> Vec<String> {
        let data = self.shared().factors.data();
        let mut ids: Vec<String> = data
            .passkeys
            .credentials
            .iter()
            .filter(|(_, c)| c.user_id == user_id)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}
