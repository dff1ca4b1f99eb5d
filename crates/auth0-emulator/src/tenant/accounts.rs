//! What user info, revocation, database connections, database-connection one-time codes,
//! WebFinger and anonymous sessions share: their configuration ([`AccountConfig`], part of the
//! fixed tenant), their runtime state ([`AccountState`], part of the store), their routes, and
//! the user lookups that also see users created at run time (sign-ups).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use rand::RngCore as _;

use crate::endpoints::anonymous::AnonymousState;
use crate::tenant::config::{DEFAULT_CONNECTION, UserConfig};
use crate::endpoints::database::{PasswordChangeTicket, SignupProfile};
use crate::endpoints::otp_challenge::OtpState;
use crate::tenant::state::Shared;

/// Default anonymous access-token lifetime, in seconds.
const DEFAULT_ANONYMOUS_TOKEN_LIFETIME: u64 = 600;
/// Default anonymous session lifetime, in seconds.
const DEFAULT_ANONYMOUS_SESSION_LIFETIME: u64 = 86_400;

/// Configuration set on the builder and fixed once the tenant starts.
#[derive(Debug, Clone)]
pub(crate) struct AccountConfig {
    /// Enterprise email domains (lower-case) and the connection each is routed to.
    pub enterprise_domains: Vec<(String, String)>,
    /// Anonymous access-token lifetime, in seconds.
    pub anonymous_token_lifetime: u64,
    /// Anonymous session lifetime, in seconds.
    pub anonymous_session_lifetime: u64,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            enterprise_domains: Vec::new(),
            anonymous_token_lifetime: DEFAULT_ANONYMOUS_TOKEN_LIFETIME,
            anonymous_session_lifetime: DEFAULT_ANONYMOUS_SESSION_LIFETIME,
        }
    }
}

/// What these endpoints remember while the tenant runs.
#[derive(Default)]
pub(crate) struct AccountState {
    /// Extra profile data of signed-up users, by user id (presence means "signed up").
    pub profiles: HashMap<String, SignupProfile>,
    /// Password-change tickets, in order.
    pub tickets: Vec<PasswordChangeTicket>,
    /// `/otp/challenge` challenges.
    pub otp: OtpState,
    /// Anonymous sessions.
    pub anonymous: AnonymousState,
}

impl fmt::Debug for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountState")
            .field("signed_up_users", &self.profiles.len())
            .field("password_change_tickets", &self.tickets.len())
            .field("otp", &self.otp)
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

/// The routes of database connections, OTP challenges, WebFinger and anonymous sessions
/// (user info and revocation are in [`mtls_routes`], which the server mounts both at the root
/// and under `/mtls`).
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/dbconnections/signup",
            post(crate::endpoints::database::signup_endpoint),
        )
        .route(
            "/dbconnections/change_password",
            post(crate::endpoints::database::change_password_endpoint),
        )
        .route(
            "/otp/challenge",
            post(crate::endpoints::otp_challenge::challenge_endpoint),
        )
        .route(
            "/.well-known/webfinger",
            get(crate::endpoints::webfinger::webfinger_endpoint),
        )
        .route("/anonymous/token", post(crate::endpoints::anonymous::token_endpoint))
        .route("/anonymous/logout", post(crate::endpoints::anonymous::logout_endpoint))
}

/// The routes that also have an mTLS alias: `/userinfo` and `/oauth/revoke`.
pub(crate) fn mtls_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/userinfo",
            get(crate::endpoints::userinfo::userinfo_endpoint).post(crate::endpoints::userinfo::userinfo_endpoint),
        )
        .route("/oauth/revoke", post(crate::endpoints::revocation::revoke_endpoint))
}

/// `bytes` random bytes as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A minimal email check: something, `@`, something with a dot, no spaces.
pub(crate) fn looks_like_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(char::is_whitespace)
    })
}

impl Shared {
    /// Whether `connection` is a database connection of the tenant: the default one, or the
    /// connection of any configured user (passwordless `email` and `sms` are not).
    pub(crate) fn is_database_connection(&self, connection: &str) -> bool {
        if connection == "email" || connection == "sms" {
            return false;
        }
        connection == DEFAULT_CONNECTION
            || self.tenant.users.iter().any(|u| u.connection == connection)
    }

    /// The database user `login` (email or username) of `realm` (any realm when `None`): a
    /// configured user first, else one who signed up while the tenant runs.
    pub(crate) fn database_user(&self, login: &str, realm: Option<&str>) -> Option<UserConfig> {
        let fits =
            |u: &UserConfig| u.matches_login(login) && realm.is_none_or(|r| u.connection == r);
        if let Some(user) = self.tenant.users.iter().find(|u| fits(u)) {
            return Some(user.clone());
        }
        let store = self.store();
        store
            .flows
            .users
            .iter()
            .find(|u| store.accounts.profiles.contains_key(&u.user_id) && fits(u))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let hex = random_hex(12);
        assert_eq!(hex.len(), 24);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(looks_like_email("a@b.co"));
        for bad in ["a@b", "@b.c", "a b@c.d", "a@.c", "a@c."] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
