//! The cookie-only session store: the whole session, encrypted, in `<name>.0`, `<name>.1`, …
//! cookies of at most [`CHUNK_SIZE`] characters each, as auth0-server-js writes it.

use std::fmt;

use crate::cookies::CookieJar;
use crate::crypto::{self, Secrets};
use crate::error::{CookieProblem, Error, Result};
use crate::state::StateData;
use crate::store::{LogoutClaims, SessionConfig, StateStore, chunk_index};

/// The longest chunk cookie value (characters), as the reference.
pub const CHUNK_SIZE: usize = 3072;
/// The most chunks read: anything beyond is refused (about 196 KB of cookies).
pub const MAX_CHUNKS: usize = 64;
/// A rolling session's cookies are rewritten when this gains the session more than this many
/// seconds, so a burst of requests does not rewrite them every time.
const ROLL_GRANULARITY: u64 = 60;

/// Keeps sessions in encrypted, chunked cookies. Back-channel logout cannot reach a cookie, so
/// [`StateStore::delete_by_logout_token`] fails: use a [`StatefulStateStore`](super::StatefulStateStore)
/// for that.
#[derive(Clone)]
pub struct StatelessStateStore {
    secrets: Secrets,
    config: SessionConfig,
}

impl fmt::Debug for StatelessStateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatelessStateStore")
            .field("secrets", &self.secrets)
            .field("config", &self.config)
            .finish()
    }
}

impl StatelessStateStore {
    /// A store encrypting with `secrets`, with default durations and cookie attributes.
    pub fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            config: SessionConfig::default(),
        }
    }

    /// Sets the durations and cookie attributes.
    pub fn config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// The durations and cookie attributes.
    pub fn session_config(&self) -> &SessionConfig {
        &self.config
    }

    fn family(jar: &dyn CookieJar, name: &str) -> Vec<(String, Option<usize>)> {
        jar.names()
            .into_iter()
            .filter_map(|c| chunk_index(&c, name).map(|i| (c, i)))
            .collect()
    }

    fn delete_family(&self, jar: &mut dyn CookieJar, name: &str) {
        for (cookie, _) in Self::family(jar, name) {
            jar.delete(&cookie, &self.config.cookie);
        }
    }

    /// Writes `data` as chunks and removes stale chunks; returns the `exp` written.
    fn write(&self, name: &str, data: &StateData, jar: &mut dyn CookieJar, now: u64) -> Result<()> {
        let max_age = self
            .config
            .max_age(data.internal.created_at, data.session_expires_at, now);
        let payload = data.to_json().map_err(|problem| Error::CookieRejected {
            name: name.into(),
            problem,
        })?;
        let value =
            crypto::encrypt_object(payload, &self.secrets, name, now.saturating_add(max_age))?;
        let options = self.config.cookie.with_max_age(max_age);
        let mut written = Vec::new();
        // The value is ASCII (base64url and dots), so byte offsets are character offsets.
        for (i, chunk) in value.as_bytes().chunks(CHUNK_SIZE).enumerate() {
            let chunk_name = format!("{name}.{i}");
            jar.set(
                &chunk_name,
                std::str::from_utf8(chunk).unwrap_or_default(),
                &options,
            );
            written.push(chunk_name);
        }
        for (cookie, _) in Self::family(jar, name) {
            if !written.contains(&cookie) {
                jar.delete(&cookie, &options);
            }
        }
        Ok(())
    }

    /// Reassembles the chunks (`None` when there are none).
    fn read(jar: &dyn CookieJar, name: &str) -> Result<Option<String>, CookieProblem> {
        let mut chunks: Vec<(usize, String)> = Vec::new();
        for (cookie, index) in Self::family(jar, name) {
            // A bare `<name>` cookie is not ours (the reference never writes one): ignored.
            if let Some(i) = index {
                if chunks.len() >= MAX_CHUNKS {
                    return Err(CookieProblem::TooLarge);
                }
                chunks.push((i, jar.get(&cookie).unwrap_or_default()));
            }
        }
        if chunks.is_empty() {
            return Ok(None);
        }
        chunks.sort_by_key(|(i, _)| *i);
        if chunks
            .iter()
            .enumerate()
            .any(|(expected, (i, _))| *i != expected)
        {
            return Err(CookieProblem::BadChunks("a chunk is missing or repeated"));
        }
        let total: usize = chunks.iter().map(|(_, v)| v.len()).sum();
        if total > crypto::MAX_ENCRYPTED_CHARS {
            return Err(CookieProblem::TooLarge);
        }
        let mut value = String::with_capacity(total);
        for (_, v) in &chunks {
            value.push_str(v);
        }
        Ok(Some(value))
    }

    /// Reads and decrypts the session without rolling it: `Ok(None)` when there is none or
    /// it has expired, an error when the cookies are refused.
    pub fn read_session(
        &self,
        name: &str,
        jar: &dyn CookieJar,
        now: u64,
    ) -> Result<Option<(StateData, u64)>, CookieProblem> {
        let Some(value) = Self::read(jar, name)? else {
            return Ok(None);
        };
        let (payload, exp) = match crypto::decrypt(&value, &self.secrets, name, now) {
            Ok(v) => v,
            Err(CookieProblem::Expired) => return Ok(None),
            Err(e) => return Err(e),
        };
        let state = StateData::from_map(payload)?;
        if self.config.is_over(&state, now) {
            return Ok(None);
        }
        Ok(Some((state, exp)))
    }
}

