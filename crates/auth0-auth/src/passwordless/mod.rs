//! Passwordless: start a login by email (code or magic link) or SMS with
//! `client.passwordless()`, then exchange the one-time code with
//! [`AuthClient::get_token_by_passwordless_email`] / [`AuthClient::get_token_by_passwordless_sms`].

use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::authorize::AuthorizationParams;
use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, Result};
use crate::http::Request;
use crate::values::{AuthSession, Connection};

/// Whether `phone` is an E.164 number (`+` then 2 to 15 digits, the first not 0).
pub(crate) fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// What an email carries: a one-time code or a magic link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PasswordlessSend {
    /// A one-time code the user types in (the default).
    #[default]
    Code,
    /// A link that logs the user in when clicked.
    Link,
}

/// An email to start a passwordless login.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::{AuthorizationParams, PasswordlessSend, SendEmailRequest};
///
/// client
///     .passwordless()
///     .send_email(
///         SendEmailRequest::new("jane@example.com")
///             .send(PasswordlessSend::Link)
///             .auth_params(AuthorizationParams::new().redirect_uri("https://app.example.com/cb"))
///             .language("fr"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SendEmailRequest {
    email: String,
    send: PasswordlessSend,
    auth_params: Option<AuthorizationParams>,
    language: Option<String>,
}

impl SendEmailRequest {
    /// Emails `email` a one-time code.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            send: PasswordlessSend::Code,
            auth_params: None,
            language: None,
        }
    }

    /// A code (default) or a magic link.
    pub fn send(mut self, send: PasswordlessSend) -> Self {
        self.send = send;
        self
    }

    /// Authorization parameters of the magic link (`authParams`; links only).
    pub fn auth_params(mut self, params: AuthorizationParams) -> Self {
        self.auth_params = Some(params);
        self
    }

    /// The language of the email template (`x-request-language`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
}

/// A text message to start a passwordless login.
#[derive(Clone, Debug)]
pub struct SendSmsRequest {
    phone_number: String,
    language: Option<String>,
}

impl SendSmsRequest {
    /// Texts a one-time code to `phone_number` (E.164, such as `+14155550100`).
    pub fn new(phone_number: impl Into<String>) -> Self {
        Self {
            phone_number: phone_number.into(),
            language: None,
        }
    }

    /// The language of the message template (`x-request-language`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
}

/// The passwordless API of a client: see [`AuthClient::passwordless`].
#[derive(Clone, Copy, Debug)]
pub struct Passwordless<'a> {
    client: &'a AuthClient,
}

impl AuthClient {
    /// Starts passwordless logins (`/passwordless/start`).
    pub fn passwordless(&self) -> Passwordless<'_> {
        Passwordless { client: self }
    }
}

impl Passwordless<'_> {
    /// Emails a one-time code or a magic link.
    pub async fn send_email(&self, request: SendEmailRequest) -> Result<()> {
        let code = ErrorCode::PasswordlessStart;
        crate::grants::required(&request.email, "the email", code)?;
        let mut body = Map::new();
        body.insert("connection".into(), "email".into());
        body.insert("email".into(), request.email.into());
        let send = match request.send {
            PasswordlessSend::Code => "code",
            PasswordlessSend::Link => "link",
        };
        body.insert("send".into(), send.into());
        if let (PasswordlessSend::Link, Some(params)) = (request.send, &request.auth_params) {
            let object: Map<String, Value> = params
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect();
            body.insert("authParams".into(), Value::Object(object));
        }
        self.start(body, request.language.as_deref()).await
    }

    /// Texts a one-time code. The number must be E.164; others are refused before any
    /// request.
    pub async fn send_sms(&self, request: SendSmsRequest) -> Result<()> {
        let code = ErrorCode::PasswordlessStart;
        if !is_e164(&request.phone_number) {
            return Err(Error::invalid_input(
                code,
                "Phone number must be in E.164 format (e.g. +14155550100).",
            ));
        }
        let mut body = Map::new();
        body.insert("connection".into(), "sms".into());
        body.insert("phone_number".into(), request.phone_number.into());
        self.start(body, request.language.as_deref()).await
    }

    async fn start(&self, mut body: Map<String, Value>, language: Option<&str>) -> Result<()> {
        let code = ErrorCode::PasswordlessStart;
        let inner = &self.client.inner;
        let url = inner
            .base
            .join("passwordless/start")
            .map_err(|_| Error::config("the domain cannot carry the passwordless path"))?;
        // Client authentication in the body; an assertion's audience is the tenant base URL.
        inner
            .auth
            .fields(&inner.client_id, inner.base.as_str())
            .map_err(|e| e.in_operation(code))?
            .into_json(&mut body);
        let mut request = Request::new(Method::POST, url, code, "the passwordless start endpoint")
            .json(&Value::Object(body));
        if let Some(language) = language {
            request = request.header("x-request-language", language)?;
        }
        self.client.send(request).await?.success().map(|_| ())
    }
}

/// How a one-time code reaches a phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryMethod {
    /// A text message.
    Text,
    /// A voice call.
    Voice,
}

