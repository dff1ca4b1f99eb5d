//! Where login transactions and sessions are kept between requests.
//!
//! - [`TransactionStore`] and [`StateStore`] are the seams [`ServerClient`](crate::ServerClient)
//!   uses; implement them for a store of your own.
//! - [`CookieTransactionStore`] keeps the transaction in one encrypted cookie (`__a0_tx`).
//! - [`StatelessStateStore`] keeps the whole session in encrypted, chunked cookies
//!   (`__a0_session.0`, `__a0_session.1`, …).
//! - [`StatefulStateStore`] keeps only an encrypted session id in the cookie and the session in
//!   a [`SessionStore`]; [`MemorySessionStore`] is the in-memory one.
//!
//! Every cookie is written exactly as `@auth0/auth0-server-js` writes it. Imports the crate's
//! crypto, cookies, state and error modules.

mod memory;
mod stateful;
mod stateless;
mod transaction;

use std::future::Future;

pub use memory::MemorySessionStore;
pub use stateful::{SessionStore, StatefulStateStore};
pub use stateless::{CHUNK_SIZE, MAX_CHUNKS, StatelessStateStore};
pub use transaction::{CookieTransactionStore, TRANSACTION_MAX_AGE};

use crate::cookies::{CookieJar, CookieOptions};
use crate::error::Result;
use crate::state::{StateData, TransactionData};

/// The default inactivity duration of a rolling session: one day.
pub const DEFAULT_INACTIVITY_DURATION: u64 = 60 * 60 * 24;
/// The default absolute duration of a session: three days.
pub const DEFAULT_ABSOLUTE_DURATION: u64 = 60 * 60 * 24 * 3;

/// How long sessions last and how their cookies are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Rolling sessions (the default): each use extends the session by the inactivity
    /// duration, up to the absolute duration.
    pub rolling: bool,
    /// The most a session lives after login, in seconds (default 3 days).
    pub absolute_duration: u64,
    /// How long an unused rolling session lives, in seconds (default 1 day).
    pub inactivity_duration: u64,
    /// The cookie attributes (HttpOnly, SameSite=Lax, Secure, path `/` by default).
    pub cookie: CookieOptions,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            rolling: true,
            absolute_duration: DEFAULT_ABSOLUTE_DURATION,
            inactivity_duration: DEFAULT_INACTIVITY_DURATION,
            cookie: CookieOptions::default(),
        }
    }
}

impl SessionConfig {
    /// How many seconds a session that began at `created_at` may still live from `now`
    /// (0 when it is over), as the reference computes the cookie's `Max-Age`.
    pub fn max_age(&self, created_at: u64, session_expires_at: Option<u64>, now: u64) -> u64 {
        let absolute_end = created_at.saturating_add(self.absolute_duration);
        let end = if self.rolling {
            now.saturating_add(self.inactivity_duration)
                .min(absolute_end)
        } else {
            absolute_end
        };
        let end = session_expires_at.map_or(end, |ceiling| end.min(ceiling));
        end.saturating_sub(now)
    }

    /// Whether a session that began at `created_at` has passed its absolute lifetime (or its
    /// identity provider's ceiling) at `now`.
    pub fn is_over(&self, state: &StateData, now: u64) -> bool {
        self.max_age(state.internal.created_at, state.session_expires_at, now) == 0
    }
}

/// Claims naming the sessions a back-channel logout ends: a session (`sid`), a user (`sub`), or
/// that user's one session (both). `iss`, when given, must match too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutClaims {
    /// The Auth0 session id.
    pub sid: Option<String>,
    /// The user.
    pub sub: Option<String>,
    /// The issuer.
    pub iss: Option<String>,
}

impl LogoutClaims {
    /// Whether `state` is one of the sessions named. Claims naming neither a `sid` nor a `sub`
    /// match nothing.
    pub fn matches(&self, state: &StateData) -> bool {
        if self.sid.is_none() && self.sub.is_none() {
            return false;
        }
        let sid_ok = self
            .sid
            .as_deref()
            .is_none_or(|sid| state.internal.sid.as_deref() == Some(sid));
        let sub_ok = self
            .sub
            .as_deref()
            .is_none_or(|sub| state.sub() == Some(sub));
        let iss_ok = self
            .iss
            .as_deref()
            .is_none_or(|iss| state.iss().is_none_or(|own| own == iss));
        sid_ok && sub_ok && iss_ok
    }
}

/// Keeps the login transaction between the redirect to Auth0 and the callback.
///
/// `name` is the cookie (or key) name; `now` the current time in seconds from the client's
/// clock.
pub trait TransactionStore: Send + Sync + 'static {
    /// Keeps `data` under `name`.
    fn set(
        &self,
        name: &str,
        data: &TransactionData,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The transaction under `name`, if there is a valid one.
    fn get(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> impl Future<Output = Result<Option<TransactionData>>> + Send;
    /// Removes the transaction under `name`.
    fn delete(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Keeps sessions.
///
/// `name` is the session cookie name; `now` the current time in seconds from the client's
/// clock.
pub trait StateStore: Send + Sync + 'static {
    /// Keeps `data` as the session. `remove_if_exists` (a new login) replaces any existing
    /// session under a new id, against session fixation.
    fn set(
        &self,
        name: &str,
        data: &StateData,
        remove_if_exists: bool,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The session, if there is a valid one. A rolling session is extended as it is read.
    fn get(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> impl Future<Output = Result<Option<StateData>>> + Send;
    /// Ends the session.
    fn delete(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Ends every session `claims` names (back-channel logout); returns how many ended.
    fn delete_by_logout_token(
        &self,
        claims: &LogoutClaims,
    ) -> impl Future<Output = Result<usize>> + Send;
}

/// The options of cookie `name`'s chunk family: `name` itself or `name.<digits>`.
pub(crate) fn chunk_index(cookie: &str, name: &str) -> Option<Option<usize>> {
    let rest = cookie.strip_prefix(name)?;
    if rest.is_empty() {
        return Some(None);
    }
    let digits = rest.strip_prefix('.')?;
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_rolls_up_to_the_absolute_duration() {
        let c = SessionConfig::default();
        let day = DEFAULT_INACTIVITY_DURATION;
        assert_eq!(c.max_age(0, None, 0), day);
        assert_eq!(c.max_age(0, None, day * 2 + 10), day - 10);
        assert_eq!(c.max_age(0, None, day * 3), 0);
        assert_eq!(c.max_age(0, None, day * 4), 0);
        assert_eq!(c.max_age(0, Some(100), 0), 100);
        let fixed = SessionConfig {
            rolling: false,
            ..SessionConfig::default()
        };
        assert_eq!(fixed.max_age(0, None, 10), day * 3 - 10);
    }

    #[test]
    fn chunk_names() {
        assert_eq!(chunk_index("__a0_session", "__a0_session"), Some(None));
        assert_eq!(chunk_index("__a0_session.0", "__a0_session"), Some(Some(0)));
        assert_eq!(
            chunk_index("__a0_session.12", "__a0_session"),
            Some(Some(12))
        );
        assert_eq!(chunk_index("__a0_session.", "__a0_session"), None);
        assert_eq!(chunk_index("__a0_session.x", "__a0_session"), None);
        assert_eq!(chunk_index("__a0_session_other", "__a0_session"), None);
        assert_eq!(chunk_index("__a0_session.-1", "__a0_session"), None);
        assert_eq!(chunk_index("__a0_session.99999", "__a0_session"), None);
    }
}
