//! One-time codes on database connections: `POST /otp/challenge` "sends" a six-digit code to
//! a user's email or phone (recorded as an [`OtpChallengeRecord`]) and answers an
//! `auth_session`; the passwordless OTP grant then exchanges `auth_session` + `otp` for tokens
//! ([`grant`], reached from `grants/passwordless_otp.rs` when `auth_session` is sent).
//!
//! Codes live 300 seconds, are single-use, and the third wrong code invalidates the challenge.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::{Value, json};

use crate::accounts::{looks_like_email, random_hex};
use crate::client_auth::{self, secrets_equal};
use crate::config::UserConfig;
use crate::database::SignupProfile;
use crate::emulator::RunningEmulator;
use crate::error::OAuthError;
use crate::grants::GrantContext;
use crate::issue::TokenResponse;
use crate::params::Params;
use crate::passwordless::is_e164;
use crate::state::{Shared, now_secs, random_token};

/// How long a code stays usable.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Wrong codes that invalidate a challenge.
const MAX_WRONG_ATTEMPTS: u32 = 3;

/// A one-time code the tenant "sent" for `POST /otp/challenge`.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpChallengeRecord {
    /// The email address or phone number, as given.
    pub recipient: String,
    /// The database connection.
    pub connection: String,
    /// `text` or `voice` when asked for (phone numbers only).
    pub delivery_method: Option<String>,
    /// The six-digit code.
    pub code: String,
    /// The `auth_session` the challenge answered.
    pub auth_session: String,
}

impl fmt::Debug for OtpChallengeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpChallengeRecord")
            .field("recipient", &self.recipient)
            .field("connection", &self.connection)
            .field("delivery_method", &self.delivery_method)
            .field("code", &"[redacted]")
            .field("auth_session", &"[redacted]")
            .finish()
    }
}

/// A challenge waiting for its code.
struct Pending {
    client_id: String,
    connection: String,
    recipient: String,
    is_phone: bool,
    allow_signup: bool,
    code: String,
    expires_at: Instant,
    wrong_attempts: u32,
}

/// Pending challenges by `auth_session`, and every code sent.
#[derive(Default)]
pub(crate) struct OtpState {
    pending: HashMap<String, Pending>,
    records: Vec<OtpChallengeRecord>,
}

impl fmt::Debug for OtpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpState")
            .field("pending", &self.pending.len())
            .field("sent", &self.records.len())
            .finish()
    }
}

/// `POST /otp/challenge`.
pub(crate) async fn challenge_endpoint(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match challenge(&shared, &headers, &body) {
        Ok(auth_session) => {
            (StatusCode::OK, Json(json!({"auth_session": auth_session}))).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// `allow_signup`: a JSON boolean, or `"true"`/`"false"` in a form.
fn allow_signup(params: &Params) -> Result<bool, OAuthError> {
    match params.value("allow_signup") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.is_empty() || s == "false" => Ok(false),
        Some(Value::String(s)) if s == "true" => Ok(true),
        Some(_) => Err(OAuthError::invalid_request(
            "allow_signup must be true or false.",
        )),
    }
}

fn challenge(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<String, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, "/otp/challenge")?;
    let connection = params.require("connection")?;
    let (recipient, is_phone) = match (params.get("email"), params.get("phone_number")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "Send either email or phone_number, not both.",
            ));
        }
        (None, None) => {
            return Err(OAuthError::invalid_request(
                "Missing required parameter: email or phone_number (one is required).",
            ));
        }
        (Some(email), None) => {
            if !looks_like_email(email) {
                return Err(OAuthError::invalid_request(format!(
                    "email {email:?} is not a valid email address."
                )));
            }
            (email, false)
        }
        (None, Some(phone)) => {
            if !is_e164(phone) {
                return Err(OAuthError::invalid_request(format!(
                    "phone_number {phone:?} must be in E.164 format (e.g. +14155550100)."
                )));
            }
            (phone, true)
        }
    };
    let delivery_method = params.get("delivery_method");
    match delivery_method {
        None => {}
        Some(_) if !is_phone => {
            return Err(OAuthError::invalid_request(
                "delivery_method applies to phone_number only.",
            ));
        }
        Some("text" | "voice") => {}
        Some(other) => {
            return Err(OAuthError::invalid_request(format!(
                "delivery_method must be text or voice, got {other}."
            )));
        }
    }
    let allow_signup = allow_signup(&params)?;
    if !shared.is_database_connection(connection) {
        return Err(OAuthError::invalid_request(format!(
            "The connection {connection} does not exist or is not a database connection."
        )));
    }
    if !allow_signup && shared.database_user(recipient, Some(connection)).is_none() {
        return Err(OAuthError::invalid_request(format!(
            "The user does not exist on connection {connection} (send allow_signup: true to \
             create them)."
        )));
    }

    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let auth_session = random_token(32);
    let mut store = shared.store();
    let otp = &mut store.accounts.otp;
    let now = crate::clock::now();
    if otp.pending.len() >= 1024 {
        otp.pending.retain(|_, p| p.expires_at > now);
    }
    otp.pending.insert(
        auth_session.clone(),
        Pending {
            client_id: client.config.client_id.clone(),
            connection: connection.to_owned(),
            recipient: recipient.to_owned(),
            is_phone,
            allow_signup,
            code: code.clone(),
            expires_at: now + CODE_LIFETIME,
            wrong_attempts: 0,
        },
    );
    otp.records.push(OtpChallengeRecord {
        recipient: recipient.to_owned(),
        connection: connection.to_owned(),
        delivery_method: delivery_method.map(str::to_owned),
        code,
        auth_session: auth_session.clone(),
    });
    Ok(auth_session)
}

