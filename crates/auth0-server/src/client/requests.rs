//! The request values of [`ServerClient`](super::ServerClient)'s operations: required inputs in
//! `new`, optional ones as setters, secrets as `SecretString` with redacted `Debug`.
//!
//! Imports `auth0-auth`'s value types only; the operations live in the parent module.

use std::fmt;

use auth0_auth::{
    AuthSession, AuthorizationParams, Connection, LogoutTokenReplayGuard, MfaVerification,
    PasskeyCredential, SecretString, UserId,
};
use serde_json::Value;

// In scope for the documentation's links.
#[allow(unused_imports)]
use super::ServerClient;

/// What [`ServerClient::start_interactive_login`] sends the user to Auth0 with.
#[derive(Clone, Default)]
pub struct StartInteractiveLoginRequest {
    pub(super) params: AuthorizationParams,
    pub(super) app_state: Option<Value>,
    pub(super) pushed: bool,
    pub(super) session_transfer_token: Option<SecretString>,
}

impl fmt::Debug for StartInteractiveLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartInteractiveLoginRequest")
            .field("params", &self.params)
            .field("app_state", &self.app_state)
            .field("pushed", &self.pushed)
            .field(
                "session_transfer_token",
                &self.session_transfer_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl StartInteractiveLoginRequest {
    /// A login with the client's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// This login's authorization parameters, laid over the client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }

    /// Application state given back by [`ServerClient::complete_interactive_login`] (for
    /// example where to return to). It is kept in the encrypted transaction cookie.
    pub fn app_state(mut self, state: Value) -> Self {
        self.app_state = Some(state);
        self
    }

    /// Sends the parameters with a pushed authorization request (PAR) first.
    pub fn pushed(mut self, on: bool) -> Self {
        self.pushed = on;
        self
    }

    /// Completes a session transfer: the `session_transfer_token` this application's login
    /// URL was called with (see [`ServerClient::build_session_transfer_redirect`]) goes to
    /// `/authorize`, where Auth0 logs its user in without a login form. Kept out of `Debug`.
    pub fn session_transfer_token(mut self, token: SecretString) -> Self {
        self.session_transfer_token = Some(token);
        self
    }
}

/// The callback of an interactive login.
#[derive(Clone)]
pub struct CompleteInteractiveLoginRequest {
    pub(super) callback: String,
}

impl fmt::Debug for CompleteInteractiveLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CompleteInteractiveLoginRequest { callback: [redacted] }")
    }
}

impl CompleteInteractiveLoginRequest {
    /// The callback URL (or its path and query) Auth0 redirected the browser to.
    pub fn new(callback: impl Into<String>) -> Self {
        Self {
            callback: callback.into(),
        }
    }
}

/// What a completed login gives back.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CompletedLogin {
    /// The application state the login was started with.
    pub app_state: Option<Value>,
    /// Granted rich authorization details.
    pub authorization_details: Option<Value>,
}

/// Which access token [`ServerClient::get_access_token`] returns.
#[derive(Debug, Clone, Default)]
pub struct AccessTokenRequest {
    pub(super) audience: Option<String>,
    pub(super) scope: Option<String>,
}

impl AccessTokenRequest {
    /// The token of the client's default audience.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API the token is for (multi-resource refresh tokens).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The scopes the token must carry.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

/// How [`ServerClient::logout`] ends the session.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    pub(super) return_to: String,
    pub(super) federated: bool,
}

impl LogoutRequest {
    /// Where Auth0 sends the browser after logging out.
    pub fn new(return_to: impl Into<String>) -> Self {
        Self {
            return_to: return_to.into(),
            federated: false,
        }
    }

    /// Also logs out of the upstream identity provider.
    pub fn federated(mut self, on: bool) -> Self {
        self.federated = on;
        self
    }
}

/// A back-channel logout Auth0 POSTed (`logout_token` form field).
#[derive(Clone)]
pub struct BackchannelLogoutRequest {
    pub(super) logout_token: SecretString,
    pub(super) replay_guard: Option<LogoutTokenReplayGuard>,
    pub(super) request_host: Option<String>,
}

impl fmt::Debug for BackchannelLogoutRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackchannelLogoutRequest")
            .field("logout_token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl BackchannelLogoutRequest {
    /// The logout token.
    pub fn new(logout_token: SecretString) -> Self {
        Self {
            logout_token,
            replay_guard: None,
            request_host: None,
        }
    }

    /// The host the logout was POSTed to (`Host` header): what a multi-domain client's
    /// [`DomainResolver`](crate::DomainResolver) resolves. A static-domain client ignores it.
    pub fn request_host(mut self, host: impl Into<String>) -> Self {
        self.request_host = Some(host.into());
        self
    }

    /// Refuses a token seen before.
    pub fn replay_guard(mut self, guard: &LogoutTokenReplayGuard) -> Self {
        self.replay_guard = Some(guard.clone());
        self
    }
}

