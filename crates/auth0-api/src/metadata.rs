//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document an API serves at
//! [`PROTECTED_RESOURCE_METADATA_PATH`], built with chained setters and serialised with serde.
//!
//! Imports only `error.rs`.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::ApiError;

/// Where the document is served (RFC 9728 §3), under the resource's origin.
pub const PROTECTED_RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// How a client may send a bearer token to the resource (RFC 6750 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BearerMethod {
    /// The `Authorization` header.
    Header,
    /// A form-encoded body parameter.
    Body,
    /// A query parameter.
    Query,
}

/// The protected resource metadata document.
///
/// ```
/// use auth0_api::{BearerMethod, ProtectedResourceMetadata};
///
/// let doc = ProtectedResourceMetadata::new(
///     "https://api.example.com",
///     vec!["https://tenant.auth0.com/".to_string()],
/// )
/// .scopes_supported(["read:orders", "write:orders"])
/// .bearer_methods_supported([BearerMethod::Header])
/// .dpop_signing_alg_values_supported(["ES256"])
/// .validated()
/// .unwrap();
/// let json = serde_json::to_string(&doc).unwrap();
/// assert!(json.starts_with(r#"{"resource":"https://api.example.com","authorization_servers":["#));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes_supported: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bearer_methods_supported: Option<Vec<BearerMethod>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_tos_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_certificate_bound_access_tokens: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_details_types_supported: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_bound_access_tokens_required: Option<bool>,
}

fn strings<I, S>(values: I) -> Option<Vec<String>>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Some(values.into_iter().map(Into::into).collect())
}

