//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): polls a device
//! authorization request started at `/oauth/device/code` (see [`crate::endpoints::device`]).

use super::{Grant, GrantContext};
use crate::endpoints::device;
use crate::tenant::error::OAuthError;
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:ietf:params:oauth:grant-type:device_code",
    public_clients: true,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let device_code = ctx.params.require("device_code")?;
    let info = device::poll(ctx.shared, ctx.client_id(), device_code)?;
    let tenant = &ctx.shared.tenant;
    let gone = || OAuthError::invalid_grant("The user who approved this device no longer exists.");
    let user_id = info.user_id.as_deref().ok_or_else(gone)?;
    let user = ctx.shared.user_by_id(user_id).ok_or_else(gone)?;
    let audience = info.audience.as_deref();
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let scopes = user_scopes(&split_scope(&info.scope), api);
    user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &user,
            audience,
            scopes,
            gty: "device_code",
            session: Session::start(None),
            may_issue_refresh: true,
        },
    )
}
