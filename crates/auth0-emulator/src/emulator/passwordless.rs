//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::passwordless`].

use std::time::Duration;

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::passwordless::{PasswordlessMessage, recipient_key};

impl EmulatorBuilder {
    /// How long a passwordless one-time code or magic link stays usable (default 300 s).
    pub fn passwordless_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.flows.passwordless_code_lifetime = lifetime;
        self
    }
}

impl RunningEmulator {
    /// Every passwordless message "sent" so far, in order.
    pub fn passwordless_messages(&self) -> Vec<PasswordlessMessage> {
        self.shared().store().flows.passwordless.messages.clone()
    }

    /// The one-time code of the latest message sent to `recipient` (emails compare
    /// case-insensitively), whether or not it is still usable.
    pub fn last_passwordless_code(&self, recipient: &str) -> Option<String> {
        self.last_message_to(recipient).map(|m| m.code)
    }

    /// The magic link of the latest message sent to `recipient`, if it was a link.
    pub fn last_passwordless_link(&self, recipient: &str) -> Option<String> {
        self.last_message_to(recipient).and_then(|m| m.link)
    }

    fn last_message_to(&self, recipient: &str) -> Option<PasswordlessMessage> {
        self.shared()
            .store()
            .flows
            .passwordless
            .messages
            .iter()
            .rev()
            .find(|m| {
                recipient_key(&m.connection, &m.recipient)
                    == recipient_key(&m.connection, recipient)
            })
            .cloned()
    }
}
