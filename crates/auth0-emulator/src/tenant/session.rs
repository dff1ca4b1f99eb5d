//! Browser logins' state: login transactions (a login page waiting for its form), browser
//! sessions (what the `auth0_emulator_session` cookie names), authorization codes and pushed
//! authorization requests; plus the settings clients and the builder gain for them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use serde_json::Value;

use crate::tenant::config::ClientConfig;
use crate::tenant::state::{lock, now_secs, random_token};

/// The name of the browser-session cookie.
pub(crate) const SESSION_COOKIE: &str = "auth0_emulator_session";
/// How long a login page stays submittable.
const TRANSACTION_LIFETIME: Duration = Duration::from_secs(600);
/// How long a pushed authorization request stays usable, in seconds.
pub(crate) const PAR_LIFETIME_SECS: u64 = 60;
/// Wrong passwords allowed on one login page before the login is abandoned.
pub(crate) const MAX_LOGIN_ATTEMPTS: u32 = 5;
/// Above this many entries, a map is swept of expired ones on insert.
const SWEEP_ABOVE: usize = 1024;

/// A client's browser-login settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct BrowserClient {
    /// Allowed post-logout return URLs.
    pub logout_urls: Vec<String>,
    /// Where back-channel logout tokens are POSTed.
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client's users must log in to an organization.
    pub require_organization: bool,
}

impl ClientConfig {
    /// Allows `url` as a post-logout return URL (`post_logout_redirect_uri` of `/oidc/logout`,
    /// `returnTo` of `/v2/logout`). Several may be allowed; they are compared exactly.
    pub fn logout_url(mut self, url: &str) -> Self {
        if !self.browser.logout_urls.iter().any(|u| u == url) {
            self.browser.logout_urls.push(url.to_owned());
        }
        self
    }

    /// Where the tenant POSTs `logout_token=<jwt>` (a form) when a browser session the client
    /// took part in ends. Only plain `http://` loopback URLs are ever called.
    pub fn backchannel_logout_uri(mut self, url: &str) -> Self {
        self.browser.backchannel_logout_uri = Some(url.to_owned());
        self
    }

    /// The client's users must log in to an organization: `/authorize` without `organization`
    /// shows an organization field on the login page.
    pub fn require_organization(mut self) -> Self {
        self.browser.require_organization = true;
        self
    }
}

/// Tenant-wide browser-login settings.
#[derive(Clone, Debug)]
pub(crate) struct BrowserOptions {
    /// How long an authorization code may be exchanged.
    pub code_lifetime: Duration,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            code_lifetime: Duration::from_secs(60),
        }
    }
}

/// A browser session, as [`RunningEmulator::sessions`](crate::RunningEmulator::sessions) reports
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session id (`sid` claim of ID tokens and logout tokens).
    pub sid: String,
    /// The user logged in (`sub`).
    pub user_id: String,
    /// Clients that received an authorization code in this session, in order of first use.
    pub clients: Vec<String>,
    /// The organization (id) of the last login, if any.
    pub organization: Option<String>,
    /// When the user last authenticated (Unix seconds).
    pub auth_time: u64,
}

/// A browser session (the cookie's value is its key in the store).
#[derive(Clone, Debug)]
pub(crate) struct BrowserSession {
    /// `sid`.
    pub sid: String,
    /// The user.
    pub user_id: String,
    /// When the user last authenticated (Unix seconds).
    pub auth_time: u64,
    /// The organization (id) of the last login.
    pub organization: Option<String>,
    /// Clients that got a code in this session.
    pub clients: Vec<String>,
}

impl BrowserSession {
    pub(crate) fn info(&self) -> SessionInfo {
        SessionInfo {
            sid: self.sid.clone(),
            user_id: self.user_id.clone(),
            clients: self.clients.clone(),
            organization: self.organization.clone(),
            auth_time: self.auth_time,
        }
    }
}

/// What an authorization code is bound to.
#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The `redirect_uri` it was sent to.
    pub redirect_uri: String,
    /// The PKCE challenge, if any.
    pub code_challenge: Option<String>,
    /// `S256` or `plain` (set when a challenge is).
    pub code_challenge_method: Option<String>,
    /// The `nonce` of the authorization request.
    pub nonce: Option<String>,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// The API requested.
    pub audience: Option<String>,
    /// The organization (id) logged in to.
    pub organization: Option<String>,
    /// Rich authorization request details (a JSON array).
    pub authorization_details: Option<Value>,
    /// When the user authenticated.
    pub auth_time: u64,
    /// The browser session's `sid`.
    pub sid: String,
    /// The user.
    pub user_id: String,
}