/// Which account [`ServerClient::start_link_user`] links to the logged-in user.
#[derive(Debug, Clone)]
pub struct LinkUserRequest {
    pub(super) connection: Connection,
    pub(super) connection_scope: Option<String>,
    pub(super) app_state: Option<Value>,
    pub(super) params: AuthorizationParams,
}

impl LinkUserRequest {
    /// Links the user's account on `connection`.
    pub fn new(connection: Connection) -> Self {
        Self {
            connection,
            connection_scope: None,
            app_state: None,
            params: AuthorizationParams::new(),
        }
    }

    /// The scopes to ask of the linked connection.
    pub fn connection_scope(mut self, scope: impl Into<String>) -> Self {
        self.connection_scope = Some(scope.into());
        self
    }

    /// Application state given back when the link completes.
    pub fn app_state(mut self, state: Value) -> Self {
        self.app_state = Some(state);
        self
    }

    /// More authorization parameters, laid over the client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// Which account [`ServerClient::start_unlink_user`] unlinks from the logged-in user.
#[derive(Debug, Clone)]
pub struct UnlinkUserRequest {
    pub(super) connection: Connection,
    pub(super) app_state: Option<Value>,
    pub(super) params: AuthorizationParams,
}

impl UnlinkUserRequest {
    /// Unlinks the user's account on `connection`.
    pub fn new(connection: Connection) -> Self {
        Self {
            connection,
            app_state: None,
            params: AuthorizationParams::new(),
        }
    }

    /// Application state given back when the unlink completes.
    pub fn app_state(mut self, state: Value) -> Self {
        self.app_state = Some(state);
        self
    }

    /// More authorization parameters, laid over the client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// A federated connection's access token (Token Vault) for [`ServerClient::get_access_token_for_connection`].
#[derive(Debug, Clone)]
pub struct ConnectionTokenRequest {
    pub(super) connection: Connection,
    pub(super) login_hint: Option<String>,
}

impl ConnectionTokenRequest {
    /// The user's token on `connection`.
    pub fn new(connection: Connection) -> Self {
        Self {
            connection,
            login_hint: None,
        }
    }

    /// Which of the user's accounts on the connection.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }
}

/// A back-channel (CIBA) login for [`ServerClient::login_backchannel`].
#[derive(Debug, Clone)]
pub struct LoginBackchannelRequest {
    pub(super) user_id: UserId,
    pub(super) binding_message: String,
    pub(super) params: AuthorizationParams,
}

impl LoginBackchannelRequest {
    /// Asks `user_id` to approve, showing `binding_message` on their device.
    pub fn new(user_id: UserId, binding_message: impl Into<String>) -> Self {
        Self {
            user_id,
            binding_message: binding_message.into(),
            params: AuthorizationParams::new(),
        }
    }

    /// More authorization parameters (`scope`, `audience`, …), laid over the client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// Where [`ServerClient::start_passwordless`] sends a one-time code.
#[derive(Debug, Clone)]
pub struct StartPasswordlessRequest {
    pub(super) to: PasswordlessTo,
    pub(super) language: Option<String>,
    pub(super) params: AuthorizationParams,
}

#[derive(Debug, Clone)]
pub(super) enum PasswordlessTo {
    Email(String),
    Sms(String),
    /// A magic link to this address, coming back to this URL.
    EmailLink(String, String),
}

impl StartPasswordlessRequest {
    /// Emails a one-time code to `email` (the `email` connection).
    pub fn email(email: impl Into<String>) -> Self {
        Self {
            to: PasswordlessTo::Email(email.into()),
            language: None,
            params: AuthorizationParams::new(),
        }
    }

    /// Texts a one-time code to `phone_number` (E.164; the `sms` connection).
    pub fn sms(phone_number: impl Into<String>) -> Self {
        Self {
            to: PasswordlessTo::Sms(phone_number.into()),
            language: None,
            params: AuthorizationParams::new(),
        }
    }

