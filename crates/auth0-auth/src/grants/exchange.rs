//! Token exchange: RFC 8693 profiles (custom subject tokens, actor tokens) and Auth0 Token
//! Vault (a federated connection's access token).

use secrecy::{ExposeSecret, SecretString};

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, Result};
use crate::id_token::{IdTokenExpectations, check_organization_input};
use crate::token::{TokenRequest, TokenResponse};
use crate::values::Connection;

/// The RFC 8693 grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The Token Vault grant type.
pub const TOKEN_VAULT_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// The token type of an access token (RFC 8693).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The token type of a refresh token (RFC 8693).
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// The token type of an ID token (RFC 8693).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The token type Token Vault issues by default.
pub const FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";

/// The most values one `extra` parameter may carry.
pub const MAX_EXTRA_VALUES: usize = 20;

/// Parameters `extra` can never set: they are skipped silently.
pub const EXTRA_DENY_LIST: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "actor_token",
    "actor_token_type",
    "audience",
    "aud",
    "resource",
    "resources",
    "resource_indicator",
    "scope",
    "connection",
    "login_hint",
    "organization",
    "assertion",
];

/// A token exchange: an RFC 8693 profile ([`profile`](Self::profile)) or Token Vault
/// ([`token_vault`](Self::token_vault)).
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, mcp_token: auth0_auth::SecretString, google_token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
/// use auth0_auth::{Connection, ExchangeTokenRequest};
///
/// // A custom token (say, from an MCP server) for an Auth0 access token:
/// let tokens = client
///     .exchange_token(
///         ExchangeTokenRequest::profile("urn:acme:mcp-token", mcp_token)
///             .audience("https://api.example.com/")
///             .extra("device_id", "device-12345"),
///     )
///     .await?;
///
/// // An Auth0 access token for the user's Google access token, from Token Vault:
/// let google = client
///     .exchange_token(ExchangeTokenRequest::token_vault(
///         Connection::new("google-oauth2"),
///         google_token,
///     ))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ExchangeTokenRequest {
    pub(crate) connection: Option<Connection>,
    pub(crate) subject_token: SecretString,
    pub(crate) subject_token_type: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) requested_token_type: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) actor: Option<(SecretString, String)>,
    pub(crate) login_hint: Option<String>,
    pub(crate) extra: Vec<(String, Vec<String>)>,
}

impl ExchangeTokenRequest {
    fn new(
        connection: Option<Connection>,
        subject_token: SecretString,
        subject_token_type: Option<String>,
    ) -> Self {
        Self {
            connection,
            subject_token,
            subject_token_type,
            audience: None,
            resource: None,
            scope: None,
            requested_token_type: None,
            organization: None,
            actor: None,
            login_hint: None,
            extra: Vec::new(),
        }
    }

    /// An RFC 8693 exchange of `subject_token` of type `subject_token_type` (as configured in
    /// the tenant's Token Exchange Profile).
    pub fn profile(subject_token_type: impl Into<String>, subject_token: SecretString) -> Self {
        Self::new(None, subject_token, Some(subject_token_type.into()))
    }

    /// A Token Vault exchange for `connection`'s access token. The subject token is an Auth0
    /// access token unless [`subject_token_type`](Self::subject_token_type) says otherwise.
    pub fn token_vault(connection: Connection, subject_token: SecretString) -> Self {
        Self::new(Some(connection), subject_token, None)
    }

    /// The subject token's type (Token Vault: access or refresh token type).
    pub fn subject_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.subject_token_type = Some(token_type.into());
        self
    }

    /// The API to get a token for (profiles only).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The resource to get a token for (RFC 8707; profiles only).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The requested scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The token type wanted back.
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// The organization (id or name) to issue the token for (profiles only); a returned ID
    /// token's organization is checked against it.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Acts on behalf of the subject: the actor's token and its type. The response's
    /// [`act`](TokenResponse::act) claim is filled in from the ID token or a JWT access token.
    pub fn actor_token(mut self, token: SecretString, token_type: impl Into<String>) -> Self {
        self.actor = Some((token, token_type.into()));
        self
    }

    /// Which of the user's accounts on the connection (Token Vault only).
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// An extra parameter. Never put secrets or personal data here: extras may be logged.
    /// Names on the [`EXTRA_DENY_LIST`] are skipped.
    pub fn extra(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_values(name, [value.into()])
    }

    /// An extra parameter with several values (the name repeats; at most
    /// [`MAX_EXTRA_VALUES`]).
    pub fn extra_values(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = String>,
    ) -> Self {
        self.extra.push((name.into(), values.into_iter().collect()));
        self
    }
}

