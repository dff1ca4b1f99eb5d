//! The token cache (issue 19): machine-to-machine and exchanged access tokens kept until just
//! before they expire, fetched once per key however many tasks ask at the same time.
//!
//! What lives here: [`TokenCache`] (the policy: margins, single flight, background refresh),
//! the key encoding ([`KeySource`], written to SHA-256 for [`TokenKey`] and to the local copy's
//! fast hash), [`CachedToken`], the [`TokenStore`] seam with its in-memory default
//! [`MemoryTokenStore`], and [`CachedTokens`], the view returned by [`AuthClient::cached`].
//! The submodule `local` holds the local copy. May import the client, the grant request values
//! and the error module; nothing in the crate imports it.
//!
//! How a call goes: the key's parts are hashed with a fast seeded hash and looked up in the
//! local copy (the tokens last read from the store, compared on the key's full bytes); a fresh
//! token there is returned with no allocation, no SHA-256 and no store access. Otherwise the
//! key's SHA-256 digest names it in the store, which is read, and a fresh token found there is
//! copied locally and returned. Otherwise the caller joins this process's one flight for the
//! key, which asks the store for a fleet-wide lock ([`TokenStore::lock`]; the in-memory store
//! always grants it), fetches, stores and unlocks. Errors are handed to every caller of that
//! flight and never kept. A token nearing its end is still returned while one background task
//! fetches its successor.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::client::AuthClient;
use crate::error::Result;
use crate::grants::client_credentials::ClientCredentialsRequest;
use crate::grants::exchange::ExchangeTokenRequest;
use crate::token::TokenResponse;

mod local;

use local::{Local, LocalCopy};

/// The default [`TokenCache::expiry_margin`]: 30 seconds.
pub const DEFAULT_EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// The default [`TokenCache::refresh_ahead`]: 5 minutes.
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(300);
/// How many keys a cache's local copy remembers.
const DEFAULT_LOCAL_ENTRIES: usize = 10_000;
/// The default [`TokenCache::lock_ttl`]: 10 seconds.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(10);
/// The default [`TokenCache::local_copy_ttl`]: 60 seconds.
pub const DEFAULT_LOCAL_COPY_TTL: Duration = Duration::from_secs(60);
/// How often a process waiting on another process's fetch reads the store again.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(20);
/// After a background refresh fails, hits wait this long before starting another one (the
/// token in hand is still valid; a synchronous fetch happens anyway once it is inside the
/// margin).
pub const BACKGROUND_RETRY_DELAY: Duration = Duration::from_secs(5);

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Which token a cache entry is: a SHA-256 digest over the tenant's base URL, the client id
/// (and the thumbprint of its DPoP key, if any), the grant and every request parameter that
/// changes the token (audience, resource, scope, organization, authorization details, the
/// subject and actor tokens of an exchange, …), each length-prefixed so that no two different
/// requests share a key.
///
/// The digest reveals none of the inputs (a subject token included), so it can name entries in
/// a shared store. `Debug` shows its first bytes in hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest in lower-case hex (64 characters), for key names in a shared store.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in &self.0 {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        hex
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey(")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// Where the canonical bytes of a key go: SHA-256 (the [`TokenKey`] digest), the local copy's
/// fast hash, a buffer (the local entry's own copy of the bytes), or a comparison with such a
/// copy. Every use sees the same bytes, so equal bytes mean the same key everywhere.
pub(crate) trait KeySink {
    fn put(&mut self, bytes: &[u8]);
}

impl KeySink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl KeySink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes key parts to a [`KeySink`] without building any string: every part is
/// length-prefixed or tagged, so the encoding is prefix-free and two different requests never
/// produce the same bytes.
pub(crate) struct KeyWriter<'s, S: KeySink>(&'s mut S);

