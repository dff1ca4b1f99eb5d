//! The client-credentials grant: a machine-to-machine access token for an API.

use crate::client::AuthClient;
use crate::error::{ErrorCode, Result};
use crate::grants::required;
use crate::id_token::check_organization_input;
use crate::token::{TokenRequest, TokenResponse};

/// A client-credentials request.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::ClientCredentialsRequest;
///
/// let tokens = client
///     .get_token_by_client_credentials(
///         ClientCredentialsRequest::new("https://api.example.com/").organization("org_123"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ClientCredentialsRequest {
    audience: String,
    organization: Option<String>,
}

impl ClientCredentialsRequest {
    /// A token for the API identified by `audience`.
    pub fn new(audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            organization: None,
        }
    }

    /// Issue the token for this organization (id or name).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

impl AuthClient {
    /// Gets an access token for the application itself (`client_credentials`). Needs a
    /// confidential client.
    pub async fn get_token_by_client_credentials(
        &self,
        request: ClientCredentialsRequest,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByClientCredentials;
        required(&request.audience, "the audience", code)?;
        check_organization_input(request.organization.as_deref(), code)?;
        self.request_token(
            TokenRequest::new(code, "client_credentials")
                .confidential()
                .param("audience", request.audience)
                .opt("organization", request.organization),
        )
        .await
    }
}
