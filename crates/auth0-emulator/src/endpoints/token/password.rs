//! `password` and `password-realm` (Resource Owner Password): a user's username and password
//! are exchanged for tokens, or for an `mfa_required` answer when the user needs MFA.

use super::{Grant, GrantContext};
use crate::protocol::client_auth::secrets_equal;
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;
use crate::tenant::config::{DEFAULT_CONNECTION, OrganizationConfig};
use crate::tenant::error::OAuthError;

/// `grant_type=password` (`realm` optional).
pub(super) const GRANT: Grant = Grant {
    grant_type: "password",
    public_clients: true,
    handle,
};

/// `grant_type=http://auth0.com/oauth/grant-type/password-realm` (`realm` required).
pub(super) const REALM_GRANT: Grant = Grant {
    grant_type: "http://auth0.com/oauth/grant-type/password-realm",
    public_clients: true,
    handle: handle_realm,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    login(ctx, ctx.params.get("realm"))
}

fn handle_realm(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    login(ctx, Some(ctx.params.require("realm")?))
}

fn login(ctx: &GrantContext<'_>, realm: Option<&str>) -> Result<TokenResponse, OAuthError> {
    let tenant = &ctx.shared.tenant;
    let username = ctx.params.require("username")?;
    let password = ctx.params.require("password")?;
    if let Some(realm) = realm {
        let known =
            realm == DEFAULT_CONNECTION || tenant.users.iter().any(|u| u.connection == realm);
        if !known {
            return Err(OAuthError::invalid_request(format!(
                "Unknown realm: {realm}"
            )));
        }
    }
    let audience = ctx.params.get("audience");
    let api = audience.map(|a| tenant.api(a)).transpose()?;
    let organization = organization(ctx)?;
    let wrong = || OAuthError::invalid_grant("Wrong email or password.");
    // Configured users, then users who signed up (`/dbconnections/signup`).
    let user = &ctx
        .shared
        .database_user(username, realm)
        .ok_or_else(wrong)?;
    if !secrets_equal(password, &user.password) {
        return Err(wrong());
    }
    if let Some(org) = organization
        && !user.organizations.contains(&org.id)
    {
        return Err(OAuthError::access_denied(format!(
            "User is not a member of organization {}.",
            org.id
        )));
    }
    let requested = split_scope(ctx.params.get("scope").unwrap_or("openid"));
    let scopes = user_scopes(&requested, api);

    if user.require_mfa {
        return Err(crate::protocol::mfa::mfa_required(
            ctx.shared,
            user,
            ctx.client_id(),
            audience,
            scopes,
            organization,
        ));
    }

    user_tokens(
        ctx.shared,
        UserLogin {
            client_id: ctx.client_id(),
            user,
            audience,
            scopes,
            gty: "password",
            session: Session::start(organization.cloned()),
            may_issue_refresh: true,
        },
    )
}

/// The optional `organization` parameter (id or name), which must exist.
fn organization<'a>(ctx: &GrantContext<'a>) -> Result<Option<&'a OrganizationConfig>, OAuthError> {
    let Some(wanted) = ctx.params.get("organization") else {
        return Ok(None);
    };
    let orgs = &ctx.shared.tenant.organizations;
    orgs.get(wanted)
        .or_else(|| orgs.values().find(|o| o.name.eq_ignore_ascii_case(wanted)))
        .map(Some)
        .ok_or_else(|| OAuthError::invalid_request(format!("Organization not found: {wanted}")))
}
