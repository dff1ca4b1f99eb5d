//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::ciba`].

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::endpoints::ciba::answer;
use crate::tenant::ciba::{CibaRequestInfo, CibaStatus};
use crate::tenant::state::Shared;

impl EmulatorBuilder {
    /// The poll interval (seconds) `/bc-authorize` announces and enforces with `slow_down`
    /// (default 5; 0 turns `slow_down` off).
    pub fn ciba_interval(mut self, secs: u64) -> Self {
        self.flows.ciba_interval = secs;
        self
    }
}

impl RunningEmulator {
    /// Every back-channel authentication request, oldest first.
    pub fn ciba_requests(&self) -> Vec<CibaRequestInfo> {
        let store = self.shared().store();
        let ciba = &store.flows.ciba;
        ciba.order
            .iter()
            .filter_map(|id| ciba.requests.get(id))
            .map(|r| r.info.clone())
            .collect()
    }

    /// The user approves the request: its next poll gets tokens. `false` when there is no
    /// pending request with that id.
    pub fn approve_ciba(&self, auth_req_id: &str) -> bool {
        answer(self.shared(), auth_req_id, CibaStatus::Approved)
    }

    /// The user refuses the request: its polls get `access_denied`. `false` when there is no
    /// pending request with that id.
    pub fn deny_ciba(&self, auth_req_id: &str) -> bool {
        answer(self.shared(), auth_req_id, CibaStatus::Denied)
    }

    /// Approves the request after `delay`, in the background (a tokio task, or a thread outside
    /// a runtime). Nothing happens if the tenant is gone by then.
    pub fn approve_ciba_after(&self, auth_req_id: &str, delay: Duration) {
        let shared: Weak<Shared> = Arc::downgrade(self.shared());
        let id = auth_req_id.to_owned();
        let approve = move || {
            if let Some(shared) = shared.upgrade() {
                answer(&shared, &id, CibaStatus::Approved);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    tokio::time::sleep(delay).await;
                    approve();
                });
            }
            Err(_) => {
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    approve();
                });
            }
        }
    }

    /// When the request was polled, in order (every poll, answered or not).
    pub fn ciba_poll_times(&self, auth_req_id: &str) -> Vec<Instant> {
        self.shared()
            .store()
            .flows
            .ciba
            .requests
            .get(auth_req_id)
            .map(|r| r.poll.polls.clone())
            .unwrap_or_default()
    }
}
