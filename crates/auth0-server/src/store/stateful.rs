//! The server-side session store: the cookie holds only an encrypted `{ "id": … }` (as
//! auth0-server-js writes it) and the session lives in a [`SessionStore`], which can also find
//! sessions by `sid` and `sub` for back-channel logout.

use std::fmt;
use std::future::Future;

use aws_lc_rs::rand;
use serde_json::{Map, Value};

use crate::cookies::CookieJar;
use crate::crypto::{self, Secrets};
use crate::error::{CookieProblem, Error, Result};
use crate::state::StateData;
use crate::store::{LogoutClaims, SessionConfig, StateStore};

/// Where a [`StatefulStateStore`] keeps sessions, by session id. Implement it for a database;
/// [`MemorySessionStore`](super::MemorySessionStore) keeps them in memory.
pub trait SessionStore: Send + Sync + 'static {
    /// Keeps `data` under `id`.
    fn set(&self, id: &str, data: &StateData) -> impl Future<Output = Result<()>> + Send;
    /// The session under `id`.
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<StateData>>> + Send;
    /// Removes the session under `id`.
    fn delete(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Removes every session `claims` names ([`LogoutClaims::matches`]); returns how many.
    fn delete_by_logout_token(
        &self,
        claims: &LogoutClaims,
    ) -> impl Future<Output = Result<usize>> + Send;
}

/// Sessions on the server, referenced by an encrypted id cookie.
#[derive(Clone)]
pub struct StatefulStateStore<S> {
    secrets: Secrets,
    config: SessionConfig,
    store: S,
}

impl<S> fmt::Debug for StatefulStateStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatefulStateStore")
            .field("secrets", &self.secrets)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A fresh session id: 16 random bytes as 32 hex digits, as the reference makes them.
fn new_session_id() -> Result<String> {
    let mut b = [0u8; 16];
    rand::fill(&mut b).map_err(|_| Error::Crypto("no randomness"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

impl<S: SessionStore> StatefulStateStore<S> {
    /// Sessions kept in `store`, their ids encrypted with `secrets`.
    pub fn new(secrets: Secrets, store: S) -> Self {
        Self {
            secrets,
            config: SessionConfig::default(),
            store,
        }
    }

    /// Sets the durations and cookie attributes.
    pub fn config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// The session store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The session id and the cookie's `exp`: `Ok(None)` without a cookie or when it expired.
    fn session_id(
        &self,
        name: &str,
        jar: &dyn CookieJar,
        now: u64,
    ) -> Result<Option<(String, u64)>, CookieProblem> {
        let Some(value) = jar.get(name).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let (payload, exp) = match crypto::decrypt(&value, &self.secrets, name, now) {
            Ok(v) => v,
            Err(CookieProblem::Expired) => return Ok(None),
            Err(e) => return Err(e),
        };
        match payload.get("id") {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 256 => {
                Ok(Some((id.clone(), exp)))
            }
            _ => Err(CookieProblem::Malformed("the session cookie has no id")),
        }
    }

    fn write_cookie(
        &self,
        name: &str,
        id: &str,
        data: &StateData,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<()> {
        let max_age = self
            .config
            .max_age(data.internal.created_at, data.session_expires_at, now);
        let mut payload = Map::new();
        payload.insert("id".into(), Value::from(id));
        let value = crypto::encrypt(&payload, &self.secrets, name, now.saturating_add(max_age))?;
        jar.set(name, &value, &self.config.cookie.with_max_age(max_age));
        Ok(())
    }
}

impl<S: SessionStore> StateStore for StatefulStateStore<S> {
    async fn set(
        &self,
        name: &str,
        data: &StateData,
        remove_if_exists: bool,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<()> {
        // An unreadable cookie is as good as none here: a new id replaces it.
        let existing = self.session_id(name, jar, now).ok().flatten();
        let id = match existing {
            // A new login never reuses an id (session fixation).
            Some((id, _)) if remove_if_exists => {
                self.store.delete(&id).await?;
                new_session_id()?
            }
            Some((id, _)) => id,
            None => new_session_id()?,
        };
        self.store.set(&id, data).await?;
        self.write_cookie(name, &id, data, jar, now)
    }

    async fn get(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<Option<StateData>> {
        let (id, exp) = match self.session_id(name, jar, now) {
            Ok(Some(found)) => found,
            Ok(None) => {
                if jar.get(name).is_some() {
                    jar.delete(name, &self.config.cookie);
                }
                return Ok(None);
            }
            Err(problem) => {
                jar.delete(name, &self.config.cookie);
                return Err(Error::CookieRejected {
                    name: name.into(),
                    problem,
                });
            }
        };
        let Some(state) = self.store.get(&id).await? else {
            // Ended elsewhere (back-channel logout): the cookie goes too.
            jar.delete(name, &self.config.cookie);
            return Ok(None);
        };
        if self.config.is_over(&state, now) {
            self.store.delete(&id).await?;
            jar.delete(name, &self.config.cookie);
            return Ok(None);
        }
        if self.config.rolling {
            let new_exp = now.saturating_add(self.config.max_age(
                state.internal.created_at,
                state.session_expires_at,
                now,
            ));
            if new_exp > exp.saturating_add(60) {
                self.write_cookie(name, &id, &state, jar, now)?;
            }
        }
        Ok(Some(state))
    }

    async fn delete(&self, name: &str, jar: &mut dyn CookieJar) -> Result<()> {
        // The id is read whatever the time: an expired cookie's session is removed too.
        if let Ok(Some((id, _))) = self.session_id(name, jar, 0) {
            self.store.delete(&id).await?;
        }
        jar.delete(name, &self.config.cookie);
        Ok(())
    }

    async fn delete_by_logout_token(&self, claims: &LogoutClaims) -> Result<usize> {
        self.store.delete_by_logout_token(claims).await
    }
}
