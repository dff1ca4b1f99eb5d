//! Multi-factor authentication (`client.mfa()`): list, enroll, challenge and delete
//! authenticators with the `mfa_token` of an `mfa_required` answer, then verify to finish the
//! sign-in.
//!
//! ```no_run
//! # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
//! use auth0_auth::{EnrollRequest, Enrollment, MfaVerification, PasswordRequest, SecretString};
//!
//! let err = client
//!     .get_token_by_password(PasswordRequest::new("jane@example.com", "pw".into()))
//!     .await
//!     .unwrap_err();
//! let mfa_token = SecretString::from(err.mfa_token().unwrap_or_default());
//! let mfa = client.mfa(mfa_token);
//! if let Enrollment::Otp(otp) = mfa.enroll_authenticator(EnrollRequest::otp()).await? {
//!     // show otp.barcode_uri as a QR code; the user types the code from their app:
//!     let tokens = mfa.verify(MfaVerification::otp("123456".into())).await?;
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, Result};
use crate::grants::required;
use crate::http::Request;
use crate::token::{TokenRequest, TokenResponse};
use crate::values::path_segment;

/// An out-of-band channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OobChannel {
    /// A text message.
    Sms,
    /// A voice call.
    Voice,
    /// A push notification to the Auth0 Guardian app.
    Auth0,
    /// An email.
    Email,
}

/// The kind of an authenticator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthenticatorType {
    /// A one-time-password app.
    Otp,
    /// An out-of-band channel (SMS, voice, push, email).
    Oob,
    /// A recovery code.
    RecoveryCode,
    /// A kind this version does not know.
    #[serde(other)]
    Other,
}

/// An enrolled authenticator.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Authenticator {
    /// Its id (for challenge and delete).
    pub id: String,
    /// Its kind.
    pub authenticator_type: AuthenticatorType,
    /// Whether enrollment was confirmed.
    pub active: bool,
    /// A display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The channels of an OOB authenticator.
    #[serde(default)]
    pub oob_channels: Option<Vec<OobChannel>>,
    /// The server's own `type` label.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// What to enroll.
#[derive(Clone, Debug)]
pub struct EnrollRequest {
    authenticator_type: AuthenticatorType,
    oob_channels: Vec<OobChannel>,
    phone_number: Option<String>,
    email: Option<String>,
}

impl EnrollRequest {
    /// A one-time-password app (the answer carries the secret and a `otpauth://` URI).
    pub fn otp() -> Self {
        Self {
            authenticator_type: AuthenticatorType::Otp,
            oob_channels: Vec::new(),
            phone_number: None,
            email: None,
        }
    }

    /// An out-of-band authenticator on these channels.
    pub fn oob(channels: impl IntoIterator<Item = OobChannel>) -> Self {
        Self {
            authenticator_type: AuthenticatorType::Oob,
            oob_channels: channels.into_iter().collect(),
            phone_number: None,
            email: None,
        }
    }

    /// The phone number for SMS or voice.
    pub fn phone_number(mut self, phone: impl Into<String>) -> Self {
        self.phone_number = Some(phone.into());
        self
    }

    /// The address for email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
}

/// A new OTP enrollment.
#[derive(Clone, Debug, Deserialize)]
pub struct OtpEnrollment {
    /// The shared TOTP secret (base32).
    pub secret: SecretString,
    /// The `otpauth://` URI to show as a QR code (it contains the secret).
    pub barcode_uri: SecretString,
    /// Recovery codes, on the first enrollment.
    #[serde(default)]
    pub recovery_codes: Option<Vec<SecretString>>,
    /// The authenticator id.
    #[serde(default)]
    pub id: Option<String>,
}

/// A new OOB enrollment.
#[derive(Clone, Debug, Deserialize)]
pub struct OobEnrollment {
    /// The channel used.
    pub oob_channel: OobChannel,
    /// The code to verify the enrollment with.
    #[serde(default)]
    pub oob_code: Option<SecretString>,
    /// `prompt` when the user must type a binding code.
    #[serde(default)]
    pub binding_method: Option<String>,
    /// The authenticator id.
    #[serde(default)]
    pub id: Option<String>,
    /// For push: the URI to show as a QR code.
    #[serde(default)]
    pub barcode_uri: Option<SecretString>,
    /// Recovery codes, on the first enrollment.
    #[serde(default)]
    pub recovery_codes: Option<Vec<SecretString>>,
}

/// The answer of an enrollment.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "authenticator_type", rename_all = "lowercase")]
pub enum Enrollment {
    /// An OTP app.
    Otp(OtpEnrollment),
    /// An out-of-band channel.
    Oob(OobEnrollment),
}

/// The kind of challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeType {
    /// Ask for a code from an OTP app.
    Otp,
    /// Send a code out of band.
    Oob,
}

