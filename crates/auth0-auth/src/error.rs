//! The one error type of this crate.
//!
//! Every failure is an [`Error`]. Callers tell failures apart three ways:
//!
//! - [`Error::code`]: which operation failed, as the reference SDK's code strings
//!   (`token_by_code_error`, `missing_client_auth_error`, …; see [`ErrorCode`]);
//! - [`Error::kind`]: what went wrong underneath (the server refused, the network failed,
//!   the response was not understood, a token did not validate, …; see [`ErrorKind`]);
//! - [`Error::oauth`]: the authorization server's own OAuth error when it sent one, including
//!   `mfa_token` and `mfa_requirements` for `mfa_required` answers.
//!
//! Messages name what was wrong and never contain a secret, a token or a password.

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which operation failed, spelled as the reference SDK's error codes.
///
/// `code().as_str()` gives the exact string (for example `"token_by_code_error"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Exchanging an authorization code (or magic-link code) failed.
    TokenByCode,
    /// The refresh-token grant failed.
    TokenByRefreshToken,
    /// The client-credentials grant failed.
    TokenByClientCredentials,
    /// The resource-owner password grant failed.
    TokenByPassword,
    /// A token exchange (RFC 8693 or Token Vault) failed.
    TokenExchange,
    /// The deprecated token-for-connection call failed.
    TokenForConnection,
    /// Client-initiated back-channel authentication failed.
    BackchannelAuthentication,
    /// Building an authorization URL (including PAR) failed.
    BuildAuthorizationUrl,
    /// Building an account-link URL failed.
    BuildLinkUserUrl,
    /// Building an account-unlink URL failed.
    BuildUnlinkUserUrl,
    /// A back-channel logout token did not verify.
    VerifyLogoutToken,
    /// The operation needs a confidential client but none of client secret, signing key or
    /// mTLS was configured.
    MissingClientAuth,
    /// The organization in an ID token did not match the expected one.
    OrganizationValidation,
    /// The operation is not supported by the configuration or the tenant.
    NotSupported,
    /// The tenant has no pushed authorization request endpoint.
    ParNotSupported,
    /// mTLS was requested without a caller-supplied HTTP client carrying the certificate.
    MtlsWithoutCustomFetch,
    /// The client configuration given to the builder is invalid.
    InvalidConfiguration,
    /// Fetching or validating the tenant's discovery document failed.
    Discovery,
    /// Validating an ID token failed.
    IdTokenValidation,
    /// Listing MFA authenticators failed.
    MfaListAuthenticators,
    /// Enrolling an MFA authenticator failed.
    MfaEnrollment,
    /// Deleting an MFA authenticator failed.
    MfaDeleteAuthenticator,
    /// Challenging an MFA authenticator failed.
    MfaChallenge,
    /// Verifying an MFA challenge failed.
    MfaVerify,
    /// Starting a passwordless flow (`/passwordless/start`) failed.
    PasswordlessStart,
    /// Exchanging a passwordless one-time code failed.
    PasswordlessVerify,
    /// Requesting a passkey sign-up challenge failed.
    PasskeyRegister,
    /// Requesting a passkey login challenge failed.
    PasskeyChallenge,
    /// Exchanging a passkey credential for tokens failed.
    PasskeyGetToken,
    /// The user-info request failed or its subject did not match.
    UserInfo,
    /// Revoking a token failed.
    TokenRevocation,
    /// A database-connection sign-up failed.
    SignUp,
    /// A database-connection password change failed.
    ChangePassword,
    /// A one-time-code challenge on a database connection failed.
    PasswordlessChallenge,
    /// Exchanging a database-connection one-time code failed.
    PasswordlessDbGetToken,
    /// An anonymous-session call failed.
    AnonymousSession,
    /// The device authorization flow failed.
    DeviceAuthorization,
}

