//! What the device authorization flow ([`crate::endpoints::device`]) is configured with and
//! remembers while the tenant runs: its settings, its requests, and how tests see them.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::tenant::poll::{PollState, UserAnswer};

/// How long device and user codes stay usable unless configured otherwise.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(900);

/// The poll interval announced unless configured otherwise, in seconds.
pub(crate) const DEFAULT_INTERVAL: u64 = 5;

/// The letters user codes are made of: consonants only, so no vowels spell words and nothing
/// looks like a digit (no `I`, `O`, `U`).
pub(crate) const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Device-flow settings.
#[derive(Debug, Clone)]
pub(crate) struct DeviceConfig {
    /// `expires_in` of new requests.
    pub lifetime: Duration,
    /// `interval` of new requests, in seconds.
    pub interval: u64,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            lifetime: DEFAULT_LIFETIME,
            interval: DEFAULT_INTERVAL,
        }
    }
}

/// Where a device authorization request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// The user has not answered yet.
    Pending,
    /// The user approved: the next poll gets tokens.
    Approved,
    /// The user refused: polls get `access_denied`.
    Denied,
}

impl From<DeviceStatus> for UserAnswer {
    fn from(status: DeviceStatus) -> Self {
        match status {
            DeviceStatus::Pending => Self::Pending,
            DeviceStatus::Approved => Self::Approved,
            DeviceStatus::Denied => Self::Denied,
        }
    }
}

/// A device authorization request, as tests see it (the `device_code` is not shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRequestInfo {
    /// The code the user types (`XXXX-XXXX`).
    pub user_code: String,
    /// The client that started it.
    pub client_id: String,
    /// The requested scope, space-separated.
    pub scope: String,
    /// The requested audience, if any.
    pub audience: Option<String>,
    /// Where it stands.
    pub status: DeviceStatus,
    /// The user who approved or denied it, once answered.
    pub user_id: Option<String>,
    /// The current poll interval in seconds (grows by 5 on every `slow_down`).
    pub interval: u64,
    /// Whether its tokens were already handed out.
    pub redeemed: bool,
}

/// One stored request.
#[derive(Clone)]
pub(crate) struct DeviceRequest {
    /// What tests see (`interval` and `redeemed` copied from `poll` after every poll).
    pub info: DeviceRequestInfo,
    /// Expiry, interval and polls.
    pub poll: PollState,
}

/// Device authorization requests by `device_code`.
#[derive(Default)]
pub(crate) struct DeviceState {
    /// The requests, by device code.
    pub requests: HashMap<String, DeviceRequest>,
    /// Device codes by user code.
    pub by_user_code: HashMap<String, String>,
    /// Device codes in the order the requests were made.
    pub order: Vec<String>,
}

impl fmt::Debug for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceState")
            .field("requests", &self.requests.len())
            .finish_non_exhaustive()
    }
}

impl DeviceState {
    /// The request with user code `user_code` (any spelling [`normalize_user_code`] accepts).
    pub(crate) fn by_user_code_mut(&mut self, user_code: &str) -> Option<&mut DeviceRequest> {
        let code = normalize_user_code(user_code)?;
        let device_code = self.by_user_code.get(&code)?;
        self.requests.get_mut(device_code)
    }
}

/// `XXXX-XXXX` for what a user typed (any case, with or without the dash or spaces), or
/// `None` when it cannot be a user code.
pub(crate) fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() != 8 || !letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &letters[..4], &letters[4..]))
}
