//! The passwordless one-time-code grant (email or SMS).

use secrecy::{ExposeSecret, SecretString};

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, Result};
use crate::grants::required;
use crate::passwordless::is_e164;
use crate::token::{TokenRequest, TokenResponse};

/// The grant type of the passwordless one-time-code grant.
pub(crate) const PASSWORDLESS_OTP_GRANT: &str =
    "http://auth0.com/oauth/grant-type/passwordless/otp";

/// A one-time code to exchange for tokens.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::PasswordlessTokenRequest;
///
/// let tokens = client
///     .get_token_by_passwordless_email(
///         PasswordlessTokenRequest::new("jane@example.com", "123456".into()).scope("openid profile"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PasswordlessTokenRequest {
    username: String,
    code: SecretString,
    audience: Option<String>,
    scope: Option<String>,
}

impl PasswordlessTokenRequest {
    /// `username` is the email address or phone number the code was sent to.
    pub fn new(username: impl Into<String>, code: SecretString) -> Self {
        Self {
            username: username.into(),
            code,
            audience: None,
            scope: None,
        }
    }

    /// The API the access token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The requested scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

impl AuthClient {
    /// Exchanges a code emailed by
    /// [`passwordless().send_email`](crate::Passwordless::send_email) (`realm=email`).
    pub async fn get_token_by_passwordless_email(
        &self,
        request: PasswordlessTokenRequest,
    ) -> Result<TokenResponse> {
        self.passwordless_otp(request, "email").await
    }

    /// Exchanges a code texted by [`passwordless().send_sms`](crate::Passwordless::send_sms)
    /// (`realm=sms`; the phone number must be E.164).
    pub async fn get_token_by_passwordless_sms(
        &self,
        request: PasswordlessTokenRequest,
    ) -> Result<TokenResponse> {
        if !is_e164(&request.username) {
            return Err(Error::invalid_input(
                ErrorCode::PasswordlessVerify,
                "Phone number must be in E.164 format (e.g. +14155550100).",
            ));
        }
        self.passwordless_otp(request, "sms").await
    }

    async fn passwordless_otp(
        &self,
        request: PasswordlessTokenRequest,
        realm: &'static str,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::PasswordlessVerify;
        required(&request.username, "the email or phone number", code)?;
        required(request.code.expose_secret(), "the one-time code", code)?;
        self.request_token(
            TokenRequest::new(code, PASSWORDLESS_OTP_GRANT)
                .param("username", request.username)
                .param("otp", request.code.expose_secret())
                .param("realm", realm)
                .opt("audience", request.audience)
                .opt("scope", request.scope),
        )
        .await
    }
}
