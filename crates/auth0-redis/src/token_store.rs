//! [`RedisTokenStore`]: the token cache's store shared by a fleet, with the fetch lock.
//! Imports `connection` and the public APIs of auth0-auth (the seam) and auth0-server (crypto).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_auth::{CachedToken, FetchLock, TokenKey, TokenStore, TokenStoreError};
use auth0_server::Secrets;
use auth0_server::crypto;
use redis::Script;
use secrecy::ExposeSecret;

use crate::connection::{Redis, RedisError};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Deletes the lock only if it still holds this holder's value (a holder whose lock expired
/// and was taken by another must not release the other's).
const UNLOCK: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

static LOCK_SEQ: AtomicU64 = AtomicU64::new(0);

/// A lock holder's value: unique per process and call.
fn lock_value() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        nanos,
        LOCK_SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn store_error(e: RedisError) -> TokenStoreError {
    TokenStoreError::with_source("the Redis token store failed", e)
}

/// Tokens in Redis, encrypted with the application's secret: `<prefix>token:<key digest>`
/// holds the token until it expires, `<prefix>token-lock:<key digest>` the fetch lock.
#[derive(Clone)]
pub struct RedisTokenStore {
    redis: Redis,
    secrets: Secrets,
    unlock: Script,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("redis", &self.redis)
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl RedisTokenStore {
    /// Tokens kept through `redis`, encrypted with `secrets` (every process of the fleet needs
    /// the same secrets).
    pub fn new(redis: Redis, secrets: Secrets) -> Self {
        Self {
            redis,
            secrets,
            unlock: Script::new(UNLOCK),
        }
    }

    /// The Redis key a token is kept under.
    pub fn token_key(&self, key: &TokenKey) -> String {
        self.redis.key("token:", &key.to_hex())
    }

    /// The Redis key of a token's fetch lock.
    pub fn lock_key(&self, key: &TokenKey) -> String {
        self.redis.key("token-lock:", &key.to_hex())
    }

    async fn read(&self, key: &TokenKey) -> Result<Option<CachedToken>, RedisError> {
        let name = self.token_key(key);
        let mut conn = self.redis.conn.clone();
        let value: Option<String> = redis::cmd("GET")
            .arg(&name)
            .query_async(&mut conn)
            .await
            .map_err(|e| RedisError::from_redis("get", &e))?;
        let Some(value) = value else {
            return Ok(None);
        };
        // A value that does not decrypt under this key (written under another key, with another
        // secret, tampered with, or expired) is treated as absent: never another key's token.
        let Ok((payload, _exp)) = crypto::decrypt(&value, &self.secrets, &name, now_secs()) else {
            tracing::warn!("redis token store: a stored token did not decrypt; ignoring it");
            return Ok(None);
        };
        let json = serde_json::to_string(&payload)
            .map_err(|_| RedisError::new("get", "a stored token is not readable"))?;
        Ok(CachedToken::from_json(&json).ok())
    }

    async fn write(&self, key: &TokenKey, token: &CachedToken) -> Result<(), RedisError> {
        let left = token.expires_at().saturating_sub(now_secs());
        if left == 0 {
            return Ok(());
        }
        let name = self.token_key(key);
        let json = token.to_json();
        let sealed = crypto::encrypt_object(
            json.expose_secret().as_bytes().to_vec(),
            &self.secrets,
            &name,
            token.expires_at(),
        )
        .map_err(|_| RedisError::new("set", "encrypting the token failed"))?;
        let mut conn = self.redis.conn.clone();
        redis::cmd("SET")
            .arg(&name)
            .arg(sealed)
            .arg("PX")
            .arg(left.saturating_mul(1000))
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| RedisError::from_redis("set", &e))
    }

    async fn take_lock(&self, key: &TokenKey, ttl: Duration) -> Result<FetchLock, RedisError> {
        let value = lock_value();
        let mut conn = self.redis.conn.clone();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let set: Option<String> = redis::cmd("SET")
            .arg(self.lock_key(key))
            .arg(&value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut conn)
            .await
            .map_err(|e| RedisError::from_redis("lock", &e))?;
        Ok(match set {
            Some(_) => FetchLock::Acquired(value),
            None => FetchLock::Held,
        })
    }

    async fn release(&self, key: &TokenKey, lock: &str) -> Result<(), RedisError> {
        let mut conn = self.redis.conn.clone();
        self.unlock
            .key(self.lock_key(key))
            .arg(lock)
            .invoke_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| RedisError::from_redis("unlock", &e))
    }
}

impl TokenStore for RedisTokenStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<CachedToken>, TokenStoreError> {
        self.read(key).await.map_err(store_error)
    }

    async fn put(&self, key: &TokenKey, token: &CachedToken) -> Result<(), TokenStoreError> {
        self.write(key, token).await.map_err(store_error)
    }

    async fn lock(&self, key: &TokenKey, ttl: Duration) -> Result<FetchLock, TokenStoreError> {
        self.take_lock(key, ttl).await.map_err(store_error)
    }

    async fn unlock(&self, key: &TokenKey, lock: &str) -> Result<(), TokenStoreError> {
        self.release(key, lock).await.map_err(store_error)
    }
}