/// A one-time-code challenge on a database connection configured for email or phone OTP.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::{Connection, OtpChallengeRequest, PasswordlessDbTokenRequest};
///
/// let db = Connection::new("Username-Password-Authentication");
/// let challenge = client
///     .passwordless()
///     .challenge_with_email(OtpChallengeRequest::new("jane@example.com", db))
///     .await?;
/// // the user types the code from the email:
/// let tokens = client
///     .passwordless()
///     .get_token_by_passwordless_db_connection(
///         PasswordlessDbTokenRequest::new(challenge.auth_session.clone(), "123456".into())
///             .scope("openid"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OtpChallengeRequest {
    recipient: String,
    connection: Connection,
    allow_signup: bool,
    delivery_method: Option<DeliveryMethod>,
}

impl OtpChallengeRequest {
    /// Challenges `recipient` (an email, or an E.164 phone number) on `connection`.
    pub fn new(recipient: impl Into<String>, connection: Connection) -> Self {
        Self {
            recipient: recipient.into(),
            connection,
            allow_signup: false,
            delivery_method: None,
        }
    }

    /// Creates the user when they do not exist yet (default: no).
    pub fn allow_signup(mut self, allow: bool) -> Self {
        self.allow_signup = allow;
        self
    }

    /// Text or voice (phone numbers only).
    pub fn delivery_method(mut self, method: DeliveryMethod) -> Self {
        self.delivery_method = Some(method);
        self
    }
}

/// A started one-time-code challenge.
#[derive(Clone, Debug, Deserialize)]
pub struct OtpChallenge {
    /// The opaque session to send back with the code.
    pub auth_session: AuthSession,
}

/// A one-time code from a database-connection challenge, to exchange for tokens.
#[derive(Clone, Debug)]
pub struct PasswordlessDbTokenRequest {
    auth_session: AuthSession,
    otp: SecretString,
    scope: Option<String>,
    audience: Option<String>,
}

impl PasswordlessDbTokenRequest {
    /// The challenge's `auth_session` and the code the user typed.
    pub fn new(auth_session: AuthSession, otp: SecretString) -> Self {
        Self {
            auth_session,
            otp,
            scope: None,
            audience: None,
        }
    }

    /// The requested scope (include `openid` for an ID token).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API the access token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
}

impl Passwordless<'_> {
    /// Emails a one-time code for a database connection (`POST /otp/challenge`).
    pub async fn challenge_with_email(&self, request: OtpChallengeRequest) -> Result<OtpChallenge> {
        let code = ErrorCode::PasswordlessChallenge;
        crate::grants::required(&request.recipient, "the email", code)?;
        if request.delivery_method.is_some() {
            return Err(Error::invalid_input(
                code,
                "a delivery method applies to phone numbers only",
            ));
        }
        self.otp_challenge("email", request).await
    }

    /// Texts or calls a one-time code for a database connection (`POST /otp/challenge`);
    /// the number must be E.164.
    pub async fn challenge_with_phone_number(
        &self,
        request: OtpChallengeRequest,
    ) -> Result<OtpChallenge> {
        if !is_e164(&request.recipient) {
            return Err(Error::invalid_input(
                ErrorCode::PasswordlessChallenge,
                "Phone number must be in E.164 format (e.g. +14155550100).",
            ));
        }
        self.otp_challenge("phone_number", request).await
    }

    async fn otp_challenge(
        &self,
        field: &str,
        request: OtpChallengeRequest,
    ) -> Result<OtpChallenge> {
        let code = ErrorCode::PasswordlessChallenge;
        crate::grants::required(request.connection.as_str(), "the connection", code)?;
        let inner = &self.client.inner;
        let mut body = Map::new();
        body.insert(field.into(), request.recipient.into());
        body.insert("connection".into(), request.connection.as_str().into());
        body.insert("allow_signup".into(), request.allow_signup.into());
        if let Some(method) = request.delivery_method {
            let m = match method {
                DeliveryMethod::Text => "text",
                DeliveryMethod::Voice => "voice",
            };
            body.insert("delivery_method".into(), m.into());
        }
        inner
            .auth
            .fields(&inner.client_id, inner.base.as_str())
            .map_err(|e| e.in_operation(code))?
            .into_json(&mut body);
        let url = inner
            .base
            .join("otp/challenge")
            .map_err(|_| Error::config("the domain cannot carry the OTP challenge path"))?;
        let request = Request::new(Method::POST, url, code, "the OTP challenge endpoint")
            .json(&Value::Object(body));
        self.client.send(request).await?.json()
    }

    /// Exchanges the code of [`challenge_with_email`](Self::challenge_with_email) /
    /// [`challenge_with_phone_number`](Self::challenge_with_phone_number) for tokens (the
    /// passwordless OTP grant with `auth_session`). Needs a confidential client.
    pub async fn get_token_by_passwordless_db_connection(
        &self,
        request: PasswordlessDbTokenRequest,
    ) -> Result<crate::TokenResponse> {
        use secrecy::ExposeSecret;
        let code = ErrorCode::PasswordlessDbGetToken;
        crate::grants::required(
            request.auth_session.expose_secret(),
            "the auth_session",
            code,
        )?;
        crate::grants::required(request.otp.expose_secret(), "the one-time code", code)?;
        self.client
            .request_token(
                crate::token::TokenRequest::new(
                    code,
                    crate::grants::passwordless::PASSWORDLESS_OTP_GRANT,
                )
                .confidential()
                .param("auth_session", request.auth_session.expose_secret())
                .param("otp", request.otp.expose_secret())
                .opt("scope", request.scope)
                .opt("audience", request.audience),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers() {
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
            "+",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }
}
