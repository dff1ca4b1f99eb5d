//! The resource-owner password grant (for highly trusted applications that cannot redirect).

use secrecy::{ExposeSecret, SecretString};

use crate::client::AuthClient;
use crate::error::{ErrorCode, Result};
use crate::grants::required;
use crate::token::{TokenRequest, TokenResponse};

/// A resource-owner password request.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::PasswordRequest;
///
/// let tokens = client
///     .get_token_by_password(
///         PasswordRequest::new("user@example.com", "password123".into())
///             .realm("Username-Password-Authentication")
///             .scope("openid profile email")
///             .auth0_forwarded_for("203.0.113.7"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PasswordRequest {
    username: String,
    password: SecretString,
    realm: Option<String>,
    audience: Option<String>,
    scope: Option<String>,
    forwarded_for: Option<String>,
}

impl PasswordRequest {
    /// Signs in `username` with `password` (a plain string becomes one with `.into()`).
    pub fn new(username: impl Into<String>, password: SecretString) -> Self {
        Self {
            username: username.into(),
            password,
            realm: None,
            audience: None,
            scope: None,
            forwarded_for: None,
        }
    }

    /// The database connection to check the password against.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The API the access token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The requested scope (include `openid` to get an ID token).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The end user's IP address, sent as `auth0-forwarded-for` for brute-force protection.
    pub fn auth0_forwarded_for(mut self, ip: impl Into<String>) -> Self {
        self.forwarded_for = Some(ip.into());
        self
    }
}

impl AuthClient {
    /// Signs a user in with username and password (`password` grant).
    pub async fn get_token_by_password(&self, request: PasswordRequest) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByPassword;
        required(&request.username, "the username", code)?;
        required(request.password.expose_secret(), "the password", code)?;
        let mut grant = TokenRequest::new(code, "password")
            .param("username", request.username)
            .param("password", request.password.expose_secret())
            .opt("audience", request.audience)
            .opt("scope", request.scope)
            .opt("realm", request.realm);
        if let Some(ip) = &request.forwarded_for {
            grant = grant.header("auth0-forwarded-for", ip)?;
        }
        self.request_token(grant).await
    }
}
