//! Multi-factor authentication, statefully: every user has authenticators (OTP apps, SMS,
//! voice, email, push) and one recovery code. A login that needs MFA answers `mfa_required`
//! with an `mfa_token` ([`mfa_required`](crate::protocol::mfa::mfa_required)); with that token the
//! client lists, enrolls and deletes authenticators (`/mfa/authenticators`, `/mfa/associate`),
//! starts challenges (`/mfa/challenge`), and finishes with one of the MFA grants
//! ([`crate::endpoints::token`]), which call the checks here. Messages that would be texted, phoned
//! or emailed are recorded as [`MfaMessage`]s for tests to read.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rand::RngCore as _;
use serde_json::{Value, json};

use crate::protocol::client_auth::{self};
use crate::protocol::mfa::{TokenProblem, grant_login, pending_login};
use crate::protocol::params::Params;
use crate::protocol::totp;
use crate::tenant::accounts::is_e164;
use crate::tenant::config::UserConfig;
use crate::tenant::error::OAuthError;
use crate::tenant::mfa::{Authenticator, Channel, Factor, tenant_name, uri_component};
use crate::tenant::state::{PendingMfa, Shared, random_hex};

/// `401 invalid_token`.
fn invalid_token(description: &str) -> OAuthError {
    OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
}

/// The `mfa_token` of an `Authorization: Bearer` header and its pending login; refusals are
/// `401 invalid_token`.
fn bearer_login(shared: &Shared, headers: &HeaderMap) -> Result<(String, PendingMfa), OAuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid_token("Missing Authorization: Bearer <mfa_token> header."))?;
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid_token("The Authorization header must be Bearer <mfa_token>."))?;
    let pending = pending_login(shared, token).map_err(|p| match p {
        TokenProblem::Unknown => invalid_token("Invalid mfa_token."),
        TokenProblem::Expired => invalid_token("The mfa_token has expired."),
    })?;
    Ok((token.to_owned(), pending))
}

/// The user of a pending login.
fn login_user(shared: &Shared, pending: &PendingMfa) -> Result<UserConfig, OAuthError> {
    shared
        .user_by_id(&pending.user_id)
        .ok_or_else(|| OAuthError::invalid_grant("The user of this mfa_token no longer exists."))
}

// ----- the /mfa endpoints -----------------------------------------------------------------

/// The `/mfa` routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/mfa/authenticators", get(list_authenticators))
        .route("/mfa/authenticators/{id}", delete(delete_authenticator))
        .route("/mfa/associate", post(associate))
        .route("/mfa/challenge", post(challenge))
}

/// Turns a handler's result into a response (`401`s name the Bearer scheme).
fn respond(result: Result<Response, OAuthError>) -> Response {
    match result {
        Ok(response) => response,
        Err(error) => {
            let bearer = error.error == "invalid_token";
            let mut response = error.into_response();
            if bearer {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        r#"Bearer realm="auth0-emulator", error="invalid_token""#,
                    ),
                );
            }
            response
        }
    }
}

