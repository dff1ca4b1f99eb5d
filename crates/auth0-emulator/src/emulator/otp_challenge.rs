//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::otp_challenge`].

use crate::emulator::RunningEmulator;
use crate::tenant::otp::OtpChallengeRecord;

impl RunningEmulator {
    /// Every `/otp/challenge` code "sent" so far, in order.
    pub fn otp_challenges(&self) -> Vec<OtpChallengeRecord> {
        self.shared().store().accounts.otp.records.clone()
    }

    /// The code of the latest `/otp/challenge` sent to `recipient` (emails compare
    /// case-insensitively), whether or not it is still usable.
    pub fn last_otp_code(&self, recipient: &str) -> Option<String> {
        self.shared()
            .store()
            .accounts
            .otp
            .records
            .iter()
            .rev()
            .find(|r| r.recipient.eq_ignore_ascii_case(recipient))
            .map(|r| r.code.clone())
    }

    /// Makes every pending `/otp/challenge` code expired (to test expiry without waiting).
    pub fn expire_otp_challenges(&self) {
        let now = crate::tenant::clock::sync_scope(
            self.shared().clock.clone(),
            crate::tenant::clock::now,
        );
        for pending in self.shared().store().accounts.otp.pending.values_mut() {
            pending.expires_at = now;
        }
    }
}
