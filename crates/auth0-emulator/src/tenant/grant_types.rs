//! Which grant types an application may use, as in an Auth0 application's "Grant Types"
//! settings: [`ClientConfig::grant_types`] restricts a client, [`AppType`] gives the defaults
//! Auth0 picks for each kind of application, and [`check`] is what the token endpoint asks
//! before it runs a grant.
//!
//! A client built with the Rust builder and never restricted may use every grant (as the
//! emulator always did). Clients from a tenant file get their type's defaults unless the file
//! lists `grants`.
//!
//! Imports only the tenant configuration and the error type.

use axum::http::StatusCode;

use crate::tenant::config::ClientConfig;
use crate::tenant::error::OAuthError;

/// The `password-realm` grant, which Auth0's "Password" switch also enables.
const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// Every grant type name a client may list: the grants the token endpoint understands plus
/// `implicit` (a browser response type Auth0 lists among the grants).
pub const KNOWN_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    PASSWORD_REALM,
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:openid:params:grant-type:ciba",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
    "urn:okta:params:oauth:grant-type:webauthn",
];

/// The kind of application, which decides the grant types Auth0 enables when one is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppType {
    /// A server-side web application (confidential): `authorization_code`, `implicit`,
    /// `refresh_token`, `client_credentials`.
    RegularWeb,
    /// A single-page application (public): `authorization_code`, `implicit`, `refresh_token`.
    Spa,
    /// A native or mobile application (public): `authorization_code`, `implicit`,
    /// `refresh_token`.
    Native,
    /// A machine-to-machine application (confidential): `client_credentials`.
    MachineToMachine,
}

impl AppType {
    /// The grant types Auth0 enables for a new application of this type.
    pub fn default_grant_types(self) -> &'static [&'static str] {
        match self {
            Self::RegularWeb => &[
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials",
            ],
            Self::Spa | Self::Native => &["authorization_code", "implicit", "refresh_token"],
            Self::MachineToMachine => &["client_credentials"],
        }
    }
}

impl ClientConfig {
    /// Allows only these grant types (Auth0's names, e.g. `authorization_code`,
    /// `refresh_token`, `password`, `urn:openid:params:grant-type:ciba`; see
    /// [`KNOWN_GRANT_TYPES`]). Any other grant is answered `403 unauthorized_client`
    /// (`Grant type '<name>' not allowed for the client.`). `password` also allows
    /// `http://auth0.com/oauth/grant-type/password-realm`, as the dashboard's switch does.
    /// Without this call the client may use every grant.
    pub fn grant_types(mut self, grant_types: &[&str]) -> Self {
        self.grant_types = Some(grant_types.iter().map(|g| (*g).to_owned()).collect());
        self
    }

    /// Allows only the grant types Auth0 enables by default for `app_type`.
    pub fn default_grant_types_for(self, app_type: AppType) -> Self {
        self.grant_types(app_type.default_grant_types())
    }

    /// Whether the client may use `grant_type`.
    pub(crate) fn allows_grant(&self, grant_type: &str) -> bool {
        let Some(allowed) = &self.grant_types else {
            return true;
        };
        allowed
            .iter()
            .any(|g| g == grant_type || (grant_type == PASSWORD_REALM && g == "password"))
    }
}

/// `Ok` when `client` may use `grant_type`, else Auth0's `403 unauthorized_client`.
pub(crate) fn check(client: &ClientConfig, grant_type: &str) -> Result<(), OAuthError> {
    if client.allows_grant(grant_type) {
        Ok(())
    } else {
        Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            format!("Grant type '{grant_type}' not allowed for the client."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrestricted_clients_may_use_every_grant() {
        let c = ClientConfig::public("p");
        for g in KNOWN_GRANT_TYPES {
            assert!(c.allows_grant(g));
        }
    }

    #[test]
    fn restricted_clients_are_refused_other_grants() {
        let c = ClientConfig::confidential("c", "s").grant_types(&["client_credentials"]);
        assert!(c.allows_grant("client_credentials"));
        let err = check(&c, "password").unwrap_err();
        assert_eq!(err.status, StatusCode::FORBIDDEN);
        assert_eq!(err.error, "unauthorized_client");
        assert_eq!(
            err.description,
            "Grant type 'password' not allowed for the client."
        );
    }

    #[test]
    fn password_enables_password_realm() {
        let c = ClientConfig::public("p").grant_types(&["password"]);
        assert!(c.allows_grant(PASSWORD_REALM));
        let c = ClientConfig::public("p").grant_types(&[PASSWORD_REALM]);
        assert!(!c.allows_grant("password"));
    }

    #[test]
    fn defaults_follow_the_application_type() {
        let m2m =
            ClientConfig::confidential("m", "s").default_grant_types_for(AppType::MachineToMachine);
        assert!(m2m.allows_grant("client_credentials"));
        assert!(!m2m.allows_grant("authorization_code"));
        let spa = ClientConfig::public("s").default_grant_types_for(AppType::Spa);
        assert!(spa.allows_grant("refresh_token"));
        assert!(!spa.allows_grant("client_credentials"));
        assert!(!spa.allows_grant("password"));
        let web = ClientConfig::confidential("w", "s").default_grant_types_for(AppType::RegularWeb);
        assert!(web.allows_grant("client_credentials"));
        assert!(!web.allows_grant("password"));
        for t in [
            AppType::RegularWeb,
            AppType::Spa,
            AppType::Native,
            AppType::MachineToMachine,
        ] {
            for g in t.default_grant_types() {
                assert!(KNOWN_GRANT_TYPES.contains(g));
            }
        }
    }
}