impl ProtectedResourceMetadata {
    /// A document for the resource identifier `resource` (its URL) and the authorization
    /// servers (issuer URLs) that issue tokens for it. Check it with
    /// [`validated`](Self::validated) before serving it.
    pub fn new(resource: impl Into<String>, authorization_servers: Vec<String>) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers,
            jwks_uri: None,
            scopes_supported: None,
            bearer_methods_supported: None,
            resource_signing_alg_values_supported: None,
            resource_name: None,
            resource_documentation: None,
            resource_policy_uri: None,
            resource_tos_uri: None,
            tls_client_certificate_bound_access_tokens: None,
            authorization_details_types_supported: None,
            dpop_signing_alg_values_supported: None,
            dpop_bound_access_tokens_required: None,
        }
    }

    /// Checks the required members: `resource` an `https` (or loopback `http`) URL without a
    /// fragment (RFC 9728 §1.2), and at least one authorization server.
    pub fn validated(self) -> Result<Self, ApiError> {
        let url = Url::parse(&self.resource)
            .map_err(|_| ApiError::config("the resource identifier is not a URL"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
        if !(url.scheme() == "https" || url.scheme() == "http" && loopback) {
            return Err(ApiError::config(
                "the resource identifier must be an https URL",
            ));
        }
        if url.fragment().is_some() {
            return Err(ApiError::config(
                "the resource identifier must not have a fragment",
            ));
        }
        if self.authorization_servers.is_empty()
            || self
                .authorization_servers
                .iter()
                .any(|s| s.trim().is_empty())
        {
            return Err(ApiError::config(
                "the document needs at least one authorization server, none empty",
            ));
        }
        Ok(self)
    }

    /// The resource identifier.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The authorization servers.
    pub fn authorization_servers(&self) -> &[String] {
        &self.authorization_servers
    }

    /// `jwks_uri`: the resource's own signing keys.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// `scopes_supported`.
    pub fn scopes_supported<I: IntoIterator<Item = S>, S: Into<String>>(mut self, v: I) -> Self {
        self.scopes_supported = strings(v);
        self
    }

    /// `bearer_methods_supported`.
    pub fn bearer_methods_supported(mut self, v: impl IntoIterator<Item = BearerMethod>) -> Self {
        self.bearer_methods_supported = Some(v.into_iter().collect());
        self
    }

    /// `resource_signing_alg_values_supported`.
    pub fn resource_signing_alg_values_supported<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        v: I,
    ) -> Self {
        self.resource_signing_alg_values_supported = strings(v);
        self
    }

    /// `resource_name`.
    pub fn resource_name(mut self, v: impl Into<String>) -> Self {
        self.resource_name = Some(v.into());
        self
    }

    /// `resource_documentation`.
    pub fn resource_documentation(mut self, v: impl Into<String>) -> Self {
        self.resource_documentation = Some(v.into());
        self
    }

    /// `resource_policy_uri`.
    pub fn resource_policy_uri(mut self, v: impl Into<String>) -> Self {
        self.resource_policy_uri = Some(v.into());
        self
    }

    /// `resource_tos_uri`.
    pub fn resource_tos_uri(mut self, v: impl Into<String>) -> Self {
        self.resource_tos_uri = Some(v.into());
        self
    }

    /// `tls_client_certificate_bound_access_tokens`.
    pub fn tls_client_certificate_bound_access_tokens(mut self, v: bool) -> Self {
        self.tls_client_certificate_bound_access_tokens = Some(v);
        self
    }

    /// `authorization_details_types_supported`.
    pub fn authorization_details_types_supported<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        v: I,
    ) -> Self {
        self.authorization_details_types_supported = strings(v);
        self
    }

    /// `dpop_signing_alg_values_supported`.
    pub fn dpop_signing_alg_values_supported<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        v: I,
    ) -> Self {
        self.dpop_signing_alg_values_supported = strings(v);
        self
    }

    /// `dpop_bound_access_tokens_required`.
    pub fn dpop_bound_access_tokens_required(mut self, v: bool) -> Self {
        self.dpop_bound_access_tokens_required = Some(v);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_set_members_are_serialised_with_their_rfc_9728_names() {
        let doc =
            ProtectedResourceMetadata::new("https://api.example.com", vec!["https://t/".into()]);
        assert_eq!(
            serde_json::to_value(&doc).unwrap(),
            json!({"resource": "https://api.example.com", "authorization_servers": ["https://t/"]})
        );
        let full = doc
            .jwks_uri("https://api.example.com/jwks")
            .scopes_supported(["a"])
            .bearer_methods_supported([BearerMethod::Header, BearerMethod::Query])
            .resource_signing_alg_values_supported(["RS256"])
            .resource_name("Orders")
            .resource_documentation("https://docs")
            .resource_policy_uri("https://policy")
            .resource_tos_uri("https://tos")
            .tls_client_certificate_bound_access_tokens(false)
            .authorization_details_types_supported(["payment"])
            .dpop_signing_alg_values_supported(["ES256"])
            .dpop_bound_access_tokens_required(true)
            .validated()
            .unwrap();
        let v = serde_json::to_value(&full).unwrap();
        assert_eq!(v["bearer_methods_supported"], json!(["header", "query"]));
        assert_eq!(v["dpop_bound_access_tokens_required"], true);
        assert_eq!(v["tls_client_certificate_bound_access_tokens"], false);
        assert_eq!(v.as_object().unwrap().len(), 14);
        let back: ProtectedResourceMetadata = serde_json::from_value(v).unwrap();
        assert_eq!(back, full);
    }

    #[test]
    fn required_members_are_checked() {
        let servers = || vec!["https://t/".to_string()];
        assert!(
            ProtectedResourceMetadata::new("not a url", servers())
                .validated()
                .is_err()
        );
        assert!(
            ProtectedResourceMetadata::new("http://api.example.com", servers())
                .validated()
                .is_err()
        );
        assert!(
            ProtectedResourceMetadata::new("https://api.example.com#x", servers())
                .validated()
                .is_err()
        );
        assert!(
            ProtectedResourceMetadata::new("https://api.example.com", vec![])
                .validated()
                .is_err()
        );
        assert!(
            ProtectedResourceMetadata::new("http://127.0.0.1:3000", servers())
                .validated()
                .is_ok()
        );
    }
}