impl<S: KeySink> KeyWriter<'_, S> {
    /// `tag` (if any) then `n` as LEB128 (one byte below 128: prefix-free, and short, so that a
    /// typical key fits in fewer SHA-256 blocks), handed to the sink in one piece.
    fn tagged_len(&mut self, tag: Option<u8>, mut n: usize) {
        let mut buf = [0u8; 11];
        let mut i = 0;
        if let Some(tag) = tag {
            buf[0] = tag;
            i = 1;
        }
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                buf[i] = byte;
                i += 1;
                break;
            }
            buf[i] = byte | 0x80;
            i += 1;
        }
        self.0.put(&buf[..i]);
    }

    fn len(&mut self, n: usize) {
        self.tagged_len(None, n);
    }

    fn tag(&mut self, tag: u8) {
        self.0.put(&[tag]);
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.put(s.as_bytes());
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.tag(0),
            Some(s) => {
                self.tagged_len(Some(1), s.len());
                self.0.put(s.as_bytes());
            }
        }
    }

    fn json(&mut self, v: Option<&serde_json::Value>) {
        match v {
            None => self.tag(0),
            Some(v) => {
                self.tag(1);
                // Serialized straight into the sink (no allocation), then closed with a byte
                // that UTF-8 JSON never holds.
                let _ = serde_json::to_writer(&mut *self, v);
                self.tag(0xff);
            }
        }
    }

    /// What every key starts with: the format, the tenant, the client (and its DPoP key, which
    /// binds the tokens it gets), and the grant.
    fn header(&mut self, client: &AuthClient, grant: &str) {
        self.0.put(b"a0tk2");
        self.str(client.base_url().as_str());
        self.str(client.client_id());
        self.opt(client.dpop_key().map(|k| k.thumbprint()));
        self.str(grant);
    }
}

impl<S: KeySink> io::Write for KeyWriter<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.put(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A request a token is cached for, seen with its client: writes everything that changes the
/// token to a sink.
pub(crate) trait KeySource {
    fn encode<S: KeySink>(&self, w: &mut KeyWriter<'_, S>);

    /// The SHA-256 digest of the encoding.
    fn digest(&self) -> TokenKey {
        let mut h = Sha256::new();
        self.encode(&mut KeyWriter(&mut h));
        TokenKey(h.finalize().into())
    }

    /// The encoding itself (for the local copy's entry).
    fn bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(256);
        self.encode(&mut KeyWriter(&mut v));
        v
    }
}

/// A client-credentials request: keyed by audience, scope, organization and authorization
/// details.
pub(crate) struct ClientCredentialsKey<'a> {
    pub(crate) client: &'a AuthClient,
    pub(crate) request: &'a ClientCredentialsRequest,
}

impl KeySource for ClientCredentialsKey<'_> {
    fn encode<S: KeySink>(&self, w: &mut KeyWriter<'_, S>) {
        let request = self.request;
        w.header(self.client, "client_credentials");
        w.opt(request.audience.as_deref());
        w.opt(request.scope.as_deref());
        w.opt(request.organization.as_deref());
        w.json(request.authorization_details.as_ref());
    }
}

/// A token exchange: keyed by every input, the subject and actor tokens included.
pub(crate) struct ExchangeKey<'a> {
    pub(crate) client: &'a AuthClient,
    pub(crate) request: &'a ExchangeTokenRequest,
}

impl KeySource for ExchangeKey<'_> {
    fn encode<S: KeySink>(&self, w: &mut KeyWriter<'_, S>) {
        let request = self.request;
        w.header(self.client, crate::grants::exchange::TOKEN_EXCHANGE_GRANT);
        w.opt(request.connection.as_ref().map(|c| c.as_str()));
        w.str(request.subject_token.expose_secret());
        w.opt(request.subject_token_type.as_deref());
        w.opt(request.audience.as_deref());
        w.opt(request.resource.as_deref());
        w.opt(request.scope.as_deref());
        w.opt(request.requested_token_type.as_deref());
        w.opt(request.organization.as_deref());
        match &request.actor {
            None => w.tag(0),
            Some((token, kind)) => {
                w.tag(1);
                w.str(token.expose_secret());
                w.str(kind);
            }
        }
        w.opt(request.login_hint.as_deref());
        w.len(request.extra.len());
        for (name, values) in &request.extra {
            w.str(name);
            w.len(values.len());
            for v in values {
                w.str(v);
            }
        }
    }
}

/// An access token kept by a [`TokenCache`]. Cheap to clone (one reference count); `Debug`
/// never shows the token.
#[derive(Clone)]
pub struct CachedToken(Arc<TokenData>);

#[derive(Serialize, Deserialize)]
struct TokenData {
    #[serde(serialize_with = "expose")]
    access_token: SecretString,
    expires_at: u64,
    fetched_at: u64,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    issued_token_type: Option<String>,
}