impl ErrorCode {
    /// The reference SDK's code string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenByCode => "token_by_code_error",
            Self::TokenByRefreshToken => "token_by_refresh_token_error",
            Self::TokenByClientCredentials => "token_by_client_credentials_error",
            Self::TokenByPassword => "token_by_password_error",
            Self::TokenExchange => "token_exchange_error",
            Self::TokenForConnection => "token_for_connection_error",
            Self::BackchannelAuthentication => "backchannel_authentication_error",
            Self::BuildAuthorizationUrl => "build_authorization_url_error",
            Self::BuildLinkUserUrl => "build_link_user_url_error",
            Self::BuildUnlinkUserUrl => "build_unlink_user_url_error",
            Self::VerifyLogoutToken => "verify_logout_token_error",
            Self::MissingClientAuth => "missing_client_auth_error",
            Self::OrganizationValidation => "organization_validation_error",
            Self::NotSupported => "not_supported_error",
            Self::ParNotSupported => "par_not_supported_error",
            Self::MtlsWithoutCustomFetch => "mtls_without_custom_fetch_not_supported",
            Self::InvalidConfiguration => "invalid_configuration_error",
            Self::Discovery => "discovery_error",
            Self::IdTokenValidation => "id_token_validation_error",
            Self::MfaListAuthenticators => "mfa_list_authenticators_error",
            Self::MfaEnrollment => "mfa_enrollment_error",
            Self::MfaDeleteAuthenticator => "mfa_delete_authenticator_error",
            Self::MfaChallenge => "mfa_challenge_error",
            Self::MfaVerify => "mfa_verify_error",
            Self::PasswordlessStart => "passwordless_start_error",
            Self::PasswordlessVerify => "passwordless_verify_error",
            Self::PasskeyRegister => "passkey_register_error",
            Self::PasskeyChallenge => "passkey_challenge_error",
            Self::PasskeyGetToken => "passkey_get_token_error",
            Self::UserInfo => "user_info_error",
            Self::TokenRevocation => "token_revocation_error",
            Self::SignUp => "signup_error",
            Self::ChangePassword => "change_password_error",
            Self::PasswordlessChallenge => "passwordless_challenge_error",
            Self::PasswordlessDbGetToken => "passwordless_db_get_token_error",
            Self::AnonymousSession => "anonymous_session_error",
            Self::DeviceAuthorization => "device_authorization_error",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong underneath, independent of the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client was configured wrongly (reported by `build()` or before any request).
    Configuration,
    /// An argument was refused before any request was sent.
    InvalidInput,
    /// The operation needs something the client or tenant does not have.
    NotSupported,
    /// The server answered with an OAuth error (see [`Error::oauth`]).
    OAuth,
    /// The server answered with a non-success status and no OAuth error body.
    HttpStatus,
    /// The request could not be sent or the connection failed.
    Transport,
    /// The request did not complete within its timeout.
    Timeout,
    /// The response body was larger than the configured limit.
    ResponseTooLarge,
    /// The response could not be understood (not JSON, missing fields, wrong types).
    InvalidResponse,
    /// A token (ID token, logout token) failed validation.
    TokenValidation,
    /// The discovery document is unusable (for example its issuer does not match).
    Discovery,
}

/// An OAuth 2.0 error answered by the authorization server.
#[derive(Clone, Deserialize)]
pub struct OAuthError {
    /// The `error` code, for example `invalid_grant` or `mfa_required`.
    pub error: String,
    /// The human-readable `error_description`, when given.
    #[serde(default)]
    pub error_description: Option<String>,
    /// For `mfa_required`: the token to continue with the MFA API.
    #[serde(default)]
    pub mfa_token: Option<SecretString>,
    /// For `mfa_required`: which factors may be challenged or enrolled.
    #[serde(default)]
    pub mfa_requirements: Option<MfaRequirements>,
}

impl fmt::Debug for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthError")
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("mfa_token", &self.mfa_token.as_ref().map(|_| "[redacted]"))
            .field("mfa_requirements", &self.mfa_requirements)
            .finish()
    }
}

/// The factors an `mfa_required` answer allows.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct MfaRequirements {
    /// Factors the user already has and may be challenged with.
    #[serde(default)]
    pub challenge: Option<Vec<MfaFactor>>,
    /// Factors the user may enroll.
    #[serde(default)]
    pub enroll: Option<Vec<MfaFactor>>,
}

/// One factor type in [`MfaRequirements`].
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct MfaFactor {
    /// The factor type: `otp`, `oob`, `recovery-code`, `email`, `phone`, `push-notification`, …
    #[serde(rename = "type")]
    pub factor_type: String,
}

/// What the server answered, kept on errors that came from an HTTP response.
///
/// `Debug` shows the status and headers but only the size of the body: a body can hold tokens
/// (a recorded token answer, the `mfa_token` of an `mfa_required` answer). Read
/// [`body`](Self::body) itself when you need it.
#[derive(Clone)]
pub struct HttpDetails {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, minus sensitive ones (`set-cookie`, `authorization`, …).
    pub headers: Vec<(String, String)>,
    /// The response body as text (cut to a few kilobytes).
    pub body: String,
}

impl fmt::Debug for HttpDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpDetails")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field(
                "body",
                &format_args!("[{} bytes, not shown]", self.body.len()),
            )
            .finish()
    }
}

impl HttpDetails {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// The error of every fallible operation in this crate.
///
/// ```
/// # async fn demo(client: auth0_auth::AuthClient) {
/// use auth0_auth::{ClientCredentialsRequest, ErrorKind};
///
/// match client
///     .get_token_by_client_credentials(ClientCredentialsRequest::new("https://api.example.com/"))
///     .await
/// {
///     Ok(tokens) => println!("expires at {}", tokens.expires_at),
///     Err(e) if e.kind() == ErrorKind::OAuth => {
///         println!("{}: refused with {:?}", e.code(), e.oauth().map(|o| &o.error))
///     }
///     Err(e) => println!("failed: {e}"),
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Error {
    code: ErrorCode,
    kind: ErrorKind,
    message: String,
    oauth: Option<Box<OAuthError>>,
    http: Option<Box<HttpDetails>>,
    source: Option<Source>,
}

impl Error {
    pub(crate) fn new(code: ErrorCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            code,
            kind,
            message: message.into(),
            oauth: None,
            http: None,
            source: None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::InvalidConfiguration,
            ErrorKind::Configuration,
            message,
        )
    }

