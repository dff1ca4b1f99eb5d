//! `refresh_token`: a stored refresh token buys a new access token (and ID token). Refresh
//! tokens are not rotated; multi-resource refresh may name any configured API as `audience`.

use axum::http::StatusCode;

use super::{Grant, GrantContext};
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;
use crate::tenant::error::OAuthError;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "refresh_token",
    public_clients: true,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let tenant = &ctx.shared.tenant;
    let token = ctx.params.require("refresh_token")?;
    let unknown = || OAuthError::invalid_grant("Unknown or invalid refresh token.");
    let grant = ctx
        .shared
        .store()
        .refresh_tokens
        .get(token)
        .filter(|g| !g.revoked && g.client_id == ctx.client_id())
        .cloned()
        .ok_or_else(unknown)?;
    // Also finds users created at run time (passwordless, token exchange).
    let user = ctx.shared.user_by_id(&grant.user_id).ok_or_else(unknown)?;

    let requested = match ctx.params.get("scope") {
        Some(scope) => {
            let requested = split_scope(scope);
            if let Some(extra) = requested.iter().find(|s| !grant.scopes.contains(s)) {
                return Err(OAuthError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_scope",
                    format!(
                        "The requested scope \"{extra}\" was not granted to this refresh token; \
                         a refresh may only ask for a subset of the original scopes."
                    ),
                ));
            }
            requested
        }
        None => grant.scopes.clone(),
    };
    let audience = ctx.params.get("audience").or(grant.audience.as_deref());
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let scopes = user_scopes(&requested, api);
    let organization = grant
        .organization
        .as_ref()
        .and_then(|id| tenant.organizations.get(id))
        .cloned();

    user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &user,
            audience,
            scopes,
            gty: "refresh_token",
            session: Session {
                sid: grant.sid,
                auth_time: grant.auth_time,
                organization,
                nonce: None,
            },
            may_issue_refresh: false,
        },
    )
}