fn expose<S: serde::Serializer>(s: &SecretString, ser: S) -> std::result::Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose_secret())
}

impl CachedToken {
    /// The parts of `response` a cache keeps (ID and refresh tokens are not kept), fetched at
    /// `fetched_at` (seconds since the Unix epoch).
    pub fn from_response(response: &TokenResponse, fetched_at: u64) -> Self {
        Self(Arc::new(TokenData {
            access_token: response.access_token.clone(),
            expires_at: response.expires_at,
            fetched_at,
            scope: response.scope.clone(),
            token_type: response.token_type.clone(),
            issued_token_type: response.issued_token_type.clone(),
        }))
    }

    /// The access token.
    pub fn access_token(&self) -> &SecretString {
        &self.0.access_token
    }

    /// When the access token expires, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.0.expires_at
    }

    /// When it was fetched, in seconds since the Unix epoch.
    pub fn fetched_at(&self) -> u64 {
        self.0.fetched_at
    }

    /// The granted scope.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// The token type, lower-cased (`bearer`, `dpop`, `n_a`).
    pub fn token_type(&self) -> Option<&str> {
        self.0.token_type.as_deref()
    }

    /// The issued token type of a token exchange.
    pub fn issued_token_type(&self) -> Option<&str> {
        self.0.issued_token_type.as_deref()
    }

    /// The token as JSON, for a store that keeps bytes (encrypt it before it leaves the
    /// process: it holds the access token in clear).
    pub fn to_json(&self) -> SecretString {
        // Serializing a struct of strings and integers cannot fail.
        SecretString::from(serde_json::to_string(&*self.0).unwrap_or_default())
    }

    /// Reads JSON written by [`to_json`](Self::to_json).
    pub fn from_json(json: &str) -> std::result::Result<Self, TokenStoreError> {
        serde_json::from_str::<TokenData>(json)
            .map(|d| Self(Arc::new(d)))
            .map_err(|_| TokenStoreError::new("a stored token is not readable"))
    }

    #[cfg(test)]
    pub(crate) fn new_for_tests(access_token: &str, fetched_at: u64, expires_at: u64) -> Self {
        Self(Arc::new(TokenData {
            access_token: access_token.into(),
            expires_at,
            fetched_at,
            scope: None,
            token_type: None,
            issued_token_type: None,
        }))
    }

    /// Whether two values hold the same access token (compared without exposing either).
    pub fn same_token(&self, other: &CachedToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || self.0.access_token.expose_secret() == other.0.access_token.expose_secret()
    }

    /// The moment (seconds since the Unix epoch) a background refresh becomes due: `ahead`
    /// before expiry, but never earlier than half-way through the token's life, so a short-lived
    /// token is not refreshed on every hit.
    fn refresh_due_at(&self, ahead: u64) -> u64 {
        let life = self.0.expires_at.saturating_sub(self.0.fetched_at);
        self.0.expires_at.saturating_sub(ahead.min(life / 2))
    }
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &"[redacted]")
            .field("expires_at", &self.0.expires_at)
            .field("fetched_at", &self.0.fetched_at)
            .field("scope", &self.0.scope)
            .field("token_type", &self.0.token_type)
            .finish()
    }
}

/// What a cache may do with the token it finds, at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Hand it out.
    Fresh,
    /// Hand it out, and refresh it in the background.
    RefreshAhead,
    /// Too close to expiry (within the margin): fetch a new one first.
    Stale,
}

pub(crate) fn freshness(token: &CachedToken, now: u64, margin: u64, ahead: u64) -> Freshness {
    if token.expires_at() <= now.saturating_add(margin) {
        Freshness::Stale
    } else if now
        >= token
            .refresh_due_at(ahead)
            .min(token.expires_at().saturating_sub(margin))
    {
        Freshness::RefreshAhead
    } else {
        Freshness::Fresh
    }
}

/// A failure of a [`TokenStore`]. Its message names what failed, never a token.
#[derive(Debug, thiserror::Error)]
#[error("token store: {message}")]
pub struct TokenStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TokenStoreError {
    /// A failure described by `message` (keep secrets out of it).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A failure with the error underneath (keep secrets out of both).
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// The outcome of [`TokenStore::lock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchLock {
    /// This caller holds the lock, identified by this value (give it back to
    /// [`TokenStore::unlock`]).
    Acquired(String),
    /// Another holder (another process) is fetching: read the store again shortly.
    Held,
}