/// Refuses a subject token that is blank, has surrounding whitespace, or starts with
/// `Bearer `.
pub(crate) fn check_subject_token(token: &str) -> std::result::Result<(), &'static str> {
    if token.trim().is_empty() {
        return Err("subject_token cannot be blank or whitespace");
    }
    if token != token.trim() {
        return Err("subject_token must not include leading or trailing whitespace");
    }
    let lower = token.get(..7).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("bearer ") || lower.as_deref() == Some("bearer\t") {
        return Err("subject_token must not include the 'Bearer ' prefix");
    }
    Ok(())
}

/// Appends `extra` to a grant: deny-listed names skipped, at most [`MAX_EXTRA_VALUES`] each.
pub(crate) fn add_extras(
    mut grant: TokenRequest,
    extra: Vec<(String, Vec<String>)>,
    code: ErrorCode,
) -> Result<TokenRequest> {
    for (name, values) in extra {
        if EXTRA_DENY_LIST.contains(&name.as_str()) {
            continue;
        }
        if values.len() > MAX_EXTRA_VALUES {
            return Err(Error::invalid_input(
                code,
                format!("Parameter '{name}' exceeds maximum array size of {MAX_EXTRA_VALUES}"),
            ));
        }
        for value in values {
            grant = grant.param(name.clone(), value);
        }
    }
    Ok(grant)
}

impl AuthClient {
    /// Exchanges a token: requests built with
    /// [`ExchangeTokenRequest::token_vault`] go to Token Vault, the others to the RFC 8693
    /// profile. Needs a confidential client.
    pub async fn exchange_token(&self, request: ExchangeTokenRequest) -> Result<TokenResponse> {
        let code = ErrorCode::TokenExchange;
        self.inner.auth.require_confidential()?;
        check_subject_token(request.subject_token.expose_secret())
            .map_err(|m| Error::invalid_input(code, m))?;
        match request.connection.clone() {
            Some(connection) => self.exchange_with_token_vault(connection, request).await,
            None => self.exchange_with_profile(request).await,
        }
    }

    async fn exchange_with_token_vault(
        &self,
        connection: Connection,
        request: ExchangeTokenRequest,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::TokenExchange;
        if request.audience.is_some() || request.resource.is_some() {
            return Err(Error::invalid_input(
                code,
                "audience and resource parameters are not supported for Token Vault exchanges",
            ));
        }
        if request.organization.is_some() || request.actor.is_some() {
            return Err(Error::invalid_input(
                code,
                "organization and actor tokens are not supported for Token Vault exchanges",
            ));
        }
        crate::grants::required(connection.as_str(), "the connection", code)?;
        let grant = TokenRequest::new(code, TOKEN_VAULT_GRANT)
            .confidential()
            .param("connection", connection.as_str())
            .param("subject_token", request.subject_token.expose_secret())
            .param(
                "subject_token_type",
                request
                    .subject_token_type
                    .unwrap_or_else(|| ACCESS_TOKEN_TYPE.to_string()),
            )
            .param(
                "requested_token_type",
                request
                    .requested_token_type
                    .unwrap_or_else(|| FEDERATED_CONNECTION_ACCESS_TOKEN_TYPE.to_string()),
            )
            .opt("login_hint", request.login_hint)
            .opt("scope", request.scope);
        self.request_token(add_extras(grant, request.extra, code)?)
            .await
    }

    async fn exchange_with_profile(&self, request: ExchangeTokenRequest) -> Result<TokenResponse> {
        let code = ErrorCode::TokenExchange;
        check_organization_input(request.organization.as_deref(), code)?;
        let subject_type = request.subject_token_type.unwrap_or_default();
        crate::grants::required(&subject_type, "the subject token type", code)?;
        let read_act = request.actor.is_some();
        let (actor_token, actor_type) = match &request.actor {
            Some((token, token_type)) => {
                crate::grants::required(token.expose_secret(), "the actor token", code)?;
                crate::grants::required(token_type, "the actor token type", code)?;
                (Some(token.expose_secret()), Some(token_type.as_str()))
            }
            None => (None, None),
        };
        let mut grant = TokenRequest::new(code, TOKEN_EXCHANGE_GRANT)
            .confidential()
            .param("subject_token_type", subject_type)
            .param("subject_token", request.subject_token.expose_secret())
            .opt("audience", request.audience)
            .opt("resource", request.resource)
            .opt("scope", request.scope)
            .opt("requested_token_type", request.requested_token_type)
            .opt("organization", request.organization.clone())
            .opt("actor_token", actor_token)
            .opt("actor_token_type", actor_type);
        grant.read_act = read_act;
        grant.expect = IdTokenExpectations {
            organization: request.organization,
            ..Default::default()
        };
        self.request_token(add_extras(grant, request.extra, code)?)
            .await
    }

