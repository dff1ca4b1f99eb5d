//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::protocol::dpop`].

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::state::random_token;

impl EmulatorBuilder {
    /// Demands a server nonce in DPoP proofs at the token endpoint and PAR (default off): a
    /// proof without the current nonce gets `400 use_dpop_nonce` with a `DPoP-Nonce` header, and
    /// every answer of those endpoints carries `DPoP-Nonce`.
    pub fn dpop_nonce_required(mut self, on: bool) -> Self {
        self.device_dpop.dpop.nonce_required = on;
        self
    }
}

impl RunningEmulator {
    /// Replaces the DPoP nonce; proofs carrying the old one get `use_dpop_nonce`. Returns the
    /// new nonce.
    pub fn rotate_dpop_nonce(&self) -> String {
        let nonce = random_token(24);
        self.shared().store().device_dpop.dpop.nonce = Some(nonce.clone());
        nonce
    }

    /// The current DPoP nonce (what `DPoP-Nonce` headers carry).
    pub fn dpop_nonce(&self) -> String {
        self.shared().store().device_dpop.dpop.nonce()
    }

    /// How many DPoP proofs were accepted (valid proofs at the token endpoint, PAR and
    /// `/userinfo`; refused ones are not counted).
    pub fn dpop_proofs_seen(&self) -> usize {
        self.shared().store().device_dpop.dpop.accepted
    }
}
