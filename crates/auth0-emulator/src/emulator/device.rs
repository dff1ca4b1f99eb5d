//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::device`].

use std::time::{Duration, Instant};

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::endpoints::device::answer;
use crate::tenant::device::{DeviceRequestInfo, DeviceStatus};

impl EmulatorBuilder {
    /// How long device and user codes from `/oauth/device/code` stay usable (default 15
    /// minutes; `expires_in` of the answer, in whole seconds).
    pub fn device_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.device_dpop.device.lifetime = lifetime;
        self
    }

    /// The poll interval (seconds) `/oauth/device/code` announces and the `device_code` grant
    /// enforces with `slow_down` (default 5; 0 turns `slow_down` off).
    pub fn device_interval(mut self, secs: u64) -> Self {
        self.device_dpop.device.interval = secs;
        self
    }
}

impl RunningEmulator {
    /// Every device authorization request, oldest first.
    pub fn device_requests(&self) -> Vec<DeviceRequestInfo> {
        let store = self.shared().store();
        let state = &store.device_dpop.device;
        state
            .order
            .iter()
            .filter_map(|code| state.requests.get(code))
            .map(|r| r.info.clone())
            .collect()
    }

    /// The user logging in as `username` (email or username; configured or signed-up users)
    /// approves the request with `user_code`: its next poll gets tokens for that user. `false`
    /// when there is no such user, or no pending, unexpired request with that code.
    pub fn approve_device(&self, user_code: &str, username: &str) -> bool {
        let shared = self.shared();
        let Some(user) = shared.database_user(username, None) else {
            return false;
        };
        answer(
            shared,
            user_code,
            DeviceStatus::Approved,
            Some(&user.user_id),
        )
    }

    /// The user refuses the request with `user_code`: its polls get `access_denied`. `false`
    /// when there is no pending, unexpired request with that code.
    pub fn deny_device(&self, user_code: &str) -> bool {
        answer(self.shared(), user_code, DeviceStatus::Denied, None)
    }

    /// When the request with `user_code` was polled, in order (every poll, answered or not).
    pub fn device_poll_times(&self, user_code: &str) -> Vec<Instant> {
        self.shared()
            .store()
            .device_dpop
            .device
            .by_user_code_mut(user_code)
            .map(|r| r.poll.polls.clone())
            .unwrap_or_default()
    }
}
