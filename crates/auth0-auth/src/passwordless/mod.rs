//! Passwordless: start a login by email (code or magic link) or SMS with
//! `client.passwordless()`, then exchange the one-time code with
//! [`AuthClient::get_token_by_passwordless_email`] / [`AuthClient::get_token_by_passwordless_sms`].

use reqwest::Method;
use serde_json::{Map, Value};

use crate::authorize::AuthorizationParams;
use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, Result};
use crate::http::Request;

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
        inner.transport.send(request).await?.success().map(|_| ())
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
