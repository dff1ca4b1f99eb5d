//! What user info, revocation, database connections, database-connection one-time codes,
//! WebFinger and anonymous sessions share: their configuration ([`AccountConfig`], part of the
//! fixed tenant), their runtime state ([`AccountState`], part of the store), their routes, and
//! the user lookups that also see users created at run time (sign-ups).

use std::collections::HashMap;
use std::fmt;

use crate::tenant::anonymous::AnonymousState;
use crate::tenant::config::{DEFAULT_CONNECTION, UserConfig};
use crate::tenant::otp::OtpState;
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

/// Profile data of a signed-up user that [`UserConfig`] does not hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignupProfile {
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `nickname`.
    pub nickname: Option<String>,
    /// `picture`.
    pub picture: Option<String>,
    /// Whether the email is verified (false after a sign-up, true after an OTP sign-up).
    pub email_verified: bool,
    /// The phone number of a user created by a phone one-time code.
    pub phone_number: Option<String>,
    /// When the user was created (Unix seconds).
    pub created_at: u64,
}

/// A password-change request the tenant "emailed" (recorded instead).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordChangeTicket {
    /// The email asked for, if any.
    pub email: Option<String>,
    /// The username asked for, if any.
    pub username: Option<String>,
    /// The database connection.
    pub connection: String,
    /// The `organization` parameter, if sent.
    pub organization: Option<String>,
    /// Whether a user with that email or username exists on the connection (the answer is the
    /// same either way; only an existing user would get an email).
    pub user_exists: bool,
    /// The reset link that would have been emailed: `{issuer}lo/reset?ticket=…#`.
    pub ticket_url: String,
}

impl fmt::Debug for PasswordChangeTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordChangeTicket")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("connection", &self.connection)
            .field("organization", &self.organization)
            .field("user_exists", &self.user_exists)
            .field("ticket_url", &"[redacted]")
            .finish()
    }
}

/// Whether `phone` is E.164: `+`, then 2 to 15 digits, the first not 0.
pub(crate) fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::state::random_hex;

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
