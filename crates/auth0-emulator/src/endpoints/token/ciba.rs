//! `urn:openid:params:grant-type:ciba`: polls a back-channel authentication request started at
//! `/bc-authorize` (see [`crate::endpoints::ciba`]).

use axum::http::StatusCode;

use super::{Grant, GrantContext};
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;
use crate::tenant::ciba::CibaRequestInfo;
use crate::tenant::error::OAuthError;
use crate::tenant::poll::PollWords;
use crate::tenant::state::Shared;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:openid:params:grant-type:ciba",
    public_clients: false,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let id = ctx.params.require("auth_req_id")?;
    let info = poll(ctx.shared, ctx.client_id(), id)?;
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

/// What CIBA polls answer where the device flow says otherwise.
pub(crate) const POLL_WORDS: PollWords = PollWords {
    redeemed: "This auth_req_id was already used to get tokens.",
    expired: (
        StatusCode::BAD_REQUEST,
        "The back-channel authentication request has expired.",
    ),
    pending: "The end-user authorization is pending.",
    denied: (
        StatusCode::BAD_REQUEST,
        "The end-user denied the authorization request.",
    ),
};

/// Polls `auth_req_id` for `client_id` (the `urn:openid:params:grant-type:ciba` grant): records
/// the poll and answers it; an error while the request cannot give tokens, else the request
/// (now redeemed).
pub(crate) fn poll(
    shared: &Shared,
    client_id: &str,
    auth_req_id: &str,
) -> Result<CibaRequestInfo, OAuthError> {
    let now = crate::tenant::clock::now();
    let mut store = shared.store();
    let request = store
        .flows
        .ciba
        .requests
        .get_mut(auth_req_id)
        .filter(|r| r.info.client_id == client_id)
        .ok_or_else(|| OAuthError::invalid_grant(format!("Invalid auth_req_id: {auth_req_id}")))?;
    let outcome = request.poll.poll(now, request.info.status.into());
    request.info.interval = request.poll.interval;
    request.info.redeemed = request.poll.redeemed;
    outcome.into_result(&POLL_WORDS)?;
    Ok(request.info.clone())
}
