//! The MFA steps that know no HTTP: answering a login that needs MFA with `mfa_required` and a
//! pending login under an `mfa_token`, finding and ending that login, and checking what the
//! MFA grants bring (a TOTP code, an out-of-band code with its binding code, a recovery code).

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::protocol::client_auth::secrets_equal;
use crate::protocol::totp;
use crate::tenant::config::{OrganizationConfig, UserConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::mfa::{Factor, Push, SWEEP_ABOVE, normalise_recovery_code, recovery_code};
use crate::tenant::state::{PendingMfa, Shared, now_secs, random_token};

/// How long an `mfa_token` stays usable, in seconds.
pub(crate) const MFA_TOKEN_LIFETIME: u64 = 600;

/// Wrong binding codes an `oob_code` survives; the next one invalidates it.
pub(crate) const MAX_WRONG_BINDING_CODES: u32 = 3;

/// The `mfa_requirements` of `user_id`: `{"challenge": [...]}` with the types of their active
/// authenticators (`otp`, `oob`), or `{"enroll": [{"type":"otp"},{"type":"oob"}]}` when they
/// have none.
pub(crate) fn requirements(shared: &Shared, user_id: &str) -> Value {
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, user_id);
    let mut types: Vec<&str> = Vec::new();
    for kind in ["otp", "oob"] {
        if factors
            .authenticators
            .iter()
            .any(|a| a.active && a.kind() == kind)
        {
            types.push(kind);
        }
    }
    if types.is_empty() {
        json!({"enroll": [{"type": "otp"}, {"type": "oob"}]})
    } else {
        let list: Vec<Value> = types.iter().map(|t| json!({"type": t})).collect();
        json!({"challenge": list})
    }
}

/// What a user login that needs MFA answers instead of tokens: a pending login stored under a
/// new `mfa_token`, and `403 mfa_required` carrying that token and the user's
/// [`requirements`]. Any grant that logs a user in can return it.
pub(crate) fn mfa_required(
    shared: &Shared,
    user: &UserConfig,
    client_id: &str,
    audience: Option<&str>,
    scopes: Vec<String>,
    organization: Option<&OrganizationConfig>,
) -> OAuthError {
    let requirements = requirements(shared, &user.user_id);
    let mfa_token = random_token(32);
    let now = now_secs();
    {
        let mut store = shared.store();
        if store.mfa_tokens.len() > SWEEP_ABOVE {
            store.mfa_tokens.retain(|_, p| p.expires_at > now);
        }
        store.mfa_tokens.insert(
            mfa_token.clone(),
            PendingMfa {
                user_id: user.user_id.clone(),
                client_id: client_id.to_owned(),
                audience: audience.map(str::to_owned),
                scopes,
                organization: organization.map(|o| o.id.clone()),
                expires_at: now + MFA_TOKEN_LIFETIME,
            },
        );
    }
    OAuthError::new(
        StatusCode::FORBIDDEN,
        "mfa_required",
        "Multifactor authentication required",
    )
    .with("mfa_token", Value::from(mfa_token))
    .with("mfa_requirements", requirements)
}

/// Why an `mfa_token` cannot be used.
pub(crate) enum TokenProblem {
    Unknown,
    Expired,
}

/// The pending login of `mfa_token`.
pub(crate) fn pending_login(shared: &Shared, mfa_token: &str) -> Result<PendingMfa, TokenProblem> {
    let mut store = shared.store();
    let pending = store
        .mfa_tokens
        .get(mfa_token)
        .cloned()
        .ok_or(TokenProblem::Unknown)?;
    if pending.expires_at <= now_secs() {
        store.mfa_tokens.remove(mfa_token);
        return Err(TokenProblem::Expired);
    }
    Ok(pending)
}

/// The pending login of `mfa_token` for a grant or a challenge by `client_id`; refusals are
/// `403 invalid_grant`.
pub(crate) fn grant_login(
    shared: &Shared,
    mfa_token: &str,
    client_id: &str,
) -> Result<PendingMfa, OAuthError> {
    let pending = pending_login(shared, mfa_token).map_err(|p| match p {
        TokenProblem::Unknown => OAuthError::invalid_grant("Invalid mfa_token."),
        TokenProblem::Expired => OAuthError::invalid_grant("The mfa_token has expired."),
    })?;
    if pending.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "The mfa_token was issued to another client.",
        ));
    }
    Ok(pending)
}

/// Ends the pending login of `mfa_token` (a successful verification); fails if another request
/// ended it first.
pub(crate) fn finish_login(shared: &Shared, mfa_token: &str) -> Result<(), OAuthError> {
    shared
        .store()
        .mfa_tokens
        .remove(mfa_token)
        .map(|_| ())
        .ok_or_else(|| OAuthError::invalid_grant("Invalid mfa_token."))
}

