//! The quickstart tenant: one confidential and one public client, one API, two users (one
//! needing MFA) and one organization. [`EmulatorBuilder::demo_tenant`](crate::EmulatorBuilder::demo_tenant)
//! adds it; the binary starts with it.

use crate::emulator::EmulatorBuilder;
use crate::tenant::config::{ApiConfig, ClientConfig, OrganizationConfig, UserConfig};

/// The confidential client's id.
pub const CLIENT_ID: &str = "quickstart-client";
/// The confidential client's secret.
pub const CLIENT_SECRET: &str = "quickstart-secret-do-not-use-in-production";
/// The public client's id.
pub const PUBLIC_CLIENT_ID: &str = "quickstart-public-client";
/// The API (scopes `read:messages` and `write:messages`; refresh tokens allowed).
pub const AUDIENCE: &str = "https://api.example.com/";
/// The API's scopes.
pub const SCOPES: &[&str] = &["read:messages", "write:messages"];
/// The demo user (name "Jane Doe"; member of the demo organization).
pub const USERNAME: &str = "jane@example.com";
/// The password of both demo users.
pub const PASSWORD: &str = "correct horse battery staple";
/// The demo user's display name.
pub const NAME: &str = "Jane Doe";
/// A user whose password logins answer `mfa_required`.
pub const MFA_USERNAME: &str = "mfa-user@example.com";
/// The demo organization's id.
pub const ORGANIZATION_ID: &str = "org_quickstart123";
/// The demo organization's name.
pub const ORGANIZATION_NAME: &str = "acme";
/// Callback URLs both demo clients allow.
pub const CALLBACKS: &[&str] = &[
    "http://localhost:3000/callback",
    "http://127.0.0.1:3000/callback",
    "http://localhost:8080/callback",
    "http://127.0.0.1:8080/callback",
];
/// The post-logout return URL both demo clients allow.
pub const LOGOUT_URL: &str = "http://localhost:3000/";

/// The grant types both demo clients have enabled. The quickstart, the examples and the test
/// suites of every crate run each of these against the demo clients (code + PKCE, refresh,
/// client credentials, password and password-realm, MFA, passwordless, CIBA, device flow,
/// token exchange and Token Vault, passkeys), so the demo tenant enables them explicitly.
pub const GRANT_TYPES: &[&str] = crate::tenant::grant_types::KNOWN_GRANT_TYPES;

/// Adds the demo tenant to `builder`.
pub(crate) fn configure(builder: EmulatorBuilder) -> EmulatorBuilder {
    let mut confidential = ClientConfig::confidential(CLIENT_ID, CLIENT_SECRET)
        .grant_audience(AUDIENCE, SCOPES)
        .logout_url(LOGOUT_URL)
        .grant_types(GRANT_TYPES);
    let mut public = ClientConfig::public(PUBLIC_CLIENT_ID)
        .logout_url(LOGOUT_URL)
        .grant_types(GRANT_TYPES);
    for url in CALLBACKS {
        confidential = confidential.callback(url);
        public = public.callback(url);
    }
    builder
        .client(confidential)
        .client(public)
        .api(ApiConfig::new(AUDIENCE, SCOPES))
        .organization(OrganizationConfig::new(ORGANIZATION_ID, ORGANIZATION_NAME))
        .user(
            UserConfig::new(USERNAME, PASSWORD)
                .name(NAME)
                .organization(ORGANIZATION_ID),
        )
        .user(
            UserConfig::new(MFA_USERNAME, PASSWORD)
                .name("MFA User")
                .require_mfa(),
        )
}