/// What to challenge.
#[derive(Clone, Debug)]
pub struct ChallengeRequest {
    challenge_type: ChallengeType,
    authenticator_id: Option<String>,
}

impl ChallengeRequest {
    /// A challenge of this kind.
    pub fn new(challenge_type: ChallengeType) -> Self {
        Self {
            challenge_type,
            authenticator_id: None,
        }
    }

    /// Challenge this authenticator (from [`Mfa::list_authenticators`]).
    pub fn authenticator_id(mut self, id: impl Into<String>) -> Self {
        self.authenticator_id = Some(id.into());
        self
    }
}

/// The answer of a challenge.
#[derive(Clone, Debug, Deserialize)]
pub struct Challenge {
    /// The kind of challenge.
    pub challenge_type: ChallengeType,
    /// For OOB: the code to verify with.
    #[serde(default)]
    pub oob_code: Option<SecretString>,
    /// `prompt` when the user must type a binding code.
    #[serde(default)]
    pub binding_method: Option<String>,
}

/// How the user proves the second factor.
#[derive(Clone, Debug)]
pub struct MfaVerification {
    grant_type: &'static str,
    field: &'static str,
    value: SecretString,
    binding_code: Option<SecretString>,
    audience: Option<String>,
}

impl MfaVerification {
    fn new(grant_type: &'static str, field: &'static str, value: SecretString) -> Self {
        Self {
            grant_type,
            field,
            value,
            binding_code: None,
            audience: None,
        }
    }

    /// A code from an OTP app.
    pub fn otp(code: SecretString) -> Self {
        Self::new("http://auth0.com/oauth/grant-type/mfa-otp", "otp", code)
    }

    /// The `oob_code` of an enrollment or challenge.
    pub fn oob(oob_code: SecretString) -> Self {
        Self::new(
            "http://auth0.com/oauth/grant-type/mfa-oob",
            "oob_code",
            oob_code,
        )
    }

    /// A recovery code; the answer carries the next one in
    /// [`TokenResponse::recovery_code`].
    pub fn recovery_code(code: SecretString) -> Self {
        Self::new(
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            "recovery_code",
            code,
        )
    }

    /// The code the user read from the out-of-band message (`binding_code`).
    pub fn binding_code(mut self, code: SecretString) -> Self {
        self.binding_code = Some(code);
        self
    }

    /// The API the access token is for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
}

/// The MFA API of a client for one sign-in in progress: see [`AuthClient::mfa`].
///
/// Every call presents the `mfa_token` it was made with; `Debug` redacts it.
#[derive(Clone, Debug)]
pub struct Mfa<'a> {
    client: &'a AuthClient,
    mfa_token: SecretString,
}

impl AuthClient {
    /// The MFA API for a user who got `mfa_required`, with the `mfa_token` of that answer
    /// ([`Error::mfa_token`](crate::Error::mfa_token)). An empty token fails every call with
    /// an `InvalidInput` error before any request.
    pub fn mfa(&self, mfa_token: SecretString) -> Mfa<'_> {
        Mfa {
            client: self,
            mfa_token,
        }
    }
}