/// Where a [`TokenCache`] keeps tokens. [`MemoryTokenStore`] keeps them in this process; a
/// shared store (such as `auth0-redis`'s) lets a fleet of processes fetch each token once.
///
/// A store only keeps and returns tokens; the cache decides when one is fresh. A store's error
/// is never fatal: the cache logs it and fetches the token itself.
pub trait TokenStore: Send + Sync + 'static {
    /// The token kept under `key`, if any (it may be stale).
    fn get(
        &self,
        key: &TokenKey,
    ) -> impl Future<Output = std::result::Result<Option<CachedToken>, TokenStoreError>> + Send;

    /// Keeps `token` under `key` until it expires.
    fn put(
        &self,
        key: &TokenKey,
        token: &CachedToken,
    ) -> impl Future<Output = std::result::Result<(), TokenStoreError>> + Send;

    /// Takes the lock that lets one fetcher in a fleet fetch `key`'s token, for at most `ttl`
    /// (a holder that crashes blocks nobody longer). The default grants it at once: one
    /// process needs no lock beyond the cache's own single flight.
    fn lock(
        &self,
        key: &TokenKey,
        ttl: Duration,
    ) -> impl Future<Output = std::result::Result<FetchLock, TokenStoreError>> + Send {
        let _ = (key, ttl);
        async { Ok(FetchLock::Acquired(String::new())) }
    }

    /// Releases a lock taken with [`lock`](Self::lock), if `lock` still holds it.
    fn unlock(
        &self,
        key: &TokenKey,
        lock: &str,
    ) -> impl Future<Output = std::result::Result<(), TokenStoreError>> + Send {
        let _ = (key, lock);
        async { Ok(()) }
    }
}

/// Tokens in this process's memory: a bounded map read under a shared lock, so that a hit
/// takes no allocation (the reason it is not a moka cache, whose reads allocate for their
/// bookkeeping). When full, an insert first drops the expired tokens, then the one that
/// expires soonest. The default store of a [`TokenCache`].
#[derive(Clone)]
pub struct MemoryTokenStore {
    max_tokens: usize,
    map: Arc<RwLock<HashMap<TokenKey, CachedToken>>>,
}

impl MemoryTokenStore {
    /// At most `max_tokens` tokens (at least one).
    pub fn new(max_tokens: usize) -> Self {
        Self {
            max_tokens: max_tokens.max(1),
            map: Arc::new(RwLock::new(HashMap::new())),
        }
    }

    /// How many tokens are kept (expired ones included until an insert drops them).
    pub fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryTokenStore {
    /// Up to 10,000 tokens.
    fn default() -> Self {
        Self::new(10_000)
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &self.len())
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

impl TokenStore for MemoryTokenStore {
    async fn get(
        &self,
        key: &TokenKey,
    ) -> std::result::Result<Option<CachedToken>, TokenStoreError> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(key).cloned())
    }

    async fn put(
        &self,
        key: &TokenKey,
        token: &CachedToken,
    ) -> std::result::Result<(), TokenStoreError> {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max_tokens && !map.contains_key(key) {
            let now = now_secs();
            map.retain(|_, t| t.expires_at() > now);
            if map.len() >= self.max_tokens
                && let Some(soonest) = map
                    .iter()
                    .min_by_key(|(_, t)| t.expires_at())
                    .map(|(k, _)| *k)
            {
                map.remove(&soonest);
            }
        }
        map.insert(*key, token.clone());
        Ok(())
    }
}

type Flight = Arc<OnceCell<Result<CachedToken>>>;

struct Shared<S> {
    store: S,
    margin: u64,
    ahead: u64,
    lock_ttl: Duration,
    poll_interval: Duration,
    /// Seconds a token read from the store is handed out from `local` (0: never).
    local_ttl: u64,
    local: LocalCopy,
    flights: Mutex<HashMap<TokenKey, Flight>>,
    /// Keys whose background refresh failed, and when another may start (seconds).
    refresh_backoff: Mutex<HashMap<TokenKey, u64>>,
}