/// Checks a TOTP code against the user's OTP authenticators (±1 step, each step usable once)
/// and marks the matching one active.
pub(crate) fn verify_otp(shared: &Shared, user_id: &str, otp: &str) -> Result<(), OAuthError> {
    let code = otp.trim();
    let invalid = || OAuthError::invalid_grant("Invalid otp_code.");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let step_now = now_secs() / totp::STEP;
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, user_id);
    let mut has_otp = false;
    let mut reused = false;
    let mut matched: Option<String> = None;
    'authenticators: for a in &mut factors.authenticators {
        let Factor::Otp { secret, last_step } = &mut a.factor else {
            continue;
        };
        has_otp = true;
        let Some(key) = totp::base32_decode(secret) else {
            continue;
        };
        for step in [step_now.saturating_sub(1), step_now, step_now + 1] {
            if secrets_equal(&totp::hotp(&key, step), code) {
                if last_step.is_some_and(|last| step <= last) {
                    reused = true;
                    continue;
                }
                *last_step = Some(step);
                matched = Some(a.id.clone());
                break 'authenticators;
            }
        }
    }
    match matched {
        Some(id) => {
            factors.activate(&id);
            Ok(())
        }
        None if !has_otp => Err(OAuthError::invalid_grant(
            "The user has no otp authenticator enrolled.",
        )),
        None if reused => Err(OAuthError::invalid_grant(
            "This otp_code was already used; wait for the next one.",
        )),
        None => Err(invalid()),
    }
}

/// Checks an `oob_code` of the login `mfa_token` (and its binding code, or the push answer);
/// consumes it and marks its authenticator active.
pub(crate) fn verify_oob(
    shared: &Shared,
    mfa_token: &str,
    oob_code: &str,
    binding_code: Option<&str>,
) -> Result<(), OAuthError> {
    let mut data = shared.factors.data();
    let mfa = &mut data.mfa;
    let invalid = || OAuthError::invalid_grant("Invalid oob_code.");
    let pending = mfa.oob_codes.get_mut(oob_code).ok_or_else(invalid)?;
    if pending.mfa_token != mfa_token {
        return Err(OAuthError::invalid_grant(
            "The oob_code was issued for another mfa_token.",
        ));
    }
    if pending.expires_at <= now_secs() {
        mfa.oob_codes.remove(oob_code);
        return Err(OAuthError::invalid_grant("The oob_code has expired."));
    }
    match pending.push {
        Some(Push::Waiting) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                "Authorization pending: please repeat the request in a few seconds.",
            ));
        }
        Some(Push::Rejected) => {
            mfa.oob_codes.remove(oob_code);
            return Err(OAuthError::invalid_grant("MFA Authorization rejected."));
        }
        Some(Push::Approved) | None => {}
    }
    if let Some(expected) = &pending.binding_code {
        let given = binding_code.ok_or_else(|| OAuthError::missing("binding_code"))?;
        if !secrets_equal(given.trim(), expected) {
            pending.wrong_attempts += 1;
            if pending.wrong_attempts >= MAX_WRONG_BINDING_CODES {
                mfa.oob_codes.remove(oob_code);
            }
            return Err(OAuthError::invalid_grant("Invalid binding_code."));
        }
    }
    let Some(pending) = mfa.oob_codes.remove(oob_code) else {
        return Err(invalid());
    };
    let factors = mfa.user(&shared.tenant.factors, &pending.user_id);
    if !factors
        .authenticators
        .iter()
        .any(|a| a.id == pending.authenticator_id)
    {
        return Err(OAuthError::invalid_grant(
            "The authenticator of this oob_code was deleted.",
        ));
    }
    factors.activate(&pending.authenticator_id);
    Ok(())
}

/// Checks the user's recovery code; on success replaces it and returns the new one.
pub(crate) fn use_recovery_code(
    shared: &Shared,
    user_id: &str,
    code: &str,
) -> Result<String, OAuthError> {
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, user_id);
    match &mut factors.recovery {
        Some(r) if secrets_equal(&normalise_recovery_code(code), &r.code) => {
            let next = recovery_code();
            r.code.clone_from(&next);
            r.active = true;
            Ok(next)
        }
        _ => Err(OAuthError::invalid_grant("Invalid recovery_code.")),
    }
}

/// Members for a token response that also carries the next recovery code.
pub(crate) fn recovery_extra(next: String) -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert("recovery_code".to_owned(), Value::from(next));
    extra
}
