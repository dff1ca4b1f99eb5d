//! What CIBA ([`crate::endpoints::ciba`]) remembers while the tenant runs: back-channel
//! authentication requests, and how tests see them.

use std::collections::HashMap;

use serde_json::Value;

use crate::tenant::poll::{PollState, UserAnswer};

/// Where a back-channel authentication request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CibaStatus {
    /// The user has not answered yet.
    Pending,
    /// The user approved: the next poll gets tokens.
    Approved,
    /// The user refused: polls get `access_denied`.
    Denied,
}

impl From<CibaStatus> for UserAnswer {
    fn from(status: CibaStatus) -> Self {
        match status {
            CibaStatus::Pending => Self::Pending,
            CibaStatus::Approved => Self::Approved,
            CibaStatus::Denied => Self::Denied,
        }
    }
}

/// A back-channel authentication request, as tests see it.
#[derive(Clone, Debug, PartialEq)]
pub struct CibaRequestInfo {
    /// Its id (what the client polls with).
    pub auth_req_id: String,
    /// The client that started it.
    pub client_id: String,
    /// The user asked to approve (`sub` of the login hint).
    pub user_id: String,
    /// The message shown to the user.
    pub binding_message: String,
    /// The requested scope, space-separated.
    pub scope: String,
    /// The requested audience, if any.
    pub audience: Option<String>,
    /// The `authorization_details` sent, parsed.
    pub authorization_details: Option<Value>,
    /// The current poll interval in seconds (grows by 5 on every `slow_down`).
    pub interval: u64,
    /// Where it stands.
    pub status: CibaStatus,
    /// Whether its tokens were already handed out.
    pub redeemed: bool,
}

/// One stored request.
#[derive(Debug, Clone)]
pub(crate) struct CibaRequest {
    /// What tests see (`interval` and `redeemed` copied from `poll` after every poll).
    pub info: CibaRequestInfo,
    /// Expiry, interval and polls.
    pub poll: PollState,
}

/// Back-channel authentication requests by `auth_req_id`.
#[derive(Debug, Default)]
pub(crate) struct CibaState {
    /// The requests.
    pub requests: HashMap<String, CibaRequest>,
    /// Ids in the order the requests were made.
    pub order: Vec<String>,
}