impl StateStore for StatelessStateStore {
    async fn set(
        &self,
        name: &str,
        data: &StateData,
        _remove_if_exists: bool,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<()> {
        self.write(name, data, jar, now)
    }

    async fn get(
        &self,
        name: &str,
        jar: &mut dyn CookieJar,
        now: u64,
    ) -> Result<Option<StateData>> {
        match self.read_session(name, jar, now) {
            Ok(Some((state, exp))) => {
                if self.config.rolling {
                    let new_exp = now.saturating_add(self.config.max_age(
                        state.internal.created_at,
                        state.session_expires_at,
                        now,
                    ));
                    if new_exp > exp.saturating_add(ROLL_GRANULARITY) {
                        self.write(name, &state, jar, now)?;
                    }
                }
                Ok(Some(state))
            }
            Ok(None) => {
                // Expired (or absent): clear whatever is left.
                self.delete_family(jar, name);
                Ok(None)
            }
            Err(problem) => {
                self.delete_family(jar, name);
                Err(Error::CookieRejected {
                    name: name.into(),
                    problem,
                })
            }
        }
    }

    async fn delete(&self, name: &str, jar: &mut dyn CookieJar) -> Result<()> {
        self.delete_family(jar, name);
        Ok(())
    }

    async fn delete_by_logout_token(&self, _claims: &LogoutClaims) -> Result<usize> {
        Err(Error::BackchannelLogout(
            "Backchannel logout is not available when using Stateless Storage. Use Stateful \
             Storage by providing a `sessionStore`"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookies::{CookieOptions, MemoryCookieJar, SameSite};
    use crate::state::InternalStateData;
    use secrecy::SecretString;
    use serde_json::{Map, Value};

    fn state(blob: usize) -> StateData {
        let mut user = Map::new();
        user.insert("sub".into(), Value::from("auth0|1"));
        user.insert("blob".into(), Value::from("b".repeat(blob)));
        StateData {
            user: Some(user),
            id_token: None,
            refresh_token: None,
            token_sets: Vec::new(),
            connection_token_sets: None,
            domain: None,
            session_expires_at: None,
            internal: InternalStateData {
                sid: None,
                created_at: 1_000,
            },
            extra: Map::new(),
        }
    }

    fn store() -> StatelessStateStore {
        let secrets = Secrets::new(SecretString::from(
            "a-unit-test-secret-of-32-characters!!".to_owned(),
        ))
        .unwrap();
        StatelessStateStore::new(secrets).config(SessionConfig {
            cookie: CookieOptions {
                domain: Some("example.com".into()),
                path: "/app".into(),
                same_site: SameSite::Strict,
                ..CookieOptions::default()
            },
            ..SessionConfig::default()
        })
    }

    #[test]
    fn chunks_shrink_and_stale_ones_are_deleted_with_the_same_attributes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let s = store();
        let mut jar = MemoryCookieJar::new();
        rt.block_on(s.set("sess", &state(10_000), false, &mut jar, 1_000))
            .unwrap();
        let big: Vec<String> = jar.pairs().keys().cloned().collect();
        assert!(big.len() >= 4, "{big:?}");
        assert!(jar.pairs().values().all(|v| v.len() <= CHUNK_SIZE));
        jar.clear_changes();
        rt.block_on(s.set("sess", &state(10), false, &mut jar, 1_000))
            .unwrap();
        assert_eq!(jar.pairs().keys().collect::<Vec<_>>(), ["sess.0"]);
        for (name, _, options) in jar.changes() {
            assert_eq!(options.domain.as_deref(), Some("example.com"), "{name}");
            assert_eq!(options.path, "/app");
            assert_eq!(options.same_site, SameSite::Strict);
            assert!(options.http_only && options.secure);
        }
        let deleted = jar
            .changes()
            .iter()
            .filter(|(_, _, o)| o.max_age == Some(0))
            .count();
        assert_eq!(deleted, big.len() - 1);
        // Unrelated cookies with the same prefix are left alone.
        jar.insert("sess_other", "x");
        jar.insert("sess.x", "y");
        rt.block_on(s.set("sess", &state(10), false, &mut jar, 1_000))
            .unwrap();
        assert!(jar.get("sess_other").is_some() && jar.get("sess.x").is_some());
        let read = s.read_session("sess", &jar, 1_000).unwrap().unwrap();
        assert_eq!(read.0.sub(), Some("auth0|1"));
    }
}