    /// Emails a magic link to `email` that brings the browser back to `redirect_uri` (a
    /// registered callback); complete with
    /// [`complete_passwordless_magic_link`](ServerClient::complete_passwordless_magic_link).
    /// A random `state` is kept in the transaction store and checked on the way back.
    pub fn email_link(email: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        Self {
            to: PasswordlessTo::EmailLink(email.into(), redirect_uri.into()),
            language: None,
            params: AuthorizationParams::new(),
        }
    }

    /// For a magic link: more authorization parameters (`scope`, `audience`, …), laid over the
    /// client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }

    /// The language of the message (`x-request-language`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
}

/// The one-time code that completes a passwordless login ([`ServerClient::complete_passwordless`]).
#[derive(Clone)]
pub struct CompletePasswordlessRequest {
    pub(super) to: PasswordlessTo,
    pub(super) code: SecretString,
    pub(super) params: AuthorizationParams,
}

impl fmt::Debug for CompletePasswordlessRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompletePasswordlessRequest")
            .field("to", &self.to)
            .field("code", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl CompletePasswordlessRequest {
    /// The code emailed to `email`.
    pub fn email(email: impl Into<String>, code: SecretString) -> Self {
        Self {
            to: PasswordlessTo::Email(email.into()),
            code,
            params: AuthorizationParams::new(),
        }
    }

    /// The code texted to `phone_number`.
    pub fn sms(phone_number: impl Into<String>, code: SecretString) -> Self {
        Self {
            to: PasswordlessTo::Sms(phone_number.into()),
            code,
            params: AuthorizationParams::new(),
        }
    }

    /// `scope` and `audience` of the tokens, laid over the client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// An MFA verification that completes a login ([`ServerClient::complete_mfa_login`]).
pub struct MfaLoginRequest {
    pub(super) mfa_token: SecretString,
    pub(super) verification: MfaVerification,
    pub(super) audience: Option<String>,
}

impl fmt::Debug for MfaLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaLoginRequest")
            .field("mfa_token", &"[redacted]")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl MfaLoginRequest {
    /// Verifies `verification` (an OTP, OOB, or recovery code) for the `mfa_token` of an
    /// `mfa_required` answer.
    pub fn new(mfa_token: SecretString, verification: MfaVerification) -> Self {
        Self {
            mfa_token,
            verification,
            audience: None,
        }
    }

    /// The session's token-set key for the tokens (the audience the login asked for; default:
    /// the client's audience).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
}

/// A passkey credential from the browser that completes a login
/// ([`ServerClient::complete_passkey_login`]).
#[derive(Clone)]
pub struct PasskeyLoginRequest {
    pub(super) auth_session: AuthSession,
    pub(super) credential: PasskeyCredential,
    pub(super) params: AuthorizationParams,
    pub(super) realm: Option<String>,
}

impl fmt::Debug for PasskeyLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyLoginRequest")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl PasskeyLoginRequest {
    /// The credential the browser made for the challenge of `auth_session` (a sign-up's or a
    /// login's).
    pub fn new(auth_session: AuthSession, credential: PasskeyCredential) -> Self {
        Self {
            auth_session,
            credential,
            params: AuthorizationParams::new(),
            realm: None,
        }
    }

    /// `scope`, `audience` and `organization`, laid over the client's.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }

    /// The database connection.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }
}

/// An RFC 8693 custom token exchange (a Token Exchange Profile of the tenant), for
/// [`ServerClient::login_with_custom_token_exchange`] and [`ServerClient::custom_token_exchange`].
#[derive(Clone)]
pub struct CustomTokenExchangeRequest {
    pub(super) subject_token_type: String,
    pub(super) subject_token: SecretString,
    pub(super) audience: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) organization: Option<String>,
}

impl fmt::Debug for CustomTokenExchangeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomTokenExchangeRequest")
            .field("subject_token_type", &self.subject_token_type)
            .field("subject_token", &"[redacted]")
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("organization", &self.organization)
            .finish()
    }
}

impl CustomTokenExchangeRequest {
    /// Exchanges `subject_token` of the profile's `subject_token_type`.
    pub fn new(subject_token_type: impl Into<String>, subject_token: SecretString) -> Self {
        Self {
            subject_token_type: subject_token_type.into(),
            subject_token,
            audience: None,
            scope: None,
            organization: None,
        }
    }

    /// The API the token is for (default: the client's audience); also the session's
    /// token-set key.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The scopes (default: the client's scope).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The organization to log in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_request_hides_its_session_transfer_token() {
        let request = StartInteractiveLoginRequest::new()
            .session_transfer_token(SecretString::from("stt-secret-value".to_owned()));
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("stt-secret-value") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