#[cfg(test)]
impl CodeGrant {
    /// A grant for client `c` and user `u`, with no PKCE, nonce, audience or organization.
    pub(crate) fn for_tests() -> Self {
        Self {
            client_id: "c".into(),
            redirect_uri: "http://localhost/cb".into(),
            code_challenge: None,
            code_challenge_method: None,
            nonce: None,
            scopes: vec!["openid".into()],
            audience: None,
            organization: None,
            authorization_details: None,
            auth_time: 0,
            sid: "s".into(),
            user_id: "u".into(),
        }
    }
}

/// A stored authorization code: what it grants and, when it is bound to a DPoP key (RFC 9449
/// section 10), that key's thumbprint. (The binding sits beside [`CodeGrant`], not in it, so
/// that code issuers without DPoP keep building plain grants.)
struct StoredCode {
    grant: CodeGrant,
    dpop_jkt: Option<String>,
}

/// A login page waiting for its form.
struct LoginTransaction {
    request: AuthorizationRequest,
    failures: u32,
    expires_at: Instant,
}

/// Something stored with an expiry.
struct Expiring<T> {
    value: T,
    expires_at: Instant,
}

/// The mutable browser-login state. (No `Debug`: its keys are codes and session cookies.)
#[derive(Default)]
pub(crate) struct BrowserData {
    transactions: HashMap<String, LoginTransaction>,
    /// Open sessions by cookie value.
    pub sessions: HashMap<String, BrowserSession>,
    codes: HashMap<String, Expiring<StoredCode>>,
    pushed: HashMap<String, Expiring<AuthorizationRequest>>,
    /// Every logout, in order.
    pub logouts: Vec<LogoutRecord>,
}

/// Browser-login state shared by the handlers and the test handle.
#[derive(Default)]
pub(crate) struct BrowserStore {
    data: Mutex<BrowserData>,
}

impl std::fmt::Debug for BrowserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = self.data();
        f.debug_struct("BrowserStore")
            .field("transactions", &data.transactions.len())
            .field("sessions", &data.sessions.len())
            .field("codes", &data.codes.len())
            .field("pushed", &data.pushed.len())
            .field("logouts", &data.logouts.len())
            .finish()
    }
}

/// Why a pushed request cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushedRefusal {
    /// Unknown, used or expired.
    Invalid,
    /// Pushed by another client.
    OtherClient,
}

