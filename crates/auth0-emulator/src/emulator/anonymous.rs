//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::anonymous`].

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::endpoints::anonymous::system_time;
use crate::tenant::anonymous::AnonymousSessionInfo;
use crate::tenant::state::now_secs;

impl EmulatorBuilder {
    /// Anonymous access-token lifetime in seconds (default 600).
    pub fn anonymous_token_lifetime(mut self, secs: u64) -> Self {
        self.accounts.anonymous_token_lifetime = secs;
        self
    }

    /// Anonymous session (session token) lifetime in seconds (default 86400).
    pub fn anonymous_session_lifetime(mut self, secs: u64) -> Self {
        self.accounts.anonymous_session_lifetime = secs;
        self
    }
}

impl RunningEmulator {
    /// The anonymous sessions, oldest first (ended ones are gone; expired ones stay until
    /// ended).
    pub fn anonymous_sessions(&self) -> Vec<AnonymousSessionInfo> {
        let store = self.shared().store();
        let mut sessions: Vec<(u64, AnonymousSessionInfo)> = store
            .accounts
            .anonymous
            .sessions
            .iter()
            .map(|(token, s)| {
                (
                    s.created,
                    AnonymousSessionInfo {
                        session_token_prefix: token.chars().take(6).collect(),
                        metadata: s.metadata.clone(),
                        expires_at: system_time(s.expires_at),
                        renewals: s.renewals,
                    },
                )
            })
            .collect();
        sessions.sort_by_key(|(created, _)| *created);
        sessions.into_iter().map(|(_, info)| info).collect()
    }

    /// Makes every anonymous session expired (`session_expired` from now on).
    pub fn expire_anonymous_sessions(&self) {
        let now = crate::tenant::clock::sync_scope(self.shared().clock.clone(), now_secs);
        for session in self
            .shared()
            .store()
            .accounts
            .anonymous
            .sessions
            .values_mut()
        {
            session.expires_at = now;
        }
    }

    /// Ends every anonymous session (`invalid_session_token` from now on).
    pub fn end_anonymous_sessions(&self) {
        self.shared().store().accounts.anonymous.sessions.clear();
    }

    /// How many anonymous transfer tokens were minted.
    pub fn anonymous_transfer_tokens_issued(&self) -> usize {
        self.shared()
            .store()
            .accounts
            .anonymous
            .transfer_tokens
            .len()
    }
}
