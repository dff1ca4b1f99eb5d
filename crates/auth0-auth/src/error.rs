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
    /// Introspecting a token failed (RFC 7662).
    TokenIntrospection,
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
            Self::TokenIntrospection => "token_introspection_error",
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
    /// A token was presented a second time (a back-channel logout token whose `jti` a
    /// [`LogoutTokenReplayGuard`](crate::LogoutTokenReplayGuard) has seen).
    Replayed,
    /// A local, bounded resource is full (a replay guard at capacity); retrying later can
    /// succeed.
    Overloaded,
}

/// Whose fault an [`Error`] is, and so what an application does about it; see
/// [`Error::class`] for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The deployment is wrong: configuration, credentials, the tenant's setup, TLS roots, a
    /// server that is not the tenant expected. Alert the operator; retrying does not help, and
    /// the end user cannot fix it.
    Operator,
    /// The request or the user's input was refused: a wrong password, a used or expired code,
    /// a denied consent, MFA needed, a token that does not validate. Tell the user (or refuse
    /// the caller); do not retry the same request.
    Request,
    /// A passing fault: the network, a timeout, a 5xx answer, rate limiting, `slow_down`.
    /// The same request may succeed later (with back-off).
    Transient,
}

impl ErrorClass {
    /// A stable lower-case name: `operator`, `request` or `transient` (for logs and metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Request => "request",
            Self::Transient => "transient",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest message an [`Error`] keeps, in characters; longer ones are cut and marked.
pub(crate) const MAX_MESSAGE_CHARS: usize = 2048;

/// Makes text that came from outside (a server's answer, a callback URL) safe to put in a log
/// line (CWE-117): control characters (CR, LF, tab, escape, C1 controls, …), line and paragraph
/// separators, zero-width characters and Unicode bidirectional controls (U+061C, U+200E,
/// U+200F, U+202A–U+202E, U+2066–U+2069) are written as visible escapes (`\n`, `\u{202e}`), and
/// the text is cut after `max_chars` characters with a visible marker.
pub(crate) fn escape_untrusted(text: &str, max_chars: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str("…[truncated]");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that can break, forge or hide part of a log line.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Writes untrusted text as a quoted, escaped string (for `Debug`).
struct Untrusted<'a>(&'a str);

impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", escape_untrusted(self.0, MAX_MESSAGE_CHARS))
    }
}

