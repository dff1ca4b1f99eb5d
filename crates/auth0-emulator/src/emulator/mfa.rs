//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::mfa`].

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::mfa::{MfaMessage, Push};

impl EmulatorBuilder {
    /// Enrolls an active OTP authenticator with the base32 secret `secret_base32` for the user
    /// `user_id` from the start, so their `mfa_required` answers ask for an `otp` challenge and
    /// [`totp_code`](crate::totp_code) computes valid codes.
    pub fn mfa_otp_authenticator(mut self, user_id: &str, secret_base32: &str) -> Self {
        self.factors
            .otp_enrollments
            .push((user_id.to_owned(), secret_base32.to_owned()));
        self
    }
}

impl RunningEmulator {
    /// Every MFA message "sent" so far (SMS, voice, email, push), in order.
    pub fn mfa_messages(&self) -> Vec<MfaMessage> {
        self.shared().factors.data().mfa.messages.clone()
    }

    /// The binding code of the latest MFA message for `user_id_or_recipient` (a user id, phone
    /// number or email address; emails compare case-insensitively), if one was sent.
    pub fn last_mfa_binding_code(&self, user_id_or_recipient: &str) -> Option<String> {
        let wanted = user_id_or_recipient;
        self.shared()
            .factors
            .data()
            .mfa
            .messages
            .iter()
            .rev()
            .filter(|m| {
                m.user_id == wanted
                    || m.recipient == wanted
                    || (m.recipient.contains('@') && m.recipient.eq_ignore_ascii_case(wanted))
            })
            .find_map(|m| m.binding_code.clone())
    }

    /// Approves the push notification of `oob_code` (as the user would in the Guardian app):
    /// the next MFA OOB grant with it succeeds. False if it is not a pending push.
    pub fn approve_mfa_push(&self, oob_code: &str) -> bool {
        self.answer_push(oob_code, Push::Approved)
    }

    /// Rejects the push notification of `oob_code`: the next MFA OOB grant with it fails with
    /// `invalid_grant`. False if it is not a pending push.
    pub fn reject_mfa_push(&self, oob_code: &str) -> bool {
        self.answer_push(oob_code, Push::Rejected)
    }

    fn answer_push(&self, oob_code: &str, answer: Push) -> bool {
        let mut data = self.shared().factors.data();
        match data.mfa.oob_codes.get_mut(oob_code) {
            Some(pending) if pending.push == Some(Push::Waiting) => {
                pending.push = Some(answer);
                true
            }
            _ => false,
        }
    }

    /// The current recovery code of `user_id`, once they enrolled a first authenticator.
    pub fn recovery_code(&self, user_id: &str) -> Option<String> {
        let data = self.shared().factors.data();
        data.mfa
            .users
            .get(user_id)
            .and_then(|f| f.recovery.as_ref())
            .map(|r| r.code.clone())
    }
}
