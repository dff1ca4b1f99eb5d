//! The tenant's state: its fixed configuration ([`Tenant`]) and what changes while it runs
//! ([`Store`]: refresh tokens, pending MFA logins, seen assertion ids), plus small shared
//! helpers (locking, time, randomness).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rand::RngCore as _;
use serde_json::Value;

use crate::tenant::config::{ApiConfig, ClientConfig, OrganizationConfig, UserConfig};
use crate::tenant::error::OAuthError;
use crate::tenant::faults::FaultTable;
use crate::tenant::keys::{AssertionKey, KeyRing, b64url};
use crate::tenant::log::RequestLog;

/// Locks `m`, carrying on if another thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    crate::tenant::clock::now_secs()
}

/// `bytes` random bytes, base64url-encoded.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    b64url(&buf)
}

/// A registered application with its parsed assertion key.
#[derive(Debug)]
pub(crate) struct RegisteredClient {
    /// As configured.
    pub config: ClientConfig,
    /// The parsed public key of a `private_key_jwt` client.
    pub assertion_key: Option<AssertionKey>,
}

/// The tenant's fixed configuration, resolved at start.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// The issuer, always with a trailing slash.
    pub issuer: String,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Applications by client id.
    pub clients: HashMap<String, RegisteredClient>,
    /// Users.
    pub users: Vec<UserConfig>,
    /// APIs by audience.
    pub apis: HashMap<String, ApiConfig>,
    /// Organizations by id.
    pub organizations: HashMap<String, OrganizationConfig>,
    /// ID-token lifetime (seconds).
    pub id_token_lifetime: u64,
    /// Default access-token lifetime (seconds).
    pub access_token_lifetime: u64,
    /// Whether discovery advertises `end_session_endpoint`.
    pub end_session_endpoint: bool,
    /// Whether discovery advertises PAR.
    pub par: bool,
    /// Whether discovery advertises `mtls_endpoint_aliases`.
    pub mtls_aliases: bool,
    /// What access and ID tokens are signed with.
    pub token_signing_alg: crate::tenant::keys::TokenSigningAlg,
    /// Browser-login settings (authorization-code lifetime, …).
    pub browser: crate::tenant::session::BrowserOptions,
    /// Passwordless, CIBA and token-exchange settings (see [`crate::tenant::flows`]).
    pub flows: crate::tenant::flows::FlowConfig,
    /// MFA and passkey settings (see [`crate::endpoints::mfa`]).
    pub factors: crate::tenant::mfa::FactorConfig,
    /// WebFinger domains and anonymous-session lifetimes (see [`crate::tenant::accounts`]).
    pub accounts: crate::tenant::accounts::AccountConfig,
    /// Device-flow and DPoP settings (see [`crate::endpoints::device`], [`crate::protocol::dpop`]).
    pub device_dpop: crate::tenant::device_dpop::DeviceDpopConfig,
    /// When the tenant started (used as users' `updated_at`).
    pub started_at: u64,
}

impl Tenant {
    /// `{issuer}{path}` for a path without a leading slash.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path.trim_start_matches('/'))
    }

    /// The user with id `user_id`.
    pub(crate) fn user(&self, user_id: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    /// The access-token lifetime for `audience`.
    pub(crate) fn access_lifetime(&self, audience: Option<&str>) -> u64 {
        audience
            .and_then(|a| self.apis.get(a))
            .and_then(|api| api.token_lifetime)
            .unwrap_or(self.access_token_lifetime)
    }

    /// The configured API for `audience`, or `403 access_denied "Service not found"`.
    pub(crate) fn api(&self, audience: &str) -> Result<&ApiConfig, OAuthError> {
        self.apis
            .get(audience)
            .ok_or_else(|| OAuthError::access_denied(format!("Service not found: {audience}")))
    }
}

/// A refresh token and the login it continues.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The user.
    pub user_id: String,
    /// The scopes originally granted.
    pub scopes: Vec<String>,
    /// The audience originally requested.
    pub audience: Option<String>,
    /// The organization the user logged in to.
    pub organization: Option<String>,
    /// The session id (`sid`).
    pub sid: String,
    /// When the user authenticated.
    pub auth_time: u64,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A password login waiting for its second factor.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "read by the MFA grants")]