/// The passwordless OTP grant with `auth_session` and `otp` (confidential clients only):
/// checks and consumes the code, creates the user when the challenge allowed sign-up, and
/// issues tokens for `scope` (default `openid`) and `audience`.
pub(crate) fn grant(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    if ctx.client.config.is_public() {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            format!(
                "The one-time code of a database connection needs a confidential client: {} is \
                 a public client.",
                ctx.client_id()
            ),
        ));
    }
    let auth_session = ctx.params.require("auth_session")?;
    let otp = ctx.params.require("otp")?;
    let tenant = &ctx.shared.tenant;
    let audience = ctx.params.get("audience");
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let pending = redeem(ctx.shared, auth_session, otp, ctx.client_id())?;
    let user = challenge_user(ctx.shared, &pending)?;

    crate::grants::passwordless_otp::passwordless_tokens(ctx, &user, audience, api)
}

/// Checks `otp` against the challenge `auth_session` of `client_id` and consumes it.
fn redeem(
    shared: &Shared,
    auth_session: &str,
    otp: &str,
    client_id: &str,
) -> Result<Pending, OAuthError> {
    let mut store = shared.store();
    let pending = &mut store.accounts.otp.pending;
    let Some(challenge) = pending.get_mut(auth_session) else {
        return Err(OAuthError::invalid_grant(
            "Invalid or expired auth_session; start a new challenge.",
        ));
    };
    if challenge.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "Invalid or expired auth_session; start a new challenge.",
        ));
    }
    if crate::clock::now() >= challenge.expires_at {
        pending.remove(auth_session);
        return Err(OAuthError::invalid_grant(
            "The verification code has expired. Please try to login again.",
        ));
    }
    if !secrets_equal(otp, &challenge.code) {
        challenge.wrong_attempts += 1;
        let wrong = if challenge.is_phone {
            "Wrong phone number or verification code."
        } else {
            "Wrong email or verification code."
        };
        if challenge.wrong_attempts >= MAX_WRONG_ATTEMPTS {
            pending.remove(auth_session);
        }
        return Err(OAuthError::invalid_grant(wrong));
    }
    pending
        .remove(auth_session)
        .ok_or_else(|| OAuthError::server_error("The challenge vanished while being redeemed."))
}

/// The challenged user, created now when the challenge allowed sign-up.
fn challenge_user(shared: &Shared, pending: &Pending) -> Result<UserConfig, OAuthError> {
    if let Some(user) = shared.database_user(&pending.recipient, Some(&pending.connection)) {
        return Ok(user);
    }
    if !pending.allow_signup {
        return Err(OAuthError::invalid_grant(
            "The user no longer exists on this connection.",
        ));
    }
    let user = UserConfig::new(&pending.recipient, &random_token(24))
        .connection(&pending.connection)
        .user_id(&format!("auth0|{}", random_hex(12)));
    let profile = SignupProfile {
        email_verified: !pending.is_phone,
        phone_number: pending.is_phone.then(|| pending.recipient.clone()),
        created_at: now_secs(),
        ..SignupProfile::default()
    };
    let mut store = shared.store();
    store
        .accounts
        .profiles
        .insert(user.user_id.clone(), profile);
    store.flows.users.push(user.clone());
    Ok(user)
}

impl RunningEmulator {
    /// Every `/otp/challenge` code "sent" so far, in order.
    pub fn otp_challenges(&self) -> Vec<OtpChallengeRecord> {
        self.shared().store().accounts.otp.records.clone()
    }

    /// The code of the latest `/otp/challenge` sent to `recipient` (emails compare
    /// case-insensitively), whether or not it is still usable.
    pub fn last_otp_code(&self, recipient: &str) -> Option<String> {
        self.shared()
            .store()
            .accounts
            .otp
            .records
            .iter()
            .rev()
            .find(|r| r.recipient.eq_ignore_ascii_case(recipient))
            .map(|r| r.code.clone())
    }

    /// Makes every pending `/otp/challenge` code expired (to test expiry without waiting).
    pub fn expire_otp_challenges(&self) {
        let now = crate::clock::now();
        for pending in self.shared().store().accounts.otp.pending.values_mut() {
            pending.expires_at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_signup_reads_bools_and_text() {
        let p = |body: &[u8]| Params::from_json(body).unwrap();
        assert!(allow_signup(&p(br#"{"allow_signup":true}"#)).unwrap());
        assert!(!allow_signup(&p(br#"{"allow_signup":false}"#)).unwrap());
        assert!(!allow_signup(&p(b"{}")).unwrap());
        assert!(allow_signup(&p(br#"{"allow_signup":"true"}"#)).unwrap());
        assert!(allow_signup(&p(br#"{"allow_signup":3}"#)).is_err());
    }

    #[test]
    fn records_hide_codes() {
        let r = OtpChallengeRecord {
            recipient: "a@b.c".into(),
            connection: "c".into(),
            delivery_method: None,
            code: "123987".into(),
            auth_session: "session-secret".into(),
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("123987") && !shown.contains("session-secret"));
    }
}