impl BrowserStore {
    /// Locks the state.
    pub(crate) fn data(&self) -> std::sync::MutexGuard<'_, BrowserData> {
        lock(&self.data)
    }

    /// Opens a login transaction for `request`; returns its id.
    pub(crate) fn begin_transaction(&self, request: AuthorizationRequest) -> String {
        let tx = random_token(24);
        let now = crate::tenant::clock::now();
        let mut data = self.data();
        if data.transactions.len() > SWEEP_ABOVE {
            data.transactions.retain(|_, t| t.expires_at > now);
        }
        data.transactions.insert(
            tx.clone(),
            LoginTransaction {
                request,
                failures: 0,
                expires_at: now + TRANSACTION_LIFETIME,
            },
        );
        tx
    }

    /// The request of a live transaction.
    pub(crate) fn transaction(&self, tx: &str) -> Option<AuthorizationRequest> {
        let now = crate::tenant::clock::now();
        self.data()
            .transactions
            .get(tx)
            .filter(|t| t.expires_at > now)
            .map(|t| t.request.clone())
    }

    /// Counts a wrong password; returns the failures so far. The transaction is dropped when
    /// they reach [`MAX_LOGIN_ATTEMPTS`].
    pub(crate) fn record_failure(&self, tx: &str) -> u32 {
        let mut data = self.data();
        let failures = match data.transactions.get_mut(tx) {
            Some(t) => {
                t.failures += 1;
                t.failures
            }
            None => MAX_LOGIN_ATTEMPTS,
        };
        if failures >= MAX_LOGIN_ATTEMPTS {
            data.transactions.remove(tx);
        }
        failures
    }

    /// Ends a transaction, returning its request if it was still live (once only).
    pub(crate) fn finish_transaction(&self, tx: &str) -> Option<AuthorizationRequest> {
        let now = crate::tenant::clock::now();
        self.data()
            .transactions
            .remove(tx)
            .filter(|t| t.expires_at > now)
            .map(|t| t.request)
    }

    /// The session a cookie value names.
    pub(crate) fn session(&self, key: &str) -> Option<BrowserSession> {
        self.data().sessions.get(key).cloned()
    }

    /// Records a login of `user_id`: the session named by `existing` when it is the same user's
    /// (its `auth_time` renewed), else a new session. Returns the cookie value and the session.
    pub(crate) fn open_session(
        &self,
        existing: Option<&str>,
        user_id: &str,
        organization: Option<String>,
    ) -> (String, BrowserSession) {
        let mut data = self.data();
        if let Some(key) = existing
            && let Some(session) = data.sessions.get_mut(key)
            && session.user_id == user_id
        {
            session.auth_time = now_secs();
            if organization.is_some() {
                session.organization = organization;
            }
            return (key.to_owned(), session.clone());
        }
        let key = random_token(32);
        let session = BrowserSession {
            sid: random_token(24),
            user_id: user_id.to_owned(),
            auth_time: now_secs(),
            organization,
            clients: Vec::new(),
        };
        data.sessions.insert(key.clone(), session.clone());
        (key, session)
    }

    /// Notes that `client_id` was used in the session named by `key`.
    pub(crate) fn add_client(&self, key: &str, client_id: &str) {
        if let Some(session) = self.data().sessions.get_mut(key)
            && !session.clients.iter().any(|c| c == client_id)
        {
            session.clients.push(client_id.to_owned());
        }
    }

    /// The cookie value of the session with `sid`.
    pub(crate) fn key_for_sid(&self, sid: &str) -> Option<String> {
        self.data()
            .sessions
            .iter()
            .find(|(_, s)| s.sid == sid)
            .map(|(k, _)| k.clone())
    }

    /// Ends the session named by `key`.
    pub(crate) fn end_session(&self, key: &str) -> Option<BrowserSession> {
        self.data().sessions.remove(key)
    }

    /// Stores a code for `grant`, usable for `lifetime`; returns the code.
    pub(crate) fn issue_code(&self, grant: CodeGrant, lifetime: Duration) -> String {
        self.issue_bound_code(grant, None, lifetime)
    }

    /// Stores a code for `grant`, bound to the DPoP key with thumbprint `dpop_jkt` when there
    /// is one, usable for `lifetime`; returns the code.
    pub(crate) fn issue_bound_code(
        &self,
        grant: CodeGrant,
        dpop_jkt: Option<String>,
        lifetime: Duration,
    ) -> String {
        let code = random_token(32);
        let now = crate::tenant::clock::now();
        let mut data = self.data();
        if data.codes.len() > SWEEP_ABOVE {
            data.codes.retain(|_, c| c.expires_at > now);
        }
        data.codes.insert(
            code.clone(),
            Expiring {
                value: StoredCode { grant, dpop_jkt },
                expires_at: now + lifetime,
            },
        );
        code
    }

    /// The DPoP key thumbprint a live code is bound to; `None` when the code is unbound,
    /// unknown, used or expired. The code is not spent.
    pub(crate) fn code_dpop_jkt(&self, code: &str) -> Option<String> {
        let now = crate::tenant::clock::now();
        self.data()
            .codes
            .get(code)
            .filter(|c| c.expires_at > now)
            .and_then(|c| c.value.dpop_jkt.clone())
    }

    /// Spends a code: it is removed whatever happens next. `None` when unknown, used or
    /// expired.
    pub(crate) fn take_code(&self, code: &str) -> Option<CodeGrant> {
        let now = crate::tenant::clock::now();
        self.data()
            .codes
            .remove(code)
            .filter(|c| c.expires_at > now)
            .map(|c| c.value.grant)
    }

    /// Stores a pushed authorization request; returns its `request_uri`.
    pub(crate) fn push(&self, request: AuthorizationRequest) -> String {
        let uri = format!("urn:ietf:params:oauth:request_uri:{}", random_token(24));
        let now = crate::tenant::clock::now();
        let mut data = self.data();
        if data.pushed.len() > SWEEP_ABOVE {
            data.pushed.retain(|_, p| p.expires_at > now);
        }
        data.pushed.insert(
            uri.clone(),
            Expiring {
                value: request,
                expires_at: now + Duration::from_secs(PAR_LIFETIME_SECS),
            },
        );
        uri
    }

    /// Uses a pushed request (once) on behalf of `client_id`. A request pushed by another
    /// client is left in place.
    pub(crate) fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
    ) -> Result<AuthorizationRequest, PushedRefusal> {
        let now = crate::tenant::clock::now();
        let mut data = self.data();
        let pushed = data
            .pushed
            .get(request_uri)
            .filter(|p| p.expires_at > now)
            .ok_or(PushedRefusal::Invalid)?;
        if pushed.value.client_id != client_id {
            return Err(PushedRefusal::OtherClient);
        }
        data.pushed
            .remove(request_uri)
            .map(|p| p.value)
            .ok_or(PushedRefusal::Invalid)
    }
}

