//! `client_credentials`: a confidential client gets a token for an API it has a client grant
//! for.

use serde_json::Map;

use super::{Grant, GrantContext};
use crate::protocol::issue::{AccessToken, Subject, TokenResponse, access_token};
use crate::protocol::params::split_scope;
use crate::tenant::error::OAuthError;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "client_credentials",
    public_clients: false,
    handle,
};

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let tenant = &ctx.shared.tenant;
    let audience = ctx.params.require("audience")?;
    let api = tenant.api(audience)?;
    let granted = ctx.client.config.grant_for(audience).ok_or_else(|| {
        OAuthError::access_denied(format!(
            "Client is not authorized to access \"{audience}\". You need to create a \
             client-grant associated to this API. See: \
             https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
        ))
    })?;
    let organization =
        match ctx.params.get("organization") {
            Some(id) => Some(tenant.organizations.get(id).ok_or_else(|| {
                OAuthError::invalid_request(format!("Organization not found: {id}"))
            })?),
            None => None,
        };
    let scopes: Vec<String> = match ctx.params.get("scope") {
        Some(requested) => split_scope(requested)
            .into_iter()
            .filter(|s| granted.scopes.contains(s) && api.scopes.contains(s))
            .collect(),
        None => granted
            .scopes
            .iter()
            .filter(|s| api.scopes.contains(s))
            .cloned()
            .collect(),
    };
    let (token, expires_in) = access_token(
        ctx.shared,
        &AccessToken {
            client_id: ctx.client_id(),
            subject: Subject::Client,
            audience: Some(audience),
            scopes: &scopes,
            gty: "client-credentials",
            organization,
        },
    )?;
    Ok(TokenResponse {
        access_token: token,
        id_token: None,
        refresh_token: None,
        scope: Some(scopes.join(" ")).filter(|s| !s.is_empty()),
        expires_in,
        token_type: "Bearer".to_owned(),
        extra: Map::new(),
    })
}
