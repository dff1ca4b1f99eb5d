//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4): polls a device
//! authorization request started at `/oauth/device/code` (see [`crate::device`]).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use super::{Grant, GrantContext};
use crate::device::{DeviceRequestInfo, DeviceStatus, SLOW_DOWN_STEP};
use crate::error::OAuthError;
use crate::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::params::split_scope;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:ietf:params:oauth:grant-type:device_code",
    public_clients: true,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let device_code = ctx.params.require("device_code")?;
    let info = poll(ctx, device_code)?;
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

/// Records the poll and answers it: an error while the request cannot give tokens, else the
/// request (now redeemed).
fn poll(ctx: &GrantContext<'_>, device_code: &str) -> Result<DeviceRequestInfo, OAuthError> {
    let now = Instant::now();
    let mut store = ctx.shared.store();
    let request = store
        .device_dpop
        .device
        .requests
        .get_mut(device_code)
        .filter(|r| r.info.client_id == ctx.client_id())
        .ok_or_else(|| OAuthError::invalid_grant("Invalid or expired device code."))?;
    request.polls.push(now);
    if request.info.redeemed {
        return Err(OAuthError::invalid_grant(
            "This device code was already used to get tokens.",
        ));
    }
    if now >= request.expires_at {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "expired_token",
            "The device code has expired; start a new device authorization.",
        ));
    }
    let since_last = now.duration_since(request.last_poll);
    request.last_poll = now;
    if since_last < Duration::from_secs(request.info.interval) {
        request.info.interval += SLOW_DOWN_STEP;
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "slow_down",
            format!(
                "You are polling faster than allowed. Wait {} seconds between polls.",
                request.info.interval
            ),
        )
        .with("interval", Value::from(request.info.interval)));
    }
    match request.info.status {
        DeviceStatus::Pending => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            "User has yet to authorize device code.",
        )),
        DeviceStatus::Denied => Err(OAuthError::access_denied(
            "The user denied the device authorization request.",
        )),
        DeviceStatus::Approved => {
            request.info.redeemed = true;
            Ok(request.info.clone())
        }
    }
}
