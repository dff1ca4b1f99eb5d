//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): polls a device
//! authorization request started at `/oauth/device/code` (see [`crate::endpoints::device`]).

use axum::http::StatusCode;

use super::{Grant, GrantContext};
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;
use crate::tenant::device::DeviceRequestInfo;
use crate::tenant::error::OAuthError;
use crate::tenant::poll::PollWords;
use crate::tenant::state::Shared;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:ietf:params:oauth:grant-type:device_code",
    public_clients: true,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let device_code = ctx.params.require("device_code")?;
    let info = poll(ctx.shared, ctx.client_id(), device_code)?;
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

/// What device-code polls answer where CIBA says otherwise.
pub(crate) const POLL_WORDS: PollWords = PollWords {
    redeemed: "This device code was already used to get tokens.",
    expired: (
        StatusCode::FORBIDDEN,
        "The device code has expired; start a new device authorization.",
    ),
    pending: "User has yet to authorize device code.",
    denied: (
        StatusCode::FORBIDDEN,
        "The user denied the device authorization request.",
    ),
};

/// Polls `device_code` for `client_id` (the `urn:ietf:params:oauth:grant-type:device_code`
/// grant): records the poll and answers it; an error while the request cannot give tokens, else
/// the request (now redeemed).
pub(crate) fn poll(
    shared: &Shared,
    client_id: &str,
    device_code: &str,
) -> Result<DeviceRequestInfo, OAuthError> {
    let now = crate::tenant::clock::now();
    let mut store = shared.store();
    let request = store
        .device_dpop
        .device
        .requests
        .get_mut(device_code)
        .filter(|r| r.info.client_id == client_id)
        .ok_or_else(|| OAuthError::invalid_grant("Invalid or expired device code."))?;
    let outcome = request.poll.poll(now, request.info.status.into());
    request.info.interval = request.poll.interval;
    request.info.redeemed = request.poll.redeemed;
    outcome.into_result(&POLL_WORDS)?;
    Ok(request.info.clone())
}