pub(crate) struct PendingMfa {
    /// The user.
    pub user_id: String,
    /// The client that started the login.
    pub client_id: String,
    /// The audience requested.
    pub audience: Option<String>,
    /// The scopes requested.
    pub scopes: Vec<String>,
    /// The organization requested.
    pub organization: Option<String>,
    /// Expiry (Unix seconds).
    pub expires_at: u64,
}

/// Everything that changes while the tenant runs.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Refresh tokens by value.
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    /// How many refresh tokens were issued.
    pub refresh_tokens_issued: usize,
    /// Pending MFA logins by `mfa_token`.
    pub mfa_tokens: HashMap<String, PendingMfa>,
    /// Client-assertion `jti`s seen, by (client id, jti), with their expiry.
    pub seen_jtis: HashMap<(String, String), u64>,
    /// The literal to answer instead of the next ID token.
    pub next_id_token: Option<String>,
    /// Passwordless, CIBA and run-time users (see [`crate::tenant::flows`]).
    pub flows: crate::tenant::flows::FlowState,
    /// Sign-ups, password tickets, OTP challenges, anonymous sessions (see
    /// [`crate::tenant::accounts`]).
    pub accounts: crate::tenant::accounts::AccountState,
    /// Device authorization requests and DPoP state (see [`crate::endpoints::device`],
    /// [`crate::protocol::dpop`]).
    pub device_dpop: crate::tenant::device_dpop::DeviceDpopState,
    /// Session transfer tokens and the sessions they opened (see
    /// [`crate::protocol::session_transfer`]).
    pub session_transfers: crate::tenant::session_transfer::TransferState,
}

/// Everything the server and the test handle share.
pub(crate) struct Shared {
    /// Fixed configuration.
    pub tenant: Tenant,
    /// Signing keys.
    keys: RwLock<KeyRing>,
    /// Mutable state.
    pub store: Mutex<Store>,
    /// Every request received.
    pub log: RequestLog,
    /// Queued misbehaviour.
    pub faults: FaultTable,
    /// Browser logins: transactions, sessions, codes, pushed requests, logouts.
    pub browser: crate::tenant::session::BrowserStore,
    /// MFA authenticators and passkeys (see [`crate::endpoints::mfa`],
    /// [`crate::endpoints::passkey`]).
    pub factors: crate::tenant::mfa::FactorStore,
    /// How far tests moved this tenant's clock (see [`crate::tenant::clock`]).
    pub clock: Arc<crate::tenant::clock::ClockOffset>,
}

impl Shared {
    /// Shared state for `tenant` signing with `keys`.
    pub(crate) fn new(tenant: Tenant, keys: KeyRing) -> Self {
        Self {
            tenant,
            keys: RwLock::new(keys),
            store: Mutex::new(Store::default()),
            log: RequestLog::default(),
            faults: FaultTable::default(),
            browser: crate::tenant::session::BrowserStore::default(),
            factors: crate::tenant::mfa::FactorStore::default(),
            clock: Arc::default(),
        }
    }

    /// Read access to the key ring.
    pub(crate) fn keys(&self) -> RwLockReadGuard<'_, KeyRing> {
        read(&self.keys)
    }

    /// Write access to the key ring.
    pub(crate) fn keys_mut(&self) -> RwLockWriteGuard<'_, KeyRing> {
        write(&self.keys)
    }

    /// The mutable store.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Signs an access or ID token with the tenant's token signer (RS256, or ES256 when so
    /// configured).
    pub(crate) fn sign(&self, claims: &Value) -> Result<String, OAuthError> {
        let key = self.keys().token_signer();
        key.sign(key.alg(), key.kid(), claims)
            .map_err(|_| OAuthError::server_error("The emulator could not sign a token."))
    }

    /// Signs `claims` with the current RSA key, RS256 (back-channel logout tokens).
    pub(crate) fn sign_rs256(&self, claims: &Value) -> Result<String, OAuthError> {
        let key = self.keys().current();
        key.sign("RS256", key.kid(), claims)
            .map_err(|_| OAuthError::server_error("The emulator could not sign a token."))
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("issuer", &self.tenant.issuer)
            .finish_non_exhaustive()
    }
}

/// `bytes` random bytes as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
