//! The token family: `POST /oauth/token` ([`endpoint`]) and the grants it understands, one
//! small module each; a grant's steps that other families also need (MFA, passkeys) are in
//! [`crate::protocol`]. To add a grant, write a module with a `GRANT` constant and list it in
//! [`GRANTS`].

use axum::http::HeaderMap;

use crate::protocol::issue::TokenResponse;
use crate::protocol::params::Params;
use crate::tenant::error::OAuthError;
use crate::tenant::state::{RegisteredClient, Shared};

mod authorization_code;
mod ciba;
mod client_credentials;
mod device_code;
pub(crate) mod endpoint;
mod mfa;
mod otp_challenge;
mod passkey;
mod password;
mod passwordless_otp;
mod refresh_token;
mod token_exchange;
mod token_vault;

/// What a grant gets: the tenant, the authenticated client and the request.
pub(crate) struct GrantContext<'a> {
    /// The tenant.
    pub shared: &'a Shared,
    /// The client, already authenticated.
    pub client: &'a RegisteredClient,
    /// The request parameters.
    pub params: &'a Params,
    /// The request headers.
    #[allow(dead_code)] // for grants that read headers (e.g. auth0-forwarded-for, DPoP)
    pub headers: &'a HeaderMap,
}

impl GrantContext<'_> {
    /// The calling client's id.
    pub(crate) fn client_id(&self) -> &str {
        &self.client.config.client_id
    }
}

/// One grant type.
pub(crate) struct Grant {
    /// The `grant_type` value.
    pub grant_type: &'static str,
    /// Whether public clients may use it.
    pub public_clients: bool,
    /// Runs the grant for an authenticated client.
    pub handle: fn(&GrantContext<'_>) -> Result<TokenResponse, OAuthError>,
}

/// Every supported grant.
const GRANTS: &[Grant] = &[
    authorization_code::GRANT,
    client_credentials::GRANT,
    password::GRANT,
    password::REALM_GRANT,
    refresh_token::GRANT,
    passwordless_otp::GRANT,
    ciba::GRANT,
    device_code::GRANT,
    token_exchange::GRANT,
    token_vault::GRANT,
    mfa::OTP_GRANT,
    mfa::OOB_GRANT,
    mfa::RECOVERY_GRANT,
    passkey::GRANT,
];

/// The grant for `grant_type`.
pub(crate) fn find(grant_type: &str) -> Option<&'static Grant> {
    GRANTS.iter().find(|g| g.grant_type == grant_type)
}

/// Every supported `grant_type`, for discovery.
pub(crate) fn supported() -> impl Iterator<Item = &'static str> {
    GRANTS.iter().map(|g| g.grant_type)
}
