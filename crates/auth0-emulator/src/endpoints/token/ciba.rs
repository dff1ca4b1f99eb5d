//! `urn:openid:params:grant-type:ciba`: polls a back-channel authentication request started at
//! `/bc-authorize` (see [`crate::endpoints::ciba`]).

use super::{Grant, GrantContext};
use crate::endpoints::ciba;
use crate::tenant::error::OAuthError;
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:openid:params:grant-type:ciba",
    public_clients: false,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let id = ctx.params.require("auth_req_id")?;
    let info = ciba::poll(ctx.shared, ctx.client_id(), id)?;
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