impl Mfa<'_> {
    fn url(&self, path: &str, code: ErrorCode) -> Result<Url> {
        self.client
            .inner
            .base
            .join(path)
            .map_err(|_| Error::invalid_input(code, "the MFA path cannot be built"))
    }

    fn bearer(&self, request: Request) -> Result<Request> {
        let mfa_token = self.mfa_token.expose_secret();
        required(mfa_token, "the mfa_token", request.code)?;
        request.header("authorization", &format!("Bearer {mfa_token}"))
    }

    /// The user's authenticators (`GET /mfa/authenticators`).
    pub async fn list_authenticators(&self) -> Result<Vec<Authenticator>> {
        let code = ErrorCode::MfaListAuthenticators;
        let request = Request::new(
            Method::GET,
            self.url("mfa/authenticators", code)?,
            code,
            "the MFA authenticators endpoint",
        );
        let request = self.bearer(request)?;
        self.client.send(request).await?.json()
    }

    /// Enrolls an authenticator (`POST /mfa/associate`).
    pub async fn enroll_authenticator(&self, enroll: EnrollRequest) -> Result<Enrollment> {
        let code = ErrorCode::MfaEnrollment;
        let mut body = Map::new();
        let kind = match enroll.authenticator_type {
            AuthenticatorType::Oob => "oob",
            _ => "otp",
        };
        body.insert("authenticator_types".into(), Value::from(vec![kind]));
        if enroll.authenticator_type == AuthenticatorType::Oob {
            if enroll.oob_channels.is_empty() {
                return Err(Error::invalid_input(
                    code,
                    "an OOB enrollment needs at least one channel",
                ));
            }
            body.insert(
                "oob_channels".into(),
                serde_json::to_value(&enroll.oob_channels).unwrap_or_default(),
            );
        }
        if let Some(phone) = enroll.phone_number {
            body.insert("phone_number".into(), phone.into());
        }
        if let Some(email) = enroll.email {
            body.insert("email".into(), email.into());
        }
        let request = Request::new(
            Method::POST,
            self.url("mfa/associate", code)?,
            code,
            "the MFA associate endpoint",
        )
        .json(&Value::Object(body));
        let request = self.bearer(request)?;
        self.client.send(request).await?.json()
    }

    /// Deletes an authenticator (`DELETE /mfa/authenticators/{id}`), by the
    /// [`id`](Authenticator::id) of [`list_authenticators`](Self::list_authenticators).
    ///
    /// The id becomes one path segment, encoded like JavaScript's `encodeURIComponent`
    /// (`totp|dev_1` is sent as `totp%7Cdev_1`). An id that could change the path instead
    /// (empty, `.`, `..`, `%2e`, …) fails with an `InvalidInput` error before any request.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, mfa_token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
    /// let mfa = client.mfa(mfa_token);
    /// for authenticator in mfa.list_authenticators().await? {
    ///     if !authenticator.active {
    ///         mfa.delete_authenticator(&authenticator.id).await?;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete_authenticator(&self, authenticator_id: &str) -> Result<()> {
        let code = ErrorCode::MfaDeleteAuthenticator;
        required(authenticator_id, "the authenticator id", code)?;
        let encoded = path_segment(authenticator_id)
            .map_err(|why| Error::invalid_input(code, format!("the authenticator id {why}")))?;
        let url = self.url(&format!("mfa/authenticators/{encoded}"), code)?;
        let request = Request::new(Method::DELETE, url, code, "the MFA authenticators endpoint");
        let request = self.bearer(request)?;
        self.client.send(request).await?.success().map(|_| ())
    }

    /// Starts a challenge (`POST /mfa/challenge`): for OOB this sends the code.
    pub async fn challenge_authenticator(&self, challenge: ChallengeRequest) -> Result<Challenge> {
        let code = ErrorCode::MfaChallenge;
        let mfa_token = self.mfa_token.expose_secret();
        required(mfa_token, "the mfa_token", code)?;
        let inner = &self.client.inner;
        let mut body = Map::new();
        body.insert("mfa_token".into(), mfa_token.into());
        let auth = inner
            .auth
            .fields(&inner.client_id, inner.base.as_str())
            .map_err(|e| e.in_operation(code))?;
        auth.into_json(&mut body);
        body.insert(
            "challenge_type".into(),
            serde_json::to_value(challenge.challenge_type).unwrap_or_default(),
        );
        if let Some(id) = challenge.authenticator_id {
            body.insert("authenticator_id".into(), id.into());
        }
        let request = Request::new(
            Method::POST,
            self.url("mfa/challenge", code)?,
            code,
            "the MFA challenge endpoint",
        )
        .json(&Value::Object(body));
        self.client.send(request).await?.json()
    }

    /// Finishes the sign-in with the second factor (the MFA grants of the token endpoint).
    pub async fn verify(&self, verification: MfaVerification) -> Result<TokenResponse> {
        let code = ErrorCode::MfaVerify;
        let mfa_token = self.mfa_token.expose_secret();
        required(mfa_token, "the mfa_token", code)?;
        required(verification.value.expose_secret(), "the code", code)?;
        let grant = TokenRequest::new(code, verification.grant_type)
            .param("mfa_token", mfa_token)
            .param(verification.field, verification.value.expose_secret())
            .opt(
                "binding_code",
                verification
                    .binding_code
                    .as_ref()
                    .map(|b| b.expose_secret()),
            )
            .opt("audience", verification.audience);
        self.client.request_token(grant).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrollments_are_read_by_their_type() {
        let otp: Enrollment = serde_json::from_str(
            r#"{"authenticator_type":"otp","secret":"JBSWY3DPEHPK3PXP","barcode_uri":"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP","recovery_codes":["ABC"]}"#,
        )
        .unwrap();
        assert!(matches!(otp, Enrollment::Otp(_)));
        assert!(!format!("{otp:?}").contains("JBSWY3DPEHPK3PXP"));
        let oob: Enrollment = serde_json::from_str(
            r#"{"authenticator_type":"oob","oob_channel":"sms","oob_code":"c","binding_method":"prompt"}"#,
        )
        .unwrap();
        let Enrollment::Oob(oob) = oob else {
            panic!("oob")
        };
        assert_eq!(oob.oob_channel, OobChannel::Sms);
    }

    #[test]
    fn authenticators_tolerate_unknown_types() {
        let list: Vec<Authenticator> = serde_json::from_str(
            r#"[{"id":"totp|1","authenticator_type":"otp","active":true},{"id":"x","authenticator_type":"webauthn-roaming","active":false,"type":"x"}]"#,
        )
        .unwrap();
        assert_eq!(list[1].authenticator_type, AuthenticatorType::Other);
    }
}
