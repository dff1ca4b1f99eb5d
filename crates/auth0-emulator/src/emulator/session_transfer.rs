//! The test handle's session transfer helpers (see [`crate::protocol::session_transfer`]).

use crate::emulator::RunningEmulator;
use crate::tenant::state::now_secs;

impl RunningEmulator {
    /// The lifetime (seconds) of session transfer tokens minted from now on (default 60; 0
    /// mints tokens that are already expired, for tests of the refusal).
    pub fn set_session_transfer_lifetime(&self, secs: u64) {
        self.shared().store().session_transfers.lifetime = Some(secs);
    }

    /// How many minted session transfer tokens are neither redeemed nor expired.
    pub fn pending_session_transfer_tokens(&self) -> usize {
        let now = crate::tenant::clock::sync_scope(self.shared().clock.clone(), now_secs);
        self.shared()
            .store()
            .session_transfers
            .pending
            .values()
            .filter(|t| t.expires_at > now)
            .count()
    }
}
