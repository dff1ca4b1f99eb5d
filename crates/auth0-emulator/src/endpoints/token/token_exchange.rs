//! `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693, Auth0 Custom Token Exchange):
//! a subject token accepted by a configured [`TokenExchangeProfile`](crate::TokenExchangeProfile)
//! is exchanged for the user's tokens, optionally on behalf of an actor (`act` claim) and for an
//! organization.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{Grant, GrantContext};
use crate::protocol::client_auth::secrets_equal;
use crate::protocol::issue::{Session, TokenResponse, UserLogin, user_scopes, user_tokens};
use crate::protocol::params::split_scope;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::{add_claims, find_organization, verify_tenant_jwt};

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    public_clients: false,
    handle,
};

/// The token type of an access token (RFC 8693), the only type this grant issues.
pub(super) const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let shared = ctx.shared;
    let tenant = &shared.tenant;
    let subject_token = ctx.params.require("subject_token")?;
    let subject_type = ctx.params.require("subject_token_type")?;
    let profile = tenant.flows.profile(subject_type).ok_or_else(|| {
        OAuthError::invalid_request(format!("unsupported subject_token_type: {subject_type}"))
    })?;
    let actor = match (
        ctx.params.get("actor_token"),
        ctx.params.get("actor_token_type"),
    ) {
        (Some(token), Some(_)) => Some(token),
        (None, None) => None,
        (Some(_), None) => return Err(OAuthError::missing("actor_token_type")),
        (None, Some(_)) => return Err(OAuthError::missing("actor_token")),
    };
    if let Some(wanted) = ctx.params.get("requested_token_type")
        && wanted != ACCESS_TOKEN_TYPE
    {
        return Err(OAuthError::invalid_request(format!(
            "unsupported requested_token_type: {wanted} (only {ACCESS_TOKEN_TYPE} is issued)"
        )));
    }
    let audience = ctx.params.get("audience");
    // A session transfer token instead of user tokens (see `crate::session_transfer`).
    let transfer = audience.filter(|a| crate::protocol::session_transfer::is_audience(a));
    let api = match audience {
        Some(aud) if transfer.is_none() => {
            if !profile.audiences.is_empty() && !profile.audiences.iter().any(|a| a == aud) {
                return Err(OAuthError::access_denied(format!(
                    "The token exchange profile for {subject_type} does not allow audience {aud}."
                )));
            }
            Some(tenant.api(aud)?)
        }
        _ => None,
    };
    let organization = ctx
        .params
        .get("organization")
        .map(|o| find_organization(shared, o))
        .transpose()?;

    let user_id = profile
        .subjects
        .iter()
        .find(|(token, _)| secrets_equal(subject_token, token))
        .map(|(_, user)| user.clone())
        .or_else(|| {
            profile
                .accept_tenant_jwts
                .then(|| verify_tenant_jwt(shared, subject_token))
                .flatten()
                .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned))
        })
        .ok_or_else(|| OAuthError::invalid_grant("Invalid subject token."))?;
    let user = if profile.subjects.iter().any(|(_, u)| *u == user_id) {
        shared.ensure_user(&user_id)
    } else {
        shared
            .user_by_id(&user_id)
            .ok_or_else(|| OAuthError::invalid_grant("The subject token's user does not exist."))?
    };
    let actor_sub = match actor {
        Some(token) => Some(
            verify_tenant_jwt(shared, token)
                .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned))
                .ok_or_else(|| {
                    OAuthError::invalid_grant(
                        "Invalid actor token: it must be a JWT signed by this tenant.",
                    )
                })?,
        ),
        None => None,
    };
    if let Some(org) = organization
        && !user.organizations.contains(&org.id)
    {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!("User is not a member of organization {}.", org.id),
        ));
    }

    if let Some(aud) = transfer {
        let org = organization.map(|o| o.id.clone());
        let scope = ctx.params.get("scope");
        return crate::protocol::session_transfer::issue(
            shared,
            aud,
            &user.user_id,
            actor_sub.as_deref(),
            org,
            scope,
        );
    }

    let requested = split_scope(ctx.params.get("scope").unwrap_or("openid"));
    let scopes = user_scopes(&requested, api);
    let literal_id_token = shared.store().next_id_token.is_some();
    let mut response = user_tokens(
        shared,
        UserLogin {
            client_id: ctx.client_id(),
            user: &user,
            audience,
            scopes,
            gty: "token-exchange",
            session: Session::start(organization.cloned()),
            may_issue_refresh: true,
        },
    )?;
    if let Some(actor) = actor_sub {
        let mut act = Map::new();
        act.insert("act".to_owned(), json!({ "sub": actor }));
        response.access_token = add_claims(shared, &response.access_token, &act)?;
        if !literal_id_token && let Some(id_token) = &response.id_token {
            response.id_token = Some(add_claims(shared, id_token, &act)?);
        }
    }
    response.extra.insert(
        "issued_token_type".to_owned(),
        Value::from(ACCESS_TOKEN_TYPE),
    );
    Ok(response)
}
