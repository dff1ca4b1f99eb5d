//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::tenant::session`].

use std::time::Duration;

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::session::{BrowserSession, SessionInfo};

impl EmulatorBuilder {
    /// How long an authorization code stays exchangeable (default 60 seconds).
    pub fn authorization_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.browser.code_lifetime = lifetime;
        self
    }
}

impl RunningEmulator {
    /// The browser sessions currently open (ended ones are gone), in no particular order.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.shared()
            .browser
            .data()
            .sessions
            .values()
            .map(BrowserSession::info)
            .collect()
    }
}