    /// Gets a federated connection's access token from Token Vault.
    #[deprecated(note = "use `exchange_token(ExchangeTokenRequest::token_vault(..))` instead")]
    pub async fn get_token_for_connection(
        &self,
        request: TokenForConnectionRequest,
    ) -> Result<TokenResponse> {
        let (token, token_type) = match &request.subject {
            ConnectionSubject::AccessToken(t) => (t, ACCESS_TOKEN_TYPE),
            ConnectionSubject::RefreshToken(t) => (t, REFRESH_TOKEN_TYPE),
        };
        let mut exchange = ExchangeTokenRequest::token_vault(request.connection, token.clone())
            .subject_token_type(token_type);
        if let Some(hint) = request.login_hint {
            exchange = exchange.login_hint(hint);
        }
        self.exchange_token(exchange)
            .await
            .map_err(|e| e.in_operation(ErrorCode::TokenForConnection))
    }
}

#[derive(Clone, Debug)]
enum ConnectionSubject {
    AccessToken(SecretString),
    RefreshToken(SecretString),
}

/// The deprecated token-for-connection request: exactly one of an access token or a refresh
/// token, chosen by the constructor.
#[derive(Clone, Debug)]
pub struct TokenForConnectionRequest {
    connection: Connection,
    subject: ConnectionSubject,
    login_hint: Option<String>,
}

impl TokenForConnectionRequest {
    /// Uses an Auth0 access token.
    pub fn with_access_token(connection: Connection, access_token: SecretString) -> Self {
        Self {
            connection,
            subject: ConnectionSubject::AccessToken(access_token),
            login_hint: None,
        }
    }

    /// Uses an Auth0 refresh token.
    pub fn with_refresh_token(connection: Connection, refresh_token: SecretString) -> Self {
        Self {
            connection,
            subject: ConnectionSubject::RefreshToken(refresh_token),
            login_hint: None,
        }
    }

    /// Which of the user's accounts on the connection.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_token_footguns_are_refused() {
        assert!(check_subject_token("abc.def").is_ok());
        assert!(check_subject_token("").is_err());
        assert!(check_subject_token("   ").is_err());
        assert!(
            check_subject_token(" abc")
                .unwrap_err()
                .contains("whitespace")
        );
        assert!(check_subject_token("abc\n").is_err());
        for b in ["Bearer abc", "bearer abc", "BEARER abc"] {
            assert!(
                check_subject_token(b).unwrap_err().contains("Bearer"),
                "{b}"
            );
        }
        assert!(check_subject_token("Bearerabc").is_ok());
    }

    #[test]
    fn extras_skip_the_deny_list_repeat_arrays_and_cap_them() {
        let grant = TokenRequest::new(ErrorCode::TokenExchange, TOKEN_EXCHANGE_GRANT);
        let extras = vec![
            ("device_id".to_string(), vec!["d1".to_string()]),
            ("scope".to_string(), vec!["admin".to_string()]),
            ("client_id".to_string(), vec!["other".to_string()]),
            ("tag".to_string(), vec!["a".to_string(), "b".to_string()]),
        ];
        let grant = add_extras(grant, extras, ErrorCode::TokenExchange).unwrap();
        let names: Vec<_> = grant
            .params
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_str().unwrap()))
            .collect();
        assert_eq!(names, [("device_id", "d1"), ("tag", "a"), ("tag", "b")]);

        let grant = TokenRequest::new(ErrorCode::TokenExchange, TOKEN_EXCHANGE_GRANT);
        let too_many = vec![("x".to_string(), (0..21).map(|i| i.to_string()).collect())];
        assert!(add_extras(grant, too_many, ErrorCode::TokenExchange).is_err());
        let grant = TokenRequest::new(ErrorCode::TokenExchange, TOKEN_EXCHANGE_GRANT);
        let twenty = vec![("x".to_string(), (0..20).map(|i| i.to_string()).collect())];
        assert!(add_extras(grant, twenty, ErrorCode::TokenExchange).is_ok());
    }
}