/// An OAuth 2.0 error answered by the authorization server.
///
/// `error` and `error_description` are the server's text as sent: **untrusted**. They may
/// hold line breaks, control or bidirectional-override characters and any length; escape them
/// before writing them to a log or a page. [`Error`]'s `Display` and this type's `Debug` do so.
#[derive(Clone, Deserialize)]
pub struct OAuthError {
    /// The `error` code, for example `invalid_grant` or `mfa_required` (untrusted text).
    pub error: String,
    /// The human-readable `error_description`, when given (untrusted text).
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
            .field("error", &Untrusted(&self.error))
            .field(
                "error_description",
                &self.error_description.as_deref().map(Untrusted),
            )
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

/// What the server answered, kept on errors that came from an HTTP response. The header values
/// and the body are the server's text as sent: untrusted (escape before logging).
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
/// # Whose fault, and what to answer
///
/// [`class`](Self::class) sorts every error into an [`ErrorClass`], and
/// [`suggested_http_status`](Self::suggested_http_status) proposes a status for an
/// application's own endpoint when the error ends its request. The first matching row wins:
///
/// | when | class | status |
/// |---|---|---|
/// | code `missing_client_auth_error`, `mtls_without_custom_fetch_not_supported`, `invalid_configuration_error`, `par_not_supported_error`, `not_supported_error` | `Operator` | 500 |
/// | code `organization_validation_error` | `Request` | 403 |
/// | kind `Configuration`, `NotSupported`, `Discovery` (issuer mismatch, bad endpoints) | `Operator` | 500 |
/// | kind `InvalidInput` (refused before sending) | `Request` | 400 |
/// | kind `Transport` failing in TLS (untrusted certificate, no CA roots) | `Operator` | 500 |
/// | kind `Transport`, `Timeout` | `Transient` | 503 |
/// | kind `Overloaded` (a full replay guard) | `Transient` | 503 |
/// | kind `ResponseTooLarge` | `Operator` | 500 |
/// | kind `InvalidResponse` or `HttpStatus` with status 429 | `Transient` | 429 |
/// | kind `InvalidResponse` or `HttpStatus` with status 408, 425 or 5xx | `Transient` | 503 |
/// | kind `InvalidResponse` or `HttpStatus`, any other status (a 2xx that is not understood, a 404, a redirect: not the tenant expected) | `Operator` | 500 |
/// | kind `TokenValidation` of a logout token | `Request` | 400 |
/// | kind `TokenValidation` (ID tokens) | `Request` | 401 |
/// | kind `Replayed` | `Request` | 400 |
/// | OAuth `invalid_client`, `unauthorized_client`, `unsupported_grant_type`, `unsupported_response_type`, `invalid_scope`, `invalid_dpop_proof`, `invalid_client_metadata`, `invalid_redirect_uri` | `Operator` | 500 |
/// | OAuth `temporarily_unavailable`, `server_error`, `slow_down`, `authorization_pending`, `use_dpop_nonce` | `Transient` | 503 |
/// | OAuth `too_many_requests` | `Transient` | 429 |
/// | OAuth `too_many_attempts` (the user is blocked for a while) | `Request` | 429 |
/// | OAuth `access_denied`, `unauthorized`, `consent_required` | `Request` | 403 |
/// | OAuth `mfa_required`, `login_required`, `interaction_required` | `Request` | 401 |
/// | any other OAuth error with status 401 | `Operator` | 500 |
/// | any other OAuth error with status 403 | `Request` | 403 |
/// | any other OAuth error with status 429 | `Transient` | 429 |
/// | any other OAuth error with status 408 or 5xx | `Transient` | 503 |
/// | any other OAuth error (`invalid_grant`, `invalid_request`, `expired_token`, …) | `Request` | 400 |
///
/// Server text is untrusted: [`message`](Self::message), `Display` and `Debug` show it escaped
/// and capped; the raw values are in [`oauth`](Self::oauth) and [`http`](Self::http).
///
/// ```
/// # async fn demo(client: auth0_auth::AuthClient) {
/// use auth0_auth::{ClientCredentialsRequest, ErrorKind};
///
/// match client
///     .get_token_by_client_credentials(ClientCredentialsRequest::new().audience("https://api.example.com/"))
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
    /// An error with `message`, escaped and capped (see [`escape_untrusted`]) so that no
    /// server or callback text quoted in it can forge or hide a log line.
    pub(crate) fn new(code: ErrorCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = if message.chars().any(needs_escape) || message.len() > MAX_MESSAGE_CHARS {
            escape_untrusted(&message, MAX_MESSAGE_CHARS)
        } else {
            message
        };
        Self {
            code,
            kind,
            message,
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
        self.message
            .push_str(&escape_untrusted(text, MAX_MESSAGE_CHARS));
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

    /// The message, without the code. Text quoted from a server or a callback URL is escaped
    /// in it (control and bidirectional characters made visible, length capped), so it is safe
    /// for one log line; the raw values stay in [`oauth`](Self::oauth) and
    /// [`http`](Self::http), untrusted.
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

    /// Whose fault this is (see the table in [`Error`]'s documentation).
    pub fn class(&self) -> ErrorClass {
        self.classify().0
    }

    /// Whether the same request may succeed later ([`ErrorClass::Transient`]).
    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    /// The HTTP status an application's own endpoint might answer with when this error ends
    /// the request: 500 for operator faults; 400, 401, 403 or 429 for refused requests; 503 or
    /// 429 for transient faults (see the table in [`Error`]'s documentation). A suggestion:
    /// nothing here is sent anywhere.
    pub fn suggested_http_status(&self) -> u16 {
        self.classify().1
    }

    fn classify(&self) -> (ErrorClass, u16) {
        use ErrorClass::{Operator, Request, Transient};
        const OPERATOR: (ErrorClass, u16) = (Operator, 500);
        const TRANSIENT: (ErrorClass, u16) = (Transient, 503);
        match self.code {
            ErrorCode::MissingClientAuth
            | ErrorCode::MtlsWithoutCustomFetch
            | ErrorCode::InvalidConfiguration
            | ErrorCode::ParNotSupported
            | ErrorCode::NotSupported => return OPERATOR,
            ErrorCode::OrganizationValidation => return (Request, 403),
            _ => {}
        }
        let status = self.status();
        let by_status = |status: Option<u16>| match status {
            Some(429) => (Transient, 429),
            Some(408 | 425) => TRANSIENT,
            Some(s) if s >= 500 => TRANSIENT,
            _ => OPERATOR,
        };
        match self.kind {
            ErrorKind::Configuration | ErrorKind::NotSupported | ErrorKind::Discovery => OPERATOR,
            ErrorKind::InvalidInput => (Request, 400),
            ErrorKind::Transport if self.is_tls_failure() => OPERATOR,
            ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Overloaded => TRANSIENT,
            ErrorKind::ResponseTooLarge => OPERATOR,
            ErrorKind::InvalidResponse | ErrorKind::HttpStatus => by_status(status),
            ErrorKind::TokenValidation if self.code == ErrorCode::VerifyLogoutToken => {
                (Request, 400)
            }
            ErrorKind::TokenValidation => (Request, 401),
            ErrorKind::Replayed => (Request, 400),
            ErrorKind::OAuth => {
                let error = self.oauth.as_ref().map_or("", |o| o.error.as_str());
                match error {
                    "invalid_client"
                    | "unauthorized_client"
                    | "unsupported_grant_type"
                    | "unsupported_response_type"
                    | "invalid_scope"
                    | "invalid_dpop_proof"
                    | "invalid_client_metadata"
                    | "invalid_redirect_uri" => OPERATOR,
                    "temporarily_unavailable"
                    | "server_error"
                    | "slow_down"
                    | "authorization_pending"
                    | "use_dpop_nonce" => TRANSIENT,
                    "too_many_requests" => (Transient, 429),
                    "too_many_attempts" => (Request, 429),
                    "access_denied" | "unauthorized" | "consent_required" => (Request, 403),
                    "mfa_required" | "login_required" | "interaction_required" => (Request, 401),
                    _ => match status {
                        Some(401) => OPERATOR,
                        Some(403) => (Request, 403),
                        Some(s) if s == 429 || s >= 500 || s == 408 => by_status(status),
                        _ => (Request, 400),
                    },
                }
            }
            // A kind added later and not classified yet: the operator should look.
            #[allow(unreachable_patterns)]
            _ => OPERATOR,
        }
    }

    /// Whether the transport failed in TLS (a certificate the system does not trust, missing
    /// CA roots): a deployment problem, not a passing one.
    fn is_tls_failure(&self) -> bool {
        let mut next: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        // Source chains are short; the bound only guards against a cycle.
        for _ in 0..32 {
            let Some(err) = next else { return false };
            if err.is::<rustls::Error>() {
                return true;
            }
            // io::Error's `source` skips the error it wraps (reqwest's chain is an io::Error
            // wrapping an io::Error wrapping the rustls error), so step into it instead.
            next = match err
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => err.source(),
            };
        }
        false
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
    fn untrusted_text_cannot_forge_or_hide_a_log_line() {
        let hostile = "bad\r\nINFO login ok user=admin\u{1b}[2J\u{202e}txt.exe\u{2066}x\u{2069}\u{200e}\u{200f}\u{061c}\u{2028}\u{feff}\t\u{85}";
        let shown = escape_untrusted(hostile, 1000);
        assert!(!shown.chars().any(needs_escape), "unescaped: {shown:?}");
        for visible in [
            "\\r\\n",
            "\\u{1b}",
            "\\u{202e}",
            "\\u{2066}",
            "\\u{2069}",
            "\\u{200e}",
            "\\u{200f}",
            "\\u{61c}",
            "\\u{2028}",
            "\\u{feff}",
            "\\t",
            "\\u{85}",
        ] {
            assert!(shown.contains(visible), "{visible} missing in {shown}");
        }
        // Every bidi override and isolate, one by one.
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            assert!(!escape_untrusted(&c.to_string(), 10).contains(c));
        }
        // Ordinary text, including non-Latin scripts, is kept as is.
        assert_eq!(
            escape_untrusted("Mot de passe erroné — 密码错误", 100),
            "Mot de passe erroné — 密码错误"
        );
        // Length is capped, visibly.
        let long = escape_untrusted(&"x".repeat(5000), 100);
        assert!(
            long.starts_with(&"x".repeat(100)) && long.ends_with("[truncated]"),
            "{long}"
        );
        assert_eq!(long.chars().filter(|c| *c == 'x').count(), 100);
    }

    #[test]
    fn display_debug_and_message_escape_server_text_while_oauth_keeps_it_raw() {
        let oauth: OAuthError = serde_json::from_str(
            r#"{"error":"invalid_grant\nFAKE","error_description":"no\r\n2026 INFO admin logged in \u202egnp.exe"}"#,
        )
        .unwrap();
        let e = Error::new(
            ErrorCode::TokenByPassword,
            ErrorKind::OAuth,
            format!(
                "refused: {}: {}",
                oauth.error,
                oauth.error_description.as_deref().unwrap()
            ),
        )
        .with_oauth(oauth);
        for shown in [e.to_string(), format!("{e:?}"), e.message().to_string()] {
            assert!(!shown.contains('\n') && !shown.contains('\r'), "{shown}");
            assert!(!shown.contains('\u{202e}'), "{shown}");
            assert!(shown.contains("\\u{202e}"), "{shown}");
        }
        // The raw value is still there for whoever wants it.
        assert_eq!(e.oauth().unwrap().error, "invalid_grant\nFAKE");
        let mut e = Error::config("base");
        e.append_message("\nappended\u{2067}");
        assert_eq!(e.message(), "base\\nappended\\u{2067}");
        let huge = Error::config("y".repeat(10_000));
        assert!(huge.message().chars().count() < MAX_MESSAGE_CHARS + 20);
    }

    fn oauth_error(code: ErrorCode, status: u16, error: &str) -> Error {
        let oauth: OAuthError =
            serde_json::from_value(serde_json::json!({ "error": error })).unwrap();
        Error::new(code, ErrorKind::OAuth, "refused")
            .with_http(HttpDetails {
                status,
                headers: Vec::new(),
                body: String::new(),
            })
            .with_oauth(oauth)
    }

    fn status_error(kind: ErrorKind, status: u16) -> Error {
        Error::new(ErrorCode::TokenByPassword, kind, "x").with_http(HttpDetails {
            status,
            headers: Vec::new(),
            body: String::new(),
        })
    }

    #[test]
    fn every_row_of_the_classification_table() {
        use ErrorClass::{Operator, Request, Transient};
        let code = ErrorCode::TokenByPassword;
        let rows: Vec<(&str, Error, ErrorClass, u16)> = vec![
            ("configuration", Error::config("x"), Operator, 500),
            (
                "missing client auth",
                Error::missing_client_auth(),
                Operator,
                500,
            ),
            (
                "mtls without client",
                Error::new(
                    ErrorCode::MtlsWithoutCustomFetch,
                    ErrorKind::Configuration,
                    "x",
                ),
                Operator,
                500,
            ),
            (
                "par not supported",
                Error::new(ErrorCode::ParNotSupported, ErrorKind::NotSupported, "x"),
                Operator,
                500,
            ),
            (
                "not supported",
                Error::new(code, ErrorKind::NotSupported, "x"),
                Operator,
                500,
            ),
            (
                "discovery",
                Error::new(ErrorCode::Discovery, ErrorKind::Discovery, "x"),
                Operator,
                500,
            ),
            (
                "invalid input",
                Error::invalid_input(code, "x"),
                Request,
                400,
            ),
            (
                "transport",
                Error::new(code, ErrorKind::Transport, "x"),
                Transient,
                503,
            ),
            (
                "tls failure",
                Error::new(code, ErrorKind::Transport, "x").with_source(std::io::Error::other(
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        rustls::Error::General("no CA roots".into()),
                    ),
                )),
                Operator,
                500,
            ),
            (
                "timeout",
                Error::new(code, ErrorKind::Timeout, "x"),
                Transient,
                503,
            ),
            (
                "too large",
                Error::new(code, ErrorKind::ResponseTooLarge, "x"),
                Operator,
                500,
            ),
            (
                "invalid response 200",
                status_error(ErrorKind::InvalidResponse, 200),
                Operator,
                500,
            ),
            (
                "invalid response 502",
                status_error(ErrorKind::InvalidResponse, 502),
                Transient,
                503,
            ),
            (
                "http 500",
                status_error(ErrorKind::HttpStatus, 500),
                Transient,
                503,
            ),
            (
                "http 429",
                status_error(ErrorKind::HttpStatus, 429),
                Transient,
                429,
            ),
            (
                "http 408",
                status_error(ErrorKind::HttpStatus, 408),
                Transient,
                503,
            ),
            (
                "http 404",
                status_error(ErrorKind::HttpStatus, 404),
                Operator,
                500,
            ),
            (
                "id token",
                Error::new(
                    ErrorCode::IdTokenValidation,
                    ErrorKind::TokenValidation,
                    "x",
                ),
                Request,
                401,
            ),
            (
                "logout token",
                Error::new(
                    ErrorCode::VerifyLogoutToken,
                    ErrorKind::TokenValidation,
                    "x",
                ),
                Request,
                400,
            ),
            (
                "replayed",
                Error::new(ErrorCode::VerifyLogoutToken, ErrorKind::Replayed, "x"),
                Request,
                400,
            ),
            (
                "overloaded",
                Error::new(ErrorCode::VerifyLogoutToken, ErrorKind::Overloaded, "x"),
                Transient,
                503,
            ),
            (
                "organization",
                Error::new(
                    ErrorCode::OrganizationValidation,
                    ErrorKind::TokenValidation,
                    "x",
                ),
                Request,
                403,
            ),
            (
                "invalid_client",
                oauth_error(code, 401, "invalid_client"),
                Operator,
                500,
            ),
            (
                "unauthorized_client",
                oauth_error(code, 403, "unauthorized_client"),
                Operator,
                500,
            ),
            (
                "unsupported_grant_type",
                oauth_error(code, 400, "unsupported_grant_type"),
                Operator,
                500,
            ),
            (
                "invalid_scope",
                oauth_error(code, 400, "invalid_scope"),
                Operator,
                500,
            ),
            (
                "invalid_grant",
                oauth_error(code, 400, "invalid_grant"),
                Request,
                400,
            ),
            (
                "invalid_request",
                oauth_error(code, 400, "invalid_request"),
                Request,
                400,
            ),
            (
                "expired_token",
                oauth_error(code, 400, "expired_token"),
                Request,
                400,
            ),
            (
                "access_denied",
                oauth_error(code, 403, "access_denied"),
                Request,
                403,
            ),
            (
                "unauthorized",
                oauth_error(code, 401, "unauthorized"),
                Request,
                403,
            ),
            (
                "mfa_required",
                oauth_error(code, 403, "mfa_required"),
                Request,
                401,
            ),
            (
                "too_many_attempts",
                oauth_error(code, 429, "too_many_attempts"),
                Request,
                429,
            ),
            (
                "too_many_requests",
                oauth_error(code, 429, "too_many_requests"),
                Transient,
                429,
            ),
            (
                "temporarily_unavailable",
                oauth_error(code, 503, "temporarily_unavailable"),
                Transient,
                503,
            ),
            (
                "server_error",
                oauth_error(code, 500, "server_error"),
                Transient,
                503,
            ),
            (
                "slow_down",
                oauth_error(code, 400, "slow_down"),
                Transient,
                503,
            ),
            (
                "unknown 401",
                oauth_error(code, 401, "something_new"),
                Operator,
                500,
            ),
            (
                "unknown 403",
                oauth_error(code, 403, "something_new"),
                Request,
                403,
            ),
            (
                "unknown 429",
                oauth_error(code, 429, "something_new"),
                Transient,
                429,
            ),
            (
                "unknown 5xx",
                oauth_error(code, 502, "something_new"),
                Transient,
                503,
            ),
            (
                "unknown 400",
                oauth_error(code, 400, "something_new"),
                Request,
                400,
            ),
        ];
        for (row, e, class, status) in rows {
            assert_eq!(
                (e.class(), e.suggested_http_status()),
                (class, status),
                "{row}"
            );
            assert_eq!(e.is_retryable(), class == Transient, "{row}");
        }
        assert_eq!(ErrorClass::Transient.to_string(), "transient");
        assert_eq!(ErrorClass::Operator.as_str(), "operator");
        assert_eq!(ErrorClass::Request.as_str(), "request");
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
