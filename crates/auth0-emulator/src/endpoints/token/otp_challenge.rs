//! The `/otp/challenge` form of the `passwordless/otp` grant: a database connection's one-time
//! code, named by its `auth_session`, is exchanged for tokens (the user is created on a first
//! login when the challenge allowed sign-ups).

use axum::http::StatusCode;

use super::GrantContext;
use crate::protocol::client_auth::secrets_equal;
use crate::protocol::issue::TokenResponse;
use crate::tenant::accounts::SignupProfile;
use crate::tenant::config::UserConfig;
use crate::tenant::error::OAuthError;
use crate::tenant::otp::Pending;
use crate::tenant::state::{Shared, now_secs, random_hex, random_token};

/// Wrong codes that invalidate a challenge.
pub(crate) const MAX_WRONG_ATTEMPTS: u32 = 3;

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

    super::passwordless_otp::passwordless_tokens(ctx, &user, audience, api)
}

/// Checks `otp` against the challenge `auth_session` of `client_id` and consumes it.
pub(crate) fn redeem(
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
    if crate::tenant::clock::now() >= challenge.expires_at {
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
pub(crate) fn challenge_user(shared: &Shared, pending: &Pending) -> Result<UserConfig, OAuthError> {
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
