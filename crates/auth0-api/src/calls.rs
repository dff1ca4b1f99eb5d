//! The calls an API makes as an Auth0 client, with the credentials given to the builder:
//! Token Vault (a federated connection's access token for the user behind an incoming token),
//! custom token exchange profiles, and on-behalf-of exchanges for a downstream API. Each
//! delegates to `auth0_auth::AuthClient::exchange_token`.
//!
//! Imports `client.rs`; errors are `auth0_auth::Error` as the exchange returns them (without
//! client credentials: `missing_client_auth_error`, before any request).

use std::fmt;

use auth0_auth::{
    ACCESS_TOKEN_TYPE, Connection, Error, ExchangeTokenRequest, SecretString, TokenResponse,
};

use crate::client::{ApiClient, Audience};

/// A request for a federated connection's access token from Token Vault, for the user of an
/// Auth0 access token the API received.
#[derive(Clone, Debug)]
pub struct AccessTokenForConnectionRequest {
    connection: Connection,
    access_token: SecretString,
    login_hint: Option<String>,
}

impl AccessTokenForConnectionRequest {
    /// The connection (`google-oauth2`, …) and the user's Auth0 access token.
    pub fn new(connection: Connection, access_token: SecretString) -> Self {
        Self {
            connection,
            access_token,
            login_hint: None,
        }
    }

    /// Which of the user's accounts on the connection.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }
}

/// A federated connection's access token.
#[derive(Clone)]
pub struct ConnectionTokenSet {
    /// The connection's access token.
    pub access_token: SecretString,
    /// Its scopes, when the tenant said.
    pub scope: Option<String>,
    /// When it expires, in seconds since the epoch.
    pub expires_at: u64,
    /// The connection it is for.
    pub connection: Connection,
    /// The account hint that was asked with.
    pub login_hint: Option<String>,
}

impl fmt::Debug for ConnectionTokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionTokenSet")
            .field("access_token", &"[redacted]")
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .field("connection", &self.connection)
            .field("login_hint", &self.login_hint)
            .finish()
    }
}

/// The type of a subject token, as a tenant's Token Exchange Profile names it
/// (`urn:acme:legacy-token`, …).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubjectTokenType(String);

impl SubjectTokenType {
    /// A subject token type.
    pub fn new(token_type: impl Into<String>) -> Self {
        Self(token_type.into())
    }

    /// The type URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A custom token exchange (RFC 8693) through a Token Exchange Profile.
#[derive(Clone, Debug)]
pub struct ExchangeProfileRequest {
    subject_token_type: SubjectTokenType,
    subject_token: SecretString,
    audience: Audience,
    scope: Option<String>,
    requested_token_type: Option<String>,
    organization: Option<String>,
}

impl ExchangeProfileRequest {
    /// Exchanges `subject_token` of `subject_token_type` for a token for `audience`.
    pub fn new(
        subject_token_type: SubjectTokenType,
        subject_token: SecretString,
        audience: Audience,
    ) -> Self {
        Self {
            subject_token_type,
            subject_token,
            audience,
            scope: None,
            requested_token_type: None,
            organization: None,
        }
    }

    /// The scopes wanted.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The token type wanted back.
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// The organization (id or name) to issue the token for.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// An on-behalf-of exchange: the Auth0 access token the API received for one for a downstream
/// API, for the same user.
#[derive(Clone, Debug)]
pub struct OnBehalfOfRequest {
    access_token: SecretString,
    audience: Audience,
    scope: Option<String>,
}

impl OnBehalfOfRequest {
    /// Exchanges `access_token` for a token for `audience`.
    pub fn new(access_token: SecretString, audience: Audience) -> Self {
        Self {
            access_token,
            audience,
            scope: None,
        }
    }

    /// The scopes wanted.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

impl ApiClient {
    /// Gets a federated connection's access token from Token Vault for the user of
    /// `access_token`.
    pub async fn get_access_token_for_connection(
        &self,
        request: AccessTokenForConnectionRequest,
    ) -> Result<ConnectionTokenSet, Error> {
        let mut exchange = ExchangeTokenRequest::token_vault(
            request.connection.clone(),
            request.access_token.clone(),
        );
        if let Some(hint) = &request.login_hint {
            exchange = exchange.login_hint(hint.clone());
        }
        let tokens = self.inner.auth.exchange_token(exchange).await?;
        Ok(ConnectionTokenSet {
            access_token: tokens.access_token,
            scope: tokens.scope,
            expires_at: tokens.expires_at,
            connection: request.connection,
            login_hint: request.login_hint,
        })
    }

    /// Exchanges a token through a custom Token Exchange Profile.
    pub async fn get_token_by_exchange_profile(
        &self,
        request: ExchangeProfileRequest,
    ) -> Result<TokenResponse, Error> {
        let mut exchange = ExchangeTokenRequest::profile(
            request.subject_token_type.as_str(),
            request.subject_token.clone(),
        )
        .audience(request.audience.as_str());
        if let Some(scope) = request.scope {
            exchange = exchange.scope(scope);
        }
        if let Some(t) = request.requested_token_type {
            exchange = exchange.requested_token_type(t);
        }
        if let Some(org) = request.organization {
            exchange = exchange.organization(org);
        }
        self.inner.auth.exchange_token(exchange).await
    }

    /// Exchanges the Auth0 access token the API received for one for a downstream API, for the
    /// same user (subject and requested token types are both access tokens).
    pub async fn get_token_on_behalf_of(
        &self,
        request: OnBehalfOfRequest,
    ) -> Result<TokenResponse, Error> {
        let mut exchange = ExchangeProfileRequest::new(
            SubjectTokenType::new(ACCESS_TOKEN_TYPE),
            request.access_token,
            request.audience,
        )
        .requested_token_type(ACCESS_TOKEN_TYPE);
        if let Some(scope) = request.scope {
            exchange = exchange.scope(scope);
        }
        self.get_token_by_exchange_profile(exchange).await
    }
}
