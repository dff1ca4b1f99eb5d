//! Role-based access control for APIs. With [`ApiConfig::rbac_permissions`] on, the access
//! tokens issued for that API carry Auth0's `permissions` claim, as tenants do when "Enable
//! RBAC" and "Add Permissions in the Access Token" are on for an API:
//! - for a user with permissions on the API ([`UserConfig::permissions`], which tenant files
//!   also fill from roles), logins get only the requested scopes among those permissions, and
//!   `permissions` lists all of the user's permissions the API defines;
//! - otherwise (client credentials, or a user with no permissions declared for the API, which
//!   keeps the emulator's earlier behaviour) `permissions` lists the granted scopes the API
//!   defines.
//!
//! Imports only the tenant configuration; `issue.rs` calls [`restrict_user_scopes`] before it
//! mints a user's tokens and [`add_permissions`] just before it signs an access token.

use serde_json::{Value, json};

use crate::tenant::config::{ApiConfig, UserConfig};
use crate::tenant::state::Tenant;

/// The OpenID Connect scopes RBAC never removes.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

impl ApiConfig {
    /// Whether access tokens for this API carry the RBAC `permissions` claim (default off).
    pub fn rbac_permissions(mut self, on: bool) -> Self {
        self.rbac_permissions = on;
        self
    }
}

impl UserConfig {
    /// Gives the user `permissions` on the API `audience` (added to any given before). For an
    /// API with [`ApiConfig::rbac_permissions`] on, the user's logins then get only the
    /// requested scopes among these, and the access token's `permissions` claim lists them.
    pub fn permissions(mut self, audience: &str, permissions: &[&str]) -> Self {
        let index = match self.permissions.iter().position(|(a, _)| a == audience) {
            Some(index) => index,
            None => {
                self.permissions.push((audience.to_owned(), Vec::new()));
                self.permissions.len() - 1
            }
        };
        if let Some((_, list)) = self.permissions.get_mut(index) {
            for p in permissions {
                if !list.iter().any(|x| x == p) {
                    list.push((*p).to_owned());
                }
            }
        }
        self
    }
}

/// The user's permissions on `audience`, when any were declared.
fn user_permissions<'a>(user: &'a UserConfig, audience: &str) -> Option<&'a [String]> {
    user.permissions
        .iter()
        .find(|(a, _)| a == audience)
        .map(|(_, p)| p.as_slice())
}

/// The RBAC API for `audience`, if it has RBAC on.
fn rbac_api<'a>(tenant: &'a Tenant, audience: Option<&str>) -> Option<&'a ApiConfig> {
    audience
        .and_then(|a| tenant.apis.get(a))
        .filter(|api| api.rbac_permissions)
}

/// Drops the requested API scopes `user` has no permission for, when the API has RBAC on and
/// the user has permissions declared for it.
pub(crate) fn restrict_user_scopes(
    tenant: &Tenant,
    user: &UserConfig,
    audience: Option<&str>,
    scopes: &mut Vec<String>,
) {
    let Some(api) = rbac_api(tenant, audience) else {
        return;
    };
    let Some(allowed) = user_permissions(user, &api.audience) else {
        return;
    };
    scopes.retain(|s| OIDC_SCOPES.contains(&s.as_str()) || allowed.contains(s));
}

/// Adds `permissions` to the claims of an access token for `audience` when that API has RBAC
/// permissions on: the user's declared permissions the API defines, else the granted scopes
/// that the API defines, in order.
pub(crate) fn add_permissions(
    tenant: &Tenant,
    audience: Option<&str>,
    scopes: &[String],
    user: Option<&UserConfig>,
    claims: &mut Value,
) {
    let Some(api) = rbac_api(tenant, audience) else {
        return;
    };
    let source = user
        .and_then(|u| user_permissions(u, &api.audience))
        .unwrap_or(scopes);
    let permissions: Vec<&str> = source
        .iter()
        .filter(|s| api.scopes.contains(s))
        .map(String::as_str)
        .collect();
    claims["permissions"] = json!(permissions);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_accumulate_per_api() {
        let u = UserConfig::new("a@b.c", "x")
            .permissions("api", &["read", "write"])
            .permissions("api", &["read", "admin"])
            .permissions("other", &["x"]);
        assert_eq!(
            user_permissions(&u, "api").unwrap(),
            ["read", "write", "admin"]
        );
        assert_eq!(user_permissions(&u, "other").unwrap(), ["x"]);
        assert!(user_permissions(&u, "none").is_none());
    }
}