    pub(crate) fn invalid_input(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(code, ErrorKind::InvalidInput, message)
    }

    pub(crate) fn missing_client_auth() -> Self {
        Self::new(
            ErrorCode::MissingClientAuth,
            ErrorKind::Configuration,
            "The client secret or client assertion signing key must be provided.",
        )
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn with_oauth(mut self, oauth: OAuthError) -> Self {
        self.oauth = Some(Box::new(oauth));
        self
    }

    pub(crate) fn with_http(mut self, http: HttpDetails) -> Self {
        self.http = Some(Box::new(http));
        self
    }

    /// Adds text to the end of the message.
    pub(crate) fn append_message(&mut self, text: &str) {
        self.message.push_str(text);
    }

    /// Re-labels an error that happened inside an operation with that operation's code,
    /// prefixing the message with context. Configuration-level codes are kept.
    pub(crate) fn in_operation(mut self, code: ErrorCode) -> Self {
        let keep = matches!(
            self.code,
            ErrorCode::MissingClientAuth
                | ErrorCode::OrganizationValidation
                | ErrorCode::ParNotSupported
                | ErrorCode::MtlsWithoutCustomFetch
                | ErrorCode::NotSupported
        );
        if !keep {
            self.code = code;
        }
        self
    }

    /// Which operation failed, as the reference SDK's code (see [`ErrorCode::as_str`]).
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// What went wrong underneath.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the code.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server's OAuth error, when it answered with one.
    pub fn oauth(&self) -> Option<&OAuthError> {
        self.oauth.as_deref()
    }

    /// The HTTP status, filtered headers and body text, when the error came from a response.
    pub fn http(&self) -> Option<&HttpDetails> {
        self.http.as_deref()
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        self.http.as_ref().map(|h| h.status)
    }

    /// Whether the server answered `mfa_required`; continue with [`Error::mfa_token`].
    pub fn is_mfa_required(&self) -> bool {
        self.oauth
            .as_ref()
            .is_some_and(|o| o.error == "mfa_required")
    }

    /// The `mfa_token` of an `mfa_required` answer.
    pub fn mfa_token(&self) -> Option<&str> {
        self.oauth
            .as_ref()
            .and_then(|o| o.mfa_token.as_ref())
            .map(|t| t.expose_secret())
    }

    /// The `mfa_requirements` of an `mfa_required` answer.
    pub fn mfa_requirements(&self) -> Option<&MfaRequirements> {
        self.oauth
            .as_ref()
            .and_then(|o| o.mfa_requirements.as_ref())
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code.as_str())
            .field("kind", &self.kind)
            .field("message", &self.message);
        if let Some(o) = &self.oauth {
            d.field("oauth", o);
        }
        if let Some(h) = &self.http {
            d.field("status", &h.status);
        }
        if let Some(s) = &self.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_reference_strings() {
        assert_eq!(ErrorCode::TokenByCode.as_str(), "token_by_code_error");
        assert_eq!(
            ErrorCode::MtlsWithoutCustomFetch.as_str(),
            "mtls_without_custom_fetch_not_supported"
        );
        assert_eq!(
            ErrorCode::ParNotSupported.as_str(),
            "par_not_supported_error"
        );
    }

    #[test]
    fn mfa_required_exposes_token_and_requirements_but_debug_hides_the_token() {
        let oauth: OAuthError = serde_json::from_str(
            r#"{"error":"mfa_required","error_description":"Multifactor authentication required",
               "mfa_token":"very-secret-mfa-token","mfa_requirements":{"challenge":[{"type":"otp"}]}}"#,
        )
        .unwrap();
        let err =
            Error::new(ErrorCode::TokenByPassword, ErrorKind::OAuth, "refused").with_oauth(oauth);
        assert!(err.is_mfa_required());
        assert_eq!(err.mfa_token(), Some("very-secret-mfa-token"));
        let reqs = err.mfa_requirements().unwrap();
        assert_eq!(reqs.challenge.as_ref().unwrap()[0].factor_type, "otp");
        assert!(!format!("{err:?}").contains("very-secret-mfa-token"));
        assert!(!format!("{err}").contains("very-secret-mfa-token"));
    }

    #[test]
    fn in_operation_keeps_configuration_codes() {
        let e = Error::missing_client_auth().in_operation(ErrorCode::TokenExchange);
        assert_eq!(e.code(), ErrorCode::MissingClientAuth);
        let e = Error::new(ErrorCode::Discovery, ErrorKind::Transport, "x")
            .in_operation(ErrorCode::TokenExchange);
        assert_eq!(e.code(), ErrorCode::TokenExchange);
    }
}
