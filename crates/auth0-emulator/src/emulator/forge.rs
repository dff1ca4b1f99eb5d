//! Tokens with a header of the test's choosing (`typ`, `crit`, …), signed with the tenant's
//! current key, so API-side tests can mint access tokens that break exactly one rule.
//!
//! Imports only the key ring (`keys.rs`) through the running tenant's shared state.

use serde_json::Value;

use crate::emulator::RunningEmulator;

impl RunningEmulator {
    /// Signs `claims` under `header` with the current RS256 key. The header's `alg` picks the
    /// signature as in [`sign_jwt`](Self::sign_jwt); a header without `kid` gets the current
    /// key's. If signing fails (it does not), the signature is empty.
    pub fn sign_jwt_with_header(&self, header: &Value, claims: &Value) -> String {
        let key = self.shared().keys().current();
        let mut header = header.clone();
        if let Some(h) = header.as_object_mut() {
            h.entry("kid")
                .or_insert_with(|| Value::from(key.kid().to_owned()));
        }
        key.sign_with_header(&header, claims).unwrap_or_default()
    }
}
