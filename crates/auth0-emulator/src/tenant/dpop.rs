//! What DPoP ([`crate::protocol::dpop`]) is configured with and remembers while the tenant
//! runs: the nonce setting, the current nonce, proof ids seen and key-bound refresh tokens.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use crate::tenant::state::random_token;

/// How far `iat` may be from the server's clock, in seconds.
pub(crate) const IAT_WINDOW: i64 = 60;

/// How many proof ids are remembered at most (the oldest are forgotten first).
pub(crate) const MAX_SEEN_JTIS: usize = 10_000;

/// DPoP settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct DpopConfig {
    /// Whether proofs must carry the current server nonce.
    pub nonce_required: bool,
}

/// What DPoP remembers while the tenant runs.
#[derive(Default)]
pub(crate) struct DpopState {
    /// The current nonce (made on first use).
    pub(crate) nonce: Option<String>,
    /// Proof ids seen, oldest first, with when they were seen (Unix seconds).
    pub(crate) seen: VecDeque<(String, u64)>,
    /// The same ids, for lookups.
    pub(crate) seen_set: HashSet<String>,
    /// How many proofs were accepted.
    pub(crate) accepted: usize,
    /// Key thumbprints by the refresh tokens bound to them.
    pub(crate) bound_refresh: HashMap<String, String>,
}

impl fmt::Debug for DpopState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopState")
            .field("seen", &self.seen.len())
            .field("accepted", &self.accepted)
            .field("bound_refresh_tokens", &self.bound_refresh.len())
            .finish_non_exhaustive()
    }
}

impl DpopState {
    /// The current nonce.
    pub(crate) fn nonce(&mut self) -> String {
        self.nonce.get_or_insert_with(|| random_token(24)).clone()
    }

    /// Remembers `jti`; `false` when it was already seen.
    pub(crate) fn remember(&mut self, jti: &str, now: u64) -> bool {
        // Proofs older than the iat window are refused anyway, so their ids can go.
        let horizon = now.saturating_sub(2 * IAT_WINDOW.unsigned_abs());
        while let Some((old, at)) = self.seen.front() {
            if *at >= horizon && self.seen.len() < MAX_SEEN_JTIS {
                break;
            }
            self.seen_set.remove(old);
            self.seen.pop_front();
        }
        if !self.seen_set.insert(jti.to_owned()) {
            return false;
        }
        self.seen.push_back((jti.to_owned(), now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_jtis_are_bounded_and_refuse_replays() {
        let mut state = DpopState::default();
        assert!(state.remember("a", 1_000));
        assert!(!state.remember("a", 1_000));
        // Old ids are forgotten once outside twice the iat window.
        assert!(state.remember("b", 1_000 + 500));
        assert!(state.remember("a", 1_000 + 500 + 1));
        for i in 0..MAX_SEEN_JTIS + 5 {
            assert!(state.remember(&format!("j{i}"), 5_000));
        }
        assert!(state.seen.len() <= MAX_SEEN_JTIS);
        assert_eq!(state.seen.len(), state.seen_set.len());
        assert!(!format!("{state:?}").contains("j1"));
    }
}
