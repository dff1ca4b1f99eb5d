//! [`RedisSessionStore`]: server-side sessions for auth0-server in Redis, with `sid` and `sub`
//! index sets for back-channel logout. Imports `connection` and auth0-server's public API.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_server::crypto;
use auth0_server::{
    DEFAULT_ABSOLUTE_DURATION, Error, LogoutClaims, Result, Secrets, SessionStore, StateData,
};
use sha2::{Digest, Sha256};

use crate::connection::{Redis, RedisError};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn store_error(e: RedisError) -> Error {
    Error::Store(e.to_string())
}

fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sessions in Redis, encrypted with the application's secret:
/// `<prefix>session:<id>` holds a session, `<prefix>sid:<sha256(sid)>` and
/// `<prefix>sub:<sha256(sub)>` the ids of the sessions with that `sid` or `sub`. Every key
/// expires after the store's time to live, renewed on each write.
#[derive(Clone)]
pub struct RedisSessionStore {
    redis: Redis,
    secrets: Secrets,
    ttl: Duration,
}

impl fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("redis", &self.redis)
            .field("secrets", &self.secrets)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl RedisSessionStore {
    /// Sessions kept through `redis`, encrypted with `secrets`, for at most three days
    /// ([`DEFAULT_ABSOLUTE_DURATION`]) after their last write.
    pub fn new(redis: Redis, secrets: Secrets) -> Self {
        Self {
            redis,
            secrets,
            ttl: Duration::from_secs(DEFAULT_ABSOLUTE_DURATION),
        }
    }

    /// How long a session is kept after its last write (whole seconds, at least one); set it
    /// to at least the sessions' absolute duration.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.max(Duration::from_secs(1));
        self
    }

    /// The Redis key a session is kept under.
    pub fn session_key(&self, id: &str) -> String {
        self.redis.key("session:", id)
    }

    fn sid_key(&self, sid: &str) -> String {
        self.redis.key("sid:", &digest(sid))
    }

    fn sub_key(&self, sub: &str) -> String {
        self.redis.key("sub:", &digest(sub))
    }

    async fn read(&self, id: &str) -> std::result::Result<Option<StateData>, RedisError> {
        let name = self.session_key(id);
        let mut conn = self.redis.conn.clone();
        let value: Option<String> = redis::cmd("GET")
            .arg(&name)
            .query_async(&mut conn)
            .await
            .map_err(|e| RedisError::from_redis("get session", &e))?;
        let Some(value) = value else {
            return Ok(None);
        };
        let Ok((payload, _)) = crypto::decrypt(&value, &self.secrets, &name, now_secs()) else {
            tracing::warn!("redis session store: a stored session did not decrypt; ignoring it");
            return Ok(None);
        };
        Ok(serde_json::from_value(serde_json::Value::Object(payload)).ok())
    }

    async fn remove(
        &self,
        id: &str,
        data: Option<&StateData>,
    ) -> std::result::Result<(), RedisError> {
        let mut pipe = redis::pipe();
        pipe.atomic().del(self.session_key(id)).ignore();
        if let Some(data) = data {
            if let Some(sid) = data.internal.sid.as_deref() {
                pipe.srem(self.sid_key(sid), id).ignore();
            }
            if let Some(sub) = data.sub() {
                pipe.srem(self.sub_key(sub), id).ignore();
            }
        }
        let mut conn = self.redis.conn.clone();
        pipe.query_async::<()>(&mut conn)
            .await
            .map_err(|e| RedisError::from_redis("delete session", &e))
    }
}

impl SessionStore for RedisSessionStore {
    async fn set(&self, id: &str, data: &StateData) -> Result<()> {
        let name = self.session_key(id);
        let ttl = self.ttl.as_secs().max(1);
        let json = serde_json::to_vec(data)
            .map_err(|_| Error::Store("a session could not be serialized".into()))?;
        let sealed =
            crypto::encrypt_object(json, &self.secrets, &name, now_secs().saturating_add(ttl))
                .map_err(|_| Error::Store("encrypting a session failed".into()))?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&name)
            .arg(sealed)
            .arg("EX")
            .arg(ttl)
            .ignore();
        for index in [
            data.internal.sid.as_deref().map(|sid| self.sid_key(sid)),
            data.sub().map(|sub| self.sub_key(sub)),
        ]
        .into_iter()
        .flatten()
        {
            pipe.sadd(&index, id).ignore();
            pipe.expire(&index, i64::try_from(ttl).unwrap_or(i64::MAX))
                .ignore();
        }
        let mut conn = self.redis.conn.clone();
        pipe.query_async::<()>(&mut conn)
            .await
            .map_err(|e| store_error(RedisError::from_redis("set session", &e)))
    }

    async fn get(&self, id: &str) -> Result<Option<StateData>> {
        self.read(id).await.map_err(store_error)
    }

    async fn delete(&self, id: &str) -> Result<()> {
        let data = self.read(id).await.map_err(store_error)?;
        self.remove(id, data.as_ref()).await.map_err(store_error)
    }

    async fn delete_by_logout_token(&self, claims: &LogoutClaims) -> Result<usize> {
        let index = match (&claims.sid, &claims.sub) {
            (Some(sid), _) => self.sid_key(sid),
            (None, Some(sub)) => self.sub_key(sub),
            (None, None) => return Ok(0),
        };
        let mut conn = self.redis.conn.clone();
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&index)
            .query_async(&mut conn)
            .await
            .map_err(|e| store_error(RedisError::from_redis("find sessions", &e)))?;
        let mut removed = 0;
        for id in ids {
            match self.read(&id).await.map_err(store_error)? {
                Some(state) if claims.matches(&state) => {
                    self.remove(&id, Some(&state)).await.map_err(store_error)?;
                    removed += 1;
                }
                Some(_) => {}
                None => {
                    // The session is gone (expired or unreadable): drop it from the index.
                    redis::cmd("SREM")
                        .arg(&index)
                        .arg(&id)
                        .query_async::<()>(&mut conn)
                        .await
                        .map_err(|e| store_error(RedisError::from_redis("find sessions", &e)))?;
                }
            }
        }
        Ok(removed)
    }
}
