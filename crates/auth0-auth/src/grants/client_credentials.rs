//! The client-credentials grant (RFC 6749 section 4.4): an access token for the application
//! itself. May import the token path (`crate::token`) and input checks; nothing else.

use serde_json::Value;

use crate::client::AuthClient;
use crate::error::{ErrorCode, Result};
use crate::grants::required;
use crate::id_token::check_organization_input;
use crate::token::{TokenRequest, TokenResponse};

/// A client-credentials request.
///
/// Every input is optional: Auth0 names the API with [`audience`](Self::audience) (sent as
/// `resource` when the client is built with
/// [`AudienceParameter::Resource`](crate::AudienceParameter::Resource)); a standard provider
/// may need only a [`scope`](Self::scope). When no audience is given, neither `audience` nor
/// `resource` is sent, and the provider picks its default.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::ClientCredentialsRequest;
///
/// // Auth0: a token for an API, in an organization.
/// let tokens = client
///     .get_token_by_client_credentials(
///         ClientCredentialsRequest::new()
///             .audience("https://api.example.com/")
///             .organization("org_123"),
///     )
///     .await?;
/// // Any OAuth 2.0 provider: scopes only.
/// let tokens = client
///     .get_token_by_client_credentials(ClientCredentialsRequest::new().scope("reports:read"))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientCredentialsRequest {
    pub(crate) audience: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) authorization_details: Option<Value>,
}

impl ClientCredentialsRequest {
    /// A token with the provider's defaults; name the API and scopes with the setters.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API the token is for (`audience`, or `resource` under
    /// [`AudienceParameter::Resource`](crate::AudienceParameter::Resource)). A blank value is
    /// refused.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The requested scope (space-separated), RFC 6749 section 4.4.2.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Issue the token for this organization (id or name).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Rich authorization details (RFC 9396), sent as a JSON string.
    pub fn authorization_details(mut self, details: Value) -> Self {
        self.authorization_details = Some(details);
        self
    }
}

impl AuthClient {
    /// Gets an access token for the application itself (`client_credentials`). Needs a
    /// confidential client. See [`ClientCredentialsRequest`].
    pub async fn get_token_by_client_credentials(
        &self,
        request: ClientCredentialsRequest,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByClientCredentials;
        if let Some(audience) = &request.audience {
            required(audience, "the audience", code)?;
        }
        check_organization_input(request.organization.as_deref(), code)?;
        self.request_token(
            TokenRequest::new(code, "client_credentials")
                .confidential()
                .opt("audience", request.audience)
                .opt("scope", request.scope)
                .opt("organization", request.organization)
                .opt(
                    "authorization_details",
                    request.authorization_details.map(|d| d.to_string()),
                ),
        )
        .await
    }
}
