//! The in-memory [`SessionStore`]: a bounded moka cache whose entries go after a time to idle,
//! searched in full for back-channel logout.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::error::Result;
use crate::state::StateData;
use crate::store::{DEFAULT_ABSOLUTE_DURATION, LogoutClaims, SessionStore};

/// Sessions in this process's memory: for one server (a fleet needs a shared store).
#[derive(Clone)]
pub struct MemorySessionStore {
    cache: Cache<String, Arc<StateData>>,
}

impl fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("sessions", &self.cache.entry_count())
            .finish()
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new(100_000, Duration::from_secs(DEFAULT_ABSOLUTE_DURATION))
    }
}

impl MemorySessionStore {
    /// At most `max_sessions` sessions, each dropped when unused for `time_to_idle` (set it to
    /// at least the sessions' inactivity duration).
    pub fn new(max_sessions: u64, time_to_idle: Duration) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(max_sessions)
                .time_to_idle(time_to_idle)
                .build(),
        }
    }

    /// How many sessions are kept (approximately, until pending work is done).
    pub async fn len(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.entry_count()
    }

    /// Whether no session is kept.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }
}

impl SessionStore for MemorySessionStore {
    async fn set(&self, id: &str, data: &StateData) -> Result<()> {
        self.cache
            .insert(id.to_owned(), Arc::new(data.clone()))
            .await;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<StateData>> {
        Ok(self.cache.get(id).await.map(|s| (*s).clone()))
    }

    async fn delete(&self, id: &str) -> Result<()> {
        self.cache.invalidate(id).await;
        Ok(())
    }

    async fn delete_by_logout_token(&self, claims: &LogoutClaims) -> Result<usize> {
        let doomed: Vec<Arc<String>> = self
            .cache
            .iter()
            .filter(|(_, state)| claims.matches(state))
            .map(|(id, _)| id)
            .collect();
        for id in &doomed {
            self.cache.invalidate(id.as_str()).await;
        }
        Ok(doomed.len())
    }
}
