//! The refresh-token grant.

use secrecy::SecretString;

use crate::client::AuthClient;
use crate::error::{ErrorCode, Result};
use crate::grants::required;
use crate::token::{TokenRequest, TokenResponse};

/// A refresh-token request.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, tokens: auth0_auth::TokenResponse) -> auth0_auth::Result<()> {
/// use auth0_auth::RefreshTokenRequest;
///
/// // With a multi-resource refresh token, ask for another API's token:
/// let refresh_token = tokens.refresh_token.clone().unwrap_or_default();
/// let tokens = client
///     .get_token_by_refresh_token(
///         RefreshTokenRequest::new(refresh_token)
///             .audience("https://billing.example.com/")
///             .scope("read:invoices"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RefreshTokenRequest {
    refresh_token: SecretString,
    audience: Option<String>,
    scope: Option<String>,
}

impl RefreshTokenRequest {
    /// Uses `refresh_token` (the [`TokenResponse::refresh_token`] of an earlier grant, passed
    /// back as is).
    pub fn new(refresh_token: SecretString) -> Self {
        Self {
            refresh_token,
            audience: None,
            scope: None,
        }
    }

    /// The API to get a token for (multi-resource refresh tokens).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// A narrower scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

impl AuthClient {
    /// Exchanges a refresh token for fresh tokens (`refresh_token` grant).
    pub async fn get_token_by_refresh_token(
        &self,
        request: RefreshTokenRequest,
    ) -> Result<TokenResponse> {
        use secrecy::ExposeSecret;
        let code = ErrorCode::TokenByRefreshToken;
        let token = request.refresh_token.expose_secret();
        required(token, "the refresh token", code)?;
        self.request_token(
            TokenRequest::new(code, "refresh_token")
                .param("refresh_token", token)
                .opt("audience", request.audience)
                .opt("scope", request.scope),
        )
        .await
    }
}
