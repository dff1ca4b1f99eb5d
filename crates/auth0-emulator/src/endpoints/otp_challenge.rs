//! One-time codes on database connections: `POST /otp/challenge` "sends" a six-digit code to
//! a user's email or phone (recorded as an [`OtpChallengeRecord`]) and answers an
//! `auth_session`; the passwordless OTP grant then exchanges `auth_session` + `otp` for tokens
//! ([`grant`], reached from `grants/passwordless_otp.rs` when `auth_session` is sent).
//!
//! Codes live 300 seconds, are single-use, and the third wrong code invalidates the challenge.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::{Value, json};

use crate::protocol::client_auth::{self};
use crate::protocol::params::Params;
use crate::tenant::accounts::{is_e164, looks_like_email};
use crate::tenant::error::OAuthError;
use crate::tenant::otp::{OtpChallengeRecord, Pending};
use crate::tenant::state::{Shared, random_token};

/// How long a code stays usable.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
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
    let now = crate::tenant::clock::now();
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
