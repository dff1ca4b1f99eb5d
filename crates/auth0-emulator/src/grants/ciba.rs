//! `urn:openid:params:grant-type:ciba`: polls a back-channel authentication request started at
//! `/bc-authorize` (see [`crate::ciba`]).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use super::{Grant, GrantContext};
use crate::ciba::{CibaRequestInfo, CibaStatus, SLOW_DOWN_STEP};
use crate::error::OAuthError;
use crate::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::params::split_scope;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:openid:params:grant-type:ciba",
    public_clients: false,
    handle,
};

fn bad_request(error: &'static str, description: String) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, error, description)
}

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let id = ctx.params.require("auth_req_id")?;
    let info = poll(ctx, id)?;
    let tenant = &ctx.shared.tenant;
    let unknown = || OAuthError::invalid_grant("The user of this auth_req_id no longer exists.");
    let user = ctx.shared.user_by_id(&info.user_id).ok_or_else(unknown)?;
    let audience = info.audience.as_deref();
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let scopes = user_scopes(&split_scope(&info.scope), api);
    let mut response = user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &user,
            audience,
            scopes,
            gty: "ciba",
            session: Session::start(None),
            may_issue_refresh: true,
        },
    )?;
    if let Some(details) = info.authorization_details {
        response
            .extra
            .insert("authorization_details".to_owned(), details);
    }
    Ok(response)
}

/// Records the poll and answers it: an error while the request cannot give tokens, else the
/// request (now redeemed).
fn poll(ctx: &GrantContext<'_>, id: &str) -> Result<CibaRequestInfo, OAuthError> {
    let now = Instant::now();
    let mut store = ctx.shared.store();
    let request = store
        .flows
        .ciba
        .requests
        .get_mut(id)
        .filter(|r| r.info.client_id == ctx.client_id())
        .ok_or_else(|| OAuthError::invalid_grant(format!("Invalid auth_req_id: {id}")))?;
    request.polls.push(now);
    if request.info.redeemed {
        return Err(OAuthError::invalid_grant(
            "This auth_req_id was already used to get tokens.",
        ));
    }
    if now >= request.expires_at {
        return Err(bad_request(
            "expired_token",
            "The back-channel authentication request has expired.".to_owned(),
        ));
    }
    let since_last = now.duration_since(request.last_poll);
    request.last_poll = now;
    if since_last < Duration::from_secs(request.info.interval) {
        request.info.interval += SLOW_DOWN_STEP;
        return Err(bad_request(
            "slow_down",
            format!(
                "You are polling faster than allowed. Wait {} seconds between polls.",
                request.info.interval
            ),
        )
        .with("interval", Value::from(request.info.interval)));
    }
    match request.info.status {
        CibaStatus::Pending => Err(bad_request(
            "authorization_pending",
            "The end-user authorization is pending.".to_owned(),
        )),
        CibaStatus::Denied => Err(bad_request(
            "access_denied",
            "The end-user denied the authorization request.".to_owned(),
        )),
        CibaStatus::Approved => {
            request.info.redeemed = true;
            Ok(request.info.clone())
        }
    }
}
