//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::passkey`].

use crate::emulator::{EmulatorBuilder, RunningEmulator};

impl EmulatorBuilder {
    /// The WebAuthn relying party passkeys are bound to: its id (a domain, e.g. `localhost`)
    /// and the origin ceremonies must come from (e.g. `http://localhost:3000`). Defaults:
    /// `localhost` and `http://localhost:3000`.
    pub fn passkey_rp(mut self, rp_id: &str, origin: &str) -> Self {
        rp_id.clone_into(&mut self.factors.passkey_rp_id);
        origin.clone_into(&mut self.factors.passkey_origin);
        self
    }
}

impl RunningEmulator {
    /// The ids (base64url) of the passkeys registered for `user_id`.
    pub fn passkey_credential_ids(&self, user_id: &str) -> Vec<String> {
        let data = self.shared().factors.data();
        let mut ids: Vec<String> = data
            .passkeys
            .credentials
            .iter()
            .filter(|(_, c)| c.user_id == user_id)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}
