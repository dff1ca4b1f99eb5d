//! `http://auth0.com/oauth/grant-type/passwordless/otp`: the one-time code of a passwordless
//! login (email or SMS) is exchanged for tokens. Users log in to the `email` or `sms`
//! connection and are created on their first login.

use super::{Grant, GrantContext};
use crate::protocol::client_auth::secrets_equal;
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::mfa::mfa_required;
use crate::protocol::params::split_scope;
use crate::tenant::config::{ApiConfig, UserConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::passwordless::recipient_key;
use crate::tenant::state::Shared;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "http://auth0.com/oauth/grant-type/passwordless/otp",
    public_clients: true,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    // `/otp/challenge` codes (database connections) come with `auth_session`, not a username.
    if ctx.params.get("auth_session").is_some() {
        return super::otp_challenge::grant(ctx);
    }
    let tenant = &ctx.shared.tenant;
    let username = ctx.params.require("username")?;
    let otp = ctx.params.require("otp")?;
    let realm = ctx.params.require("realm")?;
    if realm != "email" && realm != "sms" {
        return Err(OAuthError::invalid_request(format!(
            "Unknown passwordless realm: {realm}; use email or sms."
        )));
    }
    let audience = ctx.params.get("audience");
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    redeem_code(ctx.shared, realm, username, otp, ctx.client_id())?;

    let user = ctx.shared.passwordless_user(realm, username);
    passwordless_tokens(ctx, &user, audience, api)
}

/// The tokens of a passwordless login (or `mfa_required` for users who need MFA), shared by
/// the username + realm form and the `/otp/challenge` form of this grant.
pub(crate) fn passwordless_tokens(
    ctx: &GrantContext<'_>,
    user: &UserConfig,
    audience: Option<&str>,
    api: Option<&ApiConfig>,
) -> Result<TokenResponse, OAuthError> {
    let requested = split_scope(ctx.params.get("scope").unwrap_or("openid"));
    let scopes = user_scopes(&requested, api);
    if user.require_mfa {
        return Err(mfa_required(
            ctx.shared,
            user,
            ctx.client_id(),
            audience,
            scopes,
            None,
        ));
    }
    user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user,
            audience,
            scopes,
            gty: "passwordless",
            session: Session::start(None),
            may_issue_refresh: true,
        },
    )
}

/// How many wrong codes a pending code survives; the next wrong one invalidates it.
pub(crate) const MAX_WRONG_ATTEMPTS: u32 = 3;

/// Checks and consumes the one-time code `otp` sent to `recipient` on `connection` for
/// `client_id`. Wrong codes count; after [`MAX_WRONG_ATTEMPTS`] the code is gone.
pub(crate) fn redeem_code(
    shared: &Shared,
    connection: &str,
    recipient: &str,
    otp: &str,
    client_id: &str,
) -> Result<(), OAuthError> {
    let wrong = || {
        OAuthError::invalid_grant(if connection == "sms" {
            "Wrong phone number or verification code."
        } else {
            "Wrong email or verification code."
        })
    };
    let key = recipient_key(connection, recipient);
    let mut store = shared.store();
    let codes = &mut store.flows.passwordless.codes;
    let Some(pending) = codes.get_mut(&key) else {
        return Err(wrong());
    };
    if pending.client_id != client_id {
        return Err(wrong());
    }
    if crate::tenant::clock::now() >= pending.expires_at {
        codes.remove(&key);
        return Err(OAuthError::invalid_grant(
            "The verification code has expired. Please try to login again.",
        ));
    }
    if !secrets_equal(otp, &pending.code) {
        pending.wrong_attempts += 1;
        if pending.wrong_attempts >= MAX_WRONG_ATTEMPTS {
            codes.remove(&key);
        }
        return Err(wrong());
    }
    codes.remove(&key);
    Ok(())
}