/// A token cache: hands out a kept access token while it has more than the
/// [`expiry_margin`](Self::expiry_margin) left, fetches each key's token once however many
/// tasks ask together, refreshes tokens in the background ahead of expiry, and never keeps an
/// error. Clones share one cache.
///
/// Use it through [`AuthClient::cached`]; the same cache may serve several clients (the tenant
/// and client id are part of every key).
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
/// use auth0_auth::{ClientCredentialsRequest, ExposeSecret, TokenCache};
///
/// let cache = TokenCache::new(); // build once, next to the client
/// let request = ClientCredentialsRequest::new().audience("https://api.example.com/");
/// let token = client.cached(&cache).get_token_by_client_credentials(&request).await?;
/// println!("Bearer {}", token.access_token().expose_secret());
/// # Ok(()) }
/// ```
pub struct TokenCache<S = MemoryTokenStore> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for TokenCache<S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<S> fmt::Debug for TokenCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("expiry_margin_secs", &self.shared.margin)
            .field("refresh_ahead_secs", &self.shared.ahead)
            .field("lock_ttl", &self.shared.lock_ttl)
            .finish_non_exhaustive()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenCache {
    /// A cache in this process's memory ([`MemoryTokenStore`]).
    pub fn new() -> Self {
        Self::with_store(MemoryTokenStore::default())
    }
}