/// The session cookie's value from the request's `Cookie` headers.
// Hand-written on purpose: one cookie, read by name; a cookie crate would parse the same header
// with more code around it.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` for a session cookie naming `key` (`None`: expire the cookie).
pub(crate) fn set_session_cookie(key: Option<&str>) -> HeaderValue {
    let text = match key {
        Some(key) => format!("{SESSION_COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax"),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A checked authorization request (from the query string or a pushed request).
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Where the browser goes back to (registered for the client).
    pub redirect_uri: String,
    /// Requested scopes (default `openid`).
    pub scopes: Vec<String>,
    /// `state`, echoed back.
    pub state: Option<String>,
    /// `nonce`, put in the ID token.
    pub nonce: Option<String>,
    /// The API (a configured one).
    pub audience: Option<String>,
    /// The organization (resolved to its id).
    pub organization: Option<String>,
    /// `invitation` (accepted, not checked).
    #[allow(
        dead_code,
        reason = "kept with the request; invitations are not checked"
    )]
    pub invitation: Option<String>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `prompt` values.
    pub prompt: Vec<String>,
    /// `screen_hint` (`signup` changes the page's heading).
    pub screen_hint: Option<String>,
    /// `login_hint`, pre-filled in the username field.
    pub login_hint: Option<String>,
    /// Rich authorization request details (a JSON array).
    pub authorization_details: Option<Value>,
    /// The PKCE challenge.
    pub code_challenge: Option<String>,
    /// `S256` or `plain` when a challenge was sent.
    pub code_challenge_method: Option<String>,
    /// The thumbprint of the DPoP key the code is bound to (RFC 9449 section 10): `dpop_jkt`,
    /// or for a pushed request the key of its DPoP proof.
    pub dpop_jkt: Option<String>,
}

/// One logout request, as [`RunningEmulator::logouts`](crate::RunningEmulator::logouts) reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutRecord {
    /// `/oidc/logout` or `/v2/logout`.
    pub endpoint: String,
    /// The client named by `client_id` (or, at `/oidc/logout`, by the `id_token_hint`).
    pub client_id: Option<String>,
    /// The `sid` of the browser session that ended; `None` when there was none to end.
    pub sid: Option<String>,
    /// The user of that session.
    pub user_id: Option<String>,
    /// Whether `/v2/logout` was called with `federated`.
    pub federated: bool,
    /// Where the browser was sent (`None`: it got a "logged out" page).
    pub return_to: Option<String>,
    /// The back-channel logout tokens sent because the session ended, in session order.
    pub backchannel: Vec<BackchannelDelivery>,
}

/// One back-channel logout POST.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackchannelDelivery {
    /// The client notified.
    pub client_id: String,
    /// Its `backchannel_logout_uri`.
    pub uri: String,
    /// The HTTP status it answered, or why the POST failed.
    pub outcome: Result<u16, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        assert_eq!(session_cookie(&h), None);
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("x=y; auth0_emulator_session=abc"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        let set = set_session_cookie(Some("k"));
        assert!(set.to_str().unwrap().contains("HttpOnly"));
        assert!(
            set_session_cookie(None)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn codes_remember_their_dpop_binding_until_spent() {
        let store = BrowserStore::default();
        let minute = Duration::from_secs(60);
        let bound = store.issue_bound_code(CodeGrant::for_tests(), Some("jkt-1".into()), minute);
        let plain = store.issue_code(CodeGrant::for_tests(), minute);
        // Looking at the binding does not spend the code.
        assert_eq!(store.code_dpop_jkt(&bound).as_deref(), Some("jkt-1"));
        assert_eq!(store.code_dpop_jkt(&bound).as_deref(), Some("jkt-1"));
        assert_eq!(store.code_dpop_jkt(&plain), None);
        assert_eq!(store.code_dpop_jkt("unknown"), None);
        assert_eq!(store.take_code(&bound).unwrap().client_id, "c");
        assert_eq!(store.code_dpop_jkt(&bound), None, "a spent code is gone");
        assert!(store.take_code(&bound).is_none());
        // An expired code has no binding left to report.
        let expired =
            store.issue_bound_code(CodeGrant::for_tests(), Some("jkt-2".into()), Duration::ZERO);
        assert_eq!(store.code_dpop_jkt(&expired), None);
        assert!(store.take_code(&expired).is_none());
    }

    #[test]
    fn logins_reuse_the_same_users_session() {
        let store = BrowserStore::default();
        let (key, first) = store.open_session(None, "u1", None);
        let (same, again) = store.open_session(Some(&key), "u1", Some("org_1".into()));
        assert_eq!(
            (same.as_str(), again.sid.as_str()),
            (key.as_str(), first.sid.as_str())
        );
        assert_eq!(again.organization.as_deref(), Some("org_1"));
        let (other, third) = store.open_session(Some(&key), "u2", None);
        assert_ne!(other, key);
        assert_ne!(third.sid, first.sid);
        store.add_client(&key, "c");
        store.add_client(&key, "c");
        assert_eq!(store.session(&key).unwrap().clients, vec!["c"]);
        assert_eq!(store.key_for_sid(&first.sid), Some(key.clone()));
        assert!(store.end_session(&key).is_some());
        assert!(store.session(&key).is_none());
    }
}
