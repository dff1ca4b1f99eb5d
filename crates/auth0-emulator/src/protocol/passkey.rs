//! The passkey steps that know no HTTP: taking a ceremony's `auth_session`, registering the
//! credential of a sign-up, checking the assertion of a login, and finding a user by login.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::protocol::webauthn::{NewCredential, ParsedAssertion};
use crate::tenant::config::{OrganizationConfig, UserConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::passkey::{AuthSession, StoredPasskey};
use crate::tenant::state::{Shared, random_hex, random_token};

/// The identifier a profile signs up with: email, else username, else phone number.
pub(crate) fn identifier(profile: &Map<String, Value>) -> Option<&str> {
    ["email", "username", "phone_number"]
        .iter()
        .find_map(|k| profile.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// A configured or run-time user of connection `realm` known by `login`.
pub(crate) fn find_user(shared: &Shared, realm: &str, login: &str) -> Option<UserConfig> {
    let matches = |u: &&UserConfig| u.connection == realm && u.matches_login(login);
    if let Some(user) = shared.tenant.users.iter().find(matches) {
        return Some(user.clone());
    }
    shared.store().flows.users.iter().find(matches).cloned()
}

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
    if crate::tenant::clock::now() >= session.expires_at {
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