impl<S: TokenStore> TokenCache<S> {
    /// A cache that keeps its tokens in `store`.
    pub fn with_store(store: S) -> Self {
        Self {
            shared: Arc::new(Shared {
                store,
                margin: DEFAULT_EXPIRY_MARGIN.as_secs(),
                ahead: DEFAULT_REFRESH_AHEAD.as_secs(),
                lock_ttl: DEFAULT_LOCK_TTL,
                poll_interval: DEFAULT_POLL_INTERVAL,
                local_ttl: DEFAULT_LOCAL_COPY_TTL.as_secs(),
                local: LocalCopy::new(DEFAULT_LOCAL_ENTRIES),
                flights: Mutex::new(HashMap::new()),
                refresh_backoff: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn configure(mut self, f: impl FnOnce(&mut Shared<S>)) -> Self {
        // Settings are chained right after construction, before any clone exists; a clone
        // taken earlier keeps the settings it had.
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => f(shared),
            None => tracing::warn!("TokenCache settings changed after it was shared are ignored"),
        }
        self
    }

    /// A token with less than this left is never handed out (default 30 s): it is fetched
    /// anew first. Whole seconds.
    pub fn expiry_margin(self, margin: Duration) -> Self {
        self.configure(|s| s.margin = margin.as_secs())
    }

    /// A token with less than this left (default 5 min, but never before half its life) is
    /// still handed out while one background task fetches its successor. Whole seconds; zero
    /// turns background refresh off.
    pub fn refresh_ahead(self, ahead: Duration) -> Self {
        self.configure(|s| s.ahead = ahead.as_secs())
    }

    /// How long a fleet-wide fetch lock lasts (default 10 s): a process that takes it and
    /// dies blocks the others no longer than this. Waiting processes give up waiting after
    /// this too, and fetch the token themselves.
    pub fn lock_ttl(self, ttl: Duration) -> Self {
        self.configure(|s| s.lock_ttl = ttl)
    }

    /// How often a process waiting on another's fetch reads the store (default 20 ms).
    pub fn poll_interval(self, interval: Duration) -> Self {
        self.configure(|s| s.poll_interval = interval.max(Duration::from_millis(1)))
    }

    /// How long a token read from the store is handed out from this process's memory before
    /// the store is read again (default 60 s, whole seconds; zero reads the store on every
    /// call). A copy is never handed out within the [`expiry_margin`](Self::expiry_margin), and
    /// its background refresh reads the store first.
    ///
    /// With a shared store this is the trade-off between speed and agreement: a hit from the
    /// copy takes no round trip, but a token that another process replaced or removed in the
    /// store is still handed out here, until the copy's time is up, while it has not expired.
    /// Access tokens cannot be taken back before they expire anyway (they are checked by
    /// signature), so the token handed out stays valid; lower this if you remove tokens from
    /// the store on purpose (say, after changing a client's grants).
    pub fn local_copy_ttl(self, ttl: Duration) -> Self {
        self.configure(|s| s.local_ttl = ttl.as_secs())
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// The kept token for `key` if it is fresh (the hit path: no allocation and nothing
    /// awaited with the in-memory store).
    async fn lookup(&self, key: &TokenKey) -> Option<(CachedToken, Freshness)> {
        match self.shared.store.get(key).await {
            Ok(Some(token)) => {
                let f = freshness(&token, now_secs(), self.shared.margin, self.shared.ahead);
                (f != Freshness::Stale).then_some((token, f))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "token cache: reading the store failed; fetching anew");
                None
            }
        }
    }

    /// `fetch`es `key`'s token once for every caller that asks while it is under way (in this
    /// process, and across processes through the store's lock). `acceptable` says whether a
    /// token found in the store meanwhile will do.
    async fn fly<F, Fut>(
        &self,
        key: TokenKey,
        acceptable: Freshness,
        fetch: F,
    ) -> Result<CachedToken>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse>>,
    {
        let flight = {
            let mut flights = self
                .shared
                .flights
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            flights.entry(key).or_default().clone()
        };
        let result = flight
            .get_or_init(|| async {
                let result = self.fetch_through_store(&key, acceptable, fetch).await;
                let mut flights = self
                    .shared
                    .flights
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                    flights.remove(&key);
                }
                result
            })
            .await;
        result.clone()
    }

    async fn fetch_through_store<F, Fut>(
        &self,
        key: &TokenKey,
        acceptable: Freshness,
        fetch: F,
    ) -> Result<CachedToken>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse>>,
    {
        let shared = &self.shared;
        let good = |t: &CachedToken| {
            let f = freshness(t, now_secs(), shared.margin, shared.ahead);
            f == Freshness::Fresh || f == acceptable
        };
        let deadline = tokio::time::Instant::now() + shared.lock_ttl;
        let lock = loop {
            match shared.store.get(key).await {
                Ok(Some(t)) if good(&t) => return Ok(t),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "token cache: reading the store failed; fetching anew");
                    break None;
                }
            }
            match shared.store.lock(key, shared.lock_ttl).await {
                Ok(FetchLock::Acquired(lock)) => {
                    // Another holder may have stored the token just before we locked.
                    if let Ok(Some(t)) = shared.store.get(key).await
                        && good(&t)
                    {
                        let _ = shared.store.unlock(key, &lock).await;
                        return Ok(t);
                    }
                    break Some(lock);
                }
                Ok(FetchLock::Held) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(shared.poll_interval).await;
                }
                Ok(FetchLock::Held) => {
                    tracing::warn!(
                        "token cache: another fetcher held the lock too long; fetching anew"
                    );
                    break None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "token cache: locking failed; fetching anew");
                    break None;
                }
            }
        };
        let fetched = fetch().await;
        let result = match fetched {
            Ok(response) => {
                let token = CachedToken::from_response(&response, now_secs());
                if let Err(e) = shared.store.put(key, &token).await {
                    tracing::warn!(error = %e, "token cache: keeping a token failed");
                }
                Ok(token)
            }
            Err(e) => Err(e),
        };
        if let Some(lock) = lock
            && let Err(e) = shared.store.unlock(key, &lock).await
        {
            tracing::warn!(error = %e, "token cache: releasing the fetch lock failed");
        }
        result
    }

    /// Whether a background refresh of `key` may start now: none is under way in this
    /// process and the last one did not fail within [`BACKGROUND_RETRY_DELAY`].
    fn may_refresh(&self, key: &TokenKey) -> bool {
        let in_flight = self
            .shared
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(key);
        !in_flight
            && self
                .shared
                .refresh_backoff
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(key)
                .is_none_or(|until| now_secs() >= *until)
    }

    /// Records how a background refresh of `key` ended.
    fn refresh_ended(&self, key: &TokenKey, ok: bool) {
        let mut backoff = self
            .shared
            .refresh_backoff
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if ok {
            backoff.remove(key);
        } else {
            backoff.insert(
                *key,
                now_secs().saturating_add(BACKGROUND_RETRY_DELAY.as_secs()),
            );
        }
    }
}

/// A client seen through a [`TokenCache`]: the token calls of [`AuthClient`] that a cache can
/// serve, taking their request by reference (so a request built once is reused, and a hit
/// allocates nothing). Made by [`AuthClient::cached`].
pub struct CachedTokens<'a, S = MemoryTokenStore> {
    client: &'a AuthClient,
    cache: &'a TokenCache<S>,
}

