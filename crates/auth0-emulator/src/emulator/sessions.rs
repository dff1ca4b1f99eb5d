//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of [`crate::tenant::session`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use axum::http::{HeaderMap, HeaderValue, header};
use serde_json::Value;
use crate::tenant::config::ClientConfig;
use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::state::{lock, now_secs, random_token};
use crate::tenant::session::*;

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
