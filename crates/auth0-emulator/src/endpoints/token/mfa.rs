//! The MFA grants, which finish a login that answered `mfa_required`: `mfa-otp` (a TOTP code),
//! `mfa-oob` (an `oob_code`, with the `binding_code` the user read, or after a push approval)
//! and `mfa-recovery-code` (the user's recovery code; the answer carries the next one). Each
//! issues the tokens the original login asked for and ends its `mfa_token`.

use serde_json::{Map, Value};

use super::{Grant, GrantContext};
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::mfa;
use crate::tenant::config::UserConfig;
use crate::tenant::error::OAuthError;
use crate::tenant::state::PendingMfa;

/// `grant_type=http://auth0.com/oauth/grant-type/mfa-otp`.
pub(super) const OTP_GRANT: Grant = Grant {
    grant_type: "http://auth0.com/oauth/grant-type/mfa-otp",
    public_clients: true,
    handle: otp,
};

/// `grant_type=http://auth0.com/oauth/grant-type/mfa-oob`.
pub(super) const OOB_GRANT: Grant = Grant {
    grant_type: "http://auth0.com/oauth/grant-type/mfa-oob",
    public_clients: true,
    handle: oob,
};

/// `grant_type=http://auth0.com/oauth/grant-type/mfa-recovery-code`.
pub(super) const RECOVERY_GRANT: Grant = Grant {
    grant_type: "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    public_clients: true,
    handle: recovery_code,
};

/// A pending login, checked, with what its tokens will be for.
struct Finish<'a> {
    mfa_token: &'a str,
    login: PendingMfa,
    user: UserConfig,
    audience: Option<String>,
    scopes: Vec<String>,
}

/// Checks the `mfa_token` and the optional `audience` (which may name another API than the
/// original login did) before any code is checked.
fn start<'a>(ctx: &GrantContext<'a>) -> Result<Finish<'a>, OAuthError> {
    let mfa_token = ctx.params.require("mfa_token")?;
    let login = mfa::grant_login(ctx.shared, mfa_token, ctx.client_id())?;
    let user = ctx
        .shared
        .user_by_id(&login.user_id)
        .ok_or_else(|| OAuthError::invalid_grant("The user of this mfa_token no longer exists."))?;
    let (audience, scopes) = match ctx.params.get("audience") {
        Some(wanted) if Some(wanted) != login.audience.as_deref() => {
            let api = ctx.shared.tenant.api(wanted)?;
            (
                Some(wanted.to_owned()),
                user_scopes(&login.scopes, Some(api)),
            )
        }
        _ => (login.audience.clone(), login.scopes.clone()),
    };
    Ok(Finish {
        mfa_token,
        login,
        user,
        audience,
        scopes,
    })
}

/// Ends the login and issues its tokens, with `extra` members in the answer.
fn finish(
    ctx: &GrantContext<'_>,
    done: Finish<'_>,
    extra: Map<String, Value>,
) -> Result<TokenResponse, OAuthError> {
    mfa::finish_login(ctx.shared, done.mfa_token)?;
    let organization = done
        .login
        .organization
        .as_deref()
        .and_then(|id| ctx.shared.tenant.organizations.get(id))
        .cloned();
    let mut tokens = user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &done.user,
            audience: done.audience.as_deref(),
            scopes: done.scopes,
            gty: "mfa",
            session: Session::start(organization),
            may_issue_refresh: true,
        },
    )?;
    tokens.extra.extend(extra);
    Ok(tokens)
}

fn otp(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let done = start(ctx)?;
    let code = ctx.params.require("otp")?;
    mfa::verify_otp(ctx.shared, &done.login.user_id, code)?;
    finish(ctx, done, Map::new())
}

fn oob(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let done = start(ctx)?;
    let oob_code = ctx.params.require("oob_code")?;
    mfa::verify_oob(
        ctx.shared,
        done.mfa_token,
        oob_code,
        ctx.params.get("binding_code"),
    )?;
    finish(ctx, done, Map::new())
}

fn recovery_code(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let done = start(ctx)?;
    let code = ctx.params.require("recovery_code")?;
    let next = mfa::use_recovery_code(ctx.shared, &done.login.user_id, code)?;
    finish(ctx, done, mfa::recovery_extra(next))
}