impl<S> fmt::Debug for CachedTokens<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedTokens")
            .field("cache", self.cache)
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// This client's token calls through `cache`: see [`TokenCache`].
    pub fn cached<'a, S: TokenStore>(&'a self, cache: &'a TokenCache<S>) -> CachedTokens<'a, S> {
        CachedTokens {
            client: self,
            cache,
        }
    }
}

impl<S: TokenStore> CachedTokens<'_, S> {
    /// [`AuthClient::get_token_by_client_credentials`], answered from the cache while the
    /// token is fresh. Keyed by the tenant, the client (and its DPoP key), and the request's
    /// audience, scope, organization and authorization details.
    pub async fn get_token_by_client_credentials(
        &self,
        request: &ClientCredentialsRequest,
    ) -> Result<CachedToken> {
        let source = ClientCredentialsKey {
            client: self.client,
            request,
        };
        self.serve(&source, request, |client, request| async move {
            client.get_token_by_client_credentials(request).await
        })
        .await
    }

    /// [`AuthClient::exchange_token`] (RFC 8693 profiles and Token Vault, which replaces
    /// `get_token_for_connection`), answered from the cache while the token is fresh. Keyed by
    /// the tenant, the client and every input of the request, the subject and actor tokens
    /// included (compared in full, named in a shared store only by a digest).
    pub async fn exchange_token(&self, request: &ExchangeTokenRequest) -> Result<CachedToken> {
        let source = ExchangeKey {
            client: self.client,
            request,
        };
        self.serve(&source, request, |client, request| async move {
            client.exchange_token(request).await
        })
        .await
    }

    async fn serve<K, R, F, Fut>(&self, source: &K, request: &R, call: F) -> Result<CachedToken>
    where
        K: KeySource,
        R: Clone + Send + Sync + 'static,
        F: Fn(AuthClient, R) -> Fut + Send + Sync + Clone + 'static,
        Fut: Future<Output = Result<TokenResponse>> + Send + 'static,
    {
        let shared = &self.cache.shared;
        let hash = shared.local.hash(source);
        let now = now_secs();
        // The hit path: the local copy, without SHA-256 and without the store.
        let key = match shared.local.get(hash, source, now, shared.local_ttl) {
            Local::Token(token, key) => match freshness(&token, now, shared.margin, shared.ahead) {
                Freshness::Fresh => return Ok(token),
                Freshness::RefreshAhead => {
                    if self.cache.may_refresh(&key) {
                        self.refresh_in_background(hash, key, request.clone(), call);
                    }
                    return Ok(token);
                }
                Freshness::Stale => key,
            },
            Local::Digest(key) => key,
            Local::Unknown => source.digest(),
        };
        if let Some((token, f)) = self.cache.lookup(&key).await {
            shared
                .local
                .put(hash, source, key, Some(token.clone()), now_secs());
            if f == Freshness::RefreshAhead && self.cache.may_refresh(&key) {
                self.refresh_in_background(hash, key, request.clone(), call);
            }
            return Ok(token);
        }
        // Remember the digest; the token is copied once it is read back from the store.
        shared.local.put(hash, source, key, None, now);
        let client = self.client.clone();
        let request = request.clone();
        // Boxed so that the miss path's state does not make every call's future large (a
        // runtime may box a large future itself, on hits too).
        Box::pin(
            self.cache
                .fly(key, Freshness::RefreshAhead, move || call(client, request)),
        )
        .await
    }

    fn refresh_in_background<R, F, Fut>(&self, hash: u64, key: TokenKey, request: R, call: F)
    where
        R: Send + Sync + 'static,
        F: Fn(AuthClient, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<TokenResponse>> + Send + 'static,
    {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cache = self.cache.clone();
        let client = self.client.clone();
        runtime.spawn(async move {
            // A token found in the store that is no longer due for refresh will do (another
            // process refreshed it).
            let result = cache
                .fly(key, Freshness::Fresh, move || call(client, request))
                .await;
            match &result {
                // The next call reads the successor from the store.
                Ok(_) => cache.shared.local.forget(hash, &key),
                Err(e) => tracing::warn!(error = %e, "token cache: background refresh failed"),
            }
            cache.refresh_ended(&key, result.is_ok());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(fetched_at: u64, expires_at: u64) -> CachedToken {
        CachedToken(Arc::new(TokenData {
            access_token: "at".into(),
            expires_at,
            fetched_at,
            scope: None,
            token_type: None,
            issued_token_type: None,
        }))
    }

    #[test]
    fn a_token_inside_the_margin_is_stale() {
        let t = token(1000, 1000 + 3600);
        assert_eq!(freshness(&t, 1000, 30, 300), Freshness::Fresh);
        assert_eq!(freshness(&t, 1000 + 3570, 30, 300), Freshness::Stale);
        assert_eq!(freshness(&t, 1000 + 3569, 30, 300), Freshness::RefreshAhead);
        assert_eq!(freshness(&t, 1000 + 3600, 0, 0), Freshness::Stale);
    }

    #[test]
    fn refresh_ahead_starts_no_earlier_than_half_life() {
        let t = token(1000, 1100);
        // 300 s ahead would be before it was fetched: half life (50 s) wins.
        assert_eq!(freshness(&t, 1049, 10, 300), Freshness::Fresh);
        assert_eq!(freshness(&t, 1050, 10, 300), Freshness::RefreshAhead);
        assert_eq!(freshness(&t, 1090, 10, 300), Freshness::Stale);
        // Zero turns it off.
        assert_eq!(freshness(&t, 1089, 10, 0), Freshness::Fresh);
    }

    #[test]
    fn debug_and_json_round_trip_keep_the_token_hidden() {
        let t = token(1, 2);
        assert!(!format!("{t:?}").contains("\"at\""));
        let back = CachedToken::from_json(t.to_json().expose_secret()).ok();
        assert!(back.is_some_and(|b| b.same_token(&t) && b.expires_at() == 2));
        assert!(CachedToken::from_json("{").is_err());
    }

    #[tokio::test]
    async fn a_full_memory_store_drops_the_expired_then_the_soonest() {
        let store = MemoryTokenStore::new(2);
        let now = now_secs();
        let (k1, k2, k3, k4) = (
            TokenKey([1; 32]),
            TokenKey([2; 32]),
            TokenKey([3; 32]),
            TokenKey([4; 32]),
        );
        store.put(&k1, &token(0, 1)).await.ok();
        store.put(&k2, &token(now, now + 100)).await.ok();
        store.put(&k3, &token(now, now + 50)).await.ok();
        assert!(
            store.get(&k1).await.ok().flatten().is_none(),
            "expired goes first"
        );
        store.put(&k4, &token(now, now + 200)).await.ok();
        assert!(
            store.get(&k3).await.ok().flatten().is_none(),
            "then the soonest"
        );
        assert!(store.get(&k2).await.ok().flatten().is_some());
        assert!(store.get(&k4).await.ok().flatten().is_some());
        assert_eq!(store.len(), 2);
    }

    fn digest(f: impl FnOnce(&mut KeyWriter<'_, Sha256>)) -> [u8; 32] {
        let mut h = Sha256::new();
        f(&mut KeyWriter(&mut h));
        h.finalize().into()
    }

    #[test]
    fn a_key_in_hex_is_its_bytes() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0x0f;
        bytes[31] = 0xa5;
        let hex = TokenKey(bytes).to_hex();
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with("0f00") && hex.ends_with("00a5"));
    }

    #[test]
    fn key_parts_are_length_prefixed() {
        let a = digest(|w| {
            w.opt(Some("ab"));
            w.opt(Some("c"));
        });
        let b = digest(|w| {
            w.opt(Some("a"));
            w.opt(Some("bc"));
        });
        let c = digest(|w| {
            w.opt(None);
            w.opt(Some(""));
        });
        let d = digest(|w| {
            w.opt(Some(""));
            w.opt(None);
        });
        assert_ne!(a, b);
        assert_ne!(c, d);
        // Lengths of 127 and 128 bytes encode differently (one and two LEB128 bytes).
        let long = "x".repeat(300);
        let e = digest(|w| w.str(&long[..128]));
        let f = digest(|w| {
            w.str(&long[..127]);
            w.0.update(b"x");
        });
        assert_ne!(e, f);
    }
}
