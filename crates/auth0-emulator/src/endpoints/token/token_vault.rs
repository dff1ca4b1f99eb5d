//! `urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token` (Token
//! Vault): an access or refresh token this tenant issued is exchanged for the user's access
//! token on a federated connection ([`FederatedConnection`](crate::FederatedConnection)).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::token_exchange::ACCESS_TOKEN_TYPE;
use super::{Grant, GrantContext};
use crate::protocol::issue::TokenResponse;
use crate::protocol::params::split_scope;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::verify_tenant_jwt;

/// The grant.
pub(super) const GRANT: Grant = Grant {
    grant_type: "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
    public_clients: false,
    handle,
};

/// The token type of a refresh token (RFC 8693).
const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// The token type Token Vault issues.
const FEDERATED_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
/// The `expires_in` of a federated access token, in seconds.
const FEDERATED_TOKEN_LIFETIME: u64 = 3600;

fn handle(ctx: &GrantContext<'_>) -> Result<TokenResponse, OAuthError> {
    let shared = ctx.shared;
    for refused in ["audience", "resource"] {
        if ctx.params.has(refused) {
            return Err(OAuthError::invalid_request(format!(
                "{refused} is not supported for Token Vault exchanges."
            )));
        }
    }
    let name = ctx.params.require("connection")?;
    let connection = shared
        .tenant
        .flows
        .federated_connection(name)
        .ok_or_else(|| OAuthError::invalid_request(format!("Unknown connection: {name}")))?;
    let subject_token = ctx.params.require("subject_token")?;
    let subject_type = ctx.params.require("subject_token_type")?;
    let requested_type = ctx.params.require("requested_token_type")?;
    if requested_type != FEDERATED_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "unsupported requested_token_type: {requested_type} (use {FEDERATED_TOKEN_TYPE})"
        )));
    }
    let invalid = || OAuthError::invalid_grant("Invalid subject token.");
    let user_id = match subject_type {
        ACCESS_TOKEN_TYPE => verify_tenant_jwt(shared, subject_token)
            .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned))
            .ok_or_else(invalid)?,
        REFRESH_TOKEN_TYPE => shared
            .store()
            .refresh_tokens
            .get(subject_token)
            .filter(|g| !g.revoked && g.client_id == ctx.client_id())
            .map(|g| g.user_id.clone())
            .ok_or_else(invalid)?,
        other => {
            return Err(OAuthError::invalid_request(format!(
                "unsupported subject_token_type: {other} (use {ACCESS_TOKEN_TYPE} or \
                 {REFRESH_TOKEN_TYPE})"
            )));
        }
    };
    let account = connection
        .account_for(&user_id, ctx.params.get("login_hint"))
        .ok_or_else(|| {
            OAuthError::new(
                StatusCode::FORBIDDEN,
                "federated_connection_refresh_token_not_found",
                format!(
                    "Federated connection Refresh Token not found: user {user_id} has no matching \
                     account on connection {name}."
                ),
            )
        })?;
    let scopes = match ctx.params.get("scope") {
        Some(scope) => {
            let requested = split_scope(scope);
            if let Some(extra) = requested.iter().find(|s| !account.scopes.contains(s)) {
                return Err(OAuthError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_scope",
                    format!("The scope \"{extra}\" is not among the scopes of the {name} account."),
                ));
            }
            requested
        }
        None => account.scopes.clone(),
    };
    let mut extra = Map::new();
    extra.insert(
        "issued_token_type".to_owned(),
        Value::from(FEDERATED_TOKEN_TYPE),
    );
    Ok(TokenResponse {
        access_token: account.access_token.clone(),
        id_token: None,
        refresh_token: None,
        scope: Some(scopes.join(" ")).filter(|s| !s.is_empty()),
        expires_in: FEDERATED_TOKEN_LIFETIME,
        token_type: "Bearer".to_owned(),
        extra,
    })
}
