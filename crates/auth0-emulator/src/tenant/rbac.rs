//! Role-based access control for APIs: with [`ApiConfig::rbac_permissions`] on, the access
//! tokens issued for that API carry Auth0's `permissions` claim (the granted scopes the API
//! defines, as a JSON array), as tenants do when "Add Permissions in the Access Token" is
//! enabled for an API.
//!
//! Imports only the tenant configuration; `issue.rs` calls [`add_permissions`] just before it
//! signs an access token.

use serde_json::{Value, json};

use crate::tenant::config::ApiConfig;
use crate::tenant::state::Tenant;

impl ApiConfig {
    /// Whether access tokens for this API carry the RBAC `permissions` claim (default off).
    pub fn rbac_permissions(mut self, on: bool) -> Self {
        self.rbac_permissions = on;
        self
    }
}

/// Adds `permissions` to the claims of an access token for `audience` when that API has RBAC
/// permissions on: the granted scopes that the API defines, in the order they were granted.
pub(crate) fn add_permissions(
    tenant: &Tenant,
    audience: Option<&str>,
    scopes: &[String],
    claims: &mut Value,
) {
    let Some(api) = audience.and_then(|a| tenant.apis.get(a)) else {
        return;
    };
    if !api.rbac_permissions {
        return;
    }
    let permissions: Vec<&str> = scopes
        .iter()
        .filter(|s| api.scopes.contains(s))
        .map(String::as_str)
        .collect();
    claims["permissions"] = json!(permissions);
}