fn ok_json(value: Value) -> Response {
    let mut response = (StatusCode::OK, Json(value)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /mfa/authenticators`.
async fn list_authenticators(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    respond(list(&shared, &headers))
}

fn list(shared: &Shared, headers: &HeaderMap) -> Result<Response, OAuthError> {
    let (_, login) = bearer_login(shared, headers)?;
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, &login.user_id);
    let mut out: Vec<Value> = Vec::new();
    if let Some(r) = &factors.recovery {
        out.push(json!({
            "id": r.id,
            "authenticator_type": "recovery-code",
            "active": r.active,
        }));
    }
    out.extend(factors.authenticators.iter().map(Authenticator::listing));
    Ok(ok_json(Value::Array(out)))
}

/// `DELETE /mfa/authenticators/{id}`.
async fn delete_authenticator(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    respond(remove(&shared, &headers, &id))
}

fn remove(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<Response, OAuthError> {
    let (_, login) = bearer_login(shared, headers)?;
    if shared
        .factors
        .data()
        .mfa
        .remove(&shared.tenant.factors, &login.user_id, id)
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(OAuthError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Authenticator not found: {id}"),
        ))
    }
}

/// `POST /mfa/associate`.
async fn associate(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    respond(enroll(&shared, &headers, &body))
}

fn enroll(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let (mfa_token, login) = bearer_login(shared, headers)?;
    let params = Params::parse(headers, body)?;
    let types = params.all("authenticator_types");
    let kind = match types.as_slice() {
        [] => return Err(OAuthError::missing("authenticator_types")),
        [one] => *one,
        _ => {
            return Err(OAuthError::invalid_request(
                "authenticator_types must hold exactly one type (otp or oob).",
            ));
        }
    };
    let user = login_user(shared, &login)?;
    match kind {
        "otp" => Ok(ok_json(enroll_otp(shared, &user))),
        "oob" => enroll_oob(shared, &params, &user, &mfa_token).map(ok_json),
        other => Err(OAuthError::invalid_request(format!(
            "Unsupported authenticator type: {other}; use otp or oob."
        ))),
    }
}

fn enroll_otp(shared: &Shared, user: &UserConfig) -> Value {
    let mut secret = [0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    let secret = totp::base32_encode(&secret);
    let id = format!("totp|dev_{}", random_hex(8));
    let recovery = {
        let mut data = shared.factors.data();
        let factors = data.mfa.user(&shared.tenant.factors, &user.user_id);
        // An unconfirmed OTP enrollment is replaced by the new one.
        let stale: Vec<String> = factors
            .authenticators
            .iter()
            .filter(|a| !a.active && a.kind() == "otp")
            .map(|a| a.id.clone())
            .collect();
        factors.authenticators.retain(|a| !stale.contains(&a.id));
        factors.authenticators.push(Authenticator {
            id: id.clone(),
            factor: Factor::Otp {
                secret: secret.clone(),
                last_step: None,
            },
            active: false,
        });
        factors.first_recovery_code()
    };
    let tenant = tenant_name(shared);
    let account = user.email.as_deref().unwrap_or_else(|| user.login());
    let barcode_uri = format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        uri_component(&tenant),
        uri_component(account),
        uri_component(&tenant),
    );
    let mut answer = json!({
        "authenticator_type": "otp",
        "secret": secret,
        "barcode_uri": barcode_uri,
        "id": id,
    });
    if let Some(code) = recovery {
        answer["recovery_codes"] = json!([code]);
    }
    answer
}

fn enroll_oob(
    shared: &Shared,
    params: &Params,
    user: &UserConfig,
    mfa_token: &str,
) -> Result<Value, OAuthError> {
    let channels = params.all("oob_channels");
    let first = channels
        .first()
        .ok_or_else(|| OAuthError::missing("oob_channels"))?;
    let channel = Channel::parse(first).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "Unsupported oob_channel: {first}; use sms, voice, auth0 or email."
        ))
    })?;
    let recipient = match channel {
        Channel::Sms | Channel::Voice => {
            let phone = params.get("phone_number").ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "phone_number is required for the {} channel.",
                    channel.as_str()
                ))
            })?;
            if !is_e164(phone) {
                return Err(OAuthError::invalid_request(format!(
                    "phone_number {phone:?} must be in E.164 format (e.g. +14155550100)."
                )));
            }
            Some(phone.to_owned())
        }
        Channel::Email => {
            let email = params
                .get("email")
                .or(user.email.as_deref())
                .ok_or_else(|| {
                    OAuthError::invalid_request(
                        "email is required for the email channel (the user has no email).",
                    )
                })?;
            let valid = email
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                && !email.chars().any(char::is_whitespace);
            if !valid {
                return Err(OAuthError::invalid_request(format!(
                    "email {email:?} is not a valid email address."
                )));
            }
            Some(email.to_owned())
        }
        Channel::Auth0 => None,
    };
    let id = format!("{}|dev_{}", channel.id_prefix(), random_hex(8));
    let (oob_code, prompts, recovery) = {
        let mut data = shared.factors.data();
        let mfa = &mut data.mfa;
        let factors = mfa.user(&shared.tenant.factors, &user.user_id);
        // An unconfirmed enrollment on the same channel is replaced by the new one.
        let stale: Vec<String> = factors
            .authenticators
            .iter()
            .filter(|a| {
                !a.active && matches!(a.factor, Factor::Oob { channel: c, .. } if c == channel)
            })
            .map(|a| a.id.clone())
            .collect();
        factors.authenticators.retain(|a| !stale.contains(&a.id));
        factors.authenticators.push(Authenticator {
            id: id.clone(),
            factor: Factor::Oob {
                channel,
                recipient: recipient.clone(),
            },
            active: false,
        });
        let recovery = factors.first_recovery_code();
        mfa.oob_codes
            .retain(|_, p| !stale.contains(&p.authenticator_id));
        let (oob_code, prompts) = mfa.send_oob(user, mfa_token, &id, channel, recipient.as_deref());
        (oob_code, prompts, recovery)
    };
    let mut answer = json!({
        "authenticator_type": "oob",
        "oob_channel": channel.as_str(),
        "oob_code": oob_code,
        "id": id,
    });
    if prompts {
        answer["binding_method"] = Value::from("prompt");
    } else {
        answer["barcode_uri"] = Value::from(format!(
            "otpauth://totp/{}:{}?enrollment_tx_id={}&base_url={}",
            uri_component(&tenant_name(shared)),
            uri_component(user.login()),
            random_hex(12),
            uri_component(&shared.tenant.issuer),
        ));
    }
    if let Some(code) = recovery {
        answer["recovery_codes"] = json!([code]);
    }
    Ok(answer)
}

/// `POST /mfa/challenge`.
async fn challenge(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    respond(start_challenge(&shared, &headers, &body))
}

fn start_challenge(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, "/mfa/challenge")?;
    let mfa_token = params.require("mfa_token")?;
    let login = grant_login(shared, mfa_token, &client.config.client_id)?;
    let challenge_type = params.require("challenge_type")?;
    let types: Vec<&str> = challenge_type.split_whitespace().collect();
    if let Some(bad) = types.iter().find(|t| !matches!(**t, "otp" | "oob")) {
        return Err(OAuthError::invalid_request(format!(
            "Unsupported challenge_type: {bad}; use otp or oob."
        )));
    }
    let unsupported =
        |why: String| OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_challenge_type", why);
    let user = login_user(shared, &login)?;
    let mut data = shared.factors.data();
    let mfa = &mut data.mfa;
    let factors = mfa.user(&shared.tenant.factors, &user.user_id);
    let chosen = if let Some(id) = params.get("authenticator_id") {
        let a = factors
            .authenticators
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                OAuthError::invalid_request(format!("Unknown authenticator_id: {id}"))
            })?;
        if !types.contains(&a.kind()) {
            return Err(unsupported(format!(
                "Authenticator {id} is an {} authenticator; it cannot answer challenge_type {challenge_type}.",
                a.kind()
            )));
        }
        a
    } else {
        types
            .iter()
            .find_map(|t| {
                let all: Vec<&Authenticator> = factors
                    .authenticators
                    .iter()
                    .filter(|a| a.kind() == *t)
                    .collect();
                all.iter()
                    .rev()
                    .find(|a| a.active)
                    .or_else(|| all.last())
                    .copied()
            })
            .ok_or_else(|| {
                unsupported(format!(
                    "The user has no {challenge_type} authenticator; enroll one with /mfa/associate."
                ))
            })?
    };
    let answer = match &chosen.factor {
        Factor::Otp { .. } => json!({"challenge_type": "otp"}),
        Factor::Oob { channel, recipient } => {
            let (channel, recipient, id) = (*channel, recipient.clone(), chosen.id.clone());
            let (oob_code, prompts) =
                mfa.send_oob(&user, mfa_token, &id, channel, recipient.as_deref());
            let mut answer = json!({"challenge_type": "oob", "oob_code": oob_code});
            if prompts {
                answer["binding_method"] = Value::from("prompt");
            }
            answer
        }
    };
    Ok(ok_json(answer))
}
